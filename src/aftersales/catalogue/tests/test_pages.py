"""The catalogue pages: an operation with hours per series and its prices here, packages, pay types
with labour rates (a store's rate off the guide needs a reason), and the deviations report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from django.test import Client

from aftersales.catalogue import services
from aftersales.catalogue.models import LabourOperation, LabourRate
from aftersales.catalogue.services import PackageLine
from aftersales.core.models import User
from aftersales.parts import services as part_services
from aftersales.parts.tests.conftest import Stock


def test_operation_form_prices_packages_rates_and_deviations(
    stock: Stock, client_for: Callable[[User], Client]
) -> None:
    manager = client_for(stock.world.user("service_manager"))
    form = {
        "code": "b01",
        "brand": str(stock.part.brand_id),
        "name": "更换前刹车片",
        "category": "chassis",
        "default_hours": "1.00",
        "skill_level": "intermediate",
        "repair_category": "minor",
        "tax_code": "3040305000000000000",
        "times": "帕萨特 = 1.2\n途观L = x",
        "is_active": "on",
    }
    bad = manager.post("/catalogue/operations/new/", form)
    assert bad.status_code == 400 and bad.context["form"].errors == {
        "times": ["第 2 行:请写成 车系 = 工时,例如 帕萨特 = 1.2。"]
    }
    bad_code = manager.post(
        "/catalogue/operations/new/", {**form, "times": "帕萨特 = 1.2", "tax_code": "9223372036854775808"}
    )
    assert bad_code.context["form"].errors == {"tax_code": ["税收分类编码为 19 位数字,首位为 1 至 6。"]}
    assert LabourOperation.objects.count() == 0
    created = manager.post("/catalogue/operations/new/", {**form, "times": "帕萨特 = 1.2\n途观L = 1.4"})
    assert created.status_code == 302
    operation = LabourOperation.objects.get()
    assert dict(operation.times.values_list("series", "hours")) == {"帕萨特": Decimal("1.20"), "途观L": Decimal("1.40")}
    services.labour_rate_set(
        actor=None,
        group_id=stock.world.sh.group_id,
        store_id=None,
        pay_type="customer",
        rate=Decimal("300.00"),
        valid_from=date(2026, 1, 1),
    )
    detail = manager.get(f"/catalogue/operations/{operation.pk}/?series=途观L")
    quotes = {route.code: quote for route, quote, _problem in detail.context["quotes"]}
    assert quotes["customer"].amount == Decimal("420.00") and quotes["oem_warranty"] is None

    off = {
        "pay_type": "customer",
        "scope": str(stock.world.sh.pk),
        "rate": "330.00",
        "valid_from": "2026-02-01",
        "reason": "",
    }
    refused = manager.post("/catalogue/pay-types/", off)
    assert refused.status_code == 400 and refused.context["form"].errors == {"reason": ["请说明偏离指导价的原因。"]}
    assert manager.post("/catalogue/pay-types/", {**off, "reason": "商圈竞争"}).status_code == 302
    assert LabourRate.objects.filter(store=stock.world.sh).get().rate == Decimal("330.00")
    report = manager.get("/catalogue/prices/deviations/?on=2026-06-01")
    assert [(d.store, d.kind, d.price, d.guide) for d in report.context["rows"]] == [
        ("SH01", "labour", Decimal("330.00"), Decimal("300.00"))
    ]

    part_services.part_price_set(
        actor=None,
        part_id=stock.part.pk,
        store_id=None,
        kind="retail",
        price=Decimal("88.00"),
        valid_from=date(2026, 1, 1),
    )
    package = services.package_save(
        actor=None,
        group_id=stock.world.sh.group_id,
        brand_id=stock.part.brand_id,
        code="BRK",
        data={"name": "刹车保养", "series": "帕萨特"},
        items=[
            PackageLine("labour", operation_id=operation.pk),
            PackageLine("part", part_id=stock.part.pk, quantity=Decimal(2)),
        ],
    )
    page = manager.get(f"/catalogue/packages/{package.pk}/")
    # Labour 1.2 h × 330.00 (this store's own rate) = 396.00; parts 2 × 88.00 = 176.00.
    assert page.context["total"] == Decimal("572.00")
    assert manager.get("/catalogue/packages/").status_code == 200
    assert manager.get("/catalogue/?category=nope").status_code == 400
