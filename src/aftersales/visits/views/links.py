"""The customer's page behind a repair approval link: the work proposed with its prices and the photos
of what was found, each item approved or declined."""

from __future__ import annotations

import base64
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from aftersales.core.errors import ApplicationError
from aftersales.core.media import media_storage
from aftersales.core.models import MediaFile
from aftersales.messaging.models import CustomerLink
from aftersales.visits.models import CheckResult, DamageMark, RepairOrder
from aftersales.visits.services.links import approval_link_decide

MAX_PHOTOS = 12


def _thumbnails(order: RepairOrder) -> list[dict[str, str]]:
    """The walk-around's photos of damage and of checks not in order, as small inline images (the page
    makes no second request a link would have to authorise)."""
    marks = DamageMark.objects.filter(walk_around__visit_id=order.visit_id).exclude(photo=None).select_related("photo")
    checks = (
        CheckResult.objects.filter(walk_around__visit_id=order.visit_id, rating__in=("amber", "red"))
        .exclude(photo=None)
        .select_related("photo", "item")
    )
    photos: list[tuple[str, MediaFile]] = [(mark.get_kind_display(), mark.photo) for mark in marks if mark.photo]
    photos += [(f"{check.item.name}: {check.get_rating_display()}", check.photo) for check in checks if check.photo]
    shown = []
    for caption, media in photos[:MAX_PHOTOS]:
        if not media.thumbnail_name:
            continue
        try:
            with media_storage(media.area).open(media.thumbnail_name) as handle:
                data = base64.b64encode(handle.read()).decode()
        except FileNotFoundError:
            continue
        shown.append({"caption": caption, "src": f"data:image/jpeg;base64,{data}"})
    return shown


def approval_view(request: HttpRequest, link: CustomerLink, snapshot: dict[str, Any]) -> HttpResponse:
    order = RepairOrder.all_objects.select_related("store", "vehicle").get(pk=link.object_id)
    context: dict[str, Any] = {
        "order": order,
        "lines": snapshot["lines"],
        "store": link.store,
        "shown": link.snapshot_hash,
    }
    if request.method == "POST":
        decisions: dict[int, bool] = {}
        reasons: dict[int, str] = {}
        for row in snapshot["lines"]:
            choice = request.POST.get(f"line-{row['line']}", "")
            if choice in ("approve", "decline"):
                decisions[int(row["line"])] = choice == "approve"
                reasons[int(row["line"])] = request.POST.get(f"reason-{row['line']}", "")[:200]
        context["lines"] = [
            {
                **row,
                "choice": ("approve" if decisions[int(row["line"])] else "decline")
                if int(row["line"]) in decisions
                else "",
            }
            for row in snapshot["lines"]
        ]
        try:
            approval_link_decide(
                link=link, shown_hash=request.POST.get("shown", ""), decisions=decisions, reasons=reasons
            )
        except ApplicationError as error:
            if error.status != 422:
                return render(
                    request,
                    "messaging/link_error.html",
                    {"message": str(error), "store": link.store},
                    status=error.status,
                )
            context["error"] = str(error)
            context["photos"] = _thumbnails(order)
            return render(request, "visits/links/approval.html", context, status=422)
        approved = [row for row in snapshot["lines"] if decisions.get(int(row["line"]))]
        return render(
            request, "visits/links/approval_done.html", {"store": link.store, "order": order, "approved": approved}
        )
    context["photos"] = _thumbnails(order)
    return render(request, "visits/links/approval.html", context)
