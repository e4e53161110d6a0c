"""The advisor's daily list (APT-6): an advisor's (or every advisor's) live bookings of a day, each with the
car's earlier visits, as the page ``appointments:day`` shows them."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from aftersales.appointments import selectors
from aftersales.appointments.api.common import (
    AppointmentOut,
    Day,
    State,
    advisor_user,
    appointment_out,
    local,
    personal_for,
)
from aftersales.appointments.models import Appointment
from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema
from aftersales.core.calendar import store_today
from aftersales.core.routing import operation
from aftersales.parts.api.common import StoreCode, store_of

router = Router(tags=["appointments"])


class DayQuery(InputSchema):
    store: StoreCode
    date: Day | None = Field(default=None, description="The store's day; default: today.")
    advisor: str | None = Field(
        default=None, min_length=1, max_length=150, description="The service advisor's username; default: every one."
    )


class VisitOut(Schema):
    number: str
    store: str = Field(description="The code of the store it was booked at.")
    starts_at: dt.datetime = Field(description="The arrival, in that store's zone with its offset.")
    state: State
    services: list[str] = Field(description="The services' names.")


class DayBookingOut(AppointmentOut):
    history: list[VisitOut] = Field(
        description="The car's earlier bookings at any store of the group, newest first (at most five)."
    )


class DayOut(Schema):
    store: str
    date: dt.date
    advisor: str | None = Field(description="The advisor asked for (username); null: every advisor.")
    bookings: list[DayBookingOut] = Field(description="The day's bookings and arrivals (not cancelled), in time order.")


def _visit(row: Appointment) -> dict[str, Any]:
    return {
        "number": row.number,
        "store": row.store.code,
        "starts_at": local(row.starts_at, row.store),
        "state": row.state,
        "services": [service.name for service in row.services.all()],
    }


@router.get("/appointments/day", response={200: DayOut, **ERRORS})
@operation("appointments.view")
def appointment_day(request: HttpRequest, query: Query[DayQuery]) -> dict[str, Any]:
    """The advisor's daily list: the day's bookings (booked or arrived) of one advisor, or of every one,
    each with the car's earlier visits, to prepare the day before."""
    store = store_of(request, query.store, "appointments.view")
    advisor = advisor_user(store, query.advisor)
    day = query.date or store_today(store)
    personal = personal_for(request, store)
    return {
        "store": store.code,
        "date": day,
        "advisor": advisor.username if advisor is not None else None,
        "bookings": [
            {**appointment_out(request, row, store, personal=personal), "history": [_visit(old) for old in history]}
            for row, history in selectors.advisor_day(store, day, advisor)
        ],
    }
