"""The workshop's rules a store keeps: its service levels (per service type, how soon an order is dispatched
and done) and its workshop settings (clock overlap, reminders, handover time, progress messages)."""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Field
from django.utils.translation import gettext as _

from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.models import User
from aftersales.parts.services import store_access
from aftersales.workshop.models import ServiceLevel, ServiceType, WorkshopSettings
from aftersales.workshop.services.common import service_levels

PERMISSION = "workshop.settings"
DISPATCH_RANGE = (1, 14400)  # minutes: up to ten days
COMPLETE_RANGE = (1, 43200)  # minutes: up to thirty days
SETTINGS_FIELDS = (
    "clock_overlap",
    "reminder_minutes",
    "handover_minutes",
    "notify_approved",
    "notify_started",
    "notify_waiting",
)


def _invalid(errors: dict[str, list[str]]) -> ApplicationError:
    return ApplicationError(_("Some fields need attention."), code="invalid", fields=errors)


def _range_problem(value: int | None, bounds: tuple[int, int]) -> str | None:
    if value is None or bounds[0] <= value <= bounds[1]:
        return None
    return _("Enter minutes from %(low)d to %(high)d, or leave it blank.") % {"low": bounds[0], "high": bounds[1]}


def service_levels_save(
    *, actor: User, store_id: int, levels: dict[str, tuple[int | None, int | None]]
) -> dict[str, tuple[int, int | None]]:
    """Keep the store's service levels, per service type (dispatched within, done within) in minutes of open
    time. A blank dispatch time puts the type back on the defaults (its done-within must be blank too); a
    blank done-within keeps no completion deadline. Errors name ``<type>_dispatch`` / ``<type>_complete``;
    nothing is written unless every value is right. One audit entry per save that changes anything."""
    store = store_access(actor=actor, store_id=store_id, permission=PERMISSION)
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(levels) - set(ServiceType.values))
    for name in unknown:
        errors[name] = [_("Unknown service type.")]
    for kind, (dispatch, complete) in levels.items():
        if kind in unknown:
            continue
        if problem := _range_problem(dispatch, DISPATCH_RANGE):
            errors[f"{kind}_dispatch"] = [problem]
        if problem := _range_problem(complete, COMPLETE_RANGE):
            errors[f"{kind}_complete"] = [problem]
        elif dispatch is None and complete is not None:
            errors[f"{kind}_complete"] = [_("Give the dispatch time too, or leave both blank for the defaults.")]
    if errors:
        raise _invalid(errors)
    with transaction.atomic():
        kept = {
            row.service_type: row for row in ServiceLevel.objects.select_for_update().filter(store=store).order_by("pk")
        }
        before = service_levels(store.pk)
        for kind, (dispatch, complete) in levels.items():
            row = kept.get(kind)
            if dispatch is None:
                if row is not None:
                    row.delete()
                continue
            if row is None:
                ServiceLevel.objects.create(
                    store=store, service_type=kind, dispatch_minutes=dispatch, complete_minutes=complete
                )
            elif (row.dispatch_minutes, row.complete_minutes) != (dispatch, complete):
                row.dispatch_minutes, row.complete_minutes = dispatch, complete
                row.save(update_fields=["dispatch_minutes", "complete_minutes"])
        after = service_levels(store.pk)
        changes = {kind: [list(before[kind]), list(after[kind])] for kind in after if before[kind] != after[kind]}
        if changes:
            audit_append(
                action="update",
                actor=actor,
                store_id=store.pk,
                object_type="workshop.servicelevel",
                object_id=str(store.pk),
                object_repr=store.code,
                changes=changes,
            )
    return after


def workshop_settings_save(*, actor: User, store_id: int, data: dict[str, Any]) -> WorkshopSettings:
    """Change the store's workshop settings (only the fields given), each checked by its field's rules;
    the first save keeps the store's row (until then the defaults apply). Audited by the record."""
    store = store_access(actor=actor, store_id=store_id, permission=PERMISSION)
    unknown = sorted(set(data) - set(SETTINGS_FIELDS))
    if unknown:
        raise _invalid({name: [_("Unknown field.")] for name in unknown})
    with transaction.atomic():
        rules = WorkshopSettings.all_objects.select_for_update().filter(store=store).first()
        if rules is None:
            rules = WorkshopSettings(store=store)
        errors: dict[str, list[str]] = {}
        for name, value in data.items():
            model_field = cast("Field[Any, Any]", WorkshopSettings._meta.get_field(name))
            try:
                setattr(rules, name, model_field.clean(value, rules))
            except ValidationError as error:
                errors[name] = list(error.messages)
        if errors:
            raise _invalid(errors)
        try:
            with transaction.atomic():
                rules.save(actor=actor)
        except IntegrityError as error:  # two first saves at once: the other one won
            raise ConflictError(_("Someone saved these settings at the same moment: try again.")) from error
    return rules
