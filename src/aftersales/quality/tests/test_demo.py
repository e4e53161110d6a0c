"""Quality's part of ``aftersales demo``: in both stores, the workshop's finished maintenance inspected and
washed, a car delivered this morning and back with the same squeal, its comeback confirmed, a household car
whose window regulator was repaired four times in its 三包 period (the early warning raised and told); the
group's 三包 main parts; an internal quality evaluation with its sample drawn; idempotent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.test import TestCase

from aftersales.appointments.tests.factories import NOW, Clock
from aftersales.core import demo as core_demo
from aftersales.core.demo import demo_install
from aftersales.core.models import Store
from aftersales.customers.models import Vehicle, VehicleLink
from aftersales.messaging.models import Message, MessageTemplate
from aftersales.quality.demo import quality_demo_install
from aftersales.quality.models import (
    Comeback,
    ComebackLine,
    Delivery,
    FinalInspection,
    Guarantee,
    Handover,
    QualityAudit,
    SanbaoAlert,
    SanbaoPart,
    Wash,
)
from aftersales.quality.selectors import desk
from aftersales.quality.services.sanbao import warranty_watch
from aftersales.visits.models import Line, LineApproval, RepairOrder, Visit
from aftersales.workshop.demo import workshop_demo_install


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The demo up to quality's part, at NOW, once for the module, rolled back after its last test."""
    needed = ("customers", "parts", "catalogue", "appointments", "campaigns", "visits")
    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as monkeypatch, transaction.atomic():
        Clock(monkeypatch, NOW)
        extensions = [ext for ext in core_demo.DEMO_EXTENSIONS if ext.__module__.split(".")[1] in needed]
        monkeypatch.setattr(core_demo, "DEMO_EXTENSIONS", [*extensions, workshop_demo_install, quality_demo_install])
        monkeypatch.setattr(core_demo, "DEMO_FINISHERS", [])
        with TestCase.captureOnCommitCallbacks(execute=True):
            demo_install()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo_at_now(demo: None, db: None, monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, NOW)


@pytest.mark.parametrize("code", ["SH01", "SZ01"])
def test_each_store_has_a_car_waiting_for_handover_a_delivery_and_a_confirmed_comeback(
    demo_at_now: Clock, code: str
) -> None:
    store = Store.all_objects.get(code=code)
    assert {stage: [v.visit.needs for v in rows] for stage, rows in desk(store.pk).items()} == {
        "inspect": [],
        "wash": ["发动机故障灯亮"],  # the customer declined the repair: the diagnosis fee, nothing to inspect
        "handover": ["1万公里保养"],
        "check": [],
        "deliver": [],
    }
    delivery = Delivery.objects.get(store=store, visit__needs__startswith="刹车异响")
    assert (delivery.collector, delivery.rating, delivery.keys_handed, len(delivery.free_checks)) == (
        "customer",
        5,
        True,
        24,
    )
    assert [check["check"] for check in delivery.free_checks if check["result"] == "amber"] == ["雨刮片"]
    [guarantee] = Guarantee.objects.filter(store=store, order__visit=delivery.visit)
    assert (guarantee.repair_category, guarantee.days, guarantee.km, guarantee.km_to) == (
        "minor",
        10,
        2000,
        delivery.mileage_out + 2000,
    )
    comeback = Comeback.all_objects.get(store=store)
    assert (comeback.state, comeback.in_guarantee, comeback.original.visit_id) == ("confirmed", True, delivery.visit_id)
    assert list(ComebackLine.objects.filter(comeback=comeback).values_list("matched_by", flat=True)) == [
        ["category", "part", "fault"]
    ]
    [line] = Line.all_objects.filter(order=comeback.order)
    assert (line.pay_type, line.state, line.unit_price) == ("comeback", "approved", Decimal("120.00"))
    assert LineApproval.objects.filter(line=line, kind="qc_confirmation").count() == 1
    # The maintenance, the brakes and the four repairs of the 三包 car's window.
    assert FinalInspection.objects.filter(store=store, passed=True).count() == 6
    assert Wash.objects.filter(store=store).count() == 6
    assert RepairOrder.all_objects.get(pk=comeback.original_id).state == "delivered"


@pytest.mark.parametrize(
    ("code", "model", "regulator"),
    [("SH01", "卡罗拉", "04106-YZZ6B"), ("SZ01", "帕萨特", "5Q0-134-000-E")],
)
def test_each_store_has_a_household_car_one_repair_short_of_the_same_problem_rule(
    demo_at_now: Clock, code: str, model: str, regulator: str
) -> None:
    store = Store.all_objects.get(code=code)
    [alert] = SanbaoAlert.all_objects.filter(store=store)
    car = Vehicle.objects.select_related("model").get(pk=alert.vehicle_id)
    # A household car bought 330 days ago (NOW is 26 November 2026): its 三包 period runs two years from then.
    assert car.model is not None
    assert (car.model.series, car.use_type, car.purchase_date, car.delivery_date) == (
        model,
        "household",
        date(2025, 12, 31),
        date(2025, 12, 31),
    )
    assert (car.warranty_start, car.sanbao_end, car.sanbao_km_limit) == (
        date(2025, 12, 31),
        date(2027, 12, 30),
        50_000,
    )
    owner = VehicleLink.objects.get(vehicle=car, role="owner", valid_to=None).customer
    # Four visits over the months, each delivered: the order signed two hours before the pickup notice.
    visits = list(Visit.all_objects.filter(vehicle=car).order_by("arrived_at"))
    assert [(visit.state, visit.mileage_in, visit.customer_id) for visit in visits] == [
        ("delivered", km, owner.pk) for km in (2_640, 5_910, 9_080, 11_820)
    ]
    orders = list(RepairOrder.all_objects.filter(vehicle=car).order_by("signed_at"))
    assert [order.state for order in orders] == ["delivered"] * 4
    notices = dict(Handover.objects.filter(visit__in=visits).values_list("visit_id", "notified_at"))
    assert [(notices[order.visit_id] - order.signed_at).total_seconds() for order in orders] == [7200.0] * 4
    lines = Line.all_objects.filter(order__in=orders).select_related("causal_part", "operation")
    assert (
        sorted(
            (
                row.kind,
                row.state,
                row.pay_type,
                row.operation.code[-3:],
                row.fault_symptom,
                row.causal_part.number_display,
            )
            for row in lines
            if row.operation is not None and row.causal_part is not None
        )
        == [("labour", "done", "oem_warranty", "E03", "左前车窗升降时异响、偶发卡滞", regulator)] * 4
    )
    assert lines.count() == 4
    # The regulator of the car's own series.
    assert {row.causal_part.name.split(" ")[0] for row in lines if row.causal_part} == {f"玻璃升降器({model}"}
    # None of them a comeback: each repair's guarantee had run out when the car came back.
    assert not Comeback.all_objects.filter(vehicle_id=car.pk).exists()
    # The watch: four repairs of the same problem in the 三包 period, the early warning of the fifth's rule.
    watch = warranty_watch(car, group_ids=[store.group_id])
    assert [(visit.day, visit.mileage, visit.days, visit.in_sanbao) for visit in watch.visits] == [
        (71, 2_640, 1, True),
        (151, 5_910, 1, True),
        (231, 9_080, 1, True),
        (301, 11_820, 1, True),
    ]
    assert (len(watch.repairs), watch.repair_days, watch.cannot) == (4, 4, [])
    [problem] = watch.problems
    assert (problem.key, len(problem.repairs), len(problem.replacements), problem.is_main) == (
        f"part:{lines[0].causal_part_id}",
        4,
        0,
        False,
    )
    assert [(result.rule.code, result.level) for result in watch.results if result.level != "ok"] == [
        ("same_problem", "warning")
    ]
    # Raised once, open, and told to the visit's advisor and the store's after-sales manager.
    assert (alert.rule, alert.level, alert.key, alert.value, alert.threshold, alert.state) == (
        "same_problem",
        "warning",
        problem.key,
        4,
        4,
        "open",
    )
    assert alert.orders == [order.number for order in orders]
    assert watch.alerts == [alert]
    told = Message.objects.filter(event="sanbao_alert", about_type="quality.sanbaoalert", about_id=alert.pk)
    assert sorted(told.values_list("channel", "user__username")) == [
        ("inapp", f"advisor_{code.lower()}"),
        ("inapp", f"service_manager_{code.lower()}"),
    ]


def test_the_group_lists_an_assembly_and_main_parts_of_each_brand(demo_at_now: Clock) -> None:
    listed = SanbaoPart.objects.select_related("part__brand").order_by("part__brand__code", "system", "part__name")
    assert [(row.part.brand.code, row.part.name, row.system, row.is_assembly) for row in listed] == [
        ("BYD", "驱动电机定子总成", "drive_motor", False),
        ("BYD", "下摆臂(汉 2016-2018款)", "suspension", False),
        ("BYD", "动力电池总成(刀片电池)", "traction_battery", True),
        ("TOYOTA", "发动机总成(A25A)", "engine", True),
        ("TOYOTA", "变速箱阀体(UB80E)", "gearbox", False),
        ("TOYOTA", "下摆臂(凯美瑞 2016-2018款)", "suspension", False),
        ("VW", "发动机总成(EA888)", "engine", True),
        ("VW", "变速箱阀体(DQ381)", "gearbox", False),
        ("VW", "下摆臂(帕萨特 2016-2018款)", "suspension", False),
    ]
    assert {row.group_id for row in listed} == {Store.all_objects.get(code="SH01").group_id}


def test_the_pickup_notice_went_by_sms_and_the_demo_runs_once(demo_at_now: Clock) -> None:
    assert MessageTemplate.objects.get(event="pickup_notice", channel="sms").is_active is True
    # The brakes' delivery and the four of the window in each store.
    assert Message.objects.filter(event="pickup_notice", channel="sms").count() == 10
    alerts, parts = SanbaoAlert.all_objects.count(), SanbaoPart.objects.count()
    assert quality_demo_install() == 0
    assert (SanbaoAlert.all_objects.count(), SanbaoPart.objects.count()) == (alerts, parts)


def test_each_store_has_an_internal_evaluation_with_its_sample_drawn(demo_at_now: Clock) -> None:
    audits = QualityAudit.all_objects.select_related("store").order_by("store__code")
    assert [(a.store.code, a.kind, a.state, a.auditor, a.sample_size, a.samples.count()) for a in audits] == [
        ("SH01", "internal", "open", "售后服务部 质量专员", 5, 5),
        ("SZ01", "internal", "open", "售后服务部 质量专员", 5, 5),
    ]
    for audit in audits:  # delivered orders of its own store, none reviewed yet
        samples = list(audit.samples.select_related("order"))
        assert {s.order.store_id for s in samples} == {audit.store_id}
        assert {s.order.state for s in samples} <= {"delivered", "closed"}
        assert {s.result for s in samples} == {""}
