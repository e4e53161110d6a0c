"""A vehicle's repair guarantees (open ones show at reception) and the store's quality rules: its
standard final checks, washing standard and the order types it does not wash, the 24-point free check,
the comeback window, whether the province issues certificate numbers, how often an internal quality
evaluation samples how many delivered orders, and its own repair guarantee per repair category (never below
the law's: 422 on ``<category>_days`` / ``<category>_km``)."""

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from aftersales.catalogue.models import GUARANTEE
from aftersales.core.apikit import InputSchema
from aftersales.core.calendar import store_calendar
from aftersales.core.grants import visible_store_ids
from aftersales.core.models import Store
from aftersales.core.routing import operation, request_user
from aftersales.customers.selectors.customers import vehicle_access
from aftersales.parts.api.common import StoreCode, store_of
from aftersales.quality import services
from aftersales.quality.api.common import STATE_ERRORS, GuaranteeOut, guarantee_out
from aftersales.quality.models import Guarantee
from aftersales.quality.services.settings import SettingsIn, quality_settings_save

router = Router(tags=["quality"])

Check = Annotated[str, Field(max_length=60)]
ServiceTypeName = Literal["quick", "repair", "major"]
CategoryName = Literal["whole_vehicle", "assembly", "second_level", "first_level", "minor", "special"]


class GuaranteeQuery(InputSchema):
    open: bool = Field(default=False, description="Only those still running today.")


@router.get("/vehicles/{id:vehicle_id}/guarantees", response={200: list[GuaranteeOut], **STATE_ERRORS})
@operation("quality.view")
def vehicle_guarantees(request: HttpRequest, vehicle_id: int, query: Query[GuaranteeQuery]) -> list[dict[str, Any]]:
    """The vehicle's repair guarantees, newest first (``open``: only those running today)."""
    user = request_user(request)
    vehicle_access(actor=user, vehicle_id=vehicle_id)
    today = timezone.localdate()
    rows = Guarantee.objects.filter(vehicle_id=vehicle_id).select_related("order", "line", "store")
    stores = visible_store_ids(user)
    if stores is not None:  # the guarantees of the caller's dealer group (its stores' sister stores too)
        rows = rows.filter(store__group_id__in=Store.all_objects.filter(pk__in=stores).values("group_id"))
    answer = []
    for row in rows.order_by("-delivered_on", "-pk")[:500]:
        day = store_calendar(row.store).local_date(timezone.now()) if row.store_id else today
        if query.open and not row.open_on(day):
            continue
        answer.append(guarantee_out(row, day))
    return answer


class GuaranteeTermOut(Schema):
    repair_category: CategoryName
    days: int
    km: int
    law_days: int = Field(description="The law's minimum (机动车维修管理规定).")
    law_km: int


class QualitySettingsOut(Schema):
    store: str
    final_checks: list[str]
    wash_checks: list[str]
    wash_skip: list[ServiceTypeName]
    delivery_checks: list[str]
    comeback_days: int
    certificate_from_platform: bool
    audit_every_days: int = Field(description="An internal quality evaluation every so many days (0: by hand only).")
    audit_sample_size: int = Field(description="Delivered orders sampled per evaluation.")
    guarantees: list[GuaranteeTermOut]


class QualityStoreQuery(InputSchema):
    store: StoreCode


def _settings_out(store: Any) -> dict[str, Any]:
    rules = services.quality_settings(store)
    terms = services.guarantee_terms(store.pk)
    return {
        "store": store.code,
        "final_checks": list(rules.final_checks),
        "wash_checks": list(rules.wash_checks),
        "wash_skip": list(rules.wash_skip),
        "delivery_checks": list(rules.delivery_checks),
        "comeback_days": rules.comeback_days,
        "certificate_from_platform": rules.certificate_from_platform,
        "audit_every_days": rules.audit_every_days,
        "audit_sample_size": rules.audit_sample_size,
        "guarantees": [
            {
                "repair_category": category,
                "days": terms[category][0],
                "km": terms[category][1],
                "law_days": law[0],
                "law_km": law[1],
            }
            for category, law in GUARANTEE.items()
        ],
    }


@router.get("/quality/settings", response={200: QualitySettingsOut, **STATE_ERRORS})
@operation("quality.view")
def quality_settings_get(request: HttpRequest, query: Query[QualityStoreQuery]) -> dict[str, Any]:
    """The store's quality rules and repair guarantees (the defaults until someone keeps them)."""
    return _settings_out(store_of(request, query.store, "quality.view"))


class GuaranteeTermIn(InputSchema):
    repair_category: CategoryName
    days: int | None = Field(default=None, ge=0, le=100_000, description="Null with ``km``: the law's.")
    km: int | None = Field(default=None, ge=0, le=10_000_000)


class QualitySettingsIn(InputSchema):
    store: StoreCode
    final_checks: list[Check] = Field(max_length=40)
    wash_checks: list[Check] = Field(max_length=40)
    wash_skip: list[ServiceTypeName] = Field(default=[], max_length=3)
    delivery_checks: list[Check] = Field(max_length=40, description="Exactly 24 checks.")
    comeback_days: int = Field(ge=0, le=100_000)
    certificate_from_platform: bool = False
    audit_every_days: int | None = Field(
        default=None, ge=0, le=100_000, description="0 to 366 (0: evaluations by hand only); absent: unchanged."
    )
    audit_sample_size: int | None = Field(default=None, ge=0, le=100_000, description="1 to 200; absent: unchanged.")
    guarantees: list[GuaranteeTermIn] = Field(
        default=[], max_length=6, description="The store's own terms; others unchanged."
    )


@router.put("/quality/settings", response={200: QualitySettingsOut, **STATE_ERRORS})
@operation("quality.settings")
def quality_settings_put(request: HttpRequest, payload: QualitySettingsIn) -> dict[str, Any]:
    """Keep the store's quality rules and its own repair guarantees; every wrong field is named and nothing
    is written."""
    store = store_of(request, payload.store, "quality.settings")
    quality_settings_save(
        actor=request_user(request),
        store_id=store.pk,
        data=SettingsIn(
            final_checks=list(payload.final_checks),
            wash_checks=list(payload.wash_checks),
            wash_skip=list(payload.wash_skip),
            delivery_checks=list(payload.delivery_checks),
            comeback_days=payload.comeback_days,
            certificate_from_platform=payload.certificate_from_platform,
            audit_every_days=payload.audit_every_days,
            audit_sample_size=payload.audit_sample_size,
            guarantees={term.repair_category: (term.days, term.km) for term in payload.guarantees},
        ),
    )
    return _settings_out(store)
