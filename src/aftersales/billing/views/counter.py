"""The cashier's counter: an order found by its plate, its number or its settlement list's number (a scanner types
into the box and presses Enter), the store's customer shares waiting to be paid; an order picked shows its
settlement list (each payer's charges, the totals, what the customer has paid and what is open), the
confirming of a prepared list, the payment (cash with the change, card, a scanned payment code, a bank
transfer) and its receipt on 80 mm paper, a deposit before the list is confirmed, the order's payments with
refunds asked for, transfers confirmed by finance, and credit."""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from aftersales.billing import documents
from aftersales.billing.forms import (
    CancelTransferForm,
    CreditForm,
    PaymentForm,
    RefundRequestForm,
    SearchForm,
)
from aftersales.billing.models import Method, Payment, Refund, Settlement, SettlementList
from aftersales.billing.payments import (
    DEPOSIT_FROM,
    credit_approve,
    payment_cancel,
    payment_confirm,
    payment_take,
    refund_request,
)
from aftersales.billing.selectors import payments_of_order, settlements_open
from aftersales.billing.services import SETTLED_FROM
from aftersales.billing.views.base import (
    COLLECT,
    FINANCE,
    SETTLE,
    VIEW,
    Sheet,
    WallClock,
    confirm_form,
    is_htmx,
    limits_of,
    nav_of,
    order_of,
    payer_label,
    payment_of,
    refusal_status,
    sheet_of,
)
from aftersales.catalogue.paytypes import Payer
from aftersales.core.errors import ApplicationError
from aftersales.core.forms import StyledForm
from aftersales.core.models import Store
from aftersales.core.routing import can_here, page, page_store, request_user
from aftersales.visits.documents import pdf_response
from aftersales.visits.models import RepairOrder

ZERO = Decimal("0.00")
FOUND_MAX = 20
ASKED = (Refund.State.REQUESTED, Refund.State.APPROVED)


# --- reads the selectors do not offer -------------------------------------------------------------------


def _orders_found(store: Store, typed: str) -> list[RepairOrder]:
    """The store's orders (not cancelled) whose number or settlement list's number is what was typed, or whose
    car's plate holds it (three characters at least), newest first; full-width letters read as ASCII."""
    text = unicodedata.normalize("NFKC", typed).strip().upper()
    lists = SettlementList.all_objects.filter(store=store, number__iexact=text).values("order_id")
    match = Q(number__iexact=text) | Q(pk__in=lists)
    if len(text) >= 3:
        match |= Q(vehicle__plate__icontains=text)
    rows = (
        RepairOrder.all_objects.filter(store=store)
        .exclude(state=RepairOrder.State.CANCELLED)
        .filter(match)
        .select_related("vehicle", "customer")
        .order_by("-signed_at", "-pk")
    )
    return list(rows[:FOUND_MAX])


def _to_confirm(store: Store) -> list[Settlement]:
    """The customers' shares of the store's lists still to be confirmed (``settlements_open`` has the confirmed
    ones), of orders ready or delivered, oldest list first."""
    return list(
        Settlement.all_objects.filter(
            store=store,
            payer=Payer.CUSTOMER,
            amount__gt=0,
            settlement_list__state=SettlementList.State.PREPARED,
            order__state__in=SETTLED_FROM,
        )
        .select_related("order__vehicle", "settlement_list")
        .order_by("settlement_list__prepared_at", "settlement_list_id")
    )


def _customer_names(order_ids: list[int]) -> dict[int, str]:
    if not order_ids:
        return {}
    return dict(RepairOrder.all_objects.filter(pk__in=order_ids).values_list("pk", "customer__name"))


# --- the counter ------------------------------------------------------------------------------------------


def _queue(store: Store) -> list[dict[str, Any]]:
    """The customers' shares waiting at the counter, oldest first: to pay (confirmed) and to confirm."""
    clock = WallClock(store)
    rows = [(row, row.settlement_list.confirmed_at) for row in settlements_open(store=store, payer=Payer.CUSTOMER)]
    rows += [(row, row.settlement_list.prepared_at) for row in _to_confirm(store)]
    rows.sort(key=lambda pair: (pair[1], pair[0].pk))
    names = _customer_names([row.order_id for row, _since in rows])
    return [
        {
            "settlement": row,
            "order": row.order,
            "customer": names.get(row.order_id, ""),
            "since": clock.maybe(since),
            "confirmed": row.settlement_list.state == SettlementList.State.CONFIRMED,
        }
        for row, since in rows
    ]


@require_GET
@page(VIEW)
def counter(request: HttpRequest) -> HttpResponse:
    """The counter: the search box and the customers' shares waiting, oldest first (the queue refreshes itself);
    a search that finds one order opens it."""
    store = page_store(request)
    if is_htmx(request) and "q" not in request.GET:
        return render(request, "billing/_queue.html", {"queue": _queue(store)})
    form = SearchForm(request.GET if "q" in request.GET else None)
    found: list[RepairOrder] | None = None
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    elif form.is_bound and form.cleaned_data["q"].strip():
        found = _orders_found(store, form.cleaned_data["q"])
        if len(found) == 1:
            return redirect("billing:order", order_id=found[0].pk)
    context = {"store": store, "form": form, "found": found, "queue": _queue(store), "nav": nav_of(request)}
    return render(request, "billing/counter.html", context, status=status)


# --- an order at the counter --------------------------------------------------------------------------------


def _lists_of(order: RepairOrder) -> tuple[SettlementList | None, list[SettlementList]]:
    """The order's live list (prepared or confirmed) and its reversed ones, newest first (one query)."""
    rows = list(SettlementList.all_objects.filter(order=order).order_by("-prepared_at", "-pk"))
    live = next((row for row in rows if row.state != SettlementList.State.REVERSED), None)
    return live, [row for row in rows if row.state == SettlementList.State.REVERSED]


def _left(payment: Payment) -> Decimal:
    """What is left of a paid payment to refund: its amount less what is refunded or asked for."""
    asked = sum((refund.amount for refund in payment.refunds.all() if refund.state in ASKED), ZERO)
    return payment.amount - payment.refunded - asked


def _pending_on(payments: list[Payment], settlement: Settlement) -> Decimal:
    return sum(
        (row.amount for row in payments if row.settlement_id == settlement.pk and row.state == Payment.State.PENDING),
        ZERO,
    )


def _payable(sheet: Sheet | None, payments: list[Payment]) -> list[tuple[Settlement, Decimal]]:
    """The open settlements of a confirmed list and what may still be paid on each, the customer's first."""
    if sheet is None or sheet.found.state != SettlementList.State.CONFIRMED:
        return []
    rows = [
        (payer.settlement, payer.settlement.open_amount - _pending_on(payments, payer.settlement))
        for payer in sheet.payers
    ]
    return [(row, still) for row, still in rows if row.state == Settlement.State.OPEN and row.payer != Payer.STORE]


def _pay_form(payable: list[tuple[Settlement, Decimal]], data: Any = None) -> PaymentForm:
    choices = [
        (row.pk, _("%(payer)s · open %(open)s") % {"payer": payer_label(row), "open": still}) for row, still in payable
    ]
    initial: dict[str, Any] = {"method": Method.CASH.value}
    if payable:
        initial |= {"settlement": payable[0][0].pk, "amount": max(payable[0][1], ZERO)}
    return PaymentForm(data, settlements=choices, initial=initial, auto_id="id_pay_%s")


def _deposit_form(data: Any = None) -> PaymentForm:
    return PaymentForm(data, initial={"method": Method.CASH.value}, auto_id="id_deposit_%s")


def _refund_form(payment: Payment, data: Any = None) -> RefundRequestForm:
    initial = {"amount": _left(payment), "method": payment.method}
    return RefundRequestForm(data, payment=payment, initial=initial, auto_id=f"id_refund{payment.pk}_%s")


def _receipt_of(request: HttpRequest, payments: list[Payment]) -> Payment | None:
    """The payment whose receipt the page opens for printing (``?receipt=``: one of the order's, paid)."""
    wanted = request.GET.get("receipt", "")
    if not (wanted.isascii() and wanted.isdigit()):
        return None
    return next((row for row in payments if str(row.pk) == wanted and row.state == Payment.State.PAID), None)


def order_page(
    request: HttpRequest,
    order: RepairOrder,
    *,
    bound: tuple[str, int, StyledForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The order at the counter; ``bound``: a refused form (its kind, its record and the form) shown with its
    errors in place of the empty one."""
    kind, key, form = bound if bound is not None else ("", 0, None)
    user = request_user(request)
    clock = WallClock(order.store)
    may = {
        name: can_here(request, permission)
        for name, permission in (("settle", SETTLE), ("collect", COLLECT), ("finance", FINANCE))
    }
    found, reversed_lists = _lists_of(order)
    sheet = sheet_of(found) if found is not None else None
    payments = payments_of_order(order_id=order.pk)
    confirmed = found is not None and found.state == SettlementList.State.CONFIRMED
    customer = sheet.customer if sheet is not None else None
    deposits = [row for row in payments if row.settlement_id is None and row.state == Payment.State.PAID]
    paid = customer.settlement.received if confirmed and customer is not None else ZERO
    if not confirmed:
        paid = sum((row.amount - row.refunded for row in deposits), ZERO)
    owed = customer.settlement.amount if customer is not None else ZERO
    payable = _payable(sheet, payments) if may["collect"] else []
    context: dict[str, Any] = {
        "order": order,
        "store": order.store,
        "found": found,
        "sheet": sheet,
        "reversed_lists": reversed_lists,
        "confirmed": confirmed,
        "customer": customer,
        "paid": paid,
        "open": owed - paid if customer is not None else None,
        "may": may,
        "clock": clock,
        "receipt": _receipt_of(request, payments),
        "bound": form,
        "nav": nav_of(request),
    }
    if found is not None and found.state == SettlementList.State.PREPARED and may["settle"] and sheet is not None:
        context["confirm_form"] = form if kind == "confirm" else confirm_form(sheet)
        context["limits"] = limits_of(user, sheet)
    if payable:
        context["pay_form"] = form if kind == "pay" else _pay_form(payable)
        context["pay_open"] = {str(row.pk): str(max(still, ZERO)) for row, still in payable}
    if not confirmed and order.state in DEPOSIT_FROM and may["collect"]:
        context["deposit_form"] = form if kind == "deposit" else _deposit_form()
    if (
        confirmed
        and may["finance"]
        and customer is not None
        and customer.settlement.state == Settlement.State.OPEN
        and customer.settlement.credit_at is None
    ):
        context["credit_form"] = form if kind == "credit" else CreditForm(auto_id="id_credit_%s")
    context["payments"] = [_payment_row(row, may, kind, key, form, clock) for row in payments]
    shown = {id(context.get(name)) for name in ("confirm_form", "pay_form", "deposit_form", "credit_form")}
    shown |= {id(row.get(name)) for row in context["payments"] for name in ("refund_form", "cancel_form")}
    context["bound_top"] = form if form is not None and id(form) not in shown else None
    return render(request, "billing/order.html", context, status=status)


def _payment_row(
    payment: Payment, may: dict[str, bool], kind: str, key: int, form: StyledForm | None, clock: WallClock
) -> dict[str, Any]:
    row: dict[str, Any] = {"payment": payment, "taken_at": clock(payment.taken_at), "left": ZERO}
    if payment.state == Payment.State.PAID:
        row["left"] = _left(payment)
        if may["collect"] and row["left"] > 0:
            row["refund_form"] = form if kind == "refund" and key == payment.pk else _refund_form(payment)
    pending_transfer = payment.state == Payment.State.PENDING and payment.method == Method.TRANSFER
    if pending_transfer and may["finance"]:
        row["confirmable"] = True
        bound = kind == "cancel" and key == payment.pk
        row["cancel_form"] = form if bound else CancelTransferForm(auto_id=f"id_cancel{payment.pk}_%s")
    return row


@require_GET
@page(VIEW)
def order(request: HttpRequest, order_id: int) -> HttpResponse:
    """An order at the counter: its settlement list, payments and what may be done about them."""
    return order_page(request, order_of(request, order_id))


def _done(order: RepairOrder, payment: Payment) -> HttpResponse:
    """To the order's page; a paid payment's receipt opens there for printing."""
    url = reverse("billing:order", args=[order.pk])
    return redirect(f"{url}?receipt={payment.pk}" if payment.state == Payment.State.PAID else url)


def _taken(request: HttpRequest, payment: Payment) -> None:
    """Say how a payment went: paid, waiting for finance or the provider, or refused by the provider."""
    values = {"number": payment.number, "amount": payment.amount}
    if payment.state == Payment.State.PAID:
        text = _("Payment %(number)s of %(amount)s received.") % values
        if payment.method == Method.CASH and payment.change:
            text += " " + _("Change to give: %(change)s.") % {"change": payment.change}
        messages.success(request, text)
    elif payment.method == Method.TRANSFER:
        messages.info(
            request, _("Transfer %(number)s of %(amount)s recorded: finance confirms it when it arrives.") % values
        )
    else:
        messages.warning(
            request,
            _("Payment %(number)s is waiting for the provider's answer; it is asked again shortly.") % values,
        )


@require_POST
@page(COLLECT)
def pay(request: HttpRequest, order_id: int) -> HttpResponse:
    """Take a payment for one of the open settlements of the order's confirmed list."""
    found = order_of(request, order_id)
    live, _reversed = _lists_of(found)
    sheet = sheet_of(live) if live is not None else None
    form = _pay_form(_payable(sheet, payments_of_order(order_id=found.pk)), request.POST)
    status = 400
    if form.is_valid():
        try:
            payment = payment_take(
                actor=request_user(request),
                data=form.data_in(),
                settlement_id=form.cleaned_data["settlement"],
                client_ip=request.META.get("REMOTE_ADDR", ""),
            )
        except ApplicationError as error:
            status = refusal_status(form, error)
        else:
            if payment.state != Payment.State.FAILED:
                _taken(request, payment)
                return _done(found, payment)
            form.add_error("auth_code", payment.failure or _("Not paid."))
            status = 409
    return order_page(request, order_of(request, order_id), bound=("pay", 0, form), status=status)


@require_POST
@page(COLLECT)
def deposit(request: HttpRequest, order_id: int) -> HttpResponse:
    """Take a customer's deposit on an order whose list is not confirmed yet."""
    found = order_of(request, order_id)
    form = _deposit_form(request.POST)
    status = 400
    if form.is_valid():
        try:
            payment = payment_take(
                actor=request_user(request),
                data=form.data_in(),
                order_id=found.pk,
                client_ip=request.META.get("REMOTE_ADDR", ""),
            )
        except ApplicationError as error:
            status = refusal_status(form, error)
        else:
            if payment.state != Payment.State.FAILED:
                _taken(request, payment)
                return _done(found, payment)
            form.add_error("auth_code", payment.failure or _("Not paid."))
            status = 409
    return order_page(request, order_of(request, order_id), bound=("deposit", 0, form), status=status)


@require_POST
@page(FINANCE)
def credit(request: HttpRequest, settlement_id: int) -> HttpResponse:
    """Approve credit for a settlement: the car may leave before it is paid."""
    settlement = Settlement.all_objects.filter(pk=settlement_id, store=page_store(request)).first()
    if settlement is None:
        raise Http404
    form = CreditForm(request.POST, auto_id="id_credit_%s")
    status = 400
    if form.is_valid():
        try:
            credit_approve(actor=request_user(request), settlement_id=settlement.pk, note=form.cleaned_data["note"])
        except ApplicationError as error:
            status = refusal_status(form, error)
        else:
            messages.success(request, _("Credit approved: the car may be delivered before the customer pays."))
            return redirect("billing:order", order_id=settlement.order_id)
    return order_page(request, order_of(request, settlement.order_id), bound=("credit", 0, form), status=status)


@require_POST
@page(COLLECT)
def refund_ask(request: HttpRequest, payment_id: int) -> HttpResponse:
    """Ask for money back from a paid payment; finance approves it."""
    payment = payment_of(request, payment_id)
    form = _refund_form(payment, request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            refund = refund_request(
                actor=request_user(request),
                payment_id=payment.pk,
                amount=data["amount"],
                reason=data["reason"],
                method=data["method"],
            )
        except ApplicationError as error:
            status = refusal_status(form, error)
        else:
            messages.success(
                request,
                _("Refund %(number)s of %(amount)s asked for: finance approves it.")
                % {"number": refund.number, "amount": refund.amount},
            )
            return redirect("billing:order", order_id=payment.order_id)
    return order_page(request, order_of(request, payment.order_id), bound=("refund", payment.pk, form), status=status)


@require_POST
@page(FINANCE)
def transfer_confirm(request: HttpRequest, payment_id: int) -> HttpResponse:
    """Finance confirms that a bank transfer arrived."""
    payment = payment_of(request, payment_id)
    form = StyledForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            payment = payment_confirm(actor=request_user(request), payment_id=payment.pk)
        except ApplicationError as error:
            status = refusal_status(form, error)
        else:
            messages.success(request, _("Transfer %(number)s confirmed as received.") % {"number": payment.number})
            return redirect("billing:order", order_id=payment.order_id)
    return order_page(
        request, order_of(request, payment.order_id), bound=("confirm_transfer", payment.pk, form), status=status
    )


@require_POST
@page(FINANCE)
def transfer_cancel(request: HttpRequest, payment_id: int) -> HttpResponse:
    """Finance cancels a bank transfer that never arrived."""
    payment = payment_of(request, payment_id)
    form = CancelTransferForm(request.POST, auto_id=f"id_cancel{payment.pk}_%s")
    status = 400
    if form.is_valid():
        try:
            payment = payment_cancel(
                actor=request_user(request), payment_id=payment.pk, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as error:
            status = refusal_status(form, error)
        else:
            messages.success(request, _("Transfer %(number)s cancelled.") % {"number": payment.number})
            return redirect("billing:order", order_id=payment.order_id)
    return order_page(request, order_of(request, payment.order_id), bound=("cancel", payment.pk, form), status=status)


@require_GET
@page(VIEW)
def receipt(request: HttpRequest, payment_id: int) -> HttpResponse:
    """The receipt of a payment (收款收据) on an 80 mm roll."""
    payment = payment_of(request, payment_id)
    user = request_user(request)
    content = documents.receipt_pdf(payment=payment, printed_by=user.full_name or user.username)
    return pdf_response(content, f"{payment.number}.pdf")
