"""The appointments' scenarios, on the store-day of ``store_day``:

- ``slots``: ``GET /api/v1/appointments/slots`` of the bench day, cycling through six asks with a wish
  (an oil change, with the cabin filter, brake pads, an EV insulation test, a battery, an engine
  diagnosis by a certified senior).
- ``booking_create``: ``POST /api/v1/appointments`` as the store's CRM agent, each call a new booking on
  the days after the bench day (whose load grows from nothing to full, about 280 a day), at an arrival
  worked out in the set-up with the same engine, so that every call fits. Each booking's confirmation
  SMS is written to the outbox as in production (``confirmations``); one refused, or written as failed,
  fails the scenario.
"""

from __future__ import annotations

import itertools
import json
import weakref
from urllib.parse import urlencode

from django.http import HttpResponse
from django.utils import timezone

from aftersales.core.calendar import store_calendar
from aftersales.core.models import User
from aftersales.core.services import token_create
from bench.appointments.confirmations import Confirmations, sms_on
from bench.appointments.store_day import SLOT_ASKS, booked_on, bookings_ahead, refs, store_day
from bench.registry import BenchContext, BenchFailure, Call, scenario

# The calls of booking_create are worked out ahead: enough for --iterations 1000 with its warm-up.
BOOKINGS_AHEAD = 1200


@scenario(
    "slots",
    "GET /api/v1/appointments/slots: the free arrivals and the two offered on a store-day with 40 technicians, "
    "30 bays and 300 bookings, six service mixes in turn",
)
def _slots(bench: BenchContext) -> Call:
    setting = store_day()
    plan = setting.plan
    paths = [
        "/api/v1/appointments/slots?"
        + urlencode(
            {
                "store": setting.store.code,
                "date": setting.day.isoformat(),
                "services": ",".join(refs(setting.operations, codes)),
                "wish": wish,
            }
        )
        for codes, wish in SLOT_ASKS
    ]
    found = []
    for path in paths:
        response = bench.get(path)
        if response.status_code != 200:
            raise BenchFailure(f"slots: HTTP {response.status_code}: {response.content[:300]!r}")
        found.append(len(json.loads(response.content)["slots"]))
    if not any(found):
        raise BenchFailure("slots: no free arrival for any mix: the bench day is full.")
    print(
        f"  slots: {setting.store.code} on {setting.day}: {len(plan.technicians)} technicians, {len(plan.bays)} bays, "
        f"{booked_on(setting.store, plan)} bookings ({plan.booked_hours} of {plan.bookable_hours} bookable hours); "
        f"free arrivals per mix: {', '.join(map(str, found))}"
    )
    cycle = itertools.cycle(paths)
    return lambda: bench.get(next(cycle))


@scenario(
    "booking_create",
    "POST /api/v1/appointments: one booking as the store's CRM agent, placed against the capacity of a day "
    "with 40 technicians and 30 bays that fills up call by call, its confirmation SMS written to the outbox",
    expected_status=201,
)
def _booking_create(bench: BenchContext) -> Call:
    setting = store_day()
    agent = User.objects.filter(username=f"crm_{setting.store.code.lower()}").first()
    if agent is None:
        raise BenchFailure(
            f"booking_create: no CRM agent crm_{setting.store.code.lower()}: generate the bench data first."
        )
    switched = sms_on()
    _token, raw = token_create(user=agent, name="bench-booking")
    headers = {"authorization": f"Bearer {raw}"}
    payloads = bookings_ahead(setting, BOOKINGS_AHEAD)
    calls = iter(payloads)
    outbox = Confirmations()
    quiet_until = store_calendar(setting.store).quiet_until(timezone.now())
    first_day, last_day = payloads[0]["starts_at"], payloads[-1]["starts_at"]
    print(
        f"  booking_create: as {agent.username}, {len(payloads):,} arrivals worked out ahead, "
        f"from {str(first_day)[:10]} to {str(last_day)[:10]}; each confirmation an SMS in the outbox "
        f"({f'held for the quiet hours until {quiet_until:%H:%M}' if quiet_until else 'queued'}, its job on "
        f"the bench's own queue; {switched} SMS templates switched on now)"
    )

    def call() -> HttpResponse:
        payload = next(calls, None)
        if payload is None:
            raise BenchFailure(f"booking_create: more than {BOOKINGS_AHEAD:,} calls; run fewer iterations.")
        handed = len(outbox.handed)
        with outbox.taking():
            response: HttpResponse = bench.client.post(  # type: ignore[assignment]
                "/api/v1/appointments", json.dumps(payload), content_type="application/json", headers=headers
            )
        if response.status_code == 201 and len(outbox.handed) != handed + 1:
            number = json.loads(response.content).get("number")
            raise BenchFailure(
                f"booking_create: booking {number} was made, but {len(outbox.handed) - handed} confirmation SMS "
                "went to the outbox instead of one (a refusal is logged by the outbox above)."
            )
        return response

    # Once the runner is done with the call, the confirmations left waiting are cancelled (no worker
    # started on this database later sends them) and the bench's queue is removed.
    weakref.finalize(call, outbox.settle)
    return call
