"""One factory per model of the parts area."""

from __future__ import annotations

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from aftersales.core.tests.factories import BrandFactory, DealerGroupFactory
from aftersales.parts.models import Bin, Part, Warehouse


class PartFactory(DjangoModelFactory[Part]):
    class Meta:
        model = Part

    group = factory.SubFactory(DealerGroupFactory)
    brand = factory.SubFactory(BrandFactory)
    number_display = factory.Sequence(lambda n: f"5Q0-{n:03d}-A")
    number = factory.LazyAttribute(lambda part: part.number_display.replace("-", "").upper())
    name = factory.Sequence(lambda n: f"机油滤清器{n}")
    name_pinyin = "jyllq jiyoulvqingqi"
    standard_cost = Decimal("10.0000")


class WarehouseFactory(DjangoModelFactory[Warehouse]):
    class Meta:
        model = Warehouse

    code = factory.Sequence(lambda n: f"W{n}")
    name = "配件库"


class BinFactory(DjangoModelFactory[Bin]):
    class Meta:
        model = Bin

    warehouse = factory.SubFactory(WarehouseFactory, store=factory.SelfAttribute("..store"))
    code = factory.Sequence(lambda n: f"A-{n:02d}")
