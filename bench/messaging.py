"""The outbox's bench: ``outbox_1000``, a thousand SMS through one worker to the local fake provider,
the worker killed once between the provider accepting a message and our commit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db.models import Count
from django.test import override_settings

from aftersales.core.models import Store
from aftersales.messaging import services
from aftersales.messaging.channels.aliyun_fake import FakeAliyun, Sent, fake_aliyun_running
from aftersales.messaging.models import Message, MessageTemplate
from bench.registry import BenchFailure, JobResult, job

MESSAGES = 1000
KILL_AT = 500  # the worker is killed as the provider accepts this message, before the worker hears back
LIMIT_SECONDS = 60
EVENT = "bench_outbox"


def _worker(fake: FakeAliyun) -> subprocess.Popen[bytes]:
    """One worker (one job thread) of the same database and queue, sending through the fake provider."""
    env = {
        **os.environ,
        "AFTERSALES_DATA_DIR": str(settings.DATA_DIR),
        "AFTERSALES_SMS_PROVIDER": "aliyun",
        "ALIYUN_SMS_ENDPOINT": fake.endpoint,
        "ALIYUN_SMS_ACCESS_KEY_ID": fake.access_key_id,
        "ALIYUN_SMS_ACCESS_KEY_SECRET": fake.access_key_secret,
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "aftersales", "worker", "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _statuses() -> Counter[str]:
    rows = Message.objects.filter(event=EVENT).values("status").annotate(n=Count("pk"))
    return Counter({row["status"]: row["n"] for row in rows})


@job(
    "outbox_1000",
    f"{MESSAGES:,} SMS through the outbox, one worker, to the local fake Aliyun SMS; the worker is killed "
    f"once after the provider accepted message {KILL_AT} and before our commit, then started again",
)
def _outbox_1000() -> JobResult:
    store = Store.all_objects.filter(is_active=True).order_by("code").first()
    if store is None:
        raise BenchFailure("No store: fill the database with `bench generate` first.")
    Message.objects.filter(event=EVENT).delete()
    MessageTemplate.objects.filter(event=EVENT).delete()
    template = MessageTemplate.objects.create(
        event=EVENT,
        channel="sms",
        message_class="service",
        urgent=True,
        variables=["n"],
        body_zh="测试短信{n}",
        sms_sign_name="华东汽车",
        sms_template_code="SMS_100001",
    )
    workers: list[subprocess.Popen[bytes]] = []
    killed: list[Sent] = []

    def kill_once(sent: Sent) -> None:
        if len(killed) == 0 and sent.params.get("n") == str(KILL_AT):
            killed.append(sent)
            workers[-1].send_signal(signal.SIGKILL)
            workers[-1].wait()

    try:
        with fake_aliyun_running(FakeAliyun(on_accept=kill_once)) as fake:
            started = time.perf_counter()
            for n in range(1, MESSAGES + 1):
                services.message_send(
                    store=store,
                    event=EVENT,
                    recipient=services.Recipient(type="customer", name=f"测试{n}", mobile=f"139{n:08d}"),
                    variables={"n": str(n)},
                )
            queued_s = time.perf_counter() - started
            workers.append(_worker(fake))
            restarted = False
            recovered: dict[str, int] = {}
            while time.perf_counter() - started < LIMIT_SECONDS * 3:
                if killed and not restarted:
                    workers.append(_worker(fake))  # started again by its supervisor
                    restarted = True
                counts = _statuses()
                done = counts["sent"] + counts["delivered"]
                if done == MESSAGES:
                    break
                if restarted and counts["sending"] and done + counts["sending"] == MESSAGES:
                    # Only the message cut off remains: the recovery (the worker's minutely job, run here at
                    # once) asks the provider about it.
                    with override_settings(
                        AFTERSALES_SMS_PROVIDER="aliyun",
                        ALIYUN_SMS_ENDPOINT=fake.endpoint,
                        ALIYUN_SMS_ACCESS_KEY_ID=fake.access_key_id,
                        ALIYUN_SMS_ACCESS_KEY_SECRET=fake.access_key_secret,
                    ):
                        recovered = services.messages_recover(older_than=timedelta(seconds=1))
                if counts["unknown"]:
                    break
                time.sleep(0.2)
            elapsed_s = time.perf_counter() - started
            counts = _statuses()
            # Only this job's messages count: a worker also sends whatever else the database has waiting
            # (its minutely job queues again messages queued over five minutes ago), reported as others.
            own = set(Message.objects.filter(event=EVENT).values_list("out_id", flat=True))
            sends = sum(1 for sent in fake.sends if sent.out_id in own)
            distinct = len({sent.out_id for sent in fake.sends if sent.out_id in own})
            others = len(fake.sends) - sends
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=30)
    Message.objects.filter(event=EVENT).delete()
    template.delete()
    line = (
        f"scenario=outbox_1000 seconds={elapsed_s:.1f} queued_s={queued_s:.1f} sends={sends} distinct={distinct} "
        f"other_sends={others} "
        f"sent={counts['sent']} delivered={counts['delivered']} unknown={counts['unknown']} "
        f"failed={counts['failed']} killed_once={bool(killed)} recovered={recovered}"
    )
    if sends != MESSAGES or distinct != MESSAGES or counts["sent"] + counts["delivered"] != MESSAGES or not killed:
        raise BenchFailure(f"outbox_1000 did not hold: {line}")
    return JobResult([line])
