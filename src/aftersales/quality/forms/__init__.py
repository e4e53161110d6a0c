"""The quality pages' forms, one module per feature: the final inspection, the wash, the handover, the
advisor's check before delivery, the delivery sheet (``delivery``), the comeback decisions and links, the
rates' period and the store's rules (``comebacks``), quality evaluations (``audits``) and the 三包 pages
(``sanbao``). Each parses what the browser sent into the service's input; the services decide (their
refusals land on these fields through ``service_field``)."""

from aftersales.quality.forms.audits import (
    AuditCloseForm,
    AuditListForm,
    AuditOpenForm,
    FindingActionForm,
    FindingCloseForm,
    FindingForm,
    ReviewForm,
)
from aftersales.quality.forms.comebacks import (
    CHECKS_TEXT_MAX,
    COMEBACK_NOTE_MAX,
    ORDER_NUMBER_MAX,
    PAIRS_MAX,
    DecideForm,
    FlagForm,
    PeriodForm,
    QueueForm,
    SettingsForm,
)
from aftersales.quality.forms.common import FIRST_DAY, LAST_DAY, NO, SIGNATURE_FIELD_MAX, TICKS, YES
from aftersales.quality.forms.delivery import (
    CERTIFICATE_MAX,
    EXPLANATION_MAX,
    ID_NUMBER_MAX,
    KEYS_MAX,
    LINE_NOTE_MAX,
    NAME_MAX,
    DeliveryForm,
    HandoverForm,
    InspectionForm,
    ReadyForm,
    WashForm,
)
from aftersales.quality.forms.sanbao import SanbaoActionForm, SanbaoAlertFilterForm, SanbaoLineForm, SanbaoPartForm

__all__ = [
    "CERTIFICATE_MAX",
    "CHECKS_TEXT_MAX",
    "COMEBACK_NOTE_MAX",
    "EXPLANATION_MAX",
    "FIRST_DAY",
    "ID_NUMBER_MAX",
    "KEYS_MAX",
    "LAST_DAY",
    "LINE_NOTE_MAX",
    "NAME_MAX",
    "NO",
    "ORDER_NUMBER_MAX",
    "PAIRS_MAX",
    "SIGNATURE_FIELD_MAX",
    "TICKS",
    "YES",
    "AuditCloseForm",
    "AuditListForm",
    "AuditOpenForm",
    "DecideForm",
    "DeliveryForm",
    "FindingActionForm",
    "FindingCloseForm",
    "FindingForm",
    "FlagForm",
    "HandoverForm",
    "InspectionForm",
    "PeriodForm",
    "QueueForm",
    "ReadyForm",
    "ReviewForm",
    "SanbaoActionForm",
    "SanbaoAlertFilterForm",
    "SanbaoLineForm",
    "SanbaoPartForm",
    "SettingsForm",
    "WashForm",
]
