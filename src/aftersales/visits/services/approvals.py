"""Approval per line (RO-2; DESIGN-visit "LineApproval"): the customer in person (signature), by phone
(recorded by the advisor) or through a link; the insurer's loss assessment (定损) for insurance lines;
the manufacturer's pre-authorisation for warranty lines; the provider's authorisation for extended
warranty; a manager for internal and goodwill work; QC for a comeback. Campaign work and the free first
service are approved automatically (``orders``). The price is frozen at approval. A customer who
declines every repair after the diagnosis is charged the store's diagnosis fee (a fee line)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.catalogue.paytypes import PAY_TYPES, ApprovalKind, PayType
from aftersales.core.access import can
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.models import User
from aftersales.core.money import fen_spread, from_fen, money_round, to_fen
from aftersales.messaging.models import CustomerLink
from aftersales.messaging.services import canonical_hash, signature_store
from aftersales.visits.models import Diagnosis, Line, LineApproval, ReceptionSettings, RepairOrder, RepairOrderEvent
from aftersales.visits.services.lines import line_events, line_price
from aftersales.visits.services.orders import (
    ADDING,
    _audit,
    line_event,
    line_snapshot,
    lines_release,
    repair_order_access,
)
from aftersales.visits.transitions import line_table

K = LineApproval.Kind
L = Line.State
CUSTOMER_KINDS = frozenset({K.CUSTOMER_IN_PERSON, K.CUSTOMER_PHONE, K.CUSTOMER_LINK})
# A decline the staff records gives its reason (the customer declining through a link need not).
REASONED = frozenset({K.CUSTOMER_IN_PERSON, K.CUSTOMER_PHONE, K.MANAGER})

# Which kinds approve a line of each route of the pay-type table (``PAY_TYPES[...].approval``).
APPROVING: dict[str, frozenset[str]] = {
    ApprovalKind.CUSTOMER: CUSTOMER_KINDS,
    ApprovalKind.INSURER_ASSESSMENT: frozenset({K.INSURER_ASSESSMENT}),
    ApprovalKind.OEM_PREAUTHORISATION: frozenset({K.OEM_PREAUTHORISATION}),
    ApprovalKind.CAMPAIGN: frozenset({K.CAMPAIGN}),
    ApprovalKind.POLICY: frozenset({K.POLICY}),
    ApprovalKind.PROVIDER_AUTHORISATION: frozenset({K.PROVIDER_AUTHORISATION}),
    ApprovalKind.MANAGER: frozenset({K.MANAGER}),
    ApprovalKind.QC_CONFIRMATION: frozenset({K.QC_CONFIRMATION}),
}

# Who records each kind; campaign and policy approvals are the system's alone.
PERMISSION: dict[str, str] = {
    K.CUSTOMER_IN_PERSON: "visits.receive",
    K.CUSTOMER_PHONE: "visits.receive",
    K.CUSTOMER_LINK: "visits.receive",
    K.INSURER_ASSESSMENT: "visits.insurance",
    K.OEM_PREAUTHORISATION: "visits.warranty",
    K.PROVIDER_AUTHORISATION: "visits.warranty",
    K.MANAGER: "visits.manager_approval",
    K.QC_CONFIRMATION: "visits.qc_confirm",
}
# Whoever may record an approval of some kind: the pages' and the API's access to recording approvals.
RECORDERS: tuple[str, ...] = tuple(dict.fromkeys(PERMISSION.values()))


@dataclass
class Decision:
    line_id: int
    approve: bool
    reason: str = ""
    assessed_amount: Decimal | None = None  # the insurer's amount for this line


@dataclass
class ApprovalIn:
    kind: str
    decisions: list[Decision] = field(default_factory=list)
    person: str = ""  # the customer, the assessor, the manufacturer's or provider's contact
    note: str = ""
    signature: str = ""  # in person: the pad's PNG data URL
    insurer: str = ""
    claim_number: str = ""
    deductible: Decimal | None = None  # the customer's share of the whole assessment (免赔)
    provider: str = ""
    contract_number: str = ""
    authorisation_number: str = ""
    not_required: bool = False  # a warranty line the manufacturer does not pre-authorise


def _allowed_kinds(line: Line, approve: bool) -> frozenset[str]:
    """Approving takes the kind the line's pay type names; the customer may decline any work on their car."""
    route = APPROVING[PAY_TYPES[line.pay_type].approval]
    return route if approve else route | CUSTOMER_KINDS


def _kind_label(kind: str) -> str:
    return str(K(kind).label)


def _check(order: RepairOrder, lines: dict[int, Line], data: ApprovalIn, errors: dict[str, list[str]]) -> None:
    approving = [d for d in data.decisions if d.approve]
    seen: set[int] = set()
    for index, decision in enumerate(data.decisions):
        line = lines.get(decision.line_id)
        prefix = f"decisions.{index}."
        if line is None or decision.line_id in seen:
            errors[prefix + "line"] = [_("Choose a line of this order, once.")]
            continue
        seen.add(decision.line_id)
        if line.state != L.PROPOSED:
            errors[prefix + "line"] = [
                _("Line %(n)s is “%(state)s”: only a proposed line is approved or declined.")
                % {"n": line.position, "state": line.get_state_display()}
            ]
            continue
        if data.kind not in _allowed_kinds(line, decision.approve):
            route = PAY_TYPES[line.pay_type]
            errors[prefix + "line"] = [
                _("Line %(n)s (%(pay_type)s) is approved by %(who)s, not by %(kind)s.")
                % {
                    "n": line.position,
                    "pay_type": route.label,
                    "who": " / ".join(_kind_label(k) for k in sorted(APPROVING[route.approval])),
                    "kind": _kind_label(data.kind),
                }
            ]
        if not decision.approve and data.kind in REASONED and not decision.reason.strip():
            errors[prefix + "reason"] = [_("Give the reason the work is declined.")]
        if data.kind == K.INSURER_ASSESSMENT and decision.approve:
            amount = decision.assessed_amount
            if amount is None or not amount.is_finite() or amount < 0 or amount >= 10**9:
                errors[prefix + "assessed_amount"] = [_("Enter the amount the insurer assessed for this line.")]
    if data.kind == K.INSURER_ASSESSMENT:
        if not data.insurer.strip():
            errors["insurer"] = [_("Enter the insurer.")]
        if not data.claim_number.strip():
            errors["claim_number"] = [_("Enter the claim number.")]
        total = sum((d.assessed_amount or Decimal(0) for d in approving if d.assessed_amount is not None), Decimal(0))
        deductible = data.deductible if data.deductible is not None else Decimal(0)
        if not deductible.is_finite() or deductible < 0 or deductible > total:
            errors["deductible"] = [
                _("Enter a deductible from 0 to the assessed total (%(total)s).") % {"total": money_round(total)}
            ]
    if data.kind == K.PROVIDER_AUTHORISATION and approving:
        if not data.provider.strip():
            errors["provider"] = [_("Enter the warranty provider.")]
        if not data.contract_number.strip():
            errors["contract_number"] = [_("Enter the contract number.")]
    if (
        data.kind == K.OEM_PREAUTHORISATION
        and approving
        and not data.authorisation_number.strip()
        and not data.not_required
    ):
        errors["authorisation_number"] = [
            _("Enter the manufacturer's authorisation number, or record that none is required.")
        ]
    if data.kind in (K.CUSTOMER_PHONE, K.CUSTOMER_IN_PERSON) and not data.person.strip():
        errors["person"] = [_("Enter who decided.")]
    if data.kind == K.MANAGER and approving and not data.note.strip():
        errors["note"] = [_("Give the reason for internal or goodwill work.")]


def _deductibles(data: ApprovalIn) -> dict[int, Decimal]:
    """The deductible spread over the approved lines by their assessed amounts, largest remainder first,
    so that the shares add up to it exactly."""
    approving = sorted(
        (d for d in data.decisions if d.approve and d.assessed_amount is not None), key=lambda d: d.line_id
    )  # a tie goes to the first line
    spread = fen_spread(to_fen(data.deductible or 0), [d.assessed_amount or Decimal(0) for d in approving])
    shares = {d.line_id: share for d, share in zip(approving, spread, strict=True)}
    return {key: from_fen(value) for key, value in shares.items()}


def approvals_record(
    *, actor: User | None, order_id: int, data: ApprovalIn, link: CustomerLink | None = None
) -> list[LineApproval]:
    """Record one approval act over lines of an order: each line approved or declined, checked against its
    pay type (an insurance line is the insurer's to approve, not the customer's), the recorder's
    permission for the kind, the fields the kind needs; the price frozen; declined parts' stock given back.
    ``actor`` None only for a customer's decision through ``link``. Nothing is written on any error."""
    if data.kind not in K.values:
        raise ApplicationError(_("Choose one of the listed values."), field="kind", status=422)
    if data.kind in (K.CAMPAIGN, K.POLICY):
        raise ApplicationError(
            _("Campaign work and the free first service are approved automatically."), field="kind", status=422
        )
    if (data.kind == K.CUSTOMER_LINK) != (link is not None):
        raise ApplicationError(_("A link approval is the customer's, through the link."), field="kind", status=422)
    if not data.decisions:
        raise ApplicationError(_("Approve or decline at least one line."), field="decisions", status=422)
    with transaction.atomic():
        order = repair_order_access(actor=actor, order_id=order_id, for_update=True)
        if link is not None and canonical_hash(approval_snapshot(order.pk)) != link.snapshot_hash:
            # Checked again under the order's lock: a change made since the customer opened the page wins.
            raise ApplicationError(
                _("What this link showed has changed since it was sent. Ask the store for a new one."),
                code="superseded",
                status=410,
            )
        if actor is not None and not can(actor, PERMISSION[data.kind], store_id=order.store_id):
            raise ApplicationError(
                _("You may not record this kind of approval."), code="forbidden", field="kind", status=403
            )
        # On a completed order work left proposed is only declined (what was not taken up stays on the car).
        declining = order.state == RepairOrder.State.COMPLETED and not any(d.approve for d in data.decisions)
        if order.state not in ADDING and not declining:
            raise ConflictError(
                _("Lines are approved while the order is open or in work, not while it is “%(state)s”.")
                % {"state": order.get_state_display()},
                code="not_allowed",
            )
        ids = [d.line_id for d in data.decisions]
        lines = {
            line.pk: line
            for line in Line.all_objects.select_for_update().filter(order=order, pk__in=ids).order_by("pk")
        }
        errors: dict[str, list[str]] = {}
        _check(order, lines, data, errors)
        if errors:
            raise ApplicationError(_("Some fields need attention."), fields=errors, status=422)
        signature = None
        if data.kind == K.CUSTOMER_IN_PERSON:
            decided = {
                "order": order.number,
                "decisions": [[d.line_id, d.approve, line_snapshot(lines[d.line_id])] for d in data.decisions],
            }
            signature = signature_store(
                data_url=data.signature,
                store=order.store,
                signer_type="customer",
                signer_name=data.person.strip(),
                user=actor,
                object_type="visits.repairorder",
                object_id=order.pk,
                what="line_approval",
                snapshot_hash=canonical_hash(decided),
                audited=False,  # the act's own entry below names it (and no audit lock before the stock's)
            )
        deductibles = _deductibles(data) if data.kind == K.INSURER_ASSESSMENT else {}
        now = timezone.now()
        approvals: list[LineApproval] = []
        for decision in data.decisions:
            line = lines[decision.line_id]
            snapshot = line_snapshot(line)
            line_table(line).apply(
                line,
                "approve" if decision.approve else "decline",
                actor=actor,
                event=line_event(line),
                note=(decision.reason or data.note).strip()[:500],
            )
            if decision.approve:
                line.priced_at = now
                fields = ["priced_at"]
            else:
                line.decline_reason = decision.reason.strip()[:200]
                fields = ["decline_reason"]
            line.save(update_fields=fields)
            approvals.append(
                LineApproval(
                    store_id=order.store_id,
                    line=line,
                    kind=data.kind,
                    approved=decision.approve,
                    amount=line.amount,
                    by=actor,
                    person=data.person.strip()[:60],
                    signature=signature,
                    link=link,
                    insurer=data.insurer.strip()[:100],
                    claim_number=data.claim_number.strip()[:40],
                    assessed_amount=money_round(decision.assessed_amount)
                    if decision.assessed_amount is not None
                    else None,
                    deductible=deductibles.get(line.pk),
                    provider=data.provider.strip()[:100],
                    contract_number=data.contract_number.strip()[:40],
                    authorisation_number=data.authorisation_number.strip()[:40],
                    note=(
                        decision.reason
                        or data.note
                        or (_("No pre-authorisation required") if data.not_required else "")
                    ).strip()[:300],
                    snapshot=snapshot,
                    snapshot_hash=link.snapshot_hash if link is not None else canonical_hash(snapshot),
                )
            )
        LineApproval.objects.bulk_create(approvals)
        fees = [line for line in lines.values() if line.state == L.APPROVED and line.kind == Line.Kind.FEE]
        for line in fees:  # a fee is done once approved
            line_table(line).apply(line, "finish", actor=None, event=line_event(line))
        lines_release(order=order, lines=[line for line in lines.values() if line.state == L.DECLINED])
        if data.kind in CUSTOMER_KINDS:  # the customer declined: not the insurer, the manufacturer or a manager
            _diagnosis_fee(order, actor)
        _audit(
            order,
            actor,
            "line_approval",
            {
                "kind": data.kind,
                "approved": [lines[d.line_id].position for d in data.decisions if d.approve],
                "declined": [lines[d.line_id].position for d in data.decisions if not d.approve],
                "signature": signature.pk if signature is not None else None,
            },
        )
        approved = [line.pk for line in lines.values() if line.state == L.APPROVED]
        if approved:
            for listener in APPROVAL_LISTENERS:
                transaction.on_commit(lambda listener=listener: listener(order.pk, approved))  # type: ignore[misc]
    return approvals


# What later areas do once work is approved after signing (the workshop tells the customer it is
# scheduled): each is called after the commit with the order's id and the ids of the lines approved.
APPROVAL_LISTENERS: list[Callable[[int, list[int]], None]] = []


REPAIR_KINDS = (Line.Kind.LABOUR, Line.Kind.PART, Line.Kind.SUBLET, Line.Kind.CONSUMABLE)


def _diagnosis_fee(order: RepairOrder, actor: User | None) -> Line | None:
    """After a diagnosis, a customer who declined every repair pays the store's diagnosis fee: a fee line,
    approved under the signed order's terms and done; the order is not cancelled."""
    diagnosed = Diagnosis.objects.filter(visit_id=order.visit_id).exclude(diagnosed_at=None).exists()
    settings = ReceptionSettings.objects.filter(store_id=order.store_id).first()
    if not diagnosed or settings is None or settings.diagnosis_fee <= 0:
        return None
    states = set(Line.all_objects.filter(order=order, kind__in=REPAIR_KINDS).values_list("state", flat=True))
    if not states or states != {L.DECLINED}:
        return None
    if Line.all_objects.filter(order=order, source=Line.Source.DIAGNOSIS_FEE).exists():
        return None
    line = Line(
        store_id=order.store_id,
        order=order,
        vehicle_id=order.vehicle_id,
        position=(Line.all_objects.filter(order=order).aggregate(m=Max("position"))["m"] or 0) + 1,
        kind=Line.Kind.FEE,
        source=Line.Source.DIAGNOSIS_FEE,
        pay_type=PayType.CUSTOMER,
        description=str(_("Diagnosis fee")),
        quantity=Decimal(1),
        tax_code=settings.diagnosis_fee_tax_code,
        tax_rate=settings.diagnosis_fee_tax_rate,
        price_source="store",
        unit_price=Decimal(0),
        amount=Decimal(0),
        net=Decimal(0),
        tax=Decimal(0),
        priced_at=timezone.now(),
        created_by=actor,
    )
    line_price(line, settings.diagnosis_fee)
    line.save()
    RepairOrderEvent.objects.create(
        order=order, line=line, actor=actor, action="add", from_state=L.PROPOSED, to_state=L.PROPOSED
    )
    line.state = L.APPROVED
    snapshot = line_snapshot(line)
    LineApproval.objects.create(
        store_id=order.store_id,
        line=line,
        kind=K.CUSTOMER_IN_PERSON,
        approved=True,
        amount=line.amount,
        by=actor,
        person=order.signed_name,
        signature=order.signature,
        note=str(_("Every repair declined after the diagnosis: the diagnosis fee agreed on the signed order")),
        snapshot=snapshot,
        snapshot_hash=canonical_hash(snapshot),
    )
    line_events(order.pk, [line], actor=actor, action="approve", source=L.PROPOSED)
    line.state = L.DONE
    line.save(update_fields=["state"])
    line_events(order.pk, [line], actor=actor, action="finish", source=L.APPROVED)
    return line


def approval_snapshot(order_id: int) -> dict[str, Any]:
    """What a customer approval link shows: the order and its lines waiting for the customer's decision
    with their prices (a line added or repriced supersedes the link)."""
    order = RepairOrder.all_objects.get(pk=order_id)
    lines = [
        line_snapshot(line)
        for line in Line.all_objects.filter(order=order, state=L.PROPOSED).order_by("position")
        if PAY_TYPES[line.pay_type].approval == ApprovalKind.CUSTOMER
    ]
    return {"order": order.number, "state": order.state, "lines": lines}
