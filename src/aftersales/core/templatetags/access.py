"""``{% if request|may:"stock.import" %}``: whether the signed-in person holds a permission in the
active store (``core.routing.can_here``), to show a link only to those it would not refuse."""

from __future__ import annotations

from django import template
from django.http import HttpRequest

from aftersales.core.routing import can_here

register = template.Library()


@register.filter
def may(request: HttpRequest, permission: str) -> bool:
    return can_here(request, permission)
