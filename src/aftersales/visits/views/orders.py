"""Repair orders: the list, an order's page with its lines, approvals and history, and what is done to it
there (a line added, a price changed, a decision recorded, a link sent, a move of the order or a line)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.db.models import Prefetch, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from aftersales.catalogue.paytypes import PAY_TYPES, ApprovalKind
from aftersales.core.errors import ApplicationError
from aftersales.core.routing import can_here, page, page_store, request_user
from aftersales.parts.models import Reservation
from aftersales.visits import documents, services
from aftersales.visits.forms import ActionForm, ApprovalForm, LineForm, PriceForm
from aftersales.visits.models import Line, LineApproval, RepairOrder
from aftersales.visits.services.approvals import PERMISSION, RECORDERS
from aftersales.visits.services.links import approval_link_send
from aftersales.visits.transitions import ACTION_BUTTONS, ACTION_LABELS, REPAIR_ORDER, SERVICE_ONLY, line_actions
from aftersales.visits.views.base import WallClock, order_of
from aftersales.visits.views.signing import line_in_of, operations_of

STATE_STYLES = {
    "open": "primary",
    "in_work": "info",
    "completed": "success",
    "ready": "success",
    "delivered": "secondary",
    "closed": "dark",
    "cancelled": "light",
}


# --- the list and an order's page --------------------------------------------------------------------

LIVE = (Line.State.APPROVED, Line.State.DISPATCHED, Line.State.IN_PROGRESS, Line.State.DONE)


@require_GET
@page("visits.view")
def order_list(request: HttpRequest) -> HttpResponse:
    store = page_store(request)
    state = request.GET.get("state", "")
    rows = (
        RepairOrder.all_objects.filter(store=store)
        .select_related("vehicle", "customer", "advisor")
        .annotate(approved=Sum("lines__amount", filter=Q(lines__state__in=LIVE)))
        .order_by("-signed_at", "-pk")
    )
    if state in RepairOrder.State.values:
        rows = rows.filter(state=state)
    clock = WallClock(store)
    return render(
        request,
        "visits/orders.html",
        {
            "orders": [(order, clock(order.signed_at), STATE_STYLES[order.state]) for order in rows[:200]],
            "states": RepairOrder.State.choices,
            "state": state,
        },
    )


def _order_context(request: HttpRequest, order: RepairOrder, **extra: Any) -> dict[str, Any]:
    clock = WallClock(order.store)
    user = request_user(request)
    lines = list(
        Line.all_objects.filter(order=order)
        .select_related("operation", "part", "campaign")
        .prefetch_related(
            Prefetch("approvals", queryset=LineApproval.objects.select_related("by").order_by("at", "pk"))
        )
        .order_by("position")
    )
    reserved: dict[int, Decimal] = {}
    for line_id, quantity in (
        Reservation.all_objects.filter(demand_type=Reservation.DemandType.REPAIR_ORDER, demand_id=order.pk)
        .values_list("demand_line_id")
        .annotate(q=Sum("quantity"))
    ):
        reserved[line_id] = quantity
    shown: list[dict[str, Any]] = []
    for line in lines:
        waiting_for = PAY_TYPES[line.pay_type].approval
        shown.append(
            {
                "line": line,
                "reserved": reserved.get(line.pk, Decimal(0)),
                "short": line.quantity - reserved.get(line.pk, Decimal(0))
                if line.part_id
                and line.kind in (Line.Kind.PART, Line.Kind.CONSUMABLE)
                and line.state not in ("declined", "cancelled", "done")
                else Decimal(0),
                "needs": waiting_for,
                "actions": line_actions(line, user),
            }
        )
    totals = {
        "approved": sum((line.amount for line in lines if line.state in LIVE), Decimal(0)),
        "proposed": sum((line.amount for line in lines if line.state == Line.State.PROPOSED), Decimal(0)),
    }
    proposed = [row for row in shown if row["line"].state == Line.State.PROPOSED]
    events = order.events.select_related("actor", "line").order_by("pk")
    states = dict(RepairOrder.State.choices) | dict(Line.State.choices)
    return {
        "order": order,
        "visit": order.visit,
        "style": STATE_STYLES[order.state],
        "signed": clock(order.signed_at),
        "promised": clock.maybe(order.visit.promised_at),
        "rows": shown,
        "proposed": proposed,
        "customer_waiting": any(row["needs"] == ApprovalKind.CUSTOMER for row in proposed),
        "totals": totals,
        "events": [
            (
                event,
                clock(event.at),
                ACTION_LABELS.get(event.action, event.action),
                states.get(event.to_state, event.to_state),
            )
            for event in events
        ],
        "actions": [a for a in REPAIR_ORDER.actions(order, user) if a not in SERVICE_ONLY],
        "action_buttons": ACTION_BUTTONS,
        "open": order.state in (RepairOrder.State.OPEN, RepairOrder.State.IN_WORK),
        # Work left proposed on a completed order is still declined (approving it would need the workshop).
        "decidable": order.state in (RepairOrder.State.OPEN, RepairOrder.State.IN_WORK, RepairOrder.State.COMPLETED),
        "may_receive": can_here(request, "visits.receive"),
        "may_price": can_here(request, "visits.price"),
        "approval_form": _kinds_of(
            request, extra.get("approval_form") or ApprovalForm(initial={"person": order.visit.contact_name})
        ),
        "may_approve": any(can_here(request, code) for code in RECORDERS),
        "line_form": extra.get("line_form") or LineForm(),
        "price_form": extra.get("price_form") or PriceForm(),
        "operations": operations_of(order.store.group_id),
        "link_url": extra.get("link_url", ""),
        "panels": [panel(request, order) for panel in ORDER_PANELS],
    }


# What later areas show beside an order (the workshop: its jobs and the parts it waits for): each renders a
# piece of the page for the reader, or "" when it has nothing to show.
ORDER_PANELS: list[Callable[[HttpRequest, RepairOrder], SafeString | str]] = []


def _kinds_of(request: HttpRequest, form: ApprovalForm) -> ApprovalForm:
    """The kinds of approval the reader may record, offered on the form."""
    field = form.fields["kind"]
    field.choices = [c for c in field.choices if c[0] in PERMISSION and can_here(request, PERMISSION[c[0]])]  # type: ignore[attr-defined]
    return form


@require_GET
@page("visits.view")
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    return render(request, "visits/order.html", _order_context(request, order_of(request, order_id)))


def _refused(request: HttpRequest, order: RepairOrder, error: ApplicationError, **extra: Any) -> HttpResponse:
    messages.error(
        request, error.detail if not error.fields else " ".join(m for ms in error.fields.values() for m in ms)
    )
    return render(request, "visits/order.html", _order_context(request, order, **extra), status=error.status)


@require_POST
@page(("visits.receive", "visits.diagnose"))
def line_add(request: HttpRequest, order_id: int) -> HttpResponse:
    """Add a line (proposed: it needs its own approval), or a campaign's work with one click."""
    order = order_of(request, order_id)
    actor = request_user(request)
    campaign_id = request.POST.get("campaign", "")
    try:
        if campaign_id.isdigit() and len(campaign_id) < 19:
            work = services.campaign_add(actor=actor, order_id=order.pk, campaign_id=int(campaign_id))
            messages.success(request, _("%(title)s is on the order.") % {"title": work[0].campaign})
            return redirect("visits:order", order_id=order.pk)
        form = LineForm(request.POST)
        if not form.is_valid():
            raise ApplicationError(_("Some fields need attention."), fields=dict(form.errors), status=422)
        line, errors = line_in_of(form.cleaned_data, order.store.group_id)
        if line is None:
            raise ApplicationError(_("Some fields need attention."), fields=errors, status=422)
        added = services.line_add(actor=actor, order_id=order.pk, data=line)
    except ApplicationError as error:
        if error.status == 404:
            raise
        form = LineForm(request.POST)
        form.is_valid()
        form.add_service_errors(error)
        return _refused(request, order, error, line_form=form)
    messages.success(request, _("Line %(n)s is added.") % {"n": added.position})
    return redirect("visits:order", order_id=order.pk)


@require_POST
@page("visits.receive")
def line_price(request: HttpRequest, order_id: int, line_id: int) -> HttpResponse:
    order = order_of(request, order_id)
    form = PriceForm(request.POST)
    if not form.is_valid():
        return _refused(
            request,
            order,
            ApplicationError(_("Some fields need attention."), fields=dict(form.errors), status=422),
            price_form=form,
        )
    try:
        services.line_price_set(
            actor=request_user(request),
            order_id=order.pk,
            line_id=line_id,
            unit_price=form.cleaned_data["unit_price"],
            reason=form.cleaned_data["reason"],
        )
    except ApplicationError as error:
        if error.status == 404:
            raise
        return _refused(request, order, error, price_form=form)
    messages.success(request, _("The price is changed."))
    return redirect("visits:order", order_id=order.pk)


@require_POST
@page(("repair_orders.workshop", "visits.receive"))
def line_action(request: HttpRequest, order_id: int, line_id: int) -> HttpResponse:
    order = order_of(request, order_id)
    form = ActionForm(request.POST)
    if not form.is_valid():
        return _refused(request, order, ApplicationError(_("Choose an action."), fields=dict(form.errors), status=422))
    try:
        line = services.line_transition(
            actor=request_user(request),
            order_id=order.pk,
            line_id=line_id,
            action=form.cleaned_data["action"],
            note=form.cleaned_data["note"],
        )
    except ApplicationError as error:
        if error.status == 404:
            raise
        return _refused(request, order, error)
    messages.success(request, _("Line %(n)s: %(state)s.") % {"n": line.position, "state": line.get_state_display()})
    return redirect("visits:order", order_id=order.pk)


@require_POST
@page(("repair_orders.workshop", "repair_orders.cancel", "repair_orders.close"))
def order_action(request: HttpRequest, order_id: int) -> HttpResponse:
    order = order_of(request, order_id)
    form = ActionForm(request.POST)
    if not form.is_valid():
        return _refused(request, order, ApplicationError(_("Choose an action."), fields=dict(form.errors), status=422))
    try:
        order = services.repair_order_transition(
            actor=request_user(request),
            order_id=order.pk,
            action=form.cleaned_data["action"],
            note=form.cleaned_data["note"],
        )
    except ApplicationError as error:
        if error.status == 404:
            raise
        return _refused(request, order, error)
    messages.success(
        request, _("Repair order %(number)s: %(state)s.") % {"number": order.number, "state": order.get_state_display()}
    )
    return redirect("visits:order", order_id=order.pk)


def _money(value: str) -> Decimal | None:
    try:
        amount = Decimal(value.strip())
    except (InvalidOperation, AttributeError):
        return None
    return amount if amount.is_finite() else None


@require_POST
@page(RECORDERS)
def approval_record(request: HttpRequest, order_id: int) -> HttpResponse:
    """Record one approval act: the lines decided (``decide-<line>``: approve / decline, a reason and an
    insurer's amount each) and the kind's fields."""
    order = order_of(request, order_id)
    form = ApprovalForm(request.POST)
    if not form.is_valid():
        return _refused(
            request,
            order,
            ApplicationError(_("Some fields need attention."), fields=dict(form.errors), status=422),
            approval_form=form,
        )
    decisions = []
    bad_amounts: dict[str, list[str]] = {}
    for key, value in request.POST.items():
        if not key.startswith("decide-") or value not in ("approve", "decline"):
            continue
        line_text = key.removeprefix("decide-")
        if not line_text.isdigit() or len(line_text) > 18:
            continue
        amount_text = request.POST.get(f"assessed-{line_text}", "").strip()
        amount = _money(amount_text) if amount_text else None
        if amount_text and amount is None:
            bad_amounts[f"assessed-{line_text}"] = [_("Enter an amount such as 350.00.")]
        decisions.append(
            services.Decision(
                int(line_text),
                value == "approve",
                request.POST.get(f"reason-{line_text}", "")[:200],
                assessed_amount=amount,
            )
        )
    if bad_amounts:
        for messages_ in bad_amounts.values():
            form.add_error(None, messages_)
        return _refused(
            request,
            order,
            ApplicationError(_("Some fields need attention."), fields=bad_amounts, status=422),
            approval_form=form,
        )
    data = form.cleaned_data
    try:
        services.approvals_record(
            actor=request_user(request),
            order_id=order.pk,
            data=services.ApprovalIn(
                kind=data["kind"],
                decisions=decisions,
                person=data["person"],
                note=data["note"],
                signature=data["signature"],
                insurer=data["insurer"],
                claim_number=data["claim_number"],
                deductible=data["deductible"],
                provider=data["provider"],
                contract_number=data["contract_number"],
                authorisation_number=data["authorisation_number"],
                not_required=data["not_required"],
            ),
        )
    except ApplicationError as error:
        if error.status == 404:
            raise
        form.add_service_errors(error)
        return _refused(request, order, error, approval_form=form)
    messages.success(request, _("The decision is recorded."))
    return redirect("visits:order", order_id=order.pk)


@require_POST
@page("visits.receive")
def link_send(request: HttpRequest, order_id: int) -> HttpResponse:
    """Send the customer a link to decide on the proposed work; the link is shown too (to read out or
    show as a QR code on the advisor's screen)."""
    order = order_of(request, order_id)
    try:
        _link, url = approval_link_send(
            actor=request_user(request), order_id=order.pk, base_url=request.build_absolute_uri("/")
        )
    except ApplicationError as error:
        if error.status == 404:
            raise
        return _refused(request, order, error)
    messages.success(request, _("The approval link is sent to the customer."))
    return render(request, "visits/order.html", _order_context(request, order, link_url=url))


@require_GET
@page("visits.view")
def order_pdf(request: HttpRequest, order_id: int) -> HttpResponse:
    order = order_of(request, order_id)
    user = request_user(request)
    return documents.pdf_response(
        documents.repair_order_pdf(order, printed_by=user.full_name or user.username), f"{order.number}.pdf"
    )


@require_GET
@page("visits.view")
def estimate_pdf(request: HttpRequest, order_id: int) -> HttpResponse:
    order = order_of(request, order_id)
    user = request_user(request)
    return documents.pdf_response(
        documents.estimate_pdf(order, printed_by=user.full_name or user.username), f"{order.number}-estimate.pdf"
    )
