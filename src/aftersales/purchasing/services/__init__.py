"""Purchasing's writes: suppliers and approval limits, purchase orders."""

from aftersales.purchasing.services.orders import (
    OrderLineIn,
    approval_limit,
    backorder_cancel,
    expected_dates_set,
    order_access,
    order_approve,
    order_cancel,
    order_close,
    order_create,
    order_lines_set,
    order_send,
    order_send_back,
    order_submit,
    order_total,
)
from aftersales.purchasing.services.receiving import DeliveredLine, order_receive
from aftersales.purchasing.services.replenishment import (
    Suggestion,
    reorder_points_compute,
    reorder_rule_set,
    suggestions,
    suggestions_order,
)
from aftersales.purchasing.services.suppliers import (
    bank_account_shown,
    purchase_limit_set,
    supplier_access,
    supplier_save,
)

__all__ = [
    "DeliveredLine",
    "OrderLineIn",
    "Suggestion",
    "approval_limit",
    "backorder_cancel",
    "bank_account_shown",
    "expected_dates_set",
    "order_access",
    "order_approve",
    "order_cancel",
    "order_close",
    "order_create",
    "order_lines_set",
    "order_receive",
    "order_send",
    "order_send_back",
    "order_submit",
    "order_total",
    "purchase_limit_set",
    "reorder_points_compute",
    "reorder_rule_set",
    "suggestions",
    "suggestions_order",
    "supplier_access",
    "supplier_save",
]
