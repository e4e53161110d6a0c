"""Access-matrix samples of billing's API operations (``core.tests.routes`` merges them).

An allowed caller gets a record of its own, as far along as the operation needs: an order made ready by quality's
samples (its settlement list prepared on the way), the list confirmed by the world's advisor, a payment taken by the
world's cashier, a transfer pending, a refund the world's cashier asked for. What only reads is made once per world.
A caller the operation refuses gets a well-formed request about a record that does not exist: the permission is
checked first, so it must answer 403 (a 404 would be a leak the matrix reports)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils import timezone

from aftersales.billing.models import Payment, Settlement, SettlementList
from aftersales.billing.payments import PaymentIn, payment_take, refund_request
from aftersales.billing.services import ConfirmIn, settlement_confirm
from aftersales.conftest import World
from aftersales.core.access import can
from aftersales.core.calendar import store_calendar
from aftersales.core.models import User
from aftersales.quality.tests import samples_api as quality_samples

MISSING = 2**40  # no record has this id: a refused caller's request is about nothing


def _prepared(world: World) -> SettlementList:
    """A settlement list prepared as its order became ready."""
    order = quality_samples._ready(world, arrived=False)
    return SettlementList.all_objects.get(order=order)


def _confirmed(world: World) -> Settlement:
    """The customer's settlement of a list the world's advisor confirmed."""
    found = _prepared(world)
    settlement_confirm(actor=world.user("advisor"), list_id=found.pk, data=ConfirmIn())
    return Settlement.all_objects.get(settlement_list=found, payer="customer")


def _once(world: World, key: str, build: Callable[[], int]) -> int:
    """A record read by every role of a route, made once per world."""
    cached = world.__dict__.get(key)
    if cached is None:
        cached = world.__dict__[key] = build()
    return int(cached)


def _shared_settlement(world: World) -> int:
    return _once(world, "_billing_settlement", lambda: _confirmed(world).pk)


def _shared_list(world: World) -> int:
    return _once(
        world, "_billing_list", lambda: Settlement.all_objects.get(pk=_shared_settlement(world)).settlement_list_id
    )


def _paid(world: World, amount: str = "1.00", method: str = "cash", reference: str = "") -> Payment:
    """A payment the world's cashier took on the world's confirmed list."""
    return payment_take(
        actor=world.user("cashier"),
        settlement_id=_shared_settlement(world),
        data=PaymentIn(method=method, amount=Decimal(amount), reference=reference),
    )


def _shared_payment(world: World) -> int:
    return _once(world, "_billing_payment", lambda: _paid(world).pk)


def _requested_refund(world: World) -> int:
    payment = _paid(world)
    return refund_request(actor=world.user("cashier"), payment_id=payment.pk, amount=Decimal(1), reason="多收").pk


def _today(world: World) -> str:
    return store_calendar(world.sh).local_date(timezone.now()).isoformat()


def _hand_over(user: User, world: World) -> dict[str, Any]:
    to = "manager_sh" if user.username == "finance_sh" else "finance_sh"
    return {"json": {"store": "SH01", "day": _today(world), "counted": "0", "handed_to": to}}


def _if(
    user: User, world: World, permission: str, build: Callable[[], dict[str, Any]], refused: dict[str, Any]
) -> dict[str, Any]:
    return build() if can(user, permission, store_id=world.sh.pk) else refused


SAMPLES: dict[str, Callable[[User, World], dict[str, Any]]] = {
    "settlement_list_list": lambda user, w: {"query": {"store": "SH01"}},
    "settlement_list_detail": lambda user, w: _if(
        user, w, "billing.view", lambda: {"kwargs": {"list_id": _shared_list(w)}}, {"kwargs": {"list_id": MISSING}}
    ),
    "settlement_list_pdf": lambda user, w: _if(
        user, w, "billing.view", lambda: {"kwargs": {"list_id": _shared_list(w)}}, {"kwargs": {"list_id": MISSING}}
    ),
    "settlement_list_prepare": lambda user, w: _if(
        user,
        w,
        "billing.settle",
        lambda: {"json": {"order": _prepared(w).order_id}},
        {"json": {"order": MISSING}},
    ),
    "settlement_list_confirm": lambda user, w: _if(
        user,
        w,
        "billing.settle",
        lambda: {"kwargs": {"list_id": _prepared(w).pk}, "json": {"invoice_type": "general"}},
        {"kwargs": {"list_id": MISSING}, "json": {}},
    ),
    "settlement_list_reverse": lambda user, w: _if(
        user,
        w,
        "billing.settle",
        lambda: {"kwargs": {"list_id": _confirmed(w).settlement_list_id}, "json": {"reason": "工时录错"}},
        {"kwargs": {"list_id": MISSING}, "json": {"reason": "x"}},
    ),
    "settlement_credit": lambda user, w: _if(
        user,
        w,
        "billing.finance",
        lambda: {
            "kwargs": {"list_id": _shared_list(w), "settlement_id": _shared_settlement(w)},
            "json": {"note": "月结"},
        },
        {"kwargs": {"list_id": MISSING, "settlement_id": MISSING}, "json": {"note": "x"}},
    ),
    "payment_list": lambda user, w: {"query": {"store": "SH01"}},
    "payment_create": lambda user, w: _if(
        user,
        w,
        "billing.collect",
        lambda: {"json": {"settlement": _shared_settlement(w), "method": "cash", "amount": "1", "tendered": "5"}},
        {"json": {"settlement": MISSING, "method": "cash", "amount": "1"}},
    ),
    "payment_detail": lambda user, w: _if(
        user,
        w,
        "billing.view",
        lambda: {"kwargs": {"payment_id": _shared_payment(w)}},
        {"kwargs": {"payment_id": MISSING}},
    ),
    "payment_receipt": lambda user, w: _if(
        user,
        w,
        "billing.view",
        lambda: {"kwargs": {"payment_id": _shared_payment(w)}},
        {"kwargs": {"payment_id": MISSING}},
    ),
    "payment_confirm": lambda user, w: _if(
        user,
        w,
        "billing.finance",
        lambda: {"kwargs": {"payment_id": _paid(w, method="transfer", reference="CMB1").pk}},
        {"kwargs": {"payment_id": MISSING}},
    ),
    "payment_cancel": lambda user, w: _if(
        user,
        w,
        "billing.finance",
        lambda: {
            "kwargs": {"payment_id": _paid(w, method="transfer", reference="CMB1").pk},
            "json": {"reason": "未到"},
        },
        {"kwargs": {"payment_id": MISSING}, "json": {"reason": "x"}},
    ),
    "refund_create": lambda user, w: _if(
        user,
        w,
        "billing.collect",
        lambda: {"kwargs": {"payment_id": _paid(w).pk}, "json": {"amount": "1", "reason": "多收"}},
        {"kwargs": {"payment_id": MISSING}, "json": {"amount": "1", "reason": "x"}},
    ),
    "refund_list": lambda user, w: {"query": {"store": "SH01"}},
    "refund_decide": lambda user, w: _if(
        user,
        w,
        "billing.finance",
        lambda: {"kwargs": {"refund_id": _requested_refund(w)}, "json": {"approve": True}},
        {"kwargs": {"refund_id": MISSING}, "json": {"approve": True}},
    ),
    "cash_day_open": lambda user, w: {"json": {"store": "SH01", "day": _today(w), "opening_float": "500"}},
    "cash_day_hand_over": _hand_over,
    "cash_daily_report": lambda user, w: {"query": {"store": "SH01"}},
    "funds_flow": lambda user, w: {"query": {"store": "SH01", "start": _today(w), "end": _today(w)}},
}
