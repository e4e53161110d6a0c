from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from aftersales.core.access import can
from aftersales.core.models import Store
from aftersales.core.navigation import MENU
from aftersales.core.routing import active_store_id


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Menu entries, stores to switch between and the active store, for the signed-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    store_id = active_store_id(request)
    stores = list(Store.objects.filter(is_active=True).order_by("code"))
    return {
        "menu": [item for item in MENU if can(user, item.permission, store_id=store_id)],
        "switchable_stores": stores,
        "active_store": next((store for store in stores if store.pk == store_id), None),
        "can_admin": can(user, "admin.access"),
    }
