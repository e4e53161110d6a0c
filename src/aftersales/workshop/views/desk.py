"""The parts desk (the technicians' open parts requests, each issued by scanning its part) and an order
waiting for parts: what is missing and the purchase bought for it, buying it urgently, the car leaving
and coming back, a new promised time told to the customer."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from aftersales.appointments.forms import in_store_zone
from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.forms import StyledForm
from aftersales.core.routing import can_here, page, page_store, request_user
from aftersales.purchasing.models import PurchaseOrder, Supplier
from aftersales.visits.models import Line, RepairOrder, Visit
from aftersales.workshop.models import OffSite, PartsRequest
from aftersales.workshop.services.parts import parts_order, parts_request_issue, shortages
from aftersales.workshop.services.work import eta_change, off_site_back, off_site_leave
from aftersales.workshop.views.base import WallClock, is_htmx, order_of, refusal_status

R = PartsRequest.State
URGENT_TYPES = (PurchaseOrder.OrderType.URGENT, PurchaseOrder.OrderType.VOR)


# --- forms ----------------------------------------------------------------------------------------------


class IssueForm(StyledForm):
    part_number = forms.CharField(
        label=gettext_lazy("Scan or type the part number"),
        max_length=60,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false", "autocomplete": "off"}),
    )


class BuyForm(StyledForm):
    """Buy a part line's missing quantity: an urgent or VOR purchase order to a supplier of the group."""

    line = forms.TypedChoiceField(coerce=int, widget=forms.HiddenInput)
    supplier = forms.TypedChoiceField(label=gettext_lazy("Supplier"), coerce=int)
    order_type = forms.ChoiceField(
        label=gettext_lazy("Order type"),
        choices=[(value, label) for value, label in PurchaseOrder.OrderType.choices if value in URGENT_TYPES],
    )
    unit_price = forms.DecimalField(
        label=gettext_lazy("Unit price"), max_digits=12, decimal_places=2, min_value=Decimal(0)
    )
    expected_on = forms.DateField(
        label=gettext_lazy("Expected on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, lines: list[int], suppliers: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [(str(pk), str(pk)) for pk in lines]  # type: ignore[attr-defined]
        self.fields["supplier"].choices = [("", "—"), *((str(pk), name) for pk, name in suppliers)]  # type: ignore[attr-defined]

    def service_field(self, key: str, messages: list[str]) -> tuple[str, list[str]]:
        """The purchase order's line errors (``lines.0.unit_price``) are this form's fields."""
        name = key.split(".")[-1] if key.startswith("lines.") else key
        return {"part": "line", "quantity": "line"}.get(name, name), messages

    def line_id(self) -> int | None:
        value = str(self.data.get("line", "")) if self.is_bound else str(self.initial.get("line", ""))
        return int(value) if value.isdigit() and len(value) < 19 else None


class LeaveForm(StyledForm):
    reason = forms.CharField(label=gettext_lazy("Why the car leaves"), max_length=200)
    owner_agreed_pause = forms.BooleanField(label=gettext_lazy("The owner agreed to pause the repair"), required=False)


class BackForm(StyledForm):
    """The car is back (nothing to fill in)."""


class EtaForm(StyledForm):
    promised_at = forms.DateTimeField(
        label=gettext_lazy("New promised time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    reason = forms.CharField(label=gettext_lazy("Why the time changes"), max_length=200)
    waiting_for_parts = forms.BooleanField(label=gettext_lazy("Because of parts"), required=False)


# --- the parts desk -------------------------------------------------------------------------------------


def _desk_rows(request: HttpRequest, bound: tuple[int, IssueForm] | None = None) -> dict[str, Any]:
    store = page_store(request)
    clock = WallClock(store)
    now = timezone.now()
    requests = list(
        PartsRequest.all_objects.filter(store=store, state__in=(R.REQUESTED, R.ISSUED))
        .select_related("order__vehicle", "line__part", "requested_by")
        .order_by("-state", "requested_at", "pk")  # requested before issued, the longest waiting first
    )
    rows = []
    for row in requests:
        waited = ((row.issued_at or now) - row.requested_at).total_seconds() // 60
        form = bound[1] if bound and bound[0] == row.pk else IssueForm(auto_id=f"id_issue_{row.pk}_%s")
        rows.append(
            {
                "request": row,
                "plate": row.order.vehicle.plate or row.order.vehicle.vin[-6:],
                "part_number": row.line.part.number_display if row.line.part else "",
                "part_name": row.line.description,
                "quantity": row.quantity.normalize(),
                "technician": row.requested_by.full_name or row.requested_by.username,
                "requested": clock(row.requested_at),
                "issued": clock.maybe(row.issued_at),
                "waiting": int(waited),
                "form": form if row.state == R.REQUESTED else None,
            }
        )
    return {
        "rows": rows,
        "waiting_count": sum(1 for row in requests if row.state == R.REQUESTED),
        "bound_form": bound[1] if bound else None,
    }


@require_GET
@page("workshop.parts")
def parts_requests(request: HttpRequest) -> HttpResponse:
    """The store's open parts requests: asked for (to issue), issued (the technician to confirm)."""
    template = "workshop/desk/_parts_requests.html" if is_htmx(request) else "workshop/desk/parts_requests.html"
    return render(request, template, _desk_rows(request))


@require_POST
@page("workshop.parts")
def parts_issue(request: HttpRequest, request_id: int) -> HttpResponse:
    """Issue a requested part: the scanned number must be the line's part (else refused on ``part_number``)."""
    found = PartsRequest.all_objects.filter(pk=request_id, store=page_store(request)).first()
    if found is None:
        raise Http404
    form = IssueForm(request.POST, auto_id=f"id_issue_{found.pk}_%s")
    status = 400
    if form.is_valid():
        try:
            parts_request_issue(
                actor=request_user(request), request_id=found.pk, part_number=form.cleaned_data["part_number"]
            )
        except ApplicationError as error:
            status = refusal_status(form, error)
        else:
            messages.success(
                request,
                _("%(part)s is issued to %(technician)s.")
                % {"part": found.line.description, "technician": found.requested_by},
            )
            return redirect("workshop:parts_requests")
    return render(request, "workshop/desk/parts_requests.html", _desk_rows(request, (found.pk, form)), status=status)


# --- an order waiting for parts --------------------------------------------------------------------------


def _suppliers(order: RepairOrder) -> list[tuple[int, str]]:
    rows = Supplier.objects.filter(group_id=order.store.group_id, is_active=True).order_by("code", "pk")
    return [(supplier.pk, f"{supplier.code} {supplier.name}") for supplier in rows]


def _order_page(request: HttpRequest, order: RepairOrder, *, status: int = 200, **given: StyledForm) -> HttpResponse:
    clock = WallClock(order.store)
    visit = order.visit
    missing = shortages([order.pk]).get(order.pk, [])
    lines = Line.all_objects.select_related("part").in_bulk([row.line_id for row in missing])
    may_buy = can_here(request, "purchasing.order")
    suppliers = _suppliers(order) if may_buy else []
    buy_lines = [row.line_id for row in missing if not row.purchase_order]
    bound_buy = given.get("buy_form")
    rows = []
    for row in missing:
        line = lines[row.line_id]
        form = None
        if may_buy and not row.purchase_order:
            if isinstance(bound_buy, BuyForm) and bound_buy.line_id() == line.pk:
                form = bound_buy
            else:
                form = BuyForm(
                    initial={"line": line.pk, "order_type": PurchaseOrder.OrderType.URGENT},
                    lines=buy_lines,
                    suppliers=suppliers,
                    auto_id=f"id_buy_{line.pk}_%s",
                )
        rows.append(
            {
                "line": line,
                "part_number": line.part.number_display if line.part else "",
                "missing": row.missing.normalize(),
                "shortage": row,
                "order_type": PurchaseOrder.OrderType(row.order_type).label if row.order_type else "",
                "form": form,
            }
        )
    intervals = list(OffSite.objects.filter(visit=visit).select_related("recorded_by").order_by("left_at", "pk"))
    away = next((interval for interval in intervals if interval.back_at is None), None)
    on_site = visit.state == Visit.State.ON_SITE
    promised = clock.maybe(visit.promised_at)
    bound = next((form for form in given.values() if form.is_bound), None)
    context = {
        "order": order,
        "visit": visit,
        "rows": rows,
        "intervals": [(interval, clock(interval.left_at), clock.maybe(interval.back_at)) for interval in intervals],
        "away": away,
        "on_site": on_site,
        "may_receive": on_site and can_here(request, "visits.receive"),
        "promised": promised,
        "zone": store_calendar(order.store).zone,
        "bound_form": bound,
        "leave_form": given.get("leave_form") or LeaveForm(auto_id="id_leave_%s"),
        "back_form": given.get("back_form") or BackForm(auto_id="id_back_%s"),
        "eta_form": given.get("eta_form")
        or EtaForm(initial={"promised_at": promised, "waiting_for_parts": bool(missing)}, auto_id="id_eta_%s"),
    }
    return render(request, "workshop/desk/order_parts.html", context, status=status)


@require_GET
@page("workshop.view")
def order_parts(request: HttpRequest, order_id: int) -> HttpResponse:
    """An order's parts not in stock with the purchases bought for them, and the car's time off site."""
    return _order_page(request, order_of(request, order_id))


@require_POST
@page("purchasing.order")
def order_parts_buy(request: HttpRequest, order_id: int) -> HttpResponse:
    """Buy a part line's missing quantity urgently (a draft urgent or VOR purchase order tied to the line)."""
    order = order_of(request, order_id)
    missing = shortages([order.pk]).get(order.pk, [])
    sent = str(request.POST.get("line", ""))
    form = BuyForm(
        request.POST,
        lines=[row.line_id for row in missing if not row.purchase_order],
        suppliers=_suppliers(order),
        auto_id=f"id_buy_{sent if sent.isdigit() and len(sent) < 19 else 'line'}_%s",
    )
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            purchase = parts_order(
                actor=request_user(request),
                order_id=order.pk,
                line_id=data["line"],
                supplier_id=data["supplier"],
                order_type=data["order_type"],
                unit_price=data["unit_price"],
                expected_on=data["expected_on"],
            )
        except ApplicationError as error:
            status = refusal_status(form, error)
        else:
            messages.success(
                request, _("%(number)s is written as a draft: submit it in purchasing.") % {"number": purchase.number}
            )
            return redirect("workshop:order_parts", order_id=order.pk)
    return _order_page(request, order_of(request, order.pk), status=status, buy_form=form)


def _visit_of(request: HttpRequest, visit_id: int) -> tuple[Visit, RepairOrder]:
    """A visit of the page's store and the order whose page shows it (its first open order, else its last)."""
    visit = Visit.all_objects.filter(pk=visit_id, store=page_store(request)).first()
    if visit is None:
        raise Http404
    orders = list(RepairOrder.all_objects.filter(visit=visit).exclude(state=RepairOrder.State.CANCELLED).order_by("pk"))
    working = [order for order in orders if order.state in (RepairOrder.State.OPEN, RepairOrder.State.IN_WORK)]
    order = (working or orders[-1:] or [None])[0]
    if order is None:
        raise Http404
    return visit, order_of(request, order.pk)


def _visit_act(request: HttpRequest, visit_id: int, slot: str, form: StyledForm, run: Any, done: str) -> HttpResponse:
    """Run the service for a valid form: back to the order's parts page, else that page with the form's
    errors (400, or the service's 409), nothing changed."""
    _visit, order = _visit_of(request, visit_id)
    status = 400
    if form.is_valid():
        try:
            run(form.cleaned_data)
        except ApplicationError as error:
            status = refusal_status(form, error)
        else:
            messages.success(request, done)
            return redirect("workshop:order_parts", order_id=order.pk)
    return _order_page(request, order_of(request, order.pk), status=status, **{slot: form})


@require_POST
@page("visits.receive")
def off_site(request: HttpRequest, visit_id: int) -> HttpResponse:
    """The car leaves the store while it waits, with the reason and whether the owner agreed to pause."""

    def run(data: dict[str, Any]) -> None:
        off_site_leave(
            actor=request_user(request),
            visit_id=visit_id,
            reason=data["reason"],
            owner_agreed_pause=data["owner_agreed_pause"],
        )

    form = LeaveForm(request.POST, auto_id="id_leave_%s")
    return _visit_act(request, visit_id, "leave_form", form, run, _("The car is recorded as off site."))


@require_POST
@page("visits.receive")
def back(request: HttpRequest, visit_id: int) -> HttpResponse:
    """The car is back at the store."""
    form = BackForm(request.POST, auto_id="id_back_%s")
    run = lambda _data: off_site_back(actor=request_user(request), visit_id=visit_id)  # noqa: E731
    return _visit_act(request, visit_id, "back_form", form, run, _("The car is back on site."))


@require_POST
@page("visits.receive")
def eta(request: HttpRequest, visit_id: int) -> HttpResponse:
    """A new promised time (typed in the store's zone), with the reason: the customer is told."""
    visit, _order = _visit_of(request, visit_id)
    zone = store_calendar(visit.store).zone

    def run(data: dict[str, Any]) -> None:
        promised: datetime = in_store_zone(data["promised_at"], zone)
        eta_change(
            actor=request_user(request),
            visit_id=visit_id,
            promised_at=promised,
            reason=data["reason"],
            waiting_for_parts=data["waiting_for_parts"],
        )

    form = EtaForm(request.POST, auto_id="id_eta_%s")
    return _visit_act(
        request, visit_id, "eta_form", form, run, _("The new promised time is kept and the customer told.")
    )
