"""Replenishment: reorder points a person can check by hand, the position against them, suggestions
grouped by supplier and its next order day made into a draft in one step, emergency parts never
suggested, rules by hand kept; the parts staff's landing counts the parts to reorder and the urgent
backorders overdue."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aftersales.conftest import World
from aftersales.core.models import Brand, Role, User
from aftersales.core.tests.factories import BrandFactory
from aftersales.parts import services as parts
from aftersales.parts.models import Part
from aftersales.parts.services import ReceiptLine
from aftersales.parts.tests.factories import BinFactory, PartFactory, WarehouseFactory
from aftersales.purchasing import services
from aftersales.purchasing.models import PurchaseOrder, PurchaseOrderLine, ReorderRule, Supplier
from aftersales.purchasing.services.replenishment import next_order_day, suggestion_count, suggestion_groups
from aftersales.purchasing.tests.factories import SupplierFactory

D = Decimal
# Monday 30 November 2026 in UTC, but already Tuesday 1 December (01:00) in the store (Asia/Shanghai).
MOMENT = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
TUESDAY = date(2026, 12, 1)


def test_reorder_points_and_suggestions(world: World, client_for: Callable[[User], Client]) -> None:
    brand = Brand.objects.first()
    assert brand is not None
    centre = SupplierFactory.create(
        group=world.sh.group, kind="manufacturer", brand=brand, code="PC", lead_days_stock=5, order_days=[0, 3]
    )
    filter_, pads, flare = (
        PartFactory.create(group=world.sh.group, brand=brand, number=number, part_class=kind)
        for number, kind in (("F1", "common"), ("P1", "common"), ("E1", "emergency"))
    )
    bin_ = BinFactory.create(store=world.sh, warehouse=WarehouseFactory.create(store=world.sh))
    parts.stock_receive(
        actor=None,
        store_id=world.sh.pk,
        lines=[ReceiptLine(part.pk, bin_.pk, D(100), D(10)) for part in (filter_, pads, flare)],
        moved_on=timezone.localdate() - timedelta(days=100),
    )
    # 90 issued of the filter in the last 90 days (1 a day), 9 of the pads, 45 of the flare.
    for part, quantity in ((filter_, 90), (pads, 9), (flare, 45)):
        parts.stock_issue(
            actor=None,
            store_id=world.sh.pk,
            demand_type="repair_order",
            demand_id=1,
            demand_line_id=None,
            part_number=part.number,
            quantity=D(quantity),
            received_by_id=world.user("technician").pk,
        )
    assert services.reorder_points_compute(store_id=world.sh.pk) == 3
    rule = ReorderRule.objects.get(part=filter_)
    # 1.0000 a day × 5 days + 3 safety = 8; cycle 7 ÷ 2 order days = 4 days → up to 12.
    assert (rule.daily_demand, rule.safety_stock, rule.reorder_point, rule.cycle_days, rule.order_up_to) == (
        D("1.0000"),
        D(3),
        D(8),
        4,
        D(12),
    )
    # The filter holds 10 (above 8); the pads' rule is set by hand above what is there.
    services.reorder_rule_set(
        actor=world.user("parts"), store_id=world.sh.pk, part_id=pads.pk, reorder_point=D(95), order_up_to=D(120)
    )
    services.reorder_rule_set(
        actor=world.user("parts"), store_id=world.sh.pk, part_id=flare.pk, reorder_point=D(95), order_up_to=D(120)
    )
    assert services.reorder_points_compute(store_id=world.sh.pk) == 1  # the rules by hand are kept
    rows = services.suggestions(store_id=world.sh.pk)
    assert [(row.number, row.position, row.quantity, row.supplier_id) for row in rows] == [
        (pads.number_display, D(91), D(29), centre.pk)
    ]  # the flare is below its point too, but an emergency part is never suggested for stock
    client = client_for(world.user("parts"))
    api = client.get("/api/v1/replenishment?store=SH01").json()
    assert api["count"] == 1 and [(row["part"], row["quantity"]) for row in api["items"]] == [
        (pads.number_display, "29.000")
    ]
    assert "生成订单草稿" in client.get("/purchasing/suggestions/").content.decode()
    assert client.post(f"/purchasing/suggestions/{centre.pk}/order/").status_code == 302
    order = PurchaseOrder.all_objects.get()
    line = order.lines.get()
    assert (order.status, order.order_type, line.part_id, line.quantity, line.unit_price) == (
        "draft",
        "stock",
        pads.pk,
        D(29),
        D("11.3000"),  # standard cost 10.00 + 13% VAT: never ordered before
    )
    assert services.suggestions(store_id=world.sh.pk) == []  # now on order
    bad = client.put(
        "/api/v1/replenishment/rules",
        {"store": "SH01", "part": filter_.number, "reorder_point": "10", "order_up_to": "5"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["fields"] == {"order_up_to": ["补货上限不能低于再订货点。"]}
    assert not ReorderRule.objects.get(part=filter_).manual
    assert Part.objects.get(pk=flare.pk).part_class == "emergency"


def _centre(world: World, code: str, order_days: list[int]) -> Supplier:
    """The parts centre of a brand of its own, taking stock orders on ``order_days``."""
    brand = BrandFactory.create(code=code, name=code, name_en=code)
    return SupplierFactory.create(
        group=world.sh.group, kind="manufacturer", brand=brand, code=code, order_days=order_days
    )


def _below(world: World, brand: Brand, number: str, *, on_hand: int = 0, **fields: str) -> Part:
    """A part of ``brand`` with a rule by hand of 5 up to 10, and ``on_hand`` in stock."""
    part = PartFactory.create(group=world.sh.group, brand=brand, number_display=number, **fields)
    services.reorder_rule_set(actor=None, store_id=world.sh.pk, part_id=part.pk, reorder_point=D(5), order_up_to=D(10))
    if on_hand:
        bin_ = BinFactory.create(store=world.sh, warehouse=WarehouseFactory.create(store=world.sh))
        parts.stock_receive(actor=None, store_id=world.sh.pk, lines=[ReceiptLine(part.pk, bin_.pk, D(on_hand), D(10))])
    return part


def test_the_next_order_day_is_the_first_order_weekday_from_today() -> None:
    assert [next_order_day(days, TUESDAY) for days in ([], [1], [1, 4], [3], [0], [0, 6])] == [
        date(2026, 12, 1),  # any day: today
        date(2026, 12, 1),  # Tuesdays: today
        date(2026, 12, 1),
        date(2026, 12, 3),  # Thursdays
        date(2026, 12, 7),  # Mondays: next week's
        date(2026, 12, 6),  # Sundays come before Mondays
    ]


def test_suggestions_are_grouped_by_the_next_order_day_then_supplier(
    world: World, client_for: Callable[[User], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given four parts centres taking stock orders on different days, and a brand without one
    monkeypatch.setattr(timezone, "now", lambda: MOMENT)
    tuesday_friday = _centre(world, "TUE", [1, 4])  # the lower id, yet after ANY: same day, by code
    any_day = _centre(world, "ANY", [])
    monday = _centre(world, "MON", [0])  # today in UTC, but in the store it is Tuesday already
    thursday = _centre(world, "THU", [3])
    no_centre = BrandFactory.create(code="NONE", name="无配件中心", name_en="None")
    for brand, number in (
        (monday.brand, "M1"), (thursday.brand, "T1"), (any_day.brand, "A1"), (tuesday_friday.brand, "U2"),
        (tuesday_friday.brand, "U1"), (no_centre, "N1"),
    ):  # fmt: skip
        assert brand is not None
        _below(world, brand, number)

    # When the suggestions are read, then they come by next order day, supplier code, part number
    rows = services.suggestions(store_id=world.sh.pk)
    assert [(row.number, row.supplier_id, row.next_order_day) for row in rows] == [
        ("A1", any_day.pk, TUESDAY),
        ("U1", tuesday_friday.pk, TUESDAY),
        ("U2", tuesday_friday.pk, TUESDAY),
        ("T1", thursday.pk, date(2026, 12, 3)),
        ("M1", monday.pk, date(2026, 12, 7)),
        ("N1", None, None),  # nobody to order from: last
    ]
    groups = suggestion_groups(store_id=world.sh.pk)
    assert [
        (group.supplier, group.next_order_day, group.orders_today, [row.number for row in group.rows])
        for group in groups
    ] == [
        (any_day, TUESDAY, True, ["A1"]),
        (tuesday_friday, TUESDAY, True, ["U1", "U2"]),
        (thursday, date(2026, 12, 3), False, ["T1"]),
        (monday, date(2026, 12, 7), False, ["M1"]),
        (None, None, False, ["N1"]),
    ]
    assert suggestion_count(store_id=world.sh.pk) == 6

    # And the API gives each row its supplier's next order day, and filters by it
    client = client_for(world.user("purchaser"))
    api = client.get("/api/v1/replenishment?store=SH01").json()
    assert [(item["part"], item["supplier"], item["next_order_day"]) for item in api["items"]] == [
        ("A1", any_day.pk, "2026-12-01"),
        ("U1", tuesday_friday.pk, "2026-12-01"),
        ("U2", tuesday_friday.pk, "2026-12-01"),
        ("T1", thursday.pk, "2026-12-03"),
        ("M1", monday.pk, "2026-12-07"),
        ("N1", None, None),
    ]
    thursdays = client.get("/api/v1/replenishment?store=SH01&order_day=2026-12-03").json()
    assert (thursdays["count"], [item["part"] for item in thursdays["items"]]) == (1, ["T1"])
    assert client.get("/api/v1/replenishment?store=SH01&order_day=2026-12-32").status_code == 422

    # And the page shows the groups in that order, each with its next order day
    html = client.get("/purchasing/suggestions/", headers={"accept-language": "en"}).content.decode()
    assert re.findall(r'data-testid="group-([^"]+)"', html) == ["ANY", "TUE", "THU", "MON", "none"]
    days = {
        code: " ".join(re.sub(r"<[^>]+>", " ", text).split())
        for code, text in re.findall(r'data-testid="order-day-(\w+)">(.*?)</h2>', html)
    }
    assert days == {
        "ANY": "Next order day: Tue 2026-12-01 today",
        "TUE": "Next order day: Tue 2026-12-01 today",
        "THU": "Next order day: Thu 2026-12-03",
        "MON": "Next order day: Mon 2026-12-07",
    }


def test_the_suggestions_page_costs_the_same_queries_for_one_supplier_as_for_four(
    world: World, client_for: Callable[[User], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timezone, "now", lambda: MOMENT)
    client = client_for(world.user("purchaser"))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/purchasing/suggestions/")
        assert response.status_code == 200
        return len(captured.captured_queries)

    first = _centre(world, "C1", [0])
    assert first.brand is not None
    _below(world, first.brand, "P1")
    queries()  # the first request of the session saves it
    one = queries()
    for code, days in (("C2", [1]), ("C3", []), ("C4", [3, 5])):
        centre = _centre(world, code, days)
        assert centre.brand is not None
        _below(world, centre.brand, f"{code}-1")
        _below(world, centre.brand, f"{code}-2")
    assert len(suggestion_groups(store_id=world.sh.pk)) == 4
    # The session, user, access, store and menu, then one for the parts centres and one for the suggestions.
    assert (one, queries()) == (11, 11)


def _backorder(world: World, supplier: Supplier, part: Part, order_type: str, status: str, **line: object) -> None:
    order = PurchaseOrder.all_objects.create(
        store=world.sh,
        number=f"PO-T-{PurchaseOrder.all_objects.count() + 1}",
        supplier=supplier,
        order_type=order_type,
        status=status,
    )
    PurchaseOrderLine.objects.create(
        order=order, store=world.sh, position=1, part=part, quantity=D(2), unit_price=D(50), **line
    )


def test_the_parts_staff_landing_counts_low_stock_and_urgent_backorders_overdue(
    world: World, client_for: Callable[[User], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given parts at, below and above their reorder point of 5, and an emergency part below it
    monkeypatch.setattr(timezone, "now", lambda: MOMENT)
    centre = _centre(world, "PC", [3])
    brand = centre.brand
    assert brand is not None
    _below(world, brand, "EMPTY")  # position 0
    _below(world, brand, "AT", on_hand=5)  # at the reorder point: to reorder too
    _below(world, brand, "ABOVE", on_hand=6)
    _below(world, brand, "FLARE", part_class="emergency")  # never suggested for stock
    # And backorders of a part without a rule: urgent or VOR, stock, overdue or not, owed or not
    local = SupplierFactory.create(group=world.sh.group, code="LOC")
    owed = PartFactory.create(group=world.sh.group, brand=brand, number_display="OWED")
    yesterday, today = date(2026, 11, 30), TUESDAY  # in the store: UTC still says 30 November is today
    _backorder(world, local, owed, "vor", "sent", expected_on=yesterday)  # counted
    _backorder(world, local, owed, "urgent", "partly_received", expected_on=yesterday - timedelta(days=1))  # counted
    _backorder(world, local, owed, "urgent", "sent", expected_on=today)  # due today: not overdue yet
    _backorder(world, local, owed, "stock", "sent", expected_on=yesterday)  # a stock order
    _backorder(world, local, owed, "vor", "sent", expected_on=yesterday, received=D(2))  # received in full
    _backorder(world, local, owed, "vor", "sent", expected_on=None)  # no date promised
    _backorder(world, local, owed, "vor", "approved", expected_on=yesterday)  # not sent yet

    def cards(role: str) -> dict[str, object]:
        response = client_for(world.user(role)).get("/")
        assert response.status_code == 200
        return {card.key: card.value for card in response.context["view"].cards}

    # When the parts clerk, the purchaser and the store manager open their landing page, then they see
    # the same two figures as the suggestions and the backorders
    assert [row.number for row in services.suggestions(store_id=world.sh.pk)] == ["AT", "EMPTY"]
    for role in ("parts", "purchaser", "manager"):
        shown = cards(role)
        assert (shown["low_stock"], shown["urgent_backorders_overdue"]) == (2, 2), role
    page = client_for(world.user("parts")).get("/").content.decode()
    assert 'href="/purchasing/suggestions/">2</a>' in page and 'href="/purchasing/backorders/">2</a>' in page
    # The advisor's landing is not the parts staff's
    assert not {"low_stock", "urgent_backorders_overdue"} & set(cards("advisor"))

    # When the parts clerk's role no longer sees purchasing, then the clerk sees neither card
    clerks = Role.objects.get(code="parts")
    clerks.permissions = [code for code in clerks.permissions if code != "purchasing.view"]
    clerks.save(update_fields=["permissions"])
    assert not {"low_stock", "urgent_backorders_overdue"} & set(cards("parts"))


def test_the_landing_shows_zero_when_nothing_is_low(world: World, client_for: Callable[[User], Client]) -> None:
    view = client_for(world.user("parts")).get("/").context["view"]
    shown = {card.key: card.value for card in view.cards}
    assert (shown["low_stock"], shown["urgent_backorders_overdue"]) == (0, 0)
