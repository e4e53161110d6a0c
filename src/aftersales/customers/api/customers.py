"""Archive API, customers: list, search, create, detail, update, reveal, review, timeline."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import BaseModel, ConfigDict

from aftersales.core import inputs
from aftersales.core.access import can
from aftersales.core.api import ERRORS
from aftersales.core.apikit import (
    ApiDateTime,
    ErrorOut,
    InputSchema,
    ListQuery,
    Page,
    answer_list,
    file_answer,
    paginate,
)
from aftersales.core.routing import acting_store, operation, request_user
from aftersales.customers import documents, selectors, services
from aftersales.customers.models import Customer

router = Router(tags=["archive"])
OPENAPI_ID_PREFIX = "aftersales.customers.api"  # operation ids as published before the api/ package


WRITE_ERRORS: dict[int, type[Schema]] = {**ERRORS, 409: ErrorOut}


CustomerKind = Literal["individual", "company"]


Source = Literal["sales", "walk_in", "referral", "online", "phone"]


CustomerClass = Literal["vip", "regular", "fleet", "lapsed"]


ConsentChannel = Literal["paper", "app", "phone", "counter", ""]


FuelType = Literal["petrol", "diesel", "hybrid", "phev", "bev"]


class CustomerFields(InputSchema):
    kind: CustomerKind | None = None
    name: str | None = Field(default=None, max_length=100)
    gender: Literal["male", "female", ""] | None = Field(
        default=None, description="Taken from the resident ID when one is given and this is not."
    )
    birthday: date | None = Field(default=None, description="Taken from the resident ID when one is given.")
    wechat_id: str | None = Field(default=None, max_length=40)
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
    sharing_consent: bool | None = Field(
        default=None,
        description="The customer's separate consent (PIPL Art. 23) to the archive being shared with the "
        "group's other companies; without it their stores see the customer only when serving a visit "
        "booked with them.",
    )
    sharing_consent_channel: ConsentChannel | None = None


class CustomerCreateIn(CustomerFields):
    name: str = Field(max_length=100)
    mobiles: list[Annotated[str, Field(max_length=30)]] = Field(default_factory=list, max_length=5)
    confirm_duplicates: bool = Field(
        default=False,
        description="Create even though another customer has one of these mobiles (else 409 with the matches).",
    )


class MergedIntoOut(Schema):
    id: int
    number: str


class MergedOut(ErrorOut):
    """410 ``merged``: the record was merged into another; ``merged_into`` is the one to use."""

    merged_into: MergedIntoOut


class DuplicateMatchOut(Schema):
    id: int
    number: str
    name: str
    kind: str
    mobile: str = Field(description="The shared mobile, masked.")


class DuplicatesConflictOut(ErrorOut):
    """409 ``possible_duplicates``: customers who already have one of the mobiles; resend with
    ``confirm_duplicates: true`` to create anyway. Other conflicts have no ``matches``."""

    matches: list[DuplicateMatchOut] = Field(default_factory=list)


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
    gender: str
    birthday: str | None = Field(description="YYYY-MM-DD, or **** when personal fields are masked for your role.")
    wechat_id: str
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
    sharing_consent: bool
    sharing_consent_at: datetime | None
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


def personal_for(request: HttpRequest) -> bool:
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
    personal = personal_for(request)
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
    personal = personal_for(request)
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


@router.post("/customers", response={201: CustomerDetailOut, **ERRORS, 409: DuplicatesConflictOut})
@operation("customers.edit")
def customer_create(request: HttpRequest, payload: CustomerCreateIn) -> Status[dict[str, Any]]:
    user = request_user(request)
    data = payload.model_dump(exclude_unset=True)
    confirm = bool(data.pop("confirm_duplicates", False))
    customer = services.customer_create(
        actor=user,
        store=acting_store(request, permission="customers.edit"),
        data=data,
        confirm_duplicates=confirm,
    )
    customer = selectors.customer_get(customer.pk)
    return Status(201, {**customer_out(customer, personal=personal_for(request)), "vehicles": []})


@router.get("/customers/{id:customer_id}", response={200: CustomerDetailOut, **ERRORS, 410: MergedOut})
@operation("customers.view")
def customer_detail(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    return customer_detail_out(request, customer_id)


def customer_detail_out(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    """The answer of ``GET /customers/{id}``, which the writes that change a customer answer too.
    A merged record answers 410 ``merged`` with ``merged_into`` (id, number), not its stale data."""
    customer = selectors.customer_get(customer_id)
    if customer.merged_into_id is not None:
        raise selectors.merged_error(customer)
    return {
        **customer_out(customer, personal=personal_for(request)),
        "vehicles": [_brief(link) for link in customer.vehicle_links.all()],
    }


@router.patch("/customers/{id:customer_id}", response={200: CustomerDetailOut, **WRITE_ERRORS, 410: MergedOut})
@operation("customers.edit")
def customer_update(request: HttpRequest, customer_id: int, payload: CustomerUpdateIn) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    services.customer_update(actor=request_user(request), customer_id=customer_id, version=version, data=data)
    return customer_detail_out(request, customer_id)


class RevealIn(InputSchema):
    field: Literal[Customer.revealable]  # type: ignore[valid-type]


class RevealOut(Schema):
    field: str
    value: str


@router.post("/customers/{id:customer_id}/reveal", response={200: RevealOut, **ERRORS})
@operation("customers.view_personal")
def customer_reveal(request: HttpRequest, customer_id: int, payload: RevealIn) -> dict[str, str]:
    value = services.customer_reveal(actor=request_user(request), customer_id=customer_id, field=payload.field)
    return {"field": payload.field, "value": value}


@router.post("/customers/{id:customer_id}/review", response={200: CustomerOut, **ERRORS})
@operation("customers.review")
def customer_review(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    services.customer_mark_reviewed(actor=request_user(request), customer_id=customer_id)
    return customer_out(selectors.customer_get(customer_id), personal=personal_for(request))


class TimelineQuery(InputSchema):
    kind: list[Literal[selectors.timeline_kinds()]] | None = Field(  # type: ignore[valid-type]
        default=None, max_length=len(selectors.timeline_kinds())
    )


class TimelineLineOut(BaseModel):
    # Plain pydantic models: a timeline answers hundreds of items, which pydantic validates natively,
    # without the attribute wrapper a ninja Schema puts around each.
    model_config = ConfigDict(from_attributes=True)

    label: str
    value: str
    previous: str | None = Field(description="The value before, for a changed field of a record.")


class TimelineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: ApiDateTime
    kind: str
    title: str
    detail: dict[str, Any] = Field(description="As recorded: field or key → value, or [before, after].")
    actor: str = Field(description="The user name of who did it.")
    actor_name: str = Field(description="Their name (the user name when they have none).")
    action: str = Field(description="Of an archive item: create, update, delete, reveal, merge, export, ...")
    lines: list[TimelineLineOut] = Field(
        description="The detail as people read it, in the request's language: labels, and values by name."
    )


@router.get(
    "/customers/{id:customer_id}/archive-card",
    response={200: None, **ERRORS},
    openapi_extra=file_answer(
        "The customer archive card (客户档案卡) as a PDF: the record with personal data masked, "
        "its vehicles and history, with the letterhead of the caller's store. Audited as an export."
    ),
)
@operation("customers.view")
def customer_archive_card(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = selectors.customer_get(customer_id)
    store = acting_store(request, permission="customers.view")
    link = request.build_absolute_uri(reverse("customers:detail", args=[customer.pk]))
    pdf = documents.archive_card_pdf(actor=request_user(request), customer=customer, store=store, link=link)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{customer.number}.pdf"'
    return response


@router.get("/customers/{id:customer_id}/timeline", response={200: list[TimelineOut], **ERRORS})
@operation("customers.view")
def customer_timeline(request: HttpRequest, customer_id: int, query: Query[TimelineQuery]) -> HttpResponse:
    customer = selectors.customer_row(customer_id)
    items = selectors.customer_timeline(customer, kinds=set(query.kind or []) or None, personal=personal_for(request))
    return answer_list(TimelineOut, items)
