"""Archive API: customers, vehicles, search, history, timeline."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.db.models import F
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from aftersales.core import inputs
from aftersales.core.access import authorize, can
from aftersales.core.api import ERRORS
from aftersales.core.apikit import ErrorOut, InputSchema, ListQuery, Page, paginate
from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Store, User
from aftersales.core.routing import acting_store, operation
from aftersales.customers import selectors, services
from aftersales.customers.models import Customer, Vehicle

router = Router(tags=["archive"])
WRITE_ERRORS: dict[int, type[Schema]] = {**ERRORS, 409: ErrorOut}

CustomerKind = Literal["individual", "company"]
Source = Literal["sales", "walk_in", "referral", "online", "phone"]
CustomerClass = Literal["vip", "regular", "fleet", "lapsed"]
ConsentChannel = Literal["paper", "app", "phone", "counter", ""]
FuelType = Literal["petrol", "diesel", "hybrid", "phev", "bev"]


class CustomerFields(InputSchema):
    kind: CustomerKind | None = None
    name: str | None = Field(default=None, max_length=100)
    mobiles: list[Annotated[str, Field(max_length=30)]] | None = Field(
        default=None, max_length=5, description="The first is the primary number."
    )
    landline: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=254)
    province: str | None = Field(default=None, max_length=20)
    city: str | None = Field(default=None, max_length=30)
    district: str | None = Field(default=None, max_length=30)
    street: str | None = Field(default=None, max_length=200)
    uscc: str | None = Field(default=None, max_length=30)
    resident_id: str | None = Field(default=None, max_length=30)
    emergency_contact: str | None = Field(default=None, max_length=60)
    emergency_phone: str | None = Field(default=None, max_length=20)
    preferences: str | None = Field(default=None, max_length=2000, json_schema_extra=inputs.MULTILINE)
    tags: list[Annotated[str, Field(max_length=30)]] | None = Field(default=None, max_length=20)
    source: Source | None = None
    owner_id: int | None = None
    customer_class: CustomerClass | None = None
    marketing_consent: bool | None = None
    marketing_consent_channel: ConsentChannel | None = None
    data_consent: bool | None = None
    data_consent_channel: ConsentChannel | None = None


class CustomerCreateIn(CustomerFields):
    name: str = Field(max_length=100)
    mobiles: list[Annotated[str, Field(max_length=30)]] = Field(default_factory=list, max_length=5)


class CustomerUpdateIn(CustomerFields):
    version: int = Field(ge=1, description="The version you loaded; a newer one on the server answers 409.")


class PhoneOut(Schema):
    number: str
    is_primary: bool


class CustomerOut(Schema):
    id: int
    number: str
    kind: str
    name: str
    mobiles: list[str]
    landline: str
    email: str
    address: str
    province: str
    city: str
    district: str
    street: str
    uscc: str
    resident_id: str
    emergency_contact: str
    emergency_phone: str
    preferences: str
    tags: list[str]
    source: str
    owner_id: int | None
    customer_class: str
    marketing_consent: bool
    marketing_consent_at: datetime | None
    data_consent: bool
    data_consent_at: datetime | None
    home_store: str
    reviewed_at: datetime | None
    created_at: datetime
    version: int
    masked: bool = Field(description="True when personal fields are masked for your role.")


class VehicleBrief(Schema):
    id: int
    vin: str
    plate: str
    model: str
    role: str
    valid_from: date
    valid_to: date | None


class CustomerDetailOut(CustomerOut):
    vehicles: list[VehicleBrief]


def _personal(request: HttpRequest) -> bool:
    """Whether personal values go out in full: to an integration's API token with the view-personal
    right (in any of its user's stores). A browser session gets them masked, as on the pages, and
    reveals one value with ``POST /customers/{id}/reveal``, which is audited."""
    if getattr(request, "api_token_id", None) is None:
        return False
    return can(request.user, "customers.view_personal")


def customer_out(customer: Customer, *, personal: bool) -> dict[str, Any]:
    data = {field: getattr(customer, field) for field in CustomerOut.model_fields if hasattr(customer, field)}
    data.update(selectors.customer_personal(customer, personal=personal))
    data["home_store"] = customer.home_store.code
    return data


def _brief(link: Any) -> dict[str, Any]:
    vehicle = link.vehicle
    return {
        "id": vehicle.pk,
        "vin": vehicle.vin,
        "plate": vehicle.plate,
        "model": str(vehicle.model) if vehicle.model else "",
        "role": link.role,
        "valid_from": link.valid_from,
        "valid_to": link.valid_to,
    }


def customer_detail_out(customer_id: int, *, personal: bool) -> dict[str, Any]:
    """The detail answer of one customer: its fields (personal ones in full only when ``personal``)
    and its vehicles. The caller has checked access to the customer."""
    customer = selectors.customer_get(customer_id)
    return {
        **customer_out(customer, personal=personal),
        "vehicles": [_brief(link) for link in customer.vehicle_links.all()],
    }


class CustomerListQuery(ListQuery):
    q: str | None = Field(
        default=None, max_length=50, description="Plate, VIN, mobile, name, pinyin initials or number."
    )
    customer_class: CustomerClass | None = None
    home_store: int | None = None


@router.get("/customers", response={200: Page[CustomerOut], **ERRORS})
@operation("customers.view")
def customer_list(request: HttpRequest, query: Query[CustomerListQuery]) -> dict[str, Any]:
    customers = selectors.customer_list(q=query.q, customer_class=query.customer_class, home_store_id=query.home_store)
    page = paginate(
        customers, query, ordering_fields=("number", "name", "created_at"), default_ordering=("-created_at",)
    )
    personal = _personal(request)
    page["items"] = [customer_out(customer, personal=personal) for customer in page["items"]]
    return page


class SearchQuery(InputSchema):
    q: str = Field(min_length=1, max_length=50)
    family: Literal["resident_id", "number", "vin", "mobile", "plate", "name"] | None = Field(
        default=None, description="Rank only this family's matches (plate, mobile, …); see `families`."
    )
    limit: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=inputs.BIGINT_MAX)


class SearchHitOut(Schema):
    customer: CustomerOut
    matched: str = Field(
        description="What matched: resident_id, number, vin, vin6, mobile, mobile4, plate, name, initials, pinyin."
    )
    exact: bool
    vehicle_id: int | None
    plate: str


class SearchFamilyOut(Schema):
    family: str = Field(description="resident_id, number, vin, mobile, plate or name (with pinyin and initials).")
    count: int = Field(description="Hits of this family (at most 500).")
    more: bool = Field(description="More than 500 of this family matched.")


class SearchOut(Schema):
    count: int = Field(description="Hits ranked (at most 500).")
    more: bool = Field(description="More than 500 matched: narrow the search to see them.")
    families: list[SearchFamilyOut] = Field(description="What the query matched, per family, whatever `family` is.")
    limit: int
    offset: int
    items: list[SearchHitOut]


@router.get("/customers/search", response={200: SearchOut, **ERRORS})
@operation("customers.view")
def customer_search(request: HttpRequest, query: Query[SearchQuery]) -> dict[str, Any]:
    found = selectors.archive_search(query.q, offset=query.offset, limit=query.limit, family=query.family)
    personal = _personal(request)
    return {
        "count": found.count,
        "more": found.more,
        "families": [
            {"family": family, "count": count, "more": more} for family, (count, more) in found.families.items()
        ],
        "limit": query.limit,
        "offset": query.offset,
        "items": [
            {
                "customer": customer_out(hit.customer, personal=personal),
                "matched": hit.matched,
                "exact": hit.exact,
                "vehicle_id": hit.vehicle.pk if hit.vehicle else None,
                "plate": hit.vehicle.plate if hit.vehicle else "",
            }
            for hit in found.hits
        ],
    }


@router.post("/customers", response={201: CustomerDetailOut, **WRITE_ERRORS})
@operation("customers.edit")
def customer_create(request: HttpRequest, payload: CustomerCreateIn) -> Status[dict[str, Any]]:
    user: User = request.user  # type: ignore[assignment]
    customer = services.customer_create(
        actor=user,
        store=acting_store(request, permission="customers.edit"),
        data=payload.model_dump(exclude_unset=True),
    )
    customer = selectors.customer_get(customer.pk)
    return Status(201, {**customer_out(customer, personal=_personal(request)), "vehicles": []})


@router.get("/customers/{id:customer_id}", response={200: CustomerDetailOut, **ERRORS})
@operation("customers.view")
def customer_detail(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    return customer_detail_out(customer_id, personal=_personal(request))


@router.patch("/customers/{id:customer_id}", response={200: CustomerDetailOut, **WRITE_ERRORS})
@operation("customers.edit")
def customer_update(request: HttpRequest, customer_id: int, payload: CustomerUpdateIn) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    services.customer_update(actor=request.user, customer_id=customer_id, version=version, data=data)  # type: ignore[arg-type]
    return customer_detail_out(customer_id, personal=_personal(request))


class RevealIn(InputSchema):
    field: Literal["mobiles", "resident_id", "uscc", "address", "emergency_phone"]


class RevealOut(Schema):
    field: str
    value: str


@router.post("/customers/{id:customer_id}/reveal", response={200: RevealOut, **ERRORS})
@operation("customers.view_personal")
def customer_reveal(request: HttpRequest, customer_id: int, payload: RevealIn) -> dict[str, str]:
    customer = selectors.customer_get(customer_id)
    audit_append(
        action="reveal",
        store_id=customer.home_store_id,
        object_type="customers.customer",
        object_id=str(customer.pk),
        object_repr=customer.number,
        changes={"field": payload.field},
    )
    return {"field": payload.field, "value": selectors.personal_value(customer, payload.field)}


@router.post("/customers/{id:customer_id}/review", response={200: CustomerOut, **ERRORS})
@operation("customers.review")
def customer_review(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    services.customer_mark_reviewed(actor=request.user, customer_id=customer_id)  # type: ignore[arg-type]
    return customer_out(selectors.customer_get(customer_id), personal=_personal(request))


class TimelineQuery(InputSchema):
    kind: list[Literal["archive", "mileage"]] | None = Field(default=None, max_length=2)


class TimelineLineOut(Schema):
    label: str
    value: str
    previous: str | None = Field(description="The value before, for a changed field of a record.")


class TimelineOut(Schema):
    at: datetime
    kind: str
    title: str
    detail: dict[str, Any] = Field(description="As recorded: field or key → value, or [before, after].")
    actor: str = Field(description="The user name of who did it.")
    actor_name: str = Field(description="Their name (the user name when they have none).")
    action: str = Field(description="Of an archive item: create, update, delete, reveal, merge, export, ...")
    lines: list[TimelineLineOut] = Field(
        description="The detail as people read it, in the request's language: labels, and values by name."
    )


@router.get("/customers/{id:customer_id}/timeline", response={200: list[TimelineOut], **ERRORS})
@operation("customers.view")
def customer_timeline(request: HttpRequest, customer_id: int, query: Query[TimelineQuery]) -> list[Any]:
    customer = selectors.customer_get(customer_id)
    items = selectors.customer_timeline(customer, kinds=set(query.kind or []) or None, personal=_personal(request))
    return [vars(item) for item in items]


# --- vehicles -----------------------------------------------------------------------------------


class VehicleFields(InputSchema):
    plate: str | None = Field(default=None, max_length=20)
    model_id: int | None = None
    model_year: int | None = None
    engine_no: str | None = Field(default=None, max_length=30)
    colour: str | None = Field(default=None, max_length=30)
    fuel_type: FuelType | None = None
    purchase_date: date | None = None
    selling_store_id: int | None = None
    warranty_start: date | None = None
    warranty_end: date | None = None
    warranty_km_limit: int | None = Field(default=None, ge=0, le=2_000_000)


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
    customer_id: int
    customer_number: str
    customer_name: str
    role: str
    valid_from: date
    valid_to: date | None


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
    purchase_date: date | None
    selling_store_id: int | None
    warranty_start: date | None
    warranty_end: date | None
    warranty_km_limit: int | None
    version: int
    owners: list[LinkOut]
    latest_mileage: MileageOut | None


def vehicle_out(vehicle: Vehicle) -> dict[str, Any]:
    data = {field: getattr(vehicle, field) for field in VehicleOut.model_fields if hasattr(vehicle, field)}
    data["model"] = str(vehicle.model) if vehicle.model else ""
    data["owners"] = [
        {
            "id": link.pk,
            "customer_id": link.customer_id,
            "customer_number": link.customer.number,
            "customer_name": link.customer.name,
            "role": link.role,
            "valid_from": link.valid_from,
            "valid_to": link.valid_to,
        }
        for link in vehicle.links.all()
    ]
    readings = list(vehicle.mileage_readings.all()[:1])
    data["latest_mileage"] = readings[0] if readings else None
    return data


class VehicleListQuery(ListQuery):
    q: str | None = Field(default=None, max_length=30, description="Plate or VIN fragment (prefix of a key).")


@router.get("/vehicles", response={200: Page[VehicleOut], **ERRORS})
@operation("customers.view")
def vehicle_list(request: HttpRequest, query: Query[VehicleListQuery]) -> dict[str, Any]:
    from django.db.models import Prefetch

    from aftersales.customers.models import MileageReading, VehicleLink

    vehicles = Vehicle.objects.select_related("model", "model__brand").prefetch_related(
        Prefetch("links", queryset=VehicleLink.objects.select_related("customer").order_by("-valid_from")),
        Prefetch("mileage_readings", queryset=MileageReading.objects.order_by("-read_on", "-pk")),
    )
    if query.q:
        vehicles = vehicles.filter(pk__in=selectors.search_vehicle_ids(query.q))
    page = paginate(vehicles, query, ordering_fields=("plate", "vin", "created_at"), default_ordering=("-created_at",))
    page["items"] = [vehicle_out(vehicle) for vehicle in page["items"]]
    return page


@router.post("/vehicles", response={201: VehicleOut, **WRITE_ERRORS})
@operation("customers.edit")
def vehicle_create(request: HttpRequest, payload: VehicleCreateIn) -> Status[dict[str, Any]]:
    data = payload.model_dump(exclude_unset=True)
    owner = Customer.objects.filter(pk=data.pop("owner_id"), merged_into=None).first()
    if owner is None:
        raise ApplicationError(_("No such customer."), field="owner_id", status=422)
    vehicle = services.vehicle_create(actor=request.user, owner=owner, data=data)  # type: ignore[arg-type]
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
    services.vehicle_update(actor=request.user, vehicle_id=vehicle_id, version=version, data=data)  # type: ignore[arg-type]
    return vehicle_out(selectors.vehicle_get(vehicle_id))


class HistoryOut(Schema):
    owners: list[LinkOut]
    mileage: list[MileageOut]


@router.get("/vehicles/{id:vehicle_id}/history", response={200: HistoryOut, **ERRORS})
@operation("customers.view")
def vehicle_history(request: HttpRequest, vehicle_id: int) -> dict[str, Any]:
    vehicle = selectors.vehicle_get(vehicle_id)
    return {"owners": vehicle_out(vehicle)["owners"], "mileage": list(vehicle.mileage_readings.all())}


class MileageIn(InputSchema):
    km: int = Field(ge=0, le=2_000_000)
    read_on: date
    source: Literal["reception", "repair_order", "customer", "import"] = "reception"
    reason: str = Field(default="", max_length=200)


@router.post("/vehicles/{id:vehicle_id}/mileage", response={201: MileageOut, **ERRORS})
@operation("customers.edit")
def vehicle_mileage(request: HttpRequest, vehicle_id: int, payload: MileageIn) -> Status[Any]:
    selectors.vehicle_get(vehicle_id)
    reading = services.mileage_record(actor=request.user, vehicle_id=vehicle_id, **payload.model_dump())  # type: ignore[arg-type]
    return Status(201, reading)


class TransferIn(InputSchema):
    customer_id: int
    on: date


@router.post("/vehicles/{id:vehicle_id}/transfer", response={200: VehicleOut, **ERRORS})
@operation("customers.edit")
def vehicle_transfer(request: HttpRequest, vehicle_id: int, payload: TransferIn) -> dict[str, Any]:
    selectors.vehicle_get(vehicle_id)
    owner = Customer.objects.filter(pk=payload.customer_id, merged_into=None).first()
    if owner is None:
        raise ApplicationError(_("No such customer."), field="customer_id", status=422)
    services.vehicle_transfer(actor=request.user, vehicle_id=vehicle_id, new_owner=owner, on=payload.on)  # type: ignore[arg-type]
    return vehicle_out(selectors.vehicle_get(vehicle_id))


class DriverIn(InputSchema):
    customer_id: int
    valid_from: date = Field(description="The first day the customer drives the vehicle; not in the future.")


class DriverEndIn(InputSchema):
    valid_to: date = Field(description="The last day; not before the start and not in the future.")


class VehicleLinkOut(LinkOut):
    vehicle_id: int


def _link_out(link: Any) -> dict[str, Any]:
    return {
        "id": link.pk,
        "vehicle_id": link.vehicle_id,
        "customer_id": link.customer_id,
        "customer_number": link.customer.number,
        "customer_name": link.customer.name,
        "role": link.role,
        "valid_from": link.valid_from,
        "valid_to": link.valid_to,
    }


@router.post("/vehicles/{id:vehicle_id}/drivers", response={201: VehicleLinkOut, **WRITE_ERRORS})
@operation("customers.edit")
def vehicle_driver_add(request: HttpRequest, vehicle_id: int, payload: DriverIn) -> Status[dict[str, Any]]:
    link = services.vehicle_driver_add(
        actor=request.user,  # type: ignore[arg-type]
        vehicle_id=vehicle_id,
        customer_id=payload.customer_id,
        valid_from=payload.valid_from,
    )
    return Status(201, _link_out(link))


@router.post("/vehicles/{id:vehicle_id}/drivers/{id:link_id}/end", response={200: VehicleLinkOut, **WRITE_ERRORS})
@operation("customers.edit")
def vehicle_driver_end(request: HttpRequest, vehicle_id: int, link_id: int, payload: DriverEndIn) -> dict[str, Any]:
    link = services.vehicle_driver_end(
        actor=request.user,  # type: ignore[arg-type]
        vehicle_id=vehicle_id,
        link_id=link_id,
        valid_to=payload.valid_to,
    )
    return _link_out(link)


@router.get("/vehicles/{id:vehicle_id}/timeline", response={200: list[TimelineOut], **ERRORS})
@operation("customers.view")
def vehicle_timeline(request: HttpRequest, vehicle_id: int, query: Query[TimelineQuery]) -> list[Any]:
    vehicle = selectors.vehicle_get(vehicle_id)
    items = selectors.vehicle_timeline(vehicle, kinds=set(query.kind or []) or None, personal=_personal(request))
    return [vars(item) for item in items]


class VehicleModelOut(Schema):
    id: int
    brand: str
    series: str
    name: str
    fuel_type: str


@router.get("/vehicle-models", response={200: list[VehicleModelOut], **ERRORS})
@operation("customers.view")
def vehicle_model_list(request: HttpRequest) -> list[dict[str, Any]]:
    from aftersales.customers.models import VehicleModel

    return [
        {"id": m.pk, "brand": m.brand.name, "series": m.series, "name": m.name, "fuel_type": m.fuel_type}
        for m in VehicleModel.objects.select_related("brand").order_by("brand__code", "series", "name")
    ]


# --- duplicates, merge, review, KPIs ---------------------------------------------------------------


def _visible_store_ids() -> frozenset[int] | None:
    from aftersales.core.scope import current_scope

    scope = current_scope()
    return scope.store_ids if scope is not None else None


class DuplicateOut(Schema):
    reason: str
    value: str
    customer_ids: list[int]


@router.get("/customers/duplicates", response={200: list[DuplicateOut], **ERRORS})
@operation("customers.merge")
def customer_duplicates(request: HttpRequest) -> list[Any]:
    return [vars(group) for group in selectors.duplicate_groups(store_ids=_visible_store_ids())]


MergeableField = Literal[services.MERGEABLE_FIELDS]  # type: ignore[valid-type]


class MergeIn(InputSchema):
    survivor_id: int
    merged_id: int
    choices: dict[MergeableField, Literal["survivor", "merged"]] = Field(
        default_factory=dict,
        description="Per field, which record's value to keep; unlisted fields keep the survivor's.",
    )


@router.post("/customers/merge", response={200: CustomerDetailOut, **WRITE_ERRORS})
@operation("customers.merge")
def customer_merge(request: HttpRequest, payload: MergeIn) -> dict[str, Any]:
    survivor = services.customer_merge(
        actor=request.user,  # type: ignore[arg-type]
        survivor_id=payload.survivor_id,
        merged_id=payload.merged_id,
        choices=dict(payload.choices),
    )
    return customer_detail_out(survivor.pk, personal=_personal(request))


class ReviewQueueQuery(ListQuery):
    days: int | None = Field(default=None, ge=1, le=3650, description="Review interval; default 90 days.")
    below: int = Field(default=100, ge=0, le=100, description="Also list archives less complete than this (%).")


@router.get("/customers/review-queue", response={200: Page[CustomerOut], **ERRORS})
@operation("customers.review")
def customer_review_queue(request: HttpRequest, query: Query[ReviewQueueQuery]) -> dict[str, Any]:
    customers = selectors.review_queue(store_ids=_visible_store_ids(), days=query.days, below=query.below)
    customers = customers.prefetch_related("phones")
    page = paginate(
        customers,
        query,
        ordering_fields=("reviewed_at", "completeness", "number"),
        default_ordering=(F("reviewed_at").asc(nulls_first=True), "completeness"),
    )
    personal = _personal(request)
    page["items"] = [customer_out(customer, personal=personal) for customer in page["items"]]
    return page


class KpiQuery(InputSchema):
    store: int | None = None
    days: int | None = Field(default=None, ge=1, le=3650)


class KpiOut(Schema):
    customers: int
    completeness_rate: float
    timeliness_rate: float
    duplicate_rate: float
    mean_completeness: float
    review_days: int


@router.get("/customers/kpis", response={200: KpiOut, **ERRORS})
@operation("customers.review")
def customer_kpis(request: HttpRequest, query: Query[KpiQuery]) -> dict[str, Any]:
    visible = _visible_store_ids()
    if query.store is not None:
        authorize(request.user, None, store_id=query.store)  # another store's: 404, audited
        visible = frozenset({query.store})
    return selectors.archive_kpis(store_ids=visible, days=query.days)


class RuleQuery(InputSchema):
    store: int


class RuleIn(InputSchema):
    store: int
    required_fields: list[Annotated[str, Field(max_length=30)]] = Field(max_length=20)
    review_days: int


class RuleOut(Schema):
    store: int
    required_fields: list[str]
    review_days: int
    items: dict[str, str] = Field(description="Every item a store can require, with its label.")


def _rule_out(store_id: int) -> dict[str, Any]:
    from aftersales.customers import quality

    required, days = quality.rule_for(store_id)
    items = {code: str(label) for code, label in quality.REQUIRED_ITEMS.items()}
    return {"store": store_id, "required_fields": list(required), "review_days": days, "items": items}


def _visible_store(request: HttpRequest, store_id: int) -> int:
    from django.http import Http404

    authorize(request.user, None, store_id=store_id)  # another store's: 404, audited
    if not Store.objects.filter(pk=store_id).exists():
        raise Http404
    return store_id


@router.get("/customers/archive-rule", response={200: RuleOut, **ERRORS})
@operation("customers.review")
def archive_rule_get(request: HttpRequest, query: Query[RuleQuery]) -> dict[str, Any]:
    return _rule_out(_visible_store(request, query.store))


@router.put("/customers/archive-rule", response={200: RuleOut, **ERRORS})
@operation("customers.review")
def archive_rule_put(request: HttpRequest, payload: RuleIn) -> dict[str, Any]:
    from django.db import transaction

    from aftersales.customers import quality
    from aftersales.customers.quality_jobs import completeness_recompute

    store_id = _visible_store(request, payload.store)
    quality.archive_rule_save(
        store_id=store_id, required_fields=payload.required_fields, review_days=payload.review_days
    )
    transaction.on_commit(lambda: completeness_recompute(store_id))
    return _rule_out(store_id)
