"""Quality's part of ``aftersales demo``: in both stores, the workshop's finished maintenance inspected and
washed, a car delivered this morning and back with the same squeal, its comeback confirmed; idempotent."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.test import TestCase

from aftersales.appointments.tests.factories import NOW, Clock
from aftersales.core import demo as core_demo
from aftersales.core.demo import demo_install
from aftersales.core.models import Store
from aftersales.messaging.models import Message, MessageTemplate
from aftersales.quality.demo import quality_demo_install
from aftersales.quality.models import Comeback, ComebackLine, Delivery, FinalInspection, Guarantee, Wash
from aftersales.quality.selectors import desk
from aftersales.visits.models import Line, LineApproval, RepairOrder
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
    delivery = Delivery.objects.get(store=store)
    assert (delivery.collector, delivery.rating, delivery.keys_handed, len(delivery.free_checks)) == (
        "customer",
        5,
        True,
        24,
    )
    assert [check["check"] for check in delivery.free_checks if check["result"] == "amber"] == ["雨刮片"]
    [guarantee] = Guarantee.objects.filter(store=store)
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
    assert FinalInspection.objects.filter(store=store, passed=True).count() == 2
    assert Wash.objects.filter(store=store).count() == 2
    assert RepairOrder.all_objects.get(pk=comeback.original_id).state == "delivered"


def test_the_pickup_notice_went_by_sms_and_the_demo_runs_once(demo_at_now: Clock) -> None:
    assert MessageTemplate.objects.get(event="pickup_notice", channel="sms").is_active is True
    assert Message.objects.filter(event="pickup_notice", channel="sms").count() == 2
    assert quality_demo_install() == 0
