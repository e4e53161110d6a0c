"""The yearly holiday table (public holidays and make-up working days) that store calendars read."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.core.errors import ApplicationError, choose_one_of
from aftersales.core.models import CalendarDay, User

YEAR_MIN, YEAR_MAX = 2000, 2100
NAME_MAX = 50


def calendar_year_clean(year: int, days: list[dict[str, Any]]) -> list[tuple[date, str, str]]:
    """Check a year's table: each row a date of that year, once, a kind, and the holiday's name; a
    make-up working day falls on a Saturday or Sunday. Errors name the row (``days.3.day``)."""
    errors: dict[str, list[str]] = {}
    if not YEAR_MIN <= year <= YEAR_MAX:
        errors["year"] = [_("Choose a year from %(min)d to %(max)d.") % {"min": YEAR_MIN, "max": YEAR_MAX}]
    seen: dict[date, int] = {}
    rows: list[tuple[date, str, str]] = []
    for position, entry in enumerate(days):
        prefix = f"days.{position}"
        day, kind, name = entry.get("day"), entry.get("kind"), str(entry.get("name") or "").strip()
        if not isinstance(day, date):
            errors.setdefault(f"{prefix}.day", []).append(_("Enter a date."))
        elif day.year != year:
            errors.setdefault(f"{prefix}.day", []).append(_("This date is not in %(year)d.") % {"year": year})
        elif day in seen:
            errors.setdefault(f"{prefix}.day", []).append(
                _("%(day)s is already in row %(row)d.") % {"day": day.isoformat(), "row": seen[day] + 1}
            )
        else:
            seen[day] = position
        if kind not in CalendarDay.Kind.values:
            errors.setdefault(f"{prefix}.kind", []).append(choose_one_of(CalendarDay.Kind.values))
        elif kind == CalendarDay.Kind.WORKDAY and isinstance(day, date) and day.weekday() < 5:
            errors.setdefault(f"{prefix}.kind", []).append(
                _("A make-up working day is a Saturday or Sunday; %(day)s is a weekday.") % {"day": day.isoformat()}
            )
        if not name:
            errors.setdefault(f"{prefix}.name", []).append(_("Name the holiday, e.g. 春节."))
        elif len(name) > NAME_MAX:
            errors.setdefault(f"{prefix}.name", []).append(_("At most %(limit)d characters.") % {"limit": NAME_MAX})
        if isinstance(day, date) and isinstance(kind, str):
            rows.append((day, kind, name))
    if errors:
        raise ApplicationError(_("Some fields are not valid."), code="invalid", fields=errors, status=422)
    return sorted(rows)


@transaction.atomic
def calendar_year_save(*, actor: User, year: int, days: list[dict[str, Any]]) -> list[CalendarDay]:
    """Make ``days`` the year's table: rows no longer listed go, changed rows change, new ones are
    added, each change audited; nothing is written when a row is wrong."""
    rows = calendar_year_clean(year, days)
    existing = {row.day: row for row in CalendarDay.objects.select_for_update().filter(day__year=year).order_by("pk")}
    wanted = {day: (kind, name) for day, kind, name in rows}
    for day, row in existing.items():
        if day not in wanted:
            row.delete(actor=actor)
    saved = []
    for day, (kind, name) in sorted(wanted.items()):
        row = existing.get(day) or CalendarDay(day=day)
        if row.pk is None or (row.kind, row.name) != (kind, name):
            row.kind, row.name = kind, name
            row.save(actor=actor)
        saved.append(row)
    return saved
