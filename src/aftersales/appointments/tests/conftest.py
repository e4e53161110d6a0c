"""A store that books: business hours every day 08:30-18:00, three technicians with shifts, catalogue
operations of three skills and bay types, a package with parts on the shelf, a customer with a car,
and the booking messages active on SMS."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales.appointments.models import Shift, Technician
from aftersales.catalogue.models import LabourOperation, PackageItem, ServicePackage
from aftersales.catalogue.tests.factories import LabourOperationFactory
from aftersales.conftest import World
from aftersales.core.models import Bay, Certificate, StaffMembership, StaffProfile, Store, User
from aftersales.customers.models import Customer, Vehicle
from aftersales.customers.tests.factories import CustomerFactory, VehicleFactory
from aftersales.messaging.models import MessageTemplate
from aftersales.parts.models import Bin, Part
from aftersales.parts.services import ReceiptLine, stock_receive
from aftersales.parts.tests.factories import BinFactory, PartFactory, WarehouseFactory

HOURS = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "08:30-18:00")


@dataclass
class Booking:
    world: World
    store: Store
    technicians: list[Technician]
    oil: LabourOperation  # 1.00 h, junior, general lift
    alignment: LabourOperation  # 0.50 h, intermediate, alignment bay
    ev: LabourOperation  # 2.00 h, senior, EV high-voltage certificate, EV bay
    package: ServicePackage  # oil change + filter and 4.5 litres of oil
    filter: Part
    oil_part: Part
    bin: Bin
    customer: Customer
    vehicle: Vehicle

    @property
    def agent(self) -> User:
        return self.world.user("crm")

    def day(self, days: int = 1) -> date:
        """A day ``days`` after today in Shanghai."""
        return timezone.now().astimezone(self.store.zone).date() + timedelta(days=days)

    def at(self, hhmm: str, days: int = 1) -> datetime:
        return datetime.combine(self.day(days), time.fromisoformat(hhmm), tzinfo=self.store.zone)


def technician(
    store: Store, username: str, *, skill: str, efficiency: str = "1.00", certificate: str = ""
) -> Technician:
    user = User.objects.create(username=username, full_name=username)
    StaffMembership.objects.create(
        store=store,
        user=user,
        role_id=StaffMembership.objects.filter(user__username="technician_sh").values_list("role_id", flat=True).get(),
    )
    profile = StaffProfile.objects.create(user=user, skill_level=skill)
    if certificate:
        Certificate.objects.create(profile=profile, kind=certificate, name=certificate)
    row = Technician.objects.create(store=store, user=user, efficiency=Decimal(efficiency))
    Shift.objects.bulk_create(Shift(technician=row, weekday=d, starts=time(8, 30), ends=time(17, 30)) for d in range(7))
    return row


@pytest.fixture
def booking(world: World) -> Booking:
    store = world.sh
    store.business_hours = HOURS
    store.save()
    Bay.objects.create(store=store, code="AL1", kind="alignment")
    group = store.group
    techs = [
        technician(store, "tech_junior", skill="junior"),
        technician(store, "tech_mid", skill="intermediate", efficiency="1.25"),
        technician(store, "tech_senior", skill="senior", certificate="ev_hv"),
    ]
    oil = LabourOperationFactory.create(
        group=group, code="MT01", name="更换机油", default_hours=Decimal("1.00"), bay_kind="general_lift"
    )
    alignment = LabourOperationFactory.create(
        group=group,
        code="AL01",
        name="四轮定位",
        default_hours=Decimal("0.50"),
        skill_level="intermediate",
        bay_kind="alignment",
    )
    ev = LabourOperationFactory.create(
        group=group,
        code="EV01",
        name="高压系统检查",
        default_hours=Decimal("2.00"),
        skill_level="senior",
        certificate="ev_hv",
        bay_kind="ev_hv",
        category="ev",
    )
    brand = store.brands.first()
    part = PartFactory.create(
        group=group, brand=brand, number_display="06L-115-562", number="06L115562", name="机油滤清器"
    )
    oil_part = PartFactory.create(
        group=group, brand=brand, number_display="G055-167", number="G055167", name="机油", unit="litre", decimals=1
    )
    package = ServicePackage.objects.create(group=group, brand=brand, code="PK10", name="1万公里保养")
    PackageItem.objects.create(package=package, kind="labour", operation=oil)
    PackageItem.objects.create(package=package, kind="part", part=part, quantity=Decimal(1))
    PackageItem.objects.create(package=package, kind="consumable", part=oil_part, quantity=Decimal("4.5"))
    bin_ = BinFactory.create(store=store, warehouse=WarehouseFactory.create(store=store, code="MAIN"), code="A-01")
    stock_receive(
        actor=world.user("parts"),
        store_id=store.pk,
        lines=[
            ReceiptLine(part_id=part.pk, bin_id=bin_.pk, quantity=Decimal(3), unit_cost=Decimal("30.00")),
            ReceiptLine(part_id=oil_part.pk, bin_id=bin_.pk, quantity=Decimal(8), unit_cost=Decimal("60.00")),
        ],
    )
    MessageTemplate.objects.filter(event__startswith="appointment_", channel="sms").update(
        is_active=True, sms_sign_name="华东汽车", sms_template_code="SMS_200001"
    )
    customer = CustomerFactory.create(name="张伟", mobiles=["13912345678"])
    vehicle = VehicleFactory.create(owner=customer, plate="沪A12345")
    return Booking(world, store, techs, oil, alignment, ev, package, part, oil_part, bin_, customer, vehicle)
