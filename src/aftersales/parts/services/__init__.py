"""Every write of the parts area: the part master and prices, stock movements, reservations, closings."""

from aftersales.parts.services.closing import stock_month_close
from aftersales.parts.services.imports import stock_import_create
from aftersales.parts.services.ledger import (
    Op,
    Posting,
    closed_month_problem,
    qty_text,
    quantity_problem,
    store_access,
)
from aftersales.parts.services.parts import (
    PriceFileResult,
    part_price_set,
    part_save,
    parts_abc_classify,
    price_file_import,
    supersession_save,
)
from aftersales.parts.services.reservations import (
    Demand,
    ReserveResult,
    reservation_repoint,
    reservations_expire,
    reservations_release,
    stock_reserve,
)
from aftersales.parts.services.stock import (
    MoveLine,
    ReceiptLine,
    part_for_store,
    parts_for_store,
    stock_adjust,
    stock_issue,
    stock_receive,
    stock_return,
    stock_scrap,
    stock_supplier_return,
    stock_transfer,
    unknown_part,
)
from aftersales.parts.services.stocktakes import cycle_counts_plan, stocktakes_recover
from aftersales.parts.services.warehouses import bin_set_active, bins_create, warehouse_cycle_set, warehouse_save

__all__ = [
    "Demand",
    "MoveLine",
    "Op",
    "Posting",
    "PriceFileResult",
    "ReceiptLine",
    "ReserveResult",
    "bin_set_active",
    "bins_create",
    "closed_month_problem",
    "cycle_counts_plan",
    "part_for_store",
    "part_price_set",
    "part_save",
    "parts_abc_classify",
    "parts_for_store",
    "price_file_import",
    "qty_text",
    "quantity_problem",
    "reservation_repoint",
    "reservations_expire",
    "reservations_release",
    "stock_adjust",
    "stock_import_create",
    "stock_issue",
    "stock_month_close",
    "stock_receive",
    "stock_reserve",
    "stock_return",
    "stock_scrap",
    "stock_supplier_return",
    "stock_transfer",
    "stocktakes_recover",
    "store_access",
    "supersession_save",
    "unknown_part",
    "warehouse_cycle_set",
    "warehouse_save",
]
