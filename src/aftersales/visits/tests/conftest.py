"""A store that receives cars: open every day 08:30-18:00, labour rates for every pay type, operations
of maintenance and repair, two parts with guide and claim prices (one on the shelf), the default
walk-around checklist and a diagnosis fee, a customer with a car that has a mileage history."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from PIL import Image

from aftersales.catalogue.models import LabourOperation, LabourRate
from aftersales.catalogue.paytypes import PayType
from aftersales.catalogue.tests.factories import LabourOperationFactory
from aftersales.conftest import World
from aftersales.core.models import Store, User
from aftersales.customers.models import Customer, MileageReading, Vehicle
from aftersales.customers.tests.factories import CustomerFactory, VehicleFactory
from aftersales.parts.models import Bin, Part, PartPrice
from aftersales.parts.services import ReceiptLine, stock_receive
from aftersales.parts.tests.factories import BinFactory, PartFactory, WarehouseFactory
from aftersales.visits.models import ReceptionSettings
from aftersales.visits.services import VisitIn, visit_open
from aftersales.visits.services.inspection import checklist_install

HOURS = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "08:30-18:00")


def signature_png() -> str:
    """A pad's drawing as the browser sends it: a PNG data URL."""
    buffer = io.BytesIO()
    image = Image.new("RGBA", (120, 40), (255, 255, 255, 0))
    for x in range(10, 110):
        image.putpixel((x, 20), (0, 0, 0, 255))
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@dataclass
class Reception:
    world: World
    store: Store
    oil: LabourOperation  # 1.00 h, first-level maintenance
    brakes: LabourOperation  # 2.00 h, assembly repair (a pre-repair diagnosis record)
    filter: Part  # retail 88.00, claim 60.00; 3 on the shelf
    pads: Part  # retail 420.00, claim 300.00; none on the shelf
    bin: Bin
    customer: Customer
    vehicle: Vehicle

    @property
    def advisor(self) -> User:
        return self.world.user("advisor")

    def today(self) -> date:
        return timezone.now().astimezone(self.store.zone).date()

    def later(self, hours: int = 4) -> datetime:
        return timezone.now() + timedelta(hours=hours)

    def visit_in(self, **changes: object) -> VisitIn:
        data = VisitIn(
            store_id=self.store.pk,
            customer_id=self.customer.pk,
            vehicle_id=self.vehicle.pk,
            mileage_in=52_300,
            fuel_level=4,
            contact_verified=True,
            parking_spot="B-12",
            key_tag="K-07",
            promised_at=self.later(),
        )
        for name, value in changes.items():
            setattr(data, name, value)
        return data


@pytest.fixture
def reception(world: World) -> Reception:
    store = world.sh
    store.business_hours = HOURS
    store.save()
    group = store.group
    on = date(2020, 1, 1)
    LabourRate.objects.bulk_create(
        LabourRate(group=group, pay_type=pay_type, rate=rate, valid_from=on)
        for pay_type, rate in (
            (PayType.CUSTOMER, Decimal("200.00")),
            (PayType.INSURANCE, Decimal("200.00")),
            (PayType.OEM_WARRANTY, Decimal("150.00")),
            (PayType.OEM_CAMPAIGN, Decimal("150.00")),
            (PayType.OEM_FREE_SERVICE, Decimal("150.00")),
            (PayType.EXTENDED_WARRANTY, Decimal("180.00")),
            (PayType.INTERNAL, Decimal("120.00")),
            (PayType.GOODWILL, Decimal("120.00")),
            (PayType.COMEBACK, Decimal("120.00")),
        )
    )
    oil = LabourOperationFactory.create(group=group, code="MT01", name="更换机油", default_hours=Decimal("1.00"))
    brakes = LabourOperationFactory.create(
        group=group,
        code="BR02",
        name="更换前制动片",
        default_hours=Decimal("2.00"),
        category="chassis",
        repair_category="assembly",
    )
    brand = store.brands.first()
    filter_ = PartFactory.create(
        group=group, brand=brand, number_display="06L-115-562", number="06L115562", name="机油滤清器"
    )
    pads = PartFactory.create(
        group=group, brand=brand, number_display="5Q0-698-151", number="5Q0698151", name="前制动片"
    )
    PartPrice.objects.bulk_create(
        PartPrice(part=part, kind=kind, price=price, valid_from=on)
        for part, kind, price in (
            (filter_, "retail", Decimal("88.00")),
            (filter_, "claim", Decimal("60.00")),
            (pads, "retail", Decimal("420.00")),
            (pads, "claim", Decimal("300.00")),
        )
    )
    bin_ = BinFactory.create(store=store, warehouse=WarehouseFactory.create(store=store, code="MAIN"), code="A-01")
    stock_receive(
        actor=world.user("parts"),
        store_id=store.pk,
        lines=[ReceiptLine(part_id=filter_.pk, bin_id=bin_.pk, quantity=Decimal(3), unit_cost=Decimal("30.00"))],
    )
    checklist_install(store)
    ReceptionSettings.objects.create(store=store, reception_script="您好，欢迎光临！", diagnosis_fee=Decimal("150.00"))
    customer = CustomerFactory.create(name="张伟", mobiles=["13912345678"])
    vehicle = VehicleFactory.create(owner=customer, plate="沪A12345")
    MileageReading.objects.create(vehicle=vehicle, km=48_000, read_on=date(2026, 5, 1), source="reception")
    return Reception(world, store, oil, brakes, filter_, pads, bin_, customer, vehicle)


@pytest.fixture
def visit(reception: Reception):  # type: ignore[no-untyped-def]
    return visit_open(actor=reception.advisor, data=reception.visit_in())
