"""Messages to a customer through the outbox (aftersales.messaging): who the customer is to it, sending
one from the archive, and what an opt-out (退订) means for the archive."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.errors import ApplicationError
from aftersales.core.models import Store, User
from aftersales.customers.models import Customer
from aftersales.customers.selectors.customers import customer_access
from aftersales.customers.services.customers import mobiles_of
from aftersales.messaging.models import Message
from aftersales.messaging.services import Recipient, message_send


def customer_recipient(customer: Customer) -> Recipient:
    """The customer as the outbox addresses them: the primary mobile, the e-mail, the marketing consent
    (and whether it was withdrawn: an opt-out)."""
    mobiles = mobiles_of(customer)
    return Recipient(
        type=Message.RecipientType.CUSTOMER,
        id=customer.pk,
        name=customer.name,
        mobile=mobiles[0] if mobiles else "",
        email=customer.email,
        marketing_consent=customer.marketing_consent,
        opted_out=not customer.marketing_consent and customer.marketing_consent_at is not None,
    )


def customer_message_send(
    *, actor: User, store: Store, customer_id: int, event: str, variables: dict[str, Any]
) -> list[Message]:
    """Send the event's message to a customer the actor may see (``message_send`` decides consent, quiet
    hours and channels)."""
    customer = customer_access(actor=actor, customer_id=customer_id)
    if customer.anonymised_at is not None:
        raise ApplicationError(_("This customer was anonymised: there is nobody to write to."), status=422)
    return message_send(
        store=store,
        event=event,
        recipient=customer_recipient(customer),
        variables=variables,
        actor=actor,
        about=("customers.customer", customer.pk),
    )


def customers_opt_out(address: str) -> int:
    """An opt-out from ``address`` (a mobile or an e-mail): the active customers who have it lose their
    marketing consent now (audited as the system's change). Registered with the outbox."""
    holders = Customer.all_objects.filter(
        Q(phones__number=address) | Q(email__iexact=address), merged_into=None, marketing_consent=True
    ).distinct()
    now = timezone.now()
    changed = 0
    for customer in holders.order_by("pk"):
        customer.marketing_consent = False
        customer.marketing_consent_at = now
        customer.version += 1
        customer.save(actor=None)
        changed += 1
    return changed
