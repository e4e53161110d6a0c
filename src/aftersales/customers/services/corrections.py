"""The customer's own look at their archive through a link (``archive_review``): what it shows, the
contact details they correct, and the staff's review of those corrections."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core import identifiers
from aftersales.core.access import authorize_for
from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Store, User
from aftersales.customers.models import ContactCorrection, Customer
from aftersales.customers.selectors.customers import customer_access
from aftersales.customers.services.customers import customer_update, mobiles_of
from aftersales.customers.services.messages import customer_recipient
from aftersales.messaging.models import CustomerLink, MessageTemplate
from aftersales.messaging.services import (
    canonical_hash,
    link_create,
    link_use,
    message_send,
    signature_store,
    task_create,
)

PURPOSE = "archive_review"
LINK_DAYS = 7


def archive_review_snapshot(customer_id: int) -> dict[str, Any]:
    """What the link shows: the archive card's facts, contact details masked (the link travels by SMS),
    and the record's version (a change to the record supersedes the link)."""
    customer = Customer.all_objects.prefetch_related("phones", "vehicle_links__vehicle").get(pk=customer_id)
    vehicles = sorted(
        (link.vehicle.plate or link.vehicle.vin[-6:]) for link in customer.vehicle_links.all() if link.valid_to is None
    )
    return {
        "number": customer.number,
        "name": customer.name,
        "mobiles": [identifiers.mask_mobile(number) for number in mobiles_of(customer)],
        "email": identifiers.mask_hidden(customer.email) if customer.email else "",
        "vehicles": vehicles,
        "version": customer.version,
    }


def review_link_send(*, actor: User, store: Store, customer_id: int, base_url: str) -> tuple[CustomerLink, str]:
    """A link for the customer to look at their archive card and correct their contact details; sent by
    SMS when the ``archive_review_link`` template is active. Returns the link and its URL."""
    customer = customer_access(actor=actor, customer_id=customer_id)
    if customer.anonymised_at is not None:
        raise ApplicationError(_("This customer was anonymised: there is nobody to write to."), status=422)
    link, token = link_create(
        store=store, purpose=PURPOSE, object_id=customer.pk, actor=actor, expires_in=timedelta(days=LINK_DAYS)
    )
    url = base_url.rstrip("/") + reverse("messaging:link", kwargs={"token": token})
    if MessageTemplate.objects.filter(event="archive_review_link", is_active=True).exists():
        message_send(
            store=store,
            event="archive_review_link",
            recipient=customer_recipient(customer),
            variables={"name": customer.name, "url": url},
            actor=actor,
            about=("customers.customer", customer.pk),
        )
    return link, url


def correction_submit(
    *, link: CustomerLink, data: dict[str, str], shown_hash: str, client_ip: str, signature: str = ""
) -> ContactCorrection:
    """The customer's corrected mobile and e-mail (each optional, at least one), checked, kept for review,
    and a task for the store's CRM agents. The link is used once."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for field, clean in (("mobile", identifiers.clean_mobile), ("email", identifiers.clean_email)):
        value = (data.get(field) or "").strip()
        if value:
            try:
                cleaned[field] = clean(value)
            except ValidationError as error:
                errors[field] = [str(message) for message in error.messages]
    note = (data.get("note") or "").strip()
    if len(note) > 500:
        errors["note"] = [_("Enter at most %(n)s characters.") % {"n": 500}]
    if not errors and not cleaned:
        errors["mobile"] = [_("Enter the new mobile or the new e-mail.")]
    if errors:
        raise ApplicationError(_("Some fields are not valid."), code="invalid", fields=errors, status=422)
    with transaction.atomic():
        link_use(link, shown_hash=shown_hash, what="contact_correction")
        customer = Customer.all_objects.get(pk=link.object_id)
        signature_store(
            data_url=signature,
            store=link.store,
            signer_type="customer",
            signer_name=customer.name,
            object_type="customers.customer",
            object_id=customer.pk,
            what="contact_correction",
            snapshot_hash=link.snapshot_hash,
            link=link,
            client_ip=client_ip,
        )
        correction = ContactCorrection.objects.create(
            customer=customer,
            store=link.store,
            link=link,
            mobile=cleaned.get("mobile", ""),
            email=cleaned.get("email", ""),
            note=note,
            snapshot_hash=link.snapshot_hash,
            client_ip=client_ip[:45],
        )
        task_create(
            store=link.store,
            subject=_("Review the contact details %(number)s corrected") % {"number": customer.number},
            role="crm",
            due_in_working_days=1,
            about=("customers.contactcorrection", correction.pk, customer.number),
        )
    return correction


def correction_decide(*, actor: User, correction_id: int, approve: bool, note: str = "") -> ContactCorrection:
    """Approve (the corrected mobile becomes the primary one, the e-mail replaces the old; through the
    customer service, audited) or reject a correction of the actor's store."""
    with transaction.atomic():
        correction = ContactCorrection.objects.select_for_update().filter(pk=correction_id).first()
        if correction is None:
            raise ApplicationError(_("Not found."), code="not_found", status=404)
        customer = customer_access(actor=actor, customer_id=correction.customer_id)
        authorize_for(actor, "customers.edit", store_ids=[correction.store_id])  # the store it was sent to
        if correction.status != ContactCorrection.Status.PENDING:
            raise ApplicationError(_("This correction was reviewed already."), code="conflict", status=409)
        if approve:
            changes: dict[str, Any] = {}
            if correction.mobile:
                changes["mobiles"] = [correction.mobile] + [m for m in mobiles_of(customer) if m != correction.mobile]
            if correction.email:
                changes["email"] = correction.email
            customer_update(actor=actor, customer_id=customer.pk, version=customer.version, data=changes)
        correction.status = ContactCorrection.Status.APPROVED if approve else ContactCorrection.Status.REJECTED
        correction.reviewed_by, correction.reviewed_at = actor, timezone.now()
        correction.review_note = note[:500]
        correction.save()
        audit_append(
            action="update",
            actor=actor,
            store_id=customer.home_store_id,
            object_type="customers.customer",
            object_id=str(customer.pk),
            object_repr=customer.number,
            changes={"correction": correction.pk, "decision": correction.status},
        )
    return correction


# What the customer signs at the counter (the consent form; its text is part of what the signature binds).
CONSENT_TEXT_VERSION = "2026-11"


def consent_snapshot(customer: Customer, *, marketing: bool, sharing: bool) -> dict[str, Any]:
    return {
        "form": "personal-information-consent",
        "version": CONSENT_TEXT_VERSION,
        "customer": customer.number,
        "name": customer.name,
        "data": True,
        "marketing": marketing,
        "sharing": sharing,
    }


def consent_sign(
    *, actor: User, store: Store, customer_id: int, signature: str, marketing: bool, sharing: bool
) -> Customer:
    """The customer signs the consent form on the staff tablet: data processing, and marketing and sharing
    within the group as ticked; the consents are recorded (channel: at the counter) and the signature kept
    with the hash of the form as signed, in one transaction."""
    customer = customer_access(actor=actor, customer_id=customer_id)
    snapshot = consent_snapshot(customer, marketing=marketing, sharing=sharing)
    with transaction.atomic():
        signature_store(
            data_url=signature,
            store=store,
            signer_type="customer",
            signer_name=customer.name,
            object_type="customers.customer",
            object_id=customer.pk,
            what="consent_form",
            snapshot_hash=canonical_hash(snapshot),
            user=actor,
        )
        data: dict[str, Any] = {"data_consent": True, "data_consent_channel": "counter"}
        if marketing:
            data |= {"marketing_consent": True, "marketing_consent_channel": "counter"}
        if sharing:
            data |= {"sharing_consent": True, "sharing_consent_channel": "counter"}
        return customer_update(actor=actor, customer_id=customer.pk, version=customer.version, data=data)
