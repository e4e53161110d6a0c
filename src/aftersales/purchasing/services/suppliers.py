"""Suppliers, and people's purchase approval limits."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from aftersales.core import identifiers
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Brand, StaffMembership, User
from aftersales.parts.services import store_access
from aftersales.purchasing.models import MAX_LEAD_DAYS, PurchaseLimit, Supplier

SUPPLIER_FIELDS = (
    "kind", "code", "name", "credit_code", "contact_name", "phone", "email", "payment_days", "lead_days_stock",
    "lead_days_urgent", "lead_days_vor", "order_days", "bank_name", "bank_account", "over_delivery_percent",
    "is_active",
)  # fmt: skip
_LEADS = ("lead_days_stock", "lead_days_urgent", "lead_days_vor")


def supplier_access(*, actor: User | None, store_id: int, supplier_id: int, permission: str) -> Supplier:
    """A supplier of the group of the store ``actor`` acts in with ``permission`` (else not found)."""
    store = store_access(actor=actor, store_id=store_id, permission=permission)
    supplier = Supplier.objects.filter(pk=supplier_id, group_id=store.group_id).first()
    if supplier is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    return supplier


def _errors(data: dict[str, Any], brand_code: str, group_id: int, supplier: Supplier | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if data["kind"] not in Supplier.Kind.values:
        fail("kind", _("Choose the kind of supplier."))
    if not data["code"]:
        fail("code", _("Enter a code."))
    elif Supplier.objects.filter(group_id=group_id, code=data["code"]).exclude(pk=supplier.pk if supplier else 0):
        fail("code", _("The group has a supplier %(code)s already.") % {"code": data["code"]})
    if not data["name"]:
        fail("name", _("Enter a name."))
    if data["kind"] == Supplier.Kind.MANUFACTURER and not brand_code:
        fail("brand", _("A manufacturer's parts centre supplies one brand: choose it."))
    elif brand_code and not Brand.objects.filter(code=brand_code).exists():
        fail("brand", _("Unknown brand code %(code)s.") % {"code": brand_code})
    if data["credit_code"]:
        try:
            data["credit_code"] = identifiers.clean_uscc(data["credit_code"])
        except ValidationError as error:
            fail("credit_code", " ".join(error.messages))
    if data["email"]:
        try:
            validate_email(data["email"])
        except ValidationError:
            fail("email", _("Enter a valid e-mail address."))
    for name in (*_LEADS, "payment_days"):
        value = data[name]
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_LEAD_DAYS:
            fail(name, _("Enter a number of days from 0 to %(max)s.") % {"max": MAX_LEAD_DAYS})
    percent = data["over_delivery_percent"]
    if not isinstance(percent, int) or isinstance(percent, bool) or not 0 <= percent <= 100:
        fail("over_delivery_percent", _("Enter a percentage from 0 to 100."))
    days = data["order_days"]
    if not isinstance(days, list) or any(not isinstance(day, int) or not 0 <= day <= 6 for day in days):
        fail("order_days", _("Choose weekdays (Monday to Sunday)."))
    else:
        data["order_days"] = sorted(set(days))
    return errors


def supplier_save(
    *, actor: User | None, store_id: int, data: dict[str, Any], brand: str = "", supplier_id: int | None = None
) -> Supplier:
    """Add a supplier to the group of the store, or change one (``suppliers.manage``); every wrong field
    is named at once and nothing is written."""
    store = store_access(actor=actor, store_id=store_id, permission="suppliers.manage")
    supplier = (
        supplier_access(actor=actor, store_id=store_id, supplier_id=supplier_id, permission="suppliers.manage")
        if supplier_id is not None
        else None
    )
    merged: dict[str, Any] = {name: getattr(supplier, name) for name in SUPPLIER_FIELDS} if supplier else {
        "kind": "", "code": "", "name": "", "credit_code": "", "contact_name": "", "phone": "", "email": "",
        "payment_days": 30, "lead_days_stock": 7, "lead_days_urgent": 3, "lead_days_vor": 1, "order_days": [],
        "bank_name": "", "bank_account": "", "over_delivery_percent": 0, "is_active": True,
    }  # fmt: skip
    merged.update({name: value for name, value in data.items() if name in SUPPLIER_FIELDS})
    for name in ("code", "name", "credit_code", "contact_name", "phone", "email", "bank_name", "bank_account"):
        merged[name] = str(merged[name] or "").strip()
    merged["code"] = merged["code"].upper()
    brand_code = brand.strip().upper() if brand else (supplier.brand.code if supplier and supplier.brand else "")
    errors = _errors(merged, brand_code, store.group_id, supplier)
    if errors:
        raise ApplicationError(_("Check the supplier."), fields=errors)
    supplier = supplier or Supplier(group_id=store.group_id)
    for name, value in merged.items():
        setattr(supplier, name, value)
    supplier.brand = Brand.objects.filter(code=brand_code).first() if brand_code else None
    try:
        with transaction.atomic():
            supplier.save(actor=actor)
    except IntegrityError:
        raise ApplicationError(
            _("The group has a supplier %(code)s already.") % {"code": merged["code"]}, field="code"
        ) from None
    return supplier


def bank_account_shown(supplier: Supplier, *, full: bool) -> str:
    """The bank account as a person sees it: in full with ``suppliers.bank``, else its last four digits."""
    account = supplier.bank_account
    if full or not account:
        return account
    return f"**** {account[-4:]}"


def purchase_limit_set(*, actor: User | None, store_id: int, user_id: int, limit: Decimal) -> PurchaseLimit:
    """Set up to how much a person of the store approves purchase orders (``purchasing.limits``)."""
    store = store_access(actor=actor, store_id=store_id, permission="purchasing.limits")
    if not StaffMembership.all_objects.filter(store=store, user_id=user_id).exists():
        raise ApplicationError(_("Choose a person of this store."), field="user")
    if not limit.is_finite() or limit < 0 or limit != limit.quantize(Decimal("0.01")) or limit >= Decimal("1e12"):
        raise ApplicationError(_("Enter an amount in yuan of zero or more, with at most 2 decimals."), field="limit")
    row = PurchaseLimit.all_objects.filter(store=store, user_id=user_id).first() or PurchaseLimit(
        store=store, user_id=user_id
    )
    row.limit = limit
    row.save(actor=actor)
    return row
