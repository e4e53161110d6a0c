"""The customer's page behind a progress link: where their car is (a four-step bar), the work with its
state, the time it will be ready in the store's zone; the plate masked. Nothing to do on it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.utils.translation import pgettext_lazy

from aftersales.appointments.views.base import WallClock
from aftersales.messaging.models import CustomerLink
from aftersales.workshop.selectors import visits_progress

STEPS = (
    (1, pgettext_lazy("progress step", "Received")),
    (2, pgettext_lazy("progress step", "In the workshop")),
    (3, pgettext_lazy("progress step", "Final checks")),
    (4, pgettext_lazy("progress step", "Ready")),
)
LINE_STYLES = {
    "done": "success",
    "in_progress": "primary",
    "dispatched": "info",
    "approved": "secondary",
    "proposed": "warning",
}


def progress_view(request: HttpRequest, link: CustomerLink, snapshot: dict[str, Any]) -> HttpResponse:
    """The visit's progress as it stands when the page is opened."""
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    store = link.store
    found = visits_progress(store, [int(snapshot.get("visit") or link.object_id)])
    progress = found[0] if found else None
    context: dict[str, Any] = {"store": store, "progress": progress, "visit_number": snapshot.get("number", "")}
    if progress is not None:
        context |= {
            "promised": WallClock(store).maybe(progress.promised_at),
            "steps": [(number, label, number <= progress.step) for number, label in STEPS],
            "percent": progress.step * 25,
            "lines": [{**line, "style": LINE_STYLES.get(line["state"], "light")} for line in progress.lines],
        }
    return render(request, "workshop/links/progress.html", context)
