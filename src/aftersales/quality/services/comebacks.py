"""Comebacks (返修, external rework; SPEC QC-2, LAW-1): a new order on a car inside an open repair
guarantee of earlier work, or inside the store's comeback window after its delivery, whose work has the
same operation category, the same part (or a number of its supersession chain) or the same fault code is
flagged and linked to the original order, when the order is signed and when a line is added. The QC
inspector confirms it (the matching lines become the ``comeback`` pay type: free to the customer, at the
store's cost, approved by the QC confirmation) or rejects it. A comeback inside the guarantee is free to
the customer (机动车维修管理规定 第四十条: a failure within the guarantee period caused by the repair is
repaired again free of charge)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.catalogue.models import LabourOperation
from aftersales.catalogue.paytypes import PayType
from aftersales.core.access import can
from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.models import User
from aftersales.messaging.services import canonical_hash
from aftersales.parts.selectors.parts import parts_family
from aftersales.quality.models import Comeback, ComebackLine, Guarantee
from aftersales.quality.services.common import not_found, quality_settings
from aftersales.visits.models import Line, LineApproval, RepairOrder, RepairOrderEvent
from aftersales.visits.services.approvals import ApprovalIn, Decision, approvals_record
from aftersales.visits.services.lines import line_requote
from aftersales.visits.services.orders import line_snapshot
from aftersales.workshop.models import Job

PERMISSION = "visits.qc_confirm"
M = ComebackLine.Match
# Work that coming back for again is no sign of a repair gone wrong.
NOT_COMPARED = frozenset({LabourOperation.Category.WASH, LabourOperation.Category.DIAGNOSIS})
# New work that is never a comeback: a recall or campaign, and fees.
NEVER = frozenset({PayType.OEM_CAMPAIGN})
# While the work is not delivered, who pays for it may still change.
CONFIRMABLE = (RepairOrder.State.OPEN, RepairOrder.State.IN_WORK, RepairOrder.State.COMPLETED, RepairOrder.State.READY)
LIVE_LINES = (Line.State.PROPOSED, Line.State.APPROVED, Line.State.DISPATCHED, Line.State.IN_PROGRESS, Line.State.DONE)


def watched(
    vehicle_id: int, *, day: date, exclude_order: int | None = None, group_id: int | None = None
) -> list[Guarantee]:
    """The car's guarantees a new order is checked against on ``day`` (of the dealer group's stores, when
    given): one index scan of (vehicle, watch_to)."""
    rows = Guarantee.objects.filter(vehicle_id=vehicle_id, watch_to__gte=day)
    if group_id is not None:
        rows = rows.filter(store__group_id=group_id)
    if exclude_order is not None:
        rows = rows.exclude(order_id=exclude_order)
    return list(rows)


def _matches(lines: list[Line], guarantees: list[Guarantee]) -> dict[tuple[int, int], list[str]]:
    """(new line, guarantee) -> what matches."""
    parts = {p for line in lines for p in (line.part_id, line.causal_part_id) if p is not None}
    parts |= {p for guarantee in guarantees for p in guarantee.part_ids}
    family = parts_family(parts) if parts else {}
    found: dict[tuple[int, int], list[str]] = {}
    for line in lines:
        if line.pay_type in NEVER or line.kind == Line.Kind.FEE or line.state not in LIVE_LINES:
            continue
        category = line.operation.category if line.kind == Line.Kind.LABOUR and line.operation else ""
        mine = {p for p in (line.part_id, line.causal_part_id) if p is not None}
        chains = frozenset().union(*(family[p] for p in mine)) if mine else frozenset()
        for guarantee in guarantees:
            why = []
            if category and category not in NOT_COMPARED and category == guarantee.operation_category:
                why.append(M.CATEGORY)
            if chains and chains & set(guarantee.part_ids):
                why.append(M.PART)
            if line.fault_code and line.fault_code == guarantee.fault_code:
                why.append(M.FAULT)
            if why:
                found[(line.pk, guarantee.pk)] = [str(reason) for reason in why]
    return found


def comeback_check(order: RepairOrder, lines: list[Line], actor: User | None) -> list[Comeback]:
    """Check new work on ``order`` against the car's earlier delivered work (in the caller's transaction:
    the order's signing or a line added). Flags one comeback per earlier order, with the matching lines;
    adds lines to one still to be decided. One query when the car has nothing to be checked against."""
    today = store_calendar(order.store).local_date(timezone.now())
    candidates = watched(order.vehicle_id, day=today, exclude_order=order.pk, group_id=order.store.group_id)
    if not candidates:
        return []
    window = timedelta(days=quality_settings(order.store_id).comeback_days)
    candidates = [g for g in candidates if g.open_on(today, order.mileage_in) or today <= g.delivered_on + window]
    if not candidates:
        return []
    for line in lines:  # the operations of the new lines, read once
        if line.operation_id is not None and "operation" not in line._state.fields_cache:
            line.operation = LabourOperation.objects.get(pk=line.operation_id)
    found = _matches(lines, candidates)
    if not found:
        return []
    by_guarantee = {g.pk: g for g in candidates}
    per_original: dict[int, list[tuple[int, Guarantee, list[str]]]] = defaultdict(list)
    for (line_id, guarantee_id), why in found.items():
        guarantee = by_guarantee[guarantee_id]
        per_original[guarantee.order_id].append((line_id, guarantee, why))
    flagged: list[Comeback] = []
    for original_id, rows in sorted(per_original.items()):
        comeback = Comeback.all_objects.filter(order=order, original_id=original_id).first()
        if comeback is None:
            comeback = Comeback(
                store_id=order.store_id,
                order=order,
                original_id=original_id,
                vehicle_id=order.vehicle_id,
                in_guarantee=any(g.open_on(today, order.mileage_in) for _line, g, _why in rows),
                flagged_by=actor,
            )
            comeback.save(actor=actor)
        elif comeback.state == Comeback.State.REJECTED:
            continue  # the inspector found it is not a comeback: work added since is the customer's
        have = set(ComebackLine.objects.filter(comeback=comeback).values_list("line_id", "original_line_id"))
        added = ComebackLine.objects.bulk_create(
            ComebackLine(
                comeback=comeback,
                store_id=order.store_id,
                line_id=line_id,
                original_line_id=guarantee.line_id,
                matched_by=why,
                technician_id=guarantee.technician_id,
                operation_id=guarantee.operation_id,
            )
            for line_id, guarantee, why in sorted(rows, key=lambda row: (row[0], row[1].line_id))
            if (line_id, guarantee.line_id) not in have
        )
        if comeback.state == Comeback.State.CONFIRMED and added and comeback.decided_by is not None:
            # A confirmed comeback's work found since is at the store's cost too, under the same confirmation.
            _confirm(comeback.decided_by, order, comeback, comeback.note, line_ids={row.line_id for row in added})
        flagged.append(comeback)
    return flagged


def order_listener(order: RepairOrder, lines: list[Line], actor: User) -> None:
    """``visits.services.orders.ORDER_LISTENERS``: new work on an order is checked for a comeback."""
    comeback_check(order, lines, actor)


def comeback_for(*, actor: User, comeback_id: int, for_update: bool = False) -> Comeback:
    """The comeback ``actor`` may decide (locked until commit when asked); 404 otherwise."""
    rows = Comeback.all_objects.filter(pk=comeback_id)
    if for_update:
        rows = rows.select_for_update()
    comeback = rows.first()
    if comeback is None or not can(actor, PERMISSION, store_id=comeback.store_id):
        raise not_found()
    return comeback


@dataclass
class FlagIn:
    order_id: int
    original_order_id: int
    lines: list[tuple[int, int]] = field(default_factory=list)  # (line of the new order, line of the original)
    note: str = ""


def comeback_flag(*, actor: User, data: FlagIn) -> Comeback:
    """The QC inspector links a new order to earlier work by hand (``visits.qc_confirm``): both orders of
    the same car, the original delivered, each pair a live line of the new order and a done labour line
    of the original. Nothing is written on any error."""
    with transaction.atomic():
        order = RepairOrder.all_objects.select_for_update().filter(pk=data.order_id).first()
        if order is None or not can(actor, PERMISSION, store_id=order.store_id):
            raise not_found()
        errors: dict[str, list[str]] = {}
        original = RepairOrder.all_objects.select_related("store").filter(pk=data.original_order_id).first()
        if original is None or original.store.group_id != order.store.group_id or original.pk == order.pk:
            errors["original_order"] = [_("Choose an earlier repair order of this car.")]
        elif original.vehicle_id != order.vehicle_id:
            errors["original_order"] = [
                _("Repair order %(number)s is of another car: a comeback is work on the same car again.")
                % {"number": original.number}
            ]
        elif original.state not in (RepairOrder.State.DELIVERED, RepairOrder.State.CLOSED):
            errors["original_order"] = [
                _("Repair order %(number)s was not delivered: only delivered work comes back.")
                % {"number": original.number}
            ]
        if len(data.note) > 300:
            errors["note"] = [_("At most %(n)d characters.") % {"n": 300}]
        if not data.lines:
            errors["lines"] = [_("Choose the work that came back and the earlier work it repeats.")]
        if errors or original is None:
            raise ApplicationError(_("Some fields need attention."), fields=errors, status=422)
        mine = set(Line.all_objects.filter(order=order, state__in=LIVE_LINES).values_list("pk", flat=True))
        theirs = {guarantee.line_id: guarantee for guarantee in Guarantee.objects.filter(order=original)}
        done = dict(
            Line.all_objects.filter(order=original, kind=Line.Kind.LABOUR, state=Line.State.DONE).values_list(
                "pk", "operation_id"
            )
        )
        for index, (line_id, original_line_id) in enumerate(data.lines):
            if line_id not in mine or original_line_id not in done:
                errors[f"lines.{index}"] = [
                    _("Choose a line of this order and a done labour line of the earlier order.")
                ]
        if len(set(data.lines)) != len(data.lines):
            errors["lines"] = [_("Each pair once.")]
        if errors:
            raise ApplicationError(_("Some fields need attention."), fields=errors, status=422)
        today = store_calendar(order.store).local_date(timezone.now())
        technicians = dict(
            Job.all_objects.filter(line_id__in=[pair[1] for pair in data.lines]).values_list("line_id", "technician_id")
        )
        comeback = Comeback(
            store_id=order.store_id,
            order=order,
            original=original,
            vehicle_id=order.vehicle_id,
            in_guarantee=any(g.open_on(today, order.mileage_in) for g in theirs.values()),
            flagged_by=actor,
            note=data.note.strip(),
        )
        try:
            with transaction.atomic():
                comeback.save(actor=actor)
        except IntegrityError:
            raise ConflictError(
                _("Repair order %(number)s is linked to this order already.") % {"number": original.number},
                code="linked",
            ) from None
        ComebackLine.objects.bulk_create(
            ComebackLine(
                comeback=comeback,
                store_id=order.store_id,
                line_id=line_id,
                original_line_id=original_line_id,
                matched_by=[],
                technician_id=technicians.get(original_line_id),
                operation_id=done[original_line_id],
            )
            for line_id, original_line_id in data.lines
        )
    return comeback


def _confirm(
    actor: User, order: RepairOrder, comeback: Comeback, note: str, *, line_ids: set[int] | None = None
) -> None:
    """Turn the comeback's lines into the ``comeback`` pay type: a proposed line approved by the QC
    confirmation, a line approved already (the customer signed for it) priced again with the QC
    confirmation beside its approval (``line_ids``: only those of its lines)."""
    if order.state not in CONFIRMABLE:
        raise ConflictError(
            _("Repair order %(number)s is “%(state)s”: its pay types are settled.")
            % {"number": order.number, "state": order.get_state_display()},
            code="not_allowed",
        )
    if line_ids is None:
        line_ids = set(ComebackLine.objects.filter(comeback=comeback).values_list("line_id", flat=True))
    lines = list(
        Line.all_objects.select_for_update(of=("self",))
        .filter(pk__in=line_ids)
        .select_related("operation", "part")
        .order_by("pk")
    )
    # Declined or cancelled work is not done (and not paid); proposed work is approved by the confirmation only
    # while the order takes approvals (open or in work): on a completed order it waits for its own decision.
    takes_approvals = order.state in (RepairOrder.State.OPEN, RepairOrder.State.IN_WORK)
    lines = [
        line
        for line in lines
        if line.state not in (Line.State.DECLINED, Line.State.CANCELLED)
        and (takes_approvals or line.state != Line.State.PROPOSED)
    ]
    if not lines:
        raise ConflictError(
            _("No work of %(order)s is left to become a comeback: it was declined, cancelled or is undecided.")
            % {"order": order.number},
            code="decided_lines",
        )
    now = timezone.now()
    for line in lines:
        try:
            line_requote(line, pay_type=PayType.COMEBACK, store=order.store, vehicle=order.vehicle, actor=actor)
        except ApplicationError as error:
            raise ApplicationError(str(error), field="pay_type", status=422) from None
        if line.state != Line.State.PROPOSED:
            line.priced_at = now
        line.save()
    proposed = [line for line in lines if line.state == Line.State.PROPOSED]
    if proposed:
        approvals_record(
            actor=actor,
            order_id=order.pk,
            data=ApprovalIn(
                kind=LineApproval.Kind.QC_CONFIRMATION,
                decisions=[Decision(line_id=line.pk, approve=True) for line in proposed],
                person=actor.full_name or actor.username,
                note=note,
            ),
        )
    for line in lines:
        if line.state == Line.State.PROPOSED:
            continue
        snapshot = line_snapshot(line)
        LineApproval.objects.create(
            store_id=order.store_id,
            line=line,
            kind=LineApproval.Kind.QC_CONFIRMATION,
            approved=True,
            amount=line.amount,
            by=actor,
            person=actor.full_name or actor.username,
            note=note,
            snapshot=snapshot,
            snapshot_hash=canonical_hash(snapshot),
        )
        RepairOrderEvent.objects.create(
            order=order,
            line=line,
            actor=actor,
            action="comeback",
            from_state=line.state,
            to_state=line.state,
            note=note,
        )


def comeback_decide(*, actor: User, comeback_id: int, confirm: bool, note: str = "") -> Comeback:
    """Confirm or reject a flagged comeback (``visits.qc_confirm``). Confirming turns its lines of the new
    order into the ``comeback`` pay type at the store's cost, approved by the QC confirmation (while the
    order is not delivered and no line of it was declined); rejecting needs the reason. Nothing is written
    on any error."""
    note = note.strip()
    if len(note) > 300:
        raise ApplicationError(_("At most %(n)d characters.") % {"n": 300}, field="note", status=422)
    if not confirm and not note:
        raise ApplicationError(_("Say why this is not a comeback."), field="note", status=422)
    with transaction.atomic():
        # The order first, then the comeback: the order's lock is what signing and adding lines take before
        # they flag a comeback (the other way round two of them wait for each other).
        found = comeback_for(actor=actor, comeback_id=comeback_id)
        order = (
            RepairOrder.all_objects.select_related("store", "vehicle")
            .select_for_update(of=("self",))
            .get(pk=found.order_id)
        )
        comeback = comeback_for(actor=actor, comeback_id=comeback_id, for_update=True)
        if comeback.state != Comeback.State.FLAGGED:
            raise ConflictError(
                _("This comeback was decided already: %(state)s.") % {"state": comeback.get_state_display()},
                code="decided",
            )
        if confirm:
            _confirm(actor, order, comeback, note)
        comeback.state = Comeback.State.CONFIRMED if confirm else Comeback.State.REJECTED
        comeback.decided_by, comeback.decided_at, comeback.note = actor, timezone.now(), note or comeback.note
        comeback.save(actor=actor)  # its audit entry: flagged -> confirmed or rejected, by whom
    return comeback
