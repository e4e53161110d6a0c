"""Who inspects, washes, hands over, delivers, and keeps the rules of quality and delivery."""

from django.utils.translation import gettext_lazy as _

PERMISSIONS = {
    "quality.view": _("See final inspections, washes, handovers, deliveries, guarantees and comebacks"),
    "quality.inspect": _("Carry out final inspections and sign release certificates"),
    "quality.wash": _("Record the wash of finished cars"),
    "quality.handover": _("Hand finished cars over to the advisor"),
    "quality.deliver": _("Check cars before delivery and deliver them to the customer"),
    "quality.settings": _("Keep the inspection and washing standards, the free check and the repair guarantees"),
}

GRANTS = {
    "manager": ("quality.view", "quality.deliver", "quality.settings"),
    "service_manager": tuple(PERMISSIONS),
    "advisor": ("quality.view", "quality.deliver"),
    "frontdesk": ("quality.view",),
    "foreman": ("quality.view", "quality.wash", "quality.handover"),
    "expert": ("quality.view",),
    "technician": ("quality.view",),
    "qc": ("quality.view", "quality.inspect", "quality.wash", "quality.handover"),
    "washer": ("quality.view", "quality.wash"),
    "warranty": ("quality.view",),
    "crm": ("quality.view",),
    "auditor": ("quality.view",),
}
