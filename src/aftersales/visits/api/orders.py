"""Repair orders: the store's list, one order with its lines, reservations, approvals and history, writing
and signing an order (RO-1, RCP-5), adding lines, changing a price, and moving lines and the order along.

The transitions endpoints take the workshop's actions (``repair_orders.workshop``); ``ready`` and
``deliver`` are final inspection's and delivery's, refused here (409)."""

from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router
from ninja.responses import Status

from aftersales.core import inputs
from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema, ListQuery, Page, paginate
from aftersales.core.errors import ApplicationError
from aftersales.core.routing import operation, request_user
from aftersales.parts.api.common import StoreCode, store_of
from aftersales.visits import services
from aftersales.visits.api.common import (
    STATE_ERRORS,
    Day,
    LineKind,
    Moment,
    Money,
    OrderState,
    PayTypeCode,
    RecordId,
    RepairOrderDetailOut,
    RepairOrderLineOut,
    RepairOrderOut,
    day_range,
    line_answer,
    order_detail_out,
    order_out,
    order_rows,
    order_written_out,
)

router = Router(tags=["repair orders"])

Source = Literal["requested", "walk_around", "diagnosis", "campaign", "declined_earlier", "additional"]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=3)]
SIGNATURE = Field(max_length=1_400_100, description="The pad's drawing: data:image/png;base64,… (at most 1 MB).")


class RepairOrderQuery(ListQuery):
    store: StoreCode
    state: OrderState | None = None
    date_from: Day | None = Field(default=None, description="Signed on or after this day of the store.")
    date_to: Day | None = Field(default=None, description="Signed on or before this day of the store.")


@router.get("/repair-orders", response={200: Page[RepairOrderOut], **ERRORS})
@operation("visits.view")
def repair_order_list(request: HttpRequest, query: Query[RepairOrderQuery]) -> dict[str, Any]:
    """The store's repair orders, newest signed first, by state or the store's days of signing."""
    store = store_of(request, query.store, "visits.view")
    if query.date_from and query.date_to and query.date_to < query.date_from:
        raise ApplicationError(_("The last day must not be before the first."), field="date_to", status=422)
    rows = order_rows(store)
    bounds = day_range(store, query.date_from, query.date_to)
    rows = rows.filter(**{f"signed_at__{lookup}": moment for lookup, moment in bounds.items()})
    if query.state:
        rows = rows.filter(state=query.state)
    page = paginate(rows, query, ordering_fields=("signed_at", "number"), default_ordering=("-signed_at",))
    page["items"] = [order_out(row, store) for row in page["items"]]
    return page


def _detail(request: HttpRequest, order_id: int) -> dict[str, Any]:
    services.repair_order_access(actor=request_user(request), order_id=order_id)
    return order_detail_out(request, order_id)


@router.get("/repair-orders/{id:order_id}", response={200: RepairOrderDetailOut, **ERRORS})
@operation("visits.view")
def repair_order_detail(request: HttpRequest, order_id: int) -> dict[str, Any]:
    """One order with its lines (state, pay type, prices, the stock reserved for part lines, approvals)
    and its history, each step of a line with the line's position."""
    return _detail(request, order_id)


class RepairOrderLineIn(InputSchema):
    kind: LineKind
    pay_type: PayTypeCode = "customer"
    source: Source = "requested"
    operation: RecordId | None = Field(default=None, description="Of labour: the catalogue's operation.")
    part: RecordId | None = Field(default=None, description="Of a part (or a consumable from stock): the part's id.")
    quantity: Quantity | None = Field(default=None, description="Units of a part; hours of labour (default: standard).")
    description: str = Field(default="", max_length=200, description="Default: the operation's or part's name.")
    unit_price: Money | None = Field(
        default=None, description="Tax incl.: of sublet work, consumables and fees; labour and parts by hand only."
    )
    cost: Money | None = Field(default=None, description="What sublet work costs the store.")
    supplier: RecordId | None = Field(default=None, description="Of sublet work.")
    campaign: RecordId | None = Field(default=None, description="The recall or campaign the work is of.")
    fault_code: str = Field(default="", max_length=20, description="SAE J2012, e.g. P0301.")
    symptom: str = Field(default="", max_length=200)
    causal_part: RecordId | None = Field(default=None, description="The part that caused the fault.")
    tax_rate: Annotated[Decimal, Field(max_digits=4, decimal_places=2)] | None = Field(
        default=None, description="VAT rate of a line priced as typed, e.g. 0.13."
    )
    declined_line: RecordId | None = Field(default=None, description="Work declined on an earlier visit, taken up.")
    recommendation: RecordId | None = Field(default=None, description="A recommendation of the visit.")
    fee_kind: Literal["", "testing", "rescue", "towing", "other"] = Field(
        default="", description="Of a fee: what it is for (the settlement list's fee categories)."
    )


def line_in(row: RepairOrderLineIn) -> services.LineIn:
    return services.LineIn(
        kind=row.kind,
        pay_type=row.pay_type,
        source=row.source,
        operation_id=row.operation,
        part_id=row.part,
        quantity=row.quantity,
        description=row.description,
        unit_price=row.unit_price,
        cost=row.cost,
        supplier_id=row.supplier,
        campaign_id=row.campaign,
        fault_code=row.fault_code,
        symptom=row.symptom,
        causal_part_id=row.causal_part,
        tax_rate=row.tax_rate,
        declined_line_id=row.declined_line,
        recommendation_id=row.recommendation,
        fee_kind=row.fee_kind,
    )


class RepairOrderIn(InputSchema):
    visit: RecordId
    statement: str = Field(
        max_length=4000, json_schema_extra=inputs.MULTILINE, description="What the customer says, in their words."
    )
    signature: str = SIGNATURE
    signed_name: str = Field(max_length=60)
    lines: list[RepairOrderLineIn] = Field(max_length=200)
    road_test_consent: bool = False
    old_parts: Literal["return", "leave", "claim"] = "return"
    valuables: str | None = Field(default=None, max_length=300, description="Default: as the walk-around records.")
    promised_at: Moment | None = Field(default=None, description="Default: as promised at reception.")


@router.post("/repair-orders", response={201: RepairOrderDetailOut, **STATE_ERRORS})
@operation("visits.receive")
def repair_order_create(request: HttpRequest, payload: RepairOrderIn) -> Status[dict[str, Any]]:
    """Write and sign the order of a visit: requested work the customer pays, campaign work and the free
    first service are approved by the signing, the rest stays proposed; parts are reserved. Every wrong
    field is named (``lines.N.<field>``); nothing is written."""
    order = services.repair_order_create(
        actor=request_user(request),
        visit_id=payload.visit,
        data=services.OrderIn(
            statement=payload.statement,
            signature=payload.signature,
            signed_name=payload.signed_name,
            lines=[line_in(row) for row in payload.lines],
            road_test_consent=payload.road_test_consent,
            old_parts=payload.old_parts,
            valuables=payload.valuables,
            promised_at=payload.promised_at,
        ),
    )
    return Status(201, order_written_out(request, order))


@router.post("/repair-orders/{id:order_id}/lines", response={201: RepairOrderLineOut, **STATE_ERRORS})
@operation(("visits.receive", "visits.diagnose"))
def repair_order_line_add(request: HttpRequest, order_id: int, payload: RepairOrderLineIn) -> Status[dict[str, Any]]:
    """Add a line to an open order or one in work: proposed, it needs its own approval (campaign work and
    the free first service are approved at once); its parts are reserved."""
    line = services.line_add(actor=request_user(request), order_id=order_id, data=line_in(payload))
    return Status(201, line_answer(request, line.pk))


class LinePriceIn(InputSchema):
    unit_price: Money = Field(description="The new unit price, tax incl.")
    reason: str = Field(max_length=200, description="Why it changes (recorded).")


@router.patch("/repair-orders/{id:order_id}/lines/{id:line_id}", response={200: RepairOrderLineOut, **STATE_ERRORS})
@operation("visits.receive")
def repair_order_line_price(request: HttpRequest, order_id: int, line_id: int, payload: LinePriceIn) -> dict[str, Any]:
    """Change a line's unit price with a reason: an approved line's only with ``visits.price`` (403)."""
    line = services.line_price_set(
        actor=request_user(request),
        order_id=order_id,
        line_id=line_id,
        unit_price=payload.unit_price,
        reason=payload.reason,
    )
    return line_answer(request, line.pk)


class LineTransitionIn(InputSchema):
    action: Literal["dispatch", "start", "finish", "rework", "cancel"] = Field(
        description="Approving and declining are recorded as approvals (``/approvals``)."
    )
    note: str = Field(default="", max_length=500)


@router.post(
    "/repair-orders/{id:order_id}/lines/{id:line_id}/transitions", response={200: RepairOrderLineOut, **STATE_ERRORS}
)
@operation(("repair_orders.workshop", "visits.receive"))
def repair_order_line_transition(
    request: HttpRequest, order_id: int, line_id: int, payload: LineTransitionIn
) -> dict[str, Any]:
    """Move a line by ``action`` (the workshop's steps: ``repair_orders.workshop``; cancelling: ``visits.receive``):
    a step its state does not allow is 409, an action without its role 403."""
    line = services.line_transition(
        actor=request_user(request), order_id=order_id, line_id=line_id, action=payload.action, note=payload.note
    )
    return line_answer(request, line.pk)


class OrderTransitionIn(InputSchema):
    action: Literal["start_work", "complete", "rework", "ready", "deliver", "close", "cancel"] = Field(
        description="``ready`` and ``deliver`` are final inspection's and delivery's: refused here (409)."
    )
    note: str = Field(default="", max_length=500)


@router.post("/repair-orders/{id:order_id}/transitions", response={200: RepairOrderDetailOut, **STATE_ERRORS})
@operation(("repair_orders.workshop", "repair_orders.cancel", "repair_orders.close"))
def repair_order_transition(request: HttpRequest, order_id: int, payload: OrderTransitionIn) -> dict[str, Any]:
    """Move the order by ``action`` (the workshop's steps: ``repair_orders.workshop``; ``cancel``:
    ``repair_orders.cancel``; ``close``: ``repair_orders.close``, 403 without); a guard's objection (e.g. no
    approved labour yet) is a 400 naming it."""
    services.repair_order_access(actor=request_user(request), order_id=order_id)
    services.repair_order_transition(
        actor=request_user(request), order_id=order_id, action=payload.action, note=payload.note
    )
    return _detail(request, order_id)
