from django.urls import path

from aftersales.purchasing.views import orders, suppliers

app_name = "purchasing"

urlpatterns = [
    path("purchasing/orders/", orders.order_list, name="orders"),
    path("purchasing/orders/new/", orders.order_new, name="order_new"),
    path("purchasing/orders/<id:order_id>/", orders.order_detail, name="order"),
    path("purchasing/orders/<id:order_id>/order-file", orders.order_file, name="order_file"),
    path("purchasing/orders/<id:order_id>/order.pdf", orders.order_pdf, name="order_pdf"),
    path("purchasing/orders/<id:order_id>/submit/", orders.order_submit, name="order_submit"),
    path("purchasing/orders/<id:order_id>/approve/", orders.order_approve, name="order_approve"),
    path("purchasing/orders/<id:order_id>/send-back/", orders.order_send_back, name="order_send_back"),
    path("purchasing/orders/<id:order_id>/send/", orders.order_send, name="order_send"),
    path("purchasing/orders/<id:order_id>/close/", orders.order_close, name="order_close"),
    path("purchasing/orders/<id:order_id>/cancel/", orders.order_cancel, name="order_cancel"),
    path("purchasing/orders/<id:order_id>/receive/", orders.order_receive, name="order_receive"),
    path("purchasing/suggestions/", orders.suggestion_list, name="suggestions"),
    path("purchasing/suggestions/<id:supplier_id>/order/", orders.suggestion_order, name="suggestion_order"),
    path("purchasing/backorders/", orders.backorder_list, name="backorders"),
    path("purchasing/backorders/<id:line_id>/cancel/", orders.backorder_cancel, name="backorder_cancel"),
    path("purchasing/suppliers/", suppliers.supplier_list, name="suppliers"),
    path("purchasing/suppliers/new/", suppliers.supplier_edit, name="supplier_new"),
    path("purchasing/suppliers/<id:supplier_id>/", suppliers.supplier_edit, name="supplier"),
    path("purchasing/limits/", suppliers.limits, name="limits"),
]
