"""The billing area's printed documents: the settlement list of a repair order in the JT/T 1133—2017 layout (its
fee categories itemised with their subtotals, the discounts, the total in figures and in capitals, each payer's
share, the old parts, the guarantee and the signatures), and the receipts of a payment and of a refund on an
80 mm roll."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from pypdf import PdfReader

from aftersales.billing.documents import receipt_pdf, refund_receipt_pdf, rmb_capitals, settlement_list_pdf
from aftersales.billing.models import Payment, Refund, Settlement, SettlementList
from aftersales.billing.services import ConfirmIn, settlement_confirm, settlement_prepare
from aftersales.core.calendar import store_calendar
from aftersales.core.tests.factories import LegalEntityFactory
from aftersales.customers.models import Vehicle, VehicleModel
from aftersales.quality.tests.conftest import HOURS, Yard, reception, shop, yard
from aftersales.quality.tests.test_documents import _pages, _text
from aftersales.visits.models import Line, RepairOrder, Visit
from aftersales.visits.services import LineIn
from aftersales.visits.services.approvals import ApprovalIn, Decision, approvals_record
from aftersales.visits.services.orders import line_transition

__all__ = ["HOURS", "reception", "shop", "yard"]

D = Decimal
MM = 72 / 25.4  # PDF points in a millimetre


def _today(yard: Yard) -> str:
    return store_calendar(yard.store).local_date(timezone.now()).isoformat()


def _every_fee(yard: Yard) -> RepairOrder:
    """A ready order the customer pays, with a fee of every kind a line has: the oil change (1 h × 200.00), the
    oil filter (88.00), the front brake pads' labour (2 h × 200.00), the customer's own engine oil (4, no
    price), wheel repair sent out (300.00) and the annual inspection run for the customer (50.00)."""
    r = yard.shop.reception
    order = yard.order(
        LineIn(kind="labour", operation_id=r.oil.pk),
        LineIn(kind="part", part_id=r.filter.pk, quantity=D(1)),
        LineIn(
            kind="labour", operation_id=r.brakes.pk, fault_code="c1234", symptom="制动异响", causal_part_id=r.pads.pk
        ),
        LineIn(kind="customer_part", description="全合成机油 5W-30", quantity=D(4)),
        LineIn(kind="sublet", description="轮毂修复", unit_price=D("300.00")),
        LineIn(kind="fee", description="代办年检", unit_price=D("50.00")),
    )
    # The customer's oil is fitted, the wheel is back, the inspection is done.
    for line in Line.all_objects.filter(order=order, position__in=(4, 5, 6), state=Line.State.APPROVED):
        line_transition(actor=yard.shop.foreman, order_id=order.pk, line_id=line.pk, action="finish")
    return yard.ready(yard.inspected(yard.work(order)))


def _insured(yard: Yard) -> RepairOrder:
    """A ready order of three lines: the oil change and the filter for the customer, the brake pads' labour
    (400.00) assessed by the insurer at 350.00 less a deductible of 50.00: 300.00 to the insurer and 100.00
    to the customer."""
    r = yard.shop.reception
    order = yard.order(
        LineIn(kind="labour", operation_id=r.oil.pk),
        LineIn(kind="part", part_id=r.filter.pk, quantity=D(1)),
        LineIn(kind="labour", operation_id=r.brakes.pk, pay_type="insurance"),
    )
    approvals_record(
        actor=r.world.user("insurance"),
        order_id=order.pk,
        data=ApprovalIn(
            kind="insurer_assessment",
            person="定损员 李",
            insurer="中国人保",
            claim_number="RDAA2026310000012345",
            deductible=D("50.00"),
            decisions=[Decision(Line.all_objects.get(order=order, position=3).pk, True, assessed_amount=D("350.00"))],
        ),
    )
    return yard.ready(yard.inspected(yard.work(order)))


def _confirmed(yard: Yard, order: RepairOrder, data: ConfirmIn | None = None) -> SettlementList:
    found = SettlementList.all_objects.get(order=order)
    return settlement_confirm(actor=yard.advisor, list_id=found.pk, data=data or ConfirmIn())


def _paid(yard: Yard, settlement: Settlement, amount: Decimal, number: int, **fields: object) -> Payment:
    """A paid payment for ``settlement`` at the counter, taken by the cashier, and the settlement's received
    (numbered far from what the counter's numbering gives)."""
    payment = Payment.all_objects.create(
        store=yard.store,
        number=f"SK-SH01-2026-{900_000 + number:06d}",
        order_id=settlement.order_id,
        settlement=settlement,
        payer=settlement.payer,
        amount=amount,
        cashier=yard.shop.reception.world.user("cashier"),
        taken_at=fields.pop("taken_at", timezone.now()),
        **fields,
    )
    received = settlement.received + amount
    Settlement.all_objects.filter(pk=settlement.pk).update(
        received=received, state="closed" if received == settlement.amount else "open"
    )
    settlement.refresh_from_db()
    return payment


# --- amounts in capitals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "capitals"),
    [
        ("0.00", "零元整"),
        ("0.05", "伍分"),
        ("0.50", "伍角整"),
        ("0.56", "伍角陆分"),
        ("10.00", "壹拾元整"),
        ("12.30", "壹拾贰元叁角整"),
        ("325.04", "叁佰贰拾伍元零肆分"),
        ("1001.01", "壹仟零壹元零壹分"),
        ("1003.00", "壹仟零叁元整"),
        ("1010.10", "壹仟零壹拾元壹角整"),
        ("1234.50", "壹仟贰佰叁拾肆元伍角整"),
        ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
        ("10500.00", "壹万零伍佰元整"),
        ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
        ("100000.00", "壹拾万元整"),
        ("107000.53", "壹拾万柒仟元伍角叁分"),
        ("20000000.00", "贰仟万元整"),
        ("100000001.00", "壹亿零壹元整"),
        ("-12.30", "负壹拾贰元叁角整"),
    ],
)
def test_amounts_in_capitals_are_written_as_vouchers_write_them(amount: str, capitals: str) -> None:
    assert rmb_capitals(D(amount)) == capitals


# --- the settlement list --------------------------------------------------------------------------------


def test_the_settlement_list_itemises_each_fee_category_and_totals_in_figures_and_capitals(yard: Yard) -> None:
    store = yard.store
    store.legal_entity = LegalEntityFactory.create(group=store.group, name="上海测试汽车服务有限公司")
    store.save()
    uscc = store.legal_entity.uscc
    brand = store.brands.get()
    model = VehicleModel.objects.create(brand=brand, series="帕萨特", name="330TSI")
    Vehicle.objects.filter(pk=yard.shop.reception.vehicle.pk).update(model=model, engine_no="DKV123456")
    order = _every_fee(yard)
    visit = Visit.all_objects.get(pk=order.visit_id)
    arrived = store_calendar(store).local_date(visit.arrived_at).isoformat()
    found = SettlementList.all_objects.get(order=order)
    with translation.override("en"):
        prepared = _text(settlement_list_pdf(settlement_list=found))
    assert "SettlementlistnumberPrepared,notyetconfirmed" in prepared
    assert f"Repairordernumber{order.number}Settlementdate—" in prepared
    assert "Total(yuan)¥1,038.00Totalincapitals壹仟零叁拾捌元整" in prepared
    pads = Line.all_objects.get(order=order, position=3)
    # 14.00 off the brake pads' labour, 20.50 off the order and 0.50 rounded off: 1,003.00.
    found = _confirmed(
        yard, order, ConfirmIn(discount=D("20.50"), rounding=D("0.50"), line_discounts={pads.pk: D("14.00")})
    )
    with translation.override("en"):
        pages = _pages(settlement_list_pdf(settlement_list=found, printed_by="服务顾问"))
    text = "".join(pages)
    for expected in (
        "Motorvehiclerepaircostsettlementlist",
        f"Settlementlistnumber{found.number}",
        f"Repairordernumber{order.number}Settlementdate{_today(yard)}",
        "Customer张伟Mobile139****5678",
        f"Plate沪A12345VIN{visit.vehicle.vin}",
        f"Model{brand.name}帕萨特330TSIMileagein52300kmEnginenumberDKV123456Datein{arrived}",
        f"RepairbusinessName上海测试汽车服务有限公司Unifiedsocialcreditcode{uscc}Store上海店",
        # JT/T 1133's summary: every category, zero where there is none.
        "Labour600.00Materials88.00Diagnosis0.00Testing0.00Processing(sublet)300.00Rescue0.00Towing0.00Other50.00",
        # Each category itemised, at its price before discounts, with its subtotal; one payer: no payer column.
        "LabourNo.ItemHourschargedLabourrate(yuan/h)Amount(yuan)"
        "1更换机油1200.00200.002更换前制动片2200.00400.00Subtotal600.00",
        "MaterialsNo.NamePartnumberQuantityUnitprice(yuan)Amount(yuan)Remarks"
        "1机油滤清器06L-115-562188.0088.002全合成机油5W-30—40.000.00SuppliedbythecustomerSubtotal88.00",
        "Processing(sublet)No.ItemQuantityUnitprice(yuan)Amount(yuan)1轮毂修复1300.00300.00Subtotal300.00",
        "OtherNo.ItemQuantityUnitprice(yuan)Amount(yuan)1代办年检150.0050.00Subtotal50.00",
        # The discounts taken off what the categories add up to, the total in figures and capitals, net and tax.
        "Feesbeforediscounts(yuan)1,038.00Discounton更换前制动片-14.00Orderdiscount-20.50Roundingoff(抹零)-0.50"
        "Total(yuan)¥1,003.00Totalincapitals壹仟零叁元整Net(yuan)890.47Tax(yuan)112.53",
        "PayerNameAmount(yuan)Net(yuan)Tax(yuan)Customer—1,003.00890.47112.53",
        # Not delivered yet: the old parts and the guarantee are left to fill in.
        "InvoicetypeGeneralVATinvoiceOldpartsRepairguaranteeSignatures",
        "CustomerDateCashierDateQualityinspector质检员DateRepairbusiness(seal)Date",
    ):
        assert expected in text, expected
    assert text.count("No.") == 4  # a table for each category with fees, none for the others
    assert "Reversed" not in text
    assert [page.rsplit("by服务顾问", 1)[1] for page in pages] == ["Page1of2", "Page2of2"]
    # In Chinese (the default): the standard's categories, the amounts and capitals, the mobile number masked.
    text = _text(settlement_list_pdf(settlement_list=found))
    for expected in (
        "工时费600.00材料费88.00诊断费0.00检测费0.00加工费300.00救援费0.00拖车费0.00其他费用50.00",
        "¥1,003.00",
        "壹仟零叁元整",
        "139****5678",
    ):
        assert expected in text, expected
    assert "13912345678" not in text


def test_each_payers_charges_are_marked_and_a_delivered_orders_old_parts_and_guarantee_printed(yard: Yard) -> None:
    order = _insured(yard)
    found = _confirmed(yard, order)
    customer = Settlement.all_objects.get(settlement_list=found, payer="customer")
    _paid(yard, customer, customer.amount, 1, method="card", reference="POS-881234")
    yard.delivered(order)
    today = store_calendar(yard.store).local_date(timezone.now())
    with translation.override("en"):
        text = _text(settlement_list_pdf(settlement_list=found))
    for expected in (
        # Several payers: each charge marked with its payer; the insured line split into the deductible and the
        # part the assessment did not cover (100.00) and the insurer's 300.00.
        "LabourNo.ItemHourschargedLabourrate(yuan/h)Amount(yuan)Payer"
        "1更换机油1200.00200.00Customer2更换前制动片2200.00100.00Customer更换前制动片300.00InsurerSubtotal600.00",
        "1机油滤清器06L-115-562188.0088.00CustomerSubtotal88.00",
        "Feesbeforediscounts(yuan)688.00Total(yuan)¥688.00Totalincapitals陆佰捌拾捌元整",
        "PayerNameAmount(yuan)Net(yuan)Tax(yuan)Customer—388.00343.3744.63Insurer中国人保300.00265.4934.51",
        # Delivered: the old parts as handed back, each labour line's guarantee from the delivery day and km.
        "InvoicetypeGeneralVATinvoiceOldpartsReturntothecustomer",
        "Repairguarantee"
        f"更换机油：10daysor2000km,whicheverisreachedfirst（{(today + timedelta(days=10)).isoformat()}/54305km）"
        f"更换前制动片：100daysor20000km,whicheverisreachedfirst（{(today + timedelta(days=100)).isoformat()}/72305km）",
        "Qualityinspector质检员",
    ):
        assert expected in text, expected
    # Reversed: marked across every page, with when and why.
    reversed_at = timezone.now()
    SettlementList.all_objects.filter(pk=found.pk).update(
        state="reversed", reversed_at=reversed_at, reversal_reason="发票抬头有误"
    )
    when = f"{store_calendar(yard.store).local(reversed_at):%Y-%m-%d%H:%M}"
    with translation.override("en"):
        pages = _pages(settlement_list_pdf(settlement_list=SettlementList.all_objects.get(pk=found.pk)))
    assert [page.count("Reversed") for page in pages] == [2] + [1] * (len(pages) - 1)
    assert f"Settlementlistnumber{found.number}Reversedon{when}:发票抬头有误" in "".join(pages)
    # The list that replaces it: prepared anew, not confirmed yet, naming the one it corrects.
    again = settlement_prepare(order_id=order.pk, actor=yard.advisor)
    SettlementList.all_objects.filter(pk=again.pk).update(corrects=found)
    with translation.override("en"):
        text = _text(settlement_list_pdf(settlement_list=SettlementList.all_objects.get(pk=again.pk)))
    assert f"SettlementlistnumberPrepared,notyetconfirmedReplaceslist{found.number}Repairordernumber" in text
    assert "Reversed" not in text


# --- receipts -------------------------------------------------------------------------------------------


def test_a_cash_receipt_shows_tendered_change_and_what_is_left_open_on_an_80_mm_roll(yard: Yard) -> None:
    order = yard.ready()
    found = _confirmed(yard, order)
    customer = Settlement.all_objects.get(settlement_list=found)
    taken = timezone.now() - timedelta(minutes=30)
    cash = _paid(
        yard, customer, D("500.00"), 7, method="cash", tendered=D("600.00"), change=D("100.00"), taken_at=taken
    )
    card = _paid(yard, customer, D("188.00"), 8, method="card", reference="POS-881234")
    local = store_calendar(yard.store).local
    pdf = receipt_pdf(payment=cash)
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert (len(PdfReader(io.BytesIO(pdf)).pages), round(float(page.mediabox[2]) / MM)) == (1, 80)
    assert round(float(page.mediabox[3]) / MM) < 297  # as long as its content, not a sheet
    with translation.override("en"):
        text = _text(receipt_pdf(payment=cash, printed_by="收银员"))
    assert (
        "Paymentreceipt"
        f"ReceiptnumberSK-SH01-2026-900007Time{local(taken):%Y-%m-%d%H:%M}"
        f"Repairordernumber{order.number}Plate沪A12345Settlementlistnumber{found.number}PayerCustomer"
        "PaymentmethodCash"
        "Amount¥500.00Tendered600.00Changegiven100.00"
        "Settlementamount688.00Stillopenafterthispayment188.00"
        "Cashier收银员"
    ) in text
    with translation.override("en"):
        text = _text(receipt_pdf(payment=card))
    assert (
        "PaymentmethodBankcardPOSreferencePOS-881234Amount¥188.00"
        "Settlementamount688.00Stillopenafterthispayment0.00Cashier收银员"
    ) in text
    assert "Tendered" not in text
    # 50.00 of the cash given back later: the reprinted receipt says so, and still what was open when it was taken.
    refund = Refund.all_objects.create(
        store=yard.store,
        number="TK-SH01-2026-000003",
        payment=cash,
        amount=D("50.00"),
        method="cash",
        reason="工时费多收",
        state="refunded",
        requested_by=yard.shop.reception.world.user("cashier"),
        requested_at=timezone.now(),
        decided_by=yard.shop.reception.world.user("manager"),
        decided_at=timezone.now(),
        refunded_at=timezone.now(),
    )
    Payment.all_objects.filter(pk=cash.pk).update(refunded=D("50.00"))
    with translation.override("en"):
        text = _text(receipt_pdf(payment=cash))
    assert "Settlementamount688.00Stillopenafterthispayment188.00Refunded50.00" in text
    pdf = refund_receipt_pdf(refund=refund)
    assert round(float(PdfReader(io.BytesIO(pdf)).pages[0].mediabox[2]) / MM) == 80
    with translation.override("en"):
        text = _text(refund_receipt_pdf(refund=refund))
    assert (
        "Refundreceipt"
        f"RefundnumberTK-SH01-2026-000003Time{local(refund.refunded_at):%Y-%m-%d%H:%M}"
        f"ReceiptnumberSK-SH01-2026-900007Repairordernumber{order.number}Plate沪A12345"
        f"Settlementlistnumber{found.number}PayerCustomerRefundmethodCashReason工时费多收"
        "Refundamount¥50.00Amountofthepayment500.00Refundedofthepayment50.00"
        "Cashier收银员Approvedby店长"
    ) in text
    # In Chinese (the default): the figures and the mobile-free receipt.
    text = _text(receipt_pdf(payment=cash))
    for expected in ("¥500.00", "600.00", "100.00", "188.00", "SK-SH01-2026-900007", "沪A12345"):
        assert expected in text, expected


def test_a_deposit_by_payment_code_is_marked_and_shows_the_providers_transaction(yard: Yard) -> None:
    order = yard.order()
    deposit = Payment.all_objects.create(
        store=yard.store,
        number="SK-SH01-2026-000002",
        order=order,
        payer="customer",
        method="code",
        amount=D("300.00"),
        is_deposit=True,
        provider="wechat",
        out_trade_no="SK-SH01-2026-000002",
        transaction_id="4200002026112912345678",
        cashier=yard.shop.reception.world.user("cashier"),
        taken_at=timezone.now(),
    )
    with translation.override("en"):
        text = _text(receipt_pdf(payment=deposit))
    assert (
        "PaymentreceiptDepositReceiptnumberSK-SH01-2026-000002"
        f"Time{store_calendar(yard.store).local(deposit.taken_at):%Y-%m-%d%H:%M}"
        f"Repairordernumber{order.number}Plate沪A12345PayerCustomer"
        "PaymentmethodPaymentcodeTransactionnumber4200002026112912345678Amount¥300.00Cashier收银员"
    ) in text
    # Before the list is confirmed a deposit belongs to no settlement: no list number, nothing open yet.
    assert "Settlementlistnumber" not in text
    assert "Stillopen" not in text
