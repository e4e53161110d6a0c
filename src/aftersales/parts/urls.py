from django.urls import path

from aftersales.parts.views import imports, parts, stock, stocktakes

app_name = "parts"

urlpatterns = [
    path("parts/", parts.part_list, name="parts"),
    path("parts/new/", parts.part_create, name="create"),
    path("parts/price-files/", parts.price_file, name="price_file"),
    path("parts/<id:part_id>/", parts.part_detail, name="detail"),
    path("parts/<id:part_id>/edit/", parts.part_edit, name="edit"),
    path("parts/<id:part_id>/supersession/", parts.part_supersede, name="supersede"),
    path("parts/<id:part_id>/price/", parts.part_price, name="price"),
    path("stock/moves/", stock.move_list, name="moves"),
    path("stock/as-of/", stock.stock_as_of, name="as_of"),
    path("stock/warehouses/", stock.warehouses, name="warehouses"),
    path("stock/warehouses/<id:warehouse_id>/bins/", stock.warehouse_bins, name="bins"),
    path("stock/warehouses/<id:warehouse_id>/cycle/", stock.warehouse_cycle, name="warehouse_cycle"),
    path("stock/warehouses/<id:warehouse_id>/labels.pdf", stock.warehouse_labels, name="labels"),
    path("stock/receive/", stock.receive, name="receive"),
    path("stock/issue/", stock.issue, name="issue"),
    path("stock/reservations/", stock.reservations, name="reservations"),
    path("stock/closings/", stock.closings, name="closings"),
    path("stock/imports/", imports.import_start, name="imports"),
    path("stock/imports/<id:job_id>/", imports.import_job, name="import_job"),
    path("stock/imports/<id:job_id>/errors.xlsx", imports.import_errors, name="import_errors"),
    path("stock/imports/template/<slug:kind>.xlsx", imports.import_template, name="import_template"),
    path("stock/stocktakes/", stocktakes.stocktake_list, name="stocktakes"),
    path("stock/stocktakes/<id:stocktake_id>/", stocktakes.stocktake_detail, name="stocktake"),
    path("stock/stocktakes/<id:stocktake_id>/count/", stocktakes.stocktake_count, name="stocktake_count"),
    path("stock/stocktakes/<id:stocktake_id>/resolve/", stocktakes.stocktake_resolve, name="stocktake_resolve"),
    path("stock/stocktakes/<id:stocktake_id>/approve/", stocktakes.stocktake_approve, name="stocktake_approve"),
    path("stock/stocktakes/<id:stocktake_id>/post/", stocktakes.stocktake_post, name="stocktake_post"),
    path("stock/stocktakes/<id:stocktake_id>/reopen/", stocktakes.stocktake_reopen, name="stocktake_reopen"),
    path("stock/stocktakes/<id:stocktake_id>/cancel/", stocktakes.stocktake_cancel, name="stocktake_cancel"),
    path("stock/stocktakes/<id:stocktake_id>/sheet.pdf", stocktakes.stocktake_sheet, name="stocktake_sheet"),
]
