"""Refunds: those asked for at the counter waiting for finance's decision (approved with the reference of the
money sent back, or refused; never one's own request), those the provider is still paying out, the ones
decided lately, and a refund's receipt on 80 mm paper."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from aftersales.billing import documents
from aftersales.billing.forms import RefundDecideForm
from aftersales.billing.models import Refund
from aftersales.billing.payments import refund_decide
from aftersales.billing.views.base import FINANCE, VIEW, WallClock, nav_of, refund_of, refusal_status
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Store
from aftersales.core.routing import can_here, page, page_store, request_user
from aftersales.visits.documents import pdf_response

DECIDED_DAYS = 30
DECIDED_MAX = 50
WAITING = (Refund.State.REQUESTED, Refund.State.APPROVED)


# --- reads the selectors do not offer -------------------------------------------------------------------


def _refunds(store: Store) -> tuple[list[Refund], list[Refund]]:
    """The store's refunds waiting (asked for, or being paid out by the provider), oldest first, and those decided
    in the last 30 days, newest first (at most 50); each with its payment, order, car and people (two queries)."""
    rows = Refund.all_objects.filter(store=store).select_related(
        "payment__order__vehicle", "requested_by", "decided_by"
    )
    waiting = list(rows.filter(state__in=WAITING).order_by("requested_at", "pk"))
    since = timezone.now() - timedelta(days=DECIDED_DAYS)
    decided = list(
        rows.exclude(state__in=WAITING).filter(decided_at__gte=since).order_by("-decided_at", "-pk")[:DECIDED_MAX]
    )
    return waiting, decided


def _refunds_page(
    request: HttpRequest, *, bound: tuple[int, RefundDecideForm] | None = None, status: int = 200
) -> HttpResponse:
    store = page_store(request)
    clock = WallClock(store)
    user = request_user(request)
    may_decide = can_here(request, FINANCE)
    waiting, decided = _refunds(store)
    rows: list[dict[str, Any]] = []
    for refund in waiting:
        row: dict[str, Any] = {"refund": refund, "requested_at": clock(refund.requested_at)}
        own = refund.requested_by_id == user.pk and not user.is_superuser
        if may_decide and refund.state == Refund.State.REQUESTED and not own:
            key = f"id_decide{refund.pk}_%s"
            row["form"] = bound[1] if bound and bound[0] == refund.pk else RefundDecideForm(auto_id=key)
        row["own"] = own
        rows.append(row)
    shown = {id(row.get("form")) for row in rows}
    context = {
        "store": store,
        "rows": rows,
        "decided": [{"refund": refund, "decided_at": clock.maybe(refund.decided_at)} for refund in decided],
        "days": DECIDED_DAYS,
        "nav": nav_of(request),
        "bound": bound[1] if bound else None,
        "bound_top": bound[1] if bound and id(bound[1]) not in shown else None,
    }
    return render(request, "billing/refunds.html", context, status=status)


@require_GET
@page(VIEW)
def refunds(request: HttpRequest) -> HttpResponse:
    """The refunds waiting for finance, and those decided lately."""
    return _refunds_page(request)


@require_POST
@page(FINANCE)
def decide(request: HttpRequest, refund_id: int) -> HttpResponse:
    """Approve a refund (paid out at once, or through the provider for a scanned code's payment) or refuse it."""
    refund = refund_of(request, refund_id)
    form = RefundDecideForm(request.POST, auto_id=f"id_decide{refund.pk}_%s")
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        approve = data["decision"] == RefundDecideForm.APPROVE
        try:
            refund = refund_decide(
                actor=request_user(request),
                refund_id=refund.pk,
                approve=approve,
                note=data["note"],
                reference=data["reference"],
            )
        except ApplicationError as error:
            status = refusal_status(form, error)
        else:
            values = {"number": refund.number, "amount": refund.amount}
            if refund.state == Refund.State.REFUNDED:
                messages.success(request, _("Refund %(number)s of %(amount)s paid out.") % values)
            elif refund.state == Refund.State.APPROVED:
                messages.info(request, _("Refund %(number)s approved: the provider is paying it out.") % values)
            elif refund.state == Refund.State.REFUSED:
                messages.success(request, _("Refund %(number)s refused.") % values)
            else:
                messages.warning(
                    request,
                    _("The provider did not pay refund %(number)s out: %(why)s") % {**values, "why": refund.note},
                )
            return redirect("billing:refunds")
    return _refunds_page(request, bound=(refund.pk, form), status=status)


@require_GET
@page(VIEW)
def refund_receipt(request: HttpRequest, refund_id: int) -> HttpResponse:
    """The receipt of a refund (退款凭证) on an 80 mm roll."""
    refund = refund_of(request, refund_id)
    user = request_user(request)
    content = documents.refund_receipt_pdf(refund=refund, printed_by=user.full_name or user.username)
    return pdf_response(content, f"{refund.number}.pdf")
