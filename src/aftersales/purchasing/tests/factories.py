"""One factory per model of purchasing."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from aftersales.core.tests.factories import DealerGroupFactory
from aftersales.purchasing.models import Supplier


class SupplierFactory(DjangoModelFactory[Supplier]):
    class Meta:
        model = Supplier

    group = factory.SubFactory(DealerGroupFactory)
    kind = Supplier.Kind.LOCAL
    code = factory.Sequence(lambda n: f"SUP{n:03d}")
    name = factory.Sequence(lambda n: f"上海汽配{n}")
