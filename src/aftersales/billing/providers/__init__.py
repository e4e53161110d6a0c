"""How a payment is taken at the counter: one adapter per payment provider, behind one interface.

付款码 (micropay): the cashier scans the payment code the customer shows in WeChat (or Alipay), the
adapter submits it with the amount, then asks the provider about the order until its result is final
(``pay_until_final``). Money goes back the way it came with ``refund``: the provider takes the refund
(our refund number, ``out_refund_no``), then pays it out; ``refund_query`` says when it is done. A provider
is one class with ``micropay``, ``query``, ``reverse``, ``refund`` and ``refund_query``
(``PaymentProvider``), answering a ``PayResult`` or a ``RefundResult``; ``AFTERSALES_PAYMENT_PROVIDER``
names it in ``PAYMENT_PROVIDERS``, empty: ``NoPaymentProvider``, which refuses with that reason. A second
provider is a new adapter and a line in ``PAYMENT_PROVIDERS``, nothing else.

Nothing here writes to the database: the caller records each ``PayResult`` and ``RefundResult`` (its
``raw`` is the provider's answer as it came) and keys the payment by our order number and the provider's
transaction id, a refund by our refund number and the provider's refund id, so an answer the provider
repeats is recorded once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Literal, Protocol, cast

from django.conf import settings
from django.utils.module_loading import import_string

# success: paid, final. paying: the customer is still confirming (entering the password). failed: nothing
# was taken, final. unknown: the provider could not say (its own error, an answer lost on the way): ask
# it again. reversed: the order was revoked: closed if unpaid, the money returned if it had been taken.
PayState = Literal["success", "paying", "failed", "unknown", "reversed"]
PENDING: frozenset[PayState] = frozenset({"paying", "unknown"})
# success: the money is back with the customer, final. processing: the provider took the refund and is paying
# it out (to the wallet within minutes, to a bank card within days): ask it again later. failed: nothing was
# refunded through the provider, final for this request (``error_code`` says why; once the cause is gone the
# same refund number may be sent again). unknown: the provider could not say (its own error, an answer lost on
# the way): ask it again, or send the same refund again: the provider refunds one refund number once.
RefundState = Literal["success", "processing", "failed", "unknown"]


class PaymentError(Exception):
    """The provider refused the request as such or could not be asked. ``temporary``: worth asking again
    later (nothing reached the provider, or the answer was lost); otherwise final. ``raw``: the provider's
    answer, when there was one, for the record."""

    def __init__(self, message: str, *, temporary: bool, code: str = "", raw: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.temporary = temporary
        self.code = code
        self.raw: Mapping[str, str] = MappingProxyType(dict(raw or {}))


class PaymentAmbiguous(PaymentError):
    """The request may have reached the provider and been acted on (a timeout or a dropped connection after
    it was sent, an answer that cannot be read): the payment's result is unknown; ask the provider."""

    def __init__(self, message: str) -> None:
        super().__init__(message, temporary=True, code="ambiguous")


class PaymentNotConfigured(PaymentError):
    def __init__(self, message: str) -> None:
        super().__init__(message, temporary=False, code="not_configured")


class BadSignature(PaymentError):
    """An answer whose signature does not verify with our key: never taken as paid (nor as anything else)."""

    def __init__(self, message: str, *, raw: Mapping[str, str]) -> None:
        super().__init__(message, temporary=False, code="bad_signature", raw=raw)


class AmountMismatch(PaymentError):
    """A payment the provider reports for another amount than the one asked: never taken as paid."""

    def __init__(self, message: str, *, raw: Mapping[str, str]) -> None:
        super().__init__(message, temporary=False, code="amount_mismatch", raw=raw)


@dataclass(frozen=True)
class PayResult:
    """What the provider says of one order (our ``out_trade_no``) after one request."""

    provider: str
    state: PayState
    out_trade_no: str
    transaction_id: str = ""  # the provider's id of the payment, once it has one
    amount_fen: int | None = None  # what the provider says was paid, in fen
    paid_at: datetime | None = None
    error_code: str = ""  # the provider's, as it gave it
    error_message: str = ""
    raw: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # the answer as it came


@dataclass(frozen=True)
class RefundResult:
    """What the provider says of one refund (our ``out_refund_no``) after one request."""

    provider: str
    state: RefundState
    out_refund_no: str
    refund_id: str = ""  # the provider's id of the refund, once it has one
    refund_fen: int | None = None  # what the provider says it refunds, in fen
    error_code: str = ""  # the provider's, as it gave it
    error_message: str = ""
    raw: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # the answer as it came


class PaymentProvider(Protocol):
    name: str

    def micropay(
        self, *, out_trade_no: str, amount_fen: int, auth_code: str, description: str, client_ip: str
    ) -> PayResult:
        """Take ``amount_fen`` with the scanned code ``auth_code``; raise PaymentError."""
        ...

    def query(self, *, out_trade_no: str) -> PayResult:
        """What the provider knows of the order now."""
        ...

    def reverse(self, *, out_trade_no: str) -> PayResult:
        """Revoke the order: close it if unpaid, return the money if it was taken."""
        ...

    def refund(
        self, *, out_trade_no: str, out_refund_no: str, total_fen: int, refund_fen: int, reason: str
    ) -> RefundResult:
        """Give ``refund_fen`` of the paid order (``total_fen`` paid) back the way it was paid, as our refund
        ``out_refund_no``: sent again, the same refund number is refunded once. Raise PaymentError."""
        ...

    def refund_query(self, *, out_refund_no: str) -> RefundResult:
        """What the provider knows of the refund now."""
        ...


class NoPaymentProvider:
    """No provider configured: every request is refused, and says so."""

    name = ""
    message = "No payment provider is configured (AFTERSALES_PAYMENT_PROVIDER)."

    def micropay(
        self, *, out_trade_no: str, amount_fen: int, auth_code: str, description: str, client_ip: str
    ) -> PayResult:
        raise PaymentNotConfigured(self.message)

    def query(self, *, out_trade_no: str) -> PayResult:
        raise PaymentNotConfigured(self.message)

    def reverse(self, *, out_trade_no: str) -> PayResult:
        raise PaymentNotConfigured(self.message)

    def refund(
        self, *, out_trade_no: str, out_refund_no: str, total_fen: int, refund_fen: int, reason: str
    ) -> RefundResult:
        raise PaymentNotConfigured(self.message)

    def refund_query(self, *, out_refund_no: str) -> RefundResult:
        raise PaymentNotConfigured(self.message)


# Payment providers by name (AFTERSALES_PAYMENT_PROVIDER): the dotted path of the function that builds the
# adapter from the settings. A second provider is a new adapter and a line here.
PAYMENT_PROVIDERS = {"wechat": "aftersales.billing.providers.wechat.from_settings"}


def payment_provider() -> PaymentProvider:
    """The configured provider; ``NoPaymentProvider`` when none is named. Raise PaymentNotConfigured when the
    named one lacks its settings."""
    path = PAYMENT_PROVIDERS.get(settings.AFTERSALES_PAYMENT_PROVIDER)
    if path is None:
        return NoPaymentProvider()
    return cast(Callable[[], PaymentProvider], import_string(path))()


def refund_checked(result: RefundResult, *, refund_fen: int) -> RefundResult:
    """``result``, once the refund it reports taken or made is for ``refund_fen``, the amount asked; else
    AmountMismatch: never taken as refunded. Every answer about a refund goes through it (the adapter's
    ``refund`` does; the caller passes a ``refund_query`` answer with the amount it recorded)."""
    if result.state in ("success", "processing") and result.refund_fen != refund_fen:
        raise AmountMismatch(
            f"{result.provider}: refund {result.out_refund_no} reported for {result.refund_fen} fen, "
            f"{refund_fen} asked",
            raw=result.raw,
        )
    return result


def pay_until_final(
    provider: PaymentProvider,
    *,
    out_trade_no: str,
    amount_fen: int,
    auth_code: str,
    description: str,
    client_ip: str,
    polls: int,
    wait: float,
    sleep: Callable[[float], None],
    reversals: int = 3,
    on_answer: Callable[[str, PayResult], None] | None = None,
) -> PayResult:
    """Take a scanned code's payment to its end: submit it; while the customer is paying or the result is
    unknown, wait ``wait`` seconds and ask again, at most ``polls`` times; still not final after that, revoke
    the order (at most ``reversals`` times while the revocation's own result is unknown).

    WeChat Pay v2, 付款码支付 (pay.weixin.qq.com/wiki/doc/api/micropay.php?chapter=9_10), 注意 1-2: a
    "system error" answer: query the order (after 5 s); USERPAYING: query again at an interval (10 s
    suggested) until paid or timed out (30-45 s suggested); still unclear after the queries: 撤销订单
    (revoke), called again when it errs or gives no answer, and not sooner than 15 s after the payment.

    Returns the last answer: "success" (the amount checked against ``amount_fen``), "failed", "reversed",
    or "unknown" when even the revocation stayed unclear (the caller asks again later). An answer that
    cannot be trusted (BadSignature, AmountMismatch) or a final refusal is raised, never taken as paid.
    ``on_answer`` is told every answer (``"micropay"``, ``"query"``, ``"reverse"``) for the record.
    """

    def told(step: str, result: PayResult) -> PayResult:
        if result.state == "success" and result.amount_fen != amount_fen:
            raise AmountMismatch(
                f"{provider.name}: order {out_trade_no} reported paid {result.amount_fen} fen, {amount_fen} asked",
                raw=result.raw,
            )
        if on_answer is not None:
            on_answer(step, result)
        return result

    def unknown(error: PaymentError) -> PayResult:
        return PayResult(provider.name, "unknown", out_trade_no, error_code=error.code, error_message=str(error))

    try:
        result = told(
            "micropay",
            provider.micropay(
                out_trade_no=out_trade_no,
                amount_fen=amount_fen,
                auth_code=auth_code,
                description=description,
                client_ip=client_ip,
            ),
        )
    except PaymentAmbiguous as error:  # it may have been taken: ask
        result = told("micropay", unknown(error))
    for _ in range(polls):
        if result.state not in PENDING:
            return result
        sleep(wait)
        try:
            result = told("query", provider.query(out_trade_no=out_trade_no))
        except PaymentError as error:
            if not error.temporary:
                raise
            result = told("query", unknown(error))
    if result.state not in PENDING:
        return result
    for attempt in range(reversals):
        if attempt:
            sleep(wait)
        try:
            result = told("reverse", provider.reverse(out_trade_no=out_trade_no))
        except PaymentError as error:
            if not error.temporary:
                raise
            result = told("reverse", unknown(error))
        if result.state != "unknown":
            break
    return result
