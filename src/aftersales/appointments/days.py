"""The days the appointments pages and API take: 2000-01-01 to 2099-12-31. A store's day becomes instants
(its start and end, the day before and after) to compare with stored times, which fails for a day at the
edge of Python's calendar (0001-01-01, 9999-12-31); every date and time typed or sent is therefore held
to this range and refused on its own field (the API's ``common.Day``/``Moment``, the forms' date fields)."""

from __future__ import annotations

from datetime import date, datetime

from django.utils.translation import gettext as _

FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)


def day_problem(value: date | datetime) -> str | None:
    """Why ``value`` (a day, or a time by the day it names) is refused, in the reader's language; None:
    it is within the range."""
    day = value.date() if isinstance(value, datetime) else value
    if FIRST_DAY <= day <= LAST_DAY:
        return None
    return _("Enter a date from %(first)s to %(last)s.") % {
        "first": FIRST_DAY.isoformat(),
        "last": LAST_DAY.isoformat(),
    }
