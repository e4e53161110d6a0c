"""Reads of customers and vehicles: lists, details, and personal values masked by role."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from aftersales.core import identifiers
from aftersales.core.access import can
from aftersales.core.errors import ApplicationError
from aftersales.core.models import StaffMembership, User
from aftersales.customers import encryption
from aftersales.customers.models import (
    ContactCorrection,
    Customer,
    CustomerPhone,
    MileageReading,
    PlateRegistration,
    Vehicle,
    VehicleLink,
    VehicleModel,
    WarrantyPolicy,
)
from aftersales.customers.selectors.search import search_customer_ids, search_vehicle_ids


def customer_list(
    *, q: str | None = None, customer_class: str | None = None, home_store_id: int | None = None
) -> QuerySet[Customer]:
    customers = Customer.objects.filter(merged_into=None).select_related("home_store", "owner")
    if q and identifiers.compact(q):  # invisible characters alone are no search
        ids = search_customer_ids(q, customer_class=customer_class or None, home_store_id=home_store_id or None)
        customers = customers.filter(pk__in=ids)
    if customer_class:
        customers = customers.filter(customer_class=customer_class)
    if home_store_id:
        customers = customers.filter(home_store_id=home_store_id)
    return customers.prefetch_related(Prefetch("phones", queryset=CustomerPhone.objects.order_by("-is_primary", "pk")))


def _not_found() -> ApplicationError:
    return ApplicationError(_("Not found."), code="not_found", status=404)


def customer_survivor(customer: Customer) -> Customer:
    """The active record a merged customer lives on in (following merges of merges)."""
    seen = {customer.pk}
    while customer.merged_into_id is not None and customer.merged_into_id not in seen:
        seen.add(customer.merged_into_id)
        customer = Customer.objects.only("pk", "number", "merged_into").get(pk=customer.merged_into_id)
    return customer


def merged_error(customer: Customer, *, status: int = 410) -> ApplicationError:
    """What a call on a merged record answers instead of its stale data: the record it was merged
    into (``merged_into``: id and number), to use from now on."""
    survivor = customer_survivor(customer)
    return ApplicationError(
        _("This record was merged into customer %(number)s; use that one.") % {"number": survivor.number},
        code="merged",
        status=status,
        extra={"merged_into": {"id": survivor.pk, "number": survivor.number}},
    )


def customer_access(
    *, actor: User, customer_id: int, for_update: bool = False, include_merged: bool = False
) -> Customer:
    """The customer a service acts on for ``actor``, locked until commit when ``for_update``; otherwise
    not found (404), whether it is missing or not in the archive ``actor`` may see; a record merged
    into another answers 410 naming that one (``merged_error``) unless ``include_merged``. The one
    lookup every service of the archive starts from."""
    customers = Customer.objects.filter(pk=customer_id)
    if for_update:
        customers = customers.select_for_update()
    customer = customers.first()
    if customer is None or not can(actor, "customers.view"):
        raise _not_found()
    if customer.merged_into_id is not None and not include_merged:
        raise merged_error(customer)
    return customer


def vehicle_access(*, actor: User, vehicle_id: int, for_update: bool = False) -> Vehicle:
    """The vehicle a service acts on for ``actor``, locked until commit when ``for_update``; otherwise
    not found (404), as ``customer_access``."""
    vehicles = Vehicle.objects.filter(pk=vehicle_id)
    if for_update:
        vehicles = vehicles.select_for_update()
    vehicle = vehicles.first()
    if vehicle is None or not can(actor, "customers.view"):
        raise _not_found()
    return vehicle


def customer_get(customer_id: int) -> Customer:
    customer = (
        Customer.objects.select_related("home_store", "owner")
        .prefetch_related(
            Prefetch("phones", queryset=CustomerPhone.objects.order_by("-is_primary", "pk")),
            Prefetch(
                "vehicle_links",
                queryset=VehicleLink.objects.select_related(
                    "vehicle", "vehicle__model", "vehicle__model__brand"
                ).order_by("valid_to", "-valid_from"),
            ),
        )
        .filter(pk=customer_id)
        .first()
    )
    if customer is None:
        raise Http404(_("Not found."))
    return customer


def customer_row(customer_id: int) -> Customer:
    """The customer alone (merged ones too), for an answer that needs nothing it refers to; 404 when none."""
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise Http404(_("Not found."))
    return customer


def vehicle_get(vehicle_id: int) -> Vehicle:
    vehicle = (
        Vehicle.objects.select_related("model", "model__brand", "selling_store", "warranty_policy__brand")
        .prefetch_related(
            Prefetch("links", queryset=VehicleLink.objects.select_related("customer").order_by("-valid_from")),
            Prefetch("mileage_readings", queryset=MileageReading.objects.order_by("-read_on", "-pk")),
            Prefetch("plates", queryset=PlateRegistration.objects.order_by("-valid_from", "-pk")),
        )
        .filter(pk=vehicle_id)
        .first()
    )
    if vehicle is None:
        raise Http404(_("Not found."))
    return vehicle


def full_address(customer: Customer) -> str:
    """Province, city, district and street; a municipality's city is not repeated (上海市上海市)."""
    city = "" if customer.city == customer.province else customer.city
    return "".join(part for part in (customer.province, city, customer.district, customer.street) if part)


def customer_personal(customer: Customer, *, personal: bool) -> dict[str, Any]:
    """The masked personal values of a customer (``Customer.personal_masks``), in full when ``personal``
    (the view-personal right), with the whole address and the resident ID."""
    masked: dict[str, Any] = {}
    for name, mask in Customer.personal_masks.items():
        if name == "mobiles":
            masked[name] = [phone.number if personal else mask(phone.number) for phone in customer.phones.all()]
        else:
            value = getattr(customer, name)
            if isinstance(value, date):
                value = value.isoformat()
            masked[name] = value if personal or not value else mask(value)
    resident_id = encryption.decrypt(customer.resident_id_cipher) if personal else customer.resident_id_hint
    address = (
        full_address(customer)
        if personal
        else identifiers.mask_address(customer.province, customer.city, customer.district, customer.street)
    )
    return {**masked, "resident_id": resident_id, "address": address, "masked": not personal}


def personal_value(customer: Customer, field_name: str) -> str:
    """One personal field in full (for an audited reveal)."""
    if field_name == "resident_id":
        return encryption.decrypt(customer.resident_id_cipher)
    if field_name == "mobiles":
        return ", ".join(phone.number for phone in customer.phones.all())
    if field_name == "address":
        return full_address(customer)
    value = getattr(customer, field_name)
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def customer_by_number(number: str) -> Customer | None:
    """The active customer with this number, or whose merged record had it (an alias)."""
    found = Customer.objects.filter(number=number, merged_into=None).first()
    if found is None:
        found = Customer.objects.filter(aliases__number=number, merged_into=None).first()
    return found


def customer_active(customer_id: int) -> Customer | None:
    """An active (not merged) customer named in a request's body, or None (the field's error)."""
    return Customer.objects.filter(pk=customer_id, merged_into=None).first()


def vehicle_list(q: str | None = None) -> QuerySet[Vehicle]:
    """Vehicles with what a list shows (model, owner and driver periods, readings); ``q``: plate or VIN."""
    vehicles = Vehicle.objects.select_related("model", "model__brand").prefetch_related(
        Prefetch("links", queryset=VehicleLink.objects.select_related("customer").order_by("-valid_from")),
        Prefetch("mileage_readings", queryset=MileageReading.objects.order_by("-read_on", "-pk")),
        Prefetch("plates", queryset=PlateRegistration.objects.order_by("-valid_from", "-pk")),
    )
    if q:
        vehicles = vehicles.filter(pk__in=search_vehicle_ids(q))
    return vehicles


def vehicle_models(*, brand_id: int | None = None, series: str | None = None) -> QuerySet[VehicleModel]:
    """The model catalogue, by brand and series (the choices of brand → series → model)."""
    models = VehicleModel.objects.select_related("brand").order_by("brand__code", "series", "name")
    if brand_id is not None:
        models = models.filter(brand_id=brand_id)
    if series:
        models = models.filter(series=series)
    return models


def warranty_policies(*, brand_id: int | None = None) -> QuerySet[WarrantyPolicy]:
    policies = WarrantyPolicy.objects.select_related("brand").order_by("brand__code", "-valid_from")
    return policies.filter(brand_id=brand_id) if brand_id is not None else policies


def driver_period_get(*, vehicle_id: int, link_id: int) -> VehicleLink:
    link = VehicleLink.objects.filter(pk=link_id, vehicle_id=vehicle_id, role=VehicleLink.Role.DRIVER).first()
    if link is None:
        raise Http404(_("Not found."))
    return link


def archive_owners(store_ids: frozenset[int] | None, *, also: int | None = None) -> QuerySet[User]:
    """Staff who can own an archive: active members of ``store_ids`` (None: every store), and ``also``."""
    members = StaffMembership.all_objects.filter(is_active=True, user__is_active=True)
    if store_ids is not None:
        members = members.filter(store_id__in=store_ids)
    chosen = Q(pk__in=members.values("user_id")) | (Q(pk=also) if also else Q(pk__in=[]))
    return User.objects.filter(chosen).order_by("username")


def vehicle_find(vehicle_id: int) -> Vehicle | None:
    """A vehicle named in a request's body, or None (the field's error)."""
    return Vehicle.objects.filter(pk=vehicle_id).first()


def corrections_pending(*, store_id: int | None) -> QuerySet[ContactCorrection]:
    """Contact details customers corrected through their links, still to review, in the store (of the
    customers the actor may see), oldest first."""
    rows = ContactCorrection.objects.filter(
        status=ContactCorrection.Status.PENDING, customer__in=Customer.objects.all()
    )
    if store_id is not None:
        rows = rows.filter(store_id=store_id)
    return rows.select_related("customer").order_by("created_at", "pk")
