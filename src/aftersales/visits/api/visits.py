"""Visits: the store's list, one visit, opening a visit at reception (RCP-1), what reception keeps on it,
and the customer leaving without an order."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router
from ninja.responses import Status

from aftersales.core import inputs
from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema, ListQuery, Page, paginate
from aftersales.core.errors import ApplicationError
from aftersales.core.models import User
from aftersales.core.routing import operation, request_user
from aftersales.parts.api.common import StoreCode, store_of
from aftersales.visits import services
from aftersales.visits.api.common import (
    STATE_ERRORS,
    Day,
    Moment,
    RecordId,
    ServiceVisitOut,
    VisitDetailOut,
    VisitState,
    Waiting,
    day_range,
    personal_for,
    visit_detail_out,
    visit_out,
    visit_rows,
)

router = Router(tags=["visits"])


class VisitQuery(ListQuery):
    store: StoreCode
    date_from: Day | None = Field(default=None, description="Arrived on or after this day of the store.")
    date_to: Day | None = Field(default=None, description="Arrived on or before this day of the store.")
    state: VisitState | None = None
    vehicle: RecordId | None = Field(default=None, description="The archive's vehicle.")


@router.get("/visits", response={200: Page[ServiceVisitOut], **ERRORS})
@operation("visits.view")
def visit_list(request: HttpRequest, query: Query[VisitQuery]) -> dict[str, Any]:
    """The store's visits, newest arrival first, by the store's days of arrival, state or vehicle."""
    store = store_of(request, query.store, "visits.view")
    if query.date_from and query.date_to and query.date_to < query.date_from:
        raise ApplicationError(_("The last day must not be before the first."), field="date_to", status=422)
    rows = visit_rows(store)
    bounds = day_range(store, query.date_from, query.date_to)
    rows = rows.filter(**{f"arrived_at__{lookup}": moment for lookup, moment in bounds.items()})
    if query.state:
        rows = rows.filter(state=query.state)
    if query.vehicle:
        rows = rows.filter(vehicle_id=query.vehicle)
    page = paginate(rows, query, ordering_fields=("arrived_at", "number"), default_ordering=("-arrived_at",))
    personal = personal_for(request, store)
    page["items"] = [visit_out(row, store, personal=personal) for row in page["items"]]
    return page


def _detail(request: HttpRequest, visit_id: int) -> dict[str, Any]:
    services.visit_access(actor=request_user(request), visit_id=visit_id)
    return visit_detail_out(request, visit_id)


@router.get("/visits/{id:visit_id}", response={200: VisitDetailOut, **ERRORS})
@operation("visits.view")
def visit_detail(request: HttpRequest, visit_id: int) -> dict[str, Any]:
    """One visit with its walk-around, diagnosis, recommended work, orders and history."""
    return _detail(request, visit_id)


class VisitOpenIn(InputSchema):
    store: StoreCode
    appointment: RecordId | None = Field(default=None, description="The booking the car came for; none: a walk-in.")
    customer: RecordId = Field(description="The archive's customer.")
    vehicle: RecordId = Field(description="The archive's vehicle.")
    mileage_in: int = Field(ge=0, le=2**31 - 1, description="The odometer in km.")
    mileage_reason: str = Field(
        default="", max_length=200, description="Why the mileage is lower than the last reading (required then)."
    )
    fuel_level: int = Field(ge=0, le=8, description="Fuel or charge in eighths, 0-8.")
    contact_name: str = Field(default="", max_length=60, description="Default: the customer's name.")
    contact_mobile: str = Field(default="", max_length=20, description="Default: the customer's first mobile.")
    address_as: str = Field(default="", max_length=30, description="How to address the customer, e.g. 张先生.")
    contact_verified: bool = Field(default=False, description="The contact details were checked with the customer.")
    parking_spot: str = Field(default="", max_length=20)
    key_tag: str = Field(default="", max_length=20)
    waiting: Waiting = "lounge"
    lounge_notes: str = Field(default="", max_length=200)
    needs: str = Field(
        default="", max_length=2000, json_schema_extra=inputs.MULTILINE, description="Default: the booking's."
    )
    promised_at: Moment | None = Field(default=None, description="When the car is promised, with its offset.")
    advisor: str | None = Field(
        default=None, min_length=1, max_length=150, description="The service advisor (username); default: the caller."
    )


def _advisor_id(username: str | None) -> int | None:
    """The advisor's id (one not found: 0, which the service names on ``advisor`` with the rest)."""
    if username is None:
        return None
    return User.objects.filter(username=username).values_list("pk", flat=True).first() or 0


@router.post("/visits", response={201: VisitDetailOut, **STATE_ERRORS})
@operation("visits.receive")
def visit_create(request: HttpRequest, payload: VisitOpenIn) -> Status[dict[str, Any]]:
    """Open the visit of a car at reception, from a booking (checked in) or as a walk-in; the mileage goes
    to the vehicle's history (a lower reading needs ``mileage_reason``). Every wrong field at once."""
    store = store_of(request, payload.store, "visits.receive")
    visit = services.visit_open(
        actor=request_user(request),
        data=services.VisitIn(
            store_id=store.pk,
            customer_id=payload.customer,
            vehicle_id=payload.vehicle,
            mileage_in=payload.mileage_in,
            fuel_level=payload.fuel_level,
            appointment_id=payload.appointment,
            advisor_id=_advisor_id(payload.advisor),
            contact_name=payload.contact_name,
            contact_mobile=payload.contact_mobile,
            address_as=payload.address_as,
            contact_verified=payload.contact_verified,
            mileage_reason=payload.mileage_reason,
            parking_spot=payload.parking_spot,
            key_tag=payload.key_tag,
            waiting=payload.waiting,
            lounge_notes=payload.lounge_notes,
            needs=payload.needs,
            promised_at=payload.promised_at,
        ),
    )
    return Status(201, _detail(request, visit.pk))


class VisitUpdateIn(InputSchema):
    address_as: str | None = Field(default=None, max_length=30)
    parking_spot: str | None = Field(default=None, max_length=20)
    key_tag: str | None = Field(default=None, max_length=20)
    waiting: Waiting | None = None
    lounge_notes: str | None = Field(default=None, max_length=200)
    needs: str | None = Field(default=None, max_length=2000, json_schema_extra=inputs.MULTILINE)
    promised_at: Moment | None = Field(default=None, description="Null clears the promise.")
    contact_mobile: str | None = Field(default=None, max_length=20)
    contact_verified: bool = Field(default=False, description="Mark the contact details checked with the customer.")


CLEARABLE = frozenset({"promised_at"})


@router.patch("/visits/{id:visit_id}", response={200: VisitDetailOut, **STATE_ERRORS})
@operation("visits.receive")
def visit_update(request: HttpRequest, visit_id: int, payload: VisitUpdateIn) -> dict[str, Any]:
    """Change what reception keeps on a car on site: only the fields sent (409 once the car has left)."""
    sent = payload.model_dump(exclude_unset=True)
    verified = bool(sent.pop("contact_verified", False))
    nulls = sorted(name for name, value in sent.items() if value is None and name not in CLEARABLE)
    if nulls:
        raise ApplicationError(
            _("Some fields need attention."),
            fields={name: [_("This field is required.")] for name in nulls},
            status=422,
        )
    services.visit_update(actor=request_user(request), visit_id=visit_id, changes=sent, contact_verified=verified)
    return _detail(request, visit_id)


class VisitLeaveIn(InputSchema):
    reason: str = Field(min_length=1, max_length=500)


@router.post("/visits/{id:visit_id}/leave", response={200: VisitDetailOut, **STATE_ERRORS})
@operation("visits.receive")
def visit_leave(request: HttpRequest, visit_id: int, payload: VisitLeaveIn) -> dict[str, Any]:
    """The customer left without signing an order (409 when the visit has a signed order or is closed)."""
    services.visit_leave(actor=request_user(request), visit_id=visit_id, reason=payload.reason)
    return _detail(request, visit_id)
