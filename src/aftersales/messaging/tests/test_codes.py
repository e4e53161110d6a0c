"""One-time SMS codes: sent through the outbox as an urgent service SMS, kept as a digest, one a minute
and five an hour per number, five wrong codes lock the number for 15 minutes, used once, expiring.
The refusals are read in English (the Chinese is the catalogue's, checked by the translations test)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import translation

from aftersales.conftest import World
from aftersales.core.errors import ApplicationError
from aftersales.messaging.models import Message, MessageTemplate, OneTimeCode, OneTimeCodeGuard
from aftersales.messaging.services import code_send, code_use, code_verify, codes_purge
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
    assert (row.mobile, row.purpose, row.store_id, row.used_at) == (MOBILE, PURPOSE, world.sh.pk, None)
    assert row.expires_at - row.created_at == timedelta(minutes=10)
    assert code not in row.digest and len(row.digest) == 64


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


def test_old_codes_are_purged(world: World, sms_on: None, clock: Clock) -> None:
    code_send(store=world.sh, mobile=MOBILE, purpose=PURPOSE)
    assert codes_purge(now=clock.now + timedelta(hours=23)) == 0
    assert codes_purge(now=clock.now + timedelta(days=1, seconds=1)) == 1
    assert (OneTimeCode.objects.count(), OneTimeCodeGuard.objects.count()) == (0, 0)
