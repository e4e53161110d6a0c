"""Pages of the platform: sign-in, password, today, stores, companies, the holiday calendar, staff, audit
trail, API tokens, kept files, error pages."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.exceptions import DisallowedHost, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from aftersales.core import selectors, services
from aftersales.core.access import authorize, can
from aftersales.core.apikit import error_json
from aftersales.core.audit import audit_append, audit_trail_shown
from aftersales.core.calendar import store_today
from aftersales.core.errors import ApplicationError
from aftersales.core.forms import (
    AuditFilterForm,
    CalendarYearForm,
    LegalEntityForm,
    LoginForm,
    PasswordChangeForm,
    StoreFilterForm,
    StoreSwitchForm,
    TokenForm,
    form_run,
    next_path,
)
from aftersales.core.grants import default_store, visible_store_ids
from aftersales.core.history import audit_history
from aftersales.core.media import media_access, media_response
from aftersales.core.models import Bay, Department, Role, StaffMembership, Store, User
from aftersales.core.routing import acting_store, active_store_id, can_here, page, request_user


def _landing_for(user: User, store_id: int | None) -> str:
    if user.is_superuser:
        return "manager"
    memberships = StaffMembership.all_objects.filter(user=user, is_active=True).select_related("role")
    chosen = next((m for m in memberships if m.store_id == store_id), None) or memberships.first()
    return chosen.role.landing if chosen else "general"


@require_http_methods(["GET", "POST"])
@page(public=True)
def login_view(request: HttpRequest) -> HttpResponse:
    # A crafted sign-in link cannot put anything in the form that would then refuse to sign in.
    shown_next = next_path(request.GET.get("next")) if request.method == "GET" else ""
    if request.user.is_authenticated and request.method == "GET":
        return redirect(shown_next or "core:today")
    form = LoginForm(request.POST or None, initial={"next": shown_next})
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        else:
            try:
                user = services.auth_attempt(
                    request=request, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
                )
            except ApplicationError as error:
                form.add_service_errors(error)
            else:
                login(request, user)
                signed_in(request, user)
                return redirect(form.cleaned_data["next"] or "core:today")
    return render(request, "core/login.html", {"form": form}, status=status)


def signed_in(request: HttpRequest, user: User) -> None:
    """What follows every sign-in to the pages (ours and the admin's): the first store, the audit entry."""
    first = default_store(visible_store_ids(user))
    request.session["store_id"] = first.pk if first else None
    audit_append(
        action="login", actor=user, store_id=first.pk if first else None, client_ip=services.client_ip_of(request)
    )


@require_http_methods(["GET", "POST"])
@page()
def password_change(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = PasswordChangeForm(request.POST or None, initial={"next": next_path(request.GET.get("next"))})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                changed = services.user_password_change(
                    actor=user,
                    request=request,
                    current_password=form.cleaned_data["current_password"],
                    new_password=form.cleaned_data["new_password"],
                )
            except ApplicationError as error:
                form.add_service_errors(error)
                status = 429 if error.code == "locked_out" else 400
            else:
                # The other sessions of the user end with the old password; this one goes on.
                update_session_auth_hash(request, changed)
                messages.success(request, _("Your password has been changed."))
                return redirect(form.cleaned_data["next"] or "core:today")
    context = {
        "form": form,
        "forced": user.must_change_password,
        "rules": password_validators_help_texts(),
        "back": next_path(form["next"].value()) or reverse("core:today"),
    }
    return render(request, "core/password_change.html", context, status=status)


@require_POST
@page()
def logout_view(request: HttpRequest) -> HttpResponse:
    audit_append(action="logout", actor=request_user(request), store_id=active_store_id(request))
    logout(request)
    return redirect("core:login")


@require_POST
@page()
def store_switch(request: HttpRequest) -> HttpResponse:
    form = StoreSwitchForm(request.POST)
    if not form.is_valid():
        return render(request, "errors/error.html", {"status": 400, "message": form.error_summary()}, status=400)
    store_id = form.cleaned_data["store"]
    authorize(request.user, None, store_id=store_id)  # another store's: 404, audited
    if not Store.objects.filter(pk=store_id, is_active=True).exists():
        raise Http404(_("Not found."))
    request.session["store_id"] = store_id
    return redirect(form.cleaned_data["next"] or "core:today")


@require_http_methods(["GET"])
@page("today.view")
def today(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    store_id = active_store_id(request)
    store = Store.objects.filter(pk=store_id).first() if store_id else None
    view = selectors.today_view(user=user, store=store, landing=_landing_for(user, store_id))
    charts = [
        {"key": c.key, "title": str(c.title), "kind": c.kind, "labels": c.labels, "values": c.values}
        for c in view.charts
    ]
    return render(
        request, "core/today.html", {"view": view, "store": store, "charts": charts, "now": timezone.localtime()}
    )


@require_http_methods(["GET"])
@page("stores.view")
def store_list(request: HttpRequest) -> HttpResponse:
    form = StoreFilterForm(request.GET)
    if not form.is_valid():
        status, q, rows = 400, "", []
    else:
        status, q = 200, form.cleaned_data["q"]
        stores = list(selectors.store_list(q=q or None).order_by("code")[:500])
        brands = selectors.store_brand_codes(stores)
        rows = [(store, brands[store.pk]) for store in stores]
    template = "core/stores.html#store-rows" if request.htmx else "core/stores.html"  # type: ignore[attr-defined]
    return render(request, template, {"rows": rows, "q": q, "form": form}, status=status)


@require_http_methods(["GET"])
@page("stores.view", store_kwarg="store_id")
def store_detail(request: HttpRequest, store_id: int) -> HttpResponse:
    store = selectors.store_get(store_id=store_id)
    context = {
        "store": store,
        "departments": Department.objects.filter(store=store).order_by("code"),
        "bays": Bay.objects.filter(store=store).order_by("code"),
        "days": selectors.store_days(store, store_today(store), 14),
    }
    return render(request, "core/store_detail.html", context)


# --- companies ---------------------------------------------------------------------------------


@require_http_methods(["GET"])
@page("stores.view")
def company_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    entities = [(entity, selectors.legal_entity_bank_account(entity, user)) for entity in selectors.legal_entity_list()]
    without = Store.objects.filter(legal_entity=None, is_active=True).order_by("code")
    return render(
        request,
        "core/companies.html",
        {"entities": entities, "without": without, "can_manage": can_here(request, "companies.manage")},
    )


def _company_form_page(request: HttpRequest, entity: Any) -> HttpResponse:
    group = acting_store(request, permission="companies.manage").group
    stores = list(Store.all_objects.filter(group=group).select_related("legal_entity").order_by("code"))
    # Who may record companies without seeing bank accounts in full does not get the account in the
    # form: an empty field keeps the recorded one.
    keeps_account = entity is not None and not can_here(request, "companies.bank")
    initial = {}
    if entity is not None:
        initial = {name: getattr(entity, name) for name in LegalEntityForm.base_fields if name != "store_ids"}
        initial["store_ids"] = [store.pk for store in stores if store.legal_entity_id == entity.pk]
        if keeps_account:
            initial["bank_account"] = ""
    form = LegalEntityForm(request.POST or None, initial=initial, stores=stores)
    if keeps_account and entity.bank_account:
        form.fields["bank_account"].help_text = _("Recorded: %(account)s. Leave empty to keep it.") % {
            "account": selectors.legal_entity_bank_account(entity, request_user(request))
        }
    status = 200
    if request.method == "POST":
        if form.is_valid():
            actor = request_user(request)
            data = form.service_data()
            if keeps_account and not data["bank_account"]:
                del data["bank_account"]
            saved, result = form_run(
                form,
                (lambda: services.legal_entity_create(actor=actor, group=group, data=data))
                if entity is None
                else (lambda: services.legal_entity_update(actor=actor, entity_id=entity.pk, data=data)),
            )
            if saved:
                messages.success(request, _("%(name)s is saved.") % {"name": result.name})
                return redirect("core:companies")
        status = 400
    return render(request, "core/company_form.html", {"form": form, "entity": entity}, status=status)


@require_http_methods(["GET", "POST"])
@page("companies.manage")
def company_create(request: HttpRequest) -> HttpResponse:
    return _company_form_page(request, None)


@require_http_methods(["GET", "POST"])
@page("companies.manage")
def company_edit(request: HttpRequest, entity_id: int) -> HttpResponse:
    return _company_form_page(request, selectors.legal_entity_get(entity_id))


# --- the holiday calendar ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@page("stores.view")
def calendar_year(request: HttpRequest, year: int | None = None) -> HttpResponse:
    """A year's public holidays and make-up working days; the table to edit them, for who may."""
    store_id = active_store_id(request)
    store = Store.objects.filter(pk=store_id).first() if store_id else None
    year = year or (store_today(store).year if store else timezone.localdate().year)
    if not services.YEAR_MIN <= year <= services.YEAR_MAX:
        raise Http404(_("Not found."))
    days = selectors.calendar_days(year)
    form = None
    status = 200
    if can_here(request, "calendar.manage"):
        if request.method == "POST":
            form = CalendarYearForm(request.POST, count=CalendarYearForm.sent_count(request.POST))
            if form.is_valid():
                actor, rows = request_user(request), form.days()
                saved, _result = form_run(form, lambda: services.calendar_year_save(actor=actor, year=year, days=rows))
                if saved:
                    messages.success(request, _("The calendar of %(year)d is saved.") % {"year": year})
                    return redirect("core:calendar_year", year=year)
            status = 400
        else:
            count = len(days) + CalendarYearForm.EMPTY_ROWS
            initial: dict[str, Any] = {"rows": count}
            for row, entry in enumerate(days):
                initial |= {f"day_{row}": entry.day, f"kind_{row}": entry.kind, f"name_{row}": entry.name}
            form = CalendarYearForm(initial=initial, count=count)
    elif request.method == "POST":
        return HttpResponse(_("You may not edit the calendar."), status=403)
    context = {"year": year, "days": days, "form": form, "store": store}
    return render(request, "core/calendar.html", context, status=status)


@require_http_methods(["GET"])
@page("staff.view")
def staff_list(request: HttpRequest) -> HttpResponse:
    store_id = active_store_id(request)
    memberships = (
        StaffMembership.objects.filter(store_id=store_id, is_active=True)
        .select_related("user", "role", "user__profile", "department")
        .prefetch_related("user__profile__certificates")
        .order_by("role__pk", "user__username")
    )
    return render(request, "core/staff.html", {"memberships": memberships, "roles": Role.objects.all()})


def _audit_entries(request: HttpRequest) -> tuple[AuditFilterForm, Any]:
    user = request_user(request)
    visible = visible_store_ids(user)
    form = AuditFilterForm(request.GET or None, stores=Store.objects.order_by("code"))
    entries = None
    if not request.GET or form.is_valid():
        data = form.cleaned_data if request.GET else {}
        store = data.get("store")
        entries = selectors.audit_search(
            actor=data.get("actor") or None,
            object_type=data.get("object_type") or None,
            object_id=data.get("object_id") or None,
            action=data.get("action") or None,
            store_id=store.pk if store else None,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            visible_store_ids=visible,
        ).select_related("store")
    return form, entries


@require_http_methods(["GET"])
@page("audit.view")
def audit_list(request: HttpRequest) -> HttpResponse:
    form, entries = _audit_entries(request)
    page_obj = Paginator(entries, 50).get_page(request.GET.get("page")) if entries is not None else None
    rows = []
    if page_obj is not None:
        # Personal values stay off the trail-wide page: they show on the person's own record, by role.
        rows = audit_history(page_obj.object_list, shown=audit_trail_shown)
    query = request.GET.copy()
    query.pop("page", None)
    template = "core/audit.html#audit-results" if request.htmx else "core/audit.html"  # type: ignore[attr-defined]
    context = {"form": form, "page_obj": page_obj, "rows": rows, "query": query.urlencode()}
    return render(request, template, context, status=200 if entries is not None else 400)


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_http_methods(["GET"])
@page("audit.view")
def audit_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    form, entries = _audit_entries(request)
    if entries is None:
        return render(request, "core/audit.html", {"form": form, "page_obj": None, "query": ""}, status=400)
    audit_append(
        action="export",
        actor=request_user(request),
        store_id=active_store_id(request),
        object_type="core.auditentry",
        changes={"filters": {k: v for k, v in request.GET.items() if k in form.fields}, "rows": entries.count()},
    )
    writer = csv.writer(_Echo())
    header = [
        _("Time"),
        _("User name"),
        _("Store"),
        _("Action"),
        _("Object type"),
        _("Object id"),
        _("Object"),
        _("Changes"),
        _("Client address"),
    ]

    def rows() -> Any:
        yield "\ufeff" + writer.writerow(header)
        for entry in entries.iterator(chunk_size=1000):
            yield writer.writerow(
                [
                    timezone.localtime(entry.created_at).isoformat(timespec="seconds"),
                    entry.actor_username,
                    entry.store.code if entry.store else "",
                    entry.get_action_display(),
                    entry.object_type,
                    entry.object_id,
                    entry.object_repr,
                    # As recorded, for reading by machine and in any language; the page shows them labelled.
                    json.dumps(audit_trail_shown(entry), ensure_ascii=False, sort_keys=True),
                    entry.client_ip or "",
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit.csv"'
    return response


@require_http_methods(["GET", "POST"])
@page("tokens.manage")
def token_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    never_allowed = can(user, "tokens.no_expiry")  # as token_create judges it
    form = TokenForm(request.POST or None, never_allowed=never_allowed)
    new_token = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            _token, new_token = services.token_create(user=user, name=form.cleaned_data["name"], **form.expiry())
            form = TokenForm(never_allowed=never_allowed)
        else:
            status = 400
    tokens = user.api_tokens.order_by("-created_at", "-pk")
    context = {
        "form": form,
        "tokens": tokens,
        "new_token": new_token,
        "now": timezone.now(),
        "token_days": settings.TOKEN_DAYS,
    }
    return render(request, "core/tokens.html", context, status=status)


@require_POST
@page("tokens.manage")
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    services.token_revoke(user=request_user(request), token_id=token_id)
    return redirect("core:tokens")


@contextmanager
def request_language(request: HttpRequest) -> Iterator[None]:
    """Speak the request's language, also where LocaleMiddleware has not run (an error answered before it)."""
    with translation.override(translation.get_language_from_request(request)):
        yield


def error_response(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    """The answer to a refused or failed request: the API's error body under /api/, the error page elsewhere."""
    if request.path.startswith("/api/"):
        return error_json(status, code, message)
    return render(request, "errors/error.html", {"status": status, "message": message}, status=status)


def body_too_large_message(limit_bytes: int) -> str:
    return _("The request body is too large (limit %(mb)d MB).") % {"mb": limit_bytes // (1024 * 1024)}


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """What Django itself refuses as a bad request: a host not served, a body it cannot read, too many
    fields or files, form data over the memory limit (that one is a 413, as when the length says so)."""
    with request_language(request):
        if isinstance(exception, RequestDataTooBig):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            return error_response(request, 413, "too_large", body_too_large_message(limit))
        if isinstance(exception, DisallowedHost):
            code, message = "bad_host", _("This server does not answer to the host name the request names.")
        elif isinstance(exception, TooManyFieldsSent):
            limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
            code, message = "too_many_fields", _("The request has more than %(n)d fields.") % {"n": limit}
        elif isinstance(exception, TooManyFilesSent):
            limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
            code, message = "too_many_files", _("The request has more than %(n)d files.") % {"n": limit}
        else:
            code, message = "bad_request", _("The request could not be read.")
        return error_response(request, 400, code, message)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 403, "permission_denied", _("You do not have permission to open this page."))


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 404, "not_found", _("The page or record you asked for does not exist."))


def error_500(request: HttpRequest) -> HttpResponse:
    # Rendered without the request's context: the failure may be the database the menu needs.
    message = _("Something went wrong on our side. The error has been logged; please try again.")
    if request.path.startswith("/api/"):
        return error_json(500, "error", message)
    html = render_to_string("errors/error.html", {"status": 500, "message": message})
    return HttpResponse(html, status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    message = _("The form expired or its security token is missing. Reload the page and try again.")
    return error_response(request, 403, "csrf_failed", message)


# --- kept files -----------------------------------------------------------------------------------


@require_http_methods(["GET"])
@page()
def media_file(request: HttpRequest, media_id: int) -> FileResponse:
    """Any kept file (a photo, a copy of a paper), if its owner's rule lets the user see it."""
    actor = request_user(request)
    return media_response(media_access(actor=actor, media_id=media_id), actor=actor)


@require_http_methods(["GET"])
@page()
def media_thumbnail(request: HttpRequest, media_id: int) -> FileResponse:
    actor = request_user(request)
    return media_response(media_access(actor=actor, media_id=media_id), actor=actor, thumbnail=True)


# --- my jobs ------------------------------------------------------------------------------------------


@require_http_methods(["GET"])
@page()
def my_jobs(request: HttpRequest) -> HttpResponse:
    """The user's long jobs with their progress; while one runs, the list refreshes itself (HTMX)."""
    jobs = selectors.my_jobs(request_user(request))
    context = {"jobs": jobs, "running": any(job.running for job in jobs)}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "core/jobs.html#list", context)
    return render(request, "core/jobs.html", context)
