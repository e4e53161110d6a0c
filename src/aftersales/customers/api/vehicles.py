"""Archive API, vehicles: list, create, detail, update, history, mileage, owner transfer, drivers, timeline, models."""

from datetime import date
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema, ListQuery, Page, answer_list, paginate
from aftersales.core.errors import ApplicationError
from aftersales.core.routing import operation, request_user
from aftersales.customers import selectors, services
from aftersales.customers.api.customers import WRITE_ERRORS, FuelType, TimelineOut, TimelineQuery, personal_for
from aftersales.customers.models import Vehicle
from aftersales.customers.visibility import customers_hidden

router = Router(tags=["archive"])
OPENAPI_ID_PREFIX = "aftersales.customers.api"  # operation ids as published before the api/ package


class VehicleFields(InputSchema):
    plate: str | None = Field(default=None, max_length=20)
    model_id: int | None = None
    model_year: int | None = None
    engine_no: str | None = Field(default=None, max_length=30)
    colour: str | None = Field(default=None, max_length=30)
    fuel_type: FuelType | None = None
    use_type: Literal["household", "commercial"] | None = Field(
        default=None, description="三包 covers household vehicles only."
    )
    purchase_date: date | None = Field(default=None, description="The date on the purchase invoice.")
    delivery_date: date | None = Field(default=None, description="The date the vehicle was handed over.")
    production_date: date | None = Field(
        default=None, description="When the vehicle was built (recalls name models built in a period)."
    )
    selling_store_id: int | None = None
    plate_release_on: date | None = Field(
        default=None,
        description="When the plate is held by another vehicle: the day it ended there (with plate_release_reason).",
    )
    plate_release_reason: Literal["moved", "transferred", "corrected"] | None = Field(
        default=None, description="Why the plate left the other vehicle: moved to this one, transferred, or an error."
    )


class VehicleCreateIn(VehicleFields):
    vin: str = Field(max_length=30)
    vin_check_override: bool = False
    vin_override_reason: str = Field(default="", max_length=200)
    owner_id: int


class VehicleUpdateIn(VehicleFields):
    """Only the fields sent change. null clears an optional field; vin, vin_check_override and
    fuel_type cannot be cleared (422). A VIN is checked as when the vehicle is created."""

    version: int = Field(ge=1, description="The version you loaded; a newer one on the server answers 409.")
    vin: str | None = Field(default=None, max_length=30)
    vin_check_override: bool | None = None
    vin_override_reason: str | None = Field(default=None, max_length=200)


class LinkOut(Schema):
    id: int
    customer_id: int | None = Field(
        description="null, as the number and name are empty, for a customer registered by another company of "
        "the group who has not agreed to sharing (PIPL Art. 23)."
    )
    customer_number: str
    customer_name: str
    role: str
    valid_from: date
    valid_to: date | None


class PlateOut(Schema):
    plate: str
    valid_from: date
    valid_to: date | None
    end_reason: str


class MileageOut(Schema):
    km: int
    read_on: date
    source: str
    reason: str


class VehicleOut(Schema):
    id: int
    vin: str
    vin_check_override: bool
    vin_override_reason: str
    plate: str
    model_id: int | None
    model: str
    model_year: int | None
    engine_no: str
    colour: str
    fuel_type: str
    use_type: str
    purchase_date: date | None
    delivery_date: date | None
    production_date: date | None
    selling_store_id: int | None
    warranty_policy_id: int | None = Field(description="The brand policy applied; null: the legal minimum.")
    warranty_start: date | None = Field(description="Derived: the delivery date, else the invoice date.")
    warranty_end: date | None
    warranty_km_limit: int | None
    sanbao_end: date | None
    sanbao_km_limit: int | None
    next_service_on: date | None = Field(description="When the car is next due, as agreed at its last delivery.")
    next_service_km: int | None
    version: int
    owners: list[LinkOut]
    plates: list[PlateOut] = Field(description="The plate history, newest first.")
    latest_mileage: MileageOut | None


def vehicle_out(vehicle: Vehicle, *, hidden: frozenset[int] | None = None) -> dict[str, Any]:
    """The vehicle as the API shows it; ``hidden``: the customers the actor may not see among its links
    (looked up here when not given; a list looks them up once for the whole page)."""
    data = {field: getattr(vehicle, field) for field in VehicleOut.model_fields if hasattr(vehicle, field)}
    data["model"] = str(vehicle.model) if vehicle.model else ""
    links = list(vehicle.links.all())
    if hidden is None:
        hidden = customers_hidden(link.customer_id for link in links)
    data["owners"] = [_link_out(link, hidden=hidden) for link in links]
    data["plates"] = list(vehicle.plates.all())
    readings = list(vehicle.mileage_readings.all()[:1])
    data["latest_mileage"] = readings[0] if readings else None
    return data


class VehicleListQuery(ListQuery):
    q: str | None = Field(default=None, max_length=30, description="Plate or VIN fragment (prefix of a key).")


@router.get("/vehicles", response={200: Page[VehicleOut], **ERRORS})
@operation("customers.view")
def vehicle_list(request: HttpRequest, query: Query[VehicleListQuery]) -> dict[str, Any]:
    vehicles = selectors.vehicle_list(query.q)
    page = paginate(vehicles, query, ordering_fields=("plate", "vin", "created_at"), default_ordering=("-created_at",))
    hidden = customers_hidden(link.customer_id for vehicle in page["items"] for link in vehicle.links.all())
    page["items"] = [vehicle_out(vehicle, hidden=hidden) for vehicle in page["items"]]
    return page


@router.post("/vehicles", response={201: VehicleOut, **WRITE_ERRORS})
@operation("customers.edit")
def vehicle_create(request: HttpRequest, payload: VehicleCreateIn) -> Status[dict[str, Any]]:
    data = payload.model_dump(exclude_unset=True)
    owner = selectors.customer_active(data.pop("owner_id"))
    if owner is None:
        raise ApplicationError(_("No such customer."), field="owner_id", status=422)
    vehicle = services.vehicle_create(actor=request_user(request), owner=owner, data=data)
    return Status(201, vehicle_out(selectors.vehicle_get(vehicle.pk)))


@router.get("/vehicles/{id:vehicle_id}", response={200: VehicleOut, **ERRORS})
@operation("customers.view")
def vehicle_detail(request: HttpRequest, vehicle_id: int) -> dict[str, Any]:
    return vehicle_out(selectors.vehicle_get(vehicle_id))


@router.patch("/vehicles/{id:vehicle_id}", response={200: VehicleOut, **WRITE_ERRORS})
@operation("customers.edit")
def vehicle_update(request: HttpRequest, vehicle_id: int, payload: VehicleUpdateIn) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    services.vehicle_update(actor=request_user(request), vehicle_id=vehicle_id, version=version, data=data)
    return vehicle_out(selectors.vehicle_get(vehicle_id))


class HistoryOut(Schema):
    owners: list[LinkOut]
    plates: list[PlateOut]
    mileage: list[MileageOut]


@router.get("/vehicles/{id:vehicle_id}/history", response={200: HistoryOut, **ERRORS})
@operation("customers.view")
def vehicle_history(request: HttpRequest, vehicle_id: int) -> dict[str, Any]:
    vehicle = selectors.vehicle_get(vehicle_id)
    out = vehicle_out(vehicle)
    return {"owners": out["owners"], "plates": out["plates"], "mileage": list(vehicle.mileage_readings.all())}


class MileageIn(InputSchema):
    km: int = Field(ge=0, le=2_000_000)
    read_on: date
    source: Literal["reception", "repair_order", "customer", "import"] = "reception"
    reason: str = Field(default="", max_length=200)


@router.post("/vehicles/{id:vehicle_id}/mileage", response={201: MileageOut, **ERRORS})
@operation("customers.edit")
def vehicle_mileage(request: HttpRequest, vehicle_id: int, payload: MileageIn) -> Status[Any]:
    selectors.vehicle_get(vehicle_id)
    reading = services.mileage_record(actor=request_user(request), vehicle_id=vehicle_id, **payload.model_dump())
    return Status(201, reading)


class TransferIn(InputSchema):
    customer_id: int
    on: date


@router.post("/vehicles/{id:vehicle_id}/transfer", response={200: VehicleOut, **ERRORS})
@operation("customers.edit")
def vehicle_transfer(request: HttpRequest, vehicle_id: int, payload: TransferIn) -> dict[str, Any]:
    selectors.vehicle_get(vehicle_id)
    owner = selectors.customer_active(payload.customer_id)
    if owner is None:
        raise ApplicationError(_("No such customer."), field="customer_id", status=422)
    services.vehicle_transfer(actor=request_user(request), vehicle_id=vehicle_id, new_owner=owner, on=payload.on)
    return vehicle_out(selectors.vehicle_get(vehicle_id))


class DriverIn(InputSchema):
    customer_id: int
    valid_from: date = Field(description="The first day the customer drives the vehicle; not in the future.")


class DriverEndIn(InputSchema):
    valid_to: date = Field(description="The last day; not before the start and not in the future.")


class VehicleLinkOut(LinkOut):
    vehicle_id: int


def _link_out(link: Any, *, hidden: frozenset[int] = frozenset()) -> dict[str, Any]:
    shown = link.customer_id not in hidden
    return {
        "id": link.pk,
        "vehicle_id": link.vehicle_id,
        "customer_id": link.customer_id if shown else None,
        "customer_number": link.customer.number if shown else "",
        "customer_name": link.customer.name if shown else "",
        "role": link.role,
        "valid_from": link.valid_from,
        "valid_to": link.valid_to,
    }


@router.post("/vehicles/{id:vehicle_id}/drivers", response={201: VehicleLinkOut, **WRITE_ERRORS})
@operation("customers.edit")
def vehicle_driver_add(request: HttpRequest, vehicle_id: int, payload: DriverIn) -> Status[dict[str, Any]]:
    link = services.vehicle_driver_add(
        actor=request_user(request),
        vehicle_id=vehicle_id,
        customer_id=payload.customer_id,
        valid_from=payload.valid_from,
    )
    return Status(201, _link_out(link))


@router.post("/vehicles/{id:vehicle_id}/drivers/{id:link_id}/end", response={200: VehicleLinkOut, **WRITE_ERRORS})
@operation("customers.edit")
def vehicle_driver_end(request: HttpRequest, vehicle_id: int, link_id: int, payload: DriverEndIn) -> dict[str, Any]:
    link = services.vehicle_driver_end(
        actor=request_user(request),
        vehicle_id=vehicle_id,
        link_id=link_id,
        valid_to=payload.valid_to,
    )
    return _link_out(link)


@router.get("/vehicles/{id:vehicle_id}/timeline", response={200: list[TimelineOut], **ERRORS})
@operation("customers.view")
def vehicle_timeline(request: HttpRequest, vehicle_id: int, query: Query[TimelineQuery]) -> HttpResponse:
    vehicle = selectors.vehicle_get(vehicle_id)
    items = selectors.vehicle_timeline(vehicle, kinds=set(query.kind or []) or None, personal=personal_for(request))
    return answer_list(TimelineOut, items)


class VehicleModelQuery(ListQuery):
    brand_id: int | None = None
    series: str | None = Field(default=None, max_length=50)


class VehicleModelOut(Schema):
    id: int
    brand_id: int
    brand: str
    series: str
    name: str
    fuel_type: str


@router.get("/vehicle-models", response={200: Page[VehicleModelOut], **ERRORS})
@operation("customers.view")
def vehicle_model_list(request: HttpRequest, query: Query[VehicleModelQuery]) -> dict[str, Any]:
    models = selectors.vehicle_models(brand_id=query.brand_id, series=query.series)
    page = paginate(
        models, query, ordering_fields=("series", "name"), default_ordering=("brand__code", "series", "name")
    )
    page["items"] = [
        {
            "id": m.pk,
            "brand_id": m.brand_id,
            "brand": m.brand.name,
            "series": m.series,
            "name": m.name,
            "fuel_type": m.fuel_type,
        }
        for m in page["items"]
    ]
    return page


class WarrantyPolicyIn(InputSchema):
    brand_id: int
    warranty_years: int = Field(ge=0, le=99)
    warranty_km: int = Field(ge=0, le=2_000_000)
    sanbao_years: int = Field(ge=0, le=99)
    sanbao_km: int = Field(ge=0, le=2_000_000)
    valid_from: date
    valid_to: date | None = None


class WarrantyPolicyOut(Schema):
    id: int
    brand_id: int
    brand: str
    warranty_years: int
    warranty_km: int
    sanbao_years: int
    sanbao_km: int
    valid_from: date
    valid_to: date | None


def _policy_out(policy: Any) -> dict[str, Any]:
    return {field: getattr(policy, field) for field in WarrantyPolicyOut.model_fields if field != "brand"} | {
        "brand": policy.brand.name
    }


class WarrantyPolicyQuery(ListQuery):
    brand_id: int | None = None


@router.get("/warranty-policies", response={200: Page[WarrantyPolicyOut], **ERRORS})
@operation("customers.view")
def warranty_policy_list(request: HttpRequest, query: Query[WarrantyPolicyQuery]) -> dict[str, Any]:
    policies = selectors.warranty_policies(brand_id=query.brand_id)
    page = paginate(policies, query, ordering_fields=("valid_from",), default_ordering=("brand__code", "-valid_from"))
    page["items"] = [_policy_out(policy) for policy in page["items"]]
    return page


@router.post("/warranty-policies", response={201: WarrantyPolicyOut, **WRITE_ERRORS})
@operation("customers.warranty")
def warranty_policy_create(request: HttpRequest, payload: WarrantyPolicyIn) -> Status[dict[str, Any]]:
    policy = services.warranty_policy_create(actor=request_user(request), data=payload.model_dump())
    return Status(201, _policy_out(policy))
