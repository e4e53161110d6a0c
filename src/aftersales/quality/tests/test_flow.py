"""The path of a finished order to the customer: final inspection, wash, handover, the advisor's check,
delivery; what each step writes."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from django.utils import timezone

from aftersales.customers.models import MileageReading, Vehicle
from aftersales.messaging.models import Message
from aftersales.quality.models import Guarantee, ReleaseCertificate
from aftersales.visits.models import RepairOrder, RepairOrderEvent, Visit

from .conftest import Yard


def test_a_finished_order_is_inspected_washed_handed_over_checked_and_delivered(
    yard: Yard, django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[Any]]
) -> None:
    customer = yard.shop.reception.customer
    customer.email = "zhangwei@example.com"
    customer.save()
    order = yard.inspected()
    certificate = ReleaseCertificate.objects.get(order=order)
    year = timezone.now().astimezone(yard.store.zone).year
    assert (certificate.number, certificate.source, certificate.signed_by) == (
        f"QC-{yard.store.code}-{year}-000001",
        "store",
        yard.qc,
    )
    assert order.state == "completed"
    with django_capture_on_commit_callbacks(execute=True):
        delivery = yard.delivered(yard.ready(order))
    order = RepairOrder.all_objects.get(pk=order.pk)
    visit = Visit.all_objects.get(pk=order.visit_id)
    assert (order.state, visit.state, delivery.mileage_out, delivery.keys_handed) == (
        "delivered",
        "delivered",
        52_305,
        True,
    )
    actions = list(
        RepairOrderEvent.objects.filter(order=order, line=None).order_by("pk").values_list("action", flat=True)
    )
    assert actions == ["sign", "start_work", "complete", "inspect", "ready", "deliver"]
    guarantees = {
        g.line.position: (g.repair_category, g.days, g.km, g.km_to) for g in Guarantee.objects.filter(order=order)
    }
    assert guarantees == {1: ("first_level", 10, 2000, 54_305), 3: ("assembly", 100, 20_000, 72_305)}
    vehicle = Vehicle.objects.get(pk=order.vehicle_id)
    assert (vehicle.next_service_km, MileageReading.objects.filter(vehicle=vehicle).order_by("-pk").first().km) == (
        62_300,
        52_305,
    )
    assert Message.objects.filter(event="pickup_notice").count() == 1
    assert Message.objects.filter(event="quality_car_washed", user=yard.advisor).count() == 1
