"""Personal-information requests, the reads: everything held about a person, legal holds, who may act.

Anonymisation is refused while a legal hold applies. Other areas register their holds in
``LEGAL_HOLDS`` (e.g. billing: invoices must be kept for the statutory period), each a function
that returns the reason a customer must not be anonymised yet, or None.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from aftersales.core.access import authorize_for, can_for
from aftersales.core.audit import audit_personal_fill
from aftersales.core.errors import ApplicationError
from aftersales.core.models import AuditEntry, User
from aftersales.customers import encryption
from aftersales.customers.models import (
    Customer,
    CustomerDocument,
    CustomerPhone,
    MileageReading,
    VehicleLink,
)

LEGAL_HOLDS: list[Callable[[Customer], str | None]] = []


ANONYMISED_NAME = "已匿名客户 {number}"


REASON_MAX_LENGTH = 500


# What anonymisation empties: the declared personal fields (Customer.personal_fields; the name is
# replaced, the mobiles deleted) and the values derived from them.
PERSONAL_FIELDS: dict[str, Any] = {
    field.name: field.get_default()
    for field in Customer._meta.concrete_fields
    if field.name in {*Customer.personal_fields, *Customer.personal_derived} - {"name"}
}


CONSENT_PURPOSES = ("marketing", "data", "sharing")


def _when(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    return value.isoformat()


def _customer_fields(customer: Customer) -> dict[str, Any]:
    """Every stored field, the resident ID decrypted, relations by their business names."""
    fields: dict[str, Any] = {}
    for model_field in Customer._meta.concrete_fields:
        name = model_field.name
        if name in {"resident_id_cipher", "resident_id_digest"}:
            continue
        if name == "home_store":
            fields[name] = customer.home_store.code
        elif name == "owner":
            fields[name] = customer.owner.username if customer.owner else None
        elif name == "merged_into":
            fields[name] = customer.merged_into.number if customer.merged_into else None
        else:
            value = getattr(customer, model_field.attname)
            fields[name] = _when(value) if isinstance(value, date) else value
        if name == "resident_id_hint":
            fields["resident_id"] = encryption.decrypt(customer.resident_id_cipher)
    return fields


def _consents(customer: Customer, change_log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    records = [
        {
            "purpose": purpose,
            "given": getattr(customer, f"{purpose}_consent"),
            "at": _when(getattr(customer, f"{purpose}_consent_at")),
            "channel": getattr(customer, f"{purpose}_consent_channel"),
            "source": "current",
        }
        for purpose in CONSENT_PURPOSES
    ]
    # Earlier states of the consents, from the change log (oldest first).
    for entry in reversed(change_log):
        for purpose in CONSENT_PURPOSES:
            change = entry["changes"].get(f"{purpose}_consent")
            if isinstance(change, list) and len(change) == 2:
                at = entry["changes"].get(f"{purpose}_consent_at")
                channel = entry["changes"].get(f"{purpose}_consent_channel")
                records.append(
                    {
                        "purpose": purpose,
                        "given": change[1],
                        "at": at[1] if isinstance(at, list) else entry["at"],
                        "channel": channel[1] if isinstance(channel, list) else None,
                        "source": "change_log",
                    }
                )
    return records


def pi_export(customer: Customer) -> dict[str, Any]:
    """Everything stored about ``customer``, as plain JSON-ready values."""
    customer = (
        Customer.objects.select_related("home_store", "owner", "merged_into")
        .prefetch_related("aliases")
        .get(pk=customer.pk)
    )
    links = list(
        VehicleLink.objects.filter(customer=customer)
        .select_related("vehicle", "vehicle__model", "vehicle__model__brand")
        .order_by("valid_from", "pk")
    )
    readings = MileageReading.objects.filter(vehicle_id__in={link.vehicle_id for link in links}).order_by(
        "read_on", "pk"
    )
    by_vehicle: dict[int, list[MileageReading]] = {}
    for reading in readings:
        by_vehicle.setdefault(reading.vehicle_id, []).append(reading)
    vehicles = []
    for link in links:
        vehicle = link.vehicle
        vehicles.append(
            {
                "vin": vehicle.vin,
                "plate": vehicle.plate,
                "model": str(vehicle.model) if vehicle.model else "",
                "model_year": vehicle.model_year,
                "colour": vehicle.colour,
                "role": link.role,
                "valid_from": _when(link.valid_from),
                "valid_to": _when(link.valid_to),
                # Only the readings of the time this person owned or drove the vehicle.
                "mileage": [
                    {
                        "km": reading.km,
                        "read_on": _when(reading.read_on),
                        "source": reading.source,
                        "reason": reading.reason,
                    }
                    for reading in by_vehicle.get(vehicle.pk, [])
                    if reading.read_on >= link.valid_from
                    and (link.valid_to is None or reading.read_on <= link.valid_to)
                ],
            }
        )
    change_log = [
        {
            "at": _when(entry.created_at),
            "action": entry.action,
            "actor": entry.actor_username,
            "object_type": entry.object_type,
            "changes": entry.changes,
        }
        for entry in audit_personal_fill(
            AuditEntry.objects.filter(object_type="customers.customer", object_id=str(customer.pk)).order_by(
                "-created_at", "-id"
            )
        )
    ]
    return {
        "exported_at": _when(timezone.now()),
        "customer": _customer_fields(customer),
        "former_numbers": [alias.number for alias in customer.aliases.all()],
        "phones": [
            {"number": phone.number, "is_primary": phone.is_primary}
            for phone in CustomerPhone.objects.filter(customer=customer).order_by("-is_primary", "pk")
        ],
        "vehicles": vehicles,
        "documents": [
            {
                "id": document.pk,
                "kind": document.kind,
                "file_name": document.media.file_name,
                "content_type": document.media.content_type,
                "size": document.media.size,
                "sha256": document.media.sha256,
                "vehicle_vin": document.vehicle.vin if document.vehicle else None,
                "consent_at": _when(document.consent_at),
                "uploaded_at": _when(document.uploaded_at),
                "uploaded_by": document.uploaded_by.username if document.uploaded_by else None,
            }
            for document in CustomerDocument.objects.filter(customer=customer)
            .select_related("vehicle", "uploaded_by", "media")
            .order_by("pk")
        ],
        "consents": _consents(customer, change_log),
        "change_log": change_log,
    }


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    return str(value)


def _rows(records: list[dict[str, Any]]) -> list[list[Any]]:
    header = list(dict.fromkeys(key for record in records for key in record))
    return [header, *([record.get(key) for key in header] for record in records)]


def pi_export_sections(data: dict[str, Any]) -> list[tuple[str, list[list[Any]]]]:
    """The export's sections, each a title and rows (the first its header): the workbook's sheets and
    the printed export's tables."""
    return [
        (
            _("Customer"),
            [[_("Field"), _("Value")], *([key, value] for key, value in data["customer"].items())],
        ),
        (_("Former numbers"), [[_("Number")], *([number] for number in data["former_numbers"])]),
        (_("Mobiles"), _rows(data["phones"])),
        (_("Vehicles"), _rows([{k: v for k, v in vehicle.items() if k != "mileage"} for vehicle in data["vehicles"]])),
        (
            _("Mileage"),
            _rows(
                [{"vin": vehicle["vin"], **reading} for vehicle in data["vehicles"] for reading in vehicle["mileage"]]
            ),
        ),
        (_("Documents"), _rows(data["documents"])),
        (_("Consents"), _rows(data["consents"])),
        (_("Change log"), _rows(data["change_log"])),
    ]


def pi_export_xlsx(data: dict[str, Any]) -> bytes:
    """The export as a workbook with one sheet per section."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in pi_export_sections(data):
        sheet = workbook.create_sheet(title=title[:31])
        for row in rows:
            sheet.append([_cell(value) for value in row])
        for row_cells in sheet.iter_rows():
            for cell in row_cells:
                # Text that looks like a formula (=, +, -, @) must stay text when the file is opened.
                if cell.data_type == "f":
                    cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


EXPORT_FORMATS = ("json", "xlsx", "pdf")


def customer_privacy_lookup(customer_id: int) -> Customer:
    customer = Customer.objects.select_related("home_store").filter(pk=customer_id).first()
    if customer is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    return customer


def customer_privacy_access(*, actor: User, customer_id: int) -> Customer:
    """The customer (404 if none) whose personal-information requests ``actor`` may handle: the
    requests (export, consent withdrawal, anonymisation) belong to the customer's home store, whose
    staff with the privacy right handle them, and to group roles. Elsewhere 403, audited.

    The request services call it before their transaction, so that a refusal's audit entry is kept.
    """
    customer = customer_privacy_lookup(customer_id)
    privacy_authorize(actor, customer)
    return customer


def customer_privacy_allowed(actor: User, customer: Customer) -> bool:
    return can_for(actor, "customers.privacy", store_ids=[customer.home_store_id])


def privacy_authorize(actor: User, customer: Customer) -> None:
    authorize_for(actor, "customers.privacy", store_ids=[customer.home_store_id])


def documents_of(customer: Customer) -> list[CustomerDocument]:
    return list(
        CustomerDocument.objects.select_for_update()
        .select_related("customer", "media")
        .filter(customer=customer)
        .order_by("pk")
    )


def legal_holds(customer: Customer) -> list[str]:
    """Reasons, from every registered hold, why ``customer`` must not be anonymised now."""
    return [reason for hold in LEGAL_HOLDS if (reason := hold(customer))]


def merged_into_chain(customer_id: int) -> list[int]:
    """Records merged into the customer, directly or through earlier merges: the same person."""
    found: list[int] = []
    frontier = [customer_id]
    while frontier:
        frontier = list(
            Customer.objects.filter(merged_into_id__in=frontier).exclude(pk__in=found).values_list("pk", flat=True)
        )
        found += frontier
    return found
