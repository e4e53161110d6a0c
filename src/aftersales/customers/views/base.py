"""What the archive's pages share: running a form's service call, saving an edit form, the timeline filter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

from aftersales.core.errors import ConflictError
from aftersales.core.forms import form_run
from aftersales.customers import selectors


def edit_submit(
    request: HttpRequest, form: Any, update: Callable[[int, dict[str, Any]], object]
) -> tuple[int, str, bool]:
    """Save an edit form through its service: (HTTP status, conflict message, saved).

    A newer version saved by someone else is a 409 with the conflict message; field errors from the
    service go onto the form; "Changes saved." is flashed on success.
    """
    if request.method != "POST":
        return 200, "", False
    if not form.is_valid():
        return 400, "", False
    try:
        saved, _result = form_run(form, lambda: update(form.cleaned_data["version"], form.service_data()))
    except ConflictError as error:
        return 409, error.detail, False
    if not saved:
        return 400, "", False
    messages.success(request, _("Changes saved."))
    return 200, "", True


def timeline_kinds(request: HttpRequest) -> tuple[str, set[str] | None] | None:
    """The timeline filter the page asks for (``?kind=``): all, or one registered source; None: unknown."""
    kind = request.GET.get("kind", "all")
    if kind == "all":
        return kind, None
    if kind in selectors.TIMELINE_SOURCES:
        return kind, {kind}
    return None


def timeline_part(kind: str, timeline: list[Any]) -> dict[str, Any]:
    """The timeline part of a record page's context: its items, the filter chosen and a filter
    button per registered source."""
    return {"timeline": timeline, "kind": kind, "timeline_sources": selectors.TIMELINE_SOURCES.values()}
