"""The columns of the import template (the sheet's layout, ``core.imports.Layout``)."""

from __future__ import annotations

from aftersales.core.imports import ERRORS_HEADER, ROW_HEADER, Column, Layout, first_row, header_key

SHEET_TITLE = "客户及车辆"


YES_NO = (("yes", "是"), ("no", "否"))
KIND_CHOICES = (("individual", "个人"), ("company", "公司"))
SOURCE_CHOICES = (("sales", "销售"), ("walk_in", "到店"), ("referral", "转介绍"), ("online", "网络"), ("phone", "电话"))
CLASS_CHOICES = (("vip", "VIP"), ("regular", "普通"), ("fleet", "车队"), ("lapsed", "流失"))
CHANNEL_CHOICES = (("paper", "纸质"), ("app", "App"), ("phone", "电话"), ("counter", "柜台"))
FUEL_CHOICES = (("petrol", "汽油"), ("diesel", "柴油"), ("hybrid", "混动"), ("phev", "插混"), ("bev", "纯电"))
USE_CHOICES = (("household", "家用"), ("commercial", "营运"))

COLUMNS: tuple[Column, ...] = (
    Column("kind", "客户类型", "Customer kind", "个人 / 公司; empty: 个人", KIND_CHOICES, width=10),
    Column("name", "客户名称", "Name", "Required. Rows with the same name and mobile are one customer.", width=16),
    Column("mobile", "手机号", "Mobile", "Required, 11 digits (+86 allowed).", text=True, width=14),
    Column("mobile2", "备用手机号", "Second mobile", text=True),
    Column("landline", "固定电话", "Landline", max_length=30, text=True),
    Column("email", "电子邮箱", "E-mail", max_length=254, width=20),
    Column("province", "省份", "Province", max_length=20, width=10),
    Column("city", "城市", "City", max_length=30, width=10),
    Column("district", "区县", "District", max_length=30, width=10),
    Column("street", "详细地址", "Street address", max_length=200, width=24),
    Column("resident_id", "身份证号", "Resident ID", "Individuals only, 18 characters.", text=True, width=20),
    Column("uscc", "统一社会信用代码", "Credit code (USCC)", "Companies only, 18 characters.", text=True, width=20),
    Column("emergency_contact", "紧急联系人", "Emergency contact", max_length=60),
    Column("emergency_phone", "紧急联系电话", "Emergency phone", "A mobile number.", text=True),
    Column("source", "客户来源", "Source", "empty: 到店", SOURCE_CHOICES, width=10),
    Column("customer_class", "客户等级", "Customer class", "empty: 普通", CLASS_CHOICES, width=10),
    Column("data_consent", "同意数据处理", "Data consent", "是 / 否; empty: 否", YES_NO, width=10),
    Column("marketing_consent", "同意营销联系", "Marketing consent", "是 / 否; empty: 否", YES_NO, width=10),
    Column(
        "consent_channel", "同意方式", "Consent channel", "Required when a consent is 是.", CHANNEL_CHOICES, width=10
    ),
    Column("vin", "车架号(VIN)", "VIN", "17 characters; required when the row has a vehicle.", text=True, width=20),
    Column(
        "vin_check_override", "VIN校验豁免", "VIN check override", "是: the 9th character is no check digit.", YES_NO
    ),
    Column("vin_override_reason", "豁免原因", "Override reason", max_length=200, width=18),
    Column("plate", "车牌号", "Plate", "e.g. 沪A12345, 粤BD12345", width=12),
    Column("brand", "品牌代码", "Brand code", "e.g. VW; with series and model from the catalogue.", width=10),
    Column("series", "车系", "Series", width=12),
    Column("model", "车型", "Model", width=18),
    Column("model_year", "年款", "Model year", width=8),
    Column("engine_no", "发动机号", "Engine no.", max_length=30, text=True),
    Column("colour", "颜色", "Colour", max_length=30, width=10),
    Column("fuel_type", "燃料类型", "Fuel type", "empty: the model's, else 汽油", FUEL_CHOICES, width=10),
    Column("use_type", "使用性质", "Use", "家用 / 营运; empty: not recorded", USE_CHOICES, width=10),
    Column("purchase_date", "购车发票日期", "Purchase-invoice date", "YYYY-MM-DD", is_date=True, width=12),
    Column(
        "delivery_date", "交车日期", "Delivery date", "YYYY-MM-DD; the warranty runs from it", is_date=True, width=12
    ),
    Column("mileage", "里程(km)", "Mileage (km)", "Whole kilometres.", width=10),
    Column("mileage_date", "里程日期", "Mileage date", "YYYY-MM-DD; empty: the import date", is_date=True, width=12),
)
REQUIRED_KEYS = ("name", "mobile")
# Names a column had in earlier templates: their files still import.
_FORMER_HEADERS = {"购车日期": "purchase_date", "Purchase date": "purchase_date"}
LAYOUT = Layout(SHEET_TITLE, COLUMNS, required=REQUIRED_KEYS, former=_FORMER_HEADERS, frozen="C3")
COLUMN_BY_KEY = LAYOUT.by_key
VEHICLE_KEYS = tuple(column.key for column in COLUMNS[COLUMNS.index(COLUMN_BY_KEY["vin"]) :])
header_positions = LAYOUT.positions
is_english_header = LAYOUT.is_english_header

__all__ = [
    "COLUMNS",
    "COLUMN_BY_KEY",
    "ERRORS_HEADER",
    "LAYOUT",
    "REQUIRED_KEYS",
    "ROW_HEADER",
    "SHEET_TITLE",
    "VEHICLE_KEYS",
    "Column",
    "first_row",
    "header_key",
    "header_positions",
    "is_english_header",
]
