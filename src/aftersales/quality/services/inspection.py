"""The final inspection of a completed repair order (总检, SPEC QC-1; seed 004 §7.x): the order's done
labour lines checked one by one, then the store's standard list, the road test, the fault verified gone,
the inspector's repair and driving advice. A pass issues the release certificate where the repair
category needs one; a fail sends the named lines back to their technicians (internal rework)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from aftersales.core.access import can
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.models import User
from aftersales.core.numbering import number_next
from aftersales.messaging.models import Message
from aftersales.messaging.services import Recipient, canonical_hash, message_send, message_try, signature_store
from aftersales.quality.models import FinalInspection, QualitySettings, ReleaseCertificate, Rework, RoadTest
from aftersales.quality.services.common import audit, inspection_passed, not_found, quality_settings, workers_of
from aftersales.visits.models import Line, RepairOrder
from aftersales.visits.services.orders import line_event, order_event
from aftersales.visits.transitions import LABOUR_LINE, RECORD_CATEGORIES, REPAIR_ORDER
from aftersales.workshop.models import Job
from aftersales.workshop.services.common import by, job_event
from aftersales.workshop.services.notices import job_workers
from aftersales.workshop.transitions import JOB

R = RepairOrder.State
L = Line.State
PERMISSION = "quality.inspect"
CERTIFICATE_DOC = "QC"
REWORK_EVENT = "quality_rework"
ADVICE_MAX = 500
REASON_MAX = 300
NOTE_MAX = 200


@dataclass(frozen=True)
class Check:
    """One entry of an order's final-inspection checklist: a done labour line, or a standard check."""

    text: str
    line_id: int | None = None


@dataclass
class CheckIn:
    ok: bool
    note: str = ""


@dataclass
class InspectionIn:
    checks: list[CheckIn]
    road_test: str
    passed: bool
    fault_verified: bool = False
    repair_advice: str = ""
    driving_advice: str = ""
    reason: str = ""  # why it failed
    rework_lines: list[int] = field(default_factory=list)  # the lines sent back (a fail)
    signature: str = ""  # the inspector's, on the release certificate (data:image/png;base64,...)
    certificate_number: str = ""  # the number the provincial platform issued, where it issues them


def order_for(*, actor: User | None, order_id: int, permission: str, for_update: bool = False) -> RepairOrder:
    """The order ``actor`` may act on with ``permission`` (locked until commit when asked); 404 otherwise."""
    rows = RepairOrder.all_objects.filter(pk=order_id).select_related("store", "vehicle", "customer", "visit")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    order = rows.first()
    if order is None or (actor is not None and not can(actor, permission, store_id=order.store_id)):
        raise not_found()
    return order


def done_labour(order: RepairOrder) -> list[Line]:
    return list(
        Line.all_objects.filter(order=order, kind=Line.Kind.LABOUR, state=L.DONE)
        .select_related("operation")
        .order_by("position")
    )


def unfinished_parts(order: RepairOrder) -> list[str]:
    """Approved lines other than labour not done yet (a part not issued, sublet work not back)."""
    rows = (
        Line.all_objects.filter(order=order, state=L.APPROVED)
        .exclude(kind=Line.Kind.LABOUR)
        .order_by("position")
        .values_list("position", flat=True)
    )
    return [_("%(order)s line %(n)s") % {"order": order.number, "n": position} for position in rows]


def checklist(order: RepairOrder, rules: QualitySettings | None = None) -> list[Check]:
    """The order's final-inspection checklist: its done labour lines in order, then the store's list."""
    rules = rules or quality_settings(order.store_id)
    lines = [Check(f"{line.position}. {line.description}", line.pk) for line in done_labour(order)]
    return [*lines, *(Check(str(text)) for text in rules.final_checks)]


def needs_certificate(lines: list[Line]) -> bool:
    """机动车维修管理规定 (交通运输部令 2016 年第 37 号, as amended to 2023) 第三十四、三十五条: second-level
    maintenance, assembly and whole-vehicle repairs pass a completion quality inspection, and the inspector
    issues the release certificate (机动车维修竣工出厂合格证) when it passes; a car that needs one is not
    handed over without it."""
    return any(line.repair_category in RECORD_CATEGORIES for line in lines)


def has_fault(lines: list[Line]) -> bool:
    return any(line.fault_code or line.fault_symptom for line in lines)


def _problems(
    order: RepairOrder, items: list[Check], lines: list[Line], rules: QualitySettings, data: InspectionIn
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if len(data.checks) != len(items):
        errors["checks"] = [_("Give a result for each of the %(n)d checks.") % {"n": len(items)}]
    for index, check in enumerate(data.checks):
        if len(check.note) > NOTE_MAX:
            errors[f"checks.{index}.note"] = [_("At most %(n)d characters.") % {"n": NOTE_MAX}]
    if data.road_test not in RoadTest.values:
        errors["road_test"] = [_("Choose one of the listed values.")]
    elif data.road_test == RoadTest.PASSED and not order.road_test_consent:
        errors["road_test"] = [_("The customer did not agree to a road test on this order.")]
    for name, text, limit in (
        ("repair_advice", data.repair_advice, ADVICE_MAX),
        ("driving_advice", data.driving_advice, ADVICE_MAX),
        ("reason", data.reason, REASON_MAX),
    ):
        if len(text) > limit:
            errors[name] = [_("At most %(n)d characters.") % {"n": limit}]
    if data.passed:
        failed = [index for index, check in enumerate(data.checks) if not check.ok]
        for index in failed:
            errors[f"checks.{index}.ok"] = [
                _("This check is not in order: fail the inspection and send the work back, or put it right first.")
            ]
        if has_fault(lines) and not data.fault_verified:
            errors["fault_verified"] = [_("Verify that the fault the customer reported is gone.")]
        if data.rework_lines:
            errors["rework_lines"] = [_("A passed inspection sends no work back.")]
        if needs_certificate(lines):
            if not data.signature.strip():
                errors["signature"] = [_("Sign the release certificate: this repair category needs one.")]
            number = data.certificate_number.strip()
            if rules.certificate_from_platform and not number:
                errors["certificate_number"] = [_("Enter the number the provincial platform issued.")]
            elif not rules.certificate_from_platform and number:
                errors["certificate_number"] = [_("The store numbers its release certificates: leave this blank.")]
            elif len(number) > 40:
                errors["certificate_number"] = [_("At most %(n)d characters.") % {"n": 40}]
        elif data.certificate_number.strip():
            errors["certificate_number"] = [_("This order's repair category needs no release certificate.")]
    else:
        if not data.reason.strip():
            errors["reason"] = [_("Say why the inspection failed.")]
        done = {line.pk for line in lines}
        if not data.rework_lines:
            errors["rework_lines"] = [_("Choose the work to send back.")]
        elif any(line_id not in done for line_id in data.rework_lines) or len(set(data.rework_lines)) != len(
            data.rework_lines
        ):
            errors["rework_lines"] = [_("Choose done labour lines of this order, once each.")]
    return errors


def final_inspection_record(*, actor: User, order_id: int, data: InspectionIn) -> FinalInspection:
    """Record the final inspection of a completed order (``quality.inspect``). The inspector may not be
    anyone who worked on the order. A pass needs every check in order and, where the order repairs a
    reported fault, the fault verified gone; it issues the release certificate where the repair category
    needs one (signed by the inspector; the store's gap-free number, or the platform's typed in). A fail
    gives the reason and sends the chosen lines back to their technicians: the job paused, the line in
    progress, the order in work again, one rework counted per line. Nothing is written on any error."""
    with transaction.atomic():
        order = order_for(actor=actor, order_id=order_id, permission=PERMISSION, for_update=True)
        if order.state != R.COMPLETED:
            raise ConflictError(
                _("The final inspection is of a completed order: this one is “%(state)s”.")
                % {"state": order.get_state_display()},
                code="not_allowed",
            )
        if inspection_passed(order):
            raise ConflictError(_("This order passed its final inspection already."), code="passed")
        parts = unfinished_parts(order)
        if data.passed and parts:
            raise ConflictError(
                _("Issue the parts first: %(lines)s.") % {"lines": ", ".join(parts)}, code="parts_not_issued"
            )
        if actor.pk in workers_of(order):
            raise ApplicationError(
                _("You worked on this order: another inspector inspects it and signs its certificate."),
                code="own_work",
                field="inspector",
                status=422,
            )
        rules = quality_settings(order.store_id)
        lines = done_labour(order)
        items = checklist(order, rules)
        errors = _problems(order, items, lines, rules, data)
        if errors:
            raise ApplicationError(_("Some fields need attention."), fields=errors, status=422)
        inspection = FinalInspection.objects.create(
            store_id=order.store_id,
            order=order,
            items=[
                {"check": item.text, "line": item.line_id, "ok": check.ok, "note": check.note.strip()}
                for item, check in zip(items, data.checks, strict=True)
            ],
            road_test=data.road_test,
            fault_verified=data.fault_verified,
            repair_advice=data.repair_advice.strip(),
            driving_advice=data.driving_advice.strip(),
            passed=data.passed,
            reason=data.reason.strip() if not data.passed else "",
            inspector=actor,
        )
        if data.passed:
            certificate = _certify(actor, order, inspection, rules, data) if needs_certificate(lines) else None
            order_event(order)(
                actor=actor,
                action="inspect",
                from_state=order.state,
                to_state=order.state,
                note=certificate.number if certificate else "",
            )
            changes: dict[str, Any] = {"passed": [None, True]}
            if certificate is not None:
                changes["certificate"] = [None, certificate.number]
            audit(
                actor=actor,
                store_id=order.store_id,
                action="qc_pass",
                object_type="visits.repairorder",
                object_id=order.pk,
                object_repr=order.number,
                changes=changes,
            )
        else:
            _send_back(actor, order, inspection, [line for line in lines if line.pk in set(data.rework_lines)])
    return inspection


def _certify(
    actor: User, order: RepairOrder, inspection: FinalInspection, rules: QualitySettings, data: InspectionIn
) -> ReleaseCertificate:
    platform = rules.certificate_from_platform
    number = data.certificate_number.strip()
    if platform and ReleaseCertificate.objects.filter(store_id=order.store_id, number=number).exists():
        raise ApplicationError(
            _("Certificate %(number)s is on another order already.") % {"number": number},
            field="certificate_number",
            status=422,
        )
    snapshot = {"order": order.number, "inspection": inspection.pk, "items": inspection.items}
    signature = signature_store(
        data_url=data.signature,
        store=order.store,
        signer_type="staff",
        signer_name=actor.full_name or actor.username,
        user=actor,
        object_type="visits.repairorder",
        object_id=order.pk,
        what="release_certificate",
        snapshot_hash=canonical_hash(snapshot),
        audited=False,  # the inspection's entry names the certificate
    )
    certificate = ReleaseCertificate(
        store_id=order.store_id,
        order=order,
        inspection=inspection,
        source=ReleaseCertificate.Source.PLATFORM if platform else ReleaseCertificate.Source.STORE,
        signed_by=actor,
        signature=signature,
    )
    # Gap-free: last before the save (its row lock serialises the store).
    certificate.number = number if platform else number_next(store=order.store, doc_type=CERTIFICATE_DOC)
    try:
        with transaction.atomic():
            certificate.save()
    except IntegrityError:
        raise ApplicationError(
            _("Certificate %(number)s is on another order already.") % {"number": certificate.number},
            field="certificate_number",
            status=422,
        ) from None
    return certificate


def _send_back(actor: User, order: RepairOrder, inspection: FinalInspection, lines: list[Line]) -> None:
    jobs = {job.line_id: job for job in Job.all_objects.select_for_update().filter(line__in=lines).order_by("pk")}
    for line in Line.all_objects.select_for_update().filter(pk__in=[line.pk for line in lines]).order_by("pk"):
        job = jobs[line.pk]
        job.finished_at, job.fault_verified = None, False
        JOB.apply(
            job,
            "rework",
            actor=None,
            event=by(job_event(job), actor),
            note=inspection.reason[:300],
            save_fields=["finished_at", "fault_verified"],
        )
        LABOUR_LINE.apply(line, "rework", actor=None, event=by(line_event(line), actor), note=inspection.reason)
        Rework.objects.create(
            store_id=order.store_id,
            inspection=inspection,
            order=order,
            line=line,
            job=job,
            technician_id=job.technician_id,
            team_id=job.team_id,
            operation_id=line.operation_id,
            reason=inspection.reason,
        )
    REPAIR_ORDER.apply(order, "rework", actor=None, event=by(order_event(order), actor), note=inspection.reason)
    audit(
        actor=actor,
        store_id=order.store_id,
        action="qc_fail",
        object_type="visits.repairorder",
        object_id=order.pk,
        object_repr=order.number,
        changes={"passed": [None, False], "reason": [None, inspection.reason], "lines": [None, len(lines)]},
    )
    job_ids = [jobs[line.pk].pk for line in lines]
    transaction.on_commit(lambda: rework_tell(order.pk, job_ids, inspection.reason, actor=actor))


def rework_tell(order_id: int, job_ids: list[int], reason: str, *, actor: User | None = None) -> list[Message]:
    """Tell each technician (or team) their work came back from the final inspection, and why."""
    order = RepairOrder.all_objects.select_related("store", "vehicle").get(pk=order_id)
    sent: list[Message] = []
    for job in Job.all_objects.filter(pk__in=job_ids).select_related("line", "technician", "team").order_by("pk"):
        for person in job_workers(job):
            sent += message_try(
                f"rework of {order.number}",
                _send(order, job, person, reason, actor),
            )
    return sent


def _send(order: RepairOrder, job: Job, person: User, reason: str, actor: User | None) -> Callable[[], list[Message]]:
    return lambda: message_send(
        store=order.store,
        event=REWORK_EVENT,
        recipient=Recipient(
            type=Message.RecipientType.STAFF, name=str(person), user=person, language=person.preferred_language
        ),
        variables={
            "order": order.number,
            "plate": order.vehicle.plate or order.vehicle.vin[-6:],
            "job": job.line.description,
            "reason": reason,
        },
        actor=actor,
        about=("visits.repairorder", order.pk),
    )
