"""Writing and signing a repair order at reception (RO-1, RCP-5): the lines it starts with (the booking's
services, the recommendations, a campaign, work declined before), numbered rows for more, the customer's
signature on the pad."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from aftersales.appointments.forms import in_store_zone
from aftersales.appointments.models import AppointmentService
from aftersales.campaigns.models import Campaign
from aftersales.catalogue.models import LabourOperation, PackageItem
from aftersales.catalogue.paytypes import PayType
from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.routing import page, request_user
from aftersales.parts.selectors.parts import part_by_number
from aftersales.visits import services
from aftersales.visits.forms import LineForm, OrderForm
from aftersales.visits.models import Line, Recommendation, Visit
from aftersales.visits.views.base import WallClock, visit_of

BLANK_ROWS = 3
MAX_ROWS = 60


# --- writing the order -------------------------------------------------------------------------------


def _row(index: int, **values: Any) -> dict[str, Any]:
    row = {
        "index": index,
        "include": True,
        "kind": "labour",
        "pay_type": PayType.CUSTOMER,
        "source": Line.Source.REQUESTED,
        "operation": None,
        "part_number": "",
        "quantity": "",
        "description": "",
        "unit_price": "",
        "fee_kind": "",
        "fault_code": "",
        "symptom": "",
        "campaign": None,
        "declined_line": None,
        "recommendation": None,
        "label": "",
        "errors": {},
    }
    row.update(values)
    return row


def _suggested_rows(visit: Visit, query: QueryDict) -> list[dict[str, Any]]:
    """The lines the form starts with: the booking's services (a package with its parts), the visit's
    recommendations, a campaign and declined work chosen on the visit page."""
    rows: list[dict[str, Any]] = []
    if visit.appointment_id:
        packages: set[int] = set()
        for service in AppointmentService.objects.filter(appointment_id=visit.appointment_id).order_by("position"):
            rows.append(_row(len(rows), operation=service.operation_id, label=service.name))
            if service.package_id and service.package_id not in packages:
                packages.add(service.package_id)
                for item in PackageItem.objects.filter(package_id=service.package_id).select_related("part"):
                    if item.part is None:
                        continue
                    rows.append(
                        _row(
                            len(rows),
                            kind="part",
                            part_number=item.part.number_display,
                            quantity=item.quantity,
                            label=item.part.name,
                        )
                    )
    for rec in Recommendation.objects.filter(visit=visit, line=None).select_related("operation", "causal_part"):
        rows.append(
            _row(
                len(rows),
                source=rec.source,
                operation=rec.operation_id,
                fault_code=rec.fault_code,
                symptom=rec.symptom,
                recommendation=rec.pk,
                label=rec.operation.name,
            )
        )
    campaign_id = query.get("campaign", "")
    if campaign_id.isdigit() and len(campaign_id) < 19:
        campaign = Campaign.objects.filter(pk=int(campaign_id), group_id=visit.store.group_id).first()
        if campaign is not None:
            rows.append(
                _row(
                    len(rows),
                    pay_type=PayType.OEM_CAMPAIGN,
                    operation=campaign.operation_id,
                    campaign=campaign.pk,
                    label=campaign.title,
                )
            )
            for part in campaign.parts.select_related("part"):
                rows.append(
                    _row(
                        len(rows),
                        kind="part",
                        pay_type=PayType.OEM_CAMPAIGN,
                        part_number=part.part.number_display,
                        quantity=part.quantity,
                        campaign=campaign.pk,
                        label=campaign.title,
                    )
                )
    declined_id = query.get("declined", "")
    if declined_id.isdigit() and len(declined_id) < 19:
        old = (
            Line.all_objects.filter(pk=int(declined_id), vehicle_id=visit.vehicle_id, state=Line.State.DECLINED)
            .select_related("part")
            .first()
        )
        if old is not None:
            rows.append(
                _row(
                    len(rows),
                    kind=old.kind,
                    pay_type=old.pay_type,
                    operation=old.operation_id,
                    part_number=old.part.number_display if old.part else "",
                    quantity=old.quantity if old.kind != Line.Kind.LABOUR else "",
                    description=old.description if old.kind not in (Line.Kind.LABOUR, Line.Kind.PART) else "",
                    unit_price=old.unit_price if old.kind not in (Line.Kind.LABOUR, Line.Kind.PART) else "",
                    declined_line=old.pk,
                    label=old.description,
                )
            )
    rows += [_row(len(rows) + i, include=False) for i in range(BLANK_ROWS)]
    return rows


def _row_indexes(post: QueryDict) -> list[int]:
    """The numbers of the line rows a form sent (``line-<n>-<field>``), at most MAX_ROWS."""
    found = {
        int(key.split("-")[1])
        for key in post
        if key.startswith("line-") and len(key) < 40 and key.split("-")[1].isdigit() and len(key.split("-")[1]) < 4
    }
    return sorted(found)[:MAX_ROWS]


def _posted_rows(post: QueryDict, form: OrderForm, indexes: list[int]) -> list[dict[str, Any]]:
    """The rows as sent, each with the errors its fields got, to show the form again."""
    rows = []
    for index in indexes:
        prefix = f"line-{index}-"
        values = {name: post.get(prefix + name, "") for name in LineForm.base_fields}
        errors = {
            name: list(form.errors[prefix + name]) for name in LineForm.base_fields if prefix + name in form.errors
        }
        rows.append(_row(index, include=post.get(prefix + "include") == "on", errors=errors, **values))
    return rows


def line_in_of(data: dict[str, Any], group_id: int) -> tuple[services.LineIn | None, dict[str, list[str]]]:
    """A line's cleaned fields (``LineForm``'s) as the service takes them; an unknown part number refused."""
    part_id = None
    if data["part_number"]:
        part = part_by_number(group_id=group_id, number=data["part_number"])
        if part is None:
            return None, {"part_number": [_("No part of the catalogue has this number.")]}
        part_id = part.pk
    return (
        services.LineIn(
            kind=data["kind"],
            pay_type=data["pay_type"],
            source=data["source"],
            operation_id=data["operation"],
            part_id=part_id,
            quantity=data["quantity"],
            description=data["description"],
            unit_price=data["unit_price"],
            fault_code=data["fault_code"],
            symptom=data["symptom"],
            campaign_id=data["campaign"],
            declined_line_id=data["declined_line"],
            recommendation_id=data["recommendation"],
            fee_kind=data["fee_kind"],
        ),
        {},
    )


def operations_of(group_id: int) -> list[LabourOperation]:
    return list(LabourOperation.objects.filter(group_id=group_id, is_active=True).order_by("code"))


SERVICE_FIELDS = {
    "operation": "operation",
    "part": "part_number",
    "quantity": "quantity",
    "description": "description",
    "unit_price": "unit_price",
    "fault_code": "fault_code",
    "kind": "kind",
    "pay_type": "pay_type",
    "source": "source",
    "campaign": "pay_type",
    "cost": "unit_price",
    "tax_rate": "unit_price",
    "causal_part": "symptom",
    "declined_line": "description",
    "recommendation": "description",
    "supplier": "description",
}


@require_http_methods(["GET", "POST"])
@page("visits.receive")
def order_new(request: HttpRequest, visit_id: int) -> HttpResponse:
    """Write and sign the repair order: the customer's statement, the lines (each with its pay type), the
    promised time, road-test consent, old parts, valuables, the customer's signature on the pad."""
    visit = visit_of(request, visit_id)
    calendar = store_calendar(visit.store)
    clock = WallClock(visit.store)
    walk = getattr(visit, "walk_around", None)
    status = 200
    if request.method == "POST":
        indexes = _row_indexes(request.POST)
        form = OrderForm(request.POST, rows=indexes)
        form.is_valid()
        status = 422
        lines: list[services.LineIn] = []
        chosen: list[int] = []
        for index in indexes:
            prefix = f"line-{index}-"
            if not form.cleaned_data.get(prefix + "include") or any(
                prefix + name in form.errors for name in LineForm.base_fields
            ):
                continue
            fields = {name: form.cleaned_data[prefix + name] for name in LineForm.base_fields}
            line, problems = line_in_of(fields, visit.store.group_id)
            for name, messages_ in problems.items():
                form.add_error(prefix + name, messages_)
            if line is not None:
                lines.append(line)
                chosen.append(index)
        if not form.errors:
            data = form.cleaned_data
            try:
                order = services.repair_order_create(
                    actor=request_user(request),
                    visit_id=visit.pk,
                    data=services.OrderIn(
                        statement=data["statement"],
                        signature=data["signature"],
                        signed_name=data["signed_name"],
                        lines=lines,
                        road_test_consent=data["road_test_consent"],
                        old_parts=data["old_parts"],
                        valuables=data["valuables"],
                        promised_at=in_store_zone(data["promised_at"], calendar.zone) if data["promised_at"] else None,
                    ),
                )
            except ApplicationError as error:
                if error.status == 404:
                    raise
                for key, refusals in error.fields.items():
                    parts = key.split(".")
                    if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(chosen):
                        name = SERVICE_FIELDS.get(parts[2], "description")
                        form.add_error(f"line-{chosen[int(parts[1])]}-{name}", refusals)
                    elif key in form.fields:
                        form.add_error(key, refusals)
                    else:
                        form.add_error(None, refusals)
                if not error.fields:
                    form.add_error(None, error.detail)
            else:
                messages.success(request, _("Repair order %(number)s is signed.") % {"number": order.number})
                return redirect("visits:order", order_id=order.pk)
        rows = _posted_rows(request.POST, form, indexes)
    else:
        rows = _suggested_rows(visit, request.GET)
        form = OrderForm(
            initial={
                "statement": visit.needs,
                "promised_at": clock.maybe(visit.promised_at),
                "valuables": walk.valuables if walk else "",
                "signed_name": visit.contact_name,
            }
        )
    return render(
        request,
        "visits/order_new.html",
        {
            "visit": visit,
            "form": form,
            "rows": rows,
            "operations": operations_of(visit.store.group_id),
            "kinds": Line.Kind.choices,
            "pay_types": PayType.choices,
            "sources": [c for c in Line.Source.choices if c[0] != Line.Source.DIAGNOSIS_FEE],
            "fee_kinds": Line.FeeKind.choices,
            "next_index": max((row["index"] for row in rows), default=-1) + 1,
        },
        status=status,
    )


@require_GET
@page("visits.receive")
def line_row(request: HttpRequest, visit_id: int) -> HttpResponse:
    """One more blank line for the order form (HTMX)."""
    visit = visit_of(request, visit_id)
    index_text = request.GET.get("index", "0")
    index = int(index_text) if index_text.isdigit() and int(index_text) < MAX_ROWS else MAX_ROWS
    if index >= MAX_ROWS:
        return HttpResponse("")
    return render(
        request,
        "visits/_line_row_more.html",
        {
            "row": _row(index),
            "next_index": index + 1,
            "operations": operations_of(visit.store.group_id),
            "kinds": Line.Kind.choices,
            "pay_types": PayType.choices,
            "sources": [c for c in Line.Source.choices if c[0] != Line.Source.DIAGNOSIS_FEE],
            "fee_kinds": Line.FeeKind.choices,
            "visit": visit,
        },
    )
