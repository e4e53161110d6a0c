"""The sheets of the go-live import: the part master, opening stock per bin, price lists."""

from __future__ import annotations

from aftersales.core.imports import Column, Layout

UNIT_CHOICES = (
    ("piece", "件"),
    ("set", "套"),
    ("pair", "对"),
    ("litre", "升"),
    ("kg", "千克"),
    ("metre", "米"),
    ("bottle", "瓶"),
    ("box", "盒"),
)
CLASS_CHOICES = (("common", "常用"), ("uncommon", "非常用"), ("emergency", "紧急"))
PRICE_KIND_CHOICES = (("retail", "零售价"), ("claim", "索赔价"), ("contract", "协议价"))

PARTS = Layout(
    "零件主数据",
    (
        Column("brand", "品牌代码", "Brand code", "Required, e.g. VW.", width=10),
        Column("number", "零件号", "Part number", "Required, as printed.", max_length=60, text=True, width=18),
        Column("name", "零件名称", "Name", "Required.", max_length=100, width=24),
        Column("name_en", "英文名称", "English name", max_length=100, width=20),
        Column("category", "类别", "Category", "e.g. 滤清器, 制动", max_length=40, width=12),
        Column("unit", "单位", "Unit", "empty: 件", UNIT_CHOICES, width=8),
        Column("decimals", "小数位", "Decimals", "0 to 3; empty: 0, or 1 for 升 / 千克 / 米", width=8),
        Column("part_class", "配件分类", "Class", "常用 / 非常用 / 紧急; empty: 常用", CLASS_CHOICES, width=10),
        Column("standard_cost", "标准成本(元)", "Standard cost (yuan)", "Tax excluded, at most 4 decimals.", width=12),
        Column("tax_code", "税收分类编码", "Tax classification code", "19 digits.", text=True, width=22),
        Column("tax_rate", "税率", "VAT rate", "13%, 9%, 6%, 3%, 1% or 0; empty: 13%", width=8),
    ),
    required=("brand", "number", "name"),
    frozen="C3",
)

OPENING_STOCK = Layout(
    "期初库存",
    (
        Column("brand", "品牌代码", "Brand code", "Needed only when the number is in several brands.", width=10),
        Column("number", "零件号", "Part number", "Required; in the part master.", max_length=60, text=True, width=18),
        Column(
            "warehouse", "仓库代码", "Warehouse code", "Required; a warehouse of the store.", max_length=20, width=10
        ),
        Column("bin", "货位", "Bin", "Required; a new bin code is added to the warehouse.", max_length=20, width=12),
        Column("quantity", "数量", "Quantity", "Required, more than 0; decimals as the part allows.", width=10),
        Column(
            "unit_cost", "单位成本(元)", "Unit cost (yuan)", "Required; tax excluded, at most 4 decimals.", width=12
        ),
    ),
    required=("number", "warehouse", "bin", "quantity", "unit_cost"),
    former={"库位": "bin"},  # what many dealer systems call it
    frozen="C3",
)

PRICES = Layout(
    "价格表",
    (
        Column("brand", "品牌代码", "Brand code", "Needed only when the number is in several brands.", width=10),
        Column("number", "零件号", "Part number", "Required; in the part master.", max_length=60, text=True, width=18),
        Column("kind", "价格类型", "Price kind", "零售价 / 索赔价 / 协议价", PRICE_KIND_CHOICES, width=10),
        Column("price", "价格(元,含税)", "Price (yuan, tax incl.)", "Required, at most 2 decimals.", width=12),
        Column("valid_from", "生效日期", "Valid from", "YYYY-MM-DD; empty: the go-live date", is_date=True, width=12),
        Column("store", "门店代码", "Store code", "empty: the group's price; a code: that store's own.", width=10),
        Column(
            "reason", "原因", "Reason", "Needed for a store's retail price off the guide.", max_length=200, width=20
        ),
    ),
    required=("number", "kind", "price"),
    frozen="C3",
)

LAYOUTS = {"parts": PARTS, "opening_stock": OPENING_STOCK, "prices": PRICES}
# The go-live import needs ``stock.import`` (a store's or the group's prices in a price list also
# the right to set those prices).
PERMISSION = "stock.import"
# What each kind also needs, as the same change on the part and stock pages does (a price list's rows
# are checked one by one: a store's price needs ``prices.manage`` there, the group's ``prices.guide``;
# a bin the file adds needs ``warehouses.manage``).
KIND_PERMISSIONS = {"parts": "parts.manage", "opening_stock": "stock.adjust"}
TEMPLATE_NAMES = {
    "parts": "parts-import-template.xlsx",
    "opening_stock": "opening-stock-import-template.xlsx",
    "prices": "price-list-import-template.xlsx",
}
