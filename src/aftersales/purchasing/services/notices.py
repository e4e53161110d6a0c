"""What purchasing tells people through the outbox: a local supplier gets the order as a PDF by e-mail
when it is sent (and again, as its new version, after an amendment); whoever waits for parts bought for
their demand (PRT-9) is told when they arrive and are reserved to it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from aftersales.core.models import User
from aftersales.core.pdf import PdfError
from aftersales.messaging.models import Message, MessageTemplate
from aftersales.messaging.services import Attachment, Recipient, message_send, message_try
from aftersales.parts.models import Part, Reservation
from aftersales.parts.services import qty_text
from aftersales.purchasing.documents import order_pdf, order_reference
from aftersales.purchasing.models import PurchaseOrder, PurchaseOrderLine, Supplier
from aftersales.purchasing.selectors import order_total

logger = logging.getLogger(__name__)
ORDER_EVENT = "purchase_order_sent"
ORDER_ABOUT = "purchasing.purchaseorder"  # what the outbox says an order's e-mails are about
ARRIVAL_EVENT = "parts_arrived"


@dataclass(frozen=True)
class DemandOwner:
    """A demand as its owner knows it: who waits for it and the number they know it by."""

    owner: User | None
    name: str


# Who waits for a demand, by demand type: the area that owns the demand registers how to find them and
# the demand's number (the repair order its advisor, the appointment its booker; None: no such demand).
# Without one, the person who wrote the order for the demand is told, the demand named by its id.
DEMAND_OWNERS: dict[str, Callable[[int], DemandOwner | None]] = {}


def _active(event: str, channel: str) -> bool:
    return MessageTemplate.objects.filter(event=event, channel=channel, is_active=True).exists()


def _quietly(what: str, order: PurchaseOrder, send: Callable[[], list[Message]]) -> list[Message]:
    return message_try(f"{what} of order {order.number}", send, also=(PdfError,))


def order_email(*, actor: User | None, order: PurchaseOrder) -> list[Message]:
    """Put the order's PDF in the outbox for a local supplier with an e-mail address (nothing for a
    manufacturer, who takes the order file, or without an address or an active template)."""
    return _quietly("The e-mail", order, lambda: _order_email(actor, order))


def _order_email(actor: User | None, order: PurchaseOrder) -> list[Message]:
    supplier = order.supplier
    if supplier.kind != Supplier.Kind.LOCAL or not supplier.email or not _active(ORDER_EVENT, "email"):
        return []
    reference = order_reference(order)
    printed_by = str(actor) if actor else ""
    pdf = order_pdf(order, printed_by=printed_by)
    return message_send(
        store=order.store,
        event=ORDER_EVENT,
        recipient=Recipient(type="supplier", name=supplier.name, id=supplier.pk, email=supplier.email),
        variables={
            "supplier": supplier.contact_name or supplier.name,
            "order": reference,
            "store": order.store.name,
            "lines": order.lines.count(),
            "total": f"{order_total(order):,.2f}",
        },
        actor=actor,
        about=(ORDER_ABOUT, order.pk),
        channels=("email",),
        attachments=[Attachment(f"{reference}.pdf", "application/pdf", pdf)],
    )


def arrivals_tell(order: PurchaseOrder, arrived: list[tuple[PurchaseOrderLine, Decimal]]) -> list[Message]:
    """Tell the owner of each demand that parts bought for it arrived and are reserved to it (in-app, one
    message per line, ``arrived`` holding what was reserved)."""
    return _quietly("The arrival notice", order, lambda: _arrivals_tell(order, arrived))


def _arrivals_tell(order: PurchaseOrder, arrived: list[tuple[PurchaseOrderLine, Decimal]]) -> list[Message]:
    if not arrived or not _active(ARRIVAL_EVENT, "inapp"):
        return []
    parts = Part.objects.in_bulk({line.part_id for line, _quantity in arrived})
    sent: list[Message] = []
    for line, quantity in arrived:
        if not line.demand_type or line.demand_id is None:
            continue
        owner_of = DEMAND_OWNERS.get(line.demand_type)
        demand = owner_of(line.demand_id) if owner_of else DemandOwner(order.created_by, str(line.demand_id))
        owner = demand.owner if demand else None
        if demand is None or owner is None or not owner.is_active:
            continue
        types = Reservation.DemandType
        label = types(line.demand_type).label if line.demand_type in types.values else line.demand_type
        sent += message_send(
            store=order.store,
            event=ARRIVAL_EVENT,
            recipient=Recipient(type="staff", name=str(owner), user=owner),
            variables={
                "part": parts[line.part_id].number_display,
                "quantity": qty_text(quantity),
                "order": order.number,
                "demand": f"{label} {demand.name}",
            },
            about=(line.demand_type, line.demand_id),
            channels=("inapp",),
        )
    return sent
