"""What every module of the visits API shares: the days and times it takes, a store's day as instants,
whether the reader sees personal data, and events as answers show them."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from django.http import HttpRequest
from ninja import Field, Schema
from pydantic import AfterValidator

from aftersales.appointments.days import FIRST_DAY, LAST_DAY, day_problem
from aftersales.core.access import can
from aftersales.core.api import ERRORS
from aftersales.core.apikit import ErrorOut
from aftersales.core.calendar import store_calendar
from aftersales.core.models import Store
from aftersales.visits.models import (
    Visit,
)

Dated = TypeVar("Dated", date, datetime)


def _in_range(value: Dated) -> Dated:
    problem = day_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


_RANGE = {"formatMinimum": FIRST_DAY.isoformat(), "formatMaximum": LAST_DAY.isoformat()}
# A store's day (YYYY-MM-DD), from 2000-01-01 to 2099-12-31; any other is refused on its field (422).
Day = Annotated[date, AfterValidator(_in_range), Field(json_schema_extra=_RANGE)]
# A time with its offset, on a day from 2000-01-01 to 2099-12-31 (as given).
Moment = Annotated[datetime, AfterValidator(_in_range)]
# A record's id as sent: a positive 63-bit integer (a larger one is refused on its field, never a 500).
RecordId = Annotated[int, Field(ge=1, le=2**62)]
Money = Annotated[Decimal, Field(max_digits=12, decimal_places=2)]

VisitState = Literal["on_site", "delivered", "left"]
Waiting = Literal["lounge", "leaves", "shuttle"]
OrderState = Literal["open", "in_work", "completed", "ready", "delivered", "closed", "cancelled"]
LineState = Literal["proposed", "approved", "declined", "dispatched", "in_progress", "done", "cancelled"]
LineKind = Literal["labour", "part", "customer_part", "sublet", "consumable", "fee"]
PayTypeCode = Literal[
    "customer",
    "insurance",
    "oem_warranty",
    "oem_campaign",
    "oem_free_service",
    "extended_warranty",
    "internal",
    "goodwill",
    "comeback",
]
ApprovalKind = Literal[
    "customer_in_person",
    "customer_phone",
    "customer_link",
    "insurer_assessment",
    "oem_preauthorisation",
    "provider_authorisation",
    "campaign",
    "policy",
    "manager",
    "qc_confirmation",
]

STATE_ERRORS: dict[int, type[Schema]] = {**ERRORS, 409: ErrorOut}


def local(moment: datetime | None, store: Store) -> datetime | None:
    """``moment`` in the store's zone: every answer writes its times with the store's offset."""
    return moment.astimezone(store.zone) if moment is not None else None


def day_range(store: Store, first: date | None, last: date | None) -> dict[str, datetime]:
    """The lookups (``gte``, ``lt``) of the instants from the start of the store's day ``first`` to the
    end of its day ``last`` (either open)."""
    calendar = store_calendar(store)
    bounds: dict[str, datetime] = {}
    if first is not None:
        bounds["gte"] = calendar.day_start(first)
    if last is not None:
        bounds["lt"] = calendar.day_bounds(last)[1]
    return bounds


def personal_for(request: HttpRequest, store: Store) -> bool:
    """Whether the contact's mobile goes out in full: to an API token with the right to see personal data
    in the store (as the archive's answers); a browser session sees it masked, as on the pages."""
    if getattr(request, "api_token_id", None) is None:
        return False
    return can(request.user, "customers.view_personal", store_id=store.pk)


MOBILE_MASK = Visit.personal_fields["contact_mobile"]


def events_out(events: Any, store: Store) -> list[dict[str, Any]]:
    return [
        {
            "at": local(event.at, store),
            "by": event.actor.username if event.actor else None,
            "action": event.action,
            "from_state": event.from_state,
            "to_state": event.to_state,
            "note": event.note,
        }
        for event in events
    ]
