"""Suppliers and purchase approval limits."""

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from aftersales.core.access import can, stores_with
from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema, Page, paginate
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Store, User
from aftersales.core.routing import operation, request_user
from aftersales.parts.api.common import StoreCode, StoreQuery, store_of
from aftersales.purchasing import services
from aftersales.purchasing.models import Supplier
from aftersales.purchasing.selectors import supplier_rating_history, supplier_ratings

router = Router(tags=["suppliers"])
Weekday = Literal[0, 1, 2, 3, 4, 5, 6]


class RatingOut(Schema):
    receipts: int
    quality: Decimal | None = Field(description="Per cent of the delivered quantity accepted (12 months).")
    on_time: Decimal | None = Field(description="Per cent of receipt lines delivered by their expected date.")
    in_full: Decimal | None = Field(description="Per cent of finished orders' lines received in full.")


class MonthOut(Schema):
    month: date
    delivered: Decimal
    quality: Decimal | None
    on_time: Decimal | None


class SupplierOut(Schema):
    id: int
    kind: Literal["manufacturer", "local"]
    brand: str | None
    code: str
    name: str
    credit_code: str
    contact_name: str
    phone: str
    email: str
    payment_days: int
    lead_days_stock: int
    lead_days_urgent: int
    lead_days_vor: int
    order_days: list[int] = Field(description="Weekdays it takes stock orders, 0 Monday … 6 Sunday; empty: any.")
    bank_name: str
    bank_account: str = Field(description="In full with suppliers.bank, else its last four digits.")
    over_delivery_percent: int = Field(description="How much more than ordered a line may be received, in %.")
    is_active: bool
    rating: RatingOut | None = Field(default=None, description="From the last 12 months' receipts; none yet: null.")


def supplier_out(supplier: Supplier, *, full_bank: bool) -> dict[str, Any]:
    return {
        "id": supplier.pk,
        "kind": supplier.kind,
        "brand": supplier.brand.code if supplier.brand else None,
        **{name: getattr(supplier, name) for name in services.suppliers.SUPPLIER_FIELDS if name != "bank_account"},
        "bank_account": services.bank_account_shown(supplier, full=full_bank),
    }


class SupplierQuery(StoreQuery):
    kind: Literal["manufacturer", "local"] | None = None
    q: str | None = Field(default=None, max_length=50, description="Code or name.")


def _visible(request: HttpRequest, rows: QuerySet[Supplier]) -> QuerySet[Supplier]:
    """The suppliers of the groups of the stores the caller sees purchasing in."""
    store_ids = stores_with(request_user(request), "purchasing.view")
    if store_ids is None:
        return rows
    return rows.filter(group_id__in=Store.objects.filter(pk__in=store_ids).values("group_id"))


@router.get("/suppliers", response={200: Page[SupplierOut], **ERRORS})
@operation("purchasing.view")
def supplier_list(request: HttpRequest, query: Query[SupplierQuery]) -> dict[str, Any]:
    """The suppliers of the group of a store (the caller's first store when none is named)."""
    user = request_user(request)
    store = store_of(request, query.store, "purchasing.view") if query.store else None
    rows = _visible(request, Supplier.objects.select_related("brand"))
    if store is not None:
        rows = rows.filter(group_id=store.group_id)
    if query.kind:
        rows = rows.filter(kind=query.kind)
    if query.q:
        rows = rows.filter(Q(code__icontains=query.q) | Q(name__icontains=query.q))
    page = paginate(rows, query, ordering_fields=("code", "name"), default_ordering=("code",))
    full = can(user, "suppliers.bank", store_id=store.pk if store else None)
    ratings = supplier_ratings([row.pk for row in page["items"]], today=timezone.localdate())
    page["items"] = [{**supplier_out(row, full_bank=full), "rating": ratings.get(row.pk)} for row in page["items"]]
    return page


@router.get("/suppliers/{id:supplier_id}/rating-history", response={200: list[MonthOut], **ERRORS})
@operation("purchasing.view")
def supplier_rating(request: HttpRequest, supplier_id: int, query: Query[StoreQuery]) -> list[Any]:
    """The supplier's quality and punctuality month by month over the last 12 months, newest first."""
    store = store_of(request, query.store, "purchasing.view") if query.store else None
    supplier = _visible(request, Supplier.objects.all()).filter(pk=supplier_id).first()
    if supplier is None or (store is not None and supplier.group_id != store.group_id):
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    return list(supplier_rating_history(supplier.pk, today=timezone.localdate()))


class SupplierIn(InputSchema):
    store: StoreCode = Field(description="A store of the group the supplier serves.")
    kind: Literal["manufacturer", "local"]
    brand: str = Field(default="", max_length=10, description="The brand a manufacturer's parts centre supplies.")
    code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=100)
    credit_code: str = Field(default="", max_length=18)
    contact_name: str = Field(default="", max_length=60)
    phone: str = Field(default="", max_length=30)
    email: str = Field(default="", max_length=254)
    payment_days: int = Field(default=30, ge=0, le=365)
    lead_days_stock: int = Field(default=7, ge=0, le=365)
    lead_days_urgent: int = Field(default=3, ge=0, le=365)
    lead_days_vor: int = Field(default=1, ge=0, le=365)
    order_days: list[Weekday] = Field(default_factory=list, max_length=7)
    bank_name: str = Field(default="", max_length=100)
    bank_account: str = Field(default="", max_length=40)
    over_delivery_percent: int = Field(default=0, ge=0, le=100)
    is_active: bool = True


@router.post("/suppliers", response={201: SupplierOut, **ERRORS})
@operation("suppliers.manage")
def supplier_create(request: HttpRequest, payload: SupplierIn) -> Status[dict[str, Any]]:
    store = store_of(request, payload.store, "suppliers.manage")
    data = payload.model_dump(exclude={"store", "brand"})
    supplier = services.supplier_save(actor=request_user(request), store_id=store.pk, data=data, brand=payload.brand)
    return Status(
        201, supplier_out(supplier, full_bank=can(request_user(request), "suppliers.bank", store_id=store.pk))
    )


@router.put("/suppliers/{id:supplier_id}", response={200: SupplierOut, **ERRORS})
@operation("suppliers.manage")
def supplier_update(request: HttpRequest, supplier_id: int, payload: SupplierIn) -> dict[str, Any]:
    store = store_of(request, payload.store, "suppliers.manage")
    data = payload.model_dump(exclude={"store", "brand"})
    supplier = services.supplier_save(
        actor=request_user(request), store_id=store.pk, data=data, brand=payload.brand, supplier_id=supplier_id
    )
    return supplier_out(supplier, full_bank=can(request_user(request), "suppliers.bank", store_id=store.pk))


class LimitIn(InputSchema):
    store: StoreCode
    user: str = Field(min_length=1, max_length=150, description="The person's user name.")
    limit: Decimal = Field(ge=0, max_digits=14, decimal_places=2, description="Yuan, tax included.")


class LimitOut(Schema):
    store: str
    user: str
    limit: Decimal


@router.put("/purchase-limits", response={200: LimitOut, **ERRORS})
@operation("purchasing.limits")
def purchase_limit_set(request: HttpRequest, payload: LimitIn) -> dict[str, Any]:
    """Set up to how much a person approves purchase orders in a store (their own included)."""
    store = store_of(request, payload.store, "purchasing.limits")
    user = User.objects.filter(username=payload.user).first()
    if user is None:
        raise ApplicationError(_("Choose a person of this store."), field="user")
    row = services.purchase_limit_set(
        actor=request_user(request), store_id=store.pk, user_id=user.pk, limit=payload.limit
    )
    return {"store": store.code, "user": user.username, "limit": row.limit}
