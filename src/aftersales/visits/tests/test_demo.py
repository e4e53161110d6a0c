"""The visits' part of ``aftersales demo``: today's cars of both stores in every stage of reception, made
through the services, idempotent."""

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
from aftersales.messaging.models import CustomerLink, Message
from aftersales.visits.models import Line, RepairOrder, Visit
from aftersales.visits.selectors import visits_on_site

STAGES = ["arrived", "arrived", "walked_around", "diagnosed", "signed", "awaiting_approval", "in_workshop", "signed"]


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The demo as reception needs it (the archive, parts, catalogue, bookings and campaigns first), at NOW,
    installed once for the module in a transaction rolled back after its last test."""
    needed = ("customers", "parts", "catalogue", "appointments", "campaigns", "visits")
    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as monkeypatch, transaction.atomic():
        Clock(monkeypatch, NOW)
        monkeypatch.setattr(
            core_demo,
            "DEMO_EXTENSIONS",
            [extension for extension in core_demo.DEMO_EXTENSIONS if extension.__module__.split(".")[1] in needed],
        )
        monkeypatch.setattr(core_demo, "DEMO_FINISHERS", [])
        with TestCase.captureOnCommitCallbacks(execute=True):
            demo_install()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo_at_now(demo: None, db: None, monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, NOW)


@pytest.mark.parametrize("code", ["SH01", "SZ01"])
def test_each_store_has_cars_in_every_stage_of_reception(demo_at_now: Clock, code: str) -> None:
    store = Store.all_objects.get(code=code)
    rows = visits_on_site(store)
    assert [row.stage.code for row in rows] == STAGES[1:] if rows[0].visit.appointment_id is None else STAGES
    left = Visit.all_objects.get(store=store, state="left")
    assert (left.needs, left.events.last().note) == ("咨询轮胎价格", "只咨询价格，未下单")
    received = Visit.all_objects.filter(store=store).exclude(appointment=None).get()
    assert (received.appointment.state, received.appointment.vehicle_id) == ("arrived", received.vehicle_id)


def test_the_orders_wait_for_decisions_and_the_workshop_started(demo_at_now: Clock) -> None:
    store = Store.all_objects.get(code="SH01")
    orders = {order.visit.needs: order for order in RepairOrder.all_objects.filter(store=store).select_related("visit")}
    waiting = orders["保养；刹车有异响；前保险杠刮擦走保险"]
    assert [(ln.pay_type, ln.state) for ln in waiting.lines.order_by("position")] == [
        ("customer", "approved"),
        ("customer", "proposed"),
        ("customer", "proposed"),
        ("insurance", "proposed"),
        ("insurance", "proposed"),
    ]
    link = CustomerLink.objects.get(purpose="repair_approval", object_id=waiting.pk)
    assert (link.revoked_at, link.uses) == (None, 0)
    sms = Message.objects.get(event="repair_approval_request", about_id=waiting.pk)
    assert (sms.channel, sms.template.sms_sign_name, sms.recipient_name) == ("sms", "华东汽车", waiting.customer.name)
    assert sms.body.endswith(f"/l/{sms.variables['url'].rsplit('/l/', 1)[1]}")
    in_work = next(order for order in orders.values() if order.state == "in_work")
    # Its labour is dispatched and clocked in the workshop (the workshop's demo): approved, not dispatched here.
    assert in_work.lines.order_by("position").first().state == "approved"
    fee = Line.all_objects.get(order__store=store, source="diagnosis_fee")
    assert (fee.state, fee.amount, fee.order.state) == ("done", Decimal("100.00"), "open")


def test_every_orders_events_replay_to_its_state(demo_at_now: Clock) -> None:
    for order in RepairOrder.all_objects.all():
        states: dict[object, str] = {line.pk: "proposed" for line in order.lines.all()}
        for event in order.events.order_by("pk"):
            key = event.line_id or "order"
            assert states.get(key, "") == event.from_state, (order.number, event.action)
            states[key] = event.to_state
        assert states == {"order": order.state, **{line.pk: line.state for line in order.lines.all()}}


def test_the_demo_run_again_changes_nothing(demo_at_now: Clock) -> None:
    visits, orders = Visit.all_objects.count(), RepairOrder.all_objects.count()
    assert demo_install().created == 0
    assert (Visit.all_objects.count(), RepairOrder.all_objects.count()) == (visits, orders) == (16, 8)
