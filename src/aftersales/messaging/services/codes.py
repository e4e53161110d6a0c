"""One-time codes sent by SMS: a person proves that a mobile number is theirs (a booking made without an
account) by typing the code sent to it.

A code is six digits, kept only as a keyed digest, valid for ``CODE_VALID`` and used once. One number
gets at most one code every ``RESEND_AFTER`` and ``PER_HOUR`` codes an hour (each SMS costs money and
reaches a person who may not have asked for it); ``WRONG_MAX`` wrong codes lock the number for
``LOCK_FOR`` (a six-digit code guessed at five tries in fifteen minutes: one chance in 200,000). The
code goes through the outbox as the urgent service message ``verification_code``: the person waits
for it, so quiet hours do not hold it.

The number's guard row (``OneTimeCodeGuard``) is locked while a code is sent or checked, so that two
requests at once cannot both send a code within the minute or both pass with one guess left; a code
is spent by a conditional UPDATE, so two bookings with one code cannot both use it. A refused request
writes nothing but the wrong-code count that the lock rule needs.

A store sends at most ``STORE_PER_HOUR`` codes an hour and ``STORE_PER_DAY`` a day (counted from the
codes' rows, so every worker process sees one count; the store's row is locked while it is counted),
a ceiling on what a flood of numbers from many addresses can cost the store: past it the customer is
asked to call.

The code itself is in the SMS: the outbox keeps the message's text and variables until the provider has
it. Once the code has expired (``CODE_VALID``) it is of no use to anyone, and ``codes_purge`` (every ten
minutes) replaces it in the message's text and variables with ``CODE_MASK``; the codes' rows (the
digest and the number) are deleted after ``KEEP_FOR``.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.identifiers import clean_mobile
from aftersales.core.models import Store
from aftersales.messaging.models import Message, OneTimeCode, OneTimeCodeGuard
from aftersales.messaging.services.outbox import Recipient, message_send

EVENT = "verification_code"
ABOUT = "messaging.onetimecode"
CODE_DIGITS = 6
CODE_VALID = timedelta(minutes=10)
RESEND_AFTER = timedelta(seconds=60)
PER_HOUR = 5
WRONG_MAX = 5
LOCK_FOR = timedelta(minutes=15)
KEEP_FOR = timedelta(days=1)  # then the codes (and the numbers they went to) are deleted
# A store's ceiling: far above a busy store's bookings (a few dozen a day), far below what an SMS bill
# should carry unnoticed. Counted over the last hour and the last 24 hours (the codes kept, KEEP_FOR).
STORE_PER_HOUR = 200
STORE_PER_DAY = 1_000
CODE_MASK = "******"  # what an expired code reads as in the message that carried it


def _digest(mobile: str, purpose: str, code: str) -> str:
    key = f"one-time-code:{settings.SECRET_KEY}".encode()
    return hmac.new(key, f"{purpose}:{mobile}:{code}".encode(), hashlib.sha256).hexdigest()


def _mobile(value: str, field: str) -> str:
    try:
        return clean_mobile(value)
    except ValidationError as error:
        raise ApplicationError(error.messages[0], field=field, code="invalid_mobile") from None


def _guard(mobile: str, purpose: str) -> OneTimeCodeGuard:
    """The number's guard, locked until the transaction ends (made the first time)."""
    rows = OneTimeCodeGuard.objects.select_for_update().filter(mobile=mobile, purpose=purpose)
    guard = rows.first()
    if guard is None:
        OneTimeCodeGuard.objects.get_or_create(mobile=mobile, purpose=purpose)
        guard = rows.get()
    return guard


def _minutes(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds() / 60))


def _locked(guard: OneTimeCodeGuard | None, now: datetime) -> str | None:
    if guard is None or guard.locked_until is None or guard.locked_until <= now:
        return None
    n = _minutes(guard.locked_until - now)
    return ngettext(
        "Too many wrong codes: this number is locked for %(n)s more minute.",
        "Too many wrong codes: this number is locked for %(n)s more minutes.",
        n,
    ) % {"n": n}


def _store_budget(store: Store, now: datetime) -> None:
    """Refuse on ``mobile`` once the store has sent its codes for the hour or the day."""
    sent = OneTimeCode.objects.filter(store=store, created_at__gt=now - timedelta(days=1)).aggregate(
        day=Count("pk"), hour=Count("pk", filter=Q(created_at__gt=now - timedelta(hours=1)))
    )
    if sent["hour"] >= STORE_PER_HOUR or sent["day"] >= STORE_PER_DAY:
        raise ApplicationError(
            _("This store cannot send more codes at the moment: please call it to book."),
            field="mobile",
            code="store_limit",
            status=429,
        )


def code_send(*, store: Store, mobile: str, purpose: str, language: str = "zh-hans") -> OneTimeCode:
    """Send a new one-time code for ``purpose`` to ``mobile`` through the outbox (urgent, service class).
    Refused on ``mobile`` (nothing written): not a mobile number, locked after wrong codes, a code sent
    less than a minute ago, ``PER_HOUR`` sent in the last hour, the store's ``STORE_PER_HOUR`` or
    ``STORE_PER_DAY`` reached, or no active SMS template for codes.

    Locks the store's row (then the number's guard) until the code is written."""
    mobile = _mobile(mobile, "mobile")
    now = timezone.now()
    with transaction.atomic():
        Store.all_objects.select_for_update().filter(pk=store.pk).first()
        _store_budget(store, now)
        guard = _guard(mobile, purpose)
        if problem := _locked(guard, now):
            raise ApplicationError(problem, field="mobile", code="locked", status=429)
        sent = list(
            OneTimeCode.objects.filter(mobile=mobile, purpose=purpose, created_at__gt=now - timedelta(hours=1))
            .order_by("-created_at")
            .values_list("created_at", flat=True)
        )
        if sent and sent[0] > now - RESEND_AFTER:
            n = max(1, math.ceil((sent[0] + RESEND_AFTER - now).total_seconds()))
            raise ApplicationError(
                ngettext(
                    "A code was sent just now: wait %(n)s second before asking for another.",
                    "A code was sent just now: wait %(n)s seconds before asking for another.",
                    n,
                )
                % {"n": n},
                field="mobile",
                code="too_soon",
                status=429,
            )
        if len(sent) >= PER_HOUR:
            again = store_calendar(store).local(sent[-1] + timedelta(hours=1))
            raise ApplicationError(
                _("At most %(n)s codes an hour go to one number: ask again after %(time)s.")
                % {"n": PER_HOUR, "time": f"{again:%H:%M}"},
                field="mobile",
                code="too_many",
                status=429,
            )
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        row = OneTimeCode.objects.create(
            store=store,
            mobile=mobile,
            purpose=purpose,
            digest=_digest(mobile, purpose, code),
            created_at=now,
            expires_at=now + CODE_VALID,
        )
        try:
            message_send(
                store=store,
                event=EVENT,
                recipient=Recipient(type=Message.RecipientType.CUSTOMER, name="", mobile=mobile, language=language),
                variables={"code": code, "minutes": str(_minutes(CODE_VALID))},
                about=(ABOUT, row.pk),
                channels=("sms",),
            )
        except ApplicationError:
            raise ApplicationError(
                _("Codes cannot be sent by SMS at the moment: please call the store to book."),
                field="mobile",
                code="sms_unavailable",
                status=503,
            ) from None
    return row


def code_verify(*, mobile: str, purpose: str, code: str) -> int:
    """The id of the live code for ``mobile`` and ``purpose`` that ``code`` matches (to spend with
    ``code_use`` in the caller's transaction). Call it outside a transaction: a wrong code counts even
    when the caller's work is rolled back; the ``WRONG_MAX``-th locks the number for ``LOCK_FOR``.
    Refused on ``code``: not six digits, none sent, the latest used or expired, wrong, or locked."""
    mobile = _mobile(mobile, "mobile")
    code = (code or "").strip()
    if not (code.isascii() and code.isdigit() and len(code) == CODE_DIGITS):
        raise ApplicationError(
            _("Enter the %(n)s-digit code sent to your mobile.") % {"n": CODE_DIGITS}, field="code", code="invalid"
        )
    now = timezone.now()
    wrong = ""
    with transaction.atomic():
        latest = OneTimeCode.objects.filter(mobile=mobile, purpose=purpose).order_by("-created_at", "-pk").first()
        if latest is None:
            raise ApplicationError(_("Ask for a code first."), field="code", code="no_code")
        guard = _guard(mobile, purpose)
        if problem := _locked(guard, now):
            raise ApplicationError(problem, field="code", code="locked", status=429)
        if latest.used_at is not None:
            raise ApplicationError(
                _("This code has been used already: ask for a new one."), field="code", code="code_used"
            )
        if latest.expires_at <= now:
            raise ApplicationError(_("The code has expired: ask for a new one."), field="code", code="code_expired")
        if hmac.compare_digest(latest.digest, _digest(mobile, purpose, code)):
            if guard.failures:
                OneTimeCodeGuard.objects.filter(pk=guard.pk).update(failures=0)
            return latest.pk
        if guard.failures + 1 >= WRONG_MAX:
            OneTimeCodeGuard.objects.filter(pk=guard.pk).update(failures=0, locked_until=now + LOCK_FOR)
            wrong = _("Wrong code. Too many wrong codes: this number is locked for %(n)s minutes.") % {
                "n": _minutes(LOCK_FOR)
            }
        else:
            OneTimeCodeGuard.objects.filter(pk=guard.pk).update(failures=F("failures") + 1)
            left = WRONG_MAX - guard.failures - 1
            wrong = ngettext(
                "Wrong code: %(n)s more try before the number is locked.",
                "Wrong code: %(n)s more tries before the number is locked.",
                left,
            ) % {"n": left}
    raise ApplicationError(wrong, field="code", code="code_wrong")


def code_use(*, code_id: int) -> None:
    """Spend the code ``code_verify`` answered, in the caller's transaction (rolled back with it): a
    conditional UPDATE, so of two requests with one code exactly one passes; the other is refused."""
    spent = OneTimeCode.objects.filter(pk=code_id, used_at=None, expires_at__gt=timezone.now()).update(
        used_at=timezone.now()
    )
    if spent != 1:
        raise ApplicationError(_("This code has been used already: ask for a new one."), field="code", code="code_used")


def codes_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Mask the code in the messages that carried a code now expired (their text and variables: the
    provider no longer needs it, nobody may use it), delete the codes older than ``KEEP_FOR`` and the
    guards without a lock or a recent code (the numbers are kept no longer than the limits need them).
    Idempotent: a message masked once is not touched again."""
    now = now or timezone.now()
    # The messages of the codes kept (a day's, found by the message's "about" index); masked before the
    # codes older than KEEP_FOR are deleted below, so no message loses its link unmasked.
    expired = (
        Message.objects.filter(
            about_type=ABOUT, about_id__in=OneTimeCode.objects.filter(expires_at__lte=now).values("pk")
        )
        .exclude(variables__code=CODE_MASK)
        .order_by("pk")
    )
    redacted = 0
    for pk, body, variables in expired.values_list("pk", "body", "variables"):
        code = str((variables or {}).get("code") or "")
        masked = {**(variables or {}), "code": CODE_MASK}
        text = body.replace(code, CODE_MASK) if code else body
        # A queryset update of these two fields only: a sender settling the message's status is not undone.
        redacted += Message.objects.filter(pk=pk).update(body=text, variables=masked)
    deleted, _rows = OneTimeCode.objects.filter(created_at__lt=now - KEEP_FOR).delete()
    recent = OneTimeCode.objects.values("mobile")
    OneTimeCodeGuard.objects.exclude(locked_until__gt=now).exclude(mobile__in=recent).delete()
    return {"redacted": redacted, "deleted": deleted}
