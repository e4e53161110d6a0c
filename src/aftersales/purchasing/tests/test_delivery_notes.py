"""Delivery notes: a supplier's file (CSV or Excel) or scanning taken in, matched to open order lines
oldest first (a superseding number to the old one ordered), inspected and received in one step, the
rejected quantity to a supplier return; wrong rows named at once by row and column, nothing written."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from aftersales.conftest import World
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Brand, Store
from aftersales.parts.models import Bin, Part, StockBalance, StockMove, Supersession
from aftersales.parts.selectors.stock import stock_verify
from aftersales.parts.tests.factories import BinFactory, PartFactory, WarehouseFactory
from aftersales.purchasing import services
from aftersales.purchasing.models import (
    DeliveryNote,
    DeliveryNoteLine,
    PurchaseOrder,
    PurchaseReceipt,
    Supplier,
    SupplierReturn,
)
from aftersales.purchasing.tests.factories import SupplierFactory

D = Decimal


def csv_file(text: str, name: str = "DN.csv", encoding: str = "utf-8-sig") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def xlsx_file(rows: list[list[object]], name: str = "DN.xlsx") -> SimpleUploadedFile:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def sent(store: Store, supplier: Supplier, lines: list[tuple[Part, str, str]], expected: str) -> PurchaseOrder:
    order = services.order_create(
        actor=None,
        store_id=store.pk,
        supplier_id=supplier.pk,
        order_type="stock",
        lines=[services.OrderLineIn(part.pk, D(qty), D(price)) for part, qty, price in lines],
    )
    PurchaseOrder.all_objects.filter(pk=order.pk).update(status="sent")
    order.lines.update(expected_on=date.fromisoformat(expected))
    return order


@pytest.fixture
def shop(world: World) -> tuple[Supplier, Part, Part, Part, Bin]:
    brand = Brand.objects.first()
    old = PartFactory.create(group=world.sh.group, brand=brand, number="1K0698151", tax_rate=D("0.13"))
    new = PartFactory.create(group=world.sh.group, brand=brand, number="1K0698151A", tax_rate=D("0.13"))
    oil = PartFactory.create(group=world.sh.group, brand=brand, number="G052195M4", tax_rate=D("0.13"))
    Supersession.objects.create(old_part=old, new_part=new, interchangeability="two_way", effective_on="2026-01-01")
    bin_ = BinFactory.create(store=world.sh, warehouse=WarehouseFactory.create(store=world.sh, code="MAIN"))
    supplier = SupplierFactory.create(group=world.sh.group, over_delivery_percent=0)
    return supplier, old, new, oil, bin_


def test_a_delivery_note_file_is_matched_oldest_first_inspected_and_received(
    world: World, shop: tuple[Supplier, Part, Part, Part, Bin]
) -> None:
    supplier, old, new, oil, bin_ = shop
    clerk = world.user("parts")
    first = sent(world.sh, supplier, [(old, "4", "113"), (oil, "10", "56.5")], "2026-11-20")
    second = sent(world.sh, supplier, [(old, "6", "113")], "2026-11-25")
    # The supplier delivers the new number for the old one ordered, 7 of them: 4 for the older order, 3 for
    # the newer; the quantity and price typed in full-width digits are read as half-width.
    note = services.delivery_note_import(
        actor=clerk,
        store_id=world.sh.pk,
        supplier_id=supplier.pk,
        number="DN-2026-118",
        upload=csv_file("零件号,数量,单价,箱号\n1K0 698 151 A,７,１１３.００,C01\nG052195M4,10,,C02\n"),
    )
    lines = list(
        note.lines.order_by("pk").values_list(
            "row", "part_id", "order_line__order_id", "quantity", "unit_price", "case_no"
        )
    )
    assert lines == [
        (2, new.pk, first.pk, D(4), D(113), "C01"),
        (2, new.pk, second.pk, D(3), D(113), "C01"),
        (3, oil.pk, first.pk, D(10), None, "C02"),
    ]
    assert note.lines.filter(bin__isnull=True).count() == 3  # none of them is kept in a bin yet
    ids = list(note.lines.order_by("pk").values_list("pk", flat=True))
    with pytest.raises(ApplicationError) as refused:
        services.delivery_note_receive(actor=clerk, note_id=note.pk)
    assert refused.value.fields == {f"lines.{n}.bin": ["请选择入库货位。"] for n in range(3)}
    services.delivery_note_check(
        actor=clerk,
        note_id=note.pk,
        checks=[
            services.LineCheck(ids[0], None, bin_id=bin_.pk),
            services.LineCheck(ids[1], D(3), D(1), "外包装破损", bin_id=bin_.pk),
            services.LineCheck(ids[2], D(9), bin_id=bin_.pk),  # one short in the case
        ],
    )
    receipts = services.delivery_note_receive(actor=clerk, note_id=note.pk)
    assert [(r.order_id, r.delivery_note) for r in receipts] == [(first.pk, "DN-2026-118"), (second.pk, "DN-2026-118")]
    assert DeliveryNote.all_objects.get(pk=note.pk).status == "received"
    assert PurchaseOrder.all_objects.get(pk=first.pk).status == "partly_received"  # 1 oil still owed
    assert PurchaseOrder.all_objects.get(pk=second.pk).status == "partly_received"
    assert list(second.lines.values_list("received", "rejected")) == [(D(2), D(1))]
    moves = StockMove.all_objects.filter(document_type="purchase_order").order_by("pk")
    # 113 / 1.13 = 100.00 net; oil at the order's 56.50 / 1.13 = 50.00 net.
    assert [(m.part_id, m.quantity, m.value_fen) for m in moves] == [
        (new.pk, D(4), 40000),
        (oil.pk, D(9), 45000),
        (new.pk, D(2), 20000),
    ]
    returned = SupplierReturn.all_objects.get()
    assert (returned.order_id, returned.receipt_id, returned.number[:8]) == (second.pk, receipts[1].pk, "RTV-SH01")
    assert list(returned.lines.values_list("part_id", "quantity", "reason", "unit_price", "case_no")) == [
        (new.pk, D(1), "外包装破损", D(113), "C01")
    ]
    assert stock_verify().differences == []
    with pytest.raises(ApplicationError) as refused:
        services.delivery_note_receive(actor=clerk, note_id=note.pk)
    assert refused.value.code == "not_open"


def test_every_wrong_row_of_a_delivery_note_is_named_and_nothing_is_written(
    world: World, shop: tuple[Supplier, Part, Part, Part, Bin]
) -> None:
    supplier, old, _new, oil, _bin = shop
    sent(world.sh, supplier, [(old, "4", "113")], "2026-11-20")
    stranger = PartFactory.create(group=world.sh.group, brand=old.brand, number="5Q0615301")
    text = (
        "Part number,Quantity,Unit price,Order number\n"
        '1K0698151,2,"12,3",\n'  # 12.3 or 123?
        "5Q0615301,1,,\n"  # in the master, never ordered
        "NOPE-1,1,,\n"  # not in the master
        "1K0698151,5,,\n"  # more than the 4 ordered
        "G052195M4,1,,PO-SH01-2026-999999\n"  # names an order that is not open
        "1K0698151,abc,,\n"
    )
    with pytest.raises(ApplicationError) as refused:
        services.delivery_note_import(
            actor=world.user("parts"),
            store_id=world.sh.pk,
            supplier_id=supplier.pk,
            number="DN-9",
            upload=csv_file(text),
        )
    assert refused.value.fields == {
        "rows.2.price": ["“12,3”有歧义：请用小数点、不加逗号书写数字（例如 12.3 或 123）。"],
        "rows.3.number": [f"{stranger.number_display} 不在此供应商的任何未结订单上。"],
        "rows.4.number": ["零件号 NOPE-1 不在零件主数据中。"],
        # Row 2 is unreadable, so its 2 take nothing: 5 is 1 more than the 4 ordered.
        "rows.5.quantity": [f"{old.number_display}：送货 5，比未结订单多 1。"],
        "rows.6.order": ["PO-SH01-2026-999999 不是此供应商的未结订单。"],
        "rows.7.quantity": ["请输入数字，而不是文字。"],
    }
    assert DeliveryNote.all_objects.count() == 0 and DeliveryNoteLine.objects.count() == 0
    assert oil.pk  # ordered nowhere: named by its order column first


def test_a_note_is_taken_in_once_and_an_excel_file_reads_like_a_csv(
    world: World, shop: tuple[Supplier, Part, Part, Part, Bin]
) -> None:
    supplier, old, _new, _oil, bin_ = shop
    order = sent(world.sh, supplier, [(old, "4", "113")], "2026-11-20")
    rows: list[list[object]] = [
        ["零件号", "数量", "箱号"],
        ["Part number", "Quantity", "Case number"],
        ["1K0698151", 4, "A1"],
    ]
    clerk = world.user("parts")
    note = services.delivery_note_import(
        actor=clerk, store_id=world.sh.pk, supplier_id=supplier.pk, number="DN-1", upload=xlsx_file(rows)
    )
    assert list(note.lines.values_list("row", "quantity", "case_no", "order_line__order_id")) == [
        (3, D(4), "A1", order.pk)
    ]
    with pytest.raises(ApplicationError) as refused:
        services.delivery_note_import(
            actor=clerk, store_id=world.sh.pk, supplier_id=supplier.pk, number="DN-1", upload=xlsx_file(rows)
        )
    assert refused.value.fields == {"number": ["此供应商的送货单 DN-1 已经收录。"]}
    services.delivery_note_cancel(actor=clerk, note_id=note.pk)
    again = services.delivery_note_import(
        actor=clerk, store_id=world.sh.pk, supplier_id=supplier.pk, number="DN-1", upload=xlsx_file(rows)
    )
    assert again.lines.count() == 1
    with pytest.raises(ApplicationError) as refused:
        services.delivery_note_import(
            actor=clerk, store_id=world.sh.pk, supplier_id=supplier.pk, number="DN-2",
            upload=SimpleUploadedFile("x.csv", b"%PDF-1.7 ..."),
        )  # fmt: skip
    assert refused.value.fields == {"file": ["这是 PDF 文档，不是 Excel 工作簿（.xlsx）。"]}
    assert bin_.pk


def test_a_delivery_is_received_by_scanning_its_parts(
    world: World, shop: tuple[Supplier, Part, Part, Part, Bin]
) -> None:
    supplier, old, new, oil, bin_ = shop
    clerk = world.user("parts")
    order = sent(world.sh, supplier, [(old, "2", "113"), (oil, "1", "56.5")], "2026-11-20")
    StockBalance.all_objects.create(store=world.sh, part=new, bin=bin_)  # where the new number is kept
    note = services.delivery_note_start(actor=clerk, store_id=world.sh.pk, supplier_id=supplier.pk)
    for code in ("1K0698151A", "part:1k0-698-151a"):
        services.delivery_note_scan(actor=clerk, note_id=note.pk, code=code)
    with pytest.raises(ApplicationError) as refused:
        services.delivery_note_scan(actor=clerk, note_id=note.pk, code="1K0698151A")
    assert refused.value.fields == {"code": [f"{new.number_display}：未结订单不再接收更多。"]}
    with pytest.raises(ApplicationError) as refused:
        services.delivery_note_scan(actor=clerk, note_id=note.pk, code="ZZZ")
    assert refused.value.fields == {"code": ["ZZZ 不是零件主数据中的零件号。"]}
    line = note.lines.get()
    assert (line.part_id, line.quantity, line.checked, line.bin_id) == (new.pk, D(2), D(2), bin_.pk)
    receipts = services.delivery_note_receive(actor=clerk, note_id=note.pk)
    assert [r.order_id for r in receipts] == [order.pk]
    assert list(order.lines.order_by("position").values_list("received", flat=True)) == [D(2), D(0)]
    assert PurchaseReceipt.all_objects.get().lines.get().part_id == new.pk


def test_scans_spread_over_a_rows_lines_an_amended_order_is_quoted_and_a_stale_page_refused(
    world: World, shop: tuple[Supplier, Part, Part, Part, Bin]
) -> None:
    supplier, old, _new, oil, bin_ = shop
    clerk = world.user("parts")
    first = sent(world.sh, supplier, [(old, "4", "113")], "2026-11-20")
    second = sent(world.sh, supplier, [(old, "3", "113"), (oil, "2", "50")], "2026-11-25")
    PurchaseOrder.all_objects.filter(pk=second.pk).update(version=2)
    # A row of 7 split over the two orders' lines (4 and 3); the oil quoted by the amended order's number.
    text = f'零件号,数量,订单号\n1K0698151,7,\nG052195M4,"0,500",\nG052195M4,2,{second.number}-V2\n'
    with pytest.raises(ApplicationError) as refused:
        services.delivery_note_import(
            actor=clerk, store_id=world.sh.pk, supplier_id=supplier.pk, number="DN-S", upload=csv_file(text)
        )
    assert list(refused.value.fields) == ["rows.3.quantity"]  # "0,500" is no thousands: ambiguous
    text = f"零件号,数量,订单号\n1K0698151,7,\nG052195M4,2,{second.number}-V2\n"
    note = services.delivery_note_import(
        actor=clerk, store_id=world.sh.pk, supplier_id=supplier.pk, number="DN-S", upload=csv_file(text)
    )
    assert list(note.lines.order_by("pk").values_list("order_line__order_id", "quantity")) == [
        (first.pk, D(4)),
        (second.pk, D(3)),
        (second.pk, D(2)),
    ]
    services.delivery_note_scan(actor=clerk, note_id=note.pk, code="1K0698151", quantity=D(6))
    assert list(note.lines.filter(part=old).order_by("pk").values_list("checked", flat=True)) == [D(4), D(2)]
    line = note.lines.filter(part=old).order_by("pk").last()
    assert line is not None
    # The clerk's page showed 2 counted; a scan makes it 3 before the page is saved.
    services.delivery_note_scan(actor=clerk, note_id=note.pk, code="1K0698151")
    with pytest.raises(ApplicationError) as refused:
        services.delivery_note_check(
            actor=clerk,
            note_id=note.pk,
            checks=[services.LineCheck(line.pk, D(2), bin_id=bin_.pk, seen=D(2), compare=True)],
        )
    assert refused.value.fields == {"lines.0.checked": ["其他人已同时清点（现为 3），请刷新页面。"]}
    assert note.lines.get(pk=line.pk).checked == D(3)


def test_nothing_is_matched_to_a_line_whose_quantity_is_all_cancelled(
    world: World, shop: tuple[Supplier, Part, Part, Part, Bin]
) -> None:
    supplier, old, _new, _oil, _bin = shop
    Supplier.objects.filter(pk=supplier.pk).update(over_delivery_percent=10)
    order = sent(world.sh, supplier, [(old, "10", "113")], "2026-11-20")
    order.lines.update(cancelled=D(10))
    with pytest.raises(ApplicationError) as refused:
        services.delivery_note_import(
            actor=world.user("parts"), store_id=world.sh.pk, supplier_id=supplier.pk, number="DN-C",
            upload=csv_file("零件号,数量\n1K0698151,1\n"),
        )  # fmt: skip
    assert refused.value.fields == {"rows.2.number": [f"{old.number_display} 不在此供应商的任何未结订单上。"]}


def test_a_row_with_a_bad_cell_still_has_its_part_checked(
    world: World, shop: tuple[Supplier, Part, Part, Part, Bin]
) -> None:
    supplier, old, _new, oil, _bin = shop
    sent(world.sh, supplier, [(old, "4", "113")], "2026-11-20")
    with pytest.raises(ApplicationError) as refused:
        services.delivery_note_import(
            actor=world.user("parts"), store_id=world.sh.pk, supplier_id=supplier.pk, number="DN-B",
            upload=csv_file('零件号,数量,单价\nNOPE,1,"12,3"\nG052195M4,x,\n1K0698151,4,"12,3"\n'),
        )  # fmt: skip
    assert refused.value.fields == {
        "rows.2.number": ["零件号 NOPE 不在零件主数据中。"],
        "rows.2.price": ["“12,3”有歧义：请用小数点、不加逗号书写数字（例如 12.3 或 123）。"],
        "rows.3.number": [f"{oil.number_display} 不在此供应商的任何未结订单上。"],
        "rows.3.quantity": ["请输入数字，而不是文字。"],
        "rows.4.price": ["“12,3”有歧义：请用小数点、不加逗号书写数字（例如 12.3 或 123）。"],
    }
