"""A repair order as the API's answers show it (its lines, approvals and events; times in the store's zone,
money as decimal strings), and the reads behind it, a fixed number of queries however many lines it has."""

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Prefetch, QuerySet, Sum
from django.http import HttpRequest
from ninja import Field, Schema

from aftersales.core.access import can
from aftersales.core.apikit import StateEventOut
from aftersales.core.models import Store
from aftersales.core.routing import request_user
from aftersales.parts.models import Reservation
from aftersales.parts.selectors.stock import reservations
from aftersales.visits.api.common.base import (
    ApprovalKind,
    LineKind,
    LineState,
    OrderState,
    PayTypeCode,
    events_out,
    local,
)
from aftersales.visits.models import (
    Line,
    LineApproval,
    RepairOrder,
    RepairOrderEvent,
)
from aftersales.visits.transitions import REPAIR_ORDER, SERVICE_ONLY, line_actions

# --- repair orders ----------------------------------------------------------------------------------


class RepairOrderOut(Schema):
    id: int
    number: str
    store: str
    state: OrderState
    visit: int
    visit_number: str
    customer: int
    vehicle: int
    plate: str
    advisor: str
    customer_statement: str
    road_test_consent: bool
    old_parts: Literal["return", "leave", "claim"]
    valuables: str
    mileage_in: int
    signed_name: str
    signed_at: datetime
    promised_at: datetime | None = Field(description="As promised to the customer (the visit's).")
    created_at: datetime


class ApprovalOut(Schema):
    id: int
    line: int
    position: int = Field(description="The line's position on the order.")
    kind: ApprovalKind
    approved: bool
    amount: Decimal = Field(description="The line's amount (tax incl.) as approved or declined.")
    by: str | None = Field(description="Who recorded it; null: the customer through a link, or automatic.")
    person: str
    signed: bool = Field(description="Whether a signature was taken.")
    insurer: str
    claim_number: str
    assessed_amount: Decimal | None
    deductible: Decimal | None = Field(description="This line's share of the deductible.")
    provider: str
    contract_number: str
    authorisation_number: str
    campaign: int | None
    note: str
    snapshot_hash: str
    at: datetime


class RepairOrderLineOut(Schema):
    id: int
    position: int
    kind: LineKind
    state: LineState
    source: str
    pay_type: PayTypeCode
    operation: int | None
    part: int | None
    part_number: str | None
    campaign: int | None
    supplier: int | None
    description: str
    repair_category: str
    quantity: Decimal = Field(description="Units of a part; hours of labour.")
    unit_price: Decimal = Field(description="Tax incl.")
    amount: Decimal = Field(description="Tax incl.")
    net: Decimal
    tax: Decimal
    tax_code: str
    tax_rate: Decimal
    price_basis: str
    guide_price: Decimal | None
    price_source: str
    price_overridden: bool
    cost: Decimal | None = Field(description="What sublet work costs the store.")
    priced_at: datetime | None = Field(description="When the price was frozen (at approval).")
    fault_code: str
    symptom: str
    causal_part: int | None
    decline_reason: str
    followed_up_by: int | None = Field(description="The line of a later order that took up this declined work.")
    reserved: Decimal | None = Field(
        description="Of a part line: the quantity reserved in stock (the rest is to be ordered); null otherwise."
    )
    approvals: list[ApprovalOut]
    actions: list[str] = Field(
        description="What the caller may do to it now through ``/transitions`` (empty without that right)."
    )
    created_at: datetime


class OrderEventOut(StateEventOut):
    line: int | None = Field(description="The line's position, for a step of a line; null: of the order.")


class RepairOrderDetailOut(RepairOrderOut):
    lines: list[RepairOrderLineOut]
    events: list[OrderEventOut]
    actions: list[str] = Field(
        description="What the caller may do to it now through ``/transitions`` (empty without that right)."
    )


def order_rows(store: Store) -> QuerySet[RepairOrder]:
    return RepairOrder.all_objects.filter(store=store).select_related("visit", "vehicle", "advisor")


def order_out(row: RepairOrder, store: Store) -> dict[str, Any]:
    visit = row.visit
    return {
        "id": row.pk,
        "number": row.number,
        "store": store.code,
        "state": row.state,
        "visit": visit.pk,
        "visit_number": visit.number,
        "customer": row.customer_id,
        "vehicle": row.vehicle_id,
        "plate": row.vehicle.plate,
        "advisor": row.advisor.username,
        "customer_statement": row.customer_statement,
        "road_test_consent": row.road_test_consent,
        "old_parts": row.old_parts,
        "valuables": row.valuables,
        "mileage_in": row.mileage_in,
        "signed_name": row.signed_name,
        "signed_at": local(row.signed_at, store),
        "promised_at": local(visit.promised_at, store),
        "created_at": local(row.created_at, store),
    }


def approval_out(approval: LineApproval, line: Line, store: Store) -> dict[str, Any]:
    return {
        "id": approval.pk,
        "line": line.pk,
        "position": line.position,
        "kind": approval.kind,
        "approved": approval.approved,
        "amount": approval.amount,
        "by": approval.by.username if approval.by else None,
        "person": approval.person,
        "signed": approval.signature_id is not None,
        "insurer": approval.insurer,
        "claim_number": approval.claim_number,
        "assessed_amount": approval.assessed_amount,
        "deductible": approval.deductible,
        "provider": approval.provider,
        "contract_number": approval.contract_number,
        "authorisation_number": approval.authorisation_number,
        "campaign": approval.campaign_id,
        "note": approval.note,
        "snapshot_hash": approval.snapshot_hash,
        "at": local(approval.at, store),
    }


PART_KINDS = (Line.Kind.PART, Line.Kind.CONSUMABLE)
LINE_ACTIONS = frozenset({"approve", "decline"})  # taken by recording an approval, not by ``/transitions``
TRANSITIONS = "repair_orders.workshop"  # who may call the ``/transitions`` endpoints


def may_move(request: HttpRequest, store: Store) -> bool:
    """Whether the caller may call the ``/transitions`` endpoints in the store (their ``actions`` are then
    listed; empty otherwise)."""
    return can(request.user, TRANSITIONS, store_id=store.pk)


def reserved_by_line(order: RepairOrder) -> dict[int, Decimal]:
    """What stock holds for each line of the order (one query)."""
    rows = (
        reservations(store_ids=[order.store_id], demand_type=Reservation.DemandType.REPAIR_ORDER, demand_id=order.pk)
        .order_by()
        .values("demand_line_id")
        .annotate(total=Sum("quantity"))
    )
    return {row["demand_line_id"]: row["total"] for row in rows if row["demand_line_id"] is not None}


def line_rows() -> QuerySet[Line]:
    return Line.all_objects.select_related("part").prefetch_related(
        Prefetch("approvals", queryset=LineApproval.objects.select_related("by").order_by("at", "pk"))
    )


def line_out(
    request: HttpRequest,
    line: Line,
    store: Store,
    reserved: dict[int, Decimal],
    *,
    movable: bool,
    approvals: list[LineApproval] | None = None,
) -> dict[str, Any]:
    user = request_user(request)
    has_part = line.part_id is not None and line.kind in PART_KINDS
    return {
        "id": line.pk,
        "position": line.position,
        "kind": line.kind,
        "state": line.state,
        "source": line.source,
        "pay_type": line.pay_type,
        "operation": line.operation_id,
        "part": line.part_id,
        "part_number": line.part.number_display if line.part_id and line.part else None,
        "campaign": line.campaign_id,
        "supplier": line.supplier_id,
        "description": line.description,
        "repair_category": line.repair_category,
        "quantity": Decimal(line.quantity).quantize(Decimal("0.001")),
        "unit_price": line.unit_price,
        "amount": line.amount,
        "net": line.net,
        "tax": line.tax,
        "tax_code": line.tax_code,
        "tax_rate": line.tax_rate,
        "price_basis": line.price_basis,
        "guide_price": line.guide_price,
        "price_source": line.price_source,
        "price_overridden": line.price_overridden,
        "cost": line.cost,
        "priced_at": local(line.priced_at, store),
        "fault_code": line.fault_code,
        "symptom": line.fault_symptom,
        "causal_part": line.causal_part_id,
        "decline_reason": line.decline_reason,
        "followed_up_by": line.followed_up_by_id,
        "reserved": Decimal(reserved.get(line.pk, 0)).quantize(Decimal("0.001")) if has_part else None,
        "approvals": [
            approval_out(approval, line, store)
            for approval in (line.approvals.all() if approvals is None else approvals)
        ],
        "actions": line_actions(line, user) if movable else [],
        "created_at": local(line.created_at, store),
    }


ORDER_OPEN = (RepairOrder.State.OPEN, RepairOrder.State.IN_WORK, RepairOrder.State.COMPLETED)


def line_answer(request: HttpRequest, line_id: int) -> dict[str, Any]:
    """One line (its access checked by the caller) as the order shows it."""
    line = line_rows().select_related("order__store").get(pk=line_id)
    order = line.order
    movable = order.state in ORDER_OPEN and may_move(request, order.store)
    return line_out(request, line, order.store, reserved_by_line(order), movable=movable)


def order_detail_out(request: HttpRequest, order_id: int) -> dict[str, Any]:
    """An order (its access checked by the caller) with its lines, their reservations and approvals, and
    its history: the same few queries however many lines it has."""
    row = (
        RepairOrder.all_objects.select_related("store", "visit", "vehicle", "advisor")
        .prefetch_related(
            Prefetch("lines", queryset=line_rows().order_by("position")),
            Prefetch("events", queryset=RepairOrderEvent.objects.select_related("actor", "line").order_by("at", "pk")),
        )
        .get(pk=order_id)
    )
    store = row.store
    reserved = reserved_by_line(row)
    movable = may_move(request, store)
    user = request_user(request)
    return {
        **order_out(row, store),
        "lines": [
            line_out(request, line, store, reserved, movable=movable and row.state in ORDER_OPEN)
            for line in row.lines.all()
        ],
        "events": order_events_out(list(row.events.all()), store),
        "actions": [a for a in REPAIR_ORDER.actions(row, user) if a not in SERVICE_ONLY] if movable else [],
    }


def order_events_out(events: list[RepairOrderEvent], store: Store) -> list[dict[str, Any]]:
    return [
        {**event, "line": source.line.position if source.line_id and source.line else None}
        for event, source in zip(events_out(events, store), events, strict=True)
    ]


def order_written_out(request: HttpRequest, order: RepairOrder) -> dict[str, Any]:
    """An order just signed, as ``order_detail_out`` shows it, from what the signing wrote (``order.written``,
    ``services.orders.Written``): nothing is read back."""
    written = order.written  # type: ignore[attr-defined]
    store = order.store
    movable = may_move(request, store)
    user = request_user(request)
    by_line: dict[int, list[LineApproval]] = {}
    for approval in written.approvals:
        by_line.setdefault(approval.line_id, []).append(approval)
    return {
        **order_out(order, store),
        "lines": [
            line_out(
                request,
                line,
                store,
                written.reserved,
                movable=movable and order.state in ORDER_OPEN,
                approvals=by_line.get(line.pk, []),
            )
            for line in written.lines
        ],
        "events": order_events_out(written.events, store),
        "actions": [a for a in REPAIR_ORDER.actions(order, user) if a not in SERVICE_ONLY] if movable else [],
    }


def approvals_out(order_id: int) -> list[dict[str, Any]]:
    """Every approval of an order's lines, in the order they were recorded."""
    store = RepairOrder.all_objects.select_related("store").get(pk=order_id).store
    rows = LineApproval.objects.filter(line__order_id=order_id).select_related("by", "line").order_by("at", "pk")
    return [approval_out(row, row.line, store) for row in rows]


def approvals_written(approvals: list[LineApproval]) -> list[dict[str, Any]]:
    """The approvals one act recorded (bulk-created: read again by their lines, newest of each)."""
    if not approvals:
        return []
    newest = {a.line_id: a for a in approvals}
    rows = (
        LineApproval.objects.filter(line_id__in=newest, kind=approvals[0].kind)
        .select_related("by", "line__order__store")
        .order_by("-pk")
    )
    found: dict[int, LineApproval] = {}
    for row in rows:
        found.setdefault(row.line_id, row)
    return [approval_out(found[a.line_id], found[a.line_id].line, found[a.line_id].line.order.store) for a in approvals]
