"""Messages to a customer through the outbox (aftersales.messaging): who the customer is to it, sending
one from the archive, and what an opt-out (退订) means for the archive."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.errors import ApplicationError
from aftersales.core.models import Store, User
from aftersales.customers.models import Customer
from aftersales.customers.selectors.customers import customer_access
from aftersales.customers.services.customers import mobiles_of
from aftersales.messaging.models import CustomerLink, Message, MessageTemplate
from aftersales.messaging.services import Recipient, link_create, link_use, marketing_cancel, message_send


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
    *, actor: User, store: Store, customer_id: int, event: str, variables: dict[str, Any], base_url: str = ""
) -> list[Message]:
    """Send the event's message to a customer the actor may see (``message_send`` decides consent, quiet
    hours and channels); a marketing e-mail ends with a link that opts the customer out at once."""
    customer = customer_access(actor=actor, customer_id=customer_id)
    if customer.anonymised_at is not None:
        raise ApplicationError(_("This customer was anonymised: there is nobody to write to."), status=422)
    recipient = customer_recipient(customer)
    marketing_email = MessageTemplate.objects.filter(
        event=event, channel="email", message_class="marketing", is_active=True
    ).exists()
    if marketing_email and customer.email and customer.marketing_consent and base_url:
        url = unsubscribe_link(actor=actor, store=store, customer=customer, base_url=base_url)
        recipient = dataclasses.replace(recipient, unsubscribe_url=url)
    return message_send(
        store=store,
        event=event,
        recipient=recipient,
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
        marketing_cancel(recipient_type="customer", recipient_id=customer.pk)
        customer.marketing_consent = False
        customer.marketing_consent_at = now
        customer.version += 1
        customer.save(actor=None)
        changed += 1
    return changed


UNSUBSCRIBE = "unsubscribe"
UNSUBSCRIBE_DAYS = 180


def unsubscribe_snapshot(customer_id: int) -> dict[str, Any]:
    """What an unsubscribe link shows: whom it is for, and that they (still) receive marketing."""
    customer = Customer.all_objects.get(pk=customer_id)
    return {"number": customer.number}


def unsubscribe_link(*, actor: User | None, store: Store, customer: Customer, base_url: str) -> str:
    """The link a marketing e-mail ends with (valid UNSUBSCRIBE_DAYS days): one click opts out."""
    _link, token = link_create(
        store=store,
        purpose=UNSUBSCRIBE,
        object_id=customer.pk,
        actor=actor,
        expires_in=timedelta(days=UNSUBSCRIBE_DAYS),
    )
    return base_url.rstrip("/") + reverse("messaging:link", kwargs={"token": token})


def unsubscribe_confirm(*, link: CustomerLink, shown_hash: str) -> Customer:
    """The reader of the e-mail opts out: the customer's marketing consent goes at once (audited)."""
    with transaction.atomic():
        link_use(link, shown_hash=shown_hash, what="unsubscribe")
        customer = Customer.all_objects.select_for_update().get(pk=link.object_id)
        marketing_cancel(recipient_type="customer", recipient_id=customer.pk)
        if customer.marketing_consent:
            customer.marketing_consent = False
            customer.marketing_consent_at = timezone.now()
            customer.version += 1
            customer.save(actor=None)
    return customer
