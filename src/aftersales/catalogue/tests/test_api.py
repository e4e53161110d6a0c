"""The catalogue API: operations with hours per series, packages, labour rates, quotes, deviations."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from aftersales.catalogue.models import LabourOperation, ServicePackage
from aftersales.core.models import User
from aftersales.parts.tests.conftest import Stock


def test_operations_packages_rates_quotes_and_deviations(stock: Stock, client_for: Callable[[User], Client]) -> None:
    manager = client_for(stock.world.user("service_manager"))
    admin = client_for(stock.world.user("admin"))
    advisor = client_for(stock.world.user("advisor"))
    brand = stock.part.brand.code
    response = manager.post(
        "/api/v1/catalogue/operations",
        {
            "code": "ev-hv-01",
            "brand": brand,
            "name": "高压电池绝缘检测",
            "category": "ev",
            "default_hours": "1.5",
            "skill_level": "senior",
            "certificate": "ev_hv",
            "bay_kind": "ev_hv",
            "repair_category": "special",
            "times": [{"series": "ID.4", "hours": "1.8"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["code"], body["certificate"], body["times"]) == (
        "EV-HV-01",
        "ev_hv",
        [{"series": "ID.4", "hours": "1.80"}],
    )
    again = manager.post(
        "/api/v1/catalogue/operations",
        {
            "code": "EV-HV-01",
            "brand": brand,
            "name": "x",
            "category": "ev",
            "default_hours": "1",
            "skill_level": "senior",
            "repair_category": "special",
        },
        content_type="application/json",
    )
    assert again.status_code == 400 and again.json()["fields"] == {"code": ["工时项目 EV-HV-01 已存在。"]}
    valid = {
        "code": "X1",
        "name": "x",
        "category": "ev",
        "default_hours": "1",
        "skill_level": "senior",
        "repair_category": "minor",
    }
    assert advisor.post("/api/v1/catalogue/operations", valid, content_type="application/json").status_code == 403

    package = manager.post(
        "/api/v1/catalogue/packages",
        {
            "brand": brand,
            "code": "m10k",
            "name": "10000公里保养",
            "interval_km": 10000,
            "interval_months": 12,
            "fixed_price": "599.00",
            "items": [
                {"kind": "labour", "code": "ev-hv-01"},
                {"kind": "part", "code": "5Q0-115-561-A"},
                {"kind": "consumable", "code": "G052195", "quantity": "4.5"},
            ],
        },
        content_type="application/json",
    )
    assert package.status_code == 201, package.content
    assert [(i["kind"], i["code"], i["quantity"]) for i in package.json()["items"]] == [
        ("consumable", "G052-195", "4.500"),
        ("labour", "EV-HV-01", "1.000"),
        ("part", "5Q0-115-561-A", "1.000"),
    ]
    bad = manager.post(
        "/api/v1/catalogue/packages",
        {
            "brand": brand,
            "code": "m20k",
            "name": "2万",
            "items": [{"kind": "part", "code": "NOPE"}, {"kind": "part", "code": "G052195", "quantity": "0.25"}],
        },
        content_type="application/json",
    )
    assert bad.json()["fields"] == {
        "items.0.part": ["请选择套餐品牌的配件。"],
        "items.1.quantity": ["G052-195 最多允许 1 位小数。"],
    }
    assert ServicePackage.objects.count() == 1

    assert (
        admin.post(
            "/api/v1/catalogue/labour-rates",
            {"pay_type": "customer", "rate": "360.00", "valid_from": "2026-01-01"},
            content_type="application/json",
        ).status_code
        == 201
    )
    refused = manager.post(
        "/api/v1/catalogue/labour-rates",
        {"store": "SH01", "pay_type": "customer", "rate": "380.00", "valid_from": "2026-02-01"},
        content_type="application/json",
    )
    assert refused.json()["fields"] == {"reason": ["请说明偏离指导价的原因。"]}
    assert (
        manager.post(
            "/api/v1/catalogue/labour-rates",
            {
                "store": "SH01",
                "pay_type": "customer",
                "rate": "380.00",
                "valid_from": "2026-02-01",
                "reason": "核心商圈",
            },
            content_type="application/json",
        ).status_code
        == 201
    )
    quote = advisor.get(
        "/api/v1/catalogue/quote?store=SH01&pay_type=customer&operation=EV-HV-01&series=ID.4&on=2026-06-01"
    ).json()
    assert {
        k: quote[k] for k in ("item", "quantity", "unit_price", "amount", "net", "tax", "guide_price", "deviates")
    } == {
        "item": "EV-HV-01",
        "quantity": "1.80",
        "unit_price": "380.00",
        "amount": "684.00",
        "net": "605.31",
        "tax": "78.69",
        "guide_price": "360.00",
        "deviates": True,
    }
    deviations = advisor.get("/api/v1/catalogue/price-deviations?on=2026-06-01").json()
    assert [(d["store"], d["kind"], d["price"], d["guide"], d["reason"]) for d in deviations] == [
        ("SH01", "labour", "380.00", "360.00", "核心商圈")
    ]
    pay_types = advisor.get("/api/v1/pay-types").json()
    assert [p["code"] for p in pay_types][:3] == ["customer", "insurance", "oem_warranty"]
    assert LabourOperation.objects.count() == 1
