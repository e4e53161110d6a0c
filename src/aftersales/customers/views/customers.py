"""Pages of the customer archive: search and list, the customer record and its form, reveals, inline checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from aftersales.core import identifiers
from aftersales.core import selectors as core_selectors
from aftersales.core.access import visible_store_ids
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.history import HistoryNames
from aftersales.core.models import Store, User
from aftersales.core.routing import active_store_id, can_here, page, request_user
from aftersales.customers import documents, selectors, services
from aftersales.customers.forms import (
    CustomerFilterForm,
    CustomerForm,
    FirstVehicleForm,
    IdentifierCheckForm,
    RevealForm,
)
from aftersales.customers.models import Customer, Vehicle, VehicleLink
from aftersales.customers.selectors import search as search_ranking
from aftersales.customers.views.base import edit_submit, timeline_kinds, timeline_part

PAGE_SIZE = 50


MATCH_LABELS = {
    "resident_id": gettext_lazy("Resident ID"),
    "number": gettext_lazy("Customer number"),
    "vin": gettext_lazy("VIN"),
    "vin6": gettext_lazy("VIN"),
    "mobile": gettext_lazy("Mobile"),
    "mobile4": gettext_lazy("Mobile"),
    "plate": gettext_lazy("Plate"),
    "oldplate": gettext_lazy("Former plate"),
    "name": gettext_lazy("Name"),
    "initials": gettext_lazy("Initials"),
    "pinyin": gettext_lazy("Pinyin"),
}


FAMILY_LABELS = {
    "resident_id": gettext_lazy("Resident ID"),
    "number": gettext_lazy("Customer number"),
    "vin": gettext_lazy("VIN"),
    "mobile": gettext_lazy("Mobile"),
    "plate": gettext_lazy("Plate"),
    "name": gettext_lazy("Name"),
}


@dataclass
class Row:
    customer: Customer
    personal: dict[str, Any]
    matched: str = ""
    matched_kind: str = ""
    vehicle: Vehicle | None = None
    vehicles: list[Vehicle] | None = None  # the customer's current vehicles (the plate and model columns)


def _vehicles_shown(rows: list[Row]) -> None:
    """Each row's vehicles for the plate and model columns: the one the search found, else the ones the
    customer owns now (one query for the page)."""
    wanted = [row.customer.pk for row in rows if row.vehicle is None]
    owned: dict[int, list[Vehicle]] = {}
    if wanted:
        links = (
            VehicleLink.objects.filter(customer_id__in=wanted, role=VehicleLink.Role.OWNER, valid_to=None)
            .select_related("vehicle__model__brand")
            .order_by("-valid_from", "-pk")
        )
        for link in links:
            owned.setdefault(link.customer_id, []).append(link.vehicle)
    for row in rows:
        row.vehicles = [row.vehicle] if row.vehicle is not None else owned.get(row.customer.pk, [])


def _owners(request: HttpRequest, also: int | None = None) -> QuerySet[User]:
    """Staff who can own an archive: active members of the stores the user sees (and the current owner)."""
    return selectors.archive_owners(visible_store_ids(request.user), also=also)


@require_http_methods(["GET"])
@page("customers.view")
def customer_list(request: HttpRequest) -> HttpResponse:
    form = CustomerFilterForm(request.GET or None, stores=core_selectors.store_list(is_active=True).order_by("code"))
    page_obj: Page[Any] | None = None
    rows: list[Row] = []
    status = 200
    search_more = False
    families: list[dict[str, Any]] = []
    family: str | None = None
    query_all: Any = ""
    if request.GET and not form.is_valid():
        status = 400
    else:
        data = form.cleaned_data if request.GET else {}
        q = data.get("q") or ""
        customer_class = data.get("customer_class") or None
        store = data.get("home_store")
        if identifiers.compact(q):  # invisible characters alone are no search
            filters = {"customer_class": customer_class, "home_store_id": store.pk if store else None}
            family = data.get("family") or None
            hits = selectors.SearchPages(q, family=family, **filters)
            if family and family not in hits.families and hits.families:
                # Narrowed to a family the new text does not match: show what it does match.
                family = None
                hits = selectors.SearchPages(q, **filters)
            search_more = hits.more
            query_all = request.GET.copy()
            for name in ("page", "family"):
                query_all.pop(name, None)
            families = [
                {"code": code, "label": FAMILY_LABELS[code], "count": count, "more": more, "active": code == family}
                for code, (count, more) in hits.families.items()
            ]
            page_obj = Paginator(hits, PAGE_SIZE).get_page(request.GET.get("page"))
            rows = [
                Row(
                    hit.customer,
                    selectors.customer_personal(hit.customer, personal=False),
                    str(MATCH_LABELS.get(hit.matched, hit.matched)),
                    hit.matched,
                    hit.vehicle,
                )
                for hit in page_obj
            ]
        else:
            customers = selectors.customer_list(
                customer_class=customer_class, home_store_id=store.pk if store else None
            ).order_by("-created_at", "-pk")
            page_obj = Paginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
            rows = [Row(c, selectors.customer_personal(c, personal=False)) for c in page_obj.object_list]
    _vehicles_shown(rows)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page_obj": page_obj,
        "page_range": (
            list(page_obj.paginator.get_elided_page_range(page_obj.number, on_each_side=2, on_ends=1))
            if page_obj is not None and page_obj.has_other_pages()
            else []
        ),
        "rows": rows,
        "query": query.urlencode(),
        "searching": bool(form.is_bound and form.is_valid() and identifiers.compact(form.cleaned_data.get("q") or "")),
        "search_more": search_more,
        "search_limit": search_ranking.SEARCH_LIMIT,
        "families": families if len(families) > 1 or family else [],
        "family": family,
        "query_all": query_all.urlencode() if query_all else "",
        "can_edit": can_here(request, "customers.edit"),
        "can_export": can_here(request, "customers.export"),
        "can_merge": can_here(request, "customers.merge"),
    }
    template = "customers/list.html#customer-results" if request.htmx else "customers/list.html"  # type: ignore[attr-defined]
    return render(request, template, context, status=status)


@require_http_methods(["GET"])
@page("customers.view")
def customer_archive_card(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The customer's archive card as a PDF, with the letterhead of the store the reader works in."""
    customer = selectors.customer_get(customer_id)
    store_id = active_store_id(request)
    store = Store.objects.select_related("legal_entity").filter(pk=store_id).first() if store_id else None
    link = request.build_absolute_uri(reverse("customers:detail", args=[customer.pk]))
    pdf = documents.archive_card_pdf(actor=request_user(request), customer=customer, store=store, link=link)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{customer.number}.pdf"'
    return response


@require_http_methods(["GET"])
@page("customers.view")
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    chosen = timeline_kinds(request)
    if chosen is None:
        return HttpResponseBadRequest(_("Unknown timeline filter."))
    kind, kinds = chosen
    customer = selectors.customer_get(customer_id)
    names = HistoryNames()  # the timeline and the change log name the same records: looked up once
    timeline = selectors.customer_timeline(customer, kinds=kinds, names=names)
    context: dict[str, Any] = {"customer": customer, **timeline_part(kind, timeline)}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "customers/detail.html#timeline", context)
    # Personal values show masked to everyone; a reader with the right reveals one with a click,
    # which is audited (customer_reveal). The change log and timeline stay masked on the page.
    personal = can_here(request, "customers.view_personal")
    links = list(customer.vehicle_links.all())
    context.update(
        personal=selectors.customer_personal(customer, personal=False),
        can_reveal=personal,
        current_links=[link for link in links if link.valid_to is None],
        past_links=[link for link in links if link.valid_to is not None],
        changes=selectors.change_log_history(selectors.change_log(customer), names=names),
        can_edit=can_here(request, "customers.edit"),
        can_review=can_here(request, "customers.review"),
        can_documents=personal,
        can_privacy=selectors.customer_privacy_allowed(request_user(request), customer),
        can_merge=can_here(request, "customers.merge"),
        can_message=can_here(request, "messages.send"),
        duplicates=selectors.duplicates_of(customer) if can_here(request, "customers.merge") else [],
    )
    return render(request, "customers/detail.html", context)


# The record page's "show" buttons: one personal field in full, for readers with the right, audited.
@require_POST
@page("customers.view_personal")
def customer_reveal(request: HttpRequest, customer_id: int) -> HttpResponse:
    form = RevealForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(form.error_summary())
    field_name = form.cleaned_data["field"]
    value = services.customer_reveal(actor=request_user(request), customer_id=customer_id, field=field_name)
    return render(request, "customers/partials.html#revealed", {"field": field_name, "value": value})


@require_POST
@page("customers.review")
def customer_review(request: HttpRequest, customer_id: int) -> HttpResponse:
    try:
        services.customer_mark_reviewed(actor=request_user(request), customer_id=customer_id)
    except ConflictError as refused:  # merged into another record
        messages.error(request, refused.detail)
    else:
        messages.success(request, _("The archive is marked as reviewed."))
    return redirect("customers:detail", customer_id=customer_id)


@require_http_methods(["GET", "POST"])
@page("customers.edit")
def customer_create(request: HttpRequest) -> HttpResponse:
    form = CustomerForm(request.POST or None, owners=_owners(request))
    vehicle_form = FirstVehicleForm(request.POST or None)
    status = 200
    duplicates: list[dict[str, Any]] = []
    if request.method == "POST":
        with_vehicle = vehicle_form.entered()
        if form.is_valid() and (not with_vehicle or vehicle_form.is_valid()):
            try:
                customer = _create_with_vehicle(request, form, vehicle_form if with_vehicle else None)
            except ConflictError as error:
                # A shared mobile: the page lists who has it, to open, or to create anyway (recorded).
                duplicates = error.extra.get("matches", [])
                status = 409
            except _VehicleRefused as refused:
                vehicle_form.add_service_errors(refused.error)
                status = 400
            except ApplicationError as error:
                form.add_service_errors(error)
                status = 400
            else:
                messages.success(request, _("Customer %(number)s created.") % {"number": customer.number})
                return redirect("customers:detail", customer_id=customer.pk)
        else:
            status = 400
    context = {"form": form, "vehicle_form": vehicle_form, "customer": None, "duplicates": duplicates}
    return render(request, "customers/customer_form.html", context, status=status)


class _VehicleRefused(Exception):
    def __init__(self, error: ApplicationError) -> None:
        super().__init__(error.detail)
        self.error = error


@transaction.atomic
def _create_with_vehicle(request: HttpRequest, form: CustomerForm, vehicle_form: FirstVehicleForm | None) -> Customer:
    """The customer and, when one was entered, the first vehicle: both or neither."""
    actor = request_user(request)
    customer = services.customer_create(
        actor=actor,
        store=core_selectors.store_get(store_id=cast(int, active_store_id(request))),
        data=form.service_data(),
        confirm_duplicates=request.POST.get("confirm_duplicates") == "1",
    )
    if vehicle_form is not None:
        try:
            services.vehicle_create(actor=actor, owner=customer, data=vehicle_form.service_data())
        except ApplicationError as error:
            raise _VehicleRefused(error) from None
    return customer


@require_http_methods(["GET", "POST"])
@page("customers.edit")
def customer_edit(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = selectors.customer_get(customer_id)
    if customer.anonymised_at is not None:
        messages.warning(request, _("This customer was anonymised on request; the record can no longer be edited."))
        return redirect("customers:detail", customer_id=customer.pk)
    personal = selectors.customer_personal(customer, personal=can_here(request, "customers.view_personal"))
    if request.method == "GET" and not personal["masked"]:
        # The form shows the personal values in full to be edited: that is a reveal, and recorded.
        services.customer_reveal(actor=request_user(request), customer_id=customer.pk, field="all")
    form = CustomerForm(
        request.POST or None,
        initial=CustomerForm.initial_for(customer, personal),
        editing=True,
        resident_id_hint=customer.resident_id_hint,
        owners=_owners(request, also=customer.owner_id),
    )
    status, conflict, saved = edit_submit(
        request,
        form,
        lambda version, data: services.customer_update(
            actor=request_user(request), customer_id=customer.pk, version=version, data=data
        ),
    )
    if saved:
        return redirect("customers:detail", customer_id=customer.pk)
    context = {"form": form, "customer": customer, "conflict": conflict}
    return render(request, "customers/customer_form.html", context, status=status)


def _check_lines(value: str) -> list[str]:
    errors = []
    for line in (line.strip() for line in value.splitlines()):
        if not line:
            continue
        try:
            identifiers.clean_mobile(line)
        except ValidationError as error:
            errors += [_("%(number)s: %(message)s") % {"number": line, "message": m} for m in error.messages]
    return errors


_CHECKS: dict[str, Callable[[str, HttpRequest], object]] = {
    "email": lambda value, request: identifiers.clean_email(value),
    "uscc": lambda value, request: identifiers.clean_uscc(value),
    "resident_id": lambda value, request: identifiers.clean_resident_id(value),
    "emergency_phone": lambda value, request: identifiers.clean_mobile(value),
    "landline": lambda value, request: identifiers.clean_landline(value),
    "plate": lambda value, request: identifiers.clean_plate(value),
    "vin": lambda value, request: identifiers.clean_vin(
        value, allow_bad_check_digit=bool(request.POST.get("vin_check_override"))
    ),
}


@require_POST
@page("customers.edit")
def identifier_check(request: HttpRequest, field: str) -> HttpResponse:
    """Check one identifier input while the form is filled in; writes nothing."""
    if field != "mobiles" and field not in _CHECKS:
        raise Http404(_("Not found."))
    # The mobiles: one input per number, checked together (each on its own line of the check).
    values = request.POST.getlist(field) if field == "mobiles" else [request.POST.get(field, "")]
    value = "\n".join(values)
    errors: list[str] = []
    for one in values:
        form = IdentifierCheckForm({field: one}, field=field)
        if not form.is_valid():
            errors += list(form.errors["value"])
    if not errors and field == "mobiles":
        errors = _check_lines(value)
    elif not errors and value.strip():
        try:
            _CHECKS[field](value, request)
        except ValidationError as error:
            errors = list(error.messages)
    context = {"field": field, "errors": errors, "ok": bool(value.strip()) and not errors}
    return render(request, "customers/partials.html#check", context, status=400 if errors else 200)


@require_http_methods(["GET"])
@page("customers.edit")
def mobile_input(request: HttpRequest) -> HttpResponse:
    """One more mobile input for the customer form ("add another number")."""
    return render(request, "customers/widgets/mobile_input.html", {"position": 2, "widget": {"name": "mobiles"}})


@require_http_methods(["GET"])
@page("customers.edit")
def address_choice(request: HttpRequest) -> HttpResponse:
    """The city and district lists for the province and city chosen so far (the form's cascading choice)."""
    chosen = {key: request.GET.get(key, "")[:30] for key in ("province", "city", "district")}
    form = CustomerForm(initial=chosen)
    return render(request, "customers/customer_form.html#address-choice", {"form": form})


PICKS = 8
PICK_TEXT_MAX = 30  # the customer input's maxlength (CustomerNumberField)


@require_http_methods(["GET"])
@page("customers.edit")
def customer_pick(request: HttpRequest) -> HttpResponse:
    """The customers matching what is typed into a customer input (driver, new owner): the archive
    search's best few, each a button that puts its number into the input."""
    raw = next((value for value in request.GET.values() if isinstance(value, str) and value), "")
    form = IdentifierCheckForm({"value": raw}, field="value")
    if not form.is_valid() or len(raw) > PICK_TEXT_MAX:
        problems = list(form.errors.get("value", [])) or [_("Enter at most %(n)s characters.") % {"n": PICK_TEXT_MAX}]
        return render(request, "customers/partials.html#picks", {"picks": [], "problems": problems}, status=400)
    typed = raw
    hits = selectors.archive_search(typed, limit=PICKS).hits if identifiers.compact(typed) else []
    picks = [
        {
            "number": hit.customer.number,
            "name": hit.customer.name,
            "mobile": selectors.customer_personal(hit.customer, personal=False)["mobiles"][:1],
            "plate": hit.vehicle.plate if hit.vehicle else "",
            "matched": MATCH_LABELS.get(hit.matched, hit.matched),
        }
        for hit in hits
    ]
    return render(request, "customers/partials.html#picks", {"picks": picks, "typed": typed})
