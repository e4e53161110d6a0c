"""A store's calendar: its time zone, its hours per weekday and on public holidays, and the national
holiday schedule with its make-up working days (调休). Every rule that counts hours or days asks it.

Times are stored in UTC; a store's day runs from midnight to midnight in its own zone. A day is a
public holiday or a make-up working day when the yearly table (``CalendarDay``) says so; otherwise
Monday to Friday are working days and Saturday and Sunday are not. The store opens on a day by its
own hours: on a public holiday by ``Store.holiday_hours`` (empty: closed), on a make-up working day
as on a weekday (its hours of that day of the week if it opens then, else those of its first weekday
with hours), on any other day by ``Store.business_hours`` of that weekday.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.utils import timezone

from aftersales.core.models import CalendarDay, Store
from aftersales.core.models.stores import WEEKDAYS

# 国务院办公厅关于2026年部分节假日安排的通知 (4 November 2025, published by 新华社): (name, first
# holiday, last holiday, make-up working days). Migration core 0011 seeds the table from a copy.
HOLIDAYS_2026 = (
    ("元旦", date(2026, 1, 1), date(2026, 1, 3), (date(2026, 1, 4),)),
    ("春节", date(2026, 2, 15), date(2026, 2, 23), (date(2026, 2, 14), date(2026, 2, 28))),
    ("清明节", date(2026, 4, 4), date(2026, 4, 6), ()),
    ("劳动节", date(2026, 5, 1), date(2026, 5, 5), (date(2026, 5, 9),)),
    ("端午节", date(2026, 6, 19), date(2026, 6, 21), ()),
    ("中秋节", date(2026, 9, 25), date(2026, 9, 27), ()),
    ("国庆节", date(2026, 10, 1), date(2026, 10, 7), (date(2026, 9, 20), date(2026, 10, 10))),
)

# How far ahead next_opening looks (a store closed longer than this has no next opening).
OPENING_HORIZON_DAYS = 400


class DayKind(StrEnum):
    WORKDAY = "workday"  # Monday to Friday, no holiday
    WEEKEND = "weekend"  # Saturday or Sunday, not worked
    HOLIDAY = "holiday"  # a public holiday of the table
    MAKEUP = "makeup"  # a Saturday or Sunday worked instead of a holiday (调休上班)


def _hours(text: str) -> tuple[time, time] | None:
    if not text:
        return None
    start, end = text.split("-")
    return time.fromisoformat(start), time.fromisoformat(end)


@dataclass
class StoreCalendar:
    """The calendar of one store; ``store_calendar(store)`` makes it. It reads the holiday table one
    year at a time, once."""

    zone: ZoneInfo
    weekly: dict[int, tuple[time, time]]  # weekday (Monday 0) -> opening and closing
    holiday_hours: tuple[time, time] | None
    quiet_hours: tuple[time, time] | None = None  # when messages that are not urgent wait
    _years: dict[int, dict[date, tuple[str, str]]] = field(default_factory=dict)

    # --- days ---------------------------------------------------------------------------------------

    def _table(self, year: int) -> dict[date, tuple[str, str]]:
        if year not in self._years:
            rows = CalendarDay.objects.filter(day__year=year).values_list("day", "kind", "name")
            self._years[year] = {day: (kind, name) for day, kind, name in rows}
        return self._years[year]

    def day_kind(self, day: date) -> DayKind:
        entry = self._table(day.year).get(day)
        if entry is not None:
            return DayKind.HOLIDAY if entry[0] == CalendarDay.Kind.HOLIDAY else DayKind.MAKEUP
        return DayKind.WORKDAY if day.weekday() < 5 else DayKind.WEEKEND

    def holiday_name(self, day: date) -> str:
        """The holiday a public holiday or make-up working day belongs to ("春节"), else ""."""
        entry = self._table(day.year).get(day)
        return entry[1] if entry is not None else ""

    def is_working_day(self, day: date) -> bool:
        """A working day in law: Monday to Friday unless a public holiday, and make-up working days."""
        return self.day_kind(day) in (DayKind.WORKDAY, DayKind.MAKEUP)

    def add_working_days(self, day: date, count: int) -> date:
        """The ``count``-th working day after ``day`` (``count`` >= 0; 0: ``day`` itself)."""
        if count < 0:
            raise ValueError("count must not be negative")
        while count:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when ``end`` is not after it)."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count

    # --- times --------------------------------------------------------------------------------------

    def local(self, moment: datetime) -> datetime:
        """``moment`` (aware) in the store's zone."""
        return moment.astimezone(self.zone)

    def local_date(self, moment: datetime) -> date:
        """The store's date at ``moment``."""
        return self.local(moment).date()

    def day_start(self, day: date) -> datetime:
        """Midnight at the start of ``day`` in the store's zone."""
        return datetime.combine(day, time(0), tzinfo=self.zone)

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        """The instants at which the store's ``day`` starts and the next one starts."""
        return self.day_start(day), self.day_start(day + timedelta(days=1))

    def hours(self, day: date) -> tuple[datetime, datetime] | None:
        """When the store opens and closes on ``day`` (aware, its zone), or None when it is closed."""
        kind = self.day_kind(day)
        if kind == DayKind.HOLIDAY:
            hours = self.holiday_hours
        elif kind == DayKind.MAKEUP:
            hours = self.weekly.get(day.weekday()) or next(
                (self.weekly[weekday] for weekday in range(5) if weekday in self.weekly), None
            )
        else:
            hours = self.weekly.get(day.weekday())
        if hours is None:
            return None
        return datetime.combine(day, hours[0], tzinfo=self.zone), datetime.combine(day, hours[1], tzinfo=self.zone)

    def is_open(self, moment: datetime) -> bool:
        hours = self.hours(self.local_date(moment))
        return hours is not None and hours[0] <= moment < hours[1]

    def open_time_between(self, start: datetime, end: datetime) -> timedelta:
        """How long the store is open between two instants (business hours, e.g. for an SLA)."""
        total = timedelta()
        if end <= start:
            return total
        day, last = self.local_date(start), self.local_date(end)
        while day <= last:
            hours = self.hours(day)
            if hours is not None:
                opened, closed = max(hours[0], start), min(hours[1], end)
                if closed > opened:
                    total += closed - opened
            day += timedelta(days=1)
        return total

    def add_open_time(self, start: datetime, allowed: timedelta) -> datetime | None:
        """The instant at which ``allowed`` of the store's open time has passed since ``start`` (a
        service-level deadline): time while the store is closed does not count. None when that is not
        within OPENING_HORIZON_DAYS."""
        left = allowed
        day = self.local_date(start)
        for _offset in range(OPENING_HORIZON_DAYS):
            hours = self.hours(day)
            if hours is not None:
                opened = max(hours[0], start)
                if opened < hours[1]:
                    if left <= hours[1] - opened:
                        return opened + left
                    left -= hours[1] - opened
            day += timedelta(days=1)
        return None

    def next_opening(self, moment: datetime) -> datetime | None:
        """``moment`` itself when the store is open then, else when it next opens (None: not within
        OPENING_HORIZON_DAYS)."""
        day = self.local_date(moment)
        for _offset in range(OPENING_HORIZON_DAYS):
            hours = self.hours(day)
            if hours is not None and moment < hours[1]:
                return max(hours[0], moment)
            day += timedelta(days=1)
        return None

    def quiet_until(self, moment: datetime) -> datetime | None:
        """When the store's quiet hours that ``moment`` falls in end (aware, its zone); None when ``moment``
        is outside them. Quiet hours may run across midnight (21:00-08:00)."""
        if self.quiet_hours is None:
            return None
        start, end = self.quiet_hours
        local = self.local(moment)
        now = local.time()
        if start <= end:
            quiet = start <= now < end
            ends_on = local.date()
        else:
            quiet = now >= start or now < end
            ends_on = local.date() + timedelta(days=1) if now >= start else local.date()
        return datetime.combine(ends_on, end, tzinfo=self.zone) if quiet else None


def store_today(store: Store) -> date:
    """The store's date now, in its own zone."""
    return timezone.now().astimezone(store.zone).date()


def store_day_start(store: Store) -> datetime:
    """When the store's today began (midnight in its zone): where its "today" counts start."""
    return datetime.combine(store_today(store), time(0), tzinfo=store.zone)


def store_calendar(store: Store) -> StoreCalendar:
    """The calendar of ``store``: the one place a rule learns its zone, hours, holidays and 调休."""
    weekly = {}
    for weekday, name in enumerate(WEEKDAYS):
        hours = _hours(store.business_hours.get(name, "")) if isinstance(store.business_hours, dict) else None
        if hours is not None:
            weekly[weekday] = hours
    return StoreCalendar(
        zone=store.zone,
        weekly=weekly,
        holiday_hours=_hours(store.holiday_hours),
        quiet_hours=_hours(store.quiet_hours),
    )
