"""The 三包 watch's pages (LAW-4): a vehicle's 三包 page (its periods; every rule of
家用汽车产品修理、更换、退货责任规定 with its article and where the car stands; the counters per same
quality problem and per major assembly; every visit timed as the law times it, its lines counted or
why not; the alerts raised) and the reading of a repair line for 三包; with the reads the store's alerts,
the group's list of 三包 main parts and the vehicle page's panel share (``sanbao_lists``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from aftersales.catalogue.paytypes import PayType
from aftersales.core.access import can
from aftersales.core.errors import ApplicationError
from aftersales.core.routing import can_here, page, page_store, request_user
from aftersales.customers.models import Vehicle, WarrantyPolicy
from aftersales.quality.forms import SanbaoActionForm, SanbaoLineForm
from aftersales.quality.forms import SanbaoAlertFilterForm as SanbaoAlertFilterForm
from aftersales.quality.forms import SanbaoPartForm as SanbaoPartForm
from aftersales.quality.forms.sanbao import ACTION_NOTE_MAX as ACTION_NOTE_MAX
from aftersales.quality.forms.sanbao import LINE_NOTE_MAX as LINE_NOTE_MAX
from aftersales.quality.forms.sanbao import PART_NUMBER_MAX as PART_NUMBER_MAX
from aftersales.quality.models import SanbaoAlert, SanbaoLine, SanbaoSystem
from aftersales.quality.services import sanbao
from aftersales.quality.services.sanbao import LAW, RULES, Counter, Watch, WatchLine, WatchVisit
from aftersales.quality.views.base import WallClock, refusal_status
from aftersales.visits.models import Line

PERMISSION = sanbao.PERMISSION

# Why a line does not count, as the watch says it (``WatchLine.excluded``), in the reader's words.
EXCLUDED: dict[str, Any] = {
    "": gettext_lazy("Counts for 三包"),
    "maintenance": gettext_lazy("Not counted: maintenance, not the repair of a fault"),
    "accident": gettext_lazy("Not counted: an accident, not a quality problem"),
    "misuse": gettext_lazy("Not counted: misuse or unauthorised modification"),
    "campaign": gettext_lazy("Not counted: campaign or recall work"),
    "no_fault": gettext_lazy("Not counted: no fault recorded (causal part and fault code or symptom)"),
    "not_agreed": gettext_lazy("Not counted: proposed, not agreed yet"),
    "not_covered": gettext_lazy("Not evaluated: 三包 cannot be evaluated for this vehicle"),
}
REPLACEMENT = gettext_lazy("Counted: a replacement of the part repaired")
ASSEMBLY_REPLACEMENT = gettext_lazy("Counted: a replacement of the major assembly")
NOT_A_REPLACEMENT = gettext_lazy("Not counted: a part, not a replacement of a part repaired on this visit")
LEVELS = {
    sanbao.OK: ("success", gettext_lazy("OK")),
    sanbao.WARNING: ("warning", SanbaoAlert.Level.WARNING.label),
    sanbao.ALERT: ("danger", SanbaoAlert.Level.ALERT.label),
}
SEVERITY = {sanbao.ALERT: 0, sanbao.WARNING: 1, sanbao.OK: 2}
ENDED_BY = {
    "notice": gettext_lazy("Pickup notice"),
    "left": gettext_lazy("Left, no pickup notice recorded"),
    "now": gettext_lazy("Still in the workshop: running"),
}

# --- reads for the pages ----------------------------------------------------------------------------------


DETAILED = 3  # visits shown in full on the 三包 page (the latest)
ORDER_LINK = '<a class="font-monospace text-nowrap" href="{}" data-testid="order-link">{}</a>'
ORDER_TEXT = '<span class="font-monospace text-nowrap">{}</span>'


def order_url() -> str:
    """Where an order's page is, less its id (reversed once per page, not once per link)."""
    return reverse("visits:order", args=[0])[:-2]  # ".../repair-orders/0/" less "0/": the id goes in its place


def _orders(
    numbers: Iterable[str], vehicle_id: int, ids: dict[tuple[int, str], int], url: str | None = None
) -> SafeString:
    """The orders as links to their pages, written here once rather than by a template per order (a car's page
    links hundreds)."""
    url = url or order_url()
    shown = [
        format_html(ORDER_LINK, f"{url}{pk}/", number)
        if (pk := ids.get((vehicle_id, number)))
        else format_html(ORDER_TEXT, number)
        for number in dict.fromkeys(numbers)
    ]
    return mark_safe(" ".join(shown)) if shown else mark_safe('<span class="text-secondary">—</span>')  # noqa: S308 (format_html'd)


def _is_repair(line: WatchLine) -> bool:
    """``Line.is_repair`` of the line the watch read: only such a line is read for 三包."""
    return bool(line.causal_part_id and (line.fault_code or line.fault_symptom))


def _policy(vehicle: Vehicle) -> WarrantyPolicy | None:
    if vehicle.warranty_policy_id is None:
        return None
    return WarrantyPolicy.objects.select_related("brand").filter(pk=vehicle.warranty_policy_id).first()


def _rules(watch: Watch, orders: Any) -> list[dict[str, Any]]:
    """Every rule with its results for the car (worst first), or why it has none."""
    rows = []
    for rule in RULES.values():
        results = sorted(
            (result for result in watch.results if result.rule.code == rule.code),
            key=lambda result: SEVERITY[result.level],
        )
        rows.append(
            {
                "rule": rule,
                "article": f"{LAW} {rule.article}",
                "results": [
                    {"result": result, "badge": LEVELS[result.level], "orders": orders(result.orders)}
                    for result in results
                ],
            }
        )
    return rows


def _days_badge(watch: Watch) -> tuple[str, Any] | None:
    """The level the watch gave the cumulative repair days (第二十四条第一款第四项), None when not evaluated."""
    found = [result for result in watch.results if result.rule.code == "repair_days"]
    return LEVELS[found[0].level] if found else None


def _counter(counter: Counter, orders: Any) -> dict[str, Any]:
    replaced = {visit.pk for visit in counter.replacements}
    return {
        "counter": counter,
        "system": SanbaoSystem(counter.system).label if counter.system else "",
        "repairs": [
            {"visit": visit, "orders": orders(visit.orders), "replaced": visit.pk in replaced}
            for visit in counter.repairs
        ],
    }


COMPACT = (
    '<div class="bg-white px-3 py-2 rounded shadow-sm d-flex flex-wrap justify-content-between gap-2 small" '
    'style="scroll-margin-top: 8rem" id="visit-{pk}" data-testid="visit-{pk}"><div><span class="font-monospace">'
    '{number}</span> · {on}{day} · {km} km · {orders}</div><div><span class="badge {badge}">{counted}</span> '
    '<a href="?visit={pk}#visit-{pk}" data-testid="open-visit-{pk}">{show}</a></div></div>'
)


def _compact(visit: WatchVisit, orders: SafeString, words: dict[str, str]) -> SafeString:
    """An older visit in one line (written here: a car's page lists dozens, a template per row is slow)."""
    if visit.counted:
        counted = words["counted_one"] if visit.days == 1 else words["counted"] % {"days": visit.days}
    return format_html(
        COMPACT,
        pk=visit.pk,
        number=visit.number,
        on=visit.arrived_on.isoformat(),
        day=" · " + words["day"] % {"day": visit.day} if visit.day is not None else "",
        km=visit.mileage,
        orders=orders,
        badge="text-bg-primary" if visit.counted else "text-bg-light border",
        counted=counted if visit.counted else words["none"],
        show=words["show"],
    )


def _part_why(visit: WatchVisit, line: WatchLine) -> Any:
    """Whether a part fitted is a replacement the law counts (of a part the visit repairs, or of the major
    assembly of a system it repairs), or why not."""
    if line.excluded not in ("", "no_fault") or line.part_id is None:
        return EXCLUDED.get(line.excluded, line.excluded)
    if line.replacement == "part":
        return REPLACEMENT
    if line.replacement == "assembly":
        return ASSEMBLY_REPLACEMENT
    if line.state not in sanbao.AGREED:
        return EXCLUDED["not_agreed"]
    return NOT_A_REPLACEMENT


def _visit(
    visit: WatchVisit,
    clock: WallClock,
    orders: Any,
    covered: bool,
    may_read: bool,
    bound: tuple[int, SanbaoLineForm] | None,
    reading: int | None,
) -> dict[str, Any]:
    counted = {line.pk for line in visit.counted}
    lines = []
    for line in visit.lines:
        if line.pk in counted:
            why, ok = EXCLUDED[""], True
        elif line.kind == Line.Kind.PART and line.excluded in ("no_fault", "not_covered"):
            why = _part_why(visit, line) if covered else EXCLUDED["not_covered"]
            ok = why in (REPLACEMENT, ASSEMBLY_REPLACEMENT)
        else:
            why, ok = EXCLUDED.get(line.excluded, line.excluded), False
        form = None
        readable = may_read and _is_repair(line)
        if readable and bound is not None and bound[0] == line.pk:
            form = bound[1]
        elif readable and line.pk == reading:  # one form at a time: a car's page may list hundreds of lines
            initial = {"cause": line.cause, "safety": line.safety, "note": line.note}
            form = SanbaoLineForm(initial=initial, auto_id=f"id_line{line.pk}_%s")
        lines.append(
            {
                "line": line,
                "counted": ok,
                "why": why,
                "kind": Line.Kind(line.kind).label,
                "state": Line.State(line.state).label,
                "pay_type": PayType(line.pay_type).label if line.pay_type in PayType.values else line.pay_type,
                "causal": line.causal_label,
                "cause": SanbaoLine.Cause(line.cause).label,
                "safety": SanbaoLine.Safety(line.safety).label if line.safety else "",
                "form": form,
                "readable": readable,
            }
        )
    return {
        "visit": visit,
        "orders": orders(visit.orders),
        "started": clock.maybe(visit.started_at),
        "ended": clock.maybe(visit.ended_at),
        "ended_by": ENDED_BY.get(visit.ended_by, visit.ended_by),
        "hours": visit.seconds / 3600,
        "off_site": [
            {
                "interval": interval,
                "left": clock(interval.left_at),
                "back": clock.maybe(interval.back_at),
                "excluded_hours": interval.excluded_seconds / 3600,
            }
            for interval in visit.off_site
        ],
        "lines": lines,
    }


def _alert_rows(
    request: HttpRequest,
    alerts: list[SanbaoAlert],
    clock: WallClock,
    ids: dict[tuple[int, str], int],
    *,
    back: str,
    bound: tuple[int, SanbaoActionForm] | None,
) -> list[dict[str, Any]]:
    user = request_user(request)
    may: dict[int, bool] = {}
    rows = []
    for alert in alerts:
        if alert.store_id not in may:
            may[alert.store_id] = can(user, PERMISSION, store_id=alert.store_id)
        form = None
        if alert.state == SanbaoAlert.State.OPEN and may[alert.store_id]:
            if bound is not None and bound[0] == alert.pk:
                form = bound[1]
            else:
                form = SanbaoActionForm(initial={"back": back}, auto_id=f"id_alert{alert.pk}_%s")
        rule = RULES.get(alert.rule)
        rows.append(
            {
                "alert": alert,
                "rule": rule,
                "article": f"{LAW} {rule.article}" if rule else "",
                "badge": LEVELS[alert.level],
                "raised": clock(alert.raised_at),
                "done": clock.maybe(alert.action_at),
                "orders": _orders(alert.orders, alert.vehicle_id, ids),
                "form": form,
            }
        )
    return rows


def _bound(
    context: dict[str, Any],
    *,
    line_form: tuple[int, SanbaoLineForm] | None = None,
    action_form: tuple[int, SanbaoActionForm] | None = None,
) -> dict[str, Any]:
    """The bound form of a refused post (the bad-input check reads its errors from the context), and whether
    the page shows it on its row: a form whose row is not shown has its errors above the page."""
    rows = [line for visit in context.get("visits", []) for line in visit.get("lines", [])] + context.get("alerts", [])
    rows += context.get("rows", [])
    shown = {id(row["form"]) for row in rows if row.get("form") is not None}
    bound_line = line_form[1] if line_form else None
    bound_action = action_form[1] if action_form else None
    return {
        "bound_line": bound_line,
        "bound_action": bound_action,
        "bound_line_top": bound_line if id(bound_line) not in shown else None,
        "bound_action_top": bound_action if id(bound_action) not in shown else None,
    }


# --- the vehicle's 三包 page ---------------------------------------------------------------------------------


def _sanbao_page(
    request: HttpRequest,
    vehicle_id: int,
    *,
    status: int = 200,
    line_form: tuple[int, SanbaoLineForm] | None = None,
    action_form: tuple[int, SanbaoActionForm] | None = None,
) -> HttpResponse:
    store = page_store(request)
    clock = WallClock(store)
    watch = sanbao.watch_for(request_user(request), vehicle_id)
    vehicle = watch.vehicle
    alerts = watch.alerts
    ids = {(vehicle.pk, number): pk for visit in watch.visits for number, pk in visit.order_ids.items()}
    url = order_url()

    def orders(numbers: Iterable[str]) -> SafeString:
        return _orders(numbers, vehicle.pk, ids, url)

    may_read = can_here(request, PERMISSION)
    asked = request.GET.get("line", "")
    reading = int(asked) if asked.isdigit() and len(asked) < 19 else None  # the line whose reading form is open
    open_alerts = [alert for alert in alerts if alert.state == SanbaoAlert.State.OPEN]
    # The latest visits in full, the older ones a line each (opened one at a time): a car's page stays quick
    # with hundreds of lines; the counters and rules above link every order behind them.
    shown = request.GET.get("visit", "")
    detailed = {visit.pk for visit in watch.visits[-DETAILED:]}
    detailed |= {int(shown)} if shown.isdigit() and len(shown) < 19 else set()
    wanted = {reading, line_form[0] if line_form else None} - {None}
    detailed |= {visit.pk for visit in watch.visits if wanted & {line.pk for line in visit.lines}}
    words = {  # translated once for the compact rows
        "counted": _("a repair the law counts: %(days)d days"),
        "counted_one": _("a repair the law counts: 1 day"),
        "day": _("day %(day)s of the periods"),
        "none": _("no repair counted"),
        "show": _("Show the lines"),
    }
    context = {
        "store": store,
        "vehicle": vehicle,
        "watch": watch,
        "law": LAW,
        "policy": _policy(vehicle),
        "use": Vehicle.UseType(vehicle.use_type).label if vehicle.use_type else "",
        "rules": _rules(watch, orders),
        "counter_tables": [
            (
                _("Per same quality problem"),
                _("Part (and its superseded numbers)"),
                [_counter(counter, orders) for counter in watch.problems],
                "problems",
            ),
            (
                _("Per major assembly"),
                _("Major assembly"),
                [_counter(counter, orders) for counter in watch.assemblies],
                "assemblies",
            ),
        ],
        "days_max": sanbao.REPAIR_DAYS_MAX,
        "days_badge": _days_badge(watch),
        "visits": [
            _visit(visit, clock, orders, watch.covered, may_read, line_form, reading)
            if visit.pk in detailed
            else {"visit": visit, "compact": _compact(visit, orders(visit.orders), words)}
            for visit in watch.visits
        ],
        "alerts": _alert_rows(request, alerts, clock, ids, back="vehicle", bound=action_form),
        "open_alerts": len(open_alerts),
        "may_read": may_read,
        "may_see_vehicle": can_here(request, "customers.view"),
    }
    context |= _bound(context, line_form=line_form, action_form=action_form)
    return render(request, "quality/sanbao/vehicle.html", context, status=status)


@require_GET
@page("quality.view")
def sanbao_page(request: HttpRequest, vehicle_id: int) -> HttpResponse:
    """The vehicle's 三包 watch: its periods, the rules and where it stands, the counters, its repairs timed as
    the law times them (each line counted or why not) and the alerts raised."""
    return _sanbao_page(request, vehicle_id)


@require_POST
@page(PERMISSION)
def line_read(request: HttpRequest, vehicle_id: int, line_id: int) -> HttpResponse:
    """Read a repair line for 三包: a quality problem, an accident or misuse, and which serious safety fault."""
    form = SanbaoLineForm(request.POST, auto_id=f"id_line{line_id}_%s")
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            sanbao.sanbao_line_set(
                actor=request_user(request),
                vehicle_id=vehicle_id,
                line_id=line_id,
                cause=data["cause"],
                safety=data["safety"],
                note=data["note"],
            )
        except ApplicationError as error:
            status = refusal_status(form, error)
        else:
            messages.success(request, _("The line's reading for 三包 is saved; the car is evaluated again."))
            return redirect(reverse("quality:sanbao", args=[vehicle_id]) + f"#line-{line_id}")
    return _sanbao_page(request, vehicle_id, status=status, line_form=(line_id, form))
