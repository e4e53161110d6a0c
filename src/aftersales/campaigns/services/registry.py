"""Writes to the campaign registry: a campaign and its parts, the vehicles it affects (a VIN list, VIN
ranges, models built in a period), each checked whole before anything is written. What a campaign
affects is changed only while it is a draft: the matches and the outreach rest on it once it is open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.campaigns.models import (
    VIN_PREFIX_LENGTH,
    Campaign,
    CampaignModelRange,
    CampaignPart,
    CampaignVin,
    CampaignVinRange,
)
from aftersales.campaigns.selectors import campaign_access, range_key
from aftersales.catalogue.models import LabourOperation
from aftersales.core import identifiers
from aftersales.core.access import can
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.models import Brand, User
from aftersales.customers.models import VehicleModel
from aftersales.parts.models import Part

FIELDS = ("kind", "title", "description", "operation_id", "valid_from", "valid_until")
TITLE_MAX = 200
DESCRIPTION_MAX = 2000
CODE_MAX = 40


@dataclass(frozen=True)
class PartLine:
    part_id: int
    quantity: Decimal


def _manage(actor: User | None) -> None:
    if actor is not None and not can(actor, "campaigns.manage"):
        raise ApplicationError(_("You may not change the campaign registry."), code="forbidden", status=403)


def _draft(campaign: Campaign) -> None:
    if campaign.state != Campaign.State.DRAFT:
        raise ConflictError(
            _("Campaign %(code)s is %(state)s: only a draft can be changed.")
            % {"code": campaign.code, "state": campaign.get_state_display()},
            code="not_allowed",
        )


def draft_access(*, actor: User, campaign_id: int, for_update: bool = False) -> Campaign:
    """The draft the actor keeps (locked when asked): 403 without ``campaigns.manage``, 404 when not in
    the actor's registry, 409 when no longer a draft."""
    _manage(actor)
    campaign = campaign_access(actor=actor, campaign_id=campaign_id, for_update=for_update)
    _draft(campaign)
    return campaign


def _parts_problems(group_id: int, brand_id: int | None, parts: list[PartLine]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    found = Part.objects.filter(group_id=group_id).in_bulk({line.part_id for line in parts})
    seen: set[int] = set()
    for index, line in enumerate(parts):
        part = found.get(line.part_id)
        if part is None or (brand_id is not None and part.brand_id != brand_id):
            errors[f"parts.{index}.part"] = [_("Choose a part of the campaign's brand.")]
        elif line.part_id in seen:
            errors[f"parts.{index}.part"] = [_("%(part)s is listed twice.") % {"part": part.number_display}]
        elif line.quantity <= 0:
            errors[f"parts.{index}.quantity"] = [_("Enter a quantity greater than zero.")]
        elif line.quantity != line.quantity.quantize(part.quantity_step()) or line.quantity >= Decimal("1e7"):
            errors[f"parts.{index}.quantity"] = [
                _("%(part)s allows at most %(n)s decimals.") % {"part": part.number_display, "n": part.decimals}
            ]
        seen.add(line.part_id)
    return errors


def campaign_save(
    *,
    actor: User | None,
    group_id: int,
    data: dict[str, Any],
    parts: list[PartLine] | None = None,
    campaign_id: int | None = None,
    code: str = "",
    brand_id: int | None = None,
) -> Campaign:
    """Create a draft campaign (``code``, the issuer's number, unique in the group; ``brand_id`` or None
    for every brand) or change a draft; ``parts`` replaces its parts when given. Every field is checked
    at once; refused whole (422, nothing written)."""
    _manage(actor)
    campaign: Campaign | None = None
    errors: dict[str, list[str]] = {}
    if campaign_id is not None:
        campaign = Campaign.objects.filter(pk=campaign_id, group_id=group_id).first()
        if campaign is None:
            raise ApplicationError(_("Not found."), code="not_found", status=404)
        _draft(campaign)
        brand_id = campaign.brand_id
    else:
        code = code.strip().upper()
        if not code:
            errors["code"] = [_("Enter the campaign number.")]
        elif len(code) > CODE_MAX:
            errors["code"] = [_("Enter at most %(n)s characters.") % {"n": CODE_MAX}]
        elif Campaign.objects.filter(group_id=group_id, code=code).exists():
            errors["code"] = [_("Campaign %(code)s exists already.") % {"code": code}]
        if brand_id is not None and not Brand.objects.filter(pk=brand_id).exists():
            errors["brand"] = [_("Choose a brand.")]
    merged: dict[str, Any] = {name: getattr(campaign, name) for name in FIELDS} if campaign else {}
    merged.update({key: value for key, value in data.items() if key in FIELDS})
    merged["title"] = str(merged.get("title") or "").strip()
    merged["description"] = str(merged.get("description") or "").strip()
    if merged.get("kind") not in Campaign.Kind.values:
        errors["kind"] = [_("Choose recall, service campaign, free inspection or promotion.")]
    if not merged["title"]:
        errors["title"] = [_("This field is required.")]
    elif len(merged["title"]) > TITLE_MAX:
        errors["title"] = [_("Enter at most %(n)s characters.") % {"n": TITLE_MAX}]
    if len(merged["description"]) > DESCRIPTION_MAX:
        errors["description"] = [_("Enter at most %(n)s characters.") % {"n": DESCRIPTION_MAX}]
    operation = LabourOperation.objects.filter(pk=merged.get("operation_id") or 0, group_id=group_id).first()
    if operation is None or not operation.is_active or operation.brand_id not in (None, brand_id):
        errors["operation"] = [_("Choose an active labour operation of the campaign's brand.")]
    valid_from, valid_until = merged.get("valid_from"), merged.get("valid_until")
    if not isinstance(valid_from, date):
        errors["valid_from"] = [_("This field is required.")]
    elif isinstance(valid_until, date) and valid_until < valid_from:
        errors["valid_until"] = [_("The campaign cannot end before it starts.")]
    if parts is not None:
        errors |= _parts_problems(group_id, brand_id, parts)
    if errors:
        raise ApplicationError(_("Check the campaign."), fields=errors, status=422)
    with transaction.atomic():
        if campaign is None:
            campaign = Campaign(group_id=group_id, brand_id=brand_id, code=code, created_by=actor)
        for name, value in merged.items():
            setattr(campaign, name, value)
        campaign.save(actor=actor)
        if parts is not None:
            CampaignPart.objects.filter(campaign=campaign).delete()
            CampaignPart.objects.bulk_create(
                CampaignPart(campaign=campaign, part_id=line.part_id, quantity=line.quantity) for line in parts
            )
    return campaign


def _vin_end(value: str, field: str, errors: dict[str, list[str]]) -> str:
    # A range's ends are the issuer's first and last VIN; the 9th character of each is that VIN's own
    # check digit, so it is checked on neither end nor compared between them (see ``range_key``).
    try:
        return identifiers.clean_vin(value, allow_bad_check_digit=True)
    except ValidationError as error:
        errors[field] = list(error.messages)
        return ""


def vin_range_add(*, actor: User, campaign_id: int, first_vin: str, last_vin: str) -> CampaignVinRange:
    """Add the vehicles from ``first_vin`` to ``last_vin`` to a draft: both ends alike in their first 11
    characters (but the check digit, the 9th), the serial (the last 6) of the first not after the last's."""
    _manage(actor)
    errors: dict[str, list[str]] = {}
    first = _vin_end(first_vin, "first_vin", errors)
    last = _vin_end(last_vin, "last_vin", errors)
    if first and last:
        if range_key(first) != range_key(last):
            errors["last_vin"] = [
                _(
                    "The ends of a range differ in their first 11 characters (the 9th, a check digit, aside): "
                    "%(a)s ≠ %(b)s."
                )
                % {"a": first[:VIN_PREFIX_LENGTH], "b": last[:VIN_PREFIX_LENGTH]}
            ]
        elif last[VIN_PREFIX_LENGTH:] < first[VIN_PREFIX_LENGTH:]:
            errors["last_vin"] = [
                _("The last serial (%(last)s) comes before the first (%(first)s).")
                % {"last": last[VIN_PREFIX_LENGTH:], "first": first[VIN_PREFIX_LENGTH:]}
            ]
    with transaction.atomic():
        campaign = campaign_access(actor=actor, campaign_id=campaign_id, for_update=True)
        _draft(campaign)
        if errors:
            raise ApplicationError(_("Check the VIN range."), fields=errors, status=422)
        return CampaignVinRange.objects.create(
            campaign=campaign,
            prefix=range_key(first),
            serial_from=first[VIN_PREFIX_LENGTH:],
            serial_to=last[VIN_PREFIX_LENGTH:],
        )


def model_range_add(
    *,
    actor: User,
    campaign_id: int,
    model_id: int,
    produced_from: date | None = None,
    produced_until: date | None = None,
) -> CampaignModelRange:
    """Add the vehicles of a model built in a period (either end open) to a draft."""
    _manage(actor)
    with transaction.atomic():
        campaign = campaign_access(actor=actor, campaign_id=campaign_id, for_update=True)
        _draft(campaign)
        errors: dict[str, list[str]] = {}
        model = VehicleModel.objects.filter(pk=model_id).first()
        if model is None or (campaign.brand_id is not None and model.brand_id != campaign.brand_id):
            errors["model"] = [_("Choose a model of the campaign's brand.")]
        if produced_from and produced_until and produced_until < produced_from:
            errors["produced_until"] = [_("The period cannot end before it starts.")]
        if errors:
            raise ApplicationError(_("Check the model and period."), fields=errors, status=422)
        return CampaignModelRange.objects.create(
            campaign=campaign, model_id=model_id, produced_from=produced_from, produced_until=produced_until
        )


DEFINITIONS: dict[str, Any] = {"range": CampaignVinRange, "model": CampaignModelRange, "vins": CampaignVin}


def definition_remove(*, actor: User, campaign_id: int, kind: str, row_id: int | None = None) -> int:
    """Remove a VIN range or a model period of a draft (``kind`` "range" or "model", by id), or its whole
    VIN list (``kind`` "vins"); returns the rows removed."""
    _manage(actor)
    model = DEFINITIONS.get(kind)
    if model is None:
        raise ApplicationError(_("Unknown action."), code="unknown_action", field="kind")
    with transaction.atomic():
        campaign = campaign_access(actor=actor, campaign_id=campaign_id, for_update=True)
        _draft(campaign)
        rows = model.objects.filter(campaign=campaign)
        if kind != "vins":
            rows = rows.filter(pk=row_id or 0)
        removed, _detail = rows.delete()
        if not removed and kind != "vins":
            raise ApplicationError(_("Not found."), code="not_found", status=404)
    return removed


def vins_add(*, actor: User, campaign_id: int, vins: list[str]) -> int:
    """Add checked VINs to a draft's list (those listed already are skipped); returns the rows added."""
    _manage(actor)
    added = 0
    with transaction.atomic():
        campaign = campaign_access(actor=actor, campaign_id=campaign_id, for_update=True)
        _draft(campaign)
        before = CampaignVin.objects.filter(campaign=campaign).count()
        for start in range(0, len(vins), 5000):
            CampaignVin.objects.bulk_create(
                (CampaignVin(campaign=campaign, vin=vin) for vin in vins[start : start + 5000]),
                ignore_conflicts=True,
            )
        added = CampaignVin.objects.filter(campaign=campaign).count() - before
    return added
