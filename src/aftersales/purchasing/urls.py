from django.urls import path

from aftersales.purchasing.views import orders, receiving, suppliers

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
    path("purchasing/orders/<id:order_id>/amend/", receiving.order_amend, name="order_amend"),
    path("purchasing/confirmations/", receiving.confirmation_upload, name="confirmations"),
    path("purchasing/deliveries/", receiving.delivery_list, name="deliveries"),
    path("purchasing/deliveries/import/", receiving.delivery_import, name="delivery_import"),
    path("purchasing/deliveries/scan/", receiving.delivery_start, name="delivery_start"),
    path("purchasing/deliveries/template.xlsx", receiving.delivery_template, name="delivery_template"),
    path("purchasing/deliveries/<id:note_id>/", receiving.delivery_detail, name="delivery"),
    path("purchasing/deliveries/<id:note_id>/scan/", receiving.delivery_scan, name="delivery_scan"),
    path("purchasing/deliveries/<id:note_id>/check/", receiving.delivery_check, name="delivery_check"),
    path("purchasing/deliveries/<id:note_id>/cancel/", receiving.delivery_cancel, name="delivery_cancel"),
    path("purchasing/returns/", receiving.return_list, name="returns"),
    path("purchasing/returns/<id:return_id>/return-note.pdf", receiving.return_pdf, name="return_pdf"),
    path("purchasing/returns/<id:return_id>/shipped/", receiving.return_shipped, name="return_shipped"),
    path("purchasing/suggestions/", orders.suggestion_list, name="suggestions"),
    path("purchasing/suggestions/<id:supplier_id>/order/", orders.suggestion_order, name="suggestion_order"),
    path("purchasing/backorders/", orders.backorder_list, name="backorders"),
    path("purchasing/backorders/<id:line_id>/cancel/", orders.backorder_cancel, name="backorder_cancel"),
    path("purchasing/suppliers/", suppliers.supplier_list, name="suppliers"),
    path("purchasing/suppliers/new/", suppliers.supplier_edit, name="supplier_new"),
    path("purchasing/suppliers/<id:supplier_id>/", suppliers.supplier_edit, name="supplier"),
    path("purchasing/limits/", suppliers.limits, name="limits"),
]
