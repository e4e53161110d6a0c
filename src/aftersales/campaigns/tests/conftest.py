"""A dealer group with a labour operation and a part for campaigns, a model of its brand, and owners
with cars (mobiles, e-mail), the recall notice active on e-mail (as installed) and on SMS."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from aftersales.catalogue.models import LabourOperation
from aftersales.catalogue.tests.factories import LabourOperationFactory
from aftersales.conftest import World
from aftersales.core.models import Brand, User
from aftersales.customers.models import Vehicle, VehicleModel
from aftersales.customers.tests.factories import CustomerFactory, VehicleFactory, valid_vin
from aftersales.messaging.models import MessageTemplate
from aftersales.parts.models import Part
from aftersales.parts.tests.factories import PartFactory

PREFIX = "LSVAA4180E2"  # valid_vin's: its 9th character is each VIN's check digit


@dataclass
class Registry:
    world: World
    brand: Brand
    operation: LabourOperation
    part: Part
    model: VehicleModel
    vehicle: Vehicle  # serial 100050, model, built 2024-03-15, owner with mobile and e-mail, sold by SH01

    @property
    def keeper(self) -> User:
        return self.world.user("warranty")


@pytest.fixture
def registry(world: World) -> Registry:
    brand = world.sh.brands.get()
    operation = LabourOperationFactory.create(group=world.sh.group, code="RC-FP", name="更换燃油泵")
    part = PartFactory.create(group=world.sh.group, brand=brand, number_display="1K0-919-051", number="1K0919051")
    model = VehicleModel.objects.create(brand=brand, series="帕萨特", name="330TSI 精英版")
    owner = CustomerFactory.create(name="张三", mobiles=["13812345678"], email="zhangsan@example.com")
    vehicle = VehicleFactory.create(
        owner=owner,
        vin=valid_vin(100050),
        plate="沪A12345",
        model_id=model.pk,
        production_date=date(2024, 3, 15),
        selling_store_id=world.sh.pk,
    )
    MessageTemplate.objects.filter(event="campaign_notice", channel="sms").update(
        is_active=True, sms_sign_name="华东汽车", sms_template_code="SMS_300001"
    )
    return Registry(world=world, brand=brand, operation=operation, part=part, model=model, vehicle=vehicle)
