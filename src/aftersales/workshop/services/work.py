"""What the technician records on a job besides the clock: notes and photos, the in-process inspection
record, additional findings (new proposed lines that need approval); and what the advisor records on the
visit while parts hold the car: the car leaving and coming back, a new promised time told to the customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.media import PHOTOS, media_attach, media_upload
from aftersales.core.models import User
from aftersales.visits.models import Line, RepairOrder, Visit
from aftersales.visits.services import LineIn, line_add, visit_access
from aftersales.visits.services.visits import visit_event
from aftersales.visits.transitions import RECORD_CATEGORIES
from aftersales.workshop.models import InProcessInspection, Job, JobNote, OffSite
from aftersales.workshop.services.common import job_access, job_deadline
from aftersales.workshop.services.dispatch import worker_check
from aftersales.workshop.services.notices import progress_tell

MEDIA_AREA = "workshop"
NOTE_MAX = 500
ITEMS_MAX = 40


def note_add(*, actor: User, job_id: int, text: str = "", photo: UploadedFile | None = None) -> JobNote:
    """A note on a job the actor works, with a photo from the camera (a JPEG or PNG by its bytes; anything
    else refused on ``photo``, nothing kept). A note needs its text or its photo."""
    text = text.strip()
    if not text and photo is None:
        raise ApplicationError(_("Write a note or take a photo."), code="required", field="text")
    if len(text) > NOTE_MAX:
        raise ApplicationError(_("At most %(n)d characters.") % {"n": NOTE_MAX}, field="text")
    with transaction.atomic():
        job = job_access(actor=actor, job_id=job_id, permission="workshop.work", for_update=True)
        worker_check(actor, job)
        note = JobNote(store_id=job.store_id, job=job, text=text, author=actor)
        if photo is None:
            note.save()
            return note
        with media_upload(
            photo, accept=PHOTOS, owner_type=JobNote.OWNER_TYPE, area=MEDIA_AREA, store=job.store, actor=actor
        ) as media:
            note.photo = media
            note.save()
            media_attach(media, note.pk)
    return note


@dataclass
class InspectionItem:
    item: str
    ok: bool
    note: str = ""


def inspection_record(*, actor: User, job_id: int, items: list[InspectionItem], note: str = "") -> InProcessInspection:
    """Record the in-process inspection (过程检验) of a job whose repair category needs one (机动车维修
    管理规定: second-level maintenance, assembly and whole-vehicle repairs): each item and its result; it
    passes when every item is in order. Recorded again, it replaces the earlier record (the history keeps
    both)."""
    errors: dict[str, list[str]] = {}
    cleaned = [InspectionItem(i.item.strip()[:100], bool(i.ok), i.note.strip()[:200]) for i in items if i.item.strip()]
    if not cleaned:
        errors["items"] = [_("List at least one item checked.")]
    elif len(cleaned) > ITEMS_MAX:
        errors["items"] = [_("At most %(n)d items.") % {"n": ITEMS_MAX}]
    if any(not i.ok and not i.note for i in cleaned):
        errors.setdefault("items", []).append(_("Say what is wrong with each item not in order."))
    if errors:
        raise ApplicationError(_("Some fields need attention."), fields=errors, status=422)
    with transaction.atomic():
        job = job_access(actor=actor, job_id=job_id, permission="workshop.work", for_update=True)
        line = Line.all_objects.get(pk=job.line_id)
        if line.repair_category not in RECORD_CATEGORIES:
            raise ApplicationError(_("This repair category needs no in-process inspection record."), field="items")
        if job.state == Job.State.DONE:
            raise ConflictError(_("The job is done: its record is closed."), code="not_allowed")
        passed = all(i.ok for i in cleaned)
        record, _created = InProcessInspection.objects.update_or_create(
            job=job,
            defaults={
                "store_id": job.store_id,
                "items": [{"item": i.item, "ok": i.ok, "note": i.note} for i in cleaned],
                "passed": passed,
                "note": note.strip()[:300],
                "inspector": actor,
            },
        )
        audit_append(
            action="job_inspection",
            actor=actor,
            store_id=job.store_id,
            object_type="workshop.job",
            object_id=str(job.pk),
            object_repr=str(job),
            changes={"passed": passed, "items": record.items},
        )
    return record


def finding_report(*, actor: User, job_id: int, data: LineIn) -> Line:
    """Additional work found during the job: a new line of the order, ``proposed``, that needs its own
    approval before anyone works on it (``visits.line_add``)."""
    job = job_access(actor=actor, job_id=job_id, permission="workshop.work")
    worker_check(actor, job)
    data.source = Line.Source.ADDITIONAL
    return line_add(actor=actor, order_id=job.order_id, data=data)


# --- the visit while parts hold the car ----------------------------------------------------------------------


def _open_visit(actor: User, visit_id: int) -> Visit:
    visit = visit_access(actor=actor, visit_id=visit_id, permission="visits.receive", for_update=True)
    if visit.state != Visit.State.ON_SITE:
        raise ConflictError(_("This visit is over."), code="not_allowed")
    return visit


def off_site_leave(
    *, actor: User, visit_id: int, reason: str, owner_agreed_pause: bool, at: datetime | None = None
) -> OffSite:
    """The car leaves the store while it waits (for parts): when, why, whether the owner agreed to pause
    the repair (only then do 三包 repair days leave the interval out)."""
    at = at or timezone.now()
    if not reason.strip():
        raise ApplicationError(_("Say why the car leaves."), code="required", field="reason")
    with transaction.atomic():
        visit = _open_visit(actor, visit_id)
        if OffSite.objects.filter(visit=visit, back_at__isnull=True).exists():
            raise ConflictError(_("The car is off site already."), code="off_site", field="reason")
        if at > timezone.now() or at < visit.arrived_at:
            raise ApplicationError(_("The time must be after the car arrived and not in the future."), field="at")
        interval = OffSite.objects.create(
            store_id=visit.store_id,
            visit=visit,
            left_at=at,
            reason=reason.strip()[:200],
            owner_agreed_pause=owner_agreed_pause,
            recorded_by=actor,
        )
        visit_event(visit, actor=actor, action="off_site", note=reason)
    return interval


def off_site_back(*, actor: User, visit_id: int, at: datetime | None = None) -> OffSite:
    """The car came back."""
    at = at or timezone.now()
    with transaction.atomic():
        visit = _open_visit(actor, visit_id)
        interval = OffSite.objects.select_for_update().filter(visit=visit, back_at__isnull=True).first()
        if interval is None:
            raise ConflictError(_("The car is not off site."), code="on_site")
        if at <= interval.left_at or at > timezone.now():
            raise ApplicationError(_("The time must be after the car left and not in the future."), field="at")
        interval.back_at = at
        interval.save(update_fields=["back_at"])
        visit_event(visit, actor=actor, action="back_on_site")
    return interval


def eta_change(
    *, actor: User, visit_id: int, promised_at: datetime, reason: str, waiting_for_parts: bool = False
) -> Visit:
    """A new promised time (the ETA), with the reason: the jobs' deadlines and reminders follow it, and
    the customer is told (as waiting for parts when that is why)."""
    now = timezone.now()
    if not reason.strip():
        raise ApplicationError(_("Say why the time changes."), code="required", field="reason")
    if promised_at <= now:
        raise ApplicationError(_("The new time must be in the future."), field="promised_at")
    with transaction.atomic():
        visit = _open_visit(actor, visit_id)
        visit.promised_at = promised_at
        visit.save(update_fields=["promised_at"], actor=actor)
        visit_event(visit, actor=actor, action="eta", note=reason)
        for job in Job.all_objects.select_for_update().filter(order__visit=visit).exclude(state=Job.State.DONE):
            job.deadline, job.remind_at = job_deadline(visit.store, visit, now=now)
            job.reminded_at = None
            job.save(update_fields=["deadline", "remind_at", "reminded_at"])
        orders = list(
            RepairOrder.all_objects.filter(visit=visit, state__in=(RepairOrder.State.OPEN, RepairOrder.State.IN_WORK))
            .order_by("pk")
            .values_list("pk", flat=True)[:1]
        )
        if orders:
            status = "waiting" if waiting_for_parts else "eta"
            transaction.on_commit(lambda: progress_tell(orders[0], status, actor=actor))
    return visit
