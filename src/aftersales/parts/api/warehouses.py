"""Warehouses and bins of a store, and the bins' labels."""

from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from aftersales.core.access import stores_with
from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema, Page, file_answer, paginate
from aftersales.core.errors import ApplicationError
from aftersales.core.routing import operation, request_user
from aftersales.parts import documents, services
from aftersales.parts.api.common import StoreCode, StoreQuery, store_of
from aftersales.parts.models import Warehouse

router = Router(tags=["stock"])


# --- warehouses and bins --------------------------------------------------------------------------


class BinOut(Schema):
    id: int
    code: str
    is_active: bool


class WarehouseOut(Schema):
    id: int
    store: str
    code: str
    name: str
    is_active: bool
    cycle_days: int = Field(description="Every bin that holds stock cycle-counted once in this many days; 0: none.")
    bins: list[BinOut]


def warehouse_out(warehouse: Warehouse) -> dict[str, Any]:
    return {
        "id": warehouse.pk,
        "store": warehouse.store.code,
        "code": warehouse.code,
        "name": warehouse.name,
        "is_active": warehouse.is_active,
        "cycle_days": warehouse.cycle_days,
        "bins": [{"id": b.pk, "code": b.code, "is_active": b.is_active} for b in warehouse.bins.order_by("code")],
    }


@router.get("/stock/warehouses", response={200: Page[WarehouseOut], **ERRORS})
@operation("parts.view")
def warehouse_list(request: HttpRequest, query: Query[StoreQuery]) -> dict[str, Any]:
    rows = Warehouse.objects.select_related("store")
    store_ids = stores_with(request_user(request), "parts.view")
    if store_ids is not None:
        rows = rows.filter(store_id__in=store_ids)
    if query.store:
        rows = rows.filter(store__code=query.store)
    page = paginate(rows, query, ordering_fields=("code",), default_ordering=("store__code", "code"))
    page["items"] = [warehouse_out(row) for row in page["items"]]
    return page


class WarehouseIn(InputSchema):
    store: StoreCode
    code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=100)
    bins: list[Annotated[str, Field(min_length=1, max_length=20)]] = Field(default_factory=list, max_length=2000)


@router.post("/stock/warehouses", response={201: WarehouseOut, **ERRORS})
@operation("warehouses.manage")
def warehouse_create(request: HttpRequest, payload: WarehouseIn) -> Status[dict[str, Any]]:
    """Open a warehouse in a store, with its first bins."""
    store = store_of(request, payload.store, "warehouses.manage")
    actor = request_user(request)
    warehouse = services.warehouse_save(actor=actor, store_id=store.pk, code=payload.code, name=payload.name)
    if payload.bins:
        services.bins_create(actor=actor, warehouse_id=warehouse.pk, codes=payload.bins)
    return Status(201, warehouse_out(warehouse))


class BinsIn(InputSchema):
    codes: list[Annotated[str, Field(min_length=1, max_length=20)]] = Field(min_length=1, max_length=2000)


def _warehouse(request: HttpRequest, warehouse_id: int, permission: str) -> Warehouse:
    warehouse = Warehouse.objects.select_related("store").filter(pk=warehouse_id).first()
    store_ids = stores_with(request_user(request), permission)
    if warehouse is None or (store_ids is not None and warehouse.store_id not in store_ids):
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    return warehouse


@router.post("/stock/warehouses/{id:warehouse_id}/bins", response={200: WarehouseOut, **ERRORS})
@operation("warehouses.manage")
def warehouse_bins_add(request: HttpRequest, warehouse_id: int, payload: BinsIn) -> dict[str, Any]:
    warehouse = _warehouse(request, warehouse_id, "warehouses.manage")
    services.bins_create(actor=request_user(request), warehouse_id=warehouse.pk, codes=payload.codes)
    return warehouse_out(warehouse)


class CycleIn(InputSchema):
    cycle_days: int = Field(ge=0, le=366)


@router.post("/stock/warehouses/{id:warehouse_id}/cycle", response={200: WarehouseOut, **ERRORS})
@operation("warehouses.manage")
def warehouse_cycle(request: HttpRequest, warehouse_id: int, payload: CycleIn) -> dict[str, Any]:
    """Set the cycle counts: every bin holding stock counted once in ``cycle_days`` days (0: none); each
    morning a blind cycle stocktake of the next bins is planned."""
    warehouse = _warehouse(request, warehouse_id, "warehouses.manage")
    return warehouse_out(
        services.warehouse_cycle_set(
            actor=request_user(request), warehouse_id=warehouse.pk, cycle_days=payload.cycle_days
        )
    )


@router.get(
    "/stock/warehouses/{id:warehouse_id}/labels.pdf",
    response={200: None, **ERRORS},
    openapi_extra=file_answer("Bin labels with a QR code each (A4, 3 × 8)."),
)
@operation("parts.view")
def warehouse_labels(request: HttpRequest, warehouse_id: int) -> HttpResponse:
    """The warehouse's bin labels to print: code and a QR code per bin."""
    warehouse = _warehouse(request, warehouse_id, "parts.view")
    response = HttpResponse(documents.bin_labels_pdf(warehouse), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bins-{warehouse.store.code}-{warehouse.code}.pdf"'
    return response
