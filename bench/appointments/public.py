"""``public_booking``: the customer's own booking page (``/book/<store>/``) through HTTP, its three steps
as a customer's phone sends them, on the store-day of ``store_day`` (40 technicians, 30 bays).

Each call is one customer: a new anonymous client (its own session) from its own address, a new mobile
(the one-time code limits are per number: one a minute, five an hour), and these requests in turn:

1. ``step1``: ``POST ?step=car``, plate, model and mileage (302 to step 2);
2. ``step2``: ``POST ?step=time``, the services and an arrival worked out in the set-up with the
   capacity engine (``bookings_ahead``, on the days after the bench day), checked again by the page
   against the day's free times (302 to step 3);
3. ``step3_code``: ``POST ?step=contact`` asking for the code (the SMS written to the outbox), then
   ``step3_book``: the name, mobile and the code read from the outbox, booked (302 to the confirmation).

The runner times the whole call; the time of each request is kept by the call and printed per step (p50,
p95, max) when the runner is done with it, ``step3`` being the two requests of step 3 together. The
messages written (codes and confirmations) go to the bench's own queue and are cancelled afterwards, as
``booking_create``'s (``confirmations``).
"""

from __future__ import annotations

import secrets
import time
import weakref
from collections.abc import Callable
from typing import Any, cast

from django.http import HttpResponse
from django.test import Client

from aftersales.appointments.models import BookingSettings
from aftersales.appointments.selectors import online_operations
from aftersales.messaging import services as messaging
from aftersales.messaging.models import Channel, Message, MessageTemplate, OneTimeCode
from bench.appointments.confirmations import SIGN_NAME, Confirmations, sms_on
from bench.appointments.store_day import bookings_ahead, store_day
from bench.registry import BenchContext, BenchFailure, Call, percentile, scenario

CUSTOMERS_AHEAD = 1200  # enough for --iterations 1000 with its warm-up
STEPS = ("step1", "step2", "step3_code", "step3_book", "step3")


def _code_sms_on() -> int:
    """Switch the one-time code SMS on (messaging migration 0009 installs it off); return 1 if it was off."""
    template = MessageTemplate.objects.filter(event="verification_code", channel=Channel.SMS).first()
    if template is None:
        raise BenchFailure("public_booking: no verification_code SMS template (messaging migration 0009).")
    if template.is_active:
        return 0
    messaging.template_save(
        actor=None,
        template_id=template.pk,
        data={"sms_sign_name": SIGN_NAME, "sms_template_code": "SMS_290100", "is_active": True},
    )
    return 1


def report(times: dict[str, list[float]]) -> list[str]:
    """One line per step: ``public_booking.<step> p50_ms=… p95_ms=… max_ms=… n=…``."""
    lines = []
    for step in STEPS:
        ordered = sorted(times[step])
        if ordered:
            lines.append(
                f"  public_booking.{step} p50_ms={percentile(ordered, 50):.2f} p95_ms={percentile(ordered, 95):.2f} "
                f"max_ms={ordered[-1]:.2f} n={len(ordered)}"
            )
    return lines


@scenario(
    "public_booking",
    "POST /book/<store>/ three times and the code: a customer's own booking in three steps on a store-day with "
    "40 technicians and 30 bays, the one-time code and the confirmation written to the outbox (each step's "
    "times printed)",
    expected_status=302,
)
def _public_booking(bench: BenchContext) -> Call:
    setting = store_day()
    store = setting.store
    BookingSettings.objects.update_or_create(store=store, defaults={"online_booking": True})
    switched = sms_on() + _code_sms_on()
    offered = {f"operation:{operation.pk}" for operation in online_operations(store)}
    payloads = bookings_ahead(setting, CUSTOMERS_AHEAD)
    wrong = sorted({ref for payload in payloads for ref in payload["services"] if ref not in offered})  # type: ignore[attr-defined]
    if wrong:
        raise BenchFailure(f"public_booking: services not on the store's page: {', '.join(wrong)}.")
    calls = iter(enumerate(payloads))
    run = secrets.randbelow(10_000)  # numbers of this run: the limits of an earlier run's do not apply
    page = f"/book/{store.code}/"
    outbox = Confirmations()
    times: dict[str, list[float]] = {step: [] for step in STEPS}
    print(
        f"  public_booking: {store.code}, {len(payloads):,} customers worked out ahead from "
        f"{str(payloads[0]['starts_at'])[:10]} to {str(payloads[-1]['starts_at'])[:10]}; "
        f"{switched} SMS templates switched on now"
    )

    def timed(step: str, send: Callable[[], Any], expected: int) -> HttpResponse:
        started = time.perf_counter_ns()
        response = send()
        times[step].append((time.perf_counter_ns() - started) / 1_000_000)
        if response.status_code != expected:
            body = response.content[:300].decode(errors="replace")
            raise BenchFailure(f"public_booking {step}: HTTP {response.status_code}, expected {expected}: {body}")
        return cast("HttpResponse", response)

    def call() -> HttpResponse:
        item = next(calls, None)
        if item is None:
            raise BenchFailure(f"public_booking: more than {CUSTOMERS_AHEAD:,} calls; run fewer iterations.")
        index, payload = item
        starts_at = str(payload["starts_at"])
        mobile = f"15{run:04d}{index:05d}"
        client = Client(REMOTE_ADDR=f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}")
        with outbox.taking():
            timed(
                "step1",
                lambda: client.post(
                    page + "?step=car",
                    {"plate_text": payload["plate_text"], "model_text": "帕萨特 330TSI", "mileage": "12000"},
                ),
                302,
            )
            timed(
                "step2",
                lambda: client.post(
                    page + "?step=time",
                    {
                        "services": payload["services"],
                        "day": starts_at[:10],
                        "time": starts_at[11:16],
                        "action": "next",
                    },
                ),
                302,
            )
            timed("step3_code", lambda: client.post(page + "?step=contact", {"mobile": mobile, "action": "code"}), 200)
            code = Message.objects.filter(event="verification_code", address=mobile).latest("pk").variables["code"]
            response = timed(
                "step3_book",
                lambda: client.post(
                    page + "?step=contact",
                    {"contact_name": payload["contact_name"], "mobile": mobile, "code": code, "action": "book"},
                ),
                302,
            )
        # The code is spent: its row goes (untimed), so that the store's ceiling of codes an hour
        # (messaging.services.codes.STORE_PER_HOUR, far below the bench's customers an hour) counts
        # only the codes in flight, as a store's real morning would.
        OneTimeCode.objects.filter(store=store, mobile=mobile).delete()
        times["step3"].append(times["step3_code"][-1] + times["step3_book"][-1])
        return response

    def done() -> None:
        for line in report(times):
            print(line)
        outbox.settle()

    weakref.finalize(call, done)
    return call
