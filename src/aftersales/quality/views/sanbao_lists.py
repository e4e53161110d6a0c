"""The 三包 watch's list pages (LAW-4): the store's alerts and what was done about one; the group's list of
三包 main parts; and the 三包 panel of the vehicle's page."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aftersales.core.errors import ApplicationError
from aftersales.core.models import Store
from aftersales.core.routing import can_here, page, page_store, request_user
from aftersales.customers.models import Vehicle
from aftersales.parts.models import Part
from aftersales.parts.services import parts_for_store
from aftersales.quality.forms import SanbaoActionForm, SanbaoAlertFilterForm, SanbaoPartForm
from aftersales.quality.models import SanbaoAlert, SanbaoPart, SanbaoSystem
from aftersales.quality.services import sanbao
from aftersales.quality.views.base import WallClock, refusal_status
from aftersales.quality.views.sanbao import LEVELS, PERMISSION, _alert_rows, _bound, _days_badge, _sanbao_page
from aftersales.visits.models import RepairOrder

ALERTS_MAX = 200
PANEL_COUNTERS = 3


# --- alerts -------------------------------------------------------------------------------------------------


def _order_ids(pairs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """The repair orders (vehicle, number) -> id, for links to the order's page (one query)."""
    wanted = set(pairs)
    if not wanted:
        return {}
    rows = RepairOrder.all_objects.filter(
        vehicle_id__in={vehicle for vehicle, _n in wanted}, number__in={number for _v, number in wanted}
    ).values_list("vehicle_id", "number", "pk")
    return {(vehicle, number): pk for vehicle, number, pk in rows if (vehicle, number) in wanted}


def _alerts_page(
    request: HttpRequest,
    *,
    filters: SanbaoAlertFilterForm | None = None,
    status: int = 200,
    action_form: tuple[int, SanbaoActionForm] | None = None,
) -> HttpResponse:
    store = page_store(request)
    clock = WallClock(store)
    filters = filters if filters is not None else SanbaoAlertFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_bound and filters.is_valid() else {}
    if filters.is_bound and filters.errors:
        status = 400
    state = data.get("state") or SanbaoAlert.State.OPEN
    level = data.get("level") or ""
    rows = SanbaoAlert.all_objects.filter(store=store).select_related("vehicle", "action_by")
    if state != "all":
        rows = rows.filter(state=state)
    if level:
        rows = rows.filter(level=level)
    alerts = list(rows.order_by("-raised_at", "-pk")[: ALERTS_MAX + 1])
    more = len(alerts) > ALERTS_MAX
    alerts = alerts[:ALERTS_MAX]
    ids = _order_ids((alert.vehicle_id, number) for alert in alerts for number in alert.orders)
    context = {
        "store": store,
        "filters": filters,
        "state": state,
        "level": level,
        "rows": _alert_rows(request, alerts, clock, ids, back="list", bound=action_form),
        "more": more,
        "limit": ALERTS_MAX,
    }
    context |= _bound(context, action_form=action_form)
    return render(request, "quality/sanbao/alerts.html", context, status=status)


@require_GET
@page("quality.view")
def alerts(request: HttpRequest) -> HttpResponse:
    """The page store's 三包 alerts and early warnings (open ones unless chosen), newest first, at most 200."""
    return _alerts_page(request)


@require_POST
@page(PERMISSION)
def alert_act(request: HttpRequest, alert_id: int) -> HttpResponse:
    """Record what was done about an alert; it is then dealt with."""
    form = SanbaoActionForm(request.POST, auto_id=f"id_alert{alert_id}_%s")
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            alert = sanbao.sanbao_alert_act(
                actor=request_user(request), alert_id=alert_id, action=data["action"], note=data["note"]
            )
        except ApplicationError as error:
            status = refusal_status(form, error)
        else:
            messages.success(request, _("What was done is recorded; the alert is dealt with."))
            if data["back"] == "vehicle":
                return redirect(reverse("quality:sanbao", args=[alert.vehicle_id]) + f"#alert-{alert.pk}")
            return redirect("quality:sanbao_alerts")
    if form.cleaned_data.get("back") == "vehicle":
        alert_row = SanbaoAlert.objects.filter(pk=alert_id).only("vehicle_id").first()
        if alert_row is not None:
            return _sanbao_page(request, alert_row.vehicle_id, status=status, action_form=(alert_id, form))
    return _alerts_page(request, filters=SanbaoAlertFilterForm(), status=status, action_form=(alert_id, form))


# --- the group's 三包 main parts ------------------------------------------------------------------------------


def _parts_page(request: HttpRequest, form: SanbaoPartForm | None = None, *, status: int = 200) -> HttpResponse:
    store = page_store(request)
    may_keep = can_here(request, PERMISSION)
    order = {system: index for index, system in enumerate(SanbaoSystem.values)}
    rows = sorted(
        SanbaoPart.objects.filter(group_id=store.group_id).select_related("part", "part__brand"),
        key=lambda row: (order.get(row.system, len(order)), not row.is_assembly, row.part.number),
    )
    systems = dict(SanbaoSystem.choices)
    context = {
        "store": store,
        "rows": [{"row": row, "system": systems.get(row.system, row.system)} for row in rows],
        "may_keep": may_keep,
        "form": (form or SanbaoPartForm()) if may_keep else None,
    }
    return render(request, "quality/sanbao/parts.html", context, status=status)


def _part_typed(store: Store, form: SanbaoPartForm) -> Part | None:
    """The part of the group's part master the number typed means (the parts area's reading of a typed
    number: spaces, dashes and case aside, the store's brand where several share it); else its error on the
    form, with the closest numbers known."""
    typed = form.cleaned_data.get("part_number")
    if not typed:
        return None
    try:
        return parts_for_store(store, [typed], field="part_number")[typed]
    except ApplicationError as error:
        form.add_service_errors(error)
        return None


@require_http_methods(["GET", "POST"])
@page("quality.view")
def parts(request: HttpRequest) -> HttpResponse:
    """The group's major assemblies and main parts as the brands' 三包凭证 name them; a POST lists a part of the
    part master by its number (``quality.sanbao``)."""
    if request.method == "GET":
        return _parts_page(request)
    if not can_here(request, PERMISSION):
        raise PermissionDenied
    store = page_store(request)
    form = SanbaoPartForm(request.POST)
    status = 400
    form.is_valid()
    part = _part_typed(store, form)  # looked up whatever else is wrong: every error shows at once
    if form.is_valid() and part is not None:
        data = form.cleaned_data
        try:
            sanbao.sanbao_part_set(
                actor=request_user(request),
                group_id=store.group_id,
                part_id=part.pk,
                system=data["system"],
                is_assembly=data["is_assembly"],
            )
        except ApplicationError as error:
            status = refusal_status(form, error)
        else:
            messages.success(
                request,
                _("%(number)s %(name)s is listed as a 三包 main part.")
                % {"number": part.number_display, "name": part.name},
            )
            return redirect("quality:sanbao_parts")
    return _parts_page(request, form, status=status)


@require_POST
@page(PERMISSION)
def part_remove(request: HttpRequest, part_id: int) -> HttpResponse:
    """Take a part off the group's list of 三包 main parts."""
    if not SanbaoPart.objects.filter(part_id=part_id, group_id=page_store(request).group_id).exists():
        raise Http404  # the list the page shows is the page store's group's
    sanbao.sanbao_part_remove(actor=request_user(request), part_id=part_id)
    messages.success(request, _("The part is no longer a 三包 main part."))
    return redirect("quality:sanbao_parts")


# --- the vehicle page's panel ---------------------------------------------------------------------------------


def vehicle_panel(request: HttpRequest, vehicle: Vehicle) -> SafeString | str:
    """``customers.views.vehicles.VEHICLE_PANELS``: the car's 三包 at a glance (its use, periods, cumulative repair
    days, the counters most repaired, the open alerts by level, or why it cannot be evaluated) and the way to
    its 三包 page."""
    if not can_here(request, "quality.view"):
        return ""
    watch = sanbao.watch_for(request_user(request), vehicle.pk)
    alerts = [alert for alert in watch.alerts if alert.state == SanbaoAlert.State.OPEN]
    counters = sorted(
        [*watch.assemblies, *watch.problems], key=lambda counter: (-len(counter.repairs), -counter.days, counter.key)
    )
    return render_to_string(
        "quality/sanbao/_vehicle_panel.html",
        {
            "vehicle": vehicle,
            "watch": watch,
            "counters": counters[:PANEL_COUNTERS],
            "days_max": sanbao.REPAIR_DAYS_MAX,
            "days_badge": _days_badge(watch),
            "alerts": len(alerts),
            "alert_levels": [
                (LEVELS[level], sum(1 for alert in alerts if alert.level == level))
                for level in (sanbao.ALERT, sanbao.WARNING)
                if any(alert.level == level for alert in alerts)
            ],
        },
        request=request,
    )
