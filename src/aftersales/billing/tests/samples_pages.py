"""Access-matrix samples of the billing pages (``core.tests.routes`` merges them), the documents' included.

The pages that read share one car per world, taken to ready by quality's samples (its list prepared) or, for
the counter and the money, a second car whose list the advisor confirmed, with a cash payment of 10.00 and
a refund of 1.00 asked for by the cashier. A post that can happen once (a list confirmed or reversed, a
transfer confirmed or cancelled, a refund decided) is about a record made afresh for each role that may send
it; a role refused first posts about a record no row is (``MISSING``)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils import timezone

from aftersales.billing.models import Settlement, SettlementList
from aftersales.billing.payments import PaymentIn, payment_take, refund_request, settlement_reverse
from aftersales.billing.services import ConfirmIn, settlement_confirm
from aftersales.conftest import World
from aftersales.core.access import can
from aftersales.core.calendar import store_calendar
from aftersales.core.models import User
from aftersales.quality.tests.samples_pages import _at, _moved

MISSING = 2**40  # no record has this id: a refused caller's request is about nothing


def _live(order_id: int) -> SettlementList:
    return SettlementList.all_objects.exclude(state=SettlementList.State.REVERSED).get(order_id=order_id)


def _money(world: World) -> dict[str, int]:
    """The world's car at the counter: its list confirmed by the advisor, 10.00 paid in cash by the cashier and
    1.00 of it asked back."""
    key = "_billing_money"
    if key not in world.__dict__:
        order = _moved(world, "ready")
        found = settlement_confirm(actor=world.user("advisor"), list_id=_live(order.pk).pk, data=ConfirmIn())
        customer = Settlement.all_objects.get(settlement_list=found, payer="customer")
        payment = payment_take(
            actor=world.user("cashier"), settlement_id=customer.pk, data=PaymentIn(method="cash", amount=Decimal(10))
        )
        refund = refund_request(actor=world.user("cashier"), payment_id=payment.pk, amount=Decimal(1), reason="多收")
        world.__dict__[key] = {
            "order_id": order.pk,
            "list_id": found.pk,
            "settlement_id": customer.pk,
            "payment_id": payment.pk,
            "refund_id": refund.pk,
        }
    return dict(world.__dict__[key])


def _may(user: User, world: World, permission: str) -> bool:
    return can(user, permission, store_id=world.sh.pk)


def _transfer(user: User, world: World) -> int:
    """A pending transfer of 0.01 on the world's customer share: afresh for a user of finance."""
    if not _may(user, world, "billing.finance"):
        return MISSING
    money = _money(world)
    payment = payment_take(
        actor=world.user("cashier"),
        settlement_id=money["settlement_id"],
        data=PaymentIn(method="transfer", amount=Decimal("0.01"), reference="BANK-1"),
    )
    return payment.pk


def _refund(user: User, world: World) -> int:
    """A refund of 0.01 asked for by the cashier: afresh for a user of finance."""
    if not _may(user, world, "billing.finance"):
        return MISSING
    payment_id = _money(world)["payment_id"]
    return refund_request(actor=world.user("cashier"), payment_id=payment_id, amount=Decimal("0.01"), reason="多收").pk


def _to_confirm(user: User, world: World) -> int:
    """The ready car's list, prepared: a confirmed one is reversed first (the list is made again)."""
    if not _may(user, world, "billing.settle"):
        return MISSING
    found = _live(_at(world, "ready").pk)
    if found.state == SettlementList.State.CONFIRMED:
        found = settlement_reverse(actor=world.user("manager"), list_id=found.pk, reason="重开")
    return found.pk


def _to_reverse(user: User, world: World) -> int:
    """The ready car's list, confirmed by the advisor when it is only prepared."""
    if not _may(user, world, "billing.settle"):
        return MISSING
    found = _live(_at(world, "ready").pk)
    if found.state == SettlementList.State.PREPARED:
        found = settlement_confirm(actor=world.user("advisor"), list_id=found.pk, data=ConfirmIn())
    return found.pk


def _today(world: World) -> str:
    return store_calendar(world.sh).local_date(timezone.now()).isoformat()


def _hand_over(user: User, world: World) -> dict[str, Any]:
    """The day's cash handed over to finance (to the manager when the user is finance)."""
    to = world.user("manager") if user == world.user("finance") else world.user("finance")
    return {"method": "POST", "data": {"day": _today(world), "counted": "0.00", "handed_to": str(to.pk), "note": ""}}


def _with_money(world: World) -> dict[str, Any]:
    _money(world)
    return {}


SAMPLES: dict[str, Callable[[User, World], dict[str, Any]]] = {
    "billing:counter": lambda user, w: {},
    "billing:order": lambda user, w: {"kwargs": {"order_id": _money(w)["order_id"]}},
    "billing:pay": lambda user, w: {
        "method": "POST",
        "kwargs": {"order_id": _money(w)["order_id"] if _may(user, w, "billing.collect") else MISSING},
        "data": {
            "settlement": str(_money(w)["settlement_id"]) if _may(user, w, "billing.collect") else "1",
            "method": "cash",
            "amount": "0.01",
        },
    },
    "billing:deposit": lambda user, w: {
        "method": "POST",
        "kwargs": {"order_id": _at(w, "ready").pk if _may(user, w, "billing.collect") else MISSING},
        "data": {"method": "cash", "amount": "0.01"},
    },
    "billing:credit": lambda user, w: {
        "method": "POST",
        "kwargs": {"settlement_id": _money(w)["settlement_id"] if _may(user, w, "billing.finance") else MISSING},
        "data": {"note": "老客户，月结"},
    },
    "billing:receipt": lambda user, w: {"kwargs": {"payment_id": _money(w)["payment_id"]}},
    "billing:refund_ask": lambda user, w: {
        "method": "POST",
        "kwargs": {"payment_id": _money(w)["payment_id"] if _may(user, w, "billing.collect") else MISSING},
        "data": {"amount": "0.01", "method": "cash", "reason": "多收"},
    },
    "billing:transfer_confirm": lambda user, w: {"method": "POST", "kwargs": {"payment_id": _transfer(user, w)}},
    "billing:transfer_cancel": lambda user, w: {
        "method": "POST",
        "kwargs": {"payment_id": _transfer(user, w)},
        "data": {"reason": "未到账"},
    },
    "billing:list": lambda user, w: {"kwargs": {"list_id": _live(_at(w, "ready").pk).pk}},
    "billing:list_pdf": lambda user, w: {"kwargs": {"list_id": _money(w)["list_id"]}},
    "billing:confirm": lambda user, w: {
        "method": "POST",
        "kwargs": {"list_id": _to_confirm(user, w)},
        "data": {"invoice_type": "general", "discount": "", "rounding": "", "back": "list"},
    },
    "billing:reverse": lambda user, w: {
        "method": "POST",
        "kwargs": {"list_id": _to_reverse(user, w)},
        "data": {"reason": "折扣录错"},
    },
    "billing:refunds": lambda user, w: _with_money(w),
    "billing:refund_decide": lambda user, w: {
        "method": "POST",
        "kwargs": {"refund_id": _refund(user, w)},
        "data": {"decision": "refuse", "reference": "", "note": "不符合退款条件"},
    },
    "billing:refund_receipt": lambda user, w: {"kwargs": {"refund_id": _money(w)["refund_id"]}},
    "billing:cash": lambda user, w: {},
    "billing:cash_open": lambda user, w: {
        "method": "POST",
        "data": {"day": _today(w), "opening_float": "200.00"},
    },
    "billing:hand_over": _hand_over,
    "billing:flow": lambda user, w: {},
}
