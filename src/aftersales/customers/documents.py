"""The archive's printed documents: the customer archive card (客户档案卡, seed 003 §3: the paper
copy of the archive: number, owner, contacts, vehicles and service history), and the printed
personal-information export (PIPL Art. 45: everything held about the person)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.audit import audit_append
from aftersales.core.models import Store, User
from aftersales.core.pdf import pdf_render
from aftersales.customers import selectors
from aftersales.customers.models import Customer

PRINT_TEMPLATES = Path(__file__).parent / "templates" / "customers" / "print"
ARCHIVE_CARD = PRINT_TEMPLATES / "archive_card.typ"
PI_EXPORT = PRINT_TEMPLATES / "pi_export.typ"
# The card prints the newest entries of the history, as the record's timeline shows them.
ARCHIVE_CARD_HISTORY = 500


def _text(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return "、".join(str(part) for part in value)
    return str(value)


def archive_card_data(customer: Customer) -> dict[str, Any]:
    """What the card prints: the record as the page shows it to a reader without the view-personal
    right (personal values masked), its vehicles and its history."""
    personal = selectors.customer_personal(customer, personal=False)
    facts = [
        (_("Customer number"), customer.number),
        (_("Name"), customer.name),
        (_("Kind"), customer.get_kind_display()),
        (_("Customer class"), customer.get_customer_class_display()),
        (_("Mobile numbers"), _text(personal["mobiles"])),
        (_("Resident ID number"), _text(personal["resident_id"])),
        (_("Address"), _text(personal["address"])),
        (_("Registering store"), str(customer.home_store)),
        (_("Archive owner"), _text(customer.owner.full_name or customer.owner.username) if customer.owner else "—"),
        (_("Source channel"), _text(customer.get_source_display() if customer.source else "")),
        (_("Tags"), _text(customer.tags)),
        (_("Created"), timezone.localtime(customer.created_at).strftime("%Y-%m-%d")),
    ]
    vehicles = []
    for link in customer.vehicle_links.all():
        vehicle = link.vehicle
        vehicles.append(
            [
                vehicle.plate or "—",
                vehicle.vin,
                str(vehicle.model) if vehicle.model else "—",
                link.get_role_display(),
                link.valid_from.isoformat(),
                link.valid_to.isoformat() if link.valid_to else _("current"),
            ]
        )
    history = []
    for item in selectors.customer_timeline(customer, limit=ARCHIVE_CARD_HISTORY):
        at = timezone.localtime(item.at)
        detail = "；".join(
            f"{line.label}：{line.previous} → {line.value}"
            if line.previous is not None
            else f"{line.label}：{line.value}"
            for line in item.lines
        )
        history.append(
            [
                at.strftime("%Y-%m-%d") if item.day_only else at.strftime("%Y-%m-%d %H:%M"),
                item.title,
                detail or item.note,
                item.actor_name or "—",
            ]
        )
    return {
        "facts": facts,
        "masked_note": _("Personal data is masked on the printed card."),
        "headings": {
            "record": _("Customer"),
            "vehicles": _("Vehicles"),
            "history": _("History"),
            "none": _("None"),
        },
        "vehicle_columns": [_("Plate"), _("VIN"), _("Model"), _("Role"), _("From"), _("To")],
        "vehicles": vehicles,
        "history_columns": [_("Time"), _("What"), _("Details"), _("By")],
        "history": history,
    }


def archive_card_pdf(*, actor: User, customer: Customer, store: Store | None, link: str) -> bytes:
    """The archive card of ``customer`` (loaded by ``selectors.customer_get``) as a PDF with the
    letterhead of ``store`` and a QR code of ``link``; the printing is audited as an export."""
    pdf = pdf_render(
        ARCHIVE_CARD,
        archive_card_data(customer),
        title=_("Customer archive card"),
        store=store,
        printed_by=actor.full_name or actor.username,
        qr=link,
    )
    audit_append(
        action="export",
        actor=actor,
        store_id=store.pk if store is not None else None,
        object_type="customers.customer",
        object_id=str(customer.pk),
        object_repr=customer.number,
        changes={"kind": "archive_card", "format": "pdf", "masked": True},
    )
    return pdf


def _printed(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict | list):
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    return str(value)


def pi_export_pdf(data: dict[str, Any], *, customer: Customer, printed_by: str) -> bytes:
    """The personal-information export (``selectors.pi_export``) printed: a table per section, with
    the letterhead of the customer's registering store (the personal-information handler)."""
    sections = [
        {
            "title": title,
            "head": [_printed(cell) for cell in rows[0]],
            "rows": [[_printed(c) for c in r] for r in rows[1:]],
        }
        for title, rows in selectors.pi_export_sections(data)
    ]
    return pdf_render(
        PI_EXPORT,
        {"sections": sections, "none": _("None")},
        title=_("Personal information held about %(name)s") % {"name": customer.name},
        store=customer.home_store,
        printed_by=printed_by,
    )
