"""The store's quality rules: its standard final-inspection checks, washing standard and the order types it
does not wash, the 24-point free check at delivery, the comeback window, whether the province issues
release certificate numbers, how often an internal quality evaluation samples how many delivered orders; and
its own repair guarantee per repair category (never below the law's)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from aftersales.core.errors import ApplicationError
from aftersales.core.models import Store
from aftersales.core.routing import page, page_store, request_user
from aftersales.quality.forms import SettingsForm
from aftersales.quality.models import GuaranteeTerm
from aftersales.quality.services import guarantee_terms, quality_settings
from aftersales.quality.services.settings import quality_settings_save


def _kept_terms(store: Store) -> dict[str, tuple[int, int]]:
    """The store's own guarantee terms as kept (selectors offer the resulting terms only)."""
    return {row.repair_category: (row.days, row.km) for row in GuaranteeTerm.all_objects.filter(store=store)}


def _initial(store: Store) -> dict[str, Any]:
    rules = quality_settings(store)
    initial: dict[str, Any] = {
        "final_checks": "\n".join(rules.final_checks),
        "wash_checks": "\n".join(rules.wash_checks),
        "delivery_checks": "\n".join(rules.delivery_checks),
        "wash_skip": list(rules.wash_skip),
        "comeback_days": rules.comeback_days,
        "certificate_from_platform": rules.certificate_from_platform,
        "audit_every_days": rules.audit_every_days,
        "audit_sample_size": rules.audit_sample_size,
    }
    for category, (days, km) in _kept_terms(store).items():
        initial |= {f"{category}_days": days, f"{category}_km": km}
    return initial


def _page(request: HttpRequest, store: Store, form: SettingsForm, *, status: int = 200) -> HttpResponse:
    context = {"store": store, "form": form, "terms": guarantee_terms(store.pk)}
    return render(request, "quality/settings.html", context, status=status)


@require_http_methods(["GET", "POST"])
@page("quality.settings")
def settings_page(request: HttpRequest) -> HttpResponse:
    """The rules and the guarantee terms; a POST keeps both or, with any wrong field, neither (one service
    checks them all before it writes)."""
    store = page_store(request)
    if request.method == "GET":
        return _page(request, store, SettingsForm(initial=_initial(store)))
    form = SettingsForm(request.POST)
    if not form.is_valid():
        return _page(request, store, form, status=400)
    data = form.settings_in()
    data.guarantees = form.terms()
    try:
        quality_settings_save(actor=request_user(request), store_id=store.pk, data=data)
    except ApplicationError as error:
        form.add_service_errors(error)
        return _page(request, store, form, status=409 if error.status == 409 else 400)
    messages.success(request, _("The quality rules and the repair guarantees are saved."))
    return redirect("quality:settings")
