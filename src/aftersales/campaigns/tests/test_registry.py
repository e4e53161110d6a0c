"""Entering campaigns and what they affect: every field checked at once, a refusal writes nothing; ranges
refused when their ends differ in the first 11 characters or run backwards; the VIN list import refused
whole with each wrong row named; only drafts change; opening and closing."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from openpyxl import Workbook

from aftersales.campaigns import services
from aftersales.campaigns.models import (
    Campaign,
    CampaignEvent,
    CampaignPart,
    CampaignVin,
    CampaignVinRange,
    Outreach,
)
from aftersales.campaigns.services import PartLine
from aftersales.campaigns.tests.conftest import Registry
from aftersales.campaigns.tests.factories import CampaignFactory
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.tests.factories import DealerGroupFactory
from aftersales.customers.tests.factories import valid_vin


def xlsx(rows: list[list[object]]) -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("vins.xlsx", buffer.getvalue())


def _counts() -> tuple[int, int, int, int]:
    return (
        Campaign.objects.count(),
        CampaignPart.objects.count(),
        CampaignVin.objects.count(),
        CampaignVinRange.objects.count(),
    )


def _refusal(call: object) -> ApplicationError:
    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        call()  # type: ignore[operator]
    return caught.value


def test_a_campaign_is_entered_as_a_draft_with_its_parts(registry: Registry) -> None:
    campaign = services.campaign_save(
        actor=registry.keeper,
        group_id=registry.world.sh.group_id,
        code=" rc-2026-014 ",
        brand_id=registry.brand.pk,
        data={
            "kind": "recall",
            "title": "燃油泵召回",
            "description": "更换燃油泵总成",
            "operation_id": registry.operation.pk,
            "valid_from": date(2026, 3, 1),
            "valid_until": date(2027, 2, 28),
        },
        parts=[PartLine(part_id=registry.part.pk, quantity=Decimal(1))],
    )
    assert (campaign.code, campaign.state, campaign.created_by) == ("RC-2026-014", "draft", registry.keeper)
    assert list(campaign.parts.values_list("part_id", "quantity")) == [(registry.part.pk, Decimal("1.000"))]


def test_every_bad_field_is_named_and_nothing_is_written(registry: Registry) -> None:
    CampaignFactory.create(operation=registry.operation, code="RC-1")
    other_operation = registry.operation.__class__.objects.create(
        group=registry.operation.group,
        code="OLD",
        name="旧项目",
        category="engine",
        default_hours=Decimal(1),
        skill_level="junior",
        repair_category="minor",
        is_active=False,
    )
    before = _counts()
    error = _refusal(
        lambda: services.campaign_save(
            actor=registry.keeper,
            group_id=registry.world.sh.group_id,
            code="rc-1",
            data={
                "kind": "rebate",
                "title": " ",
                "description": "x" * 2001,
                "operation_id": other_operation.pk,
                "valid_from": date(2026, 3, 1),
                "valid_until": date(2026, 2, 28),
            },
            parts=[PartLine(part_id=registry.part.pk, quantity=Decimal("0.5"))],
        )
    )
    assert error.fields == {
        "code": ["Campaign RC-1 exists already."],
        "kind": ["Choose recall, service campaign, free inspection or promotion."],
        "title": ["This field is required."],
        "description": ["Enter at most 2000 characters."],
        "operation": ["Choose an active labour operation of the campaign's brand."],
        "valid_until": ["The campaign cannot end before it starts."],
        "parts.0.quantity": ["1K0-919-051 allows at most 0 decimals."],
    }
    assert _counts() == before


def test_a_range_is_kept_with_its_check_digit_masked(registry: Registry) -> None:
    campaign = CampaignFactory.create(operation=registry.operation)
    row = services.vin_range_add(
        actor=registry.keeper, campaign_id=campaign.pk, first_vin=valid_vin(100), last_vin=valid_vin(200).lower()
    )
    assert (row.prefix, row.serial_from, row.serial_to) == ("LSVAA418*E2", "000100", "000200")


@pytest.mark.parametrize(
    ("first", "last", "fields"),
    [
        (
            valid_vin(100),
            valid_vin(200, prefix="LSVAB4180E2"),
            {"last_vin": ["The ends of a range differ in their first 11 characters (the 9th, a check digit, aside): "
                          f"{valid_vin(100)[:11]} ≠ {valid_vin(200, prefix='LSVAB4180E2')[:11]}."]},
        ),
        (valid_vin(200), valid_vin(100), {"last_vin": ["The last serial (000100) comes before the first (000200)."]}),
        ("LSVAA4180E200010", valid_vin(100), {"first_vin": ["A VIN must have 17 characters; this one has 16."]}),
        (valid_vin(100), "LSVAA4180E20001O", {"last_vin": [
            "A VIN cannot contain the letters I, O or Q (they are confused with 1 and 0); it contains O."
        ]}),
    ],
)  # fmt: skip
def test_a_bad_range_is_refused_on_its_field(
    registry: Registry, first: str, last: str, fields: dict[str, list[str]]
) -> None:
    campaign = CampaignFactory.create(operation=registry.operation)
    error = _refusal(
        lambda: services.vin_range_add(actor=registry.keeper, campaign_id=campaign.pk, first_vin=first, last_vin=last)
    )
    assert (error.status, error.fields) == (422, fields)
    assert CampaignVinRange.objects.count() == 0


def test_the_vin_list_is_imported_with_repeats_once(registry: Registry) -> None:
    campaign = CampaignFactory.create(operation=registry.operation)
    CampaignVin.objects.create(campaign=campaign, vin=valid_vin(1))
    upload = xlsx([["车架号", "备注"], [valid_vin(1), "已有"], [valid_vin(2).lower()], [valid_vin(3)], [valid_vin(2)]])
    result = services.vin_list_import(actor=registry.keeper, campaign_id=campaign.pk, upload=upload)
    assert (result.rows, result.added, result.repeated) == (4, 2, 2)
    assert sorted(CampaignVin.objects.values_list("vin", flat=True)) == [valid_vin(1), valid_vin(2), valid_vin(3)]


def test_a_vin_list_with_wrong_rows_is_refused_whole_row_by_row(registry: Registry) -> None:
    campaign = CampaignFactory.create(operation=registry.operation)
    bad_digit = valid_vin(5)
    bad_digit = bad_digit[:8] + ("0" if bad_digit[8] != "0" else "1") + bad_digit[9:]
    upload = xlsx([["VIN"], [valid_vin(4)], [bad_digit], ["LSVAA"], [valid_vin(6)], ["=A1"]])
    error = _refusal(lambda: services.vin_list_import(actor=registry.keeper, campaign_id=campaign.pk, upload=upload))
    assert error.status == 422
    assert error.detail == "Some rows of the file are wrong; nothing was taken in."
    assert error.fields == {
        "rows.3.vin": ["The check digit (9th character) of this VIN is wrong."],
        "rows.4.vin": ["A VIN must have 17 characters; this one has 5."],
        "rows.6.vin": ["This cell holds a formula (=A1), not a value; enter the value itself."],
    }
    assert CampaignVin.objects.count() == 0


def bad_vin(serial: int) -> str:
    """A VIN of the right shape whose check digit (the 9th character) is wrong."""
    vin = valid_vin(serial)
    return vin[:8] + ("0" if vin[8] != "0" else "1") + vin[9:]


def test_a_long_refused_file_names_its_first_100_wrong_rows_and_counts_them_all(registry: Registry) -> None:
    campaign = CampaignFactory.create(operation=registry.operation)
    # Row 2 good, rows 3-152 wrong (150 rows).
    upload = xlsx([["VIN"], [valid_vin(1)], *([bad_vin(serial)] for serial in range(10, 160))])
    error = _refusal(lambda: services.vin_list_import(actor=registry.keeper, campaign_id=campaign.pk, upload=upload))
    assert (error.status, error.detail, error.extra) == (
        422,
        "Some rows of the file are wrong; nothing was taken in.",
        {"wrong_rows": 150},
    )
    assert error.fields == {
        **{f"rows.{number}.vin": ["The check digit (9th character) of this VIN is wrong."] for number in range(3, 103)},
        "file": ["150 rows are wrong; the first 100 are named."],
    }
    assert CampaignVin.objects.count() == 0


def test_the_vin_list_import_checks_the_campaign_before_reading_the_file(registry: Registry) -> None:
    # Not a workbook at all: read first, it would be refused as a file.
    garbage = SimpleUploadedFile("vins.xlsx", b"not a workbook")
    opened = CampaignFactory.create(operation=registry.operation, state=Campaign.State.OPEN)
    error = _refusal(lambda: services.vin_list_import(actor=registry.keeper, campaign_id=opened.pk, upload=garbage))
    assert (error.status, error.code, error.detail) == (
        409,
        "not_allowed",
        f"Campaign {opened.code} is Open: only a draft can be changed.",
    )
    draft = CampaignFactory.create(operation=registry.operation)
    advisor = registry.world.user("advisor")
    error = _refusal(lambda: services.vin_list_import(actor=advisor, campaign_id=draft.pk, upload=garbage))
    assert (error.status, error.code) == (403, "forbidden")
    outsider = CampaignFactory.create(operation__group=DealerGroupFactory.create(code="OTHER", name="另一集团"))
    error = _refusal(lambda: services.vin_list_import(actor=registry.keeper, campaign_id=outsider.pk, upload=garbage))
    assert (error.status, error.code) == (404, "not_found")
    assert CampaignVin.objects.count() == 0


def test_a_file_without_the_vin_column_is_refused(registry: Registry) -> None:
    campaign = CampaignFactory.create(operation=registry.operation)
    error = _refusal(
        lambda: services.vin_list_import(
            actor=registry.keeper, campaign_id=campaign.pk, upload=xlsx([["车牌"], ["沪A12345"]])
        )
    )
    assert error.fields == {"file": ["The first row of the sheet must hold the template's column names; missing: VIN."]}


def test_only_a_draft_changes(registry: Registry) -> None:
    campaign = CampaignFactory.create(operation=registry.operation, state=Campaign.State.OPEN)
    with pytest.raises(ConflictError):
        services.vin_range_add(
            actor=registry.keeper, campaign_id=campaign.pk, first_vin=valid_vin(1), last_vin=valid_vin(2)
        )
    with pytest.raises(ConflictError):
        services.campaign_save(
            actor=registry.keeper, group_id=campaign.group_id, campaign_id=campaign.pk, data={"title": "新标题"}
        )
    assert Campaign.objects.get().title == campaign.title
    assert CampaignVinRange.objects.count() == 0


def test_a_campaign_that_affects_nothing_or_has_ended_is_not_opened(registry: Registry) -> None:
    campaign = CampaignFactory.create(
        operation=registry.operation, valid_until=timezone.localdate() - timedelta(days=1)
    )
    error = _refusal(lambda: services.campaign_open(actor=registry.keeper, campaign_id=campaign.pk))
    assert error.fields == {
        "valid_until": [f"The campaign ended on {campaign.valid_until.isoformat()}: it can no longer be opened."],
        "affected": ["Give the vehicles it affects first: a VIN list, a VIN range or a model."],
    }
    campaign.refresh_from_db()
    assert (campaign.state, campaign.opened_at, CampaignEvent.objects.count()) == ("draft", None, 0)


def test_a_campaign_is_not_opened_before_its_start(registry: Registry, django_capture_on_commit_callbacks: Any) -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)
    campaign = CampaignFactory.create(operation=registry.operation, valid_from=tomorrow)
    CampaignVin.objects.create(campaign=campaign, vin=registry.vehicle.vin)
    with django_capture_on_commit_callbacks() as queued:
        error = _refusal(lambda: services.campaign_open(actor=registry.keeper, campaign_id=campaign.pk))
    assert (error.status, error.fields) == (
        422,
        {"valid_from": [f"The campaign starts on {tomorrow.isoformat()}: it can be opened from that day on."]},
    )
    campaign.refresh_from_db()
    assert (campaign.state, campaign.opened_at, CampaignEvent.objects.count(), Outreach.all_objects.count()) == (
        "draft",
        None,
        0,
        0,
    )
    assert queued == []


def test_open_and_close_write_their_events(registry: Registry) -> None:
    campaign = CampaignFactory.create(operation=registry.operation, kind=Campaign.Kind.SERVICE)
    CampaignVin.objects.create(campaign=campaign, vin=valid_vin(1))
    opened = services.campaign_open(actor=registry.keeper, campaign_id=campaign.pk)
    assert (opened.state, opened.opened_by, services.chases_owners(opened)) == ("open", registry.keeper, False)
    with pytest.raises(ConflictError):
        services.campaign_open(actor=registry.keeper, campaign_id=campaign.pk)
    services.campaign_close(actor=registry.keeper, campaign_id=campaign.pk, note="厂家结束")
    events = list(CampaignEvent.objects.values_list("action", "from_state", "to_state", "note", "actor"))
    assert events == [
        ("open", "draft", "open", "", registry.keeper.pk),
        ("close", "open", "closed", "厂家结束", registry.keeper.pk),
    ]


def test_an_advisor_may_not_keep_the_registry(registry: Registry) -> None:
    before = _counts()
    error = _refusal(
        lambda: services.campaign_save(
            actor=registry.world.user("advisor"), group_id=registry.world.sh.group_id, code="X", data={}
        )
    )
    assert (error.status, error.code) == (403, "forbidden")
    assert _counts() == before
