"""Service catalogue API: labour operations and packages, labour rates, the price quote of the pricing
service, the report of prices off the guide price, and the pay types' routing table."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from aftersales.catalogue import pricing, selectors, services
from aftersales.catalogue.models import LabourOperation, LabourRate, ServicePackage
from aftersales.catalogue.paytypes import PAY_TYPES
from aftersales.catalogue.services import PackageLine
from aftersales.core.access import can, stores_with
from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema, ListQuery, Page, paginate
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Brand, DealerGroup, Store
from aftersales.core.routing import acting_group, operation, request_user
from aftersales.parts.models import Part, part_number_normalise

router = Router(tags=["catalogue"])

PayTypeName = Literal[
    "customer",
    "insurance",
    "oem_warranty",
    "oem_campaign",
    "oem_free_service",
    "extended_warranty",
    "internal",
    "goodwill",
    "comeback",
]
CategoryName = Literal[
    "maintenance",
    "engine",
    "transmission",
    "chassis",
    "electrical",
    "ac",
    "tyres",
    "body",
    "paint",
    "ev",
    "diagnosis",
    "wash",
]
SkillName = Literal["junior", "intermediate", "senior"]
CertificateName = Literal["", "brand", "ev_hv", "electrician", "paint", "other"]
BayName = Literal["", "general_lift", "alignment", "quick_service", "body", "paint_booth", "wash", "ev_hv"]
RepairCategoryName = Literal["whole_vehicle", "assembly", "second_level", "first_level", "minor", "special"]
Series = Annotated[str, Field(min_length=1, max_length=50)]
Hours = Annotated[Decimal, Field(gt=0, le=999, max_digits=6, decimal_places=2)]


def caller_group(request: HttpRequest) -> DealerGroup:
    """The dealer group of the caller (the catalogue is kept per group)."""
    return acting_group(request, permission="catalogue.view")


class PayTypeOut(Schema):
    code: str
    label: str
    payer: str
    price_basis: str
    approval: str
    invoice: str


@router.get("/pay-types", response={200: list[PayTypeOut], **ERRORS})
@operation("catalogue.view")
def pay_type_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Every pay type with its route: who pays, on which price basis, who approves, how it is invoiced."""
    return [
        {
            "code": route.code,
            "label": str(route.label),
            "payer": route.payer,
            "price_basis": route.price_basis,
            "approval": route.approval,
            "invoice": route.invoice,
        }
        for route in PAY_TYPES.values()
    ]


class LabourTimeOut(Schema):
    series: str
    hours: Decimal


class OperationOut(Schema):
    id: int
    brand: str | None
    code: str
    name: str
    name_en: str
    category: str
    default_hours: Decimal
    skill_level: str
    certificate: str
    bay_kind: str
    repair_category: str
    tax_code: str
    tax_rate: Decimal
    is_active: bool
    times: list[LabourTimeOut]


def operation_out(row: LabourOperation) -> dict[str, Any]:
    data = {name: getattr(row, name) for name in OperationOut.model_fields if name not in {"brand", "times"}}
    data["brand"] = row.brand.code if row.brand else None
    data["times"] = [{"series": time.series, "hours": time.hours} for time in row.times.all()]
    return data


class OperationQuery(ListQuery):
    q: str = Field(default="", max_length=60)
    category: CategoryName | None = None
    brand: str = Field(default="", max_length=20)


def _brand_id(code: str) -> int | None:
    if not code:
        return None
    brand = Brand.objects.filter(code=code).first()
    if brand is None:
        raise ApplicationError(_("Unknown brand."), field="brand")
    return brand.pk


@router.get("/catalogue/operations", response={200: Page[OperationOut], **ERRORS})
@operation("catalogue.view")
def operation_list(request: HttpRequest, query: Query[OperationQuery]) -> dict[str, Any]:
    rows = selectors.operations(
        group_id=caller_group(request).pk, query=query.q, category=query.category or "", brand_id=_brand_id(query.brand)
    )
    page = paginate(rows, query, ordering_fields=("code", "name"), default_ordering=("code",))
    page["items"] = [operation_out(row) for row in page["items"]]
    return page


class TimeIn(InputSchema):
    series: Series
    hours: Hours


class OperationFields(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    name_en: str = Field(default="", max_length=100)
    category: CategoryName
    default_hours: Hours
    skill_level: SkillName
    certificate: CertificateName = ""
    bay_kind: BayName = ""
    repair_category: RepairCategoryName
    tax_code: str = Field(default="", max_length=19)
    tax_rate: Decimal = Field(default=Decimal("0.13"), ge=0, le=Decimal("0.13"), max_digits=4, decimal_places=2)
    is_active: bool = True
    times: list[TimeIn] = Field(default_factory=list, max_length=200)


class OperationIn(OperationFields):
    code: str = Field(min_length=1, max_length=20)
    brand: str = Field(default="", max_length=20, description="Brand code; empty: every brand.")


class OperationPatch(InputSchema):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    name_en: str | None = Field(default=None, max_length=100)
    category: CategoryName | None = None
    default_hours: Hours | None = None
    skill_level: SkillName | None = None
    certificate: CertificateName | None = None
    bay_kind: BayName | None = None
    repair_category: RepairCategoryName | None = None
    tax_code: str | None = Field(default=None, max_length=19)
    tax_rate: Decimal | None = Field(default=None, ge=0, le=Decimal("0.13"), max_digits=4, decimal_places=2)
    is_active: bool | None = None
    times: list[TimeIn] | None = Field(default=None, max_length=200)


def _operation(request: HttpRequest, operation_id: int) -> LabourOperation:
    row = selectors.operations(group_id=caller_group(request).pk).filter(pk=operation_id).first()
    if row is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    return row


@router.post("/catalogue/operations", response={201: OperationOut, **ERRORS})
@operation("catalogue.manage")
def operation_create(request: HttpRequest, payload: OperationIn) -> Status[dict[str, Any]]:
    group = caller_group(request)
    row = services.operation_save(
        actor=request_user(request),
        group_id=group.pk,
        code=payload.code,
        brand_id=_brand_id(payload.brand),
        data=payload.model_dump(exclude={"code", "brand", "times"}),
        times={time.series: time.hours for time in payload.times},
    )
    return Status(201, operation_out(_operation(request, row.pk)))


@router.get("/catalogue/operations/{id:operation_id}", response={200: OperationOut, **ERRORS})
@operation("catalogue.view")
def operation_detail(request: HttpRequest, operation_id: int) -> dict[str, Any]:
    return operation_out(_operation(request, operation_id))


@router.patch("/catalogue/operations/{id:operation_id}", response={200: OperationOut, **ERRORS})
@operation("catalogue.manage")
def operation_update(request: HttpRequest, operation_id: int, payload: OperationPatch) -> dict[str, Any]:
    row = _operation(request, operation_id)
    services.operation_save(
        actor=request_user(request),
        group_id=row.group_id,
        operation_id=row.pk,
        data=payload.model_dump(exclude_unset=True, exclude={"times"}),
        times={time.series: time.hours for time in payload.times} if payload.times is not None else None,
    )
    return operation_out(_operation(request, operation_id))


class PackageItemOut(Schema):
    kind: str
    code: str = Field(description="The operation's code or the part's number.")
    name: str
    quantity: Decimal


class PackageOut(Schema):
    id: int
    brand: str
    code: str
    name: str
    name_en: str
    series: str
    interval_km: int | None
    interval_months: int | None
    fixed_price: Decimal | None
    is_active: bool
    items: list[PackageItemOut]


def package_out(row: ServicePackage) -> dict[str, Any]:
    data = {name: getattr(row, name) for name in PackageOut.model_fields if name not in {"brand", "items"}}
    data["brand"] = row.brand.code
    data["items"] = [
        {
            "kind": item.kind,
            "code": item.operation.code if item.operation else item.part.number_display if item.part else "",
            "name": item.operation.name if item.operation else item.part.name if item.part else "",
            "quantity": item.quantity,
        }
        for item in row.items.all()
    ]
    return data


class PackageQuery(ListQuery):
    brand: str = Field(default="", max_length=20)
    series: str = Field(default="", max_length=50)


@router.get("/catalogue/packages", response={200: Page[PackageOut], **ERRORS})
@operation("catalogue.view")
def package_list(request: HttpRequest, query: Query[PackageQuery]) -> dict[str, Any]:
    rows = selectors.packages(group_id=caller_group(request).pk, brand_id=_brand_id(query.brand), series=query.series)
    page = paginate(rows, query, ordering_fields=("code",), default_ordering=("brand__code", "code"))
    page["items"] = [package_out(row) for row in page["items"]]
    return page


class PackageItemIn(InputSchema):
    kind: Literal["labour", "part", "consumable"]
    code: str = Field(min_length=1, max_length=60, description="Operation code (labour) or part number.")
    quantity: Decimal = Field(default=Decimal(1), gt=0, max_digits=10, decimal_places=3)


class PackageIn(InputSchema):
    brand: str = Field(max_length=20)
    code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=100)
    name_en: str = Field(default="", max_length=100)
    series: str = Field(default="", max_length=50)
    interval_km: int | None = Field(default=None, ge=1, le=500_000)
    interval_months: int | None = Field(default=None, ge=1, le=120)
    fixed_price: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    is_active: bool = True
    items: list[PackageItemIn] = Field(min_length=1, max_length=100)


def _package_lines(group_id: int, items: list[PackageItemIn]) -> list[PackageLine]:
    codes = {item.code.strip().upper() for item in items if item.kind == "labour"}
    operations = {row.code: row.pk for row in LabourOperation.objects.filter(group_id=group_id, code__in=codes)}
    numbers = {part_number_normalise(item.code) for item in items if item.kind != "labour"}
    parts = dict(Part.objects.filter(group_id=group_id, number__in=numbers).values_list("number", "pk"))
    return [
        PackageLine(
            kind=item.kind,
            operation_id=operations.get(item.code.strip().upper(), 0) if item.kind == "labour" else None,
            part_id=parts.get(part_number_normalise(item.code), 0) if item.kind != "labour" else None,
            quantity=item.quantity,
        )
        for item in items
    ]


@router.post("/catalogue/packages", response={201: PackageOut, **ERRORS})
@operation("catalogue.manage")
def package_create(request: HttpRequest, payload: PackageIn) -> Status[dict[str, Any]]:
    group = caller_group(request)
    row = services.package_save(
        actor=request_user(request),
        group_id=group.pk,
        brand_id=_brand_id(payload.brand),
        code=payload.code,
        data=payload.model_dump(exclude={"brand", "code", "items"}),
        items=_package_lines(group.pk, payload.items),
    )
    return Status(201, package_out(selectors.packages(group_id=group.pk).get(pk=row.pk)))


@router.get("/catalogue/packages/{id:package_id}", response={200: PackageOut, **ERRORS})
@operation("catalogue.view")
def package_detail(request: HttpRequest, package_id: int) -> dict[str, Any]:
    row = selectors.packages(group_id=caller_group(request).pk).filter(pk=package_id).first()
    if row is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    return package_out(row)


class LabourRateOut(Schema):
    id: int
    store: str | None
    pay_type: str
    rate: Decimal
    valid_from: date
    reason: str
    created_at: datetime


class RateQuery(ListQuery):
    store: str | None = Field(default=None, max_length=10)
    pay_type: PayTypeName | None = None


@router.get("/catalogue/labour-rates", response={200: Page[LabourRateOut], **ERRORS})
@operation("catalogue.view")
def labour_rate_list(request: HttpRequest, query: Query[RateQuery]) -> dict[str, Any]:
    rows = LabourRate.objects.filter(group=caller_group(request)).select_related("store")
    store_ids = stores_with(request_user(request), "catalogue.view")
    if store_ids is not None:
        rows = rows.filter(store_id__in=store_ids) | rows.filter(store__isnull=True)
    if query.store:
        rows = rows.filter(store__code=query.store)
    if query.pay_type:
        rows = rows.filter(pay_type=query.pay_type)
    page = paginate(rows, query, ordering_fields=("valid_from",), default_ordering=("pay_type", "-valid_from"))
    page["items"] = [
        {
            "id": row.pk,
            "store": row.store.code if row.store else None,
            "pay_type": row.pay_type,
            "rate": row.rate,
            "valid_from": row.valid_from,
            "reason": row.reason,
            "created_at": row.created_at,
        }
        for row in page["items"]
    ]
    return page


class LabourRateIn(InputSchema):
    store: str | None = Field(default=None, max_length=10, description="A store's own rate; empty: the group's.")
    pay_type: PayTypeName
    rate: Decimal = Field(ge=0, max_digits=10, decimal_places=2, description="CNY per hour, tax-inclusive.")
    valid_from: date
    reason: str = Field(default="", max_length=200, description="Required for a store rate off the group's.")


@router.post("/catalogue/labour-rates", response={201: LabourRateOut, **ERRORS})
@operation("prices.manage")
def labour_rate_create(request: HttpRequest, payload: LabourRateIn) -> Status[dict[str, Any]]:
    group = caller_group(request)
    store_id = None
    if payload.store:
        store = Store.objects.filter(code=payload.store, group=group).first()
        if store is None:
            raise ApplicationError(_("Unknown store."), field="store")
        store_id = store.pk
    row = services.labour_rate_set(
        actor=request_user(request),
        group_id=group.pk,
        store_id=store_id,
        pay_type=payload.pay_type,
        rate=payload.rate,
        valid_from=payload.valid_from,
        reason=payload.reason,
    )
    return Status(
        201,
        {
            "id": row.pk,
            "store": payload.store or None,
            "pay_type": row.pay_type,
            "rate": row.rate,
            "valid_from": row.valid_from,
            "reason": row.reason,
            "created_at": row.created_at,
        },
    )


class QuoteQuery(InputSchema):
    store: str = Field(min_length=2, max_length=10)
    pay_type: PayTypeName
    part: str | None = Field(default=None, max_length=60, description="Part number (or give an operation).")
    operation: str | None = Field(default=None, max_length=20, description="Labour operation code.")
    series: str = Field(default="", max_length=50, description="Model series, for the standard hours.")
    quantity: Decimal | None = Field(
        default=None, gt=0, max_digits=10, decimal_places=3, description="Units, or hours of labour."
    )
    on: date | None = None


class QuoteOut(Schema):
    item_type: str
    item: str
    pay_type: str
    price_basis: str
    quantity: Decimal
    unit_price: Decimal = Field(description="CNY, tax-inclusive, per unit or hour.")
    amount: Decimal
    net: Decimal
    tax: Decimal
    tax_code: str
    tax_rate: Decimal
    guide_price: Decimal | None
    deviates: bool
    source: str


@router.get("/catalogue/quote", response={200: QuoteOut, **ERRORS})
@operation("catalogue.view")
def price_quote(request: HttpRequest, query: Query[QuoteQuery]) -> dict[str, Any]:
    """What a line costs: (store, pay type, part or labour operation) → tax-inclusive price, tax code and
    rate, the guide price and whether the price deviates from it."""
    store = Store.objects.filter(code=query.store).first()
    allowed = stores_with(request_user(request), "catalogue.view")
    if store is None or (allowed is not None and store.pk not in allowed):
        raise ApplicationError(_("Unknown store."), field="store")
    if (
        PAY_TYPES[query.pay_type].price_basis == "cost"
        and query.part
        and not can(request_user(request), "parts.view", store_id=store.pk)
    ):
        raise ApplicationError(_("You may not see stock costs in that store."), code="forbidden", status=403)
    if bool(query.part) == bool(query.operation):
        raise ApplicationError(_("Give a part number or a labour operation."), field="part")
    if query.part:
        part = Part.objects.filter(group_id=store.group_id, number=part_number_normalise(query.part)).first()
        if part is None:
            raise ApplicationError(_("Unknown part number %(number)s.") % {"number": query.part}, field="part")
        quote = pricing.part_quote(
            store=store, pay_type=query.pay_type, part=part, quantity=query.quantity or Decimal(1), on=query.on
        )
        item = part.number_display
    else:
        labour = LabourOperation.objects.filter(group_id=store.group_id, code=(query.operation or "").upper()).first()
        if labour is None:
            raise ApplicationError(_("Unknown labour operation."), field="operation")
        quote = pricing.labour_quote(
            store=store,
            pay_type=query.pay_type,
            operation=labour,
            series=query.series,
            hours=query.quantity,
            on=query.on,
        )
        item = labour.code
    return {**quote.__dict__, "item": item}


class DeviationOut(Schema):
    store: str
    item: str
    kind: str
    basis: str
    price: Decimal
    guide: Decimal
    valid_from: date
    reason: str
    set_by: str
    set_at: datetime


class DeviationQuery(InputSchema):
    on: date | None = None


@router.get("/catalogue/price-deviations", response={200: list[DeviationOut], **ERRORS})
@operation("catalogue.view")
def price_deviation_list(request: HttpRequest, query: Query[DeviationQuery]) -> list[dict[str, Any]]:
    """Store prices and labour rates off the group's guide price, with who set them and why."""
    rows = selectors.price_deviations(
        group_id=caller_group(request).pk,
        store_ids=stores_with(request_user(request), "catalogue.view"),
        on=query.on or timezone.localdate(),
    )
    return [row.__dict__ for row in rows]
