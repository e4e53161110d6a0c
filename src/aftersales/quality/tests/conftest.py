"""A yard: the workshop's shop (three technicians, the foreman, bays) and a signed order of three lines
taken through the workshop by technician_sh: oil change (1 h, first-level maintenance), the oil filter
(issued from the shelf), front brake pads labour (2 h, assembly repair of a recorded fault, in-process
inspection kept). ``Yard`` moves it on, step by step, as each page or service would: inspected by
qc_sh, washed by washer_sh, handed over by foreman_sh, checked by advisor_sh, delivered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales.billing.tests.settle import paid
from aftersales.core.models import User
from aftersales.customers.models import MileageReading
from aftersales.quality.models import Delivery, Handover, Wash
from aftersales.quality.services import (
    CheckIn,
    DeliveryIn,
    FreeCheckIn,
    HandoverIn,
    InspectionIn,
    LineCheckIn,
    ReadyIn,
    WashIn,
    checklist,
    delivery_record,
    final_inspection_record,
    handover_record,
    pickup_arrived,
    quality_settings,
    ready_check,
    wash_record,
)
from aftersales.quality.services.delivery import agreed_lines
from aftersales.visits.models import Line, RepairOrder, Visit
from aftersales.visits.services import DiagnosisIn, LineIn, diagnosis_save, visit_open
from aftersales.visits.tests.conftest import signature_png
from aftersales.workshop.services import (
    ClockIn,
    DispatchIn,
    clock,
    dispatch,
    inspection_record,
    parts_request,
    parts_request_issue,
)
from aftersales.workshop.services.work import InspectionItem
from aftersales.workshop.tests.conftest import HOURS, Shop, reception, shop

__all__ = ["HOURS", "reception", "shop"]


@dataclass
class Yard:
    shop: Shop

    @property
    def qc(self) -> User:
        return self.shop.reception.world.user("qc")

    @property
    def washer(self) -> User:
        return self.shop.reception.world.user("washer")

    @property
    def advisor(self) -> User:
        return self.shop.advisor

    @property
    def store(self):  # type: ignore[no-untyped-def]
        return self.shop.store

    def order(self, *lines: LineIn) -> RepairOrder:
        """A signed order on the car's visit on site, or on a new visit (52,300 km, or 100 km past the last
        reading)."""
        r = self.shop.reception
        if not Visit.all_objects.filter(vehicle=r.vehicle, state=Visit.State.ON_SITE).exists():
            latest = MileageReading.objects.filter(vehicle=r.vehicle).order_by("-read_on", "-pk").first()
            visit = visit_open(
                actor=r.advisor,
                data=r.visit_in(promised_at=r.later(4), mileage_in=max(52_300, (latest.km if latest else 0) + 100)),
            )
            diagnosis_save(
                actor=r.advisor,
                visit_id=visit.pk,
                data=DiagnosisIn(symptoms="制动异响", pre_repair_record="前轮制动片磨损至 2mm"),
            )
        return self.shop.order(
            *(
                lines
                or (
                    LineIn(kind="labour", operation_id=r.oil.pk),
                    LineIn(kind="part", part_id=r.filter.pk, quantity=Decimal(1)),
                    LineIn(
                        kind="labour",
                        operation_id=r.brakes.pk,
                        fault_code="c1234",
                        symptom="制动异响",
                        causal_part_id=r.pads.pk,
                    ),
                )
            )
        )

    def work(self, order: RepairOrder, technician: User | None = None, *, issue: bool = True) -> RepairOrder:
        """Dispatch every approved labour line to ``technician`` (technician_sh), issue the parts, clock each
        job on and off (an in-process inspection where the category needs one): the order is completed.
        ``issue`` False: the part lines stay approved, not issued."""
        tech = technician or self.shop.middle
        start = timezone.now() - timedelta(hours=3)
        labour = list(Line.all_objects.filter(order=order, kind="labour", state="approved").order_by("position"))
        jobs = [
            dispatch(actor=self.shop.foreman, order_id=order.pk, data=DispatchIn(line.pk, technician_id=tech.pk))
            for line in labour
        ]
        parts = Line.all_objects.filter(order=order, kind="part", state="approved").select_related("part")
        for line in parts if issue else ():
            request = parts_request(actor=tech, order_id=order.pk, line_id=line.pk)
            parts_request_issue(
                actor=self.shop.reception.world.user("parts"), request_id=request.pk, part_number=line.part.number
            )
        for job, line in zip(jobs, labour, strict=True):
            self.clock_through(job.pk, line, tech, start)
            start += timedelta(minutes=70)
        return RepairOrder.all_objects.get(pk=order.pk)

    def clock_through(self, job_id: int, line: Line, tech: User, start) -> None:  # type: ignore[no-untyped-def]
        clock(actor=tech, job_id=job_id, data=ClockIn("on"), now=start)
        if line.repair_category in ("assembly", "whole_vehicle", "second_level"):
            inspection_record(actor=self.shop.foreman, job_id=job_id, items=[InspectionItem("制动片安装", True)])
        clock(
            actor=tech,
            job_id=job_id,
            data=ClockIn("off", fault_verified=True, report="更换完成，路试正常"),
            now=start + timedelta(minutes=60),
        )

    def completed(self) -> RepairOrder:
        return self.work(self.order())

    def passing(self, order: RepairOrder, **changes: object) -> InspectionIn:
        data = InspectionIn(
            checks=[CheckIn(True) for _check in checklist(order)],
            road_test="not_needed",
            passed=True,
            fault_verified=True,
            repair_advice="建议 5000 公里后检查制动片",
            driving_advice="新制动片磨合期 200 公里内避免急刹",
            signature=signature_png(),
        )
        for name, value in changes.items():
            setattr(data, name, value)
        return data

    def inspected(self, order: RepairOrder | None = None) -> RepairOrder:
        order = order or self.completed()
        final_inspection_record(actor=self.qc, order_id=order.pk, data=self.passing(order))
        return RepairOrder.all_objects.get(pk=order.pk)

    def wash_in(self, visit: Visit, **changes: object) -> WashIn:
        data = WashIn(
            spot="F-03",
            nose_out=True,
            washer_id=self.washer.pk,
            checks=[True] * len(quality_settings(visit.store_id).wash_checks),
        )
        for name, value in changes.items():
            setattr(data, name, value)
        return data

    def washed(self, order: RepairOrder | None = None) -> Wash:
        order = order or self.inspected()
        return wash_record(actor=self.washer, visit_id=order.visit_id, data=self.wash_in(order.visit))

    def handed_over(self, order: RepairOrder | None = None) -> Handover:
        order = order or self.inspected()
        self.washed(order)
        return handover_record(
            actor=self.shop.foreman,
            visit_id=order.visit_id,
            data=HandoverIn(keys="K-07 两把", explanation="更换机油、滤清器和前制动片；建议 5000 公里后检查制动片"),
        )

    def ready_in(self, visit: Visit, **changes: object) -> ReadyIn:
        orders = list(RepairOrder.all_objects.filter(visit=visit).exclude(state="cancelled"))
        data = ReadyIn(
            lines=[LineCheckIn(line.pk, True) for line in agreed_lines(orders)], car_checked=True, pickup_spot="P-01"
        )
        for name, value in changes.items():
            setattr(data, name, value)
        return data

    def ready(self, order: RepairOrder | None = None) -> RepairOrder:
        order = order or self.inspected()
        self.handed_over(order)
        ready_check(actor=self.advisor, visit_id=order.visit_id, data=self.ready_in(order.visit))
        return RepairOrder.all_objects.get(pk=order.pk)

    def delivery_in(self, visit: Visit, **changes: object) -> DeliveryIn:
        data = DeliveryIn(
            collector="customer",
            collector_name="张伟",
            signature=signature_png(),
            mileage_out=visit.mileage_in + 5,
            keys_handed=True,
            next_service_on=date.today() + timedelta(days=180),
            next_service_km=visit.mileage_in + 10_000,
            free_checks=[FreeCheckIn("green") for _check in quality_settings(visit.store_id).delivery_checks],
            rating=5,
        )
        for name, value in changes.items():
            setattr(data, name, value)
        return data

    @property
    def cashier(self) -> User:
        return self.shop.reception.world.user("cashier")

    def paid(self, order: RepairOrder) -> None:
        """The visit's ready orders settled at the counter (the guard on ``deliver``)."""
        paid(order, advisor=self.advisor, cashier=self.cashier)

    def delivered(self, order: RepairOrder | None = None, *, pay: bool = True) -> Delivery:
        order = order or self.ready()
        if pay:
            self.paid(order)
        pickup_arrived(actor=self.advisor, visit_id=order.visit_id)
        visit = Visit.all_objects.get(pk=order.visit_id)
        return delivery_record(actor=self.advisor, visit_id=visit.pk, data=self.delivery_in(visit))


@pytest.fixture
def yard(shop: Shop) -> Yard:
    return Yard(shop)
