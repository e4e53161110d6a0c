"""Pages of the outbox, the message templates and a staff member's in-app messages (the bell)."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from aftersales.core import services as core_services
from aftersales.core.errors import ApplicationError
from aftersales.core.forms import form_run
from aftersales.core.models import Role
from aftersales.core.routing import acting_store, active_store_id, can_here, page, request_user
from aftersales.core.services import client_ip_of
from aftersales.messaging import selectors, services
from aftersales.messaging.forms import DecisionForm, OutboxFilterForm, TaskCloseForm, TemplateForm
from aftersales.messaging.models import Message, MessageTemplate


@require_http_methods(["GET"])
@page("messages.view")
def outbox(request: HttpRequest) -> HttpResponse:
    """The active store's messages, newest first, by status; the unknown ones with their decisions."""
    filters = OutboxFilterForm(request.GET or None)
    status = filters.cleaned_data["status"] if filters.is_valid() else ""
    store_id = active_store_id(request)
    rows = selectors.outbox(store_ids=[store_id] if store_id else [], status=status or None)
    page_obj = Paginator(rows, 50).get_page(request.GET.get("page"))
    full = can_here(request, "customers.view_personal")
    shown = [(message, *selectors.message_shown(message, personal=full)) for message in page_obj]
    unknown = selectors.outbox(store_ids=[store_id] if store_id else [], status=Message.Status.UNKNOWN).count()
    return render(
        request,
        "messaging/outbox.html",
        {
            "rows": shown,
            "page_obj": page_obj,
            "status": status,
            "statuses": Message.Status.choices,
            "unknown": unknown,
            "can_manage": can_here(request, "messages.manage"),
        },
    )


@require_POST
@page("messages.manage")
def message_decision(request: HttpRequest, message_id: int) -> HttpResponse:
    store = acting_store(request, permission="messages.manage")
    selectors.message_in_stores(message_id, [store.pk])
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what to do with the message."))
        return redirect("messaging:outbox")
    try:
        message = services.message_decide(
            actor=request_user(request), message_id=message_id, decision=form.cleaned_data["decision"]
        )
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Message #%(id)s is now %(status)s.") % {"id": message.pk, "status": message.get_status_display()},
        )
    return redirect(f"{reverse('messaging:outbox')}?status={request.POST.get('back', '')}")


@require_http_methods(["GET"])
@page("messages.view")
def template_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "messaging/templates.html",
        {"templates": selectors.templates(), "can_manage": can_here(request, "messages.manage")},
    )


def _template_page(request: HttpRequest, template: MessageTemplate | None) -> HttpResponse:
    initial: dict[str, Any] = {}
    if template is not None:
        initial = {name: getattr(template, name) for name in TemplateForm.base_fields}
        initial["variables"] = ", ".join(template.variables)
    form = TemplateForm(request.POST or None, initial=initial)
    if template is not None:  # a template's event and channel stay: a new one is another template
        del form.fields["event"], form.fields["channel"]
    status = 200
    if request.method == "POST":
        if form.is_valid():
            actor, data = request_user(request), form.service_data()
            saved, result = form_run(
                form,
                lambda: services.template_save(
                    actor=actor, data=data, template_id=template.pk if template is not None else None
                ),
            )
            if saved:
                messages.success(request, _("The template %(template)s is saved.") % {"template": result})
                return redirect("messaging:templates")
        status = 400
    return render(request, "messaging/template_form.html", {"form": form, "template": template}, status=status)


@require_http_methods(["GET", "POST"])
@page("messages.manage")
def template_create(request: HttpRequest) -> HttpResponse:
    return _template_page(request, None)


@require_http_methods(["GET", "POST"])
@page("messages.manage")
def template_edit(request: HttpRequest, template_id: int) -> HttpResponse:
    return _template_page(request, selectors.template_get(template_id))


@require_http_methods(["GET"])
@page()
def notifications(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    return render(
        request,
        "messaging/notifications.html",
        {"items": selectors.notifications(user)[:100], "unread": selectors.unread_count(user)},
    )


@require_http_methods(["GET"])
@page()
def bell(request: HttpRequest) -> HttpResponse:
    """The bell's count (an HTMX fragment the navigation bar polls)."""
    count = selectors.bell_count(request_user(request), store_id=active_store_id(request))
    return render(request, "messaging/_bell.html", {"unread": count})


@require_POST
@page()
def notifications_read(request: HttpRequest) -> HttpResponse:
    message_id = request.POST.get("id")
    services.notification_read(
        user=request_user(request), message_id=int(message_id) if message_id and message_id.isdigit() else None
    )
    return redirect("messaging:notifications")


@require_http_methods(["GET"])
@page()
def my_tasks(request: HttpRequest) -> HttpResponse:
    """The tasks the user is to do in the active store (theirs and their role's), soonest due first."""
    user = request_user(request)
    closed = request.GET.get("status") == "closed"
    store_id = active_store_id(request)
    if closed:
        tasks = list(selectors.tasks_closed_by(user, store_id=store_id)[:50])
    else:
        tasks = list(selectors.tasks_of(user, store_id=store_id))
    role_names = dict(Role.objects.values_list("code", "name"))
    for task in tasks:  # the role a task is for, by its name
        task.role_name = role_names.get(task.assignee_role, task.assignee_role)  # type: ignore[attr-defined]
    return render(
        request,
        "messaging/tasks.html",
        {"tasks": tasks, "closed": closed, "now": timezone.now(), "form": TaskCloseForm()},
    )


@require_POST
@page()
def task_close(request: HttpRequest, task_id: int) -> HttpResponse:
    form = TaskCloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write what came of it."))
        return redirect("messaging:tasks")
    try:
        task = services.task_close(
            actor=request_user(request),
            task_id=task_id,
            done=form.cleaned_data["action"] == "done",
            outcome=form.cleaned_data["outcome"],
        )
    except ApplicationError as error:
        if error.status == 404:
            raise
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("%(task)s: %(status)s.") % {"task": task.subject, "status": task.get_status_display()}
        )
    return redirect("messaging:tasks")


# --- customer links: pages a customer opens without an account -------------------------------------

LINK_PER_MINUTE = 30
ADDRESS_PER_HOUR = 300


def _public(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_http_methods(["GET", "POST"])
@page(public=True)
def customer_link(request: HttpRequest, token: str) -> HttpResponse:
    """A customer link: rate-limited (LINK_PER_MINUTE a minute per link, ADDRESS_PER_HOUR an hour per
    client address; the next answers 429), opened and used as its purpose says, every view audited."""
    client_ip = client_ip_of(request) or "unknown"
    per_link = core_services.rate_allow(
        f"link:{hashlib.sha256(token.encode()).hexdigest()[:32]}", limit=LINK_PER_MINUTE, window=timedelta(minutes=1)
    )
    per_address = core_services.rate_allow(f"link-ip:{client_ip}", limit=ADDRESS_PER_HOUR, window=timedelta(hours=1))
    allowed = per_link and per_address
    if not allowed:
        response = _public(
            request, "messaging/link_error.html", {"message": _("Too many requests: wait a minute and try again.")}, 429
        )
        response["Retry-After"] = "60"
        return response
    try:
        link, snapshot = services.link_open(token, audit=request.method == "GET")
    except ApplicationError as error:
        return _public(request, "messaging/link_error.html", {"message": str(error)}, error.status)
    response = services.LINK_PURPOSES[link.purpose].view(request, link, snapshot)
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
