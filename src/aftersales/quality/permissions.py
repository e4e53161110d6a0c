"""Who inspects, washes, hands over, delivers, keeps the rules of quality and delivery, watches 三包 and
evaluates the store's work."""

from django.utils.translation import gettext_lazy as _

PERMISSIONS = {
    "quality.view": _("See final inspections, washes, handovers, deliveries, guarantees and comebacks"),
    "quality.inspect": _("Carry out final inspections and sign release certificates"),
    "quality.wash": _("Record the wash of finished cars"),
    "quality.handover": _("Hand finished cars over to the advisor"),
    "quality.deliver": _("Check cars before delivery and deliver them to the customer"),
    "quality.settings": _("Keep the inspection and washing standards, the free check and the repair guarantees"),
    "quality.sanbao": _("Read repair lines for 三包, keep the 三包 main parts and deal with 三包 alerts"),
    "quality.audit": _("Carry out quality evaluations and close their findings"),
}

GRANTS = {
    "manager": ("quality.view", "quality.deliver", "quality.settings", "quality.sanbao", "quality.audit"),
    "service_manager": tuple(PERMISSIONS),
    "advisor": ("quality.view", "quality.deliver", "quality.sanbao"),
    "frontdesk": ("quality.view",),
    "foreman": ("quality.view", "quality.wash", "quality.handover"),
    "expert": ("quality.view",),
    "technician": ("quality.view",),
    "qc": ("quality.view", "quality.inspect", "quality.wash", "quality.handover", "quality.sanbao", "quality.audit"),
    "washer": ("quality.view", "quality.wash"),
    "warranty": ("quality.view", "quality.sanbao"),
    "crm": ("quality.view",),
    "auditor": ("quality.view",),
}
