"""The walk-around with the customer on the tablet (RCP-2): the page, the damage marks on the diagram with
their photos, the check photos and the customer's signature it posts, and the photos it shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from aftersales.core.errors import ApplicationError
from aftersales.core.forms import StyledForm
from aftersales.core.media import media_access, media_response
from aftersales.core.routing import can_here, page, request_user
from aftersales.visits import services
from aftersales.visits.models import (
    ChecklistItem,
    CheckResult,
    DamageMark,
    Rating,
    Recommendation,
    TyreReading,
    Visit,
    WalkAround,
)
from aftersales.visits.services.inspection import checklist_of
from aftersales.visits.views.base import (
    WallClock,
    field_label,
    is_htmx,
    refusal_status,
    require_here,
    text_field,
    visit_of,
)

if TYPE_CHECKING:
    pass

# The diagram's drawing box (the template's SVG viewBox): marks are kept in thousandths of it.
DIAGRAM_WIDTH, DIAGRAM_HEIGHT = 600, 640

FORM_ID = "walk-form"
# The letter drawn in a mark, and its colour, per kind of damage.
MARK_LETTERS = {
    DamageMark.Kind.SCRATCH: pgettext_lazy("damage mark", "S"),
    DamageMark.Kind.DENT: pgettext_lazy("damage mark", "D"),
    DamageMark.Kind.CRACK: pgettext_lazy("damage mark", "C"),
    DamageMark.Kind.CHIP: pgettext_lazy("damage mark", "P"),
    DamageMark.Kind.MISSING: pgettext_lazy("damage mark", "M"),
    DamageMark.Kind.LEAK: pgettext_lazy("damage mark", "L"),
}
MARK_COLOURS = {
    DamageMark.Kind.SCRATCH: "#d63384",
    DamageMark.Kind.DENT: "#fd7e14",
    DamageMark.Kind.CRACK: "#dc3545",
    DamageMark.Kind.CHIP: "#6f42c1",
    DamageMark.Kind.MISSING: "#212529",
    DamageMark.Kind.LEAK: "#0d6efd",
}
RATING_STYLES = {Rating.GREEN: "success", Rating.AMBER: "warning", Rating.RED: "danger"}
# What a rating's button says (its full label is the button's title).
RATING_SHORT = {
    Rating.GREEN: pgettext_lazy("rating", "OK"),
    Rating.AMBER: pgettext_lazy("rating", "Soon"),
    Rating.RED: pgettext_lazy("rating", "Now"),
}


# --- forms ----------------------------------------------------------------------------------------------


class WalkAroundForm(StyledForm):
    """The walk-around as one form: covers, glass, valuables, notes, the tyres (``tyre_fl``...) and every check
    of the store's list (``rating_<id>``, ``note_<id>``)."""

    covers_fitted = forms.BooleanField(label=field_label(WalkAround, "covers_fitted"), required=False)
    glass_ok = forms.BooleanField(label=field_label(WalkAround, "glass_ok"), required=False)
    glass_note = text_field(gettext_lazy("What is wrong with the glass"), 200)
    valuables = text_field(field_label(WalkAround, "valuables"), 300)
    notes = text_field(field_label(WalkAround, "notes"), 500, rows=2)

    def __init__(self, *args: Any, items: list[ChecklistItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        for wheel, label in TyreReading.Position.choices:
            self.fields[f"tyre_{wheel}"] = text_field(
                str(label), 10, inputmode="decimal", autocomplete="off", placeholder="mm", enterkeyhint="next"
            )
        for item in items:
            self.fields[f"rating_{item.pk}"] = forms.ChoiceField(
                label=item.name, choices=[("", "—"), *Rating.choices], required=False, widget=forms.RadioSelect
            )
            self.fields[f"note_{item.pk}"] = text_field(field_label(CheckResult, "note"), 200)
        # The inputs sit around the diagram's and the checks' own forms: they belong to this one by name.
        for field in self.fields.values():
            field.widget.attrs["form"] = FORM_ID
            if isinstance(field.widget, forms.TextInput):
                field.widget.attrs.setdefault("class", "form-control")

    def service_field(self, key: str, messages: list[str]) -> tuple[str, list[str]]:
        """``tyres.fl`` is the front-left tread input; ``checks.<id>`` that check's rating."""
        prefix, _dot, rest = key.partition(".")
        if prefix == "tyres" and f"tyre_{rest}" in self.fields:
            return f"tyre_{rest}", messages
        if prefix == "checks" and f"rating_{rest}" in self.fields:
            return f"rating_{rest}", messages
        return super().service_field(key, messages)

    def walk_around_in(self) -> services.WalkAroundIn:
        data = self.cleaned_data
        checks: dict[int, tuple[str, str]] = {}
        for item in self.items:
            rating, note = data.get(f"rating_{item.pk}") or "", data.get(f"note_{item.pk}") or ""
            if rating or note.strip():  # a note on an unrated check: the service asks for the rating
                checks[item.pk] = (rating, note)
        return services.WalkAroundIn(
            covers_fitted=data["covers_fitted"],
            glass_ok=data["glass_ok"],
            glass_note=data["glass_note"],
            valuables=data["valuables"],
            notes=data["notes"],
            tyres={wheel: data[f"tyre_{wheel}"] for wheel in TyreReading.Position.values},
            checks=checks,
        )

    @staticmethod
    def initial_of(walk: WalkAround | None) -> dict[str, Any]:
        if walk is None:
            return {"glass_ok": True}
        initial: dict[str, Any] = {
            "covers_fitted": walk.covers_fitted,
            "glass_ok": walk.glass_ok,
            "glass_note": walk.glass_note,
            "valuables": walk.valuables,
            "notes": walk.notes,
        }
        initial.update({f"tyre_{t.position}": str(t.tread_mm) for t in walk.tyres.all()})
        for check in walk.checks.all():
            initial[f"rating_{check.item_id}"], initial[f"note_{check.item_id}"] = check.rating, check.note
        return initial


class DamageForm(StyledForm):
    kind = forms.ChoiceField(
        label=field_label(DamageMark, "kind"),
        choices=DamageMark.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose what the damage is.")},
    )
    x = forms.IntegerField(
        min_value=0,
        max_value=1000,
        widget=forms.HiddenInput,
        error_messages={"required": gettext_lazy("Tap the diagram where the damage is.")},
    )
    y = forms.IntegerField(
        min_value=0,
        max_value=1000,
        widget=forms.HiddenInput,
        error_messages={"required": gettext_lazy("Tap the diagram where the damage is.")},
    )
    note = text_field(field_label(DamageMark, "note"), 200)
    photo = forms.FileField(label=gettext_lazy("Photo"), required=False)

    service_aliases = {"file": "photo"}


class CheckPhotoForm(StyledForm):
    photo = forms.FileField(label=gettext_lazy("Photo"))

    service_aliases = {"file": "photo"}


class CompleteForm(StyledForm):
    """The customer's signature on the pad closing the walk-around; what the service still misses (checks,
    tyres, covers) is listed above the pad."""

    signer_name = forms.CharField(label=gettext_lazy("Who signs"), max_length=100)
    signature = forms.CharField(
        max_length=1_400_100,
        widget=forms.HiddenInput,
        error_messages={"required": gettext_lazy("Ask the customer to sign on the pad.")},
    )


# --- what the pages show ----------------------------------------------------------------------------------


@dataclass
class CheckRow:
    item: ChecklistItem
    label: str
    rating: forms.BoundField
    note: forms.BoundField
    result: CheckResult | None
    recommend_url: str = ""


def _item_label(item: ChecklistItem) -> str:
    return item.name_en if item.name_en and (get_language() or "").startswith("en") else item.name


def _walk_of(visit: Visit) -> WalkAround | None:
    return (
        WalkAround.objects.filter(visit=visit)
        .select_related("completed_by", "signature")
        .prefetch_related("tyres", "checks__photo", "damages__photo")
        .first()
    )


def _marks(walk: WalkAround | None) -> list[dict[str, Any]]:
    if walk is None:
        return []
    return [
        {
            "mark": mark,
            "number": number,
            "letter": MARK_LETTERS[DamageMark.Kind(mark.kind)],
            "colour": MARK_COLOURS[DamageMark.Kind(mark.kind)],
            "cx": mark.x * DIAGRAM_WIDTH / 1000,
            "cy": mark.y * DIAGRAM_HEIGHT / 1000,
        }
        for number, mark in enumerate(walk.damages.all(), start=1)
    ]


def _may_change_walk(request: HttpRequest, visit: Visit, walk: WalkAround | None) -> bool:
    on_site = visit.state == Visit.State.ON_SITE and (walk is None or walk.completed_at is None)
    return on_site and can_here(request, "visits.receive")


def _pending(form: DamageForm | None) -> tuple[float, float] | None:
    """Where a refused mark was tapped, to draw it again with its form."""
    if form is None or not form.is_bound:
        return None
    x, y = str(form["x"].value() or ""), str(form["y"].value() or "")
    if not (x.isdigit() and y.isdigit() and int(x) <= 1000 and int(y) <= 1000):
        return None
    return int(x) * DIAGRAM_WIDTH / 1000, int(y) * DIAGRAM_HEIGHT / 1000


def _damages_context(
    request: HttpRequest, visit: Visit, walk: WalkAround | None, damage_form: DamageForm | None = None
) -> dict[str, Any]:
    return {
        "pending": _pending(damage_form),
        "visit": visit,
        "marks": _marks(walk),
        "kinds": [(kind, label, MARK_LETTERS[DamageMark.Kind(kind)]) for kind, label in DamageMark.Kind.choices],
        "damage_form": damage_form or DamageForm(),
        "may_change": _may_change_walk(request, visit, walk),
        "diagram": {"width": DIAGRAM_WIDTH, "height": DIAGRAM_HEIGHT},
    }


def _walk_around_page(
    request: HttpRequest,
    visit: Visit,
    *,
    status: int = 200,
    form: WalkAroundForm | None = None,
    damage_form: DamageForm | None = None,
    complete_form: CompleteForm | None = None,
) -> HttpResponse:
    walk = _walk_of(visit)
    items = checklist_of(visit.store_id)
    form = form or WalkAroundForm(initial=WalkAroundForm.initial_of(walk), items=items)
    may_change = _may_change_walk(request, visit, walk)
    if not may_change:
        for field in form.fields.values():
            field.disabled = True
    may_recommend = visit.state == Visit.State.ON_SITE and can_here(request, "visits.diagnose")
    results = {check.item_id: check for check in walk.checks.all()} if walk is not None else {}
    sections = []
    for section, title in ChecklistItem.Section.choices:
        rows = []
        for item in items:
            if item.section != section:
                continue
            row = CheckRow(
                item, _item_label(item), form[f"rating_{item.pk}"], form[f"note_{item.pk}"], results.get(item.pk)
            )
            if may_recommend and row.result is not None and row.result.rating in {Rating.AMBER, Rating.RED}:
                symptom = f"{row.label}：{row.result.note}" if row.result.note else row.label
                query = urlencode({"source": Recommendation.Source.WALK_AROUND, "symptom": symptom[:200]})
                row.recommend_url = f"{reverse('visits:diagnosis', args=[visit.pk])}?{query}#recommend"
            rows.append(row)
        if rows:
            sections.append((section, title, rows))
    clock = WallClock(visit.store)
    completed = walk is not None and walk.completed_at is not None
    context = {
        **_damages_context(request, visit, walk, damage_form),
        "walk": walk,
        "form": form,
        "tyres": [form[f"tyre_{wheel}"] for wheel in TyreReading.Position.values],
        "sections": sections,
        "ratings": [
            (value, label, RATING_SHORT[Rating(value)], RATING_STYLES[Rating(value)]) for value, label in Rating.choices
        ],
        "complete_form": complete_form or CompleteForm(initial={"signer_name": visit.contact_name}),
        "completed": completed,
        "completed_at": clock(walk.completed_at) if walk is not None and walk.completed_at else None,
        "may_see_signature": can_here(request, "messages.view"),
        "on_site": visit.state == Visit.State.ON_SITE,
        "tab": "walk_around",
    }
    return render(request, "visits/inspection/walk_around.html", context, status=status)


def _damages(
    request: HttpRequest, visit: Visit, *, status: int = 200, damage_form: DamageForm | None = None
) -> HttpResponse:
    """The diagram with its marks and the form for the next one (what a damage posted with HTMX swaps in)."""
    context = _damages_context(request, visit, _walk_of(visit), damage_form)
    return render(request, "visits/inspection/_damages.html", context, status=status)


def _back(visit: Visit, anchor: str = "") -> HttpResponse:
    return redirect(reverse("visits:walk_around", args=[visit.pk]) + anchor)


# --- the walk-around ----------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@page("visits.view")
def walk_around(request: HttpRequest, visit_id: int) -> HttpResponse:
    """The walk-around with the customer at the car; saving it needs ``visits.receive``."""
    visit = visit_of(request, visit_id)
    if request.method == "GET":
        return _walk_around_page(request, visit)
    require_here(request, "visits.receive")
    form = WalkAroundForm(request.POST, items=checklist_of(visit.store_id))
    status = 400
    if form.is_valid():
        try:
            services.walk_around_save(actor=request_user(request), visit_id=visit.pk, data=form.walk_around_in())
        except ApplicationError as error:
            status = refusal_status(form, error)
        else:
            messages.success(request, _("The walk-around is saved."))
            return _back(visit)
    return _walk_around_page(request, visit, status=status, form=form)


@require_http_methods(["POST"])
@page("visits.receive")
def damage_add(request: HttpRequest, visit_id: int) -> HttpResponse:
    """Mark a damage where the diagram was tapped, with a photo if one was taken."""
    visit = visit_of(request, visit_id)
    form = DamageForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.damage_add(
                actor=request_user(request),
                visit_id=visit.pk,
                kind=data["kind"],
                x=data["x"],
                y=data["y"],
                note=data["note"],
                photo=data["photo"],
            )
        except ApplicationError as error:
            status = refusal_status(form, error)
        else:
            if is_htmx(request):
                return _damages(request, visit)
            return _back(visit, "#damages")
    if is_htmx(request):
        return _damages(request, visit, status=status, damage_form=form)
    return _walk_around_page(request, visit, status=status, damage_form=form)


@require_http_methods(["POST"])
@page("visits.receive")
def damage_remove(request: HttpRequest, visit_id: int, mark_id: int) -> HttpResponse:
    visit = visit_of(request, visit_id)
    try:
        services.damage_remove(actor=request_user(request), visit_id=visit.pk, mark_id=mark_id)
    except ApplicationError as error:
        if error.status == 404:
            raise Http404(error.detail) from None
        messages.error(request, error.detail)
        return _back(visit, "#damages")
    if is_htmx(request):
        return _damages(request, visit)
    return _back(visit, "#damages")


@require_http_methods(["POST"])
@page("visits.receive")
def check_photo(request: HttpRequest, visit_id: int, item_id: int) -> HttpResponse:
    """Add or replace the photo of a rated check (HTMX swaps in the check's photo cell)."""
    visit = visit_of(request, visit_id)
    form = CheckPhotoForm(request.POST, request.FILES)
    status = 400
    result: CheckResult | None = None
    if form.is_valid():
        try:
            result = services.check_photo_add(
                actor=request_user(request), visit_id=visit.pk, item_id=item_id, photo=form.cleaned_data["photo"]
            )
        except ApplicationError as error:
            status = refusal_status(form, error)
        else:
            status = 200
    if not is_htmx(request):
        if result is None:
            messages.error(request, form.error_summary())
        return _back(visit, f"#check-{item_id}")
    if result is None:
        result = CheckResult.objects.filter(walk_around__visit=visit, item_id=item_id).select_related("photo").first()
    context = {"visit": visit, "item_id": item_id, "result": result, "errors": form.errors, "may_change": True}
    return render(request, "visits/inspection/_check_photo.html", context, status=status)


@require_http_methods(["POST"])
@page("visits.receive")
def walk_around_complete(request: HttpRequest, visit_id: int) -> HttpResponse:
    """The customer signs the walk-around on the tablet."""
    visit = visit_of(request, visit_id)
    form = CompleteForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.walk_around_complete(
                actor=request_user(request),
                visit_id=visit.pk,
                signature=form.cleaned_data["signature"],
                signer_name=form.cleaned_data["signer_name"],
            )
        except ApplicationError as error:
            status = refusal_status(form, error)
        else:
            messages.success(request, _("The walk-around is signed and complete."))
            return _back(visit)
    return _walk_around_page(request, visit, status=status, complete_form=form)


@require_http_methods(["GET"])
@page("visits.view")
def photo(request: HttpRequest, visit_id: int, media_id: int) -> FileResponse:
    """A photo of this visit's walk-around (a damage's or a check's); ``?thumb=1`` for its thumbnail."""
    visit = visit_of(request, visit_id)
    ours = (
        DamageMark.objects.filter(walk_around__visit=visit, photo_id=media_id).exists()
        or CheckResult.objects.filter(walk_around__visit=visit, photo_id=media_id).exists()
    )
    if not ours:
        raise Http404
    actor = request_user(request)
    media = media_access(actor=actor, media_id=media_id)
    return media_response(media, actor=actor, thumbnail=request.GET.get("thumb") == "1")
