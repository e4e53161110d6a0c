"""The customer approval link (RO-2): the customer sees the work proposed on their car with its prices
and the walk-around photos, and approves or declines each line. The link shows one version of the
order: a line added or repriced since supersedes it (``messaging.services.links``)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from aftersales.core.errors import ApplicationError
from aftersales.core.models import User
from aftersales.customers.services.messages import customer_recipient
from aftersales.messaging.models import CustomerLink, MessageTemplate
from aftersales.messaging.services import link_create, link_use, message_send, message_try
from aftersales.visits.models import LineApproval, RepairOrder, RepairOrderEvent
from aftersales.visits.services.approvals import ApprovalIn, Decision, approval_snapshot, approvals_record
from aftersales.visits.services.orders import repair_order_access

PURPOSE = "repair_approval"
EVENT = "repair_approval_request"
LINK_DAYS = 3


def approval_link_send(*, actor: User, order_id: int, base_url: str) -> tuple[CustomerLink, str]:
    """A link for the customer to decide on the proposed work they pay for (``visits.receive``); sent by
    the ``repair_approval_request`` message where active. Returns the link and its URL."""
    with transaction.atomic():
        order = repair_order_access(actor=actor, order_id=order_id, permission="visits.receive", for_update=True)
        snapshot = approval_snapshot(order.pk)
        if not snapshot["lines"]:
            raise ApplicationError(
                _("No proposed work waits for the customer's decision."), code="nothing_to_approve", status=409
            )
        if order.state not in (RepairOrder.State.OPEN, RepairOrder.State.IN_WORK):
            raise ApplicationError(_("This order takes no more approvals."), code="not_allowed", status=409)
        link, token = link_create(
            store=order.store, purpose=PURPOSE, object_id=order.pk, actor=actor, expires_in=timedelta(days=LINK_DAYS)
        )
        url = base_url.rstrip("/") + reverse("messaging:link", kwargs={"token": token})
        RepairOrderEvent.objects.create(
            order=order, actor=actor, action="link", from_state=order.state, to_state=order.state
        )
        if MessageTemplate.objects.filter(event=EVENT, is_active=True).exists():
            amount = sum((Decimal(row["amount"]) for row in snapshot["lines"]), Decimal(0))
            message_try(
                f"approval link of {order.number}",
                lambda: message_send(
                    store=order.store,
                    event=EVENT,
                    recipient=customer_recipient(order.customer),
                    variables={
                        "name": order.visit.address_as or order.customer.name,
                        "order": order.number,
                        "plate": order.vehicle.plate or order.vehicle.vin[-6:],
                        "amount": f"{amount:.2f}",
                        "url": url,
                        "store": order.store.name,
                    },
                    actor=actor,
                    about=("visits.repairorder", order.pk),
                ),
            )
    return link, url


def approval_link_decide(
    *, link: CustomerLink, shown_hash: str, decisions: dict[int, bool], reasons: dict[int, str]
) -> list[LineApproval]:
    """The customer's decision through the link: every line the link shows approved or declined (a line
    left out is named), bound to the version shown; the link is used once."""
    with transaction.atomic():
        snapshot = approval_snapshot(link.object_id)
        shown = [int(row["line"]) for row in snapshot["lines"]]
        missing = [row["position"] for row in snapshot["lines"] if int(row["line"]) not in decisions]
        if missing or set(decisions) - set(shown):
            raise ApplicationError(
                _("Approve or decline every item (%(items)s).") % {"items": ", ".join(str(p) for p in missing)},
                field="decisions",
                status=422,
            )
        link_use(link, shown_hash=shown_hash, what="repair_approval")
        return approvals_record(
            actor=None,
            order_id=link.object_id,
            link=link,
            data=ApprovalIn(
                kind=LineApproval.Kind.CUSTOMER_LINK,
                person=RepairOrder.all_objects.get(pk=link.object_id).customer.name[:60],
                decisions=[Decision(line_id, decisions[line_id], reasons.get(line_id, "")) for line_id in shown],
            ),
        )
