"""The show rate per store, channel or advisor (APT-4), and the welcome board's arrivals (APT-6)."""

from dataclasses import asdict
from datetime import timedelta
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from aftersales.appointments import selectors
from aftersales.appointments.api.common import Day
from aftersales.core.access import stores_with
from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema
from aftersales.core.calendar import store_today
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Store
from aftersales.core.routing import operation, request_user
from aftersales.parts.api.common import StoreCode, store_of

router = Router(tags=["appointments"])
MAX_REPORT_DAYS = 366
DEFAULT_REPORT_DAYS = 30


class ShowRateQuery(InputSchema):
    store: StoreCode | None = Field(default=None, description="One store; default: every store you may see.")
    date_from: Day | None = Field(default=None, description="Default: 30 days before date_to.")
    date_to: Day | None = Field(default=None, description="Default: today.")
    by: Literal["store", "channel", "advisor"] = "store"


class ShowRateOut(Schema):
    key: str = Field(description="The store's code, the channel or the advisor's username.")
    label: str
    booked: int
    arrived: int
    no_show: int
    cancelled: int
    rate: Decimal | None = Field(
        description="Arrived ÷ (arrived + no-show), per cent to one decimal; null before anyone was due."
    )


@router.get("/appointments/show-rate", response={200: list[ShowRateOut], **ERRORS})
@operation("appointments.view")
def appointment_show_rate(request: HttpRequest, query: Query[ShowRateQuery]) -> list[dict[str, Any]]:
    """How many booked customers came, from ``date_from`` to ``date_to`` (arrival days, at most a year)."""
    if query.store:
        store = store_of(request, query.store, "appointments.view")
        store_ids = [store.pk]
        today = store_today(store)
    else:
        visible = stores_with(request_user(request), "appointments.view")
        store_ids = (
            visible
            if visible is not None
            else list(Store.all_objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
        )
        today = timezone.localdate()
    last = query.date_to or today
    first = query.date_from or last - timedelta(days=DEFAULT_REPORT_DAYS - 1)
    if last < first:
        raise ApplicationError(_("The last day must not be before the first."), field="date_to")
    if (last - first).days >= MAX_REPORT_DAYS:
        raise ApplicationError(_("Ask for at most %(n)s days at once.") % {"n": MAX_REPORT_DAYS}, field="date_to")
    return [{**asdict(row), "rate": row.rate} for row in selectors.show_rates(store_ids, first, last, by=query.by)]


class BoardQuery(InputSchema):
    store: StoreCode


class BoardRowOut(Schema):
    time: str = Field(description="HH:MM in the store's zone.")
    name: str = Field(description="Masked: the surname and stars (张**).")
    plate: str = Field(description="Masked: the province and the last two characters (沪A***45).")
    advisor: str
    services: str
    state: str = Field(description="As the lobby reads it.")
    arrived: bool


class BoardOut(Schema):
    today: list[BoardRowOut]
    tomorrow: list[BoardRowOut]


@router.get("/appointments/board", response={200: BoardOut, **ERRORS})
@operation("appointments.view")
def appointment_board(request: HttpRequest, query: Query[BoardQuery]) -> dict[str, Any]:
    """Today's and tomorrow's arrivals for the lobby screen (欢迎看板), names and plates masked."""
    store = store_of(request, query.store, "appointments.view")
    board = selectors.welcome_board(store, store_today(store))
    return {key: [asdict(row) for row in rows] for key, rows in board.items()}
