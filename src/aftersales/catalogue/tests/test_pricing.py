"""The pricing service: (store, pay type, item) → tax-inclusive price, tax split, guide price and the
deviation flag, on every price basis of the pay types' routing table."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from aftersales.catalogue import pricing, services
from aftersales.catalogue.models import LabourTime
from aftersales.catalogue.paytypes import PAY_TYPES
from aftersales.catalogue.tests.factories import LabourOperationFactory
from aftersales.core.errors import ApplicationError
from aftersales.parts import services as part_services
from aftersales.parts.services import ReceiptLine
from aftersales.parts.tests.conftest import Stock

D = Decimal
ON = date(2026, 6, 1)


def test_the_routing_table_names_payer_basis_approval_and_invoice_for_every_pay_type() -> None:
    assert {code: (r.payer, r.price_basis, r.approval, r.invoice) for code, r in PAY_TYPES.items()} == {
        "customer": ("customer", "retail", "customer", "customer"),
        "insurance": ("insurer", "retail", "insurer_assessment", "insured"),
        "oem_warranty": ("manufacturer", "claim", "oem_preauthorisation", "manufacturer_monthly"),
        "oem_campaign": ("manufacturer", "claim", "campaign", "manufacturer_monthly"),
        "oem_free_service": ("manufacturer", "claim", "policy", "manufacturer_monthly"),
        "extended_warranty": ("warranty_provider", "contract", "provider_authorisation", "provider"),
        "internal": ("store", "cost", "manager", "none"),
        "goodwill": ("store", "cost", "manager", "none"),
        "comeback": ("store", "cost", "qc_confirmation", "none"),
    }


def test_part_prices_on_each_basis_with_the_tax_split(stock: Stock) -> None:
    admin = stock.world.user("admin")
    part = stock.part
    part.tax_code, part.tax_rate = "1090416990000000000", D("0.13")
    part.save()
    part_services.part_price_set(
        actor=admin, part_id=part.pk, store_id=None, kind="retail", price=D("88.00"), valid_from=date(2026, 1, 1)
    )
    part_services.part_price_set(
        actor=admin, part_id=part.pk, store_id=None, kind="claim", price=D("61.50"), valid_from=date(2026, 1, 1)
    )
    quote = pricing.part_quote(store=stock.world.sh, pay_type="customer", part=part, quantity=D(3), on=ON)
    # 264.00 gross; net = round(264 / 1.13, 2) = 233.63; tax = 30.37.
    assert (quote.unit_price, quote.amount, quote.net, quote.tax, quote.tax_code) == (
        D("88.00"),
        D("264.00"),
        D("233.63"),
        D("30.37"),
        "1090416990000000000",
    )
    assert (quote.guide_price, quote.deviates, quote.source) == (D("88.00"), False, "group")
    warranty = pricing.part_quote(store=stock.world.sh, pay_type="oem_warranty", part=part, on=ON)
    assert (warranty.price_basis, warranty.unit_price, warranty.deviates) == ("claim", D("61.50"), False)
    # A store price off the guide: the store's price, flagged.
    part_services.part_price_set(
        actor=admin,
        part_id=part.pk,
        store_id=stock.world.sh.pk,
        kind="retail",
        price=D("79.90"),
        valid_from=date(2026, 5, 1),
        reason="促销",
    )
    own = pricing.part_quote(store=stock.world.sh, pay_type="insurance", part=part, on=ON)
    assert (own.unit_price, own.guide_price, own.deviates, own.source) == (D("79.90"), D("88.00"), True, "store")
    before = pricing.part_quote(store=stock.world.sh, pay_type="customer", part=part, on=date(2026, 4, 30))
    assert before.unit_price == D("88.00")
    # Cost basis: the moving average of the store's stock, charged without output VAT.
    part_services.stock_receive(
        actor=admin,
        store_id=stock.world.sh.pk,
        lines=[ReceiptLine(part.pk, stock.a1.pk, D(3), D("40.1234"))],
    )
    internal = pricing.part_quote(store=stock.world.sh, pay_type="goodwill", part=part, quantity=D(2))
    assert (internal.unit_price, internal.amount, internal.tax_rate, internal.tax, internal.source) == (
        D("40.12"),
        D("80.24"),
        D(0),
        D("0.00"),
        "stock_cost",
    )
    with pytest.raises(ApplicationError) as refused:
        pricing.part_quote(store=stock.world.sh, pay_type="extended_warranty", part=part, on=ON)
    assert refused.value.code == "no_price"
    assert refused.value.fields == {"part": ["5Q0-115-561-A 在 2026-06-01 没有有效的合同价。"]}


def test_labour_is_standard_hours_on_the_series_times_the_rate(stock: Stock) -> None:
    admin = stock.world.user("admin")
    operation = LabourOperationFactory.create(group=stock.world.sh.group, default_hours=D("0.80"))
    LabourTime.objects.create(operation=operation, series="帕萨特", hours=D("1.20"))
    services.labour_rate_set(
        actor=admin,
        group_id=stock.world.sh.group_id,
        store_id=None,
        pay_type="customer",
        rate=D("360.00"),
        valid_from=date(2026, 1, 1),
    )
    quote = pricing.labour_quote(store=stock.world.sh, pay_type="customer", operation=operation, series="帕萨特", on=ON)
    assert (quote.quantity, quote.unit_price, quote.amount, quote.net, quote.tax) == (
        D("1.20"),
        D("360.00"),
        D("432.00"),
        D("382.30"),
        D("49.70"),
    )
    other = pricing.labour_quote(store=stock.world.sh, pay_type="customer", operation=operation, series="途观", on=ON)
    assert (other.quantity, other.amount) == (D("0.80"), D("288.00"))
    with pytest.raises(ApplicationError) as refused:
        pricing.labour_quote(store=stock.world.sh, pay_type="oem_warranty", operation=operation, on=ON)
    assert refused.value.code == "no_price"
    # A store rate off the guide rate needs the right to deviate and a reason.
    with pytest.raises(ApplicationError) as refused:
        services.labour_rate_set(
            actor=stock.world.user("parts"),
            group_id=stock.world.sh.group_id,
            store_id=stock.world.sh.pk,
            pay_type="customer",
            rate=D("380.00"),
            valid_from=date(2026, 2, 1),
        )
    assert refused.value.code == "deviation_not_allowed"
    services.labour_rate_set(
        actor=stock.world.user("service_manager"),
        group_id=stock.world.sh.group_id,
        store_id=stock.world.sh.pk,
        pay_type="customer",
        rate=D("380.00"),
        valid_from=date(2026, 2, 1),
        reason="核心商圈",
    )
    own = pricing.labour_quote(store=stock.world.sh, pay_type="customer", operation=operation, series="帕萨特", on=ON)
    assert (own.unit_price, own.amount, own.guide_price, own.deviates) == (D("380.00"), D("456.00"), D("360.00"), True)
