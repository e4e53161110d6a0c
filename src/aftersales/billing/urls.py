from django.urls import path

from aftersales.billing.views import cash, counter, lists, refunds

app_name = "billing"

urlpatterns = [
    # The cashier's counter: the search, the customers' shares waiting, an order's settlement and payments.
    path("billing/", counter.counter, name="counter"),
    path("billing/orders/<id:order_id>/", counter.order, name="order"),
    path("billing/orders/<id:order_id>/pay/", counter.pay, name="pay"),
    path("billing/orders/<id:order_id>/deposit/", counter.deposit, name="deposit"),
    path("billing/settlements/<id:settlement_id>/credit/", counter.credit, name="credit"),
    path("billing/payments/<id:payment_id>/receipt/", counter.receipt, name="receipt"),
    path("billing/payments/<id:payment_id>/refund/", counter.refund_ask, name="refund_ask"),
    path("billing/payments/<id:payment_id>/confirm/", counter.transfer_confirm, name="transfer_confirm"),
    path("billing/payments/<id:payment_id>/cancel/", counter.transfer_cancel, name="transfer_cancel"),
    # Settlement lists: the store's, one list, its confirming, reversal and PDF.
    path("billing/lists/", lists.lists, name="lists"),
    path("billing/lists/<id:list_id>/", lists.list_detail, name="list"),
    path("billing/lists/<id:list_id>/confirm/", lists.confirm, name="confirm"),
    path("billing/lists/<id:list_id>/reverse/", lists.reverse, name="reverse"),
    path("billing/lists/<id:list_id>/pdf/", lists.list_pdf, name="list_pdf"),
    # Refunds waiting for finance, and a refund's receipt.
    path("billing/refunds/", refunds.refunds, name="refunds"),
    path("billing/refunds/<id:refund_id>/decide/", refunds.decide, name="refund_decide"),
    path("billing/refunds/<id:refund_id>/receipt/", refunds.refund_receipt, name="refund_receipt"),
    # The cash desk and the funds flow.
    path("billing/cash/", cash.cash, name="cash"),
    path("billing/cash/open/", cash.cash_open, name="cash_open"),
    path("billing/cash/hand-over/", cash.hand_over, name="hand_over"),
    path("billing/flow/", cash.flow, name="flow"),
]
