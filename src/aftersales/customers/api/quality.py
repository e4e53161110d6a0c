"""Archive API, quality: duplicates and merge, the review queue, KPIs, the store's archive rule."""

from typing import Annotated, Any, Literal

from django.db.models import F
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from aftersales.core import selectors as core_selectors
from aftersales.core.access import authorize
from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema, ListQuery, Page, paginate
from aftersales.core.routing import operation, request_user
from aftersales.core.scope import current_scope
from aftersales.customers import selectors, services
from aftersales.customers.api.customers import (
    WRITE_ERRORS,
    CustomerDetailOut,
    CustomerOut,
    customer_detail_out,
    customer_out,
    personal_for,
)

router = Router(tags=["archive"])
OPENAPI_ID_PREFIX = "aftersales.customers.api"  # operation ids as published before the api/ package


def _visible_store_ids() -> frozenset[int] | None:
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
        actor=request_user(request),
        survivor_id=payload.survivor_id,
        merged_id=payload.merged_id,
        choices=dict(payload.choices),
    )
    return customer_detail_out(request, survivor.pk)


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
    personal = personal_for(request)
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
    required, days = selectors.rule_for(store_id)
    items = {code: str(label) for code, label in selectors.REQUIRED_ITEMS.items()}
    return {"store": store_id, "required_fields": list(required), "review_days": days, "items": items}


def _visible_store(request: HttpRequest, store_id: int) -> int:
    authorize(request.user, None, store_id=store_id)  # another store's: 404, audited
    return core_selectors.store_get(store_id=store_id).pk


@router.get("/customers/archive-rule", response={200: RuleOut, **ERRORS})
@operation("customers.review")
def archive_rule_get(request: HttpRequest, query: Query[RuleQuery]) -> dict[str, Any]:
    return _rule_out(_visible_store(request, query.store))


@router.put("/customers/archive-rule", response={200: RuleOut, **ERRORS})
@operation("customers.review")
def archive_rule_put(request: HttpRequest, payload: RuleIn) -> dict[str, Any]:
    store_id = _visible_store(request, payload.store)
    services.archive_rule_save(
        actor=request_user(request),
        store_id=store_id,
        required_fields=payload.required_fields,
        review_days=payload.review_days,
    )
    return _rule_out(store_id)
