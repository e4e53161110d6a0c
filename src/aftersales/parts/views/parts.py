"""Pages of the part master: search, a part with its stock, prices and supersessions, the part form,
and the OEM price file import."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from aftersales.core.access import stores_with
from aftersales.core.forms import brand_choices, form_run
from aftersales.core.models import DealerGroup, Store
from aftersales.core.routing import acting_group, active_store_id, can_here, page, request_user
from aftersales.parts import services
from aftersales.parts.forms import PartForm, PartSearchForm, PriceFileForm, PriceForm, SupersessionForm
from aftersales.parts.models import Part, PartPrice, Supersession
from aftersales.parts.selectors import parts as selectors
from aftersales.parts.selectors import stock as stock_selectors


def _group(request: HttpRequest) -> DealerGroup:
    return acting_group(request, permission="parts.view")


def _part(request: HttpRequest, part_id: int) -> Part:
    part = Part.objects.select_related("brand").filter(pk=part_id, group=_group(request)).first()
    if part is None:
        raise Http404
    return part


@require_http_methods(["GET"])
@page("parts.view")
def part_list(request: HttpRequest) -> HttpResponse:
    """Parts by number (any part of it), name or pinyin, with the stock in the active store."""
    form = PartSearchForm(request.GET or None, brands=brand_choices())
    query, brand_id = "", None
    if form.is_valid():
        query = form.cleaned_data["q"]
        brand_id = int(form.cleaned_data["brand"]) if form.cleaned_data["brand"] else None
    rows = selectors.parts_search(group_id=_group(request).pk, query=query, brand_id=brand_id)
    page_obj = Paginator(rows, 50).get_page(request.GET.get("page"))
    store_id = active_store_id(request)
    on_hand = stock_selectors.part_stock(store_id=store_id, part_ids=[part.pk for part in page_obj]) if store_id else {}
    return render(
        request,
        "parts/part_list.html",
        {
            "form": form,
            "page_obj": page_obj,
            "rows": [
                (part, *(on_hand[part.pk][0], on_hand[part.pk][0] - on_hand[part.pk][1]))
                if part.pk in on_hand
                else (part, None, None)
                for part in page_obj
            ],
            "query": request.GET.urlencode(),
            "can_manage": can_here(request, "parts.manage"),
            "can_import": can_here(request, "prices.guide"),
        },
        status=400 if request.GET and not form.is_valid() else 200,
    )


def _detail_page(
    request: HttpRequest,
    part: Part,
    *,
    supersession_form: SupersessionForm | None = None,
    price_form: PriceForm | None = None,
    status: int = 200,
) -> HttpResponse:
    store_ids = stores_with(request_user(request), "parts.view")
    prices = PartPrice.objects.filter(part=part).select_related("store", "created_by").order_by("kind", "-valid_from")
    links = (Supersession.objects.filter(old_part=part) | Supersession.objects.filter(new_part=part)).select_related(
        "old_part", "new_part"
    )
    return render(
        request,
        "parts/part_detail.html",
        {
            "part": part,
            "balances": stock_selectors.balances(store_ids=store_ids, part_id=part.pk).filter(on_hand__gt=0),
            "prices": [row for row in prices if row.store_id is None or store_ids is None or row.store_id in store_ids],
            "links": links,
            "fitment": part.fitments.order_by("series"),
            "moves": stock_selectors.moves(store_ids=store_ids, part_id=part.pk)[:20],
            "can_manage": can_here(request, "parts.manage"),
            "can_price": can_here(request, "prices.manage") or can_here(request, "prices.guide"),
            "supersession_form": supersession_form or SupersessionForm(),
            "price_form": price_form or PriceForm(scopes=_price_scopes(request)),
        },
        status=status,
    )


@require_http_methods(["GET"])
@page("parts.view")
def part_detail(request: HttpRequest, part_id: int) -> HttpResponse:
    return _detail_page(request, _part(request, part_id))


def _price_scopes(request: HttpRequest) -> list[tuple[str, str]]:
    scopes = []
    if can_here(request, "prices.guide"):
        scopes.append(("group", _("The group (guide price)")))
    store_id = active_store_id(request)
    if store_id and can_here(request, "prices.manage"):
        name = Store.objects.filter(pk=store_id).values_list("name", flat=True).first()
        scopes.append((str(store_id), name or _("This store")))
    return scopes


def _part_form_page(request: HttpRequest, part: Part | None) -> HttpResponse:
    initial: dict[str, Any] = {}
    if part is not None:
        initial = {name: getattr(part, name) for name in PartForm.base_fields if hasattr(part, name)}
        initial["fitment"] = ", ".join(part.fitments.order_by("series").values_list("series", flat=True))
        initial["tax_rate"] = f"{part.tax_rate:.2f}"
    form = PartForm(request.POST or None, initial=initial, brands=brand_choices(), editing=part is not None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            actor, group = request_user(request), _group(request)
            saved, result = form_run(
                form,
                lambda: services.part_save(
                    actor=actor,
                    group_id=group.pk,
                    data=form.service_data(),
                    part_id=part.pk if part else None,
                    brand_id=int(form.cleaned_data["brand"]) if part is None else None,
                    fitment=form.fitment_list(),
                ),
            )
            if saved:
                messages.success(request, _("Part %(part)s is saved.") % {"part": result.number_display})
                return redirect("parts:detail", part_id=result.pk)
        status = 400
    return render(request, "parts/part_form.html", {"form": form, "part": part}, status=status)


@require_http_methods(["GET", "POST"])
@page("parts.manage")
def part_create(request: HttpRequest) -> HttpResponse:
    return _part_form_page(request, None)


@require_http_methods(["GET", "POST"])
@page("parts.manage")
def part_edit(request: HttpRequest, part_id: int) -> HttpResponse:
    return _part_form_page(request, _part(request, part_id))


@require_http_methods(["POST"])
@page("parts.manage")
def part_supersede(request: HttpRequest, part_id: int) -> HttpResponse:
    part = _part(request, part_id)
    form = SupersessionForm(request.POST)
    if form.is_valid():
        new = selectors.part_by_number(group_id=part.group_id, number=form.cleaned_data["new_number"])
        if new is None:
            form.add_error("new_number", services.unknown_part(part.group_id, form.cleaned_data["new_number"]).detail)
        else:
            actor = request_user(request)
            saved, _result = form_run(
                form,
                lambda: services.supersession_save(
                    actor=actor,
                    old_part_id=part.pk,
                    new_part_id=new.pk,
                    interchangeability=form.cleaned_data["interchangeability"],
                    effective_on=form.cleaned_data["effective_on"],
                    note=form.cleaned_data["note"],
                ),
            )
            if saved:
                messages.success(request, _("The supersession is recorded."))
                return redirect("parts:detail", part_id=part.pk)
    return _detail_page(request, part, supersession_form=form, status=400)


@require_http_methods(["POST"])
@page("prices.manage")
def part_price(request: HttpRequest, part_id: int) -> HttpResponse:
    part = _part(request, part_id)
    form = PriceForm(request.POST, scopes=_price_scopes(request))
    if form.is_valid():
        actor = request_user(request)
        scope = form.cleaned_data["scope"]
        saved, _result = form_run(
            form,
            lambda: services.part_price_set(
                actor=actor,
                part_id=part.pk,
                store_id=None if scope == "group" else int(scope),
                kind=form.cleaned_data["kind"],
                price=form.cleaned_data["price"],
                valid_from=form.cleaned_data["valid_from"],
                reason=form.cleaned_data["reason"],
            ),
        )
        if saved:
            messages.success(request, _("The price is set."))
            return redirect("parts:detail", part_id=part.pk)
    return _detail_page(request, part, price_form=form, status=400)


@require_http_methods(["GET", "POST"])
@page("prices.guide")
def price_file(request: HttpRequest) -> HttpResponse:
    """Import a manufacturer's price file: a dry run lists every wrong row and column; a clean file imports."""
    form = PriceFileForm(
        request.POST or None,
        request.FILES or None,
        brands=brand_choices(),
        initial={"effective_from": timezone.localdate(), "dry_run": True},
    )
    result = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            actor, group = request_user(request), _group(request)
            upload = form.cleaned_data["file"]
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "prices.xlsx"
                with path.open("wb") as target:
                    for chunk in upload.chunks():
                        target.write(chunk)
                done, result = form_run(
                    form,
                    lambda: services.price_file_import(
                        actor=actor,
                        group=group,
                        brand_id=int(form.cleaned_data["brand"]),
                        kind=form.cleaned_data["kind"],
                        effective_from=form.cleaned_data["effective_from"],
                        path=path,
                        file_name=upload.name or "prices.xlsx",
                        dry_run=form.cleaned_data["dry_run"],
                    ),
                )
            if done and result.price_file is not None:
                messages.success(
                    request,
                    _("%(rows)s prices imported (%(new)s new part numbers).")
                    % {"rows": result.rows, "new": result.created_parts},
                )
                return redirect("parts:price_file")
            if not done or result.errors:
                status = 400
        else:
            status = 400
    return render(request, "parts/price_file.html", {"form": form, "result": result}, status=status)
