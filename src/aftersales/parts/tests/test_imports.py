"""The go-live import: the part master, opening stock per bin (received on the go-live date at its
cost), price lists; dry runs, all or nothing, every bad row and column reported, nothing written."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from aftersales.conftest import World
from aftersales.core.audit import AuditEntry
from aftersales.core.imports import imports_dir
from aftersales.core.models import Brand, Role, StaffMembership, User
from aftersales.parts.imports.layouts import LAYOUTS
from aftersales.parts.models import Bin, Part, PartPrice, StockBalance, StockClosing, StockImportJob, StockMove
from aftersales.parts.selectors.stock import stock_verify
from aftersales.parts.tests.factories import BinFactory, PartFactory, WarehouseFactory

D = Decimal
TODAY = timezone.localdate()


def workbook(kind: str, rows: list[dict[str, Any]], *, english_row: bool = True) -> bytes:
    layout = LAYOUTS[kind]
    book = Workbook()
    sheet = book.active
    sheet.title = layout.title
    sheet.append([column.zh for column in layout.columns])
    if english_row:
        sheet.append([column.en for column in layout.columns])
    for row in rows:
        sheet.append([row.get(column.key) for column in layout.columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client: Client, capture: Any, kind: str, content: bytes, **fields: Any) -> Any:
    data = {"file": SimpleUploadedFile(f"{kind}.xlsx", content), "kind": kind, **fields}
    with capture(execute=True):
        return client.post("/api/v1/stock/imports", data)


def error_rows(client: Client, job_id: int) -> list[tuple[Any, ...]]:
    response = client.get(f"/api/v1/stock/imports/{job_id}/errors")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return [row[-2:] for row in sheet.iter_rows(min_row=3, values_only=True)]


@pytest.fixture(autouse=True)
def stored_files() -> Iterator[None]:
    before = set(imports_dir().iterdir())
    yield
    for path in set(imports_dir().iterdir()) - before:
        path.unlink(missing_ok=True)


@pytest.fixture
def admin(world: World, client_for: Callable[[User], Client]) -> Client:
    return client_for(world.user("admin"))


def test_the_part_master_imports_every_valid_row_and_reports_the_others(
    world: World, admin: Client, django_capture_on_commit_callbacks: Any
) -> None:
    brand = Brand.objects.first()
    assert brand is not None
    known = PartFactory.create(group=world.sh.group, brand=brand, number="1K0698151", number_display="1K0-698-151")
    rows = [
        {"brand": brand.code, "number": "5Q0-115-561-A", "name": "机油滤清器", "unit": "件", "standard_cost": 35.5,
         "tax_code": "1090101010000000000", "tax_rate": "13%"},
        {"brand": brand.code, "number": "G 052 195 M2", "name": "机油 5W-30", "unit": "升", "standard_cost": "60.1234"},
        {"brand": brand.code, "number": "1K0698151", "name": "刹车片", "category": "制动"},  # in the master
        {"brand": brand.code, "number": "5Q0115561A", "name": "重复"},  # the first row's number again
        {"brand": "NOPE", "number": "X1", "name": "未知品牌"},
        {"brand": brand.code, "number": "X2", "name": "小数位", "decimals": "两位", "standard_cost": "1.23456"},
        {"brand": brand.code, "number": "X3", "name": "税率", "tax_rate": "17%", "unit": "箱子"},
    ]  # fmt: skip
    response = upload(admin, django_capture_on_commit_callbacks, "parts", workbook("parts", rows))
    assert response.status_code == 202, response.content
    job = admin.get(f"/api/v1/stock/imports/{response.json()['id']}").json()
    assert (job["status"], job["created_rows"], job["matched_rows"], job["error_rows"]) == ("done", 2, 1, 4)
    assert job["message"] == "已新建 2 个零件；1 个已在零件主数据中（已补全空白字段）；跳过 4 行有错误的行。"
    assert error_rows(admin, job["id"]) == [
        ("零件号: 零件号 5Q0115561A 在第 3 行也出现。", 6),
        ("品牌代码: 未知品牌代码 NOPE。", 7),
        ("小数位: 请输入整数。; 标准成本(元): 最多 4 位小数。", 8),
        (
            "单位: 请从以下选项中选择：件, 套, 对, 升, 千克, 米, 瓶, 盒。; 税率: 请选择增值税税率：13%、9%、6%、3%、1% 或 0。",
            9,
        ),
    ]
    oil = Part.objects.get(number="G052195M2")
    assert (oil.unit, oil.decimals, oil.standard_cost, oil.tax_rate) == ("litre", 1, D("60.1234"), D("0.13"))
    filter_ = Part.objects.get(number="5Q0115561A")
    assert (filter_.number_display, filter_.standard_cost, filter_.tax_code) == (
        "5Q0-115-561-A",
        D("35.5000"),
        "1090101010000000000",
    )
    known.refresh_from_db()
    assert (known.category, known.name) == ("制动", known.name)  # an empty field filled, the name kept
    entry = AuditEntry.objects.get(object_type="parts.stockimportjob")
    assert entry.changes == {
        "kind": "parts",
        "created": 2,
        "matched": 1,
        "error_rows": 4,
        "dry_run": False,
        "document_no": "",
    }


def test_opening_stock_is_received_on_the_go_live_date_at_its_cost(
    world: World, admin: Client, django_capture_on_commit_callbacks: Any
) -> None:
    brand = Brand.objects.first()
    group = world.sh.group
    filter_ = PartFactory.create(group=group, brand=brand, number="5Q0115561A", number_display="5Q0-115-561-A")
    oil = PartFactory.create(group=group, brand=brand, number="G052195", unit="litre", decimals=1)
    main = WarehouseFactory.create(store=world.sh, code="MAIN")
    BinFactory.create(store=world.sh, warehouse=main, code="A-01")
    go_live = TODAY - timedelta(days=3)
    rows = [
        {"number": "5Q0-115-561-A", "warehouse": "main", "bin": "A-01", "quantity": 10, "unit_cost": 35.5},
        {"number": "G052195", "warehouse": "MAIN", "bin": "b-01", "quantity": 20.5, "unit_cost": "6.1234"},
        {"number": "G052195", "warehouse": "MAIN", "bin": "B-01", "quantity": 1, "unit_cost": 6},  # again
        {"number": "5Q0115561A", "warehouse": "MAIN", "bin": "A-02", "quantity": "十个", "unit_cost": 1},
        {"number": "5Q0115561A", "warehouse": "MAIN", "bin": "A-03", "quantity": 1.5, "unit_cost": 1},
        {"number": "NOPE", "warehouse": "OIL", "bin": "A-01", "quantity": -1, "unit_cost": ""},
    ]
    dry = upload(
        admin,
        django_capture_on_commit_callbacks,
        "opening_stock",
        workbook("opening_stock", rows),
        dry_run="true",
        go_live=go_live.isoformat(),
    ).json()
    job = admin.get(f"/api/v1/stock/imports/{dry['id']}").json()
    assert (job["status"], job["created_rows"], job["error_rows"]) == ("done", 2, 4)
    assert job["message"] == (f"试运行：将入库 2 行库存，金额 480.53 元，日期 {go_live.isoformat()}；4 行有错误。")
    assert StockMove.all_objects.count() == 0 and not Bin.all_objects.filter(code="B-01").exists()
    assert error_rows(admin, job["id"]) == [
        ("货位: 该零件和货位也在第 4 行。", 5),
        ("数量: 请输入数字，而不是文字。", 6),
        ("数量: 5Q0-115-561-A 以整数件计：请输入整数。", 7),
        ("零件号: 零件号 NOPE 不在零件主数据中：请先导入零件主数据。; 仓库代码: 本门店没有仓库 OIL。; "
         "数量: 请输入大于零的数量。; 单位成本(元): 请输入单位成本。", 8),
    ]  # fmt: skip

    done = upload(
        admin,
        django_capture_on_commit_callbacks,
        "opening_stock",
        workbook("opening_stock", rows[:2]),
        go_live=go_live.isoformat(),
        mode="all_or_nothing",
    ).json()
    job = admin.get(f"/api/v1/stock/imports/{done['id']}").json()
    assert (job["status"], job["created_rows"], job["created_bins"], job["value"]) == ("done", 2, 1, "480.53")
    moves = list(
        StockMove.all_objects.order_by("pk").values_list("part_id", "kind", "quantity", "value_fen", "moved_on")
    )
    assert moves == [
        (filter_.pk, "receipt", D(10), 35500, go_live),
        (oil.pk, "receipt", D("20.5"), 12553, go_live),  # 20.5 × 6.1234 = 125.5297 → 125.53
    ]
    assert job["document_no"].startswith("GR-SH01-") and set(
        StockMove.all_objects.values_list("document_no", flat=True)
    ) == {job["document_no"]}
    assert stock_verify().differences == []

    again = upload(admin, django_capture_on_commit_callbacks, "opening_stock", workbook("opening_stock", rows[:1]))
    job = admin.get(f"/api/v1/stock/imports/{again.json()['id']}").json()
    assert (job["created_rows"], job["error_rows"]) == (0, 1)
    assert error_rows(admin, job["id"]) == [("货位: 该零件在此货位已有库存变动：期初库存只导入一次。", 3)]
    assert StockBalance.all_objects.get(part=filter_).on_hand == D(10)


def test_all_or_nothing_refuses_the_file_for_one_bad_row(
    world: World, admin: Client, django_capture_on_commit_callbacks: Any
) -> None:
    brand = Brand.objects.first()
    assert brand is not None
    rows = [{"brand": brand.code, "number": f"P{n}", "name": "零件"} for n in range(3)] + [
        {"brand": brand.code, "number": "P0", "name": "重复"}
    ]
    response = upload(
        admin, django_capture_on_commit_callbacks, "parts", workbook("parts", rows), mode="all_or_nothing"
    )
    job = admin.get(f"/api/v1/stock/imports/{response.json()['id']}").json()
    assert (job["created_rows"], job["error_rows"], job["message"]) == (
        0,
        1,
        "未导入任何数据：1 行有错误（全部成功才导入）。",
    )
    assert Part.objects.count() == 0


def test_prices_of_the_group_and_of_a_store(
    world: World, admin: Client, django_capture_on_commit_callbacks: Any
) -> None:
    brand = Brand.objects.first()
    part = PartFactory.create(group=world.sh.group, brand=brand, number="5Q0115561A")
    PartPrice.objects.create(part=part, kind="retail", price=D("50.00"), valid_from=date(2026, 1, 1))
    rows = [
        {"number": "5Q0115561A", "kind": "零售价", "price": 52, "valid_from": "2026-11-01"},
        {"number": "5Q0115561A", "kind": "retail", "price": 50, "valid_from": "2026-01-01"},  # replaces the same day
        {"number": "5Q0115561A", "kind": "协议价", "price": "45.5", "store": "SH01"},
        {"number": "5Q0115561A", "kind": "零售价", "price": 55, "store": "sh01"},  # off the guide, no reason
        {"number": "5Q0115561A", "kind": "批发价", "price": "1.234", "store": "XX99"},
    ]
    response = upload(
        admin, django_capture_on_commit_callbacks, "prices", workbook("prices", rows), go_live="2026-11-20"
    )
    job = admin.get(f"/api/v1/stock/imports/{response.json()['id']}").json()
    assert (job["created_rows"], job["error_rows"]) == (3, 2)
    assert error_rows(admin, job["id"]) == [
        ("门店代码: 第 3 行设置了该零件的另一种零售价（集团价或门店价）：请先导入集团价格，再导入门店自有价格。", 6),
        (
            "价格类型: 请从以下选项中选择：零售价, 索赔价, 协议价。; 价格(元,含税): 最多 2 位小数。; 门店代码: 本集团没有门店 XX99。",
            7,
        ),
    ]
    # The store's own retail price in a file of its own: off the guide, it needs a reason.
    store_rows = [{"number": "5Q0115561A", "kind": "零售价", "price": 55, "store": "SH01", "valid_from": "2026-11-21"}]
    response = upload(admin, django_capture_on_commit_callbacks, "prices", workbook("prices", store_rows))
    assert error_rows(admin, response.json()["id"]) == [("原因: 请说明偏离指导价的原因。", 3)]
    store_rows[0]["reason"] = "本地竞争"
    response = upload(admin, django_capture_on_commit_callbacks, "prices", workbook("prices", store_rows))
    assert admin.get(f"/api/v1/stock/imports/{response.json()['id']}").json()["created_rows"] == 1
    PartPrice.objects.filter(store__isnull=False, kind="retail").delete()
    prices = sorted(PartPrice.objects.values_list("kind", "store__code", "valid_from", "price"))
    assert prices == [
        ("contract", "SH01", date(2026, 11, 20), D("45.50")),
        ("retail", None, date(2026, 1, 1), D("50.00")),
        ("retail", None, date(2026, 11, 1), D("52.00")),
    ]


def test_the_import_pages(world: World, admin: Client, django_capture_on_commit_callbacks: Any) -> None:
    start = admin.get("/stock/imports/")
    assert start.status_code == 200 and 'data-testid="template-opening_stock"' in start.content.decode()
    for kind, title in (("parts", "零件主数据"), ("opening_stock", "期初库存"), ("prices", "价格表")):
        template = admin.get(f"/stock/imports/template/{kind}.xlsx")
        sheet = load_workbook(io.BytesIO(template.content)).active
        assert (template.status_code, sheet.title) == (200, title)
        assert [cell.value for cell in sheet[1]] == [column.zh for column in LAYOUTS[kind].columns]
    assert admin.get("/stock/imports/template/stock.xlsx").status_code == 404

    pdf = SimpleUploadedFile("stock.xlsx", b"%PDF-1.7 not a workbook")
    refused = admin.post("/stock/imports/", {"kind": "opening_stock", "file": pdf, "mode": "valid_rows"})
    assert refused.status_code == 400
    assert refused.context["form"].errors["file"] == ["这是 PDF 文档，不是 Excel 工作簿（.xlsx）。"]
    headless = SimpleUploadedFile("stock.xlsx", workbook("parts", []))  # a part master sent as opening stock
    refused = admin.post("/stock/imports/", {"kind": "opening_stock", "file": headless, "mode": "valid_rows"})
    assert refused.status_code == 400 and "仓库代码" in refused.context["form"].errors["file"][0]
    today = timezone.localdate()  # now, not when the module was collected: the run may cross midnight
    tomorrow = (today + timedelta(days=1)).isoformat()
    future = SimpleUploadedFile("stock.xlsx", workbook("opening_stock", []))
    refused = admin.post(
        "/stock/imports/", {"kind": "opening_stock", "file": future, "mode": "valid_rows", "go_live": tomorrow}
    )
    assert refused.status_code == 400 and refused.context["form"].errors["go_live"] == ["库存变动不能记在未来日期。"]
    last_month_start = (date(today.year, today.month, 1) - timedelta(days=1)).replace(day=1)
    StockClosing.all_objects.create(
        store=world.sh, month=last_month_start, closed_at=timezone.now(), balances=0, value_fen=0
    )
    closed = SimpleUploadedFile("stock.xlsx", workbook("opening_stock", []))
    last_month = (date(today.year, today.month, 1) - timedelta(days=1)).isoformat()
    refused = admin.post(
        "/stock/imports/", {"kind": "opening_stock", "file": closed, "mode": "valid_rows", "go_live": last_month}
    )
    assert refused.status_code == 400 and "go_live" in refused.context["form"].errors
    assert StockImportJob.objects.count() == 0

    brand = Brand.objects.first()
    assert brand is not None
    good = SimpleUploadedFile("parts.xlsx", workbook("parts", [{"brand": brand.code, "number": "A1", "name": "零件"}]))
    with django_capture_on_commit_callbacks(execute=False) as jobs:
        sent = admin.post("/stock/imports/", {"kind": "parts", "file": good, "mode": "valid_rows", "dry_run": "on"})
    job = StockImportJob.objects.get()
    assert sent.status_code == 302 and sent["Location"] == f"/stock/imports/{job.pk}/"
    waiting = admin.get(f"/stock/imports/{job.pk}/", headers={"HX-Request": "true"})
    assert waiting.context["active"] and 'hx-trigger="every 1s"' in waiting.content.decode()
    jobs[0]()
    page = admin.get(f"/stock/imports/{job.pk}/")
    assert page.context["progress"] == 100 and page.context["job"].message == (
        "试运行：将新建 1 个零件，0 个已在零件主数据中；0 行有错误。"
    )
    assert Part.objects.count() == 0  # a dry run
    mine = admin.get("/api/v1/me/jobs").json()
    assert [(row["kind"], row["name"], row["status"]) for row in mine] == [("导入", "零件主数据 · parts.xlsx", "done")]


def test_only_who_may_import_at_go_live_does(world: World, client_for: Callable[[User], Client]) -> None:
    clerk = client_for(world.user("parts"))  # keeps the part master, but the go-live import is the admin's
    assert clerk.get("/stock/imports/").status_code == 403
    assert "/stock/imports/" not in clerk.get("/stock/warehouses/").content.decode()
    content = workbook("parts", [{"brand": "VW", "number": "A1", "name": "零件"}])
    refused = clerk.post("/api/v1/stock/imports", {"file": SimpleUploadedFile("p.xlsx", content), "kind": "parts"})
    assert refused.status_code == 403 and StockImportJob.objects.count() == 0


def test_a_tax_rate_that_is_no_number_is_a_row_error(
    world: World, admin: Client, django_capture_on_commit_callbacks: Any
) -> None:
    brand = Brand.objects.first()
    assert brand is not None
    rows = [{"brand": brand.code, "number": f"T{n}", "name": "零件", "tax_rate": rate} for n, rate in enumerate(
        ("NaN", "Infinity", "0.09", "9%")
    )]  # fmt: skip
    response = upload(admin, django_capture_on_commit_callbacks, "parts", workbook("parts", rows))
    job = admin.get(f"/api/v1/stock/imports/{response.json()['id']}").json()
    assert (job["status"], job["created_rows"], job["error_rows"]) == ("done", 2, 2)
    assert sorted(Part.objects.values_list("tax_rate", flat=True)) == [D("0.09"), D("0.09")]


def test_opening_stock_into_a_new_bin_needs_the_right_to_add_bins(
    world: World, client_for: Callable[[User], Client], django_capture_on_commit_callbacks: Any
) -> None:
    importer = User.objects.create_user(username="golive", password=None)
    role = Role.objects.create(code="golive", name="上线", permissions=["parts.view", "stock.import", "stock.adjust"])
    StaffMembership.objects.create(user=importer, store=world.sh, role=role)
    PartFactory.create(group=world.sh.group, brand=Brand.objects.first(), number="P1")
    WarehouseFactory.create(store=world.sh, code="MAIN")
    rows = [{"number": "P1", "warehouse": "MAIN", "bin": "N-01", "quantity": 1, "unit_cost": 1}]
    client = client_for(importer)
    response = upload(client, django_capture_on_commit_callbacks, "opening_stock", workbook("opening_stock", rows))
    assert error_rows(client, response.json()["id"]) == [("货位: 仓库 MAIN 没有货位 N-01，而您无权新增货位。", 3)]
    assert not Bin.all_objects.filter(code="N-01").exists()
    refused = upload(client, django_capture_on_commit_callbacks, "parts", workbook("parts", []))
    assert refused.status_code == 403  # the part master also needs parts.manage
