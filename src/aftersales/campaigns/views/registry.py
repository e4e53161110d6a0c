"""Pages of the campaign registry: the list with its filters, a campaign with what it affects, its parts
and its outreach per store, the campaign form, and the actions of its page (a VIN range, a model period,
the VIN list file, removing one of them, open, close)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from aftersales.campaigns import selectors, services
from aftersales.campaigns.forms import (
    CampaignFilterForm,
    CampaignForm,
    CloseForm,
    ModelPeriodForm,
    RangeForm,
    VinFileForm,
)
from aftersales.campaigns.models import Campaign
from aftersales.campaigns.services import PartLine
from aftersales.core.access import stores_with
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.forms import brand_choices, form_run
from aftersales.core.models import DealerGroup
from aftersales.core.routing import acting_group, can_here, page, request_user

STATE_STYLES = {"draft": "secondary", "open": "success", "closed": "dark"}


def _group(request: HttpRequest) -> DealerGroup:
    return acting_group(request, permission="campaigns.view")


@require_http_methods(["GET"])
@page("campaigns.view")
def campaign_list(request: HttpRequest) -> HttpResponse:
    """The group's recalls and campaigns, newest first, filtered by text, state and kind."""
    form = CampaignFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {
            "query": form.cleaned_data["q"],
            "state": form.cleaned_data["state"],
            "kind": form.cleaned_data["kind"],
        }
    rows = selectors.campaign_list(group_id=_group(request).pk, **filters)
    page_obj = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "campaigns/list.html",
        {
            "form": form,
            "page_obj": page_obj,
            "query": query.urlencode(),
            "styles": STATE_STYLES,
            "can_manage": can_here(request, "campaigns.manage"),
        },
        status=400 if request.GET and not form.is_valid() else 200,
    )


def _detail(request: HttpRequest, campaign_id: int, *, status: int = 200, **forms: Any) -> HttpResponse:
    campaign = selectors.campaign_access(actor=request_user(request), campaign_id=campaign_id)
    row = selectors.campaign_detail(campaign.pk)
    progress = selectors.outreach_progress(row, store_ids=stores_with(request_user(request), "campaigns.view"))
    context = {
        "campaign": row,
        "progress": progress,
        "styles": STATE_STYLES,
        "can_manage": can_here(request, "campaigns.manage"),
        "range_form": forms.get("range_form") or RangeForm(auto_id="range_%s"),
        "model_form": forms.get("model_form") or ModelPeriodForm(brand_id=row.brand_id, auto_id="model_%s"),
        "file_form": forms.get("file_form") or VinFileForm(auto_id="vins_%s"),
        "close_form": forms.get("close_form") or CloseForm(auto_id="close_%s"),
        "open_errors": forms.get("open_errors") or [],
        "rows_report": forms.get("rows_report") or [],
    }
    return render(request, "campaigns/detail.html", context, status=status)


@require_http_methods(["GET"])
@page("campaigns.view")
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    return _detail(request, campaign_id)


def _form_page(request: HttpRequest, campaign: Campaign | None) -> HttpResponse:
    group = _group(request)
    initial: dict[str, Any] = {}
    if campaign is not None:
        initial = {
            name: getattr(campaign, name) for name in ("kind", "title", "description", "valid_from", "valid_until")
        }
        initial["operation"] = str(campaign.operation_id)
        initial["parts"] = "\n".join(
            f"{line.part.number_display} = {line.quantity.normalize():f}"
            for line in campaign.parts.select_related("part")
        )
    form = CampaignForm(
        request.POST or None, initial=initial, group_id=group.pk, brands=brand_choices(), editing=campaign is not None
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            saved, result = form_run(
                form,
                lambda: services.campaign_save(
                    actor=request_user(request),
                    group_id=group.pk,
                    campaign_id=campaign.pk if campaign else None,
                    code=data.get("code", ""),
                    brand_id=int(data["brand"]) if data.get("brand") else None,
                    data={
                        "kind": data["kind"],
                        "title": data["title"],
                        "description": data["description"],
                        "operation_id": int(data["operation"]),
                        "valid_from": data["valid_from"],
                        "valid_until": data["valid_until"],
                    },
                    parts=[PartLine(part_id=part, quantity=Decimal(quantity)) for part, quantity in data["parts"]],
                ),
            )
            if saved:
                messages.success(request, _("Campaign %(code)s is saved.") % {"code": result.code})
                return redirect("campaigns:detail", campaign_id=result.pk)
    return render(request, "campaigns/form.html", {"form": form, "campaign": campaign}, status=status)


@require_http_methods(["GET", "POST"])
@page("campaigns.manage")
def campaign_create(request: HttpRequest) -> HttpResponse:
    return _form_page(request, None)


@require_http_methods(["GET", "POST"])
@page("campaigns.manage")
def campaign_edit(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.campaign_access(actor=request_user(request), campaign_id=campaign_id)
    if campaign.state != Campaign.State.DRAFT:
        messages.error(request, _("Only a draft can be changed."))
        return redirect("campaigns:detail", campaign_id=campaign.pk)
    return _form_page(request, campaign)


@require_http_methods(["POST"])
@page("campaigns.manage")
def range_add(request: HttpRequest, campaign_id: int) -> HttpResponse:
    form = RangeForm(request.POST, auto_id="range_%s")
    if form.is_valid():
        saved, _row = form_run(
            form,
            lambda: services.vin_range_add(
                actor=request_user(request),
                campaign_id=campaign_id,
                first_vin=form.cleaned_data["first_vin"],
                last_vin=form.cleaned_data["last_vin"],
            ),
        )
        if saved:
            messages.success(request, _("The VIN range is added."))
            return redirect("campaigns:detail", campaign_id=campaign_id)
    return _detail(request, campaign_id, status=400, range_form=form)


@require_http_methods(["POST"])
@page("campaigns.manage")
def model_add(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.campaign_access(actor=request_user(request), campaign_id=campaign_id)
    form = ModelPeriodForm(request.POST, brand_id=campaign.brand_id, auto_id="model_%s")
    if form.is_valid():
        saved, _row = form_run(
            form,
            lambda: services.model_range_add(
                actor=request_user(request),
                campaign_id=campaign_id,
                model_id=int(form.cleaned_data["model"]),
                produced_from=form.cleaned_data["produced_from"],
                produced_until=form.cleaned_data["produced_until"],
            ),
        )
        if saved:
            messages.success(request, _("The model and period are added."))
            return redirect("campaigns:detail", campaign_id=campaign_id)
    return _detail(request, campaign_id, status=400, model_form=form)


@require_http_methods(["POST"])
@page("campaigns.manage")
def vins_import(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Take in the issuer's VIN list; a file with wrong rows is refused whole and each row's problem shown."""
    form = VinFileForm(request.POST, request.FILES, auto_id="vins_%s")
    report: list[tuple[str, str]] = []
    if form.is_valid():
        try:
            result = services.vin_list_import(
                actor=request_user(request), campaign_id=campaign_id, upload=form.cleaned_data["file"]
            )
        except ApplicationError as error:
            if error.status == 404:
                raise
            rows = {key: value for key, value in error.fields.items() if key.startswith("rows.")}
            report = [(key.split(".")[1], " ".join(value)) for key, value in rows.items()]
            if rows:
                # The refusal, then (a long file) how many rows are wrong beyond those listed.
                for message in [error.detail, *error.fields.get("file", [])]:
                    form.add_error("file", message)
            else:
                form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("%(rows)s rows read: %(added)s VINs added, %(repeated)s listed already.")
                % {"rows": result.rows, "added": result.added, "repeated": result.repeated},
            )
            return redirect("campaigns:detail", campaign_id=campaign_id)
    return _detail(request, campaign_id, status=400, file_form=form, rows_report=report)


def _remove(request: HttpRequest, campaign_id: int, kind: str, row_id: int | None) -> HttpResponse:
    try:
        removed = services.definition_remove(
            actor=request_user(request), campaign_id=campaign_id, kind=kind, row_id=row_id
        )
    except ApplicationError as error:
        if error.status == 404:
            raise
        messages.error(request, error.detail)
        return redirect("campaigns:detail", campaign_id=campaign_id)
    messages.success(request, _("%(n)s rows removed.") % {"n": removed})
    return redirect("campaigns:detail", campaign_id=campaign_id)


@require_http_methods(["POST"])
@page("campaigns.manage")
def range_remove(request: HttpRequest, campaign_id: int, row_id: int) -> HttpResponse:
    """Remove a VIN range of a draft."""
    return _remove(request, campaign_id, "range", row_id)


@require_http_methods(["POST"])
@page("campaigns.manage")
def model_remove(request: HttpRequest, campaign_id: int, row_id: int) -> HttpResponse:
    """Remove a model period of a draft."""
    return _remove(request, campaign_id, "model", row_id)


@require_http_methods(["POST"])
@page("campaigns.manage")
def vins_clear(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Remove the whole VIN list of a draft (to import a corrected one)."""
    return _remove(request, campaign_id, "vins", None)


@require_http_methods(["POST"])
@page("campaigns.manage")
def campaign_open(request: HttpRequest, campaign_id: int) -> HttpResponse:
    try:
        campaign = services.campaign_open(actor=request_user(request), campaign_id=campaign_id)
    except ApplicationError as error:
        if error.status == 404:
            raise
        problems = [message for values in error.fields.values() for message in values] or [error.detail]
        return _detail(request, campaign_id, status=error.status if error.status < 500 else 400, open_errors=problems)
    messages.success(request, services.campaign_opened_message(campaign))
    return redirect("campaigns:detail", campaign_id=campaign_id)


@require_http_methods(["POST"])
@page("campaigns.manage")
def campaign_close(request: HttpRequest, campaign_id: int) -> HttpResponse:
    form = CloseForm(request.POST, auto_id="close_%s")
    status = 400
    if form.is_valid():
        try:
            saved, campaign = form_run(
                form,
                lambda: services.campaign_close(
                    actor=request_user(request), campaign_id=campaign_id, note=form.cleaned_data["note"]
                ),
            )
        except ConflictError as error:
            form.add_service_errors(error)
            saved, status = False, error.status
        if saved:
            messages.success(request, _("%(code)s is closed.") % {"code": campaign.code})
            return redirect("campaigns:detail", campaign_id=campaign_id)
    return _detail(request, campaign_id, status=status, close_form=form)
