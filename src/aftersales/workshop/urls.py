from django.urls import path

from aftersales.workshop.views import boards, desk, dispatch, jobs, settings, teams

app_name = "workshop"

urlpatterns = [
    # Dispatch and the technician's jobs.
    path("repair-orders/<id:order_id>/dispatch/", dispatch.dispatch, name="dispatch"),
    path("workshop/my-jobs/", jobs.my_jobs, name="my_jobs"),
    path("workshop/jobs/<id:job_id>/", jobs.job_detail, name="job"),
    path("workshop/jobs/<id:job_id>/accept/", jobs.job_accept, name="job_accept"),
    path("workshop/jobs/<id:job_id>/clock/", jobs.job_clock, name="job_clock"),
    path("workshop/jobs/<id:job_id>/clock/correct/", jobs.clock_correct, name="clock_correct"),
    path("workshop/jobs/<id:job_id>/notes/", jobs.job_note, name="job_note"),
    path("workshop/jobs/<id:job_id>/inspection/", jobs.job_inspection, name="job_inspection"),
    path("workshop/jobs/<id:job_id>/findings/", jobs.job_finding, name="job_finding"),
    path("workshop/jobs/<id:job_id>/parts/", jobs.job_parts, name="job_parts"),
    # The boards.
    path("workshop/board/", boards.board, name="board"),
    path("workshop/board/redispatch/", boards.board_redispatch, name="board_redispatch"),
    path("workshop/lounge/", boards.lounge, name="lounge"),
    path("workshop/lounge/rows/", boards.lounge_rows, name="lounge_rows"),
    path("workshop/orders/", boards.advisor_orders, name="orders"),
    path("workshop/load/", boards.load, name="load"),
    # The parts desk, an order waiting for parts, the car off site and a new promised time.
    path("workshop/parts-requests/", desk.parts_requests, name="parts_requests"),
    path("workshop/parts-requests/<id:request_id>/issue/", desk.parts_issue, name="parts_issue"),
    path("workshop/orders/<id:order_id>/parts/", desk.order_parts, name="order_parts"),
    path("workshop/orders/<id:order_id>/parts/order/", desk.order_parts_buy, name="order_parts_buy"),
    path("workshop/visits/<id:visit_id>/off-site/", desk.off_site, name="off_site"),
    path("workshop/visits/<id:visit_id>/back/", desk.back, name="back"),
    path("workshop/visits/<id:visit_id>/eta/", desk.eta, name="eta"),
    # Teams, service levels and the workshop's settings.
    path("workshop/teams/", teams.teams, name="teams"),
    path("workshop/teams/new/", teams.team_add, name="team_add"),
    path("workshop/teams/<id:team_id>/", teams.team_edit, name="team_edit"),
    path("workshop/service-levels/", settings.service_levels_page, name="service_levels"),
    path("workshop/settings/", settings.settings_save, name="settings"),
]
