"""Platform API: health, the signed-in user, stores and their calendars, companies, API tokens, kept files."""

from datetime import date, datetime
from typing import Any, Literal

from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

import aftersales
from aftersales.core import selectors, services
from aftersales.core.apikit import ErrorOut, InputSchema, ListQuery, Page, paginate
from aftersales.core.calendar import store_today
from aftersales.core.errors import ApplicationError
from aftersales.core.grants import permissions_of, visible_store_ids
from aftersales.core.media import media_access, media_response
from aftersales.core.models import Bay, Department, LegalEntity, Store
from aftersales.core.routing import acting_store, operation, request_user

router = Router()

ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


# --- health -----------------------------------------------------------------------------------


class HealthOut(Schema):
    status: Literal["ok", "degraded", "unavailable"] = Field(
        description="ok; degraded (200): the app serves but something is wrong, see reasons; "
        "unavailable (503): the database does not answer."
    )
    reasons: list[Literal["queue_never_seen", "queue_stale", "database_unavailable"]] = Field(
        description="Why the status is not ok: queue_never_seen (no worker has ever run the jobs), "
        "queue_stale (no worker beat within AFTERSALES_QUEUE_STALE_SECONDS), database_unavailable."
    )
    database: bool
    queue_heartbeat_age_seconds: float | None = Field(
        description="Seconds since the job queue last beat; null if never."
    )
    version: str


@router.get("/health", auth=None, response={200: HealthOut, 503: HealthOut}, tags=["system"])
@operation(public=True)
def health(request: HttpRequest) -> Status[dict[str, Any]]:
    status = selectors.health_status()
    code = 503 if status["status"] == "unavailable" else 200
    return Status(code, {**status, "version": aftersales.__version__})


# --- auth tokens ------------------------------------------------------------------------------


class TokenLoginIn(InputSchema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=256)
    name: str = Field(default="API", min_length=1, max_length=60)


class TokenOut(Schema):
    token: str = Field(description="Shown once; keep it safe. Send as 'Authorization: Bearer <token>'.")
    id: int
    name: str
    expires_at: datetime | None = Field(description="When the token stops working; null: never.")


@router.post(
    "/auth/token",
    auth=None,
    response={201: TokenOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    tags=["auth"],
    description="Sign in for a token that expires after AFTERSALES_TOKEN_DAYS (default 30) days. Failed "
    "attempts count towards the sign-in lockout (per user name and client address, and per address): "
    "429 locked_out while locked, without the password being checked; 403 password_change_required "
    "when an admin asked the user to change their password.",
)
@operation(public=True)
def auth_token_create(request: HttpRequest, payload: TokenLoginIn) -> Status[dict[str, Any]]:
    token, raw = services.token_sign_in(
        request=request, username=payload.username, password=payload.password, name=payload.name
    )
    return Status(201, {"token": raw, "id": token.pk, "name": token.name, "expires_at": token.expires_at})


@router.delete("/auth/token", response={204: None, **ERRORS}, tags=["auth"])
@operation()
def auth_token_revoke(request: HttpRequest) -> Status[None]:
    token_id = getattr(request, "api_token_id", None)
    if token_id is None:
        raise ApplicationError(_("This call needs the token to revoke in the Authorization header."), code="no_token")
    services.token_revoke(user=request_user(request), token_id=token_id)
    return Status(204, None)


class TokenIn(InputSchema):
    name: str = Field(min_length=1, max_length=60)
    expires_in_days: int | None = Field(
        default=None, ge=1, le=3650, description="Days until the token expires; default AFTERSALES_TOKEN_DAYS (30)."
    )
    never_expires: bool = Field(
        default=False, description='A token that never expires; needs the permission "tokens.no_expiry".'
    )


class TokenInfoOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    last_used_ip: str | None = Field(description="The client address of the last use.")
    expires_at: datetime | None
    revoked_at: datetime | None


@router.get("/tokens", response={200: list[TokenInfoOut], **ERRORS}, tags=["auth"])
@operation("tokens.manage")
def token_list(request: HttpRequest) -> Any:
    return request_user(request).api_tokens.order_by("-created_at", "-pk")


@router.post("/tokens", response={201: TokenOut, **ERRORS}, tags=["auth"])
@operation("tokens.manage")
def token_create(request: HttpRequest, payload: TokenIn) -> Status[dict[str, Any]]:
    token, raw = services.token_create(
        user=request_user(request),
        name=payload.name,
        expires_in_days=payload.expires_in_days,
        never_expires=payload.never_expires,
    )
    return Status(201, {"token": raw, "id": token.pk, "name": token.name, "expires_at": token.expires_at})


@router.delete("/tokens/{id:token_id}", response={204: None, **ERRORS}, tags=["auth"])
@operation("tokens.manage")
def token_revoke(request: HttpRequest, token_id: int) -> Status[None]:
    services.token_revoke(user=request_user(request), token_id=token_id)
    return Status(204, None)


# --- me ---------------------------------------------------------------------------------------


class MembershipOut(Schema):
    store_id: int
    store_code: str
    store_name: str
    role_code: str
    role_name: str
    permissions: list[str]


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    is_superuser: bool
    language: str
    group_wide: bool
    memberships: list[MembershipOut]


@router.get("/me", response={200: MeOut, **ERRORS}, tags=["system"])
@operation()
def me(request: HttpRequest) -> dict[str, Any]:
    user = request_user(request)
    memberships = [
        {**vars(m), "permissions": sorted(permissions_of(user, m.store_id))} for m in selectors.user_memberships(user)
    ]
    return {
        "id": user.pk,
        "username": user.username,
        "full_name": user.full_name,
        "is_superuser": user.is_superuser,
        "language": request.LANGUAGE_CODE,
        "group_wide": visible_store_ids(user) is None,
        "memberships": memberships,
    }


# --- stores -----------------------------------------------------------------------------------


class StoreListQuery(ListQuery):
    q: str | None = Field(default=None, max_length=50, description="Part of the code, name or address.")
    brand: str | None = Field(default=None, max_length=20, description="Brand code served.")
    is_active: bool | None = None


class StoreOut(Schema):
    id: int
    code: str
    name: str
    group: str
    address: str
    phone: str
    time_zone: str
    is_active: bool
    brands: list[str]
    business_hours: dict[str, str]
    holiday_hours: str = Field(description='Hours on public holidays ("HH:MM-HH:MM"); empty: closed.')
    quiet_hours: str = Field(
        description='When messages that are not urgent wait ("HH:MM-HH:MM", may cross midnight); empty: never.'
    )
    legal_entity_id: int | None = Field(description="The company the store belongs to.")


class DepartmentOut(Schema):
    id: int
    code: str
    name: str
    kind: str


class BayOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    is_active: bool


class StoreDetailOut(StoreOut):
    departments: list[DepartmentOut]
    bays: list[BayOut]


def _store_out(store: Store, brands: list[str]) -> dict[str, Any]:
    return {
        "id": store.pk,
        "code": store.code,
        "name": store.name,
        "group": store.group.name,
        "address": store.address,
        "phone": store.phone,
        "time_zone": store.time_zone,
        "is_active": store.is_active,
        "brands": brands,
        "business_hours": store.business_hours,
        "holiday_hours": store.holiday_hours,
        "quiet_hours": store.quiet_hours,
        "legal_entity_id": store.legal_entity_id,
    }


@router.get("/stores", response={200: Page[StoreOut], **ERRORS}, tags=["stores"])
@operation("stores.view")
def store_list(request: HttpRequest, query: Query[StoreListQuery]) -> dict[str, Any]:
    stores = selectors.store_list(q=query.q, brand=query.brand, is_active=query.is_active)
    page = paginate(stores, query, ordering_fields=("code", "name"), default_ordering=("code",))
    brands = selectors.store_brand_codes(page["items"])
    page["items"] = [_store_out(store, brands[store.pk]) for store in page["items"]]
    return page


@router.get("/stores/{id:store_id}", response={200: StoreDetailOut, **ERRORS}, tags=["stores"])
@operation("stores.view", store_kwarg="store_id")
def store_detail(request: HttpRequest, store_id: int) -> dict[str, Any]:
    store = selectors.store_get(store_id=store_id)
    return {
        **_store_out(store, [brand.code for brand in store.brands.all()]),
        "departments": list(Department.objects.filter(store=store).order_by("code")),
        "bays": list(Bay.objects.filter(store=store).order_by("code")),
    }


class StoreDayOut(Schema):
    day: date
    kind: Literal["workday", "weekend", "holiday", "makeup"] = Field(
        description="workday (Monday to Friday), weekend, holiday (public holiday), makeup (a weekend day "
        "worked instead of a holiday, 调休上班)."
    )
    holiday: str = Field(description="The holiday a public holiday or make-up working day belongs to.")
    working_day: bool = Field(description="A working day in law (workday or makeup).")
    opens: datetime | None = Field(description="When the store opens, in its time zone; null: closed.")
    closes: datetime | None


class StoreDaysQuery(InputSchema):
    start: date | None = Field(default=None, description="First day (default: today in the store's zone).")
    days: int = Field(default=14, ge=1, le=selectors.STORE_DAYS_MAX)


@router.get("/stores/{id:store_id}/days", response={200: list[StoreDayOut], **ERRORS}, tags=["stores"])
@operation("stores.view", store_kwarg="store_id")
def store_days(request: HttpRequest, store_id: int, query: Query[StoreDaysQuery]) -> list[Any]:
    """The store's calendar: each day's kind, holiday and opening hours (the store calendar every rule uses)."""
    store = selectors.store_get(store_id=store_id)
    start = query.start or store_today(store)
    return [vars(day) for day in selectors.store_days(store, start, query.days)]


# --- companies (legal entities) ----------------------------------------------------------------


class LegalEntityOut(Schema):
    id: int
    name: str
    uscc: str = Field(description="Unified social credit code (GB 32100-2015).")
    taxpayer_type: Literal["general", "small_scale"]
    address: str
    phone: str
    bank_name: str
    bank_account: str = Field(description="In full for a holder of companies.bank, else masked (****1234).")
    repair_filing_no: str = Field(description="Repair business filing number (机动车维修经营备案).")
    health_record_code: str = Field(description="Enterprise code of the vehicle maintenance health archive.")
    is_active: bool
    store_ids: list[int]


class LegalEntityIn(InputSchema):
    name: str = Field(max_length=100)
    uscc: str = Field(max_length=30)
    taxpayer_type: Literal["general", "small_scale"]
    address: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=30)
    bank_name: str = Field(default="", max_length=100)
    bank_account: str = Field(default="", max_length=40)
    repair_filing_no: str = Field(default="", max_length=50)
    health_record_code: str = Field(default="", max_length=50)
    store_ids: list[int] = Field(default_factory=list, max_length=1000, description="Its stores, of the group.")


class LegalEntityPatch(InputSchema):
    name: str | None = Field(default=None, max_length=100)
    uscc: str | None = Field(default=None, max_length=30)
    taxpayer_type: Literal["general", "small_scale"] | None = None
    address: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=30)
    bank_name: str | None = Field(default=None, max_length=100)
    bank_account: str | None = Field(default=None, max_length=40)
    repair_filing_no: str | None = Field(default=None, max_length=50)
    health_record_code: str | None = Field(default=None, max_length=50)
    is_active: bool | None = None
    store_ids: list[int] | None = Field(default=None, max_length=1000)


class LegalEntityListQuery(ListQuery):
    q: str | None = Field(default=None, max_length=50, description="Part of the name or the credit code.")


def _legal_entity_out(entity: LegalEntity, request: HttpRequest) -> dict[str, Any]:
    return {
        "id": entity.pk,
        "name": entity.name,
        "uscc": entity.uscc,
        "taxpayer_type": entity.taxpayer_type,
        "address": entity.address,
        "phone": entity.phone,
        "bank_name": entity.bank_name,
        "bank_account": selectors.legal_entity_bank_account(entity, request_user(request)),
        "repair_filing_no": entity.repair_filing_no,
        "health_record_code": entity.health_record_code,
        "is_active": entity.is_active,
        "store_ids": sorted(store.pk for store in entity.stores.all()),
    }


@router.get("/legal-entities", response={200: Page[LegalEntityOut], **ERRORS}, tags=["companies"])
@operation("stores.view")
def legal_entity_list(request: HttpRequest, query: Query[LegalEntityListQuery]) -> dict[str, Any]:
    entities = selectors.legal_entity_list(q=query.q)
    page = paginate(entities, query, ordering_fields=("name", "uscc"), default_ordering=("name",))
    page["items"] = [_legal_entity_out(entity, request) for entity in page["items"]]
    return page


@router.post("/legal-entities", response={201: LegalEntityOut, **ERRORS}, tags=["companies"])
@operation("companies.manage")
def legal_entity_create(request: HttpRequest, payload: LegalEntityIn) -> Status[dict[str, Any]]:
    group = acting_store(request, permission="companies.manage").group
    entity = services.legal_entity_create(actor=request_user(request), group=group, data=payload.model_dump())
    return Status(201, _legal_entity_out(selectors.legal_entity_get(entity.pk), request))


@router.get("/legal-entities/{id:entity_id}", response={200: LegalEntityOut, **ERRORS}, tags=["companies"])
@operation("stores.view")
def legal_entity_detail(request: HttpRequest, entity_id: int) -> dict[str, Any]:
    return _legal_entity_out(selectors.legal_entity_get(entity_id), request)


@router.patch("/legal-entities/{id:entity_id}", response={200: LegalEntityOut, **ERRORS}, tags=["companies"])
@operation("companies.manage")
def legal_entity_update(request: HttpRequest, entity_id: int, payload: LegalEntityPatch) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True)
    null = sorted(name for name, value in data.items() if value is None)
    if null:
        raise ApplicationError(
            _("Some fields are not valid."),
            code="invalid",
            fields={name: [_("This field cannot be empty.")] for name in null},
            status=422,
        )
    services.legal_entity_update(actor=request_user(request), entity_id=entity_id, data=data)
    return _legal_entity_out(selectors.legal_entity_get(entity_id), request)


# --- the holiday calendar ----------------------------------------------------------------------


class CalendarDayIO(Schema):
    day: date
    kind: Literal["holiday", "workday"] = Field(
        description="holiday (public holiday) or workday (a weekend day worked instead, 调休上班)."
    )
    name: str = Field(max_length=50, description="The holiday, e.g. 春节.")


class CalendarYearIn(InputSchema):
    days: list[CalendarDayIO] = Field(max_length=120, description="The whole year's table; replaces it.")


@router.get("/calendar/{year:year}", response={200: list[CalendarDayIO], **ERRORS}, tags=["stores"])
@operation("stores.view")
def calendar_year(request: HttpRequest, year: int) -> list[Any]:
    """The national public holidays and make-up working days of a year, which every store calendar reads."""
    return selectors.calendar_days(year)


@router.put("/calendar/{year:year}", response={200: list[CalendarDayIO], **ERRORS}, tags=["stores"])
@operation("calendar.manage")
def calendar_year_put(request: HttpRequest, year: int, payload: CalendarYearIn) -> list[Any]:
    days = [entry.model_dump() for entry in payload.days]
    return services.calendar_year_save(actor=request_user(request), year=year, days=days)


# --- kept files -----------------------------------------------------------------------------------

_MEDIA_TYPES = ("image/jpeg", "image/png", "application/pdf")


@router.get(
    "/media/{id:media_id}",
    response={200: None, **ERRORS},
    tags=["media"],
    openapi_extra={
        "responses": {
            200: {
                "description": "The kept file (a photo or a copy of a paper), shown inline, if the rule of the "
                "record that owns it lets you see it; the owner may record the viewing (an ID copy: a reveal).",
                "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in _MEDIA_TYPES},
            }
        }
    },
)
@operation()
def media_file(request: HttpRequest, media_id: int) -> FileResponse:
    actor = request_user(request)
    return media_response(media_access(actor=actor, media_id=media_id), actor=actor)


@router.get(
    "/media/{id:media_id}/thumbnail",
    response={200: None, **ERRORS},
    tags=["media"],
    openapi_extra={
        "responses": {
            200: {
                "description": "A photo's thumbnail: a JPEG at most 320 pixels on its longer side (404 for a PDF).",
                "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
@operation()
def media_thumbnail(request: HttpRequest, media_id: int) -> FileResponse:
    actor = request_user(request)
    return media_response(media_access(actor=actor, media_id=media_id), actor=actor, thumbnail=True)


# --- my jobs ------------------------------------------------------------------------------------------


class JobOut(Schema):
    kind: str
    name: str
    status: Literal["queued", "running", "done", "failed"]
    percent: int = Field(ge=0, le=100)
    started_at: datetime
    finished_at: datetime | None
    url: str = Field(description="The job's own page.")
    message: str


@router.get("/me/jobs", response={200: list[JobOut], **ERRORS}, tags=["system"])
@operation()
def my_jobs(request: HttpRequest) -> list[Any]:
    """Your long jobs (imports, exports, batch sends) from every area, newest first, with their progress."""
    return list(selectors.my_jobs(request_user(request)))
