"""The diagnosis (RCP-3): symptoms, cause analysis, fault codes, the pre-repair diagnosis record where the
law's repair archive needs one, and the work recommended from what was found."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from aftersales.catalogue.models import LabourOperation, RepairCategory
from aftersales.core.errors import ApplicationError
from aftersales.core.forms import StyledForm
from aftersales.core.routing import can_here, page, request_user
from aftersales.parts.models import Part, part_number_normalise
from aftersales.visits import services
from aftersales.visits.models import (
    Diagnosis,
    Recommendation,
    Visit,
)
from aftersales.visits.services.inspection import MAX_CODES
from aftersales.visits.views.base import (
    WallClock,
    field_label,
    refusal_status,
    require_here,
    text_field,
    visit_of,
)

if TYPE_CHECKING:
    pass

# Repair categories for which the law's repair archive keeps a pre-repair diagnosis record.
RECORD_CATEGORIES = frozenset({RepairCategory.SECOND_LEVEL, RepairCategory.ASSEMBLY, RepairCategory.WHOLE_VEHICLE})
# Fault codes as typed: one a line, or several on a line separated by commas or semicolons.
_CODE_SEPARATORS = re.compile(r"[,，;；、]")


class DiagnosisForm(StyledForm):
    symptoms = text_field(field_label(Diagnosis, "symptoms"), 4000, rows=3)
    cause_analysis = text_field(field_label(Diagnosis, "cause_analysis"), 4000, rows=3)
    equipment = text_field(field_label(Diagnosis, "equipment"), 100)
    codes = text_field(
        gettext_lazy("Fault codes"),
        2000,
        rows=3,
        autocapitalize="characters",
        spellcheck="false",
    )
    pre_repair_record = text_field(field_label(Diagnosis, "pre_repair_record"), 8000, rows=5)

    def code_entries(self) -> list[tuple[int, str]]:
        """The codes as typed, each with its line (1-based), blanks left out."""
        entries: list[tuple[int, str]] = []
        for number, line in enumerate(str(self.cleaned_data.get("codes") or "").splitlines(), start=1):
            entries.extend((number, text.strip()) for text in _CODE_SEPARATORS.split(line) if text.strip())
        return entries

    def service_field(self, key: str, messages: list[str]) -> tuple[str, list[str]]:
        """``codes.3`` (the fourth code typed) is named with its line in the codes box."""
        prefix, _dot, rest = key.partition(".")
        entries = self.code_entries() if self.is_bound and hasattr(self, "cleaned_data") else []
        if prefix == "codes" and rest.isdigit() and int(rest) < len(entries):
            line = entries[int(rest)][0]
            return "codes", [_("Line %(line)s: %(problem)s") % {"line": line, "problem": text} for text in messages]
        return super().service_field(key, messages)

    def diagnosis_in(self) -> services.DiagnosisIn:
        data = self.cleaned_data
        return services.DiagnosisIn(
            symptoms=data["symptoms"],
            cause_analysis=data["cause_analysis"],
            pre_repair_record=data["pre_repair_record"],
            equipment=data["equipment"],
            codes=[text for _line, text in self.code_entries()],
        )


class RecommendationForm(StyledForm):
    operation = forms.TypedChoiceField(
        label=field_label(Recommendation, "operation"),
        coerce=int,
        error_messages={"required": gettext_lazy("Choose a labour operation of the catalogue.")},
    )
    source = forms.ChoiceField(
        label=field_label(Recommendation, "source"), choices=Recommendation.Source.choices, widget=forms.RadioSelect
    )
    symptom = text_field(field_label(Recommendation, "symptom"), 200)
    fault_code = text_field(
        field_label(Recommendation, "fault_code"), 12, autocapitalize="characters", spellcheck="false"
    )
    causal_part = text_field(gettext_lazy("Causal part number"), 60, autocapitalize="characters", spellcheck="false")
    note = text_field(field_label(Recommendation, "note"), 200)

    def __init__(self, *args: Any, operations: list[LabourOperation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.TypedChoiceField = self.fields["operation"]  # type: ignore[assignment]
        field.choices = [("", "—"), *((op.pk, f"{op.code} {op.name}") for op in operations)]


# --- the diagnosis ------------------------------------------------------------------------------------------


def _operations(visit: Visit) -> list[LabourOperation]:
    return list(LabourOperation.objects.filter(group_id=visit.store.group_id, is_active=True).order_by("code", "pk"))


def _recommendation_initial(request: HttpRequest) -> dict[str, Any]:
    """A recommendation form filled from a link (the walk-around's "recommend work" on an amber or red check)."""
    initial: dict[str, Any] = {"source": Recommendation.Source.DIAGNOSIS}
    source = request.GET.get("source", "")
    if source in Recommendation.Source.values:
        initial["source"] = source
    for name, length in (("symptom", 200), ("note", 200), ("fault_code", 12)):
        if value := request.GET.get(name, ""):
            initial[name] = value[:length]
    return initial


def _diagnosis_page(
    request: HttpRequest,
    visit: Visit,
    *,
    status: int = 200,
    form: DiagnosisForm | None = None,
    recommendation_form: RecommendationForm | None = None,
) -> HttpResponse:
    diagnosis = Diagnosis.objects.filter(visit=visit).select_related("diagnosed_by").prefetch_related("codes").first()
    if form is None:
        initial = {}
        if diagnosis is not None:
            initial = {
                "symptoms": diagnosis.symptoms,
                "cause_analysis": diagnosis.cause_analysis,
                "equipment": diagnosis.equipment,
                "pre_repair_record": diagnosis.pre_repair_record,
                "codes": "\n".join(code.text for code in diagnosis.codes.all()),
            }
        form = DiagnosisForm(initial=initial)
    operations = _operations(visit)
    recommendation_form = recommendation_form or RecommendationForm(
        initial=_recommendation_initial(request), operations=operations
    )
    recommendations = list(
        Recommendation.objects.filter(visit=visit).select_related("operation", "causal_part").order_by("pk")
    )
    on_site = visit.state == Visit.State.ON_SITE
    context = {
        "visit": visit,
        "diagnosis": diagnosis,
        "diagnosed_at": WallClock(visit.store).maybe(diagnosis.diagnosed_at if diagnosis else None),
        "form": form,
        "codes": list(diagnosis.codes.all()) if diagnosis is not None else [],
        "max_codes": MAX_CODES,
        "recommendations": recommendations,
        "record_needed": any(r.operation.repair_category in RECORD_CATEGORIES for r in recommendations),
        "recommendation_form": recommendation_form,
        "may_change": on_site and can_here(request, "visits.diagnose"),
        "on_site": on_site,
        "tab": "diagnosis",
    }
    return render(request, "visits/inspection/diagnosis.html", context, status=status)


@require_http_methods(["GET", "POST"])
@page("visits.view")
def diagnosis(request: HttpRequest, visit_id: int) -> HttpResponse:
    """The diagnosis with equipment: symptoms, cause, fault codes, the pre-repair record (``visits.diagnose``)."""
    visit = visit_of(request, visit_id)
    if request.method == "GET":
        return _diagnosis_page(request, visit)
    require_here(request, "visits.diagnose")
    form = DiagnosisForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.diagnosis_save(actor=request_user(request), visit_id=visit.pk, data=form.diagnosis_in())
        except ApplicationError as error:
            status = refusal_status(form, error)
        else:
            messages.success(request, _("The diagnosis is saved."))
            return redirect("visits:diagnosis", visit_id=visit.pk)
    return _diagnosis_page(request, visit, status=status, form=form)


def _causal_part(form: RecommendationForm, visit: Visit) -> tuple[bool, int | None]:
    """The part the number typed names in the group's master (False with the form's error when none)."""
    typed = form.cleaned_data["causal_part"].strip()
    if not typed:
        return True, None
    number = part_number_normalise(typed)
    part = Part.objects.filter(group_id=visit.store.group_id, number=number).order_by("pk").first()
    if part is None:
        form.add_error("causal_part", _("No part numbered %(number)s in the catalogue.") % {"number": typed})
        return False, None
    return True, part.pk


@require_http_methods(["POST"])
@page("visits.diagnose")
def recommendation_add(request: HttpRequest, visit_id: int) -> HttpResponse:
    """Recommend work found at the walk-around or in the diagnosis (proposed on the order when it is signed)."""
    visit = visit_of(request, visit_id)
    form = RecommendationForm(request.POST, operations=_operations(visit))
    status = 400
    if form.is_valid():
        found, part_id = _causal_part(form, visit)
        if found:
            data = form.cleaned_data
            try:
                services.recommendation_add(
                    actor=request_user(request),
                    visit_id=visit.pk,
                    data=services.RecommendationIn(
                        operation_id=data["operation"],
                        source=data["source"],
                        note=data["note"],
                        fault_code=data["fault_code"],
                        symptom=data["symptom"],
                        causal_part_id=part_id,
                    ),
                )
            except ApplicationError as error:
                status = refusal_status(form, error)
            else:
                messages.success(request, _("The work is recommended."))
                return redirect(reverse("visits:diagnosis", args=[visit.pk]) + "#recommendations")
        else:
            status = 422
    return _diagnosis_page(request, visit, status=status, recommendation_form=form)


@require_http_methods(["POST"])
@page("visits.diagnose")
def recommendation_remove(request: HttpRequest, visit_id: int, recommendation_id: int) -> HttpResponse:
    visit = visit_of(request, visit_id)
    try:
        services.recommendation_remove(
            actor=request_user(request), visit_id=visit.pk, recommendation_id=recommendation_id
        )
    except ApplicationError as error:
        if error.status == 404:
            raise Http404(error.detail) from None
        messages.error(request, error.detail)
    return redirect(reverse("visits:diagnosis", args=[visit.pk]) + "#recommendations")
