"""One factory per model of the service catalogue."""

from __future__ import annotations

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from aftersales.catalogue.models import LabourOperation
from aftersales.core.tests.factories import DealerGroupFactory


class LabourOperationFactory(DjangoModelFactory[LabourOperation]):
    class Meta:
        model = LabourOperation

    group = factory.SubFactory(DealerGroupFactory)
    code = factory.Sequence(lambda n: f"OP{n:04d}")
    name = factory.Sequence(lambda n: f"更换机油机滤{n}")
    category = "maintenance"
    default_hours = Decimal("0.80")
    skill_level = "junior"
    repair_category = "first_level"
    tax_code = "3040305000000000000"
