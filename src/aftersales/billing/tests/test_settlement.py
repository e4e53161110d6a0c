"""The settlement list is prepared when the order becomes ready: its agreed lines charged to their payers from
their frozen prices and approvals, one settlement per payer, adding up to the order's total."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from aftersales.billing.models import Settlement, SettlementCharge, SettlementList, Surcharge
from aftersales.billing.services import _in_window, settlement_prepare
from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.models import AuditEntry, CalendarDay
from aftersales.customers.models import Vehicle, VehicleModel
from aftersales.quality.tests.conftest import HOURS, Yard, reception, shop, yard
from aftersales.visits.models import Line, RepairOrder, Visit
from aftersales.visits.services import LineIn
from aftersales.visits.services.approvals import ApprovalIn, Decision, approvals_record

__all__ = ["HOURS", "reception", "shop", "yard"]

D = Decimal


def _settlements(order: RepairOrder) -> list[tuple[str, str, str, str, str, str]]:
    rows = Settlement.all_objects.filter(order=order).order_by("pk")
    return [(s.payer, s.payer_name, str(s.amount), str(s.net), str(s.tax), s.state) for s in rows]


def test_a_ready_order_has_its_list_prepared_for_the_customer(yard: Yard) -> None:
    order = yard.ready()
    found = SettlementList.all_objects.get(order=order)
    assert (found.state, found.number, str(found.amount), str(found.net), str(found.tax), found.prepared_by) == (
        "prepared",
        "",
        "688.00",
        "608.85",
        "79.15",
        yard.advisor,
    )
    # Oil change 1 h × 200.00, the filter 88.00, brake pads labour 2 h × 200.00, each at 13 %.
    charges = SettlementCharge.objects.filter(settlement__order=order).order_by("position")
    assert list(charges.values_list("category", "description", "part_number", "quantity", "amount", "net", "tax")) == [
        ("labour", "更换机油", "", D("1.000"), D("200.00"), D("176.99"), D("23.01")),
        ("materials", "机油滤清器", "06L-115-562", D("1.000"), D("88.00"), D("77.88"), D("10.12")),
        ("labour", "更换前制动片", "", D("2.000"), D("400.00"), D("353.98"), D("46.02")),
    ]
    assert _settlements(order) == [("customer", "", "688.00", "608.85", "79.15", "open")]
    assert AuditEntry.objects.filter(object_type="billing.settlementlist").count() == 1


def test_each_payer_is_charged_what_its_pay_type_and_approval_say(yard: Yard) -> None:
    r = yard.shop.reception
    brand = r.store.brands.get()
    model = VehicleModel.objects.create(brand=brand, series="帕萨特", name="330TSI")
    Vehicle.objects.filter(pk=r.vehicle.pk).update(model=model)  # the manufacturer is charged per brand
    order = yard.order(
        LineIn(kind="labour", operation_id=r.oil.pk),  # 1 customer 200.00
        LineIn(kind="labour", operation_id=r.brakes.pk, pay_type="insurance"),  # 2 400.00
        LineIn(kind="labour", operation_id=r.brakes.pk, pay_type="oem_warranty"),  # 3 300.00
        LineIn(kind="labour", operation_id=r.oil.pk, pay_type="extended_warranty"),  # 4 180.00
        LineIn(kind="labour", operation_id=r.oil.pk, pay_type="goodwill"),  # 5 120.00
        LineIn(kind="part", part_id=r.filter.pk, quantity=D(1)),  # 6 customer 88.00
    )
    lines = {line.position: line for line in Line.all_objects.filter(order=order)}
    world = r.world
    approvals_record(
        actor=world.user("insurance"),
        order_id=order.pk,
        data=ApprovalIn(
            kind="insurer_assessment",
            person="定损员 李",
            insurer="中国人保",
            claim_number="RDAA2026310000012345",
            deductible=D("50.00"),
            decisions=[Decision(lines[2].pk, True, assessed_amount=D("350.00"))],
        ),
    )
    approvals_record(
        actor=world.user("warranty"),
        order_id=order.pk,
        data=ApprovalIn(kind="oem_preauthorisation", not_required=True, decisions=[Decision(lines[3].pk, True)]),
    )
    approvals_record(
        actor=world.user("warranty"),
        order_id=order.pk,
        data=ApprovalIn(
            kind="provider_authorisation",
            provider="安盛延保",
            contract_number="EW-2025-0091",
            decisions=[Decision(lines[4].pk, True)],
        ),
    )
    approvals_record(
        actor=world.user("manager"),
        order_id=order.pk,
        data=ApprovalIn(kind="manager", note="老客户关怀", decisions=[Decision(lines[5].pk, True)]),
    )
    yard.ready(yard.inspected(yard.work(order)))
    # The insurer pays the 350.00 it assessed less the 50.00 deductible; the customer the deductible and the
    # 50.00 not assessed, with the oil change and the filter: 200.00 + 100.00 + 88.00.
    assert _settlements(order) == [
        ("customer", "", "388.00", "343.37", "44.63", "open"),
        ("insurer", "中国人保", "300.00", "265.49", "34.51", "open"),
        ("manufacturer", brand.name, "300.00", "265.49", "34.51", "open"),
        ("warranty_provider", "安盛延保", "180.00", "159.29", "20.71", "open"),
        ("store", "", "120.00", "120.00", "0.00", "open"),  # charged internally: no output VAT
    ]
    found = SettlementList.all_objects.get(order=order)
    assert str(found.amount) == "1288.00" == str(sum(line.amount for line in lines.values()))
    assert sum(Settlement.all_objects.filter(order=order).values_list("amount", flat=True), D(0)) == found.amount
    insured = SettlementCharge.objects.filter(line=lines[2]).order_by("settlement__payer")
    assert list(insured.values_list("settlement__payer", "gross", "amount")) == [
        ("customer", D("100.00"), D("100.00")),
        ("insurer", D("300.00"), D("300.00")),
    ]


def test_preparing_again_works_the_list_out_anew_and_a_confirmed_list_stays(yard: Yard) -> None:
    order = yard.ready()
    first = SettlementList.all_objects.get(order=order)
    again = settlement_prepare(order_id=order.pk, actor=yard.advisor)
    assert (again.pk, SettlementList.all_objects.filter(order=order).count()) == (first.pk, 1)
    assert _settlements(order) == [("customer", "", "688.00", "608.85", "79.15", "open")]
    assert SettlementCharge.objects.filter(settlement__order=order).count() == 3
    SettlementList.all_objects.filter(pk=first.pk).update(state="confirmed", number="JS-TEST")
    charges = list(SettlementCharge.objects.filter(settlement__order=order).values_list("pk", flat=True))
    kept = settlement_prepare(order_id=order.pk, actor=yard.advisor)
    assert (kept.number, list(SettlementCharge.objects.values_list("pk", flat=True).order_by("pk"))) == (
        "JS-TEST",
        sorted(charges),
    )


def test_an_order_not_ready_is_not_settled(yard: Yard) -> None:
    order = yard.order()
    with pytest.raises(ApplicationError) as refused:
        settlement_prepare(order_id=order.pk, actor=yard.advisor)
    assert (refused.value.status, refused.value.code) == (409, "not_ready")
    assert SettlementList.all_objects.count() == 0


def test_night_and_holiday_surcharges_on_the_customers_labour(yard: Yard) -> None:
    order = yard.completed()
    store = yard.store
    arrived = store_calendar(store).local(Visit.all_objects.get(pk=order.visit_id).arrived_at)
    window = (arrived - timedelta(hours=1)).time(), (arrived + timedelta(hours=1)).time()
    Surcharge.all_objects.create(store=store, kind="night", percent=D("20.00"), starts=window[0], ends=window[1])
    Surcharge.all_objects.create(store=store, kind="holiday", percent=D("50.00"))
    CalendarDay.objects.create(day=arrived.date(), kind="holiday", name="测试节")
    with translation.override("zh-hans"):
        yard.ready(yard.inspected(order))
    surcharged = SettlementCharge.objects.filter(settlement__order=order).exclude(surcharge="").order_by("position")
    # 20 % and 50 % of the oil change (200.00) and of the brake pads' labour (400.00); the filter has none.
    assert list(surcharged.values_list("surcharge", "category", "description", "quantity", "unit_price", "amount")) == [
        ("holiday", "other", "法定节假日服务 50% · 更换机油", D("1.000"), D("100.00"), D("100.00")),
        ("holiday", "other", "法定节假日服务 50% · 更换前制动片", D("1.000"), D("200.00"), D("200.00")),
        ("night", "other", "夜间服务 20% · 更换机油", D("1.000"), D("40.00"), D("40.00")),
        ("night", "other", "夜间服务 20% · 更换前制动片", D("1.000"), D("80.00"), D("80.00")),
    ]
    assert _settlements(order) == [("customer", "", "1108.00", "980.54", "127.46", "open")]


def test_a_surcharge_outside_its_window_or_inactive_is_not_charged(yard: Yard) -> None:
    order = yard.completed()
    store = yard.store
    arrived = store_calendar(store).local(Visit.all_objects.get(pk=order.visit_id).arrived_at)
    later = (arrived + timedelta(hours=1)).time(), (arrived + timedelta(hours=2)).time()
    Surcharge.all_objects.create(store=store, kind="night", percent=D("20.00"), starts=later[0], ends=later[1])
    Surcharge.all_objects.create(store=store, kind="holiday", percent=D("50.00"), is_active=False)
    CalendarDay.objects.create(day=arrived.date(), kind="holiday", name="测试节")
    yard.ready(yard.inspected(order))
    assert _settlements(order) == [("customer", "", "688.00", "608.85", "79.15", "open")]


@pytest.mark.parametrize(
    ("at", "inside"), [("23:30", True), ("05:59", True), ("06:00", False), ("21:59", False), ("22:00", True)]
)
def test_a_night_window_crosses_midnight(at: str, inside: bool) -> None:
    assert _in_window(time.fromisoformat(at), time(22, 0), time(6, 0)) is inside
    assert _in_window(time.fromisoformat(at), time(6, 0), time(22, 0)) is not inside


def test_amounts_in_fen_are_kept_exactly(yard: Yard) -> None:
    # 0.6 % of 200.00 is 1.20: net 1.06 and tax 0.14, which a database adding floats would not see as 1.20.
    order = yard.completed()
    arrived = store_calendar(yard.store).local(Visit.all_objects.get(pk=order.visit_id).arrived_at)
    window = (arrived - timedelta(hours=1)).time(), (arrived + timedelta(hours=1)).time()
    Surcharge.all_objects.create(store=yard.store, kind="night", percent=D("0.60"), starts=window[0], ends=window[1])
    yard.ready(yard.inspected(order))
    surcharged = SettlementCharge.objects.filter(settlement__order=order).exclude(surcharge="").order_by("position")
    assert list(surcharged.values_list("amount", "net", "tax")) == [
        (D("1.20"), D("1.06"), D("0.14")),
        (D("2.40"), D("2.12"), D("0.28")),
    ]


def test_fees_are_listed_under_what_they_are_for(yard: Yard) -> None:
    r = yard.shop.reception
    order = yard.order(
        LineIn(kind="labour", operation_id=r.oil.pk),
        LineIn(kind="fee", description="道路救援", unit_price=D("200"), fee_kind="rescue"),
        LineIn(kind="fee", description="拖车 12 km", unit_price=D("300"), fee_kind="towing"),
        LineIn(kind="fee", description="四轮定位检测", unit_price=D("120"), fee_kind="testing"),
        LineIn(kind="fee", description="停车费", unit_price=D("20")),
    )
    order = yard.ready(yard.inspected(yard.work(order)))
    charges = SettlementCharge.objects.filter(settlement__order=order).order_by("position")
    assert list(charges.values_list("category", "description", "amount")) == [
        ("labour", "更换机油", D("200.00")),
        ("rescue", "道路救援", D("200.00")),
        ("towing", "拖车 12 km", D("300.00")),
        ("testing", "四轮定位检测", D("120.00")),
        ("other", "停车费", D("20.00")),
    ]
