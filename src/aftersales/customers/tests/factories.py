"""Factories of the archive's records, made through the services as the product makes them (numbers,
search keys, completeness and audit entries included).

The acting user and the store default to the test world's Shanghai advisor and store (``SH01``);
pass ``actor=`` and ``store=`` for another. Every other keyword is a field of the service's input.
"""

from __future__ import annotations

from typing import Any

import factory

from aftersales.core import identifiers
from aftersales.core.identifiers import vin_check_digit
from aftersales.core.models import Store, User
from aftersales.customers import encryption, services
from aftersales.customers.models import Customer, Vehicle


def valid_vin(serial: int, *, prefix: str = "LSVAA4180E2") -> str:
    """A VIN with a correct check digit, different for every ``serial``."""
    draft = f"{prefix}{serial:06d}"
    return draft[:8] + vin_check_digit(draft) + draft[9:]


def _advisor() -> User:
    return User.objects.get(username="advisor_sh")


def _shanghai() -> Store:
    return Store.objects.get(code="SH01")


class CustomerFactory(factory.Factory[Customer]):
    """``CustomerFactory(name="张三", mobiles=["13812345678"], resident_id=...)``."""

    class Meta:
        model = Customer

    actor = factory.LazyFunction(_advisor)
    store = factory.LazyFunction(_shanghai)
    name = "王小明"
    mobiles = factory.Sequence(lambda n: [f"1380000{n:04d}"])

    @classmethod
    def _create(cls, model_class: type[Customer], *, actor: User, store: Store, **data: Any) -> Customer:
        # Set-up data: customers sharing a mobile are made on purpose (the warning has tests of its own).
        return services.customer_create(actor=actor, store=store, data=data, confirm_duplicates=True)


class VehicleFactory(factory.Factory[Vehicle]):
    """``VehicleFactory(owner=customer, plate="沪A12345")``; a new owner when none is given."""

    class Meta:
        model = Vehicle

    actor = factory.LazyFunction(_advisor)
    owner = factory.SubFactory(CustomerFactory)
    vin = factory.Sequence(lambda n: valid_vin(900000 + n))

    @classmethod
    def _create(cls, model_class: type[Vehicle], *, actor: User, owner: Customer, **data: Any) -> Vehicle:
        return services.vehicle_create(actor=actor, owner=owner, data=data)


def resident_id_recorded_before_checks(customer: Customer, number: str) -> None:
    """Give ``customer`` a resident ID as a record from before the duplicate check (an old DMS's data)
    would hold it, even when another customer has the same one: the duplicates report's case."""
    Customer.objects.filter(pk=customer.pk).update(
        resident_id_cipher=encryption.encrypt(number),
        resident_id_digest=encryption.digest(number),
        resident_id_hint=identifiers.mask_resident_id(number),
    )
