"""The comeback queue (each matching pair and why, confirmed or rejected by the QC inspector, an order linked
to earlier work by hand), the comeback and rework rates of a period, and the store's quality rules with
its repair guarantees (never below the law's)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from aftersales.catalogue.paytypes import PayType
from aftersales.core.models import User
from aftersales.customers.tests.factories import VehicleFactory
from aftersales.quality.models import Comeback, ComebackLine, GuaranteeTerm, QualitySettings, Rework
from aftersales.quality.services import final_inspection_record
from aftersales.quality.services.common import DELIVERY_CHECKS_DEFAULT, FINAL_CHECKS_DEFAULT, WASH_CHECKS_DEFAULT
from aftersales.visits.models import Line, LineApproval, RepairOrder
from aftersales.visits.services import LineIn, line_add, visit_open
from aftersales.workshop.models import Job

from .conftest import Yard

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client_for: Callable[[User], Client]) -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


def _comeback(yard: Yard, *, rework: bool = False) -> tuple[RepairOrder, RepairOrder, Line]:
    """The yard's order delivered (after a failed inspection first, when asked); the car back with the brakes
    squealing again: a new order (an EV check, signed) with the brakes added, proposed and flagged."""
    r = yard.shop.reception
    order = yard.completed()
    if rework:
        brakes = Line.all_objects.get(order=order, position=3)
        final_inspection_record(
            actor=yard.qc,
            order_id=order.pk,
            data=yard.passing(order, passed=False, reason="制动仍有异响", rework_lines=[brakes.pk], signature=""),
        )
        job = Job.all_objects.get(line=brakes)
        yard.clock_through(job.pk, brakes, yard.shop.middle, timezone.now() - timedelta(minutes=50))
    yard.delivered(yard.ready(yard.inspected(RepairOrder.all_objects.get(pk=order.pk))))
    visit_open(actor=r.advisor, data=r.visit_in(mileage_in=53_000, promised_at=r.later(4)))
    new = yard.order(LineIn(kind="labour", operation_id=yard.shop.ev_operation.pk))
    line = line_add(
        actor=r.advisor,
        order_id=new.pk,
        data=LineIn(kind="labour", operation_id=r.brakes.pk, fault_code="c1234", symptom="制动又异响"),
    )
    return RepairOrder.all_objects.get(pk=order.pk), new, line


def test_the_queue_shows_each_matching_pair_and_why(yard: Yard, english: Callable[[User], Client]) -> None:
    original, new, line = _comeback(yard)
    comeback = Comeback.all_objects.get()
    page = english(yard.qc).get("/quality/comebacks/")
    assert page.status_code == 200
    [row] = page.context["rows"]
    assert (row["comeback"], [(item["line"].line, item["why"], item["technician"]) for item in row["lines"]]) == (
        comeback,
        [(line, ["Same operation category", "Same fault code"], "维修技师")],
    )
    html = page.content.decode()
    assert f'<a class="font-monospace" href="/repair-orders/{new.pk}/" data-testid="order">{new.number}</a>' in html
    assert f'data-testid="original">{original.number}</a>' in html
    assert '<span class="badge text-bg-danger" data-testid="window">inside the repair guarantee</span>' in html
    assert "<td>2. 更换前制动片</td>\n        <td>3. 更换前制动片</td>" in html
    assert f'<form method="post" action="/quality/comebacks/{comeback.pk}/decide/"' in html
    # Seeing the queue is not deciding: the advisor sees it without the buttons.
    html = english(yard.advisor).get("/quality/comebacks/").content.decode()
    assert f"/quality/comebacks/{comeback.pk}/decide/" not in html and f'data-testid="comeback-{comeback.pk}"' in html
    assert english(yard.qc).get("/quality/comebacks/?state=confirmed").context["rows"] == []


def test_confirming_puts_the_work_at_the_stores_cost(yard: Yard, english: Callable[[User], Client]) -> None:
    _original, _new, line = _comeback(yard)
    comeback = Comeback.all_objects.get()
    response = english(yard.qc).post(f"/quality/comebacks/{comeback.pk}/decide/", {"decision": "confirm"})
    assert (response.status_code, response["Location"]) == (302, "/quality/comebacks/")
    comeback.refresh_from_db()
    line.refresh_from_db()
    assert (comeback.state, comeback.decided_by, line.pay_type, line.state) == (
        "confirmed",
        yard.qc,
        PayType.COMEBACK,
        "approved",
    )
    assert LineApproval.objects.filter(line=line, kind="qc_confirmation").count() == 1
    page = english(yard.qc).get("/quality/comebacks/?state=confirmed")
    assert [row["comeback"] for row in page.context["rows"]] == [comeback]


def test_a_rejection_says_why_and_a_decided_comeback_is_not_decided_again(
    yard: Yard, english: Callable[[User], Client]
) -> None:
    _comeback(yard)
    comeback = Comeback.all_objects.get()
    client = english(yard.qc)
    url = f"/quality/comebacks/{comeback.pk}/decide/"
    refused = client.post(url, {"decision": "reject", "note": " "})
    assert refused.status_code == 400
    assert refused.context["bound_decide"].errors == {"note": ["Say why this is not a comeback."]}
    assert 'data-testid="error-note">Say why this is not a comeback.</div>' in refused.content.decode()
    assert Comeback.all_objects.get().state == "flagged"

    assert client.post(url, {"decision": "reject", "note": "新故障，与上次维修无关"}).status_code == 302
    comeback.refresh_from_db()
    assert (comeback.state, comeback.note) == ("rejected", "新故障，与上次维修无关")
    again = client.post(url, {"decision": "confirm"})
    assert again.status_code == 409
    assert again.context["bound_decide"].errors == {"__all__": ["This comeback was decided already: Rejected."]}
    assert Comeback.all_objects.get().state == "rejected"


def test_confirming_work_signed_already_prices_it_again_at_the_stores_cost(
    yard: Yard, english: Callable[[User], Client]
) -> None:
    r = yard.shop.reception
    yard.delivered()
    visit_open(actor=r.advisor, data=r.visit_in(mileage_in=53_000, promised_at=r.later(4)))
    new = yard.order(LineIn(kind="labour", operation_id=r.brakes.pk, fault_code="c1234", symptom="制动又异响"))
    line = Line.all_objects.get(order=new)
    assert (line.state, line.pay_type) == ("approved", "customer")
    comeback = Comeback.all_objects.get(order=new)
    response = english(yard.qc).post(f"/quality/comebacks/{comeback.pk}/decide/", {"decision": "confirm"})
    assert response.status_code == 302
    line.refresh_from_db()
    assert (Comeback.all_objects.get().state, line.state, line.pay_type) == ("confirmed", "approved", PayType.COMEBACK)
    assert LineApproval.objects.filter(line=line, kind="qc_confirmation").count() == 1


def test_deciding_needs_the_qc_confirmation(yard: Yard, english: Callable[[User], Client]) -> None:
    _comeback(yard)
    comeback = Comeback.all_objects.get()
    response = english(yard.advisor).post(f"/quality/comebacks/{comeback.pk}/decide/", {"decision": "confirm"})
    assert response.status_code == 403
    assert english(yard.advisor).post("/quality/comebacks/", {"order": "x"}).status_code == 403
    assert Comeback.all_objects.get().state == "flagged"


def test_an_order_is_linked_to_earlier_work_of_the_same_car_by_hand(
    yard: Yard, english: Callable[[User], Client]
) -> None:
    r = yard.shop.reception
    original = RepairOrder.all_objects.get(pk=yard.delivered().visit.orders.get().pk)
    visit_open(actor=r.advisor, data=r.visit_in(mileage_in=53_000, promised_at=r.later(4)))
    new = yard.order(LineIn(kind="labour", operation_id=yard.shop.ev_operation.pk))
    client = english(yard.qc)
    data = {"order": new.number, "original_order": original.number, "pairs": "1=1", "note": "客户反映保养后仪表报警"}

    refused = client.post("/quality/comebacks/", {**data, "pairs": "1-1"})
    assert refused.status_code == 400
    assert refused.context["flag_form"].errors == {
        "pairs": ["Write each pair as new line = earlier line, e.g. 2=1; “1-1” is not one."]
    }
    missing = client.post("/quality/comebacks/", {**data, "pairs": "1=9"})
    assert missing.status_code == 400
    assert missing.context["flag_form"].errors == {"pairs": [f"No such line: {original.number} 9."]}
    assert Comeback.all_objects.count() == 0

    response = client.post("/quality/comebacks/", data)
    assert (response.status_code, response["Location"]) == (302, "/quality/comebacks/")
    comeback = Comeback.all_objects.get()
    assert (comeback.order, comeback.original, comeback.note, comeback.flagged_by) == (
        new,
        original,
        "客户反映保养后仪表报警",
        yard.qc,
    )
    assert list(ComebackLine.objects.values_list("line__position", "original_line__position", "matched_by")) == [
        (1, 1, [])
    ]
    page = client.get("/quality/comebacks/")
    assert '<span class="text-secondary">linked by hand</span>' in page.content.decode()


def test_linking_an_order_to_another_cars_work_is_refused(yard: Yard, english: Callable[[User], Client]) -> None:
    r = yard.shop.reception
    other = yard.delivered()
    other_order = other.visit.orders.get()
    # The same customer's second car comes in.
    second = VehicleFactory.create(owner=r.customer, plate="沪B54321")
    visit_open(actor=r.advisor, data=r.visit_in(vehicle_id=second.pk, mileage_in=8_000, promised_at=r.later(4)))
    r.vehicle = second
    new = yard.order(LineIn(kind="labour", operation_id=r.oil.pk))
    response = english(yard.qc).post(
        "/quality/comebacks/", {"order": new.number, "original_order": other_order.number, "pairs": "1=1"}
    )
    assert response.status_code == 400
    assert response.context["flag_form"].errors == {
        "original_order": [
            f"Repair order {other_order.number} is of another car: a comeback is work on the same car again."
        ]
    }
    assert (Comeback.all_objects.count(), ComebackLine.objects.count()) == (0, 0)


# --- the rates ------------------------------------------------------------------------------------------


def test_the_rates_count_delivered_work_comebacks_and_reworks(yard: Yard, english: Callable[[User], Client]) -> None:
    r = yard.shop.reception
    _original, _new, _line = _comeback(yard, rework=True)
    comeback = Comeback.all_objects.get()
    client = english(yard.qc)
    client.post(f"/quality/comebacks/{comeback.pk}/decide/", {"decision": "confirm"})
    assert Rework.objects.count() == 1
    page = client.get("/quality/comebacks/rates/")
    assert page.status_code == 200
    today = timezone.now().astimezone(yard.store.zone).date()
    assert (page.context["since"], page.context["until"]) == (today - timedelta(days=90), today)
    rates = page.context["rates"]
    shown = {
        kind: [(rate.name, rate.delivered, rate.comebacks, str(rate.comeback_rate), rate.reworks) for rate in rows]
        for kind, rows in (
            ("technicians", rates.technicians),
            ("operations", rates.operations),
            ("stores", rates.stores),
        )
    }
    assert shown == {
        "technicians": [("维修技师", 2, 1, "50.0", 1)],
        "operations": [
            (f"{r.brakes.code} 更换前制动片", 1, 1, "100.0", 1),
            (f"{r.oil.code} 更换机油", 1, 0, "0.0", 0),
        ],
        "stores": [("上海店", 2, 1, "50.0", 1)],
    }
    html = page.content.decode()
    assert (
        '<th scope="row" class="text-nowrap">维修技师</th><td class="text-end">2</td><td class="text-end">1</td><td class="text-end">50.0%</td><td class="text-end">1</td>'
        in html
    )
    assert 'data-testid="rates-chart"' in html
    assert page.context["chart"]["names"] == ["维修技师"] and page.context["chart"]["rates"] == [50.0]
    # A period before the work: nothing delivered.
    earlier = client.get("/quality/comebacks/rates/", {"since": "2025-01-01", "until": "2025-03-31"})
    assert [len(rows) for rows in (earlier.context["rates"].technicians, earlier.context["rates"].stores)] == [0, 0]


def test_a_wrong_period_is_refused_on_its_field(yard: Yard, english: Callable[[User], Client]) -> None:
    response = english(yard.qc).get("/quality/comebacks/rates/", {"since": "2026-03-01", "until": "2026-02-01"})
    assert response.status_code == 400
    assert response.context["form"].errors == {"until": ["The end date must not be before the start date."]}
    assert response.context["rates"] is None


# --- the store's rules ----------------------------------------------------------------------------------


def _settings_post(**changes: str | list[str] | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "final_checks": "\n".join(FINAL_CHECKS_DEFAULT),
        "wash_checks": "\n".join(WASH_CHECKS_DEFAULT[:3]),
        "delivery_checks": "\r\n".join(DELIVERY_CHECKS_DEFAULT),
        "wash_skip": ["quick"],
        "comeback_days": "45",
        "certificate_from_platform": "on",
        "assembly_days": "180",
        "assembly_km": "30000",
        "minor_days": "",
        "minor_km": "",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def test_the_settings_page_shows_the_rules_and_the_laws_minimum(yard: Yard, english: Callable[[User], Client]) -> None:
    client = english(yard.shop.reception.world.user("service_manager"))
    page = client.get("/quality/settings/")
    assert page.status_code == 200
    form = page.context["form"]
    assert form["delivery_checks"].value() == "\n".join(DELIVERY_CHECKS_DEFAULT)
    assert (form["comeback_days"].value(), form["assembly_days"].value()) == (30, None)
    html = page.content.decode()
    assert '<td class="text-secondary small text-nowrap" data-testid="law-assembly">100 days / 20,000 km</td>' in html
    assert '<td class="text-secondary small text-nowrap" data-testid="law-first_level">10 days / 2,000 km</td>' in html
    assert 'name="final_checks" cols="40" rows="8" maxlength="2480"' in html
    assert (
        '<input type="number" name="assembly_days" min="100" max="3650" class="form-control" aria-description="Assembly repair" id="id_assembly_days">'
        in html
    )


def test_the_rules_and_guarantees_are_kept(yard: Yard, english: Callable[[User], Client]) -> None:
    client = english(yard.shop.reception.world.user("service_manager"))
    response = client.post("/quality/settings/", _settings_post())
    assert (response.status_code, response["Location"]) == (302, "/quality/settings/")
    rules = QualitySettings.all_objects.get(store=yard.store)
    assert (
        rules.wash_checks,
        rules.wash_skip,
        rules.delivery_checks,
        rules.comeback_days,
        rules.certificate_from_platform,
    ) == (WASH_CHECKS_DEFAULT[:3], ["quick"], DELIVERY_CHECKS_DEFAULT, 45, True)
    assert list(GuaranteeTerm.all_objects.values_list("repair_category", "days", "km")) == [("assembly", 180, 30_000)]
    page = client.get("/quality/settings/")
    assert (page.context["form"]["assembly_km"].value(), page.context["form"]["minor_km"].value()) == (30_000, None)


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {"assembly_days": "99"},
            {"assembly_days": ["At least the law's 100 days (机动车维修管理规定), at most 3650."]},
        ),
        (
            {"assembly_km": "19999"},
            {"assembly_km": ["At least the law's 20,000 km (机动车维修管理规定), at most 1,000,000."]},
        ),
        ({"minor_days": "20"}, {"minor_km": ["Give both the days and the km, or neither."]}),
        ({"assembly_days": "3651"}, {"assembly_days": ["Ensure this value is less than or equal to 3650."]}),
        ({"delivery_checks": "发动机机油"}, {"delivery_checks": ["Keep exactly 24 checks; this list has 1."]}),
        ({"comeback_days": "0"}, {"comeback_days": ["Enter days from 1 to 730."]}),
        (
            {"wash_skip": ["never"]},
            {"wash_skip": ["Select a valid choice. never is not one of the available choices."]},
        ),
        (
            {"assembly_days": "99", "comeback_days": "731"},
            {
                "comeback_days": ["Enter days from 1 to 730."],
                "assembly_days": ["At least the law's 100 days (机动车维修管理规定), at most 3650."],
            },
        ),
    ],
)
def test_wrong_rules_or_a_guarantee_below_the_law_are_refused_and_nothing_is_kept(
    yard: Yard, english: Callable[[User], Client], changes: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    response = english(yard.shop.reception.world.user("service_manager")).post(
        "/quality/settings/", _settings_post(**changes)
    )
    assert response.status_code == 400
    assert response.context["form"].errors == errors
    for name, messages in errors.items():
        assert f'data-testid="error-{name}">{escape(messages[0])}</div>' in response.content.decode()
    assert (QualitySettings.all_objects.count(), GuaranteeTerm.all_objects.count()) == (0, 0)


def test_the_rules_are_kept_by_those_who_keep_them(yard: Yard, english: Callable[[User], Client]) -> None:
    assert english(yard.advisor).get("/quality/settings/").status_code == 403
    assert english(yard.advisor).post("/quality/settings/", _settings_post()).status_code == 403
    assert (QualitySettings.all_objects.count(), GuaranteeTerm.all_objects.count()) == (0, 0)
