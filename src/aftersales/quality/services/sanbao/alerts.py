"""The alerts of the 三包 watch (SPEC LAW-4): the rules a car has reached or nearly reached, raised once and
told to the advisor and the after-sales manager; the listeners that evaluate the car when its work is signed
or added and when the pickup notice ends a repair's time, and the sweep of the cars on site."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import translation

from aftersales.core.models import StaffMembership, Store, User
from aftersales.customers.models import Vehicle
from aftersales.messaging.models import Message, MessageTemplate
from aftersales.messaging.services import Recipient, message_send, message_try
from aftersales.quality.models import SanbaoAlert
from aftersales.quality.services.sanbao.counting import warranty_watch
from aftersales.quality.services.sanbao.rules import ALERT_EVENT, LAW, MANAGER_ROLES, OK, RULES, Rule
from aftersales.visits.models import Line, RepairOrder, Visit

logger = logging.getLogger(__name__)


# --- alerts -------------------------------------------------------------------------------------------


def sanbao_evaluate(vehicle_id: int, *, group_id: int, now: datetime | None = None) -> list[SanbaoAlert]:
    """Raise the alerts and early warnings the car has reached and not had yet (one row per rule, counted
    thing and level), and tell the advisor of the visit behind each and the store's after-sales managers."""
    watch = warranty_watch(vehicle_id, group_ids=[group_id], now=now)
    if not watch.results:
        return []
    raised: list[SanbaoAlert] = []
    existing = {(alert.rule, alert.key, alert.level) for alert in watch.alerts}
    with transaction.atomic():
        for result in watch.results:
            if result.level == OK or (result.rule.code, result.key, result.level) in existing:
                continue
            if result.store_id is None:
                continue
            alert, created = SanbaoAlert.all_objects.get_or_create(
                group_id=group_id,
                vehicle_id=vehicle_id,
                rule=result.rule.code,
                key=result.key,
                level=result.level,
                defaults={
                    "store_id": result.store_id,
                    "subject": result.subject[:200],
                    "value": result.value,
                    "threshold": result.threshold,
                    "orders": result.orders,
                },
            )
            if created:
                raised.append(alert)
        if raised:
            ids = [alert.pk for alert in raised]
            transaction.on_commit(lambda: alerts_tell(ids))
    return raised


def _advisor_of(alert: SanbaoAlert) -> User | None:
    if not alert.orders:
        return None
    order = (
        RepairOrder.all_objects.filter(store_id=alert.store_id, number=alert.orders[-1])
        .select_related("advisor")
        .first()
    )
    return order.advisor if order is not None and order.advisor.is_active else None


def alert_recipients(alert: SanbaoAlert) -> list[User]:
    """The advisor of the latest order behind the alert, and the store's after-sales managers."""
    people = [_advisor_of(alert)]
    people += [
        row.user
        for row in StaffMembership.all_objects.filter(
            store_id=alert.store_id, is_active=True, user__is_active=True, role__code__in=MANAGER_ROLES
        )
        .select_related("user")
        .order_by("pk")
    ]
    seen: set[int] = set()
    out = []
    for person in people:
        if person is not None and person.pk not in seen:
            seen.add(person.pk)
            out.append(person)
    return out


def alerts_tell(alert_ids: list[int]) -> list[Message]:
    """Tell each alert's people in-app (nothing where the message is switched off)."""
    if not MessageTemplate.objects.filter(event=ALERT_EVENT, is_active=True).exists():
        return []
    sent: list[Message] = []
    for alert in SanbaoAlert.all_objects.filter(pk__in=alert_ids).select_related("store", "vehicle").order_by("pk"):
        rule = RULES[alert.rule]
        for person in alert_recipients(alert):
            sent += message_try(f"三包 alert {alert.pk}", _send(alert, rule, person))
    return sent


def _send(alert: SanbaoAlert, rule: Rule, person: User) -> Callable[[], list[Message]]:
    with translation.override(
        person.preferred_language or settings.LANGUAGE_CODE
    ):  # the rule's words in the reader's language
        level, label = str(SanbaoAlert.Level(alert.level).label), str(rule.label)
    return lambda: message_send(
        store=alert.store,
        event=ALERT_EVENT,
        recipient=Recipient(
            type=Message.RecipientType.STAFF, name=str(person), user=person, language=person.preferred_language
        ),
        variables={
            "plate": alert.vehicle.plate or alert.vehicle.vin[-6:],
            "level": level,
            "rule": label,
            "subject": alert.subject,
            "article": f"{LAW} {rule.article}",
        },
        about=("quality.sanbaoalert", alert.pk),
    )


def _group_of(store_id: int) -> int:
    return int(Store.all_objects.filter(pk=store_id).values_list("group_id", flat=True).get())


def order_listener(order: RepairOrder, _lines: list[Line], _actor: User | None) -> None:
    """``visits.services.orders.ORDER_LISTENERS``: work signed or added may reach a rule at once."""
    vehicle_id, store_id = order.vehicle_id, order.store_id
    # Robust: the order is written whatever the watch makes of it (a failure is logged, not the caller's 500).
    transaction.on_commit(lambda: sanbao_evaluate(vehicle_id, group_id=_group_of(store_id)), robust=True)


def ready_listener(order: RepairOrder, _actor: User) -> None:
    """``quality.services.READY_LISTENERS``: the pickup notice ends the repair time of the visit."""
    order_listener(order, [], None)


def sanbao_sweep(now: datetime | None = None) -> int:
    """Evaluate every car on site now (its running repair days reach day 5 and day 6 while it waits)."""
    raised = 0
    rows = (
        Visit.all_objects.filter(state=Visit.State.ON_SITE, vehicle__use_type=Vehicle.UseType.HOUSEHOLD)
        .values_list("vehicle_id", "store__group_id")
        .distinct()
        .order_by("vehicle_id")
    )
    for vehicle_id, group_id in rows:
        try:
            raised += len(sanbao_evaluate(vehicle_id, group_id=group_id, now=now))
        except Exception:  # one car's failure must not keep the others' day-5 and day-6 alerts back
            logger.exception("三包 evaluation of vehicle %s failed", vehicle_id)
    return raised
