"""Who receives cars and writes repair orders, who records which approval, who edits an approved price,
and who moves an order or a line along."""

from django.utils.translation import gettext_lazy as _

PERMISSIONS = {
    "visits.view": _("See visits, walk-arounds, diagnoses and repair orders"),
    "visits.receive": _("Receive cars: open visits, walk around, write and sign repair orders, record approvals"),
    "visits.diagnose": _("Record diagnoses, fault codes and recommended work"),
    "visits.insurance": _("Record insurers' loss assessments (定损) on insurance lines"),
    "visits.warranty": _("Record manufacturers' pre-authorisations and warranty providers' authorisations"),
    "visits.manager_approval": _("Approve internal and goodwill work"),
    "visits.qc_confirm": _("Confirm comeback work (rework at the store's cost)"),
    "visits.price": _("Change the price of an approved line (the change is recorded)"),
    "visits.settings": _("Keep the reception script, the walk-around checklist and the diagnosis fee"),
    "repair_orders.workshop": _("Move repair order lines through the workshop: dispatch, start, finish"),
    "repair_orders.cancel": _("Cancel a repair order on which nothing was done"),
    "repair_orders.close": _("Close a delivered repair order once every payer has settled"),
}

GRANTS = {
    "manager": (
        "visits.view",
        "visits.receive",
        "visits.manager_approval",
        "visits.price",
        "visits.settings",
        "repair_orders.cancel",
        "repair_orders.close",
    ),
    "service_manager": tuple(PERMISSIONS),
    "advisor": ("visits.view", "visits.receive", "visits.diagnose", "repair_orders.cancel"),
    "frontdesk": ("visits.view",),
    "crm": ("visits.view",),
    "foreman": ("visits.view", "visits.diagnose", "repair_orders.workshop"),
    "expert": ("visits.view", "visits.diagnose"),
    "technician": ("visits.view", "visits.diagnose", "repair_orders.workshop"),
    "qc": ("visits.view", "visits.qc_confirm"),
    "parts": ("visits.view",),
    "insurance": ("visits.view", "visits.receive", "visits.insurance"),
    "warranty": ("visits.view", "visits.warranty"),
    "cashier": ("visits.view", "repair_orders.close"),
    "finance": ("visits.view", "repair_orders.close"),
    "auditor": ("visits.view",),
}
