from django.urls import path

from aftersales.visits.views import desk, diagnosis, orders, signing, visit, walk_around

app_name = "visits"

urlpatterns = [
    path("reception/", desk.desk, name="desk"),
    path("reception/receive/", desk.receive, name="receive"),
    path("reception/find/", desk.vehicle_find, name="find"),
    path("visits/<id:visit_id>/", visit.visit_detail, name="visit"),
    path("visits/<id:visit_id>/edit/", visit.visit_edit, name="visit_edit"),
    path("visits/<id:visit_id>/leave/", visit.visit_leave, name="visit_leave"),
    path("visits/<id:visit_id>/walk-around/", walk_around.walk_around, name="walk_around"),
    path("visits/<id:visit_id>/walk-around/damages/", walk_around.damage_add, name="damage_add"),
    path(
        "visits/<id:visit_id>/walk-around/damages/<id:mark_id>/remove/",
        walk_around.damage_remove,
        name="damage_remove",
    ),
    path("visits/<id:visit_id>/walk-around/checks/<id:item_id>/photo/", walk_around.check_photo, name="check_photo"),
    path("visits/<id:visit_id>/walk-around/complete/", walk_around.walk_around_complete, name="walk_around_complete"),
    path("visits/<id:visit_id>/diagnosis/", diagnosis.diagnosis, name="diagnosis"),
    path("visits/<id:visit_id>/recommendations/", diagnosis.recommendation_add, name="recommendation_add"),
    path(
        "visits/<id:visit_id>/recommendations/<id:recommendation_id>/remove/",
        diagnosis.recommendation_remove,
        name="recommendation_remove",
    ),
    path("visits/<id:visit_id>/photos/<id:media_id>/", walk_around.photo, name="photo"),
    path("visits/<id:visit_id>/inspection.pdf", visit.inspection_pdf, name="inspection_pdf"),
    path("visits/<id:visit_id>/order/", signing.order_new, name="order_new"),
    path("visits/<id:visit_id>/order/line/", signing.line_row, name="line_row"),
    path("repair-orders/", orders.order_list, name="orders"),
    path("repair-orders/<id:order_id>/", orders.order_detail, name="order"),
    path("repair-orders/<id:order_id>/lines/", orders.line_add, name="line_add"),
    path("repair-orders/<id:order_id>/lines/<id:line_id>/price/", orders.line_price, name="line_price"),
    path("repair-orders/<id:order_id>/lines/<id:line_id>/action/", orders.line_action, name="line_action"),
    path("repair-orders/<id:order_id>/approvals/", orders.approval_record, name="approval"),
    path("repair-orders/<id:order_id>/link/", orders.link_send, name="link_send"),
    path("repair-orders/<id:order_id>/action/", orders.order_action, name="order_action"),
    path("repair-orders/<id:order_id>/order.pdf", orders.order_pdf, name="order_pdf"),
    path("repair-orders/<id:order_id>/estimate.pdf", orders.estimate_pdf, name="estimate_pdf"),
]
