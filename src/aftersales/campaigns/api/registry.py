"""The campaign registry: list, enter and change drafts, the vehicles a campaign affects (the issuer's
VIN list, VIN ranges, models built in a period), open and close."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from aftersales.campaigns import selectors, services
from aftersales.campaigns.api.common import (
    CampaignOut,
    CampaignRowOut,
    Kind,
    ModelPeriodOut,
    RangeOut,
    State,
    caller_group,
    campaign_out,
    row_out,
)
from aftersales.campaigns.selectors import campaign_access
from aftersales.campaigns.services import PartLine
from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema, ListQuery, Page, paginate
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Brand
from aftersales.core.routing import operation, request_user
from aftersales.parts.models import Part, part_number_normalise

router = Router(tags=["campaigns"])


class CampaignQuery(ListQuery):
    state: State | None = None
    kind: Kind | None = None
    brand: str = Field(default="", max_length=20, description="Brand code.")
    q: str = Field(default="", max_length=60, description="Part of the number or the title.")


def _brand_id(code: str) -> int | None:
    if not code:
        return None
    brand = Brand.objects.filter(code=code).first()
    if brand is None:
        raise ApplicationError(_("Unknown brand."), field="brand")
    return brand.pk


@router.get("/campaigns", response={200: Page[CampaignRowOut], **ERRORS})
@operation("campaigns.view")
def campaign_list(request: HttpRequest, query: Query[CampaignQuery]) -> dict[str, Any]:
    """The group's recalls and campaigns, newest first, filtered by state, kind, brand and text."""
    rows = selectors.campaign_list(
        group_id=caller_group(request).pk,
        state=query.state or "",
        kind=query.kind or "",
        brand_id=_brand_id(query.brand),
        query=query.q,
    )
    page = paginate(
        rows, query, ordering_fields=("code", "valid_from", "valid_until"), default_ordering=("-valid_from", "code")
    )
    page["items"] = [row_out(row) for row in page["items"]]
    return page


class PartIn(InputSchema):
    part: str = Field(min_length=1, max_length=60, description="Part number.")
    quantity: Decimal = Field(gt=0, max_digits=10, decimal_places=3)


class CampaignFields(InputSchema):
    kind: Kind
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000, json_schema_extra={"x-multiline": True})
    operation: int = Field(ge=1, le=2**62, description="The labour operation to perform (its id).")
    valid_from: date
    valid_until: date | None = None
    parts: list[PartIn] = Field(default_factory=list, max_length=50)


class CampaignIn(CampaignFields):
    code: str = Field(min_length=1, max_length=40, description="The issuer's number, unique in the group.")
    brand: str = Field(default="", max_length=20, description="Brand code; empty: every brand.")


class CampaignPatch(InputSchema):
    kind: Kind | None = None
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000, json_schema_extra={"x-multiline": True})
    operation: int | None = Field(default=None, ge=1, le=2**62)
    valid_from: date | None = None
    valid_until: date | None = None
    parts: list[PartIn] | None = Field(default=None, max_length=50)


def _part_lines(group_id: int, parts: list[PartIn]) -> list[PartLine]:
    numbers = {part_number_normalise(line.part) for line in parts}
    found = dict(Part.objects.filter(group_id=group_id, number__in=numbers).values_list("number", "pk"))
    return [PartLine(part_id=found.get(part_number_normalise(line.part), 0), quantity=line.quantity) for line in parts]


def _data(payload: InputSchema, *, exclude: set[str]) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True, exclude=exclude | {"parts"})
    if "operation" in data:
        data["operation_id"] = data.pop("operation")
    return data


@router.post("/campaigns", response={201: CampaignOut, **ERRORS})
@operation("campaigns.manage")
def campaign_create(request: HttpRequest, payload: CampaignIn) -> Status[dict[str, Any]]:
    """Enter a campaign as a draft; what it affects is added next, then it is opened."""
    group = caller_group(request, "campaigns.manage")
    row = services.campaign_save(
        actor=request_user(request),
        group_id=group.pk,
        code=payload.code,
        brand_id=_brand_id(payload.brand),
        data={**_data(payload, exclude={"code", "brand"}), "valid_until": payload.valid_until},
        parts=_part_lines(group.pk, payload.parts),
    )
    return Status(201, campaign_out(request, row.pk))


@router.get("/campaigns/{id:campaign_id}", response={200: CampaignOut, **ERRORS})
@operation("campaigns.view")
def campaign_detail(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    """A campaign: its parts, the vehicles it affects, and its outreach per store."""
    row = campaign_access(actor=request_user(request), campaign_id=campaign_id)
    return campaign_out(request, row.pk)


@router.patch("/campaigns/{id:campaign_id}", response={200: CampaignOut, **ERRORS})
@operation("campaigns.manage")
def campaign_update(request: HttpRequest, campaign_id: int, payload: CampaignPatch) -> dict[str, Any]:
    """Change a draft (409 once it is open); only the fields sent change, ``parts`` replaces the parts."""
    row = campaign_access(actor=request_user(request), campaign_id=campaign_id)
    services.campaign_save(
        actor=request_user(request),
        group_id=row.group_id,
        campaign_id=row.pk,
        data=_data(payload, exclude=set()),
        parts=_part_lines(row.group_id, payload.parts) if payload.parts is not None else None,
    )
    return campaign_out(request, row.pk)


class OpenedOut(CampaignOut):
    outreach_queued: bool = Field(
        description="A recall: the notices to its owners (and the call tasks for the unreachable) are being "
        "sent by a background job; ``progress`` fills in as it goes."
    )
    message: str = Field(description="What was done, in the caller's language.")


@router.post("/campaigns/{id:campaign_id}/open", response={200: OpenedOut, **ERRORS})
@operation("campaigns.manage")
def campaign_open(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    """Open a draft: bookings offer it from now on; a recall's affected owners get their notice, those
    who cannot be reached a call task, from a job that starts at once. 422 when it affects nothing or
    today lies outside its validity; 409 when not a draft."""
    row = services.campaign_open(actor=request_user(request), campaign_id=campaign_id)
    return {
        **campaign_out(request, row.pk),
        "outreach_queued": services.chases_owners(row),
        "message": services.campaign_opened_message(row),
    }


class CloseIn(InputSchema):
    note: str = Field(default="", max_length=500)


@router.post("/campaigns/{id:campaign_id}/close", response={200: CampaignOut, **ERRORS})
@operation("campaigns.manage")
def campaign_close(request: HttpRequest, campaign_id: int, payload: CloseIn) -> dict[str, Any]:
    """Close an open campaign (``{}`` or a note): offered no more (409 when not open)."""
    row = services.campaign_close(actor=request_user(request), campaign_id=campaign_id, note=payload.note)
    return campaign_out(request, row.pk)


class VinImportOut(Schema):
    rows: int = Field(description="Rows read below the header.")
    added: int = Field(description="VINs new to the list.")
    repeated: int = Field(description="Rows whose VIN the file or the list held already.")
    vin_count: int


@router.post("/campaigns/{id:campaign_id}/vins", response={200: VinImportOut, **ERRORS})
@operation("campaigns.manage")
def campaign_vins_import(request: HttpRequest, campaign_id: int, file: File[UploadedFile]) -> dict[str, Any]:
    """Import the issuer's VIN list into a draft (.xlsx or .csv, a column VIN / 车架号). Any wrong row (a
    bad check digit, length or character) refuses the file whole, each named as ``rows.N.vin``."""
    result = services.vin_list_import(actor=request_user(request), campaign_id=campaign_id, upload=file)
    row = campaign_access(actor=request_user(request), campaign_id=campaign_id)
    return {
        "rows": result.rows,
        "added": result.added,
        "repeated": result.repeated,
        "vin_count": selectors.vin_count(row),
    }


class RangeIn(InputSchema):
    first_vin: str = Field(min_length=1, max_length=30)
    last_vin: str = Field(min_length=1, max_length=30)


@router.post("/campaigns/{id:campaign_id}/ranges", response={201: RangeOut, **ERRORS})
@operation("campaigns.manage")
def campaign_range_add(request: HttpRequest, campaign_id: int, payload: RangeIn) -> Status[dict[str, Any]]:
    """Add a VIN range to a draft: both ends alike in the first 11 characters (the 9th, each VIN's check
    digit, aside), the first's serial (last 6) not after the last's."""
    row = services.vin_range_add(
        actor=request_user(request), campaign_id=campaign_id, first_vin=payload.first_vin, last_vin=payload.last_vin
    )
    return Status(201, {"id": row.pk, "prefix": row.prefix, "serial_from": row.serial_from, "serial_to": row.serial_to})


class ModelPeriodIn(InputSchema):
    model: int = Field(ge=1, le=2**62, description="The vehicle model (its id).")
    produced_from: date | None = None
    produced_until: date | None = None


@router.post("/campaigns/{id:campaign_id}/models", response={201: ModelPeriodOut, **ERRORS})
@operation("campaigns.manage")
def campaign_model_add(request: HttpRequest, campaign_id: int, payload: ModelPeriodIn) -> Status[dict[str, Any]]:
    """Add the vehicles of a model built in a period (either end may be open) to a draft."""
    row = services.model_range_add(
        actor=request_user(request),
        campaign_id=campaign_id,
        model_id=payload.model,
        produced_from=payload.produced_from,
        produced_until=payload.produced_until,
    )
    return Status(
        201,
        {
            "id": row.pk,
            "model_id": row.model_id,
            "model": str(row.model),
            "produced_from": row.produced_from,
            "produced_until": row.produced_until,
        },
    )
