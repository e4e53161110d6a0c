"""Access-matrix samples of the workshop's desk pages (``core.tests.routes`` merges them): the parts desk, an
order waiting for parts with the car off site, the service levels and settings.

Each sample makes what it acts on afresh (a parts request of the world's technician, a visit of its own),
so that every role of the matrix finds it as the first did."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from aftersales.conftest import World
from aftersales.core.models import User
from aftersales.parts.models import PartPrice
from aftersales.parts.tests.factories import PartFactory
from aftersales.visits import services as visits
from aftersales.visits.models import Visit
from aftersales.workshop import services
from aftersales.workshop.tests.samples_pages import _assembly_operation, _order, _worker


def _requested(world: World) -> int:
    """A parts request of the world's technician for an order's part in stock (06L-115-562)."""
    technician = _worker(world.user("technician"), world)
    order = _order(world)
    services.dispatch(
        actor=world.user("foreman"),
        order_id=order["order_id"],
        data=services.DispatchIn(line_id=order["labour"], technician_id=technician.pk),
    )
    return services.parts_request(actor=technician, order_id=order["order_id"], line_id=order["part"]).pk


def _missing_part(world: World) -> int:
    """A part of SH01's brand that no store has on its shelves (one per world)."""
    cached = world.__dict__.get("_workshop_missing_part")
    if cached is None:
        part = PartFactory.create(
            group=world.sh.group, brand=world.sh.brands.get(), number_display="5Q0-698-151", number="5Q0698151"
        )
        PartPrice.objects.create(part=part, kind="retail", price=Decimal("420.00"), valid_from=timezone.localdate())
        cached = world.__dict__["_workshop_missing_part"] = part.pk
    return int(cached)


def _short_order(world: World) -> dict[str, int]:
    """A signed order of its own visit whose part line (2) is not in stock: the order waits for parts."""
    from aftersales.core.tests.routes import _signature, _visit

    visit_id = _visit(world)
    # The assembly repair's pre-repair diagnosis record (the repair archive needs it before dispatch).
    visits.diagnosis_save(
        actor=world.user("advisor"),
        visit_id=visit_id,
        data=visits.DiagnosisIn(symptoms="异响", pre_repair_record="前轮制动片磨损至 2mm"),
    )
    order = visits.repair_order_create(
        actor=world.user("advisor"),
        visit_id=visit_id,
        data=visits.OrderIn(
            statement="刹车异响",
            signature=_signature(),
            signed_name="王五",
            lines=[
                visits.LineIn(kind="labour", operation_id=_assembly_operation(world)),
                visits.LineIn(kind="part", part_id=_missing_part(world), quantity=Decimal(2)),
            ],
        ),
    )
    lines = dict(order.lines.values_list("position", "pk"))
    return {"order_id": order.pk, "visit_id": order.visit_id, "part": lines[2]}


def _visit_id(world: World) -> int:
    """A visit on site with its own order waiting for parts."""
    return _short_order(world)["visit_id"]


def _away(world: World) -> int:
    """A visit whose car left the store when it arrived."""
    visit = Visit.all_objects.get(pk=_visit_id(world))
    services.off_site_leave(
        actor=world.user("advisor"), visit_id=visit.pk, reason="等配件", owner_agreed_pause=True, at=visit.arrived_at
    )
    return visit.pk


def _supplier_id(world: World) -> int:
    from aftersales.core.tests.routes import _supplier

    return int(_supplier(world).pk)


def _in_two_days(world: World) -> str:
    return timezone.localtime(timezone.now() + timedelta(days=2), world.sh.zone).strftime("%Y-%m-%dT%H:%M")


def _desk(user: User, world: World) -> dict[str, Any]:
    """The desk with a request to issue on it."""
    _requested(world)
    return {}


def _buy(user: User, world: World) -> dict[str, Any]:
    order = _short_order(world)
    return {
        "method": "POST",
        "kwargs": {"order_id": order["order_id"]},
        "data": {
            "line": str(order["part"]),
            "supplier": str(_supplier_id(world)),
            "order_type": "urgent",
            "unit_price": "300.00",
            "expected_on": (timezone.localdate() + timedelta(days=2)).isoformat(),
        },
    }


SAMPLES: dict[str, Callable[[User, World], dict[str, Any]]] = {
    "workshop:parts_requests": _desk,
    "workshop:parts_issue": lambda user, w: {
        "method": "POST",
        "kwargs": {"request_id": _requested(w)},
        "data": {"part_number": "06L-115-562"},
    },
    "workshop:order_parts": lambda user, w: {"kwargs": {"order_id": _short_order(w)["order_id"]}},
    "workshop:order_parts_buy": _buy,
    "workshop:off_site": lambda user, w: {
        "method": "POST",
        "kwargs": {"visit_id": _visit_id(w)},
        "data": {"reason": "客户先开走，配件到了再回来", "owner_agreed_pause": "on"},
    },
    "workshop:back": lambda user, w: {"method": "POST", "kwargs": {"visit_id": _away(w)}},
    "workshop:eta": lambda user, w: {
        "method": "POST",
        "kwargs": {"visit_id": _visit_id(w)},
        "data": {"promised_at": _in_two_days(w), "reason": "配件延误", "waiting_for_parts": "on"},
    },
    "workshop:settings": lambda user, w: {
        "method": "POST",
        "data": {"reminder_minutes": "20", "handover_minutes": "40", "notify_approved": "on", "notify_waiting": "on"},
    },
}
