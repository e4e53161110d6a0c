"""The open campaigns of a vehicle: what booking, reception and completion ask of the registry."""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from aftersales.campaigns import selectors
from aftersales.campaigns.api.common import Kind
from aftersales.core import identifiers
from aftersales.core.access import can
from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema
from aftersales.core.calendar import store_today
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Store
from aftersales.core.routing import operation, request_user
from aftersales.customers.models import Vehicle, VehicleModel
from aftersales.customers.selectors import vehicle_access
from aftersales.parts.api.common import StoreCode, store_of

router = Router(tags=["campaigns"])


class MatchQuery(InputSchema):
    vin: str = Field(min_length=1, max_length=30)
    store: StoreCode
    model: int | None = Field(
        default=None, ge=1, le=2**62, description="The model (its id), for a VIN the archive does not know."
    )
    production_date: date | None = Field(default=None, description="When the vehicle was built, likewise.")


class MatchedOut(Schema):
    id: int
    code: str
    kind: Kind
    title: str
    service_ref: str = Field(description="What a booking adds: ``operation:<id>``.")
    operation: str = Field(description="The labour operation's code and name.")
    valid_until: date | None


class MatchOut(Schema):
    vin: str
    vehicle: int | None = Field(
        description="The archive's vehicle of that VIN (its model and date are used), shown only to a caller who "
        "sees the archive (``customers.view``) in the store asked; else null."
    )
    campaigns: list[MatchedOut]


def _sees(request: HttpRequest, store: Store, vehicle: Vehicle) -> bool:
    """Whether the caller may see the archive's vehicle from the store asked (``customers.view`` there,
    and the archive's own access rule)."""
    user = request_user(request)
    if not can(user, "customers.view", store_id=store.pk):
        return False
    try:
        vehicle_access(actor=user, vehicle_id=vehicle.pk)
    except ApplicationError:
        return False
    return True


@router.get("/campaigns/match", response={200: MatchOut, **ERRORS})
@operation("campaigns.view")
def campaign_match(request: HttpRequest, query: Query[MatchQuery]) -> dict[str, Any]:
    """The campaigns of the store's group open today for the VIN (listed, in a range, or of the model
    built in a period), but those the vehicle has completed. The archive's vehicle of that VIN gives
    its model and production date; else ``model`` and ``production_date`` may."""
    store = store_of(request, query.store, "campaigns.view")
    try:
        vin = identifiers.clean_vin(query.vin, allow_bad_check_digit=True)
    except ValidationError as error:
        raise ApplicationError(" ".join(error.messages), field="vin", status=422) from None
    vehicle = Vehicle.objects.filter(vin=vin).only("pk", "vin", "model_id", "production_date").first()
    day = store_today(store)
    if vehicle is not None:
        found = selectors.vehicle_open_campaigns(group_id=store.group_id, vehicle=vehicle, day=day)
    else:
        if query.model is not None and not VehicleModel.objects.filter(pk=query.model).exists():
            raise ApplicationError(_("Unknown model."), field="model", status=422)
        found = selectors.open_campaigns(
            group_id=store.group_id, vin=vin, day=day, model_id=query.model, production_date=query.production_date
        )
    return {
        "vin": vin,
        "vehicle": vehicle.pk if vehicle is not None and _sees(request, store, vehicle) else None,
        "campaigns": [
            {
                "id": row.pk,
                "code": row.code,
                "kind": row.kind,
                "title": row.title,
                "service_ref": f"operation:{row.operation_id}",
                "operation": f"{row.operation.code} {row.operation.name}",
                "valid_until": row.valid_until,
            }
            for row in found
        ],
    }
