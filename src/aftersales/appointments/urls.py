from django.urls import path

from aftersales.appointments.views import board, bookings, capacity, detail, prepick, public, reports

app_name = "appointments"

urlpatterns = [
    path("appointments/", bookings.appointment_list, name="list"),
    path("appointments/new/", bookings.appointment_new, name="new"),
    path("appointments/slots/", bookings.slots, name="slots"),
    path("appointments/find/", bookings.party_find, name="find"),
    path("appointments/offers/", bookings.offers, name="offers"),
    path("appointments/<id:appointment_id>/", detail.appointment_detail, name="detail"),
    path("appointments/<id:appointment_id>/reschedule/", detail.appointment_reschedule, name="reschedule"),
    path("appointments/<id:appointment_id>/cancel/", detail.appointment_cancel, name="cancel"),
    path("appointments/<id:appointment_id>/check-in/", detail.appointment_check_in, name="check_in"),
    path("appointments/board/", board.board, name="board"),
    path("appointments/board/rows/", board.board_rows, name="board_rows"),
    path("appointments/day/", board.advisor_day, name="day"),
    path("appointments/prepick/", prepick.prepick_list, name="prepick"),
    path("appointments/<id:appointment_id>/prepick/", prepick.prepick_reserve, name="prepick_reserve"),
    path("appointments/<id:appointment_id>/stage/", prepick.prepick_stage, name="prepick_stage"),
    path("appointments/<id:appointment_id>/parts-order/", prepick.prepick_order, name="prepick_order"),
    path("appointments/<id:appointment_id>/label.pdf", prepick.staging_label, name="label"),
    path("appointments/capacity/", capacity.capacity, name="capacity"),
    path("appointments/capacity/technicians/new/", capacity.technician_edit, name="technician_new"),
    path("appointments/capacity/technicians/<id:technician_id>/", capacity.technician_edit, name="technician"),
    path("appointments/capacity/leave/", capacity.leave_add, name="leave_add"),
    path("appointments/capacity/leave/<id:leave_id>/remove/", capacity.leave_remove, name="leave_remove"),
    path("appointments/capacity/settings/", capacity.settings_save, name="settings"),
    path("appointments/show-rate/", reports.show_rate, name="show_rate"),
    path("book/", public.book_stores, name="book_stores"),
    path("book/<str:code>/", public.book, name="book"),
    path("book/<str:code>/times/", public.book_times, name="book_times"),
]
