"""Personal-information requests, the writes: export (audited), consent withdrawal, anonymisation."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.audit import audit_append, audit_personal_erase
from aftersales.core.errors import NON_FIELD, ApplicationError, choose_one_of
from aftersales.core.models import User
from aftersales.customers import documents
from aftersales.customers.models import (
    Customer,
    CustomerPhone,
    SearchKey,
)
from aftersales.customers.selectors.customers import customer_access
from aftersales.customers.selectors.privacy import (
    ANONYMISED_NAME,
    CONSENT_PURPOSES,
    EXPORT_FORMATS,
    PERSONAL_FIELDS,
    REASON_MAX_LENGTH,
    customer_privacy_access,
    documents_of,
    legal_holds,
    merged_into_chain,
    pi_export,
    pi_export_xlsx,
    privacy_authorize,
)
from aftersales.customers.services.id_copies import documents_purge
from aftersales.customers.services.quality import completeness_refresh
from aftersales.messaging.services import marketing_cancel

# What later areas keep of a customer and must empty when the customer is anonymised: each registers a
# function here from its AppConfig.ready (the archive never imports a later area). It is called in the
# anonymisation's transaction, once per record anonymised (records merged into it too), before its
# mobiles are deleted, with the customer (its number unchanged), the actor and the reason; it removes
# the personal values its records copied from the customer, erases the values their audit entries
# keep beside the trail (core.audit.audit_personal_erase) and returns the number of entries erased.
ANONYMISE_HANDLERS: list[Callable[[Customer, User, str], int]] = []


@dataclass(frozen=True)
class ExportFile:
    file_name: str
    content_type: str
    content: bytes


def pi_export_file(*, actor: User, customer: Customer, file_format: str) -> ExportFile:
    """Build a personal-information export in ``file_format`` (json, xlsx or pdf) and audit it."""
    privacy_authorize(actor, customer)
    if file_format not in EXPORT_FORMATS:
        raise ApplicationError(choose_one_of(EXPORT_FORMATS), field="format", status=422)
    data = pi_export(customer)
    if file_format == "json":
        content = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()
        content_type = "application/json; charset=utf-8"
    elif file_format == "pdf":
        content = documents.pi_export_pdf(data, customer=customer, printed_by=actor.full_name or actor.username)
        content_type = "application/pdf"
    else:
        content = pi_export_xlsx(data)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    audit_append(
        action="export",
        actor=actor,
        store_id=customer.home_store_id,
        object_type="customers.customer",
        object_id=str(customer.pk),
        object_repr=customer.number,
        changes={"format": file_format, "kind": "personal_information"},
    )
    return ExportFile(f"personal-information-{customer.number}.{file_format}", content_type, content)


def consent_withdraw(*, actor: User, customer_id: int, which: str) -> Customer:
    """Record that the customer withdrew a consent (now): marketing, data processing or sharing within the
    group (from then on the group's other companies no longer see the customer).

    Without data-processing consent no document copies may be kept: they are deleted with their files.
    Only the customer's home store (and group roles) may: checked first, outside the transaction, so
    that a refusal's audit entry is kept.
    """
    customer_privacy_access(actor=actor, customer_id=customer_id)
    return _consent_withdraw(actor=actor, customer_id=customer_id, which=which)


@transaction.atomic
def _consent_withdraw(*, actor: User, customer_id: int, which: str) -> Customer:
    if which not in CONSENT_PURPOSES:
        raise ApplicationError(choose_one_of(CONSENT_PURPOSES), field="which", status=422)
    customer = customer_access(actor=actor, customer_id=customer_id, for_update=True, include_merged=True)
    if not getattr(customer, f"{which}_consent"):
        raise ApplicationError(
            _("This customer has not given this consent, so there is nothing to withdraw."),
            code="no_consent",
            field="which",
            status=422,
        )
    setattr(customer, f"{which}_consent", False)
    if which == "marketing":  # nothing not sent yet goes out after the withdrawal
        marketing_cancel(recipient_type="customer", recipient_id=customer.pk)
    setattr(customer, f"{which}_consent_at", timezone.now())
    customer.version += 1
    customer.save(actor=actor)
    if which == "data":
        documents_purge(documents_of(customer), actor=actor)
    completeness_refresh(customer)
    return customer


def customer_anonymise(*, actor: User, customer_id: int, reason: str) -> Customer:
    """Remove a person's personal data on request (see ``_customer_anonymise``). Only the customer's home
    store (and group roles) may: checked first, outside the transaction, so that a refusal's audit
    entry is kept."""
    customer_privacy_access(actor=actor, customer_id=customer_id)
    return _customer_anonymise(actor=actor, customer_id=customer_id, reason=reason)


@transaction.atomic
def _customer_anonymise(*, actor: User, customer_id: int, reason: str) -> Customer:
    """Remove a person's personal data on request, unless a legal hold applies.

    Records merged into the customer are the same person and are anonymised with it. Vehicles keep
    their history and their links (vehicle data is not personal). Rows are updated without the
    usual field-by-field audit, which would copy the removed values into the append-only trail;
    one "anonymise" entry per record names the fields cleared and the reason. The personal values
    that earlier entries recorded are erased from beside the trail (the entries keep their digests,
    so the hash chain still verifies). What later areas copied from the customer (a booking's contact)
    is removed by their ``ANONYMISE_HANDLERS``, in the same transaction.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Give the reason for the anonymisation."), field="reason", status=422)
    if len(reason) > REASON_MAX_LENGTH:
        raise ApplicationError(
            _("Enter at most %(n)s characters.") % {"n": REASON_MAX_LENGTH}, field="reason", status=422
        )
    ids = [customer_id, *merged_into_chain(customer_id)]
    locked = {c.pk: c for c in Customer.all_objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    customer = locked.get(customer_id)
    if customer is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    if customer.anonymised_at is not None:
        raise ApplicationError(
            _("This customer was already anonymised on %(date)s.")
            % {"date": timezone.localtime(customer.anonymised_at).strftime("%Y-%m-%d %H:%M")},
            code="already_anonymised",
            status=422,
        )
    holds = [hold for record in locked.values() for hold in legal_holds(record)]
    if holds:
        raise ApplicationError(
            _("This customer cannot be anonymised: %(reasons)s") % {"reasons": "; ".join(holds)},
            code="legal_hold",
            fields={NON_FIELD: holds},
            status=422,
        )
    now = timezone.now()
    for record in locked.values():
        if record.anonymised_at is None:
            _anonymise_one(record, actor=actor, reason=reason, now=now, merged_record=record.pk != customer_id)
    customer.refresh_from_db()
    return customer


def _anonymise_one(customer: Customer, *, actor: User, reason: str, now: datetime, merged_record: bool) -> None:
    cleared = sorted(field for field, empty in PERSONAL_FIELDS.items() if getattr(customer, field) != empty)
    withdrawn = [purpose for purpose in CONSENT_PURPOSES if getattr(customer, f"{purpose}_consent")]
    values: dict[str, Any] = {
        **PERSONAL_FIELDS,
        "name": ANONYMISED_NAME.format(number=customer.number),
        "marketing_consent": False,
        "marketing_consent_at": now,
        "marketing_consent_channel": "",
        "data_consent": False,
        "data_consent_at": now,
        "data_consent_channel": "",
        "sharing_consent": False,
        "sharing_consent_at": now,
        "sharing_consent_channel": "",
        "anonymised_at": now,
        "version": customer.version + 1,
        "updated_at": now,
    }
    # A queryset update: Customer.save() would audit every removed value (see the docstring above).
    Customer.all_objects.filter(pk=customer.pk).update(**values)
    # The later areas first: they find what they copied by the customer's mobiles too, deleted next.
    erased = sum(handler(customer, actor, reason) for handler in ANONYMISE_HANDLERS)
    phones, _by_model = CustomerPhone.objects.filter(customer=customer).delete()
    search_keys, _by_model = SearchKey.objects.filter(customer=customer).delete()
    removed = documents_purge(documents_of(customer), actor=actor)
    # Earlier audit entries keep only salted digests of the person's values; the values go here.
    erased += audit_personal_erase([customer.audit_subject()])
    customer.refresh_from_db()
    completeness_refresh(customer)
    audit_append(
        action="anonymise",
        actor=actor,
        store_id=customer.home_store_id,
        object_type="customers.customer",
        object_id=str(customer.pk),
        object_repr=customer.number,
        changes={
            "reason": reason,
            "cleared": ["name", *cleared],
            "phones_deleted": phones,
            "documents_deleted": removed,
            "search_keys_deleted": search_keys,
            "audit_values_erased": erased,
            "consents_withdrawn": withdrawn,
            "merged_record": merged_record,
        },
    )
