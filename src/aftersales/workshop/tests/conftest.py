"""A workshop: the reception store (visits' fixtures) with three technicians of different levels on shift
every day 08:30-17:30 (李师傅 senior with the EV high-voltage licence, technician_sh intermediate, 王师傅
junior), the foreman, bays of three types, an EV operation, and a signed order of four lines: oil change
(1 h, first-level maintenance), the oil filter (on the shelf), front brake pads (2 h, assembly repair of a
recorded fault, pre-repair record kept) and the pads (none on the shelf)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from decimal import Decimal

import pytest

from aftersales.appointments.models import Shift, Technician
from aftersales.catalogue.models import LabourOperation
from aftersales.catalogue.tests.factories import LabourOperationFactory
from aftersales.core.models import Bay, Certificate, Role, StaffMembership, StaffProfile, User
from aftersales.visits.models import Line, RepairOrder, Visit
from aftersales.visits.services import DiagnosisIn, LineIn, diagnosis_save, repair_order_create, visit_open
from aftersales.visits.services.orders import OrderIn
from aftersales.visits.tests.conftest import HOURS, Reception, reception, signature_png

__all__ = ["HOURS", "reception"]


@dataclass
class Shop:
    reception: Reception
    senior: User  # 李师傅, EV licence
    middle: User  # technician_sh
    junior: User  # 王师傅
    lift: Bay
    quick: Bay
    ev_bay: Bay
    ev_operation: LabourOperation

    @property
    def foreman(self) -> User:
        return self.reception.world.user("foreman")

    @property
    def advisor(self) -> User:
        return self.reception.advisor

    @property
    def store(self):  # type: ignore[no-untyped-def]
        return self.reception.store

    def order(self, *lines: LineIn, promised_hours: int = 4) -> RepairOrder:
        """A signed order on a new visit of the fixture's car (default: the four lines above)."""
        r = self.reception
        visit = Visit.all_objects.filter(vehicle=r.vehicle, state=Visit.State.ON_SITE).first()
        if visit is None:
            visit = visit_open(actor=r.advisor, data=r.visit_in(promised_at=r.later(promised_hours)))
            diagnosis_save(
                actor=r.advisor,
                visit_id=visit.pk,
                data=DiagnosisIn(symptoms="制动异响", pre_repair_record="前轮制动片磨损至 2mm"),
            )
        return repair_order_create(
            actor=r.advisor,
            visit_id=visit.pk,
            data=OrderIn(
                statement="保养，刹车有异响",
                signature=signature_png(),
                signed_name="张伟",
                lines=list(lines)
                or [
                    LineIn(kind="labour", operation_id=r.oil.pk),
                    LineIn(kind="part", part_id=r.filter.pk, quantity=Decimal(1)),
                    LineIn(
                        kind="labour",
                        operation_id=r.brakes.pk,
                        fault_code="c1234",
                        symptom="制动异响",
                        causal_part_id=r.pads.pk,
                    ),
                    LineIn(kind="part", part_id=r.pads.pk, quantity=Decimal(1)),
                ],
            ),
        )

    def line(self, order: RepairOrder, position: int) -> Line:
        return Line.all_objects.get(order=order, position=position)


def _technician(shop_store, user: User, level: str, efficiency: str) -> None:  # type: ignore[no-untyped-def]
    profile, _created = StaffProfile.objects.get_or_create(user=user)
    profile.skill_level = level
    profile.save()
    technician = Technician.objects.create(store=shop_store, user=user, efficiency=Decimal(efficiency))
    Shift.objects.bulk_create(
        Shift(technician=technician, weekday=day, starts=time(8, 30), ends=time(17, 30)) for day in range(7)
    )


@pytest.fixture
def shop(reception: Reception) -> Shop:
    world, store = reception.world, reception.store
    role = Role.objects.get(code="technician")
    senior = User.objects.create(username="li_sh", full_name="李师傅")
    junior = User.objects.create(username="wang_sh", full_name="王师傅")
    for user in (senior, junior):
        StaffMembership.objects.create(user=user, store=store, role=role)
    _technician(store, senior, "senior", "1.20")
    _technician(store, world.user("technician"), "intermediate", "1.00")
    _technician(store, junior, "junior", "0.90")
    Certificate.objects.create(profile=senior.profile, kind="ev_hv", name="高压电工作业证")
    lift = Bay.objects.create(store=store, code="L01", kind="general_lift")
    quick = Bay.objects.create(store=store, code="Q01", kind="quick_service")
    ev_bay = Bay.objects.create(store=store, code="EV01", kind="ev_hv")
    ev_operation = LabourOperationFactory.create(
        group=store.group,
        code="EV01",
        name="动力电池绝缘检测",
        default_hours=Decimal("1.50"),
        category="ev",
        skill_level="intermediate",
        certificate="ev_hv",
        bay_kind="ev_hv",
    )
    reception.brakes.skill_level = "intermediate"
    reception.brakes.save()
    return Shop(reception, senior, world.user("technician"), junior, lift, quick, ev_bay, ev_operation)
