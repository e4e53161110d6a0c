"""Reads of appointments: a store's day, the advisor's daily list with each car's history, the welcome
board's masked arrivals, the parts desk's pre-pick list, and the show rate (APT-4, APT-6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Prefetch, Q, QuerySet

from aftersales.appointments.capacity import ADVISOR_ROLE, best_two, booking_settings, day_plan, need_of, slots
from aftersales.appointments.models import (
    Appointment,
    AppointmentEvent,
    AppointmentService,
    BookingSettings,
    Leave,
    Technician,
)
from aftersales.appointments.services.bookings import needs_for
from aftersales.appointments.services.messages import ABOUT
from aftersales.catalogue.models import LabourOperation, ServicePackage
from aftersales.core.calendar import store_calendar
from aftersales.core.identifiers import mask_name, mask_plate
from aftersales.core.models import Brand, StaffMembership, StaffProfile, Store, User
from aftersales.customers.models import Vehicle, VehicleLink
from aftersales.customers.selectors import archive_search, customer_personal
from aftersales.messaging.models import Message

S = Appointment.State


def customers_booked_at(store_ids: frozenset[int]) -> QuerySet[Any]:
    """The customers with a live booking at one of ``store_ids``: a store of another company of the
    group serves them (``customers.visibility.VISIT_VISIBILITY``, PIPL Art. 23)."""
    return Appointment.all_objects.filter(
        store_id__in=store_ids, state__in=(S.BOOKED, S.ARRIVED), customer__isnull=False
    ).values("customer_id")


def appointments_between(store: Store, first: date, last: date) -> QuerySet[Appointment]:
    """The store's appointments arriving from ``first`` to ``last`` (its days), with what a list shows."""
    calendar = store_calendar(store)
    start, end = calendar.day_start(first), calendar.day_bounds(last)[1]
    return (
        Appointment.all_objects.filter(store=store, starts_at__gte=start, starts_at__lt=end)
        .select_related("advisor", "technician__user", "vehicle", "customer")
        .prefetch_related(Prefetch("services", queryset=AppointmentService.objects.order_by("position")))
        .order_by("starts_at", "pk")
    )


def appointment_detail(appointment_id: int, *, archive: bool = False) -> Appointment:
    """One appointment with its store, technician, services and events, and the people who booked,
    advise and overrode it (one query for the three); ``archive``: its customer and vehicle too (the
    page shows them). Kept to a few joins each: PostgreSQL plans a join of ten tables for longer than
    the four queries take."""
    related = ("store", "technician__user", *(("customer", "vehicle__model") if archive else ()))
    appointment = (
        Appointment.all_objects.select_related(*related)
        .prefetch_related(
            Prefetch("services", queryset=AppointmentService.objects.select_related("bay").order_by("position")),
            Prefetch("events", queryset=AppointmentEvent.objects.select_related("actor").order_by("at", "pk")),
        )
        .get(pk=appointment_id)
    )
    people = User.objects.in_bulk(
        {appointment.advisor_id, appointment.created_by_id, appointment.override_by_id} - {None}
    )
    appointment.advisor = people.get(appointment.advisor_id) if appointment.advisor_id else None
    appointment.created_by = people.get(appointment.created_by_id) if appointment.created_by_id else None
    appointment.override_by = people.get(appointment.override_by_id) if appointment.override_by_id else None
    return appointment


def vehicle_history(
    store: Store, vehicle_ids: list[int], *, before: datetime, per_vehicle: int = 5
) -> dict[int, list[Appointment]]:
    """Each vehicle's earlier appointments at the stores of ``store``'s company (of its group, where no
    company is recorded: a booking is personal data the company that took it holds, PIPL Art. 23),
    newest first (one query)."""
    history: dict[int, list[Appointment]] = {}
    rows = (
        Appointment.all_objects.filter(vehicle_id__in=vehicle_ids, starts_at__lt=before, store__group_id=store.group_id)
        .filter(**({"store__legal_entity_id": store.legal_entity_id} if store.legal_entity_id else {}))
        .select_related("store")
        .prefetch_related(Prefetch("services", queryset=AppointmentService.objects.order_by("position")))
        .order_by("vehicle_id", "-starts_at")
    )
    for row in rows:
        kept = history.setdefault(row.vehicle_id or 0, [])
        if len(kept) < per_vehicle:
            kept.append(row)
    return history


def advisor_day(store: Store, day: date, advisor: User | None = None) -> list[tuple[Appointment, list[Appointment]]]:
    """The advisor's (or every advisor's) live bookings of ``day`` with each car's earlier visits."""
    rows = list(appointments_between(store, day, day).filter(state__in=(S.BOOKED, S.ARRIVED)))
    if advisor is not None:
        rows = [row for row in rows if row.advisor_id == advisor.pk]
    first = min((row.starts_at for row in rows), default=None)
    history = (
        vehicle_history(store, [row.vehicle_id for row in rows if row.vehicle_id], before=first)
        if first is not None
        else {}
    )
    return [
        (row, [old for old in history.get(row.vehicle_id or 0, []) if old.starts_at < row.starts_at]) for row in rows
    ]


@dataclass(frozen=True)
class BoardRow:
    time: str
    name: str
    plate: str
    advisor: str
    services: str
    state: str
    arrived: bool


def welcome_board(store: Store, today: date) -> dict[str, list[BoardRow]]:
    """Today's and tomorrow's arrivals for the lobby screen, masked (欢迎看板)."""
    calendar = store_calendar(store)
    board: dict[str, list[BoardRow]] = {"today": [], "tomorrow": []}
    rows = appointments_between(store, today, today + timedelta(days=1)).filter(state__in=(S.BOOKED, S.ARRIVED))
    for row in rows:
        local = calendar.local(row.starts_at)
        key = "today" if local.date() == today else "tomorrow"
        board[key].append(
            BoardRow(
                time=f"{local:%H:%M}",
                name=mask_name(row.contact_name),
                plate=mask_plate(row.vehicle.plate if row.vehicle and row.vehicle.plate else row.plate_text),
                advisor=(row.advisor.full_name or row.advisor.username) if row.advisor else "",
                services="、".join(dict.fromkeys(service.name for service in row.services.all())),
                state=row.get_state_display(),
                arrived=row.state == S.ARRIVED,
            )
        )
    return board


def prepick_list(store: Store, day: date) -> QuerySet[Appointment]:
    """The day's live bookings whose packages bring parts (the parts desk's pre-pick list)."""
    return appointments_between(store, day, day).filter(state=S.BOOKED).exclude(parts_status="")


@dataclass(frozen=True)
class ShowRate:
    key: str
    label: str
    booked: int
    arrived: int
    no_show: int
    cancelled: int

    @property
    def rate(self) -> Decimal | None:
        """Arrived ÷ (arrived + no-show), in per cent to one decimal; None before anyone was due."""
        due = self.arrived + self.no_show
        return (Decimal(self.arrived * 100) / due).quantize(Decimal("0.1")) if due else None


def show_rates(store_ids: list[int], first: date, last: date, *, by: str) -> list[ShowRate]:
    """The show rate of appointments due from ``first`` to ``last`` (the stores' days), grouped ``by``
    store, channel or advisor; one query."""
    group = {"store": "store__code", "channel": "channel", "advisor": "advisor__username"}[by]
    labels = {"store": "store__name", "channel": "channel", "advisor": "advisor__full_name"}[by]
    # The days are the first store's (a group's stores share a zone; a store elsewhere would be
    # counted by that zone's days, off by its difference at the edges).
    store = Store.all_objects.filter(pk__in=store_ids).order_by("pk").first()
    zone = store.zone if store is not None else ZoneInfo("Asia/Shanghai")
    start = datetime.combine(first, time(0), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
    rows = (
        Appointment.all_objects.filter(store_id__in=store_ids, starts_at__gte=start, starts_at__lt=end)
        .values(group, labels)
        .annotate(
            booked=Count("pk"),
            arrived=Count("pk", filter=Q(state=S.ARRIVED)),
            no_show=Count("pk", filter=Q(state=S.NO_SHOW)),
            cancelled=Count("pk", filter=Q(state=S.CANCELLED)),
        )
        .order_by(group)
    )
    channel_labels = dict(Appointment.Channel.choices)
    return [
        ShowRate(
            key=row[group] or "",
            label=str(channel_labels.get(row[labels], row[labels]))
            if by == "channel"
            else (row[labels] or row[group] or ""),
            booked=row["booked"],
            arrived=row["arrived"],
            no_show=row["no_show"],
            cancelled=row["cancelled"],
        )
        for row in rows
    ]


# --- what the pages read besides the records themselves -----------------------------------------------


def booking_settings_of(store: Store) -> BookingSettings:
    """The store's booking settings as they stand (``capacity.booking_settings``: a read writes nothing)."""
    return booking_settings(store)


def service_choices(store: Store) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """What can be booked at ``store``: its group's active packages and labour operations, as
    (``package:<id>`` / ``operation:<id>``, code and name), each by code (two queries)."""
    packages = [
        (f"package:{pk}", f"{code} {name}")
        for pk, code, name in ServicePackage.objects.filter(group_id=store.group_id, is_active=True)
        .order_by("code", "pk")
        .values_list("pk", "code", "name")
    ]
    operations = [
        (f"operation:{pk}", f"{code} {name} · {hours.normalize():f} h")
        for pk, code, name, hours in LabourOperation.objects.filter(group_id=store.group_id, is_active=True)
        .order_by("code", "pk")
        .values_list("pk", "code", "name", "default_hours")
    ]
    return packages, operations


def store_advisors(store: Store) -> list[tuple[int, str]]:
    """The store's service advisors (id, name), by name."""
    rows = (
        StaffMembership.all_objects.filter(store=store, is_active=True, role__code=ADVISOR_ROLE)
        .values_list("user_id", "user__full_name", "user__username")
        .order_by("user__full_name", "user__username")
    )
    return [(user_id, full_name or username) for user_id, full_name, username in rows]


def state_counts(store: Store, day: date) -> dict[str, int]:
    """How many of the store's appointments of ``day`` are in each state (one query)."""
    rows = appointments_between(store, day, day).order_by().values("state").annotate(n=Count("pk"))
    counts = dict.fromkeys(Appointment.State.values, 0)
    counts.update({row["state"]: row["n"] for row in rows})
    return counts


@dataclass(frozen=True)
class Party:
    """A customer (with one of their cars, or none) a booking may be for, as the booking form shows it."""

    customer_id: int
    vehicle_id: int | None
    name: str
    mobile: str  # masked unless the reader may see personal data
    plate: str
    model: str
    matched: str


PARTIES = 8


def booking_parties(q: str, *, personal: bool, limit: int = PARTIES) -> list[Party]:
    """Customers and cars matching a plate, mobile, name or number (the archive's search), each customer
    found without a car offered with each of their cars (and alone)."""
    hits = archive_search(q, limit=limit).hits
    owned: dict[int, list[Vehicle]] = {}
    alone = [hit.customer.pk for hit in hits if hit.vehicle is None]
    if alone:
        for link in (
            VehicleLink.objects.filter(customer_id__in=alone, role=VehicleLink.Role.OWNER, valid_to=None)
            .select_related("vehicle__model")
            .order_by("customer_id", "vehicle_id")
        ):
            owned.setdefault(link.customer_id, []).append(link.vehicle)
    parties: list[Party] = []
    for hit in hits:
        mobiles = customer_personal(hit.customer, personal=personal)["mobiles"]
        vehicles: list[Vehicle | None] = [hit.vehicle] if hit.vehicle is not None else [*owned.get(hit.customer.pk, [])]
        if hit.vehicle is None:
            vehicles.append(None)
        for vehicle in vehicles:
            parties.append(
                Party(
                    customer_id=hit.customer.pk,
                    vehicle_id=vehicle.pk if vehicle is not None else None,
                    name=hit.customer.name,
                    mobile=mobiles[0] if mobiles else "",
                    plate=vehicle.plate if vehicle is not None else "",
                    model=str(vehicle.model) if vehicle is not None and vehicle.model is not None else "",
                    matched=hit.matched,
                )
            )
    return parties[:limit]


@dataclass(frozen=True)
class FreeTimes:
    """The arrival times a booking of some services can have on a day (store time, HH:MM)."""

    opens: str  # business hours, "" when the store is closed
    closes: str
    offered: list[str]  # the two best for the customer's wish
    free: list[str]  # every one, in time order
    reserve_full: bool  # the bookable hours (beyond the walk-in reserve) are used up
    hours: Decimal  # the standard hours the booking takes


def free_times(
    store: Store,
    day: date,
    refs: list[str],
    *,
    wish: datetime | None = None,
    advisor_id: int | None = None,
    excluding: Appointment | None = None,
    vehicle: Vehicle | None = None,
    now: datetime,
    walk_in: bool = False,
) -> FreeTimes:
    """The free arrival times of ``day`` for the services ``refs`` (``operation:<id>`` / ``package:<id>``)
    or, when ``excluding`` is given, for that appointment's own services on a move; none before ``now``.
    Refused on ``services`` when one is unknown (``needs_for``)."""
    if excluding is not None:
        needs = [need_of(row) for row in excluding.services.order_by("position")]
    else:
        needs = needs_for(store, refs, vehicle=vehicle)
    calendar = store_calendar(store)
    plan = day_plan(
        store,
        day,
        settings=booking_settings_of(store),
        excluding=excluding.pk if excluding is not None else None,
        calendar=calendar,
    )
    hours = sum((need.hours for need in needs), Decimal(0))
    opening = calendar.hours(day)
    found = slots(plan, needs, not_before=now, advisor_id=advisor_id, walk_in=walk_in)
    return FreeTimes(
        opens=f"{opening[0]:%H:%M}" if opening else "",
        closes=f"{opening[1]:%H:%M}" if opening else "",
        offered=[f"{calendar.local(slot.starts_at):%H:%M}" for slot in best_two(found, wish)],
        free=[f"{calendar.local(slot.starts_at):%H:%M}" for slot, _placement in found],
        reserve_full=not plan.within_reserve(hours, walk_in=walk_in),
        hours=hours,
    )


def appointment_messages(appointment_id: int) -> QuerySet[Message]:
    """What was sent to the customer about an appointment, oldest first."""
    return Message.objects.filter(about_type=ABOUT, about_id=appointment_id).order_by("created_at", "pk")


@dataclass(frozen=True)
class TechnicianRow:
    technician: Technician
    name: str
    skill: str
    certificates: list[str]  # valid today
    shifts: list[str]  # Monday to Sunday: "08:30–17:30" or ""
    skill_level: str = ""  # the codes, as the API answers them
    certificate_kinds: tuple[str, ...] = ()  # valid today


def technician_rows(store: Store, today: date) -> list[TechnicianRow]:
    """The store's technicians (active first) with their skill level, valid certificates and weekly
    shifts (four queries)."""
    technicians = list(
        Technician.all_objects.filter(store=store)
        .select_related("user")
        .prefetch_related("shifts")
        .order_by("-is_active", "user__full_name", "pk")
    )
    user_ids = [row.user_id for row in technicians]
    profiles = {
        profile.user_id: profile
        for profile in StaffProfile.objects.filter(user_id__in=user_ids).prefetch_related("certificates")
    }
    skills = dict(StaffProfile.SkillLevel.choices)
    rows = []
    for technician in technicians:
        profile = profiles.get(technician.user_id)
        week = {shift.weekday: shift for shift in technician.shifts.all()}
        valid = [
            certificate
            for certificate in (profile.certificates.all() if profile is not None else [])
            if (certificate.valid_from is None or certificate.valid_from <= today)
            and (certificate.valid_until is None or today <= certificate.valid_until)
        ]
        rows.append(
            TechnicianRow(
                technician=technician,
                name=technician.user.full_name or technician.user.username,
                skill=str(skills.get(profile.skill_level, "")) if profile is not None else "",
                certificates=[certificate.get_kind_display() for certificate in valid],
                shifts=[f"{week[day].starts:%H:%M}–{week[day].ends:%H:%M}" if day in week else "" for day in range(7)],
                skill_level=profile.skill_level if profile is not None else "",
                certificate_kinds=tuple(dict.fromkeys(certificate.kind for certificate in valid)),
            )
        )
    return rows


def leave_upcoming(store: Store, now: datetime) -> QuerySet[Leave]:
    """The store's technicians' leave not over yet, soonest first."""
    return (
        Leave.objects.filter(technician__store=store, ends_at__gt=now)
        .select_related("technician__user")
        .order_by("starts_at", "pk")
    )


def store_staff(store: Store) -> list[tuple[int, str]]:
    """The store's active staff not yet its technicians (id, name and role), by name: who can be recorded
    as a technician."""
    rows = (
        StaffMembership.all_objects.filter(store=store, is_active=True)
        .exclude(user__in=Technician.all_objects.filter(store=store).values("user"))
        .values_list("user_id", "user__full_name", "user__username", "role__name")
        .order_by("user__full_name", "user__username", "pk")
    )
    seen: dict[int, str] = {}
    for user_id, full_name, username, role in rows:
        seen.setdefault(user_id, f"{full_name or username} ({role})")
    return list(seen.items())


@dataclass(frozen=True)
class CapacityRow:
    technician_id: int
    name: str
    efficiency: Decimal
    hours: Decimal  # on the clock that day
    busy: Decimal  # planned work


@dataclass(frozen=True)
class CapacitySummary:
    capacity_hours: Decimal
    bookable_hours: Decimal
    booked_hours: Decimal
    opens: str
    closes: str
    technicians: list[CapacityRow]

    @property
    def free_hours(self) -> Decimal:
        return max(self.bookable_hours - self.booked_hours, Decimal(0))


def capacity_summary(store: Store, day: date) -> CapacitySummary:
    """The store's capacity on ``day``: technician hours, what bookings may take of them, what they took."""
    calendar = store_calendar(store)
    plan = day_plan(store, day, settings=booking_settings_of(store), calendar=calendar)
    opening = calendar.hours(day)
    quarter = Decimal("0.25")
    return CapacitySummary(
        capacity_hours=plan.capacity_hours,
        bookable_hours=plan.bookable_hours,
        booked_hours=plan.booked_hours,
        opens=f"{opening[0]:%H:%M}" if opening else "",
        closes=f"{opening[1]:%H:%M}" if opening else "",
        technicians=[
            CapacityRow(row.id, row.name, row.efficiency, row.available_steps * quarter, row.busy_steps * quarter)
            for row in plan.technicians
        ],
    )


# --- the customer's own booking page ----------------------------------------------------------------


def online_stores() -> QuerySet[Store]:
    """The active stores that take bookings on the customer's own page, by code."""
    taking = BookingSettings.objects.filter(online_booking=True).values("store_id")
    return Store.all_objects.filter(is_active=True, pk__in=taking).order_by("code")


def online_store(code: str) -> Store | None:
    """The store of ``code`` if it takes bookings on the customer's own page; None otherwise."""
    return online_stores().filter(code=code.upper()[:10]).first()


@dataclass(frozen=True)
class PackageSuggestion:
    package: ServicePackage
    suggested: bool
    due_km: int | None  # the mileage it is due at, nearest the car's


def _typed(text: str) -> str:
    return "".join(text.split()).casefold()


def typed_brands(store: Store, typed: str) -> list[int]:
    """The brands the store serves, narrowed to those the typed model names (丰田 or TOYOTA in "丰田
    汉兰达"; or a series of their packages, 帕萨特 in "帕萨特 330TSI"): every one when it names none."""
    served = list(Brand.objects.filter(pk__in=store.brands.values("pk")).values_list("pk", "code", "name"))
    named = [pk for pk, code, name in served if _typed(name) in typed or _typed(code) in typed]
    if not named:
        series = ServicePackage.objects.filter(brand_id__in=[pk for pk, _code, _name in served]).exclude(series="")
        named = sorted({brand for brand, name in series.values_list("brand_id", "series") if _typed(name) in typed})
    return named or [pk for pk, _code, _name in served]


def package_suggestions(store: Store, *, model_text: str, mileage: int | None) -> list[PackageSuggestion]:
    """The store's maintenance packages for a car known only by the model and mileage its owner typed,
    the one suggested first.

    A package is kept for a series (``ServicePackage.series``; empty: every series of its brand): one
    for a series is offered when the typed model names that series (帕萨特 in "帕萨特 330TSI"); one for
    every series always, of the brands the store serves. A package recurs every ``interval_km``: it is
    due at the multiple of its interval nearest the car's mileage (at least one interval: a new car's
    first one). The suggestion is the package due nearest the mileage; when several are due at the same
    mileage (at 40,000 km the 10,000 and the 40,000 km service), the one of the longest interval, which
    is the larger service that includes the smaller. Without a mileage nothing is suggested.
    """
    rows = ServicePackage.objects.filter(group_id=store.group_id, is_active=True, items__kind="labour").distinct()
    typed = _typed(model_text)
    brands = typed_brands(store, typed)
    if brands:
        rows = rows.filter(brand_id__in=brands)
    found: list[tuple[ServicePackage, int | None, int | None]] = []
    for package in rows.order_by("code", "pk"):
        if package.series and _typed(package.series) not in typed:
            continue
        due = distance = None
        if package.interval_km and mileage is not None:
            due = max(1, round(mileage / package.interval_km)) * package.interval_km
            distance = abs(due - mileage)
        found.append((package, due, distance))
    ranked = sorted(
        (row for row in found if row[2] is not None),
        key=lambda row: (row[2], -(row[0].interval_km or 0), row[0].code),
    )
    best = ranked[0][0].pk if ranked else None
    series_first = sorted(found, key=lambda row: (row[0].pk != best, not row[0].series, row[0].interval_km or 0))
    return [PackageSuggestion(package, package.pk == best, due) for package, due, _distance in series_first]


def online_operations(store: Store, *, model_text: str = "") -> list[LabourOperation]:
    """The single services a customer may book on their own page: the active labour operations of the
    store's group for the brands it serves that the typed model names (``typed_brands``), or for every
    brand, by code."""
    rows = LabourOperation.objects.filter(group_id=store.group_id, is_active=True)
    brands = typed_brands(store, _typed(model_text))
    if brands:
        rows = rows.filter(Q(brand_id__in=brands) | Q(brand__isnull=True))
    return list(rows.order_by("code", "pk"))


def online_days(store: Store, today: date, *, count: int = 14) -> list[date]:
    """The store's open days among the ``count`` from ``today`` (the days a customer may choose)."""
    calendar = store_calendar(store)
    return [day for offset in range(count) if calendar.hours(day := today + timedelta(days=offset)) is not None]
