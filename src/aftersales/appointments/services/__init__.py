"""Appointments' writes: bookings, their reminders and no-shows, capacity, the parts desk's pre-pick."""

from aftersales.appointments.services.bookings import (
    BookingIn,
    appointment_access,
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_reschedule,
    appointment_services_write,
    appointments_mark_no_show,
    booking_settings_lock,
    needs_for,
)
from aftersales.appointments.services.capacity import (
    booking_settings_save,
    leave_add,
    leave_remove,
    technician_save,
)
from aftersales.appointments.services.prepick import (
    appointment_owner,
    appointment_parts_order,
    appointment_prepick,
    appointment_stage,
    parts_needed,
)
from aftersales.appointments.services.privacy import BOOKINGS_KEPT_YEARS, appointments_expire_personal
from aftersales.appointments.services.public import (
    CODE_PURPOSE,
    LIVE_PER_MOBILE,
    CarGiven,
    OnlineBookingIn,
    appointment_book_online,
    car_clean,
    store_online,
)
from aftersales.appointments.services.reminders import appointments_remind

__all__ = [
    "BOOKINGS_KEPT_YEARS",
    "CODE_PURPOSE",
    "LIVE_PER_MOBILE",
    "BookingIn",
    "CarGiven",
    "OnlineBookingIn",
    "appointment_access",
    "appointment_book",
    "appointment_book_online",
    "appointment_cancel",
    "appointment_check_in",
    "appointment_owner",
    "appointment_parts_order",
    "appointment_prepick",
    "appointment_reschedule",
    "appointment_services_write",
    "appointment_stage",
    "appointments_expire_personal",
    "appointments_mark_no_show",
    "appointments_remind",
    "booking_settings_lock",
    "booking_settings_save",
    "car_clean",
    "leave_add",
    "leave_remove",
    "needs_for",
    "parts_needed",
    "store_online",
    "technician_save",
]
