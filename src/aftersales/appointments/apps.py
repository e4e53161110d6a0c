from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppointmentsConfig(AppConfig):
    """Bookings against real capacity, their reminders, and the day-before preparation."""

    name = "aftersales.appointments"
    label = "appointments"
    verbose_name = _("Appointments")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from aftersales.appointments.demo import appointments_demo_install
        from aftersales.appointments.landing import appointments_cards
        from aftersales.appointments.permissions import GRANTS, PERMISSIONS
        from aftersales.appointments.selectors import customers_booked_at
        from aftersales.appointments.services.prepick import appointment_owner
        from aftersales.appointments.services.privacy import appointments_anonymise
        from aftersales.appointments.timeline import APPOINTMENTS
        from aftersales.core.demo import DEMO_EXTENSIONS
        from aftersales.core.navigation import MENU, MenuItem
        from aftersales.core.numbering import document_type_register
        from aftersales.core.permissions import register
        from aftersales.core.selectors import TODAY_EXTENSIONS
        from aftersales.customers.selectors import timeline_source_register
        from aftersales.customers.services import ANONYMISE_HANDLERS
        from aftersales.customers.visibility import VISIT_VISIBILITY
        from aftersales.purchasing.services.notices import DEMAND_OWNERS

        register(PERMISSIONS, GRANTS)
        # Before the parts: the front of the house first.
        parts = next(i for i, entry in enumerate(MENU) if entry.url_name.startswith("parts:"))
        MENU.insert(parts, MenuItem("appointments:list", _("Appointments"), "bi-calendar-check", "appointments.view"))
        document_type_register("AP", label=_("Appointment"), gap_free=False)
        DEMAND_OWNERS["appointment"] = appointment_owner
        timeline_source_register(APPOINTMENTS)
        # Anonymising a customer empties what their bookings copied (Appointment.personal_fields).
        ANONYMISE_HANDLERS.append(appointments_anonymise)
        # A store of another company of the group sees the customers booked there (PIPL Art. 23).
        VISIT_VISIBILITY.append(customers_booked_at)
        # After the catalogue, the parts and purchasing (earlier in INSTALLED_APPS): bookings need both.
        DEMO_EXTENSIONS.append(appointments_demo_install)
        TODAY_EXTENSIONS.append(appointments_cards)
