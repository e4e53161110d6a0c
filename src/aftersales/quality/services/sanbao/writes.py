"""The writes of the 三包 watch (SPEC LAW-4): what a line's fault is for 三包, what was done about an alert or
early warning, and the group's list of major assemblies and main parts as the brand's 三包凭证 names them;
each followed by evaluating the cars concerned again."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.access import can, can_for
from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.models import Store, User
from aftersales.customers.models import Vehicle
from aftersales.parts.models import Part
from aftersales.parts.selectors.parts import parts_family
from aftersales.quality import tasks
from aftersales.quality.models import MAJOR_ASSEMBLIES, SanbaoAlert, SanbaoLine, SanbaoPart, SanbaoSystem
from aftersales.quality.services.common import audit, not_found
from aftersales.quality.services.sanbao.alerts import sanbao_evaluate
from aftersales.quality.services.sanbao.rules import PERMISSION, S
from aftersales.visits.models import Line

logger = logging.getLogger(__name__)


# --- writes -------------------------------------------------------------------------------------------


def _line_for(actor: User, line_id: int, vehicle_id: int) -> Line:
    line = Line.objects.select_related("order", "store").filter(pk=line_id, vehicle_id=vehicle_id).first()
    if line is None:
        raise not_found()
    if not can(actor, PERMISSION, store_id=line.store_id):
        raise ApplicationError(_("You may not read lines for 三包 in this store."), code="forbidden", status=403)
    return line


def sanbao_line_set(
    *, actor: User, vehicle_id: int, line_id: int, cause: str, safety: str, note: str = ""
) -> SanbaoLine:
    """Record what the line's fault is for 三包 (a quality problem, an accident or misuse; which serious safety
    fault, if any), then evaluate the car again."""
    line = _line_for(actor, line_id, vehicle_id)
    errors: dict[str, list[str]] = {}
    if cause not in SanbaoLine.Cause.values:
        errors["cause"] = [_("Choose a quality problem, an accident or misuse.")]
    if safety not in S.values:
        errors["safety"] = [_("Choose one of the serious safety faults, or none.")]
    if len(note) > 200:
        errors["note"] = [_("At most 200 characters.")]
    if cause != SanbaoLine.Cause.QUALITY and safety:
        errors["safety"] = [_("Only a quality problem is read as a serious safety fault.")]
    if not line.is_repair:
        errors["line"] = [_("This line repairs no recorded fault (causal part and fault): 三包 does not count it.")]
    if errors:
        raise ApplicationError(_("Some fields need attention."), fields=errors, status=422)
    with transaction.atomic():
        reading, _created = SanbaoLine.objects.select_for_update().get_or_create(
            line=line,
            defaults={"store_id": line.store_id, "vehicle_id": vehicle_id, "set_by": actor},
        )
        before = {"cause": reading.cause, "safety": reading.safety, "note": reading.note}
        reading.cause, reading.safety, reading.note, reading.set_by = cause, safety, note.strip(), actor
        reading.save()
        audit(
            actor=actor,
            action="sanbao_line",
            object_type="visits.repairorder",
            object_id=line.order_id,
            object_repr=line.order.number,
            store_id=line.store_id,
            changes={"line": line.pk, "before": before, "after": {"cause": cause, "safety": safety, "note": note}},
        )
        group_id = line.store.group_id
        transaction.on_commit(lambda: sanbao_evaluate(vehicle_id, group_id=group_id), robust=True)
    return reading


def sanbao_alert_act(*, actor: User, alert_id: int, action: str, note: str) -> SanbaoAlert:
    """Record what was done about an alert or early warning; it is then dealt with."""
    alert = SanbaoAlert.objects.filter(pk=alert_id).first()
    if alert is None:
        raise not_found()
    if not can(actor, PERMISSION, store_id=alert.store_id):
        raise ApplicationError(_("You may not deal with 三包 alerts in this store."), code="forbidden", status=403)
    errors: dict[str, list[str]] = {}
    if action not in SanbaoAlert.Action.values:
        errors["action"] = [_("Choose what was done.")]
    note = note.strip()
    if len(note) > 500:
        errors["note"] = [_("At most 500 characters.")]
    elif action == SanbaoAlert.Action.OTHER and not note:
        errors["note"] = [_("Say what was done.")]
    if errors:
        raise ApplicationError(_("Some fields need attention."), fields=errors, status=422)
    with transaction.atomic():
        alert = SanbaoAlert.objects.select_for_update().get(pk=alert_id)
        if alert.state == SanbaoAlert.State.DONE:
            raise ConflictError(_("This alert has been dealt with already."), code="already_done")
        alert.state, alert.action, alert.action_note = SanbaoAlert.State.DONE, action, note
        alert.action_by, alert.action_at = actor, timezone.now()
        alert.save()
        audit(
            actor=actor,
            action="sanbao_alert",
            object_type="quality.sanbaoalert",
            object_id=alert.pk,
            object_repr=alert.subject,
            store_id=alert.store_id,
            changes={"rule": alert.rule, "level": alert.level, "action": action, "note": note},
        )
    return alert


def sanbao_part_set(*, actor: User, group_id: int, part_id: int, system: str, is_assembly: bool) -> SanbaoPart:
    """Name a part as a major assembly or a main part of a system, as the brand's 三包凭证 lists it."""
    errors: dict[str, list[str]] = {}
    part = Part.objects.filter(pk=part_id, group_id=group_id).first()
    if part is None:
        errors["part"] = [_("No such part in the group's part master.")]
    if system not in SanbaoSystem.values:
        errors["system"] = [_("Choose a system.")]
    elif is_assembly and system not in MAJOR_ASSEMBLIES:
        errors["is_assembly"] = [_("Only an engine, gearbox, traction battery or drive motor is a major assembly.")]
    if errors:
        raise ApplicationError(_("Some fields need attention."), fields=errors, status=422)
    with transaction.atomic():
        row, created = SanbaoPart.objects.update_or_create(
            part_id=part_id,
            defaults={"group_id": group_id, "system": system, "is_assembly": is_assembly, "created_by": actor},
        )
        audit_append(
            actor=actor,
            action="sanbao_part",
            object_type="parts.part",
            object_id=str(part_id),
            object_repr=part.number_display if part else "",
            changes={"system": system, "is_assembly": is_assembly, "created": created},
        )
        transaction.on_commit(lambda: tasks.sanbao_part_cars(group_id, part_id))
    return row


def sanbao_part_reevaluate(*, group_id: int, part_id: int) -> int:
    """Evaluate the group's household cars whose lines repaired or fitted a part of ``part_id``'s supersession
    chain: a listing added or taken off may reach a rule (or take one away) for cars already delivered."""
    chain = parts_family({part_id}).get(part_id, frozenset({part_id}))
    cars = (
        Line.all_objects.filter(Q(causal_part_id__in=chain) | Q(part_id__in=chain), store__group_id=group_id)
        .filter(vehicle__use_type=Vehicle.UseType.HOUSEHOLD)
        .values_list("vehicle_id", flat=True)
        .distinct()
        .order_by("vehicle_id")
    )
    raised = 0
    for vehicle_id in cars:
        try:
            raised += len(sanbao_evaluate(vehicle_id, group_id=group_id))
        except Exception:  # as the sweep: one car's failure keeps no other back
            logger.exception("三包 evaluation of vehicle %s failed", vehicle_id)
    return raised


def sanbao_part_remove(*, actor: User, part_id: int) -> None:
    """Take a part off the group's list (a holder of ``quality.sanbao`` in a store of its group)."""
    with transaction.atomic():
        row = SanbaoPart.objects.filter(part_id=part_id).select_related("part").first()
        stores = Store.all_objects.filter(group_id=row.group_id).values_list("pk", flat=True) if row else []
        if row is None or not can_for(actor, PERMISSION, store_ids=list(stores)):
            raise not_found()
        audit_append(
            actor=actor,
            action="sanbao_part_off",
            object_type="parts.part",
            object_id=str(part_id),
            object_repr=row.part.number_display,
            changes={"system": row.system},
        )
        group_id = row.group_id
        row.delete()
        transaction.on_commit(lambda: tasks.sanbao_part_cars(group_id, part_id))
