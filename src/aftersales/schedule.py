"""Every periodic job of the product, declared in one place.

Each job is a thin, idempotent wrapper around a service; ``aftersales worker`` runs them. (The
worker's heartbeat is no job: it beats from a thread of its own, see ``commands/worker.py``.)
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from aftersales.appointments import services as appointments
from aftersales.billing import payments
from aftersales.campaigns import services as campaigns
from aftersales.core import services
from aftersales.core.audit import audit_checkpoint_write
from aftersales.core.models import DealerGroup, Store
from aftersales.messaging import services as messaging
from aftersales.parts import services as parts
from aftersales.purchasing import services as purchasing
from aftersales.quality import services as quality
from aftersales.quality.services import sanbao
from aftersales.workshop import services as workshop

# Entries appended since the last checkpoint are protected by their keyed hashes only: a database
# writer could cut them off unseen. A quarter of an hour bounds that, at one line per busy store.
AUDIT_CHECKPOINT_MINUTES = 15


@db_periodic_task(crontab(minute="*/15"))
def login_throttles_prune() -> None:
    """Forget sign-in counters whose window has passed (they would only ever be started afresh)."""
    services.login_throttles_prune()


@db_periodic_task(crontab(minute=f"*/{AUDIT_CHECKPOINT_MINUTES}"))
def audit_checkpoint() -> int:
    """Append the head of every audit chain that moved to the checkpoint file (``AUDIT_CHECKPOINTS``)."""
    return audit_checkpoint_write()


@db_periodic_task(crontab(minute="*"))
def messages_settle() -> dict[str, int]:
    """Queue the messages whose quiet hours have ended, and those whose job was lost; settle those a
    worker lost mid-send (asking the provider, else ``unknown``)."""
    return {
        "released": messaging.messages_release(),
        "requeued": messaging.messages_requeue(),
        **messaging.messages_recover(),
    }


@db_periodic_task(crontab(minute="*"))
def payments_recheck() -> dict[str, int]:
    """Ask the payment provider about scanned-code payments and refunds whose answer is still not final."""
    return payments.payments_recheck_pending()


@db_periodic_task(crontab(minute="*/5"))
def reservations_expire() -> int:
    """Give back the stock of appointments' pre-picks whose time has passed."""
    return parts.reservations_expire()


@db_periodic_task(crontab(minute="30", hour="2", day="1"))
def parts_abc_classify() -> dict[str, dict[str, int]]:
    """Classify every group's parts A / B / C by their last 12 months' usage value (monthly)."""
    return {group.code: parts.parts_abc_classify(group_id=group.pk) for group in DealerGroup.objects.order_by("pk")}


# The queue's clock is UTC (HUEY utc): 22:30 UTC is 06:30 in China, before the parts desk opens; each
# store's day is its own calendar's (a store in another time zone gets its count planned that morning).
@db_periodic_task(crontab(minute="30", hour="22"))
def cycle_counts_plan() -> int:
    """Plan the day's cycle counts: the next slice of bins of every warehouse that has a cycle."""
    return parts.cycle_counts_plan()


@db_periodic_task(crontab(minute="*/5"))
def stocktakes_recover() -> int:
    """Start again a stocktake posting whose job went quiet (a worker stopped mid-job)."""
    return parts.stocktakes_recover()


# 21:00 UTC is 05:00 in China: the night's reorder points are ready before the parts desk opens.
@db_periodic_task(crontab(minute="0", hour="21"))
def reorder_points_compute() -> dict[str, int]:
    """Compute every store's reorder points from its last 90 days of issues (rules set by hand kept)."""
    return {
        store.code: purchasing.reorder_points_compute(store_id=store.pk)
        for store in Store.all_objects.filter(is_active=True).order_by("code")
    }


@db_periodic_task(crontab(minute="*/5"))
def appointments_no_show() -> int:
    """Mark as no-show the bookings nobody came for (the start plus the store's grace period passed)."""
    return appointments.appointments_mark_no_show()


@db_periodic_task(crontab(minute="*/15"))
def appointments_remind() -> dict[str, int]:
    """Send the bookings' reminders that are due (24 hours before, and the same-day one where wanted)."""
    return appointments.appointments_remind()


# 19:40 UTC is 03:40 in China, the quietest hour of the stores.
@db_periodic_task(crontab(minute="40", hour="19"))
def appointments_expire_personal() -> int:
    """Anonymise the bookings without a customer record whose time kept (three years) has passed."""
    return appointments.appointments_expire_personal()


@db_periodic_task(crontab(minute="*/10"))
def one_time_codes_purge() -> dict[str, int]:
    """Mask the expired codes in the SMS that carried them (valid 10 minutes: masked within 20); delete
    the one-time codes older than a day and the guards no longer needed."""
    return messaging.codes_purge()


@db_periodic_task(crontab(minute="20", hour="*"))
def campaign_outreach_follow_up() -> dict[str, int]:
    """Record the recall owners reached, and give a call task to those the notice missed."""
    return campaigns.outreach_follow_up()


@db_periodic_task(crontab(minute="*"))
def workshop_reminders() -> int:
    """Remind technicians of jobs whose deadline is near (once per job)."""
    return workshop.reminders_send()


@db_periodic_task(crontab(minute="*/5"))
def workshop_service_levels() -> int:
    """Alert the foreman, then the advisor, then the manager of orders late against their service level."""
    return workshop.sla_check()


@db_periodic_task(crontab(minute="10"))
def sanbao_watch() -> int:
    """Evaluate the 三包 rules of every household car on site: its running repair days reach the early
    warning on day 5 and the courtesy-car alert from day 6 while it waits."""
    return sanbao.sanbao_sweep()


# 23:10 UTC is 07:10 in China: the day's evaluations are open before the quality manager starts.
@db_periodic_task(crontab(minute="10", hour="23"))
def quality_audits_plan() -> int:
    """Open the internal quality evaluations that are due: each a random sample of the store's orders
    delivered since (``audit_every_days``, ``audit_sample_size`` of its quality rules)."""
    return quality.audits_plan()
