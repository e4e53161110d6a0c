"""A store's booking capacity on one day, and where a booking fits in it (APT-2).

The day is cut into quarter hours (steps) in the store's zone. Each technician and each bay is a
timeline whose free steps are a bitmask: a technician is free in their shift of that weekday (on a
make-up working day their first weekday's shift, on a public holiday clipped to the store's holiday
hours) less their leave and the work planned on them; a bay is free all day less the work planned in
it. A booking needs one technician for all its services in a row (the most demanding skill level
and every certificate kind of its services, valid on the day) and, for each
service, a bay of the service's type for that service's share of the time (no type: no bay;
services in a row of one bay type share one bay, the car is not moved between two lifts). The
time a service takes is its standard hours divided by the technician's efficiency, in whole steps.

Arrivals are in business hours (the store calendar), an advisor's at least ``arrival_spacing_minutes``
apart, and bookings may take at most ``100 - walk_in_reserve_percent`` per cent of the day's
technician hours (standard hours: shift hours × efficiency). A walk-in, who is here already, may use
the reserve kept for walk-ins and is not spaced from the advisor's other arrivals; it still needs a
free technician and bay.

Among the starts that fit, the agent is offered the two best: nearest to the customer's wish, then
leaving the fewest fragments (free gaps shorter than the shortest catalogue job of the booking's skill
level and bay type, counted on the qualified technicians and the bays of its types after the booking
is placed), then the earlier start. Where a booking fits, the technician and bays that leave the
fewest fragments are planned (then the technician with the least work that day, then the first).
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import FilteredRelation, Min, Q

from aftersales.appointments.models import Appointment, AppointmentService, BookingSettings, Technician
from aftersales.appointments.timelines import BayDay, TechnicianDay, span_mask, split_delta
from aftersales.catalogue.models import LabourOperation
from aftersales.core.calendar import DayKind, StoreCalendar, store_calendar
from aftersales.core.dbfunctions import EpochSeconds
from aftersales.core.models import Bay, StaffMembership, Store

STEP = timedelta(minutes=15)
STEPS_PER_HOUR = 4
SKILL_RANK = {"": 1, "junior": 1, "intermediate": 2, "senior": 3}  # no level recorded counts as junior
ACTIVE_STATES = (Appointment.State.BOOKED, Appointment.State.ARRIVED)
ADVISOR_ROLE = "advisor"


@dataclass(frozen=True)
class Need:
    """One requested service as capacity sees it."""

    operation_id: int
    package_id: int | None
    name: str
    hours: Decimal
    skill_level: str
    certificate: str
    bay_kind: str


def need_of(service: AppointmentService) -> Need:
    """A booked service as capacity sees it again (when the booking is moved or checked)."""
    return Need(
        service.operation_id,
        service.package_id,
        service.name,
        service.hours,
        service.skill_level,
        service.certificate,
        service.bay_kind,
    )


def steps_for(hours: Decimal, efficiency: Decimal) -> int:
    """Whole quarter hours a technician of ``efficiency`` takes for ``hours`` standard hours."""
    return max(1, math.ceil(hours * STEPS_PER_HOUR / efficiency - Decimal("0.000001")))


def wall_steps(moment: datetime, midnight: datetime) -> float:
    """Quarter hours from ``midnight`` (aware, the store's zone) to ``moment`` on the wall clock of that
    zone: the grid is the day as the store lives it, also across a daylight-saving change."""
    local = moment.astimezone(midnight.tzinfo).replace(tzinfo=None)
    return (local - midnight.replace(tzinfo=None)) / STEP


@dataclass(frozen=True)
class Placement:
    start: int
    end: int
    technician_id: int
    advisor_id: int | None
    segments: tuple[tuple[int, int, int | None], ...]  # per need: start step, end step, bay
    fragments: int


@dataclass
class DayPlan:
    store: Store
    day: date
    calendar: StoreCalendar
    settings: BookingSettings
    opens: int | None  # the first and the last+1 step of arrivals (business hours); None: closed
    closes: int
    technicians: list[TechnicianDay]
    bays: list[BayDay]
    booked_hours: Decimal  # every live booking's standard hours
    capacity_hours: Decimal
    arrivals: dict[int, list[int]]  # advisor -> minutes from midnight of their arrivals, sorted
    advisors: list[int]
    shortest: dict[tuple[str, str], int] = field(default_factory=dict)  # (skill, bay kind) -> steps
    walk_in_hours: Decimal = Decimal(0)  # of those, walk-ins': they are what the reserve is kept for
    _bays_cache: dict[tuple[str, int, int, int], tuple[int, int] | None] = field(default_factory=dict)
    # Steps each service takes at an efficiency, per request (the same for every start tried).
    _lengths: dict[tuple[tuple[Need, ...], Decimal], list[int]] = field(default_factory=dict)

    # --- reading the grid -------------------------------------------------------------------------

    @property
    def midnight(self) -> datetime:
        return self.calendar.day_start(self.day)

    def at(self, step: int) -> datetime:
        return self.midnight + step * STEP

    def step_of(self, moment: datetime) -> float:
        return wall_steps(moment, self.midnight)

    @property
    def bookable_hours(self) -> Decimal:
        return (self.capacity_hours * (100 - self.settings.walk_in_reserve_percent) / 100).quantize(Decimal("0.01"))

    def within_reserve(self, hours: Decimal, *, walk_in: bool = False) -> bool:
        """Whether a booking of ``hours`` leaves the walk-in reserve free; a walk-in may use it."""
        return walk_in or self.booked_hours - self.walk_in_hours + hours <= self.bookable_hours

    # --- placing ----------------------------------------------------------------------------------

    def _advisor_for(self, start: int, advisor_id: int | None, *, walk_in: bool = False) -> int | bool | None:
        """The advisor the arrival at ``start`` goes to (the one asked for, else the least busy whose
        arrivals stay apart); False when none can take it. A walk-in is here already: no spacing."""
        spacing = 0 if walk_in else self.settings.arrival_spacing_minutes
        minute = start * 15

        def apart(advisor: int) -> bool:
            # No arrival of theirs within (minute - spacing, minute + spacing): their minutes are sorted.
            minutes = self.arrivals.get(advisor, ())
            index = bisect_left(minutes, minute - spacing + 1)
            return index == len(minutes) or minutes[index] >= minute + spacing

        if advisor_id is not None:
            return advisor_id if apart(advisor_id) else False
        if not self.advisors:
            return None  # nobody to space: the front desk assigns one at reception
        free = [advisor for advisor in self.advisors if apart(advisor)]
        if not free:
            return False
        return min(free, key=lambda advisor: (len(self.arrivals.get(advisor, ())), advisor))

    def _bay_for(self, kind: str, start: int, end: int, shortest: int) -> tuple[int, int] | None:
        """The bay of ``kind`` free from ``start`` to ``end`` that leaves the fewest fragments, as
        (fragments added, bay); remembered until the plan changes."""
        key = (kind, start, end, shortest)
        if key not in self._bays_cache:
            chosen: tuple[int, int] | None = None
            for bay in self.bays:
                if bay.kind != kind:
                    continue
                run = bay.fits(start, end)
                if run is not None:
                    delta = split_delta(run, start, end, shortest)
                    if chosen is None or delta < chosen[0]:
                        chosen = (delta, bay.id)
            self._bays_cache[key] = chosen
        return self._bays_cache[key]

    def requirements(self, needs: list[Need]) -> tuple[int, frozenset[str]]:
        """The skill rank and the certificate kinds a technician needs for ``needs``."""
        return (
            max(SKILL_RANK.get(need.skill_level, 1) for need in needs),
            frozenset(need.certificate for need in needs if need.certificate),
        )

    def shortest_steps(self, needs: list[Need]) -> int:
        main = max(needs, key=lambda need: need.hours)
        return self.shortest.get((main.skill_level, main.bay_kind), 1)

    def place(
        self, needs: list[Need], start: int, *, advisor_id: int | None = None, walk_in: bool = False
    ) -> Placement | None:
        """Where a booking of ``needs`` arriving at ``start`` fits (the fewest fragments), or None."""
        if self.opens is None or not self.opens <= start < self.closes:
            return None
        advisor = self._advisor_for(start, advisor_id, walk_in=walk_in)
        if advisor is False:
            return None
        rank, certificates = self.requirements(needs)
        shortest = self.shortest_steps(needs)
        best: tuple[tuple[int, int, int], Placement] | None = None
        asked = tuple(needs)
        for technician in self.technicians:
            if not technician.qualified(rank, certificates):
                continue
            lengths = self._lengths.get((asked, technician.efficiency))
            if lengths is None:
                lengths = [steps_for(need.hours, technician.efficiency) for need in needs]
                self._lengths[(asked, technician.efficiency)] = lengths
            end = start + sum(lengths)
            run = technician.fits(start, end)
            if run is None:
                continue
            fragments = split_delta(run, start, end, shortest)
            # Services in a row that need the same bay type stay in one bay: the car is not moved
            # between two lifts of the same kind.
            windows: list[tuple[int, int]] = []
            cursor = start
            for length in lengths:
                windows.append((cursor, cursor + length))
                cursor += length
            runs: list[list[int]] = []  # indexes of consecutive needs of one bay type
            for index, need in enumerate(needs):
                if runs and needs[runs[-1][-1]].bay_kind == need.bay_kind:
                    runs[-1].append(index)
                else:
                    runs.append([index])
            bays: list[int | None] = [None] * len(needs)
            for group in runs:
                kind = needs[group[0]].bay_kind
                if not kind:
                    continue
                chosen = self._bay_for(kind, windows[group[0]][0], windows[group[-1]][1], shortest)
                if chosen is None:
                    break
                fragments += chosen[0]
                for index in group:
                    bays[index] = chosen[1]
            else:
                key = (fragments, technician.busy_steps, technician.id)
                if best is None or key < best[0]:
                    segments = tuple((*window, bay) for window, bay in zip(windows, bays, strict=True))
                    best = (key, Placement(start, end, technician.id, advisor or None, segments, fragments))
        return best[1] if best else None

    def fragments_now(self, needs: list[Need]) -> int:
        """The fragments the pool of ``needs`` has before anything is placed."""
        rank, certificates = self.requirements(needs)
        kinds = {need.bay_kind for need in needs if need.bay_kind}
        shortest = self.shortest_steps(needs)
        return sum(
            technician.fragments(shortest)
            for technician in self.technicians
            if technician.qualified(rank, certificates)
        ) + sum(bay.fragments(shortest) for bay in self.bays if bay.kind in kinds)

    def take(self, placement: Placement, needs: list[Need], *, walk_in: bool = False) -> None:
        """Mark a placement's technician, bays and arrival as used (for the next booking of a batch)."""
        self._bays_cache.clear()
        for technician in self.technicians:
            if technician.id == placement.technician_id:
                technician.occupy(placement.start, placement.end)
                technician.busy_steps += placement.end - placement.start
        for start, end, bay_id in placement.segments:
            for bay in self.bays:
                if bay.id == bay_id:
                    bay.occupy(start, end)
        if placement.advisor_id is not None:
            insort(self.arrivals.setdefault(placement.advisor_id, []), placement.start * 15)
        hours = sum((need.hours for need in needs), Decimal(0))
        self.booked_hours += hours
        if walk_in:
            self.walk_in_hours += hours


def _shift_for(shifts: dict[int, tuple[time, time]], day: date, kind: DayKind) -> tuple[time, time] | None:
    if kind == DayKind.MAKEUP:
        return shifts.get(day.weekday()) or next((shifts[weekday] for weekday in range(5) if weekday in shifts), None)
    return shifts.get(day.weekday())


def booking_settings(store: Store) -> BookingSettings:
    """The store's booking settings: the defaults (unsaved) until someone changes them."""
    return BookingSettings.objects.filter(store=store).first() or BookingSettings(store=store)


def day_plan(
    store: Store,
    day: date,
    *,
    settings: BookingSettings | None = None,
    excluding: int | None = None,
    calendar: StoreCalendar | None = None,
) -> DayPlan:
    """The store's capacity on ``day`` with every live booking placed (but ``excluding``, one being moved).

    Four queries: the technicians with their shift, leave and certificates of the day; the bays; the
    day's live bookings with their services; the store's advisors (and the catalogue's shortest jobs).
    Instants come as epoch seconds (``EpochSeconds``): a busy day has about 1,500 of them.
    """
    calendar = calendar or store_calendar(store)
    settings = settings or booking_settings(store)
    midnight, next_midnight = calendar.day_bounds(day)
    total = round((next_midnight - midnight) / STEP)
    hours = calendar.hours(day)
    kind = calendar.day_kind(day)

    # On a day without a daylight-saving change (every day in China) the wall clock runs with the
    # instants: a subtraction of epoch seconds; on the two days a year that change elsewhere, the
    # wall clock of the store's zone.
    steady = midnight.utcoffset() == next_midnight.utcoffset()
    midnight_ts = midnight.timestamp()

    def steps(epoch: float) -> float:
        if steady:
            return (epoch - midnight_ts) / 900
        return wall_steps(datetime.fromtimestamp(epoch, tz=calendar.zone), midnight)

    def step(epoch: float, *, up: bool = False) -> int:
        value = steps(epoch)
        return max(0, min(total, math.ceil(value) if up else math.floor(value)))

    opens, closes = (step(hours[0].timestamp(), up=True), step(hours[1].timestamp())) if hours else (None, 0)
    # The day's weekday; on a make-up working day the weekdays' too (its shift may be Monday's).
    weekdays = {day.weekday(), *(range(5) if kind == DayKind.MAKEUP else ())}
    rows = (
        Technician.all_objects.filter(store=store, is_active=True)
        .annotate(
            day_shift=FilteredRelation("shifts", condition=Q(shifts__weekday__in=weekdays)),
            day_leave=FilteredRelation(
                "leaves", condition=Q(leaves__starts_at__lt=next_midnight, leaves__ends_at__gt=midnight)
            ),
        )
        .order_by("pk")
        .values_list(
            "pk",
            "user_id",
            "efficiency",
            "user__full_name",
            "user__username",
            "user__profile__skill_level",
            "day_shift__weekday",
            "day_shift__starts",
            "day_shift__ends",
            EpochSeconds("day_leave__starts_at"),
            EpochSeconds("day_leave__ends_at"),
            "user__profile__certificates__kind",
            "user__profile__certificates__valid_from",
            "user__profile__certificates__valid_until",
        )
    )
    # One row per technician, shift, leave and certificate of the day (a few per technician).
    people: dict[int, tuple[int, Decimal, str, str]] = {}
    shifts: dict[int, dict[int, tuple[time, time]]] = defaultdict(dict)
    leaves: dict[int, set[tuple[float, float]]] = defaultdict(set)
    held: dict[int, set[str]] = defaultdict(set)
    for (
        technician_id,
        user_id,
        efficiency,
        full_name,
        username,
        skill,
        weekday,
        starts,
        ends,
        leave_start,
        leave_end,
        certificate_kind,
        valid_from,
        valid_until,
    ) in rows:
        if technician_id not in people:
            people[technician_id] = (user_id, efficiency, full_name or username, skill or "")
        if weekday is not None:
            shifts[technician_id][weekday] = (starts, ends)
        if leave_start is not None:
            leaves[technician_id].add((leave_start, leave_end))
        valid = (valid_from is None or valid_from <= day) and (valid_until is None or day <= valid_until)
        if certificate_kind and valid:
            held[technician_id].add(certificate_kind)
    technicians: list[TechnicianDay] = []
    capacity = Decimal(0)
    for technician_id, (user_id, efficiency, name, skill) in people.items():
        hours_of_shift = _shift_for(shifts[technician_id], day, kind) if hours else None
        free = 0
        if hours_of_shift is not None:
            start = datetime.combine(day, hours_of_shift[0], tzinfo=calendar.zone)
            end = datetime.combine(day, hours_of_shift[1], tzinfo=calendar.zone)
            if kind == DayKind.HOLIDAY and hours:
                start, end = max(start, hours[0]), min(end, hours[1])
            free = span_mask(step(start.timestamp(), up=True), step(end.timestamp()))
        for leave_start, leave_end in leaves[technician_id]:
            free &= ~span_mask(step(leave_start), step(leave_end, up=True))
        available = free.bit_count()
        capacity += Decimal(available) / STEPS_PER_HOUR * efficiency
        technicians.append(
            TechnicianDay(
                id=technician_id,
                free=free,
                total=total,
                user_id=user_id,
                name=name,
                rank=SKILL_RANK.get(skill, 1),
                certificates=frozenset(held[technician_id]),
                efficiency=efficiency,
                available_steps=available,
            )
        )
    bays = [
        BayDay(id=pk, free=span_mask(0, total), total=total, kind=bay_kind)
        for pk, bay_kind in Bay.all_objects.filter(store=store, is_active=True).order_by("pk").values_list("pk", "kind")
    ]
    booked = Appointment.all_objects.filter(
        store=store, state__in=ACTIVE_STATES, starts_at__gte=midnight, starts_at__lt=next_midnight
    )
    if excluding is not None:
        booked = booked.exclude(pk=excluding)
    by_technician = {technician.id: technician for technician in technicians}
    by_bay = {bay.id: bay for bay in bays}
    booked_hours = walk_in_hours = Decimal(0)
    arrivals: dict[int, list[int]] = defaultdict(list)
    seen: set[int] = set()
    # One row per booking and service (the booking's columns repeated on each of its services).
    for (
        appointment_id,
        technician_id,
        advisor_id,
        starts_at,
        ends_at,
        hours_booked,
        channel,
        bay_id,
        service_start,
        service_end,
    ) in booked.order_by().values_list(
        "pk",
        "technician_id",
        "advisor_id",
        EpochSeconds("starts_at"),
        EpochSeconds("ends_at"),
        "hours",
        "channel",
        "services__bay_id",
        EpochSeconds("services__starts_at"),
        EpochSeconds("services__ends_at"),
    ):
        if bay_id is not None and bay_id in by_bay:
            by_bay[bay_id].occupy(step(service_start), step(service_end, up=True))
        if appointment_id in seen:
            continue
        seen.add(appointment_id)
        booked_hours += hours_booked
        if channel == Appointment.Channel.WALK_IN:
            walk_in_hours += hours_booked
        if advisor_id is not None:
            arrivals[advisor_id].append(round(steps(starts_at) * 15))
        technician = by_technician.get(technician_id) if technician_id else None
        if technician is not None:
            first, last = step(starts_at), step(ends_at, up=True)
            technician.occupy(first, last)
            technician.busy_steps += last - first
    advisors = sorted(
        StaffMembership.all_objects.filter(store=store, is_active=True, role__code=ADVISOR_ROLE).values_list(
            "user_id", flat=True
        )
    )
    return DayPlan(
        store=store,
        day=day,
        calendar=calendar,
        settings=settings,
        opens=opens,
        closes=closes,
        technicians=technicians,
        bays=bays,
        booked_hours=booked_hours,
        walk_in_hours=walk_in_hours,
        capacity_hours=capacity.quantize(Decimal("0.01")),
        arrivals={advisor: sorted(minutes) for advisor, minutes in arrivals.items()},
        advisors=advisors,
        shortest=_shortest(store),
    )


def _shortest(store: Store) -> dict[tuple[str, str], int]:
    """The shortest active catalogue job of each skill level and bay type, in steps (at efficiency 1)."""
    rows = (
        LabourOperation.objects.filter(group_id=store.group_id, is_active=True)
        .values("skill_level", "bay_kind")
        .annotate(shortest=Min("default_hours"))
    )
    return {(row["skill_level"], row["bay_kind"]): steps_for(row["shortest"], Decimal(1)) for row in rows}


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    fragments: int
    technician_id: int
    advisor_id: int | None


def slots(
    plan: DayPlan,
    needs: list[Need],
    *,
    not_before: datetime | None = None,
    advisor_id: int | None = None,
    walk_in: bool = False,
) -> list[tuple[Slot, Placement]]:
    """Every arrival time on the plan's day that fits ``needs``, in time order (none over the reserve,
    unless for a walk-in)."""
    hours = sum((need.hours for need in needs), Decimal(0))
    if plan.opens is None or not needs or not plan.within_reserve(hours, walk_in=walk_in):
        return []
    base = plan.fragments_now(needs)
    first = plan.opens
    if not_before is not None:
        first = max(first, math.ceil(plan.step_of(not_before) - 1e-9))
    found = []
    for start in range(first, plan.closes):
        placement = plan.place(needs, start, advisor_id=advisor_id, walk_in=walk_in)
        if placement is not None:
            found.append(
                (
                    Slot(plan.at(start), base + placement.fragments, placement.technician_id, placement.advisor_id),
                    placement,
                )
            )
    return found


def best_two(found: list[tuple[Slot, Placement]], wish: datetime | None) -> list[Slot]:
    """The two slots offered: nearest the wish, then fewest fragments left, then the earlier start."""

    def key(slot: Slot) -> tuple[float, int, datetime]:
        distance = abs((slot.starts_at - wish).total_seconds()) if wish is not None else 0.0
        return (distance, slot.fragments, slot.starts_at)

    return sorted((slot for slot, _placement in found), key=key)[:2]
