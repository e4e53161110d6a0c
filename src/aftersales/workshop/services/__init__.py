"""Every write of the workshop: dispatch, the technician's clock and corrections, parts requests and
their issue, notes, in-process inspection, findings, the car off site and a new promised time; the
messages these send; service levels and their alerts."""

from aftersales.workshop.services.clock import ClockIn, clock, clock_correct, effective_events, minutes_on_clock
from aftersales.workshop.services.common import job_access, service_levels, workshop_settings
from aftersales.workshop.services.dispatch import (
    Candidate,
    DispatchIn,
    candidates,
    dispatch,
    job_accept,
    redispatch,
    suggestion,
)
from aftersales.workshop.services.notices import progress_tell, reminders_send
from aftersales.workshop.services.parts import (
    Shortage,
    parts_order,
    parts_request,
    parts_request_cancel,
    parts_request_issue,
    parts_request_receive,
    shortages,
)
from aftersales.workshop.services.settings import service_levels_save, workshop_settings_save
from aftersales.workshop.services.sla import OnTime, OrderSla, on_time_rate, orders_sla, sla_check
from aftersales.workshop.services.teams import TeamIn, team_save
from aftersales.workshop.services.work import (
    InspectionItem,
    eta_change,
    finding_report,
    inspection_record,
    note_add,
    off_site_back,
    off_site_leave,
)

__all__ = [
    "Candidate",
    "ClockIn",
    "DispatchIn",
    "InspectionItem",
    "OnTime",
    "OrderSla",
    "Shortage",
    "TeamIn",
    "candidates",
    "clock",
    "clock_correct",
    "dispatch",
    "effective_events",
    "eta_change",
    "finding_report",
    "inspection_record",
    "job_accept",
    "job_access",
    "minutes_on_clock",
    "note_add",
    "off_site_back",
    "off_site_leave",
    "on_time_rate",
    "orders_sla",
    "parts_order",
    "parts_request",
    "parts_request_cancel",
    "parts_request_issue",
    "parts_request_receive",
    "progress_tell",
    "redispatch",
    "reminders_send",
    "service_levels",
    "service_levels_save",
    "shortages",
    "sla_check",
    "suggestion",
    "team_save",
    "workshop_settings",
    "workshop_settings_save",
]
