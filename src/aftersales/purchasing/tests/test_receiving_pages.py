"""The receiving pages as a parts clerk uses them: a delivery note imported (its wrong rows shown by row
and column), counted by scanning, inspected and received; the return note printed; the confirmation
file applied; a sent order amended; and the same through the API."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from aftersales.conftest import World
from aftersales.core.models import Brand, User
from aftersales.parts.models import Bin, Part, StockMove
from aftersales.parts.tests.factories import BinFactory, PartFactory, WarehouseFactory
from aftersales.purchasing import services
from aftersales.purchasing.models import DeliveryNote, PurchaseOrder, Supplier, SupplierReturn
from aftersales.purchasing.tests.factories import SupplierFactory

D = Decimal


@pytest.fixture
def sent_order(world: World) -> tuple[PurchaseOrder, Supplier, Part, Bin]:
    part = PartFactory.create(
        group=world.sh.group, brand=Brand.objects.first(), number="1K0698151", number_display="1K0-698-151",
        tax_rate=D("0.13"),
    )  # fmt: skip
    bin_ = BinFactory.create(
        store=world.sh, warehouse=WarehouseFactory.create(store=world.sh, code="MAIN"), code="A-01"
    )
    supplier = SupplierFactory.create(group=world.sh.group, code="HF", name="宏发汽配")
    order = services.order_create(
        actor=None, store_id=world.sh.pk, supplier_id=supplier.pk, order_type="stock",
        lines=[services.OrderLineIn(part.pk, D(5), D(113))],
    )  # fmt: skip
    PurchaseOrder.all_objects.filter(pk=order.pk).update(status="sent")
    return order, supplier, part, bin_


def test_a_clerk_imports_checks_and_receives_a_delivery_note_on_the_pages(
    world: World, sent_order: tuple[PurchaseOrder, Supplier, Part, Bin], client_for: Callable[[User], Client]
) -> None:
    order, supplier, _part, bin_ = sent_order
    clerk = client_for(world.user("parts"))
    assert "导入供应商送货单" in clerk.get("/purchasing/deliveries/").content.decode()
    bad = clerk.post(
        "/purchasing/deliveries/import/",
        {
            "supplier": str(supplier.pk),
            "number": "DN-7",
            "file": SimpleUploadedFile("dn.csv", '零件号,数量,单价\n1K0698151,5,"12,3"\n9999,1,\n'.encode()),
        },
    )
    assert bad.status_code == 400
    page = bad.content.decode()
    assert "第 2 行，单价：“12,3”有歧义" in page and "第 3 行，零件号：零件号 9999 不在零件主数据中。" in page
    assert DeliveryNote.all_objects.count() == 0
    done = clerk.post(
        "/purchasing/deliveries/import/",
        {
            "supplier": str(supplier.pk),
            "number": "DN-7",
            "file": SimpleUploadedFile("dn.csv", "零件号,数量,箱号\n1K0-698-151,５,C9\n".encode()),
        },
    )
    note = DeliveryNote.all_objects.get()
    assert (done.status_code, done["Location"]) == (302, f"/purchasing/deliveries/{note.pk}/")
    line = note.lines.get()
    waiting = clerk.get(f"/purchasing/orders/{order.pk}/").content.decode()
    assert f'href="/purchasing/deliveries/{note.pk}/">DN-7</a>' in waiting
    scanned = clerk.post(f"/purchasing/deliveries/{note.pk}/scan/", {"code": "1K0698151", "quantity": "4"})
    assert scanned.status_code == 302 and note.lines.get().checked == D(4)
    unknown = clerk.post(f"/purchasing/deliveries/{note.pk}/scan/", {"code": "NOPE", "quantity": "1"})
    assert unknown.status_code == 400 and "NOPE 不是零件主数据中的零件号。" in unknown.content.decode()
    missing_reason = clerk.post(
        f"/purchasing/deliveries/{note.pk}/check/",
        {
            f"checked_{line.pk}": "4",
            f"rejected_{line.pk}": "1",
            f"reason_{line.pk}": "",
            f"bin_{line.pk}": "main/z-99",
            f"seen_{line.pk}": "4",
            "receive": "1",
        },
    )
    assert missing_reason.status_code == 400 and "本门店没有货位 MAIN/Z-99。" in missing_reason.content.decode()
    assert note.lines.get().rejected == 0  # nothing saved
    missing_reason = clerk.post(
        f"/purchasing/deliveries/{note.pk}/check/",
        {
            f"checked_{line.pk}": "4",
            f"rejected_{line.pk}": "1",
            f"reason_{line.pk}": "",
            f"bin_{line.pk}": "BIN:SH01/MAIN/A-01",  # the bin's label, scanned
            f"seen_{line.pk}": "4",
            "receive": "1",
        },
    )
    assert missing_reason.status_code == 400 and "请填写拒收原因。" in missing_reason.content.decode()
    received = clerk.post(
        f"/purchasing/deliveries/{note.pk}/check/",
        {
            f"checked_{line.pk}": "4",
            f"rejected_{line.pk}": "1",
            f"reason_{line.pk}": "锈蚀",
            f"bin_{line.pk}": "main/a-01",
            f"seen_{line.pk}": "4",
            "receive": "1",
        },
    )
    assert received.status_code == 302
    assert DeliveryNote.all_objects.get().status == "received"
    assert list(order.lines.values_list("received", "rejected")) == [(D(3), D(1))]
    move = StockMove.all_objects.get(document_type="purchase_order")
    assert (move.bin_id, move.value_fen) == (bin_.pk, 30000)  # 3 × 113 / 1.13
    returned = SupplierReturn.all_objects.get()
    listing = clerk.get("/purchasing/returns/").content.decode()
    assert returned.number in listing and "1K0-698-151 × 1 (锈蚀)" in listing
    pdf = clerk.get(f"/purchasing/returns/{returned.pk}/return-note.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert clerk.post(f"/purchasing/returns/{returned.pk}/shipped/").status_code == 302
    assert SupplierReturn.all_objects.get().status == "shipped"
    detail = clerk.get(f"/purchasing/orders/{order.pk}/").content.decode()
    assert returned.number in detail and 'data-testid="open-notes"' not in detail  # the note is received


def test_a_purchaser_amends_a_sent_order_and_applies_the_confirmation_on_the_pages(
    world: World, sent_order: tuple[PurchaseOrder, Supplier, Part, Bin], client_for: Callable[[User], Client]
) -> None:
    order, _supplier, part, _bin = sent_order
    purchaser = world.user("purchaser")
    services.purchase_limit_set(actor=None, store_id=world.sh.pk, user_id=purchaser.pk, limit=D(1000))
    client = client_for(purchaser)
    line = order.lines.get()
    form = client.get(f"/purchasing/orders/{order.pk}/amend/").content.decode()
    assert f'name="quantity_{line.pk}"' in form and 'value="5"' in form
    refused = client.post(
        f"/purchasing/orders/{order.pk}/amend/",
        {f"quantity_{line.pk}": "50", f"unit_price_{line.pk}": "113", "reason": "加量"},
    )
    assert (
        refused.status_code == 400
        and "修改后的订单为 5,650.00 元，超出您的审批额度 1,000.00 元。" in refused.content.decode()
    )
    amended = client.post(
        f"/purchasing/orders/{order.pk}/amend/",
        {f"quantity_{line.pk}": "3", f"unit_price_{line.pk}": "113", "new_part_0": "NOPE", "reason": "减量"},
    )
    assert amended.status_code == 400  # an unknown new part, named on its field
    amended = client.post(
        f"/purchasing/orders/{order.pk}/amend/",
        {f"quantity_{line.pk}": "3", f"unit_price_{line.pk}": "113", "reason": "减量"},
    )
    assert amended.status_code == 302
    detail = client.get(f"/purchasing/orders/{order.pk}/").content.decode()
    assert "第 2 版" in detail and "第 1 行 1K0-698-151：数量 5 → 3" in detail
    confirmation = SimpleUploadedFile(
        "c.csv", f"订单号,零件号,预计到货日期\n{order.number}-V2,1K0698151,2026-12-24\n".encode()
    )
    applied = client.post("/purchasing/confirmations/", {"file": confirmation})
    assert (applied.status_code, applied["Location"]) == (302, "/purchasing/backorders/")
    assert order.lines.get().expected_on.isoformat() == "2026-12-24"
    assert part.pk


def test_the_api_imports_scans_inspects_and_receives_a_delivery(
    world: World, sent_order: tuple[PurchaseOrder, Supplier, Part, Bin], client_for: Callable[[User], Client]
) -> None:
    order, supplier, _part, bin_ = sent_order
    api = client_for(world.user("parts"))
    created = api.post(
        "/api/v1/delivery-notes",
        {
            "store": "SH01",
            "supplier": str(supplier.pk),
            "number": "DN-API",
            "file": SimpleUploadedFile("n.csv", b"part no,qty,case no\n1K0698151,5,K1\n"),
        },
    )
    assert created.status_code == 201
    body = created.json()
    assert [
        (line["part"], line["order"], line["quantity"], line["case_no"], line["bin"]) for line in body["lines"]
    ] == [("1K0-698-151", order.number, "5.000", "K1", None)]
    line_id = body["lines"][0]["id"]
    scanned = api.post(
        f"/api/v1/delivery-notes/{body['id']}/scans", {"code": "1K0698151"}, content_type="application/json"
    )
    assert scanned.json()["lines"][0]["checked"] == "1.000"
    checked = api.put(
        f"/api/v1/delivery-notes/{body['id']}/inspection",
        {"lines": [{"line": line_id, "checked": "5", "rejected": "2", "reject_reason": "破损", "bin": bin_.pk}]},
        content_type="application/json",
    )
    assert checked.status_code == 200
    received = api.post(f"/api/v1/delivery-notes/{body['id']}/receive")
    assert received.status_code == 200
    receipts = received.json()["receipts"]
    assert [(r["order"], r["supplier_return"][:8]) for r in receipts] == [(order.number, "RTV-SH01")]
    returns = api.get("/api/v1/supplier-returns", {"store": "SH01"}).json()
    assert [(r["number"], r["lines"][0]["quantity"], r["lines"][0]["reason"]) for r in returns["items"]] == [
        (receipts[0]["supplier_return"], "2.000", "破损")
    ]
    again = api.post(f"/api/v1/delivery-notes/{body['id']}/receive")
    assert (again.status_code, again.json()["code"]) == (409, "not_open")
