"""Where the confirmations of ``booking_create`` go.

A booking through the API writes its confirmation to the outbox as in production: after the commit the
booking's own code (``appointment_message``) renders the store's SMS template and writes the message;
the outbox then hands the message's delivery job to the job queue (the hooks of
``messaging.services.DELIVER``), and a worker sends it later. The bench process runs the deployment's
settings, whose queue is not immediate: nothing is sent during a call, but each job would stay in the
data directory's queue for the next worker started on it, such as ``outbox_1000``'s, which counts what
its fake provider receives.

So during each of its calls (``Confirmations.taking``) the bench hands the jobs to a queue of its own:
a SQLite job queue like the deployment's default one, in a temporary directory of the data directory,
which no worker reads. The call's time still covers writing the message and its job. When the scenario
is done (the runner drops its call), ``settle`` cancels the confirmations still waiting (queued, or held
for the quiet hours), so that no worker on this database sends them later either (the worker's minutely
``messages_settle`` queues again the queued messages older than five minutes), and removes the queue.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from django.conf import settings
from huey import SqliteHuey

from aftersales.appointments.services.messages import EVENTS
from aftersales.messaging import services as messaging
from aftersales.messaging.models import Channel, Message, MessageTemplate
from bench.registry import BenchFailure

# The appointments' SMS as a store switches them on once the provider has approved its signature and
# template codes (the demo does the same with its own).
SIGN_NAME = "华东汽车"
SMS_CODES = {event: f"SMS_2900{index + 1:02d}" for index, event in enumerate(EVENTS)}
NOT_SENT = "Not sent: written by a bench scenario (booking_create, public_booking), whose delivery jobs no worker runs."
WAITING = (Message.Status.QUEUED, Message.Status.HELD)
CHUNK = 500  # message ids per update (a statement's parameters stay few)


def sms_on() -> int:
    """Switch the appointments' SMS templates that are off on, with the bench's signature and codes;
    return how many. A database without them (appointments migration 0002) is refused."""
    templates = {
        template.event: template for template in MessageTemplate.objects.filter(event__in=EVENTS, channel=Channel.SMS)
    }
    missing = [event for event in EVENTS if event not in templates]
    if missing:
        raise BenchFailure(
            f"booking_create: no SMS template for {', '.join(missing)}: the database lacks the appointments' "
            "message templates (migration appointments 0002)."
        )
    off = [templates[event] for event in EVENTS if not templates[event].is_active]
    for template in off:
        messaging.template_save(
            actor=None,
            template_id=template.pk,
            data={"sms_sign_name": SIGN_NAME, "sms_template_code": SMS_CODES[template.event], "is_active": True},
        )
    return len(off)


class Confirmations:
    """The bench's own job queue for the confirmations' delivery jobs, and the messages handed to it."""

    def __init__(self) -> None:
        self.directory = tempfile.TemporaryDirectory(prefix="bench-bookings-", dir=settings.DATA_DIR)
        queue = SqliteHuey("bench-bookings", filename=str(Path(self.directory.name) / "jobs.sqlite3"))
        # The outbox's delivery job (``messaging.tasks.message_deliver_job``), declared on this queue.
        self.job = queue.task(retries=0, name="message_deliver_job")(messaging.message_deliver)
        self.handed: list[int] = []

    def _hand(self, message_id: int, at: datetime | None) -> None:
        """What the outbox's hook (``messaging.tasks``) does with a message written, on this queue."""
        self.handed.append(message_id)
        if at is None:
            self.job(message_id)
        else:
            self.job.schedule((message_id,), eta=at)

    @contextmanager
    def taking(self) -> Iterator[None]:
        """Hand the outbox's delivery jobs to this queue instead of the job queue, for the block."""
        hooks = list(messaging.DELIVER)
        messaging.DELIVER[:] = [self._hand]
        try:
            yield
        finally:
            messaging.DELIVER[:] = hooks

    def settle(self) -> int:
        """Cancel the messages handed that still wait to be sent, remove the queue; return how many."""
        cancelled = 0
        for start in range(0, len(self.handed), CHUNK):
            cancelled += Message.objects.filter(pk__in=self.handed[start : start + CHUNK], status__in=WAITING).update(
                status=Message.Status.CANCELLED, error=NOT_SENT
            )
        self.directory.cleanup()
        return cancelled
