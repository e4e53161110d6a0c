"""The part master API: search, detail with balances and prices, create and edit, supersessions,
prices and OEM price files."""

import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from aftersales.core.access import stores_with
from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema, ListQuery, Page, paginate
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Brand, DealerGroup, Store
from aftersales.core.routing import acting_group, operation, request_user
from aftersales.parts import services
from aftersales.parts.models import Part, PartPrice, StockBalance, Supersession
from aftersales.parts.selectors import parts as part_selectors
from aftersales.parts.selectors import stock as stock_selectors

router = Router(tags=["parts"])

UnitName = Literal["piece", "set", "pair", "litre", "kg", "metre", "bottle", "box"]
ClassName = Literal["common", "uncommon", "emergency"]
PriceKind = Literal["retail", "claim", "contract"]
Interchangeability = Literal["two_way", "one_way", "none"]
Series = Annotated[str, Field(min_length=1, max_length=50)]


def user_group(request: HttpRequest) -> DealerGroup:
    """The dealer group of the caller (the part master is kept per group)."""
    return acting_group(request, permission="parts.view")


class PartOut(Schema):
    id: int
    brand: str
    number: str = Field(description="Normalised: upper case, without spaces, dashes, dots or slashes.")
    number_display: str
    name: str
    name_en: str
    category: str
    unit: str
    decimals: int
    part_class: str
    abc_class: str
    standard_cost: Decimal
    tax_code: str
    tax_rate: Decimal
    life_months: int | None
    life_km: int | None
    is_active: bool


def part_out(part: Part) -> dict[str, Any]:
    data = {name: getattr(part, name) for name in PartOut.model_fields if name != "brand"}
    data["brand"] = part.brand.code
    return data


class PartQuery(ListQuery):
    q: str = Field(default="", max_length=60, description="Part number (any part of it), name or pinyin.")
    brand: str = Field(default="", max_length=20, description="Brand code.")


@router.get("/parts", response={200: Page[PartOut], **ERRORS})
@operation("parts.view")
def part_list(request: HttpRequest, query: Query[PartQuery]) -> dict[str, Any]:
    """Parts of the group's master by number, name or pinyin."""
    group = user_group(request)
    brand_id = None
    if query.brand:
        brand_id = (
            Part.objects.filter(group=group, brand__code=query.brand).values_list("brand_id", flat=True).first() or -1
        )
    parts = part_selectors.parts_search(group_id=group.pk, query=query.q, brand_id=brand_id)
    page = paginate(parts, query, ordering_fields=("number", "name"), default_ordering=("number",))
    page["items"] = [part_out(part) for part in page["items"]]
    return page


class PartFields(InputSchema):
    number_display: str = Field(max_length=60, description="The number as the manufacturer prints it.")
    name: str = Field(min_length=1, max_length=100)
    name_en: str = Field(default="", max_length=100)
    category: str = Field(default="", max_length=40)
    unit: UnitName = "piece"
    decimals: int = Field(default=0, ge=0, le=3, description="Decimals a quantity may have (0 for pieces).")
    part_class: ClassName = "common"
    standard_cost: Decimal = Field(default=Decimal(0), ge=0, max_digits=14, decimal_places=4)
    tax_code: str = Field(default="", max_length=19, description="税收分类编码, 19 digits.")
    tax_rate: Decimal = Field(default=Decimal("0.13"), ge=0, le=Decimal("0.13"), max_digits=4, decimal_places=2)
    life_months: int | None = Field(default=None, ge=1, le=600)
    life_km: int | None = Field(default=None, ge=1, le=2_000_000)
    is_active: bool = True
    fitment: list[Series] = Field(default_factory=list, max_length=200, description="Model series it fits.")


class PartIn(PartFields):
    brand: str = Field(max_length=20, description="Brand code.")


class PartPatch(InputSchema):
    number_display: str | None = Field(default=None, max_length=60)
    name: str | None = Field(default=None, min_length=1, max_length=100)
    name_en: str | None = Field(default=None, max_length=100)
    category: str | None = Field(default=None, max_length=40)
    unit: UnitName | None = None
    decimals: int | None = Field(default=None, ge=0, le=3)
    part_class: ClassName | None = None
    standard_cost: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=4)
    tax_code: str | None = Field(default=None, max_length=19)
    tax_rate: Decimal | None = Field(default=None, ge=0, le=Decimal("0.13"), max_digits=4, decimal_places=2)
    life_months: int | None = Field(default=None, ge=1, le=600)
    life_km: int | None = Field(default=None, ge=1, le=2_000_000)
    is_active: bool | None = None
    fitment: list[Series] | None = Field(default=None, max_length=200)


@router.post("/parts", response={201: PartOut, **ERRORS})
@operation("parts.manage")
def part_create(request: HttpRequest, payload: PartIn) -> Status[dict[str, Any]]:
    group = user_group(request)
    brand = Brand.objects.filter(code=payload.brand).first()
    data = payload.model_dump(exclude={"brand", "fitment"})
    part = services.part_save(
        actor=request_user(request),
        group_id=group.pk,
        brand_id=brand.pk if brand else None,
        data=data,
        fitment=payload.fitment,
    )
    return Status(201, part_out(part))


class BalanceOut(Schema):
    store: str
    warehouse: str
    bin: str
    bin_id: int
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    value: Decimal = Field(description="CNY, net of input VAT.")


class PriceOut(Schema):
    kind: str
    store: str | None
    price: Decimal
    valid_from: date
    reason: str


class SupersessionOut(Schema):
    old: str
    new: str
    interchangeability: str
    effective_on: date


class PartDetailOut(PartOut):
    fitment: list[str]
    balances: list[BalanceOut]
    prices: list[PriceOut]
    supersessions: list[SupersessionOut]


def balance_out(row: StockBalance) -> dict[str, Any]:
    return {
        "store": row.store.code,
        "warehouse": row.bin.warehouse.code,
        "bin": row.bin.code,
        "bin_id": row.bin_id,
        "on_hand": row.on_hand,
        "reserved": row.reserved,
        "available": row.on_hand - row.reserved,
        "value": Decimal(row.value_fen) / 100,
    }


def _part(request: HttpRequest, part_id: int) -> Part:
    part = Part.objects.filter(pk=part_id, group=user_group(request)).select_related("brand").first()
    if part is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    return part


def part_detail_out(request: HttpRequest, part: Part) -> dict[str, Any]:
    store_ids = stores_with(request_user(request), "parts.view")
    data = part_out(part)
    data["fitment"] = list(part.fitments.order_by("series").values_list("series", flat=True))
    data["balances"] = [balance_out(row) for row in stock_selectors.balances(store_ids=store_ids, part_id=part.pk)]
    prices = PartPrice.objects.filter(part=part).select_related("store").order_by("kind", "store_id", "-valid_from")
    if store_ids is not None:
        prices = prices.filter(store_id__in=[*store_ids]) | prices.filter(store__isnull=True)
    data["prices"] = [
        {
            "kind": row.kind,
            "store": row.store.code if row.store else None,
            "price": row.price,
            "valid_from": row.valid_from,
            "reason": row.reason,
        }
        for row in prices
    ]
    links = Supersession.objects.filter(old_part=part) | Supersession.objects.filter(new_part=part)
    data["supersessions"] = [
        {
            "old": row.old_part.number_display,
            "new": row.new_part.number_display,
            "interchangeability": row.interchangeability,
            "effective_on": row.effective_on,
        }
        for row in links.select_related("old_part", "new_part").order_by("pk")
    ]
    return data


@router.get("/parts/{id:part_id}", response={200: PartDetailOut, **ERRORS})
@operation("parts.view")
def part_detail(request: HttpRequest, part_id: int) -> dict[str, Any]:
    """A part with its stock in the stores you may see, its prices and its supersessions."""
    return part_detail_out(request, _part(request, part_id))


@router.patch("/parts/{id:part_id}", response={200: PartDetailOut, **ERRORS})
@operation("parts.manage")
def part_update(request: HttpRequest, part_id: int, payload: PartPatch) -> dict[str, Any]:
    part = _part(request, part_id)
    data = payload.model_dump(exclude_unset=True, exclude={"fitment"})
    services.part_save(
        actor=request_user(request),
        group_id=part.group_id,
        part_id=part.pk,
        data=data,
        fitment=payload.fitment,
    )
    return part_detail_out(request, _part(request, part_id))


class SupersessionIn(InputSchema):
    new_number: str = Field(max_length=60, description="The number that replaces this one.")
    interchangeability: Interchangeability
    effective_on: date
    note: str = Field(default="", max_length=200)


@router.post("/parts/{id:part_id}/supersession", response={200: PartDetailOut, **ERRORS})
@operation("parts.manage")
def part_supersede(request: HttpRequest, part_id: int, payload: SupersessionIn) -> dict[str, Any]:
    """Record the number that replaces this part, and how far they are interchangeable."""
    part = _part(request, part_id)
    new = part_selectors.part_by_number(group_id=part.group_id, number=payload.new_number)
    if new is None:
        error = services.unknown_part(part.group_id, payload.new_number)
        error.fields = {"new_number": error.fields.pop("part_number")}
        raise error
    services.supersession_save(
        actor=request_user(request),
        old_part_id=part.pk,
        new_part_id=new.pk,
        interchangeability=payload.interchangeability,
        effective_on=payload.effective_on,
        note=payload.note,
    )
    return part_detail_out(request, part)


class PriceIn(InputSchema):
    kind: PriceKind
    store: str | None = Field(default=None, max_length=10, description="A store's own price; empty: the group's.")
    price: Decimal = Field(ge=0, max_digits=12, decimal_places=2, description="CNY, tax-inclusive.")
    valid_from: date
    reason: str = Field(default="", max_length=200, description="Required for a store price off the guide price.")


@router.post("/parts/{id:part_id}/prices", response={200: PartDetailOut, **ERRORS})
@operation("prices.manage")
def part_price(request: HttpRequest, part_id: int, payload: PriceIn) -> dict[str, Any]:
    """Set a price of the part from a date (the group's, or a store's own)."""
    part = _part(request, part_id)
    store_id = None
    if payload.store:
        store = Store.objects.filter(code=payload.store, group_id=part.group_id).first()
        if store is None:
            raise ApplicationError(_("Unknown store."), field="store")
        store_id = store.pk
    services.part_price_set(
        actor=request_user(request),
        part_id=part.pk,
        store_id=store_id,
        kind=payload.kind,
        price=payload.price,
        valid_from=payload.valid_from,
        reason=payload.reason,
    )
    return part_detail_out(request, part)


class PriceFileErrorOut(Schema):
    row: int
    column: str
    message: str


class PriceFileOut(Schema):
    rows: int
    updated: int = Field(description="Rows for numbers already in the master.")
    created_parts: int = Field(description="New numbers (a dry run: that would be added).")
    dry_run: bool
    imported: bool = Field(description="Whether the prices were written (never on a dry run or with errors).")
    errors: list[PriceFileErrorOut]


class PriceFileForm(InputSchema):
    brand: str = Field(max_length=20, description="Brand code.")
    kind: PriceKind = "retail"
    effective_from: date
    dry_run: bool = True


@router.post("/parts/price-files", response={200: PriceFileOut, **ERRORS})
@operation("prices.guide")
def price_file_upload(request: HttpRequest, form: Form[PriceFileForm], file: File[UploadedFile]) -> dict[str, Any]:
    """Import an OEM price file (.xlsx; columns 零件号 / part number, 名称 / name, 价格 / price, optional
    英文名称 and 单位): every wrong row and column at once; nothing is written on a dry run or an error."""
    brand = Brand.objects.filter(code=form.brand).first()
    if brand is None:
        raise ApplicationError(_("Unknown brand."), field="brand")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "prices.xlsx"
        with path.open("wb") as target:
            for chunk in file.chunks():
                target.write(chunk)
        result = services.price_file_import(
            actor=request_user(request),
            group=user_group(request),
            brand_id=brand.pk,
            kind=form.kind,
            effective_from=form.effective_from,
            path=path,
            file_name=file.name or "prices.xlsx",
            dry_run=form.dry_run,
        )
    return {
        "rows": result.rows,
        "updated": result.updated,
        "created_parts": result.created_parts,
        "dry_run": form.dry_run,
        "imported": result.price_file is not None,
        "errors": result.errors,
    }
