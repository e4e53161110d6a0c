"""The technician's pages: their open jobs (phone and tablet first), and a job with what is done on it:
accept, the clock, notes and photos, the in-process inspection, parts asked for, work found."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db.models import F, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from aftersales.appointments.forms import in_store_zone
from aftersales.catalogue.models import LabourOperation
from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.forms import StyledForm
from aftersales.core.routing import can_here, page, page_store, request_user
from aftersales.parts.models import Part, part_number_normalise
from aftersales.visits.models import Line
from aftersales.visits.services import LineIn
from aftersales.visits.transitions import RECORD_CATEGORIES
from aftersales.workshop import services
from aftersales.workshop.forms import ClockForm, CorrectionForm, FindingForm, InspectionForm, NoteForm, PartsRequestForm
from aftersales.workshop.models import ClockEvent, InProcessInspection, Job, JobNote, PartsRequest, Team
from aftersales.workshop.views.base import WallClock, is_htmx, job_of, refusal_status, works_on

J = Job.State
OPEN_STATES = (J.ASSIGNED, J.ACCEPTED, J.IN_PROGRESS, J.PAUSED)
STATE_STYLES: dict[str, str] = {
    J.ASSIGNED: "warning",
    J.ACCEPTED: "info",
    J.IN_PROGRESS: "primary",
    J.PAUSED: "secondary",
    J.DONE: "success",
}


# --- my jobs ------------------------------------------------------------------------------------------


@require_GET
@page("workshop.work")
def my_jobs(request: HttpRequest) -> HttpResponse:
    """The signed-in technician's open jobs in the page's store (their own and their teams'), by deadline."""
    store = page_store(request)
    user = request_user(request)
    teams = Team.objects.filter(Q(members=user) | Q(leader=user), store=store).values("pk")
    jobs = list(
        Job.all_objects.filter(Q(technician=user) | Q(team__in=teams), store=store, state__in=OPEN_STATES)
        .select_related("order__vehicle", "line__operation", "team", "bay")
        .order_by(F("deadline").asc(nulls_last=True), "pk")
    )
    clock = WallClock(store)
    now = clock(timezone.now())
    rows = [
        {
            "job": job,
            "deadline": clock.maybe(job.deadline),
            "late": job.deadline is not None and clock(job.deadline) < now,
            "style": STATE_STYLES[job.state],
        }
        for job in jobs
    ]
    template = "workshop/_my_jobs.html" if is_htmx(request) else "workshop/my_jobs.html"
    return render(request, template, {"rows": rows})


# --- a job --------------------------------------------------------------------------------------------


def _inspection_form(job: Job) -> InspectionForm:
    record = InProcessInspection.objects.filter(job=job).first()
    items = list(record.items) if record is not None else []
    count = len(items) + InspectionForm.EMPTY_ROWS
    initial: dict[str, Any] = {"rows": count, "note": record.note if record else ""}
    for row, item in enumerate(items):
        initial |= {f"item_{row}": item["item"], f"ok_{row}": item["ok"], f"note_{row}": item["note"]}
    return InspectionForm(initial=initial, count=count)


def _part_lines(job: Job) -> list[tuple[int, str]]:
    lines = Line.all_objects.filter(order_id=job.order_id, kind=Line.Kind.PART, state=Line.State.APPROVED)
    return [
        (line.pk, f"{line.position}. {line.description} × {line.quantity.normalize()}")
        for line in lines.order_by("position")
    ]


def _operations(job: Job) -> list[tuple[int, str]]:
    rows = LabourOperation.objects.filter(group_id=job.store.group_id, is_active=True).order_by("code", "pk")
    return [(op.pk, f"{op.code} {op.name}") for op in rows]


def _job_page(request: HttpRequest, job: Job, *, status: int = 200, **forms: StyledForm) -> HttpResponse:
    user = request_user(request)
    clock = WallClock(job.store)
    line = job.line
    mine = can_here(request, "workshop.work") and works_on(user, job)
    ledger = list(ClockEvent.objects.filter(job=job).select_related("technician", "recorded_by"))
    events = services.effective_events(ledger)
    replaced = {entry.pk: entry for entry in ledger}
    on_clock = services.minutes_on_clock(events, now=timezone.now())
    requests = PartsRequest.all_objects.filter(job=job).select_related("line").order_by("requested_at", "pk")
    bound = next((form for form in forms.values() if form.is_bound), None)
    context = {
        "job": job,
        "order": job.order,
        "line": line,
        "style": STATE_STYLES[job.state],
        "deadline": clock.maybe(job.deadline),
        "hours_on_clock": f"{on_clock / 60:.2f}",
        "mine": mine,
        "open": job.state != J.DONE,
        "needs_fault": bool(line.fault_code or line.fault_symptom),
        "needs_inspection": line.repair_category in RECORD_CATEGORIES,
        "inspection": InProcessInspection.objects.filter(job=job).select_related("inspector").first(),
        "entries": [
            (entry, clock(entry.at), clock(replaced[entry.replaces_id].at) if entry.replaces_id else None)
            for entry in events
        ],
        "may_correct": can_here(request, "workshop.correct"),
        "correct_form": forms.get("correct_form"),
        "notes": [
            (note, clock(note.at))
            for note in JobNote.objects.filter(job=job).select_related("author", "photo").order_by("at", "pk")
        ],
        "requests": list(requests),
        "events": [(event, clock(event.at)) for event in job.events.select_related("actor").order_by("at", "pk")],
        "bound_form": bound,
        "accept_form": forms.get("accept_form") or StyledForm(),
        "on_form": forms.get("on_form") or ClockForm(initial={"action": "on"}, auto_id="id_on_%s"),
        "pause_form": forms.get("pause_form") or ClockForm(initial={"action": "pause"}, auto_id="id_pause_%s"),
        "off_form": forms.get("off_form") or ClockForm(initial={"action": "off"}, auto_id="id_off_%s"),
        "note_form": forms.get("note_form") or NoteForm(auto_id="id_note_%s"),
        "inspection_form": forms.get("inspection_form") or _inspection_form(job),
        "parts_form": forms.get("parts_form") or PartsRequestForm(lines=_part_lines(job), auto_id="id_parts_%s"),
        "finding_form": forms.get("finding_form") or FindingForm(operations=_operations(job), auto_id="id_finding_%s"),
    }
    return render(request, "workshop/job.html", context, status=status)


@require_GET
@page(("workshop.work", "workshop.view"))
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    return _job_page(request, job_of(request, job_id))


def _act(
    request: HttpRequest, job: Job, form: StyledForm, slot: str, run: Callable[[], Any], done: str
) -> HttpResponse:
    """Run the service for a valid form: back to the job with ``done``, else the job page with the form's
    errors (400, or the service's 403 or 409), nothing changed."""
    status = 400
    if form.is_valid():
        try:
            run()
        except ApplicationError as error:
            status = refusal_status(form, error)
        else:
            messages.success(request, done)
            return redirect("workshop:job", job_id=job.pk)
    job = job_of(request, job.pk)  # as it stands after the refusal
    return _job_page(request, job, status=status, **{slot: form})


@require_POST
@page("workshop.work")
def job_accept(request: HttpRequest, job_id: int) -> HttpResponse:
    job = job_of(request, job_id)
    form = StyledForm(request.POST)
    run = lambda: services.job_accept(actor=request_user(request), job_id=job.pk)  # noqa: E731
    return _act(request, job, form, "accept_form", run, _("The job is accepted."))


CLOCK_SLOTS = {"on": "on_form", "pause": "pause_form", "off": "off_form"}
CLOCK_DONE = {"on": _("You are on the clock."), "pause": _("The job is paused."), "off": _("The job is done.")}


@require_POST
@page("workshop.work")
def job_clock(request: HttpRequest, job_id: int) -> HttpResponse:
    """Clock on, pause (with a reason) or clock off (the fault verified, the report written)."""
    job = job_of(request, job_id)
    action = request.POST.get("action", "")
    slot = CLOCK_SLOTS.get(action, "on_form")
    form = ClockForm(request.POST, auto_id=f"id_{slot.removesuffix('_form')}_%s")

    def run() -> None:
        data = form.cleaned_data
        services.clock(
            actor=request_user(request),
            job_id=job.pk,
            data=services.ClockIn(
                action=data["action"],
                reason=data["reason"],
                note=data["note"],
                fault_verified=data["fault_verified"],
                report=data["report"],
            ),
        )

    return _act(request, job, form, slot, run, str(CLOCK_DONE.get(action, "")))


@require_POST
@page("workshop.work")
def job_note(request: HttpRequest, job_id: int) -> HttpResponse:
    """A note on the job, with a photo from the camera."""
    job = job_of(request, job_id)
    form = NoteForm(request.POST, request.FILES, auto_id="id_note_%s")

    def run() -> None:
        data = form.cleaned_data
        services.note_add(actor=request_user(request), job_id=job.pk, text=data["text"], photo=data["photo"])

    return _act(request, job, form, "note_form", run, _("The note is kept."))


@require_POST
@page("workshop.work")
def job_inspection(request: HttpRequest, job_id: int) -> HttpResponse:
    """The in-process inspection record: each item checked and whether it is in order."""
    job = job_of(request, job_id)
    form = InspectionForm(request.POST, count=InspectionForm.sent_count(request.POST))

    def run() -> None:
        services.inspection_record(
            actor=request_user(request), job_id=job.pk, items=form.items(), note=form.cleaned_data["note"]
        )

    return _act(request, job, form, "inspection_form", run, _("The in-process inspection is recorded."))


@require_POST
@page("workshop.work")
def job_parts(request: HttpRequest, job_id: int) -> HttpResponse:
    """Ask the parts desk for an approved part of the order."""
    job = job_of(request, job_id)
    form = PartsRequestForm(request.POST, lines=_part_lines(job), auto_id="id_parts_%s")

    def run() -> None:
        data = form.cleaned_data
        services.parts_request(
            actor=request_user(request), order_id=job.order_id, line_id=data["line"], note=data["note"]
        )

    return _act(request, job, form, "parts_form", run, _("The parts desk is asked for the part."))


@require_POST
@page("workshop.work")
def job_finding(request: HttpRequest, job_id: int) -> HttpResponse:
    """Work found during the job: a new line, proposed, that needs its own approval."""
    job = job_of(request, job_id)
    form = FindingForm(request.POST, operations=_operations(job), auto_id="id_finding_%s")

    def run() -> None:
        data = form.cleaned_data
        part_id = None
        if number := data["part_number"].strip():
            part = Part.objects.filter(group_id=job.store.group_id, number=part_number_normalise(number)).first()
            if part is None:
                raise ApplicationError(
                    _("No part numbered %(number)s in the catalogue.") % {"number": number}, field="part_number"
                )
            part_id = part.pk
        services.finding_report(
            actor=request_user(request),
            job_id=job.pk,
            data=LineIn(
                kind="part" if part_id else "labour",
                operation_id=data["operation"],
                part_id=part_id,
                quantity=data["quantity"],
                description=data["description"],
                symptom=data["symptom"],
            ),
        )

    return _act(request, job, form, "finding_form", run, _("The finding is on the order, waiting for approval."))


@require_POST
@page("workshop.correct")
def clock_correct(request: HttpRequest, job_id: int) -> HttpResponse:
    """The foreman corrects a clock entry's time, with the reason (kept beside the entry it corrects)."""
    job = job_of(request, job_id)
    form = CorrectionForm(request.POST, auto_id="id_correct_%s")
    zone = store_calendar(job.store).zone

    def run() -> None:
        data = form.cleaned_data
        services.clock_correct(
            actor=request_user(request),
            event_id=data["entry"],
            at=in_store_zone(data["at"], zone),
            reason=data["reason"],
        )

    return _act(request, job, form, "correct_form", run, _("The clock entry is corrected."))
