"""``Customer.personal_fields`` declares a customer's personal data once; every surface reads it: the
record page, its change log and timeline, the API answer and timeline, the Excel export, reveals and
anonymisation."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from aftersales.conftest import World
from aftersales.core.models import AuditEntry, User
from aftersales.core.services import token_create
from aftersales.customers import services
from aftersales.customers.models import Customer
from aftersales.customers.tests.factories import CustomerFactory

RESIDENT_ID = "11010519491231002X"
BEFORE = {
    "mobiles": "13812345678",
    "landline": "021-61234567",
    "email": "zhao@example.com",
    "street": "世纪大道100号",
    "emergency_phone": "13900000009",
}
AFTER = {
    "mobiles": "13787654321",
    "landline": "021-62345678",
    "email": "liu@example.com",
    "street": "张杨路1号",
    "emergency_phone": "13900000008",
}


@pytest.fixture
def customer(world: World) -> Customer:
    created = CustomerFactory(
        name="赵六",
        mobiles=[BEFORE["mobiles"]],
        landline=BEFORE["landline"],
        email=BEFORE["email"],
        province="上海市",
        city="上海市",
        district="浦东新区",
        street=BEFORE["street"],
        resident_id=RESIDENT_ID,
        emergency_contact="赵七",
        emergency_phone=BEFORE["emergency_phone"],
    )
    data: dict[str, Any] = {key: value for key, value in AFTER.items() if key != "mobiles"}
    services.customer_update(
        actor=world.user("advisor"),
        customer_id=created.pk,
        version=1,
        data={**data, "mobiles": [AFTER["mobiles"]]},
    )
    created.refresh_from_db()
    return created


def _masked(values: dict[str, str]) -> dict[str, str]:
    return {key: Customer.personal_masks[key](value) for key, value in values.items()}


def _full_values() -> list[str]:
    return [*BEFORE.values(), *AFTER.values(), RESIDENT_ID]


def test_the_declaration_covers_the_masked_fields_the_trail_and_the_reveal() -> None:
    assert set(Customer.personal_masks) == {
        "mobiles",
        "landline",
        "email",
        "wechat_id",
        "street",
        "uscc",
        "birthday",
        "emergency_phone",
    }
    assert Customer.audit_personal == frozenset(Customer.personal_fields)
    assert Customer.revealable == (
        "mobiles",
        "landline",
        "email",
        "wechat_id",
        "uscc",
        "birthday",
        "emergency_phone",
        "address",
        "resident_id",
    )


def test_a_technician_sees_every_declared_value_masked_on_the_page_its_change_log_and_timeline(
    world: World, customer: Customer, client_for: Callable[[User], Client]
) -> None:
    response = client_for(world.user("technician")).get(f"/customers/{customer.pk}/", headers={"accept-language": "en"})
    html = response.content.decode()
    for value in _full_values():
        assert value not in html, value
    personal = response.context["personal"]
    assert {key: personal[key] for key in AFTER if key != "mobiles"} == {
        key: value for key, value in _masked(AFTER).items() if key != "mobiles"
    }
    assert personal["mobiles"] == ["137****4321"]
    mobiles, fields = response.context["changes"][:2]  # one update: the mobiles' entry, then the fields'
    shown = {line.label: (line.previous, line.value) for line in [*mobiles.lines, *fields.lines]}
    assert shown["Landline"] == ("****", "****")
    assert shown["E-mail"] == ("****", "****")
    assert shown["Street address"] == ("****", "****")
    assert shown["Emergency phone"] == ("139****0009", "139****0008")
    assert shown["Mobile numbers"] == ("138****5678", "137****4321")


def test_the_api_masks_the_declared_values_for_a_session_and_shows_them_to_a_token_with_the_right(
    world: World, customer: Customer, client_for: Callable[[User], Client]
) -> None:
    session = client_for(world.user("technician"))
    body = session.get(f"/api/v1/customers/{customer.pk}").json()
    assert {key: body[key] for key in ("landline", "email", "street", "emergency_phone")} == {
        "landline": "****",
        "email": "****",
        "street": "****",
        "emergency_phone": "139****0008",
    }
    assert (body["mobiles"], body["resident_id"], body["address"]) == (
        ["137****4321"],
        "1101**********002X",
        "上海市浦东新区****",
    )
    timeline = json.dumps(session.get(f"/api/v1/customers/{customer.pk}/timeline").json(), ensure_ascii=False)
    for value in _full_values():
        assert value not in timeline, value

    _token, raw = token_create(user=world.user("advisor"), name="dms")
    full = Client().get(f"/api/v1/customers/{customer.pk}", headers={"authorization": f"Bearer {raw}"}).json()
    assert {key: full[key] for key in ("landline", "email", "street", "emergency_phone")} == {
        key: value for key, value in AFTER.items() if key != "mobiles"
    }
    assert (full["mobiles"], full["resident_id"]) == ([AFTER["mobiles"]], RESIDENT_ID)


def test_every_masked_value_can_be_revealed_one_at_a_time_and_each_reveal_is_recorded(
    world: World, customer: Customer, client_for: Callable[[User], Client]
) -> None:
    advisor = client_for(world.user("advisor"))
    revealed = {
        field: advisor.post(
            f"/api/v1/customers/{customer.pk}/reveal", {"field": field}, content_type="application/json"
        ).json()["value"]
        for field in Customer.revealable
    }
    assert revealed == {
        "mobiles": AFTER["mobiles"],
        "landline": AFTER["landline"],
        "email": AFTER["email"],
        "wechat_id": "",
        "uscc": "",
        "birthday": "1949-12-31",  # from the resident ID
        "emergency_phone": AFTER["emergency_phone"],
        "address": "上海市浦东新区张杨路1号",
        "resident_id": RESIDENT_ID,
    }
    entries = AuditEntry.objects.filter(action="reveal").order_by("id")
    assert [(entry.actor_id, entry.changes) for entry in entries] == [
        (world.user("advisor").pk, {"field": field}) for field in Customer.revealable
    ]
    refused = advisor.post(
        f"/api/v1/customers/{customer.pk}/reveal",
        {"field": "preferences"},
        content_type="application/json",
        headers={"accept-language": "en"},
    )
    assert refused.status_code == 422
    assert refused.json()["fields"] == {
        "field": [
            "Choose one of: mobiles, landline, email, wechat_id, uscc, birthday, emergency_phone, address or resident_id."
        ]
    }
    assert AuditEntry.objects.filter(action="reveal").count() == len(Customer.revealable)


def test_the_export_masks_the_declared_values_for_a_reader_without_the_right(
    world: World, customer: Customer, client_for: Callable[[User], Client]
) -> None:
    response = client_for(world.user("auditor")).get("/api/v1/customers/export")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active  # type: ignore[attr-defined]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    cells = {str(cell) for row in rows for cell in row if cell is not None}
    for value in _full_values():
        assert value not in cells, value
    row = next(row for row in rows if customer.number in row)
    assert {"137****4321", "****", "139****0008", "1101**********002X"} <= set(row)


def test_anonymisation_empties_every_declared_field_and_the_values_derived_from_them(
    world: World, customer: Customer
) -> None:
    services.customer_anonymise(actor=world.user("manager"), customer_id=customer.pk, reason="本人书面申请删除")
    customer.refresh_from_db()
    assert customer.name == f"已匿名客户 {customer.number}"
    left = {
        name: getattr(customer, name)
        for name in (*Customer.personal_fields, *Customer.personal_derived)
        if name not in {"name", "mobiles"}
    }
    assert left == {name: [] if name == "tags" else None if name == "birthday" else "" for name in left}
    assert not customer.phones.exists()
