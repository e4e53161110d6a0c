"""Quality evaluations (质量评估, QC-4): the store's evaluations (open, closed or all; overdue corrective actions
in red), opening one with its random sample of delivered orders, and an evaluation's page: each sampled order
(linked to its order page) beside the customer's own rating and comment, its review; the findings with their
owner, due day and state, the action taken and its verification; and the conclusion that closes it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.forms import StyledForm
from aftersales.core.routing import can_here, page, page_store, request_user
from aftersales.quality.forms import (
    AuditCloseForm,
    AuditListForm,
    AuditOpenForm,
    FindingActionForm,
    FindingCloseForm,
    FindingForm,
    ReviewForm,
)
from aftersales.quality.models import AuditFinding, AuditSample, QualityAudit
from aftersales.quality.services import audit_close, audit_open, finding_action, finding_add, finding_close
from aftersales.quality.services import sample_review as review_record
from aftersales.quality.services.audits import (
    audit_drawn,
    audit_findings,
    audit_samples,
    audits_of,
    finding_overdue,
    finding_owners,
)
from aftersales.quality.services.common import quality_settings
from aftersales.quality.views.base import WallClock, refusal_status

VIEW, AUDIT = "quality.view", "quality.audit"
LIST_MAX = 200
PERIOD_DAYS = 30  # the period a new evaluation offers when the store plans none

T = TypeVar("T")


def _audit_of(request: HttpRequest, audit_id: int) -> QualityAudit:
    """An evaluation of the page's store; 404 for any other."""
    found = (
        QualityAudit.all_objects.select_related("store", "created_by", "closed_by")
        .filter(pk=audit_id, store=page_store(request))
        .first()
    )
    if found is None:
        raise Http404
    return found


def _finding_of(found: QualityAudit, finding_id: int) -> AuditFinding:
    finding = AuditFinding.objects.filter(pk=finding_id, audit=found).first()
    if finding is None:
        raise Http404
    return finding


def _to(found: QualityAudit, anchor: str = "") -> HttpResponse:
    return redirect(reverse("quality:audit", args=[found.pk]) + (f"#{anchor}" if anchor else ""))


# --- the list --------------------------------------------------------------------------------------------


@require_GET
@page(VIEW)
def audits(request: HttpRequest) -> HttpResponse:
    """The store's evaluations, newest first, by state (every one unless chosen), with their progress and the
    corrective actions overdue."""
    store = page_store(request)
    form = AuditListForm(request.GET or None)
    status, state = 200, ""
    if form.is_bound and not form.is_valid():
        status = 400
    elif form.is_bound:
        state = form.cleaned_data["state"]
    today = store_calendar(store).local_date(timezone.now())
    clock = WallClock(store)
    context = {
        "store": store,
        "form": form,
        "state": state,
        "tabs": [("", _("All")), *QualityAudit.State.choices],
        "rows": [
            {"audit": row, "created": clock(row.created_at)}
            for row in audits_of(store.pk, state=state or None, today=today)[:LIST_MAX]
        ],
        "may_audit": can_here(request, AUDIT),
    }
    return render(request, "quality/audits.html", context, status=status)


# --- opening one -----------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@page(AUDIT)
def audit_new(request: HttpRequest) -> HttpResponse:
    """Open an evaluation and draw its sample (the orders delivered in the period, at random)."""
    store = page_store(request)
    if request.method == "GET":
        rules = quality_settings(store)
        today = store_calendar(store).local_date(timezone.now())
        days = rules.audit_every_days or PERIOD_DAYS
        form = AuditOpenForm(
            initial={
                "kind": QualityAudit.Kind.INTERNAL,
                "period_from": today - timedelta(days=days - 1),
                "period_to": today,
                "sample_size": rules.audit_sample_size,
            }
        )
        return render(request, "quality/audit_form.html", {"store": store, "form": form})
    form = AuditOpenForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            found = audit_open(actor=request_user(request), store_id=store.pk, data=form.data_in())
        except ApplicationError as error:
            status = refusal_status(form, error)
        else:
            drawn = audit_drawn(found)
            messages.success(
                request,
                ngettext(
                    "Evaluation %(number)s is open: %(n)d order is drawn for review.",
                    "Evaluation %(number)s is open: %(n)d orders are drawn for review.",
                    drawn,
                )
                % {"number": found.number, "n": drawn},
            )
            if drawn < found.sample_size:
                messages.warning(
                    request,
                    ngettext(
                        "Only %(n)d order was delivered in the period: it is in the sample.",
                        "Only %(n)d orders were delivered in the period: all of them are in the sample.",
                        drawn,
                    )
                    % {"n": drawn},
                )
            return _to(found)
    return render(request, "quality/audit_form.html", {"store": store, "form": form}, status=status)


# --- an evaluation ---------------------------------------------------------------------------------------


def _detail_page(
    request: HttpRequest,
    found: QualityAudit,
    *,
    status: int = 200,
    bound: tuple[str, int | None, StyledForm] | None = None,
) -> HttpResponse:
    """The evaluation's page; ``bound``: the form a refused POST sent (its kind, its row), shown with its errors."""
    store = found.store
    user = request_user(request)
    today = store_calendar(store).local_date(timezone.now())
    clock = WallClock(store)
    is_open = found.state == QualityAudit.State.OPEN
    may_audit = can_here(request, AUDIT) and is_open

    def form_for(kind: str, key: int | None, make: Any) -> Any:
        return bound[2] if bound is not None and bound[:2] == (kind, key) else make()

    samples = []
    for row in audit_samples(found):
        sample = row.sample
        samples.append(
            {
                "row": row,
                "sample": sample,
                "delivered": clock.maybe(row.delivered_at),
                "reviewed": clock.maybe(sample.reviewed_at),
                "form": form_for(
                    "review",
                    sample.pk,
                    lambda sample=sample: ReviewForm(
                        auto_id=f"review{sample.pk}_%s",
                        initial={"result": sample.result or None, "score": sample.score, "note": sample.note},
                    ),
                ),
            }
        )
    findings = []
    for finding in audit_findings(found):
        pk = finding.pk
        findings.append(
            {
                "finding": finding,
                "overdue": finding_overdue(finding, today),
                "actioned": clock.maybe(finding.actioned_at),
                "closed": clock.maybe(finding.closed_at),
                "may_act": is_open
                and finding.state == AuditFinding.State.OPEN
                and (may_audit or finding.owner_id == user.pk),
                "may_close": may_audit and finding.state == AuditFinding.State.ACTIONED,
                "action_form": form_for("action", pk, lambda pk=pk: FindingActionForm(auto_id=f"action{pk}_%s")),
                "close_form": form_for("verify", pk, lambda pk=pk: FindingCloseForm(auto_id=f"verify{pk}_%s")),
            }
        )
    sampled = [item["sample"] for item in samples]
    context = {
        "store": store,
        "audit": found,
        "today": today,
        "is_open": is_open,
        "may_audit": may_audit,
        "samples": samples,
        "findings": findings,
        "drawn": len(samples),
        "unreviewed": sum(1 for sample in sampled if sample.result == AuditSample.Result.PENDING),
        "open_findings": sum(1 for item in findings if item["finding"].state != AuditFinding.State.CLOSED),
        "created": clock(found.created_at),
        "closed": clock.maybe(found.closed_at),
        "finding_form": form_for(
            "finding", None, lambda: FindingForm(samples=sampled, owners=finding_owners(store.pk))
        ),
        "close_form": form_for("close", None, AuditCloseForm),
        "bound": bound[2] if bound is not None else None,
    }
    return render(request, "quality/audit_detail.html", context, status=status)


@require_GET
@page(VIEW)
def audit(request: HttpRequest, audit_id: int) -> HttpResponse:
    return _detail_page(request, _audit_of(request, audit_id))


def _refused(request: HttpRequest, found: QualityAudit, kind: str, key: int | None, form: StyledForm) -> HttpResponse:
    """The page again with the form the POST sent: its errors (400), or the service's refusal on it."""
    return _detail_page(request, found, status=400, bound=(kind, key, form))


def _submit(
    request: HttpRequest,
    found: QualityAudit,
    bound: tuple[str, int | None, StyledForm],
    write: Callable[[dict[str, Any]], T],
    done: Callable[[T], tuple[str, str]],
) -> HttpResponse:
    """One form of the evaluation's page posted: checked, written by its service (``write`` with the cleaned
    data), then the page at the row it changed with what was done (``done``: the message and the anchor);
    refused, the page again with the form, its errors and the service's refusal on it, nothing written."""
    kind, key, form = bound
    if not form.is_valid():
        return _refused(request, found, kind, key, form)
    try:
        result = write(form.cleaned_data)
    except ApplicationError as error:
        return _detail_page(request, found, status=refusal_status(form, error), bound=bound)
    said, anchor = done(result)
    messages.success(request, said)
    return _to(found, anchor)


@require_POST
@page(AUDIT)
def review(request: HttpRequest, audit_id: int, sample_id: int) -> HttpResponse:
    """Review a sampled order: it meets the standard, or a finding (what, in the note); a score."""
    found = _audit_of(request, audit_id)
    form = ReviewForm(request.POST, auto_id=f"review{sample_id}_%s")
    return _submit(
        request,
        found,
        ("review", sample_id, form),
        lambda data: review_record(
            actor=request_user(request),
            audit_id=found.pk,
            sample_id=sample_id,
            result=data["result"],
            score=data["score"],
            note=data["note"],
        ),
        lambda _saved: (_("The review is saved."), f"sample-{sample_id}"),
    )


@require_POST
@page(AUDIT)
def finding_new(request: HttpRequest, audit_id: int) -> HttpResponse:
    """Record a finding with its corrective action, owner (told in-app) and due day."""
    found = _audit_of(request, audit_id)
    samples = list(AuditSample.objects.filter(audit=found).select_related("order").order_by("position"))
    form = FindingForm(request.POST, samples=samples, owners=finding_owners(found.store_id))
    return _submit(
        request,
        found,
        ("finding", None, form),
        lambda _data: finding_add(actor=request_user(request), audit_id=found.pk, data=form.data_in()),
        lambda added: (
            _("The finding is recorded; %(owner)s is told.") % {"owner": added.owner},
            f"finding-{added.pk}",
        ),
    )


@require_POST
@page(VIEW)
def finding_act(request: HttpRequest, audit_id: int, finding_id: int) -> HttpResponse:
    """Record the corrective action taken: the finding's owner, or who evaluates quality."""
    found = _audit_of(request, audit_id)
    row = _finding_of(found, finding_id)
    if row.owner_id != request.user.pk and not can_here(request, AUDIT):
        raise PermissionDenied
    form = FindingActionForm(request.POST, auto_id=f"action{finding_id}_%s")
    return _submit(
        request,
        found,
        ("action", finding_id, form),
        lambda data: finding_action(
            actor=request_user(request),
            audit_id=found.pk,
            finding_id=finding_id,
            action_taken=data["action_taken"],
        ),
        lambda _saved: (
            _("The action taken is recorded: the finding waits for its verification."),
            f"finding-{finding_id}",
        ),
    )


@require_POST
@page(AUDIT)
def finding_verify(request: HttpRequest, audit_id: int, finding_id: int) -> HttpResponse:
    """Close a finding whose action is recorded, saying how it was verified."""
    found = _audit_of(request, audit_id)
    _finding_of(found, finding_id)
    form = FindingCloseForm(request.POST, auto_id=f"verify{finding_id}_%s")
    return _submit(
        request,
        found,
        ("verify", finding_id, form),
        lambda data: finding_close(
            actor=request_user(request),
            audit_id=found.pk,
            finding_id=finding_id,
            verification=data["verification"],
        ),
        lambda _saved: (_("The finding is closed."), f"finding-{finding_id}"),
    )


@require_POST
@page(AUDIT)
def close(request: HttpRequest, audit_id: int) -> HttpResponse:
    """Close the evaluation with its conclusion (every sampled order reviewed, every finding closed)."""
    found = _audit_of(request, audit_id)
    form = AuditCloseForm(request.POST)
    return _submit(
        request,
        found,
        ("close", None, form),
        lambda data: audit_close(actor=request_user(request), audit_id=found.pk, summary=data["summary"]),
        lambda _saved: (_("Evaluation %(number)s is closed.") % {"number": found.number}, ""),
    )
