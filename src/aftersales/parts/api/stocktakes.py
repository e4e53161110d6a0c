"""Stocktakes: plan, count, settle double counts, approve and post."""

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from aftersales.core.access import stores_with
from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema, ListQuery, Page, paginate
from aftersales.core.errors import ApplicationError
from aftersales.core.money import from_fen
from aftersales.core.routing import operation, request_user
from aftersales.parts.api.common import StoreCode, parts_of, store_of
from aftersales.parts.models import Stocktake, StocktakeLine
from aftersales.parts.services import stocktakes

router = Router(tags=["stocktakes"])


class PostProblemOut(Schema):
    line: int | None = Field(description="The stocktake line; null when the ledger's refusal names no line.")
    part: str
    bin: str
    message: str


class StocktakeOut(Schema):
    id: int
    number: str
    store: str
    kind: str
    status: str
    blind: bool
    scope: dict[str, Any]
    lines: int
    counted: int
    created_at: datetime
    approved_at: datetime | None
    posted_at: datetime | None
    document_no: str
    post_total: int = Field(description="Lines with a variance, to post.")
    post_done: int = Field(description="Of those, lines checked by the posting job so far.")
    post_errors: list[PostProblemOut] = Field(description="Every line the last posting could not take.")
    post_message: str


def stocktake_out(row: Stocktake) -> dict[str, Any]:
    lines = StocktakeLine.objects.filter(stocktake=row)
    return {
        "id": row.pk,
        "number": row.number,
        "store": row.store.code,
        "kind": row.kind,
        "status": row.status,
        "blind": row.blind,
        "scope": row.scope,
        "lines": lines.count(),
        "counted": lines.filter(counted__isnull=False).count(),
        "created_at": row.created_at,
        "approved_at": row.approved_at,
        "posted_at": row.posted_at,
        "document_no": row.document_no,
        "post_total": row.post_total,
        "post_done": row.post_done,
        "post_errors": row.post_errors,
        "post_message": row.post_message,
    }


class StocktakeQuery(ListQuery):
    store: StoreCode | None = None
    status: Literal["counting", "approved", "posting", "posted", "cancelled"] | None = None


@router.get("/stocktakes", response={200: Page[StocktakeOut], **ERRORS})
@operation("parts.view")
def stocktake_list(request: HttpRequest, query: Query[StocktakeQuery]) -> dict[str, Any]:
    rows = Stocktake.objects.select_related("store")
    store_ids = stores_with(request_user(request), "parts.view")
    if store_ids is not None:
        rows = rows.filter(store_id__in=store_ids)
    if query.store:
        rows = rows.filter(store__code=query.store)
    if query.status:
        rows = rows.filter(status=query.status)
    page = paginate(rows, query, ordering_fields=("created_at",), default_ordering=("-created_at",))
    page["items"] = [stocktake_out(row) for row in page["items"]]
    return page


class StocktakeIn(InputSchema):
    store: StoreCode
    kind: Literal["full", "partial", "cycle"]
    blind: bool = True
    warehouse: int | None = Field(default=None, ge=1, le=2**62)
    bin_from: str = Field(default="", max_length=20)
    bin_to: str = Field(default="", max_length=20)
    abc_class: Literal["", "A", "B", "C"] = ""
    category: str = Field(default="", max_length=40)


@router.post("/stocktakes", response={201: StocktakeOut, **ERRORS})
@operation("stock.move")
def stocktake_create(request: HttpRequest, payload: StocktakeIn) -> Status[dict[str, Any]]:
    """Plan a stocktake of a scope: every part and bin in it that holds stock becomes a line."""
    store = store_of(request, payload.store, "stock.move")
    row = stocktakes.stocktake_create(
        actor=request_user(request),
        store_id=store.pk,
        kind=payload.kind,
        blind=payload.blind,
        scope=stocktakes.Scope(
            warehouse_id=payload.warehouse,
            bin_from=payload.bin_from,
            bin_to=payload.bin_to,
            abc_class=payload.abc_class,
            category=payload.category,
        ),
    )
    return Status(201, stocktake_out(row))


class LineOut(Schema):
    id: int
    part: str
    name: str
    bin: str
    counted: Decimal | None
    second_count: Decimal | None
    book: Decimal | None = Field(description="Hidden until approval on a blind stocktake.")
    variance: Decimal | None
    variance_value: Decimal | None = Field(description="In yuan, at the moving average when the line was counted.")
    found: bool


class StocktakeDetailOut(StocktakeOut):
    items: list[LineOut]


def _stocktake(request: HttpRequest, stocktake_id: int, permission: str) -> Stocktake:
    row = Stocktake.objects.select_related("store").filter(pk=stocktake_id).first()
    store_ids = stores_with(request_user(request), permission)
    if row is None or (store_ids is not None and row.store_id not in store_ids):
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    return row


@router.get("/stocktakes/{id:stocktake_id}", response={200: StocktakeDetailOut, **ERRORS})
@operation("parts.view")
def stocktake_detail(request: HttpRequest, stocktake_id: int) -> dict[str, Any]:
    """A stocktake with its lines; the book quantities show once it is approved, or on a non-blind one."""
    row = _stocktake(request, stocktake_id, "parts.view")
    shown = not row.blind or row.status != Stocktake.Status.COUNTING
    lines = StocktakeLine.objects.filter(stocktake=row).select_related("part", "bin__warehouse").order_by("pk")
    return {
        **stocktake_out(row),
        "items": [
            {
                "id": line.pk,
                "part": line.part.number_display,
                "name": line.part.name,
                "bin": str(line.bin),
                "counted": line.counted,
                "second_count": line.recount,
                "book": line.book if shown else None,
                "variance": line.counted - line.book
                if shown and line.counted is not None and line.book is not None
                else None,
                "variance_value": from_fen(value)
                if shown and (value := stocktakes.variance_value_fen(line)) is not None
                else None,
                "found": line.found,
            }
            for line in lines
        ],
    }


class CountIn(InputSchema):
    part: str = Field(max_length=60, description="Part number, scanned or typed.")
    bin: int = Field(ge=1, le=2**62)
    quantity: Decimal = Field(max_digits=14, decimal_places=3)
    reason: str = Field(default="", max_length=200, description="Needed for a part and bin not on the sheet.")


class CountsIn(InputSchema):
    counts: list[CountIn] = Field(min_length=1, max_length=20_000)


class CountsOut(Schema):
    counted: int
    conflicts: list[int] = Field(description="Lines counted twice differently: settle them with /resolve.")


@router.post("/stocktakes/{id:stocktake_id}/counts", response={200: CountsOut, **ERRORS})
@operation("stock.move")
def stocktake_counts(request: HttpRequest, stocktake_id: int, payload: CountsIn) -> dict[str, Any]:
    """Record counts; each line takes its book snapshot when it is first counted."""
    row = _stocktake(request, stocktake_id, "stock.move")
    parts = parts_of(row.store, [count.part for count in payload.counts], field="counts")
    try:
        result = stocktakes.stocktake_count(
            actor=request_user(request),
            stocktake_id=row.pk,
            entries=[
                stocktakes.CountEntry(parts[count.part].pk, count.bin, count.quantity, count.reason)
                for count in payload.counts
            ],
        )
    except ApplicationError as error:  # the service names its entries; the request calls them counts
        error.fields = {name.replace("entries", "counts", 1): messages for name, messages in error.fields.items()}
        raise
    return {"counted": result.counted, "conflicts": result.conflicts}


class ResolveIn(InputSchema):
    line: int = Field(ge=1, le=2**62)
    quantity: Decimal = Field(ge=0, max_digits=14, decimal_places=3)


@router.post("/stocktakes/{id:stocktake_id}/resolve", response={200: StocktakeOut, **ERRORS})
@operation("stock.move")
def stocktake_resolve(request: HttpRequest, stocktake_id: int, payload: ResolveIn) -> dict[str, Any]:
    """Say which count of a line counted twice is right."""
    row = _stocktake(request, stocktake_id, "stock.move")
    if not StocktakeLine.objects.filter(pk=payload.line, stocktake=row).exists():
        raise ApplicationError(_("Not found."), code="not_found", field="line", status=404)
    stocktakes.stocktake_resolve(actor=request_user(request), line_id=payload.line, quantity=payload.quantity)
    return stocktake_out(row)


@router.post("/stocktakes/{id:stocktake_id}/approve", response={200: StocktakeOut, **ERRORS})
@operation("stock.adjust")
def stocktake_approve(request: HttpRequest, stocktake_id: int) -> dict[str, Any]:
    """Approve the variances: every line counted, by someone who counted none of it."""
    row = _stocktake(request, stocktake_id, "stock.adjust")
    return stocktake_out(stocktakes.stocktake_approve(actor=request_user(request), stocktake_id=row.pk))


@router.post("/stocktakes/{id:stocktake_id}/post", response={202: StocktakeOut, **ERRORS})
@operation("stock.adjust")
def stocktake_post(request: HttpRequest, stocktake_id: int) -> Status[dict[str, Any]]:
    """Post the approved variances as one adjustment, once however many ask: a background job checks
    every line (all that cannot be posted reported at once, nothing written) and posts. Follow it on
    ``GET /stocktakes/{id}``: status ``posting`` with ``post_done`` of ``post_total``, then ``posted``,
    or ``approved`` again with ``post_errors``."""
    row = _stocktake(request, stocktake_id, "stock.adjust")
    return Status(202, stocktake_out(stocktakes.stocktake_post(actor=request_user(request), stocktake_id=row.pk)))


@router.post("/stocktakes/{id:stocktake_id}/reopen", response={200: StocktakeOut, **ERRORS})
@operation("stock.adjust")
def stocktake_reopen(request: HttpRequest, stocktake_id: int) -> dict[str, Any]:
    """Back to counting: the approval is withdrawn; the lines the posting refused are to be counted again."""
    row = _stocktake(request, stocktake_id, "stock.adjust")
    return stocktake_out(stocktakes.stocktake_reopen(actor=request_user(request), stocktake_id=row.pk))


@router.post("/stocktakes/{id:stocktake_id}/cancel", response={200: StocktakeOut, **ERRORS})
@operation("stock.adjust")
def stocktake_cancel(request: HttpRequest, stocktake_id: int) -> dict[str, Any]:
    """Cancel a stocktake that is counting or approved; nothing is posted."""
    row = _stocktake(request, stocktake_id, "stock.adjust")
    return stocktake_out(stocktakes.stocktake_cancel(actor=request_user(request), stocktake_id=row.pk))
