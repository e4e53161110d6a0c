"""One-time SMS codes: sent through the outbox as an urgent service SMS, kept as a digest, one a minute
and five an hour per number, five wrong codes lock the number for 15 minutes, used once, expiring.
The refusals are read in English (the Chinese is the catalogue's, checked by the translations test)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from aftersales import schedule
from aftersales.conftest import World
from aftersales.core.errors import ApplicationError
from aftersales.messaging.models import Message, MessageTemplate, OneTimeCode, OneTimeCodeGuard
from aftersales.messaging.services import code_send, code_use, code_verify, codes_purge
from aftersales.messaging.services.codes import STORE_PER_DAY, STORE_PER_HOUR
from aftersales.messaging.tests.conftest import Clock

MOBILE = "13912345678"
PURPOSE = "online_booking"
# 23:30 in Shanghai: within the default quiet hours (21:00-08:00), which do not hold a code.
NIGHT = timedelta(hours=13, minutes=30)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def sms_on(db: None) -> None:
    MessageTemplate.objects.filter(event="verification_code", channel="sms").update(
        is_active=True, sms_sign_name="华东汽车", sms_template_code="SMS_300001"
    )


def _counts() -> tuple[int, int, list[tuple[int, object]]]:
    return (
        OneTimeCode.objects.count(),
        Message.objects.count(),
        list(OneTimeCodeGuard.objects.values_list("failures", "locked_until")),
    )


def _sent_code() -> str:
    return str(Message.objects.order_by("-pk").first().variables["code"])  # type: ignore[union-attr]


def _refusal(call: object, **kwargs: object) -> ApplicationError:
    with pytest.raises(ApplicationError) as refused:
        call(**kwargs)  # type: ignore[operator]
    return refused.value


def test_the_template_is_installed_urgent_service_class_and_inactive(db: None) -> None:
    template = MessageTemplate.objects.get(event="verification_code")
    assert (template.channel, template.message_class, template.urgent, template.is_active, template.variables) == (
        "sms",
        "service",
        True,
        False,
        ["code", "minutes"],
    )


def test_a_code_goes_out_at_night_as_an_sms_and_only_its_digest_is_kept(
    world: World, sms_on: None, clock: Clock
) -> None:
    clock.now += NIGHT
    row = code_send(store=world.sh, mobile="139 1234 5678", purpose=PURPOSE)
    message = Message.objects.get()
    code = message.variables["code"]
    assert len(code) == 6 and code.isdigit()
    assert (message.channel, message.status, message.urgent, message.address, message.event) == (
        "sms",
        "queued",
        True,
        MOBILE,
        "verification_code",
    )
    assert message.body == f"您的验证码为 {code}，10 分钟内有效。如非本人操作，请忽略本短信。"
    assert (message.about_type, message.about_id) == ("messaging.onetimecode", row.pk)
    # The code's row holds its keyed digest and nothing else of the code.
    key = f"one-time-code:{settings.SECRET_KEY}".encode()
    assert OneTimeCode.objects.values().get() == {
        "id": row.pk,
        "store_id": world.sh.pk,
        "mobile": MOBILE,
        "purpose": PURPOSE,
        "digest": hmac.new(key, f"{PURPOSE}:{MOBILE}:{code}".encode(), hashlib.sha256).hexdigest(),
        "created_at": clock.now,
        "expires_at": clock.now + timedelta(minutes=10),
        "used_at": None,
    }


def test_one_code_a_minute(world: World, sms_on: None, clock: Clock) -> None:
    code_send(store=world.sh, mobile=MOBILE, purpose=PURPOSE)
    clock.now += timedelta(seconds=45)
    before = _counts()
    error = _refusal(code_send, store=world.sh, mobile=MOBILE, purpose=PURPOSE)
    assert (error.status, error.code, error.fields) == (
        429,
        "too_soon",
        {"mobile": ["A code was sent just now: wait 15 seconds before asking for another."]},
    )
    assert _counts() == before
    clock.now += timedelta(seconds=15)
    code_send(store=world.sh, mobile=MOBILE, purpose=PURPOSE)
    assert OneTimeCode.objects.count() == 2
    # Another number is not held by the first one's minute.
    code_send(store=world.sh, mobile="13800001111", purpose=PURPOSE)


def test_five_codes_an_hour(world: World, sms_on: None, clock: Clock) -> None:
    start = clock.now
    for _ in range(5):
        code_send(store=world.sh, mobile=MOBILE, purpose=PURPOSE)
        clock.now += timedelta(minutes=5)
    before = _counts()
    error = _refusal(code_send, store=world.sh, mobile=MOBILE, purpose=PURPOSE)
    # The first went at 10:00 Shanghai time: the next may go an hour later.
    assert (error.status, error.code, error.fields) == (
        429,
        "too_many",
        {"mobile": ["At most 5 codes an hour go to one number: ask again after 11:00."]},
    )
    assert _counts() == before
    clock.now = start + timedelta(hours=1, seconds=1)
    code_send(store=world.sh, mobile=MOBILE, purpose=PURPOSE)
    assert OneTimeCode.objects.count() == 6


def test_the_right_code_passes_once_and_is_refused_when_reused(world: World, sms_on: None, clock: Clock) -> None:
    row = code_send(store=world.sh, mobile=MOBILE, purpose=PURPOSE)
    code = _sent_code()
    assert code_verify(mobile=MOBILE, purpose=PURPOSE, code=code) == row.pk
    with transaction.atomic():
        code_use(code_id=row.pk)
    row.refresh_from_db()
    assert row.used_at == clock.now
    before = _counts()
    error = _refusal(code_verify, mobile=MOBILE, purpose=PURPOSE, code=code)
    assert (error.code, error.fields) == (
        "code_used",
        {"code": ["This code has been used already: ask for a new one."]},
    )
    # A second spend of one code (two requests that both passed the check) is refused too.
    error = _refusal(code_use, code_id=row.pk)
    assert (error.code, error.fields) == (
        "code_used",
        {"code": ["This code has been used already: ask for a new one."]},
    )
    assert _counts() == before


def test_a_spent_code_comes_back_when_the_work_is_rolled_back(world: World, sms_on: None) -> None:
    row = code_send(store=world.sh, mobile=MOBILE, purpose=PURPOSE)
    with pytest.raises(RuntimeError), transaction.atomic():
        code_use(code_id=row.pk)
        raise RuntimeError("the booking failed")
    assert code_verify(mobile=MOBILE, purpose=PURPOSE, code=_sent_code()) == row.pk


def test_a_code_expires_after_ten_minutes(world: World, sms_on: None, clock: Clock) -> None:
    code_send(store=world.sh, mobile=MOBILE, purpose=PURPOSE)
    code = _sent_code()
    clock.now += timedelta(minutes=10)
    before = _counts()
    error = _refusal(code_verify, mobile=MOBILE, purpose=PURPOSE, code=code)
    assert (error.code, error.fields) == ("code_expired", {"code": ["The code has expired: ask for a new one."]})
    assert _counts() == before


def test_only_the_latest_code_counts(world: World, sms_on: None, clock: Clock) -> None:
    code_send(store=world.sh, mobile=MOBILE, purpose=PURPOSE)
    first = _sent_code()
    clock.now += timedelta(minutes=1)
    latest = code_send(store=world.sh, mobile=MOBILE, purpose=PURPOSE)
    second = _sent_code()
    if first != second:
        error = _refusal(code_verify, mobile=MOBILE, purpose=PURPOSE, code=first)
        assert error.code == "code_wrong"
    assert code_verify(mobile=MOBILE, purpose=PURPOSE, code=second) == latest.pk


def test_five_wrong_codes_lock_the_number_for_fifteen_minutes(world: World, sms_on: None, clock: Clock) -> None:
    code_send(store=world.sh, mobile=MOBILE, purpose=PURPOSE)
    code = _sent_code()
    wrong = "000000" if code != "000000" else "111111"
    said = []
    for _ in range(5):
        said.append(_refusal(code_verify, mobile=MOBILE, purpose=PURPOSE, code=wrong).fields["code"][0])
    assert said == [
        "Wrong code: 4 more tries before the number is locked.",
        "Wrong code: 3 more tries before the number is locked.",
        "Wrong code: 2 more tries before the number is locked.",
        "Wrong code: 1 more try before the number is locked.",
        "Wrong code. Too many wrong codes: this number is locked for 15 minutes.",
    ]
    guard = OneTimeCodeGuard.objects.get()
    assert (guard.failures, guard.locked_until) == (0, clock.now + timedelta(minutes=15))
    # Locked: the right code is refused too, and no code is sent.
    clock.now += timedelta(minutes=14, seconds=30)
    before = _counts()
    error = _refusal(code_verify, mobile=MOBILE, purpose=PURPOSE, code=code)
    assert (error.status, error.code, error.fields) == (
        429,
        "locked",
        {"code": ["Too many wrong codes: this number is locked for 1 more minute."]},
    )
    error = _refusal(code_send, store=world.sh, mobile=MOBILE, purpose=PURPOSE)
    assert (error.status, error.code) == (429, "locked")
    assert _counts() == before
    clock.now += timedelta(seconds=30)
    row = code_send(store=world.sh, mobile=MOBILE, purpose=PURPOSE)
    assert code_verify(mobile=MOBILE, purpose=PURPOSE, code=_sent_code()) == row.pk


def test_a_right_code_clears_the_wrong_count(world: World, sms_on: None) -> None:
    code_send(store=world.sh, mobile=MOBILE, purpose=PURPOSE)
    code = _sent_code()
    _refusal(code_verify, mobile=MOBILE, purpose=PURPOSE, code="000000" if code != "000000" else "111111")
    assert OneTimeCodeGuard.objects.get().failures == 1
    code_verify(mobile=MOBILE, purpose=PURPOSE, code=code)
    assert OneTimeCodeGuard.objects.get().failures == 0


@pytest.mark.parametrize(
    ("mobile", "code", "field", "message"),
    [
        (MOBILE, "12345", "code", "Enter the 6-digit code sent to your mobile."),
        (MOBILE, "12345a", "code", "Enter the 6-digit code sent to your mobile."),
        (MOBILE, "123456", "code", "Ask for a code first."),
        ("12345", "123456", "mobile", None),
    ],
)
def test_bad_checks_are_refused_on_their_field_and_write_nothing(
    world: World, sms_on: None, mobile: str, code: str, field: str, message: str | None
) -> None:
    before = _counts()
    error = _refusal(code_verify, mobile=mobile, purpose=PURPOSE, code=code)
    assert list(error.fields) == [field]
    if message is not None:
        assert error.fields[field] == [message]
    assert _counts() == before


def test_no_code_without_an_active_template_and_nothing_written(world: World) -> None:
    before = _counts()
    error = _refusal(code_send, store=world.sh, mobile=MOBILE, purpose=PURPOSE)
    assert (error.status, error.code, error.fields) == (
        503,
        "sms_unavailable",
        {"mobile": ["Codes cannot be sent by SMS at the moment: please call the store to book."]},
    )
    assert _counts() == before


def test_not_a_mobile_number_is_refused(world: World, sms_on: None) -> None:
    before = _counts()
    error = _refusal(code_send, store=world.sh, mobile="021-58881234", purpose=PURPOSE)
    assert list(error.fields) == ["mobile"]
    assert _counts() == before


def test_the_purge_runs_every_ten_minutes() -> None:
    def runs(minute: int) -> bool:
        return bool(schedule.one_time_codes_purge.task_class().validate_datetime(datetime(2026, 11, 26, 10, minute)))  # type: ignore[attr-defined]

    assert [minute for minute in range(60) if runs(minute)] == [0, 10, 20, 30, 40, 50]


def test_old_codes_are_purged(world: World, sms_on: None, clock: Clock) -> None:
    code_send(store=world.sh, mobile=MOBILE, purpose=PURPOSE)
    assert codes_purge(now=clock.now + timedelta(hours=23)) == {"redacted": 1, "deleted": 0}
    assert codes_purge(now=clock.now + timedelta(days=1, seconds=1)) == {"redacted": 0, "deleted": 1}
    assert (OneTimeCode.objects.count(), OneTimeCodeGuard.objects.count()) == (0, 0)


def test_the_code_in_the_sms_is_masked_once_it_has_expired_and_not_before(
    world: World, sms_on: None, clock: Clock
) -> None:
    row = code_send(store=world.sh, mobile=MOBILE, purpose=PURPOSE)
    other = code_send(store=world.sh, mobile="13800001111", purpose=PURPOSE)
    first = Message.objects.get(about_id=row.pk)
    first_code = first.variables["code"]
    # Still valid: the provider may need the text for a retry.
    assert codes_purge(now=clock.now + timedelta(minutes=9, seconds=59)) == {"redacted": 0, "deleted": 0}
    first.refresh_from_db()
    assert (first.body, first.variables) == (
        f"您的验证码为 {first_code}，10 分钟内有效。如非本人操作，请忽略本短信。",
        {"code": first_code, "minutes": "10"},
    )
    # Expired: the code in the text and the variables is masked, the rest of the message as it was.
    assert codes_purge(now=clock.now + timedelta(minutes=10)) == {"redacted": 2, "deleted": 0}
    assert [
        (message.address, message.status, message.body, message.variables)
        for message in Message.objects.filter(about_id__in=[row.pk, other.pk]).order_by("pk")
    ] == [
        (
            mobile,
            "queued",
            "您的验证码为 ******，10 分钟内有效。如非本人操作，请忽略本短信。",
            {"code": "******", "minutes": "10"},
        )
        for mobile in (MOBILE, "13800001111")
    ]
    # Once masked, never again touched; the codes' rows stay for their day.
    assert codes_purge(now=clock.now + timedelta(minutes=20)) == {"redacted": 0, "deleted": 0}
    assert OneTimeCode.objects.count() == 2


def _sent_before(store: object, n: int, *, ago: timedelta, spread: timedelta) -> None:
    """``n`` codes the store sent between ``ago`` and ``ago + spread`` before now (other numbers)."""
    now = timezone.now()
    OneTimeCode.objects.bulk_create(
        OneTimeCode(
            store=store,
            mobile=f"137{i:08d}",
            purpose=PURPOSE,
            digest="0" * 64,
            created_at=now - ago - spread * i / n,
            expires_at=now - ago - spread * i / n + timedelta(minutes=10),
        )
        for i in range(n)
    )


def test_a_store_sends_at_most_200_codes_an_hour(world: World, sms_on: None, clock: Clock) -> None:
    assert STORE_PER_HOUR == 200
    _sent_before(world.sh, 199, ago=timedelta(minutes=1), spread=timedelta(minutes=58))
    code_send(store=world.sh, mobile=MOBILE, purpose=PURPOSE)
    before = _counts()
    error = _refusal(code_send, store=world.sh, mobile="13800001111", purpose=PURPOSE)
    assert (error.status, error.code, error.fields) == (
        429,
        "store_limit",
        {"mobile": ["This store cannot send more codes at the moment: please call it to book."]},
    )
    assert _counts() == before
    # Another store has a budget of its own; an hour on, the oldest have left the window.
    code_send(store=world.sz, mobile="13800001111", purpose=PURPOSE)
    clock.now += timedelta(minutes=2)
    code_send(store=world.sh, mobile="13800002222", purpose=PURPOSE)
    assert OneTimeCode.objects.filter(store=world.sh).count() == 201


def test_a_store_sends_at_most_1000_codes_a_day(world: World, sms_on: None, clock: Clock) -> None:
    assert STORE_PER_DAY == 1000
    # 1,000 in the last day, none in the last hour.
    _sent_before(world.sh, 1000, ago=timedelta(hours=1, minutes=1), spread=timedelta(hours=22, minutes=59))
    before = _counts()
    error = _refusal(code_send, store=world.sh, mobile=MOBILE, purpose=PURPOSE)
    assert (error.status, error.code) == (429, "store_limit")
    assert _counts() == before
    clock.now += timedelta(minutes=59)  # the oldest is now more than a day old
    code_send(store=world.sh, mobile=MOBILE, purpose=PURPOSE)
    assert OneTimeCode.objects.filter(store=world.sh, mobile=MOBILE).count() == 1
