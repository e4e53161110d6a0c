"""Fixtures of the parts tests: a part of the world's group and two bins in each store."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from aftersales.conftest import World
from aftersales.core.models import Brand
from aftersales.parts.models import Bin, Part
from aftersales.parts.tests.factories import BinFactory, PartFactory, WarehouseFactory


@dataclass
class Stock:
    world: World
    part: Part
    litre: Part
    a1: Bin
    a2: Bin
    other: Bin  # a bin of the other store (SZ01)


@pytest.fixture
def stock(world: World) -> Stock:
    brand = Brand.objects.first()
    part = PartFactory.create(group=world.sh.group, brand=brand, number_display="5Q0-115-561-A", number="5Q0115561A")
    litre = PartFactory.create(
        group=world.sh.group, brand=brand, number_display="G052-195", number="G052195", unit="litre", decimals=1
    )
    warehouse = WarehouseFactory.create(store=world.sh, code="MAIN")
    a1 = BinFactory.create(store=world.sh, warehouse=warehouse, code="A-01")
    a2 = BinFactory.create(store=world.sh, warehouse=WarehouseFactory.create(store=world.sh, code="OIL"), code="B-01")
    other = BinFactory.create(
        store=world.sz, warehouse=WarehouseFactory.create(store=world.sz, code="MAIN"), code="A-01"
    )
    return Stock(world=world, part=part, litre=litre, a1=a1, a2=a2, other=other)
