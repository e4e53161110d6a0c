"""Reads of the platform: stores, the signed-in user, audit search and the 'today' figures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from aftersales.core import identifiers
from aftersales.core.access import can
from aftersales.core.calendar import DayKind, store_calendar, store_day_start
from aftersales.core.models import (
    ApiToken,
    AuditEntry,
    Bay,
    CalendarDay,
    Certificate,
    JobHeartbeat,
    LegalEntity,
    LoginThrottle,
    Role,
    StaffMembership,
    StaffProfile,
    Store,
    User,
)


def store_list(*, q: str | None = None, brand: str | None = None, is_active: bool | None = None) -> QuerySet[Store]:
    """Stores visible to the current actor, filtered."""
    stores = Store.objects.select_related("group")
    if q:
        stores = stores.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(address__icontains=q))
    if brand:
        stores = stores.filter(brands__code=brand)
    if is_active is not None:
        stores = stores.filter(is_active=is_active)
    return stores


def store_get(*, store_id: int) -> Store:
    """One visible store with its brands; a store the actor may not see is not found."""
    store = Store.objects.select_related("group", "legal_entity").prefetch_related("brands").filter(pk=store_id).first()
    if store is None:
        raise Http404(_("Not found."))
    return store


# --- companies and the calendar --------------------------------------------------------------


def legal_entity_list(*, q: str | None = None) -> QuerySet[LegalEntity]:
    """The group's companies, with their stores; ``q``: part of the name or the credit code."""
    entities = LegalEntity.objects.prefetch_related("stores")
    if q:
        entities = entities.filter(Q(name__icontains=q) | Q(uscc__icontains=q.upper()))
    return entities


def legal_entity_get(entity_id: int) -> LegalEntity:
    entity = LegalEntity.objects.prefetch_related("stores").filter(pk=entity_id).first()
    if entity is None:
        raise Http404(_("Not found."))
    return entity


def legal_entity_bank_account(entity: LegalEntity, user: User) -> str:
    """The company's bank account as ``user`` may read it: in full with "companies.bank", else masked."""
    if not entity.bank_account or can(user, "companies.bank"):
        return entity.bank_account
    return identifiers.mask_bank_account(entity.bank_account)


def calendar_days(year: int) -> list[CalendarDay]:
    """The year's public holidays and make-up working days, by date."""
    return list(CalendarDay.objects.filter(day__year=year).order_by("day"))


@dataclass(frozen=True)
class StoreDay:
    day: date
    kind: DayKind
    holiday: str  # the holiday's name on a public holiday or make-up working day
    working_day: bool  # a working day in law
    opens: datetime | None  # in the store's zone; None: closed
    closes: datetime | None


# The longest run of days the store-days answer and page show at once.
STORE_DAYS_MAX = 92


def store_days(store: Store, start: date, days: int) -> list[StoreDay]:
    """The store's calendar for ``days`` days from ``start``: kind of day, holiday, opening hours."""
    calendar = store_calendar(store)
    result = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        hours = calendar.hours(day)
        result.append(
            StoreDay(
                day=day,
                kind=calendar.day_kind(day),
                holiday=calendar.holiday_name(day),
                working_day=calendar.is_working_day(day),
                opens=hours[0] if hours else None,
                closes=hours[1] if hours else None,
            )
        )
    return result


def store_brand_codes(stores: list[Store]) -> dict[int, list[str]]:
    """Brand codes per store for a page of stores, in one query."""
    through = Store.brands.through
    result: dict[int, list[str]] = {store.pk: [] for store in stores}
    rows = through.objects.filter(store_id__in=result).values_list("store_id", "brand__code").order_by("brand__code")
    for store_id, code in rows:
        result[store_id].append(code)
    return result


@dataclass
class Membership:
    store_id: int
    store_code: str
    store_name: str
    role_code: str
    role_name: str


def user_memberships(user: User) -> list[Membership]:
    rows = (
        StaffMembership.all_objects.filter(user=user, is_active=True, store__is_active=True)
        .select_related("store", "role")
        .order_by("store__code")
    )
    return [Membership(m.store_id, m.store.code, m.store.name, m.role.code, m.role.display_name) for m in rows]


def user_roles(user: User) -> list[Role]:
    return list(Role.objects.filter(memberships__user=user, memberships__is_active=True).distinct().order_by("pk"))


def queue_heartbeat_age() -> float | None:
    """Seconds since a worker of the job queue last beat, or None if none ever did."""
    beat = JobHeartbeat.objects.filter(name="queue").values_list("beat_at", flat=True).first()
    return None if beat is None else (timezone.now() - beat).total_seconds()


def _queue_problem(age: float | None) -> str | None:
    """What a heartbeat of that age says about the worker: never seen, stale, or (None) alive."""
    if age is None:
        return "queue_never_seen"
    return "queue_stale" if age > settings.QUEUE_STALE_SECONDS else None


def queue_alive() -> bool:
    """Whether a worker beat within QUEUE_STALE_SECONDS, so that a job queued now will run.

    Pages that queue a job show ``core/_queue_warning.html`` when this is false.
    """
    return _queue_problem(queue_heartbeat_age()) is None


def health_status() -> dict[str, Any]:
    """The health answer: "ok"; "degraded" with its reasons (``queue_never_seen``, ``queue_stale``:
    no worker runs the jobs); or "unavailable" (``database_unavailable``)."""
    age: float | None = None
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        age = queue_heartbeat_age()
    except Exception:  # noqa: BLE001 - any database failure means "not reachable"
        return {
            "status": "unavailable",
            "reasons": ["database_unavailable"],
            "database": False,
            "queue_heartbeat_age_seconds": None,
        }
    reasons = [problem] if (problem := _queue_problem(age)) else []
    return {
        "status": "degraded" if reasons else "ok",
        "reasons": reasons,
        "database": True,
        "queue_heartbeat_age_seconds": None if age is None else round(age, 1),
    }


def audit_search(
    *,
    actor: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    action: str | None = None,
    store_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    visible_store_ids: frozenset[int] | None = None,
) -> QuerySet[AuditEntry]:
    """Audit entries matching the filters; limited to ``visible_store_ids`` when given (a store
    manager sees their stores' entries only, not group-level ones)."""
    entries = AuditEntry.objects.all()
    if visible_store_ids is not None:
        entries = entries.filter(store_id__in=visible_store_ids)
    if actor:
        entries = entries.filter(actor_username=actor)
    if object_type:
        entries = entries.filter(object_type=object_type)
    if object_id:
        entries = entries.filter(object_id=object_id)
    if action:
        entries = entries.filter(action=action)
    if store_id:
        entries = entries.filter(store_id=store_id)
    zone = timezone.get_current_timezone()
    if date_from:
        entries = entries.filter(created_at__gte=datetime.combine(date_from, time.min, tzinfo=zone))
    if date_to:
        entries = entries.filter(created_at__lt=datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone))
    return entries.order_by("-created_at", "-id")


@dataclass
class Card:
    key: str
    label: str
    value: int | str
    icon: str = "bi-info-circle"
    hint: str = ""
    url: str = ""  # where the figure's records are listed


@dataclass
class Chart:
    key: str
    title: str
    kind: str  # "bar" or "pie"
    labels: list[str] = field(default_factory=list)
    values: list[int] = field(default_factory=list)


@dataclass
class TodayView:
    landing: str
    cards: list[Card]
    charts: list[Chart]


# Business areas add their landing-page figures: f(user, store, landing) -> cards.
TODAY_EXTENSIONS: list[Callable[[User, Store | None, str], list[Card]]] = []


def _start_of_day(store: Store | None) -> datetime:
    if store is not None:
        return store_day_start(store)
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def today_view(*, user: User, store: Store | None, landing: str) -> TodayView:
    """The figures of the landing page for one role in one store, counted from the data that exists."""
    cards: list[Card] = []
    charts: list[Chart] = []
    since = _start_of_day(store)
    if store is not None:
        bays = Bay.all_objects.filter(store=store)
        bay_counts = bays.aggregate(
            active=Count("pk", filter=Q(is_active=True)), inactive=Count("pk", filter=Q(is_active=False))
        )
        staff = StaffMembership.all_objects.filter(store=store, is_active=True)
        cards.append(Card("bays_active", _("Bays in service"), bay_counts["active"], "bi-tools"))
        if landing in {"manager", "foreman"}:
            cards.append(Card("bays_inactive", _("Bays out of service"), bay_counts["inactive"], "bi-cone-striped"))
        cards.append(Card("staff", _("Staff in this store"), staff.count(), "bi-people"))
        if landing in {"manager", "foreman"}:
            technicians = StaffProfile.objects.filter(
                user__memberships__store=store,
                user__memberships__role__code="technician",
                user__memberships__is_active=True,
            )
            cards.append(Card("technicians", _("Technicians"), technicians.count(), "bi-wrench-adjustable"))
            cards.append(
                Card(
                    "ev_certified",
                    _("EV high-voltage certified"),
                    Certificate.objects.filter(profile__in=technicians, kind="ev_hv")
                    .values("profile")
                    .distinct()
                    .count(),
                    "bi-lightning-charge",
                )
            )
            by_role = (
                staff.values("role__code", "role__name", "role__name_en").annotate(n=Count("pk")).order_by("role__pk")
            )
            english = (get_language() or "").startswith("en")
            charts.append(
                Chart(
                    "staff_by_role",
                    _("Staff by role"),
                    "bar",
                    [row["role__name_en"] if english else row["role__name"] for row in by_role],
                    [row["n"] for row in by_role],
                )
            )
        by_kind = bays.filter(is_active=True).values("kind").annotate(n=Count("pk")).order_by("kind")
        labels = dict(Bay.Kind.choices)
        charts.append(
            Chart(
                "bays_by_type",
                _("Bays by type"),
                "pie",
                [str(labels[row["kind"]]) for row in by_kind],
                [row["n"] for row in by_kind],
            )
        )
        if landing == "manager":
            cards.append(
                Card(
                    "changes_today",
                    _("Record changes today"),
                    AuditEntry.objects.filter(
                        store=store, created_at__gte=since, action__in=["create", "update", "delete"]
                    ).count(),
                    "bi-journal-text",
                )
            )
    if landing == "technician":
        profile = StaffProfile.objects.filter(user=user).first()
        level = profile.get_skill_level_display() if profile and profile.skill_level else _("not set")
        cards.append(Card("skill_level", _("My skill level"), str(level), "bi-award"))
        valid = Certificate.objects.filter(profile__user=user).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=timezone.localdate())
        )
        cards.append(Card("certificates", _("My valid certificates"), valid.count(), "bi-patch-check"))
    if landing in {"manager", "auditor"} or user.is_superuser:
        cards.append(
            Card(
                "failed_logins",
                _("Failed sign-ins today"),
                AuditEntry.objects.filter(action="login_failed", created_at__gte=since).count(),
                "bi-shield-exclamation",
            )
        )
        cards.append(
            Card(
                "locked_out",
                _("User names locked out now"),
                LoginThrottle.objects.filter(locked_until__gt=timezone.now())
                .exclude(username=LoginThrottle.ADDRESS_WIDE)
                .values("username")
                .distinct()
                .count(),
                "bi-lock",
            )
        )
    if landing == "auditor" or user.is_superuser:
        cards.append(Card("stores", _("Active stores"), Store.all_objects.filter(is_active=True).count(), "bi-shop"))
        cards.append(
            Card(
                "denials_today",
                _("Permission denials today"),
                AuditEntry.objects.filter(action="permission_denied", created_at__gte=since).count(),
                "bi-sign-stop",
            )
        )
        days = [(since - timedelta(days=offset)) for offset in range(6, -1, -1)]
        counts = [
            AuditEntry.objects.filter(created_at__gte=day, created_at__lt=day + timedelta(days=1)).count()
            for day in days
        ]
        charts.append(
            Chart("audit_7_days", _("Audit entries, last 7 days"), "bar", [d.strftime("%m-%d") for d in days], counts)
        )
    for extension in TODAY_EXTENSIONS:
        cards += extension(user, store, landing)
    if can(user, "tokens.manage", store_id=store.pk if store else None):
        live = ApiToken.objects.filter(user=user, revoked_at=None).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
        )
        cards.append(Card("my_tokens", _("My active API tokens"), live.count(), "bi-key"))
    return TodayView(landing=landing, cards=cards, charts=charts)


# --- my jobs: long jobs a person started, from every area --------------------------------------------


@dataclass(frozen=True)
class JobView:
    """One long job as "my jobs" shows it (an import, an export, a batch send)."""

    kind: str
    name: str
    status: str  # queued, running, done, failed
    status_label: str
    percent: int
    started_at: datetime
    finished_at: datetime | None
    url: str
    message: str = ""

    @property
    def running(self) -> bool:
        return self.status in {"queued", "running"}


# Each area that runs long jobs registers what it knows of a person's (newest first).
JOB_SOURCES: list[Callable[[User], list[JobView]]] = []


def my_jobs(user: User, *, limit: int = 50) -> list[JobView]:
    """The person's long jobs from every area, newest first."""
    jobs = [job for source in JOB_SOURCES for job in source(user)]
    return sorted(jobs, key=lambda job: job.started_at, reverse=True)[:limit]
