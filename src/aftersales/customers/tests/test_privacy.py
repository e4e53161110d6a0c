"""Personal-information requests (export, consent withdrawal, anonymisation) and key rotation."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from openpyxl import load_workbook

from aftersales.conftest import World
from aftersales.core import identifiers
from aftersales.core.audit import ERASED, audit_personal_fill, audit_verify
from aftersales.core.models import AuditEntry, User
from aftersales.core.scope import scope_of
from aftersales.core.tests.factories import image_bytes
from aftersales.customers import encryption, selectors, services
from aftersales.customers.models import (
    Customer,
    CustomerDocument,
    CustomerPhone,
    MileageReading,
    SearchKey,
    VehicleLink,
)

RESIDENT_ID = "11010519491231002X"
OTHER_RESIDENT_ID = "11010519900101123" + identifiers.resident_id_check_char("11010519900101123")
VIN = "1M8GDM9AXKP042788"
PNG = image_bytes("PNG")
EN = {"accept-language": "en"}


@pytest.fixture(autouse=True)
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture(autouse=True)
def fresh_keys() -> Iterator[None]:
    encryption.reset_key_cache()
    yield
    encryption.reset_key_cache()


@pytest.fixture
def holds() -> Iterator[list[Callable[[Customer], str | None]]]:
    registered = list(selectors.LEGAL_HOLDS)
    yield selectors.LEGAL_HOLDS
    selectors.LEGAL_HOLDS[:] = registered


def full_customer(world: World, **extra: Any) -> Customer:
    """A customer with every personal field filled, a vehicle with mileage and a document."""
    advisor = world.user("advisor")
    with scope_of(advisor):
        return _full_customer(world, advisor, **extra)


def _full_customer(world: World, advisor: User, **extra: Any) -> Customer:
    customer = services.customer_create(
        actor=advisor,
        store=world.sh,
        data={
            "name": "张三",
            "mobiles": ["13812345678", "13900001111"],
            "resident_id": RESIDENT_ID,
            "email": "zhang.san@example.com",
            "landline": "021-55556666",
            "province": "上海市",
            "city": "上海市",
            "district": "浦东新区",
            "street": "世纪大道100号",
            "emergency_contact": "李四",
            "emergency_phone": "13700002222",
            "preferences": "周末取车",
            "tags": ["VIP客户"],
            "marketing_consent": True,
            "marketing_consent_channel": "paper",
            "data_consent": True,
            "data_consent_channel": "paper",
            **extra,
        },
    )
    vehicle = services.vehicle_create(
        actor=advisor, owner=customer, data={"vin": VIN, "plate": "沪A12345"}, owned_from=date(2024, 1, 1)
    )
    services.mileage_record(
        actor=advisor, vehicle_id=vehicle.pk, km=12000, read_on=date(2024, 6, 1), source="reception"
    )
    services.document_upload(
        actor=advisor,
        store=customer.home_store,
        customer=customer,
        kind="id_card",
        uploaded_file=SimpleUploadedFile("身份证.png", PNG),
    )
    return Customer.objects.get(pk=customer.pk)


@pytest.fixture
def manager(world: World, client_for: Callable[[User], Client]) -> Client:
    return client_for(world.user("manager"))


# --- export -------------------------------------------------------------------------------------


def test_export_holds_every_stored_field_with_the_resident_id_decrypted(world: World) -> None:
    customer = full_customer(world)
    document = CustomerDocument.objects.get()

    data = selectors.pi_export(customer)

    assert set(data) == {
        "exported_at",
        "customer",
        "former_numbers",
        "phones",
        "vehicles",
        "documents",
        "consents",
        "change_log",
    }
    person = data["customer"]
    assert person["resident_id"] == RESIDENT_ID
    assert "resident_id_cipher" not in person and "resident_id_digest" not in person
    expected_fields = {f.name for f in Customer._meta.concrete_fields} - {"resident_id_cipher", "resident_id_digest"}
    assert set(person) == expected_fields | {"resident_id"}
    assert (person["name"], person["email"], person["street"], person["emergency_phone"], person["tags"]) == (
        "张三",
        "zhang.san@example.com",
        "世纪大道100号",
        "13700002222",
        ["VIP客户"],
    )
    assert (person["home_store"], person["owner"], person["resident_id_hint"]) == (
        "SH01",
        "advisor_sh",
        "1101**********002X",
    )
    assert data["phones"] == [
        {"number": "13812345678", "is_primary": True},
        {"number": "13900001111", "is_primary": False},
    ]
    assert data["vehicles"] == [
        {
            "vin": VIN,
            "plate": "沪A12345",
            "model": "",
            "model_year": None,
            "colour": "",
            "role": "owner",
            "valid_from": "2024-01-01",
            "valid_to": None,
            "mileage": [{"km": 12000, "read_on": "2024-06-01", "source": "reception", "reason": ""}],
        }
    ]
    assert [(d["id"], d["kind"], d["file_name"], d["size"], d["uploaded_by"]) for d in data["documents"]] == [
        (document.pk, "id_card", "身份证.png", len(PNG), "advisor_sh")
    ]
    assert [(c["purpose"], c["given"], c["channel"], c["source"]) for c in data["consents"]] == [
        ("marketing", True, "paper", "current"),
        ("data", True, "paper", "current"),
        ("sharing", False, "", "current"),
        ("marketing", True, "paper", "change_log"),
        ("data", True, "paper", "change_log"),
        ("sharing", False, "", "change_log"),  # recorded as not given when the customer was registered
    ]
    assert [(e["action"], e["actor"], e["object_type"]) for e in data["change_log"]] == [
        ("create", "advisor_sh", "customers.customer")
    ]
    assert data["change_log"][0]["changes"]["email"] == [None, "zhang.san@example.com"]


def test_export_includes_later_changes_and_only_the_mileage_of_the_ownership(world: World) -> None:
    customer = full_customer(world)
    vehicle = VehicleLink.objects.get(customer=customer).vehicle
    buyer = services.customer_create(actor=world.user("advisor"), store=world.sh, data={"name": "王五"})
    services.vehicle_transfer(actor=world.user("advisor"), vehicle_id=vehicle.pk, new_owner=buyer, on=date(2025, 1, 1))
    MileageReading.objects.create(vehicle=vehicle, km=30000, read_on=date(2025, 6, 1), source="reception")
    with scope_of(world.user("crm")):
        services.customer_update(actor=world.user("crm"), customer_id=customer.pk, version=1, data={"email": ""})

    data = selectors.pi_export(customer)

    assert [(v["valid_to"], [m["km"] for m in v["mileage"]]) for v in data["vehicles"]] == [("2025-01-01", [12000])]
    assert [(e["action"], e["actor"], e["changes"].get("email")) for e in data["change_log"]] == [
        ("update", "crm_sh", ["zhang.san@example.com", ""]),
        ("create", "advisor_sh", [None, "zhang.san@example.com"]),
    ]
    assert selectors.pi_export(buyer)["vehicles"][0]["mileage"] == [
        {"km": 30000, "read_on": "2025-06-01", "source": "reception", "reason": ""}
    ]


def test_json_export_download_is_audited(world: World, manager: Client) -> None:
    customer = full_customer(world)

    response = manager.get(f"/api/v1/customers/{customer.pk}/pi-export", {"format": "json"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="personal-information-{customer.number}.json"'
    assert response["Cache-Control"] == "private, no-store"
    body = json.loads(response.content)
    assert body["customer"]["resident_id"] == RESIDENT_ID
    assert body["change_log"][0]["action"] == "create"
    entry = AuditEntry.objects.get(action="export")
    assert (entry.actor_username, entry.object_type, entry.object_id, entry.store_id, entry.changes) == (
        "manager_sh",
        "customers.customer",
        str(customer.pk),
        world.sh.pk,
        {"format": "json", "kind": "personal_information"},
    )


def test_excel_export_has_one_sheet_per_section(world: World, manager: Client) -> None:
    customer = full_customer(world, preferences='=HYPERLINK("http://evil")')

    response = manager.get(f"/api/v1/customers/{customer.pk}/pi-export", {"format": "xlsx"}, headers=EN)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == [
        "Customer",
        "Former numbers",
        "Mobiles",
        "Vehicles",
        "Mileage",
        "Documents",
        "Consents",
        "Change log",
    ]
    fields = {row[0]: row[1] for row in workbook["Customer"].iter_rows(min_row=2, values_only=True)}
    assert fields["resident_id"] == RESIDENT_ID
    assert fields["name"] == "张三"
    preferences = next(c for c in workbook["Customer"]["A"] if c.value == "preferences").offset(column=1)
    assert (preferences.value, preferences.data_type) == ('=HYPERLINK("http://evil")', "s")
    assert list(workbook["Mobiles"].values) == [("number", "is_primary"), ("13812345678", True), ("13900001111", False)]
    assert list(workbook["Mileage"].values) == [
        ("vin", "km", "read_on", "source", "reason"),
        (VIN, 12000, "2024-06-01", "reception", None),
    ]
    assert workbook["Change log"].max_row == 2
    assert AuditEntry.objects.get(action="export").changes == {"format": "xlsx", "kind": "personal_information"}


def test_export_needs_the_privacy_right(world: World, client_for: Callable[[User], Client]) -> None:
    customer = full_customer(world)
    for role in ("advisor", "crm", "technician"):
        client = client_for(world.user(role))
        assert client.get(f"/api/v1/customers/{customer.pk}/pi-export").status_code == 403
        assert client.get(f"/customers/privacy/{customer.pk}/export/").status_code == 403
    assert client_for(world.user("manager")).get("/api/v1/customers/999999/pi-export").status_code == 404
    unknown = client_for(world.user("manager")).get(f"/api/v1/customers/{customer.pk}/pi-export", {"format": "csv"})
    assert (unknown.status_code, unknown.json()["fields"]) == (
        422,
        {"format": ["请从以下选项中选择：json，xlsx 或 pdf。"]},
    )
    assert not AuditEntry.objects.filter(action="export").exists()


# --- anonymisation ------------------------------------------------------------------------------


def test_anonymise_clears_every_personal_field_and_search_no_longer_finds_the_customer(
    world: World, manager: Client, data_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    customer = full_customer(world)
    number = customer.number
    assert [hit.customer.pk for hit in selectors.archive_search("张三").hits] == [customer.pk]
    audit_before = AuditEntry.objects.count()
    personal_values = ("zhang.san@example.com", "13812345678", "世纪大道100号", "张三", "李四")
    trail_before = _trail_text()
    assert all(value in trail_before for value in personal_values)

    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(
            f"/api/v1/customers/{customer.pk}/anonymise",
            {"reason": "客户书面申请删除 2026-03-01"},
            content_type="application/json",
        )

    assert response.status_code == 200, response.json()
    customer.refresh_from_db()
    assert response.json() == {
        "id": customer.pk,
        "number": number,
        "name": f"已匿名客户 {number}",
        "anonymised_at": response.json()["anonymised_at"],
    }
    assert customer.anonymised_at is not None
    assert {field: getattr(customer, field) for field in selectors.PERSONAL_FIELDS} == dict(selectors.PERSONAL_FIELDS)
    assert (customer.name, customer.tags, customer.number) == (f"已匿名客户 {number}", [], number)
    assert (customer.marketing_consent, customer.data_consent) == (False, False)
    assert customer.marketing_consent_at == customer.data_consent_at == customer.anonymised_at
    assert (customer.marketing_consent_channel, customer.data_consent_channel) == ("", "")
    assert not CustomerPhone.objects.filter(customer=customer).exists()
    assert not CustomerDocument.objects.exists()
    assert list((data_dir / "documents").iterdir()) == []
    assert not SearchKey.objects.filter(customer=customer).exists()
    for text in ("张三", "zs", "13812345678", "5678", number):
        assert selectors.archive_search(text).hits == [], text
    # Vehicle data is not personal: the vehicle, its link and its mileage stay.
    link = VehicleLink.objects.get(customer=customer)
    assert (link.vehicle.vin, link.role, link.valid_to) == (VIN, "owner", None)
    assert MileageReading.objects.filter(vehicle=link.vehicle).count() == 1
    # One entry for the customer (fields named, values not) and one per deleted document.
    new_entries = AuditEntry.objects.order_by("id")[audit_before:]
    assert [(e.action, e.object_type) for e in new_entries] == [
        ("delete", "customers.customerdocument"),
        ("anonymise", "customers.customer"),
    ]
    entry = new_entries[1]
    assert (entry.actor_username, entry.object_id, entry.object_repr) == ("manager_sh", str(customer.pk), number)
    assert entry.changes == {
        "reason": "客户书面申请删除 2026-03-01",
        "cleared": [
            "name",
            "birthday",
            "city",
            "district",
            "email",
            "emergency_contact",
            "emergency_phone",
            "gender",
            "landline",
            "name_initials",
            "name_pinyin",
            "preferences",
            "province",
            "resident_id_cipher",
            "resident_id_digest",
            "resident_id_hint",
            "street",
            "tags",
        ],
        "phones_deleted": 2,
        "documents_deleted": 1,
        "search_keys_deleted": entry.changes["search_keys_deleted"],
        "audit_values_erased": 1,
        "consents_withdrawn": ["marketing", "data"],
        "merged_record": False,
    }
    assert entry.changes["search_keys_deleted"] > 0
    # The earlier entry (the customer's creation, with its two mobiles) loses the values, not their place
    # in the chain: it still verifies, and the change log shows where a value was erased.
    trail_after = _trail_text()
    assert not [value for value in personal_values if value in trail_after]
    assert audit_verify() == (AuditEntry.objects.count(), None)
    created = selectors.change_log(customer)[-1]
    assert (created.action, created.changes["email"], created.changes["name"]) == (
        "create",
        [None, ERASED],
        [None, ERASED],
    )

    # The record is read-only from now on: an edit would bring personal data back.
    edit = manager.patch(
        f"/api/v1/customers/{customer.pk}",
        {"version": customer.version, "street": "世纪大道100号"},
        content_type="application/json",
        headers={"accept-language": "en"},
    )
    assert (edit.status_code, edit.json()["code"]) == (409, "anonymised")
    assert edit.json()["detail"] == "This customer was anonymised on request; the record can no longer be edited."
    assert manager.get(f"/customers/{customer.pk}/edit/").url == f"/customers/{customer.pk}/"
    assert 'data-testid="edit"' not in manager.get(f"/customers/{customer.pk}/").content.decode()
    assert Customer.objects.get(pk=customer.pk).street == ""


def _trail_text() -> str:
    """Every audit entry as readers see it (personal values restored where they are kept)."""
    entries = audit_personal_fill(AuditEntry.objects.order_by("id"))
    return json.dumps([(e.object_repr, e.changes) for e in entries], ensure_ascii=False)


def test_anonymise_clears_the_credit_code_of_a_company(world: World, manager: Client) -> None:
    company = services.customer_create(
        actor=world.user("advisor"),
        store=world.sh,
        data={"kind": "company", "name": "上海某某物流有限公司", "uscc": "91350100M000100Y43"},
    )
    assert company.uscc == "91350100M000100Y43"
    services.customer_anonymise(actor=world.user("manager"), customer_id=company.pk, reason="申请")
    company.refresh_from_db()
    assert (company.uscc, company.name) == ("", f"已匿名客户 {company.number}")
    assert selectors.archive_search("上海某某").count == 0


def test_anonymise_twice_is_a_clear_422(world: World, manager: Client) -> None:
    customer = full_customer(world)
    url = f"/api/v1/customers/{customer.pk}/anonymise"
    assert manager.post(url, {"reason": "申请"}, content_type="application/json").status_code == 200
    entries = AuditEntry.objects.count()

    again = manager.post(url, {"reason": "申请"}, content_type="application/json", headers=EN)

    assert again.status_code == 422
    customer.refresh_from_db()
    assert again.json()["code"] == "already_anonymised"
    assert again.json()["detail"].startswith("This customer was already anonymised on ")
    assert AuditEntry.objects.count() == entries


def test_a_legal_hold_blocks_anonymisation_with_its_reason(
    world: World, manager: Client, holds: list[Callable[[Customer], str | None]], data_dir: Path
) -> None:
    customer = full_customer(world)
    other = services.customer_create(actor=world.user("advisor"), store=world.sh, data={"name": "李四"})
    holds.append(lambda c: "2 invoices must be kept until 2031-12-31." if c.pk == customer.pk else None)
    holds.append(lambda c: None)
    before = Customer.objects.values().get(pk=customer.pk)
    entries = AuditEntry.objects.count()

    response = manager.post(
        f"/api/v1/customers/{customer.pk}/anonymise", {"reason": "申请"}, content_type="application/json", headers=EN
    )

    assert response.status_code == 422
    assert response.json() == {
        "code": "legal_hold",
        "detail": "This customer cannot be anonymised: 2 invoices must be kept until 2031-12-31.",
        "fields": {"__all__": ["2 invoices must be kept until 2031-12-31."]},
    }
    assert Customer.objects.values().get(pk=customer.pk) == before
    assert CustomerPhone.objects.filter(customer=customer).count() == 2
    assert (
        CustomerDocument.objects.count() == 1 and len(list((data_dir / "documents").iterdir())) == 2
    )  # photo, thumbnail
    assert AuditEntry.objects.count() == entries
    # A customer the hold does not concern can be anonymised.
    allowed = manager.post(
        f"/api/v1/customers/{other.pk}/anonymise", {"reason": "申请"}, content_type="application/json"
    )
    assert allowed.status_code == 200


def test_records_merged_into_the_customer_are_anonymised_too(world: World) -> None:
    customer = full_customer(world)
    duplicate = services.customer_create(
        actor=world.user("advisor"),
        store=world.sz,
        data={"name": "张三", "mobiles": ["13655556666"], "email": "zs@example.com"},
    )
    services.customer_merge(actor=world.user("crm"), survivor_id=customer.pk, merged_id=duplicate.pk, choices={})

    services.customer_anonymise(actor=world.user("manager"), customer_id=customer.pk, reason="申请")

    duplicate.refresh_from_db()
    assert (duplicate.name, duplicate.email, duplicate.anonymised_at is not None) == (
        f"已匿名客户 {duplicate.number}",
        "",
        True,
    )
    assert not CustomerPhone.objects.filter(customer__in=[customer, duplicate]).exists()
    assert selectors.archive_search("13655556666").count == 0
    assert [
        (e.object_id, e.changes["merged_record"]) for e in AuditEntry.objects.filter(action="anonymise").order_by("id")
    ] == [(str(customer.pk), False), (str(duplicate.pk), True)]


def test_anonymise_needs_a_reason_and_the_privacy_right(world: World, client_for: Callable[[User], Client]) -> None:
    customer = full_customer(world)
    url = f"/api/v1/customers/{customer.pk}/anonymise"
    empty = client_for(world.user("manager")).post(url, {"reason": "  "}, content_type="application/json")
    assert (empty.status_code, empty.json()["fields"]) == (422, {"reason": ["请至少输入 1 个字符。"]})
    for role in ("advisor", "crm", "finance"):
        refused = client_for(world.user(role)).post(url, {"reason": "x"}, content_type="application/json")
        assert refused.status_code == 403, role
    assert Client().post(url, {"reason": "x"}, content_type="application/json").status_code == 401
    assert (
        client_for(world.user("manager"))
        .post("/api/v1/customers/999999/anonymise", {"reason": "x"}, content_type="application/json")
        .status_code
        == 404
    )
    customer.refresh_from_db()
    assert (customer.name, customer.anonymised_at) == ("张三", None)


# --- consent withdrawal -------------------------------------------------------------------------


def test_withdrawing_marketing_consent_keeps_documents(world: World, manager: Client) -> None:
    customer = full_customer(world)
    response = manager.post(
        f"/api/v1/customers/{customer.pk}/consent/withdraw", {"which": "marketing"}, content_type="application/json"
    )
    assert response.status_code == 200
    customer.refresh_from_db()
    body = response.json()
    assert (body["marketing_consent"], body["data_consent"], body["documents"]) == (False, True, 1)
    assert customer.marketing_consent is False and customer.marketing_consent_at is not None
    entry = AuditEntry.objects.filter(object_type="customers.customer", action="update").latest("id")
    assert entry.changes["marketing_consent"] == [True, False]
    assert entry.actor_username == "manager_sh"


def test_withdrawing_data_consent_deletes_the_documents(
    world: World, manager: Client, data_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    customer = full_customer(world)
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(
            f"/api/v1/customers/{customer.pk}/consent/withdraw", {"which": "data"}, content_type="application/json"
        )
    assert response.status_code == 200
    assert (response.json()["data_consent"], response.json()["documents"]) == (False, 0)
    assert not CustomerDocument.objects.exists()
    assert list((data_dir / "documents").iterdir()) == []
    upload = manager.post(
        f"/api/v1/customers/{customer.pk}/documents", {"kind": "id_card", "file": SimpleUploadedFile("a.png", PNG)}
    )
    assert (upload.status_code, upload.json()["code"]) == (422, "no_consent")


def test_withdrawing_a_consent_not_given_is_refused(world: World, manager: Client) -> None:
    customer = services.customer_create(actor=world.user("advisor"), store=world.sh, data={"name": "李四"})
    response = manager.post(
        f"/api/v1/customers/{customer.pk}/consent/withdraw",
        {"which": "marketing"},
        content_type="application/json",
        headers=EN,
    )
    assert (response.status_code, response.json()["fields"]) == (
        422,
        {"which": ["This customer has not given this consent, so there is nothing to withdraw."]},
    )
    bad = manager.post(
        f"/api/v1/customers/{customer.pk}/consent/withdraw", {"which": "all"}, content_type="application/json"
    )
    assert (bad.status_code, bad.json()["fields"]) == (
        422,
        {"which": ["请从以下选项中选择：marketing，data 或 sharing。"]},
    )


# --- pages --------------------------------------------------------------------------------------


def test_requests_page_offers_exports_consents_and_anonymisation(
    world: World, manager: Client, client_for: Callable[[User], Client]
) -> None:
    customer = full_customer(world)
    response = manager.get(f"/customers/privacy/{customer.pk}/", headers=EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="/customers/privacy/{customer.pk}/export/?format=json"' in html
    assert f'href="/customers/privacy/{customer.pk}/export/?format=xlsx"' in html
    assert 'data-testid="withdraw-marketing"' in html and 'data-testid="withdraw-data"' in html
    assert 'data-testid="anonymise-form"' in html
    assert client_for(world.user("advisor")).get(f"/customers/privacy/{customer.pk}/").status_code == 403


def test_anonymise_on_the_page_needs_the_confirmation(
    world: World, manager: Client, django_capture_on_commit_callbacks: Any
) -> None:
    customer = full_customer(world)
    url = f"/customers/privacy/{customer.pk}/"

    refused = manager.post(url, {"action": "anonymise", "reason": "申请"}, headers=EN)

    assert refused.status_code == 400
    assert refused.context["anonymise_form"].errors == {"confirm": ["Tick the box to confirm."]}
    assert 'data-testid="error-confirm">Tick the box to confirm.</div>' in refused.content.decode()
    customer.refresh_from_db()
    assert customer.anonymised_at is None

    with django_capture_on_commit_callbacks(execute=True):
        done = manager.post(url, {"action": "anonymise", "reason": "申请", "confirm": "on"})

    assert (done.status_code, done["Location"]) == (302, url)
    customer.refresh_from_db()
    assert customer.anonymised_at is not None
    page = manager.get(url, headers=EN).content.decode()
    assert 'data-testid="anonymised"' in page and 'data-testid="anonymise-form"' not in page


def test_the_page_shows_a_legal_hold_and_the_refusal(
    world: World, manager: Client, holds: list[Callable[[Customer], str | None]]
) -> None:
    customer = full_customer(world)
    holds.append(lambda c: "Open repair order RO-1 must be invoiced first.")
    url = f"/customers/privacy/{customer.pk}/"
    assert "Open repair order RO-1 must be invoiced first." in manager.get(url, headers=EN).content.decode()

    response = manager.post(url, {"action": "anonymise", "reason": "申请", "confirm": "on"}, headers=EN)

    assert response.status_code == 400
    assert response.context["anonymise_form"].non_field_errors() == ["Open repair order RO-1 must be invoiced first."]
    customer.refresh_from_db()
    assert customer.anonymised_at is None


def test_consent_withdrawal_on_the_page(world: World, manager: Client) -> None:
    customer = full_customer(world)
    url = f"/customers/privacy/{customer.pk}/"
    assert manager.post(url, {"action": "withdraw", "which": "marketing"}).status_code == 302
    customer.refresh_from_db()
    assert (customer.marketing_consent, customer.data_consent) == (False, True)
    again = manager.post(url, {"action": "withdraw", "which": "marketing"}, headers=EN)
    assert again.status_code == 400
    assert again.context["consent_form"].errors == {
        "which": ["This customer has not given this consent, so there is nothing to withdraw."]
    }


def test_export_page_downloads_json_and_excel(world: World, manager: Client) -> None:
    customer = full_customer(world)
    url = f"/customers/privacy/{customer.pk}/export/"
    as_json = manager.get(url, {"format": "json"})
    assert as_json.status_code == 200
    assert json.loads(as_json.content)["customer"]["resident_id"] == RESIDENT_ID
    as_excel = manager.get(url, {"format": "xlsx"}, headers=EN)
    assert as_excel.status_code == 200
    assert as_excel["Content-Disposition"] == f'attachment; filename="personal-information-{customer.number}.xlsx"'
    assert load_workbook(io.BytesIO(as_excel.content))["Customer"]["B1"].value == "Value"
    assert manager.get(url, {"format": "csv"}).status_code == 400
    assert [e.changes["format"] for e in AuditEntry.objects.filter(action="export").order_by("id")] == ["json", "xlsx"]


# --- key rotation -------------------------------------------------------------------------------


def test_rotate_keys_re_encrypts_with_the_new_key(world: World) -> None:
    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(DATA_KEYS=[key_a]):
        encryption.reset_key_cache()
        first = services.customer_create(
            actor=world.user("advisor"), store=world.sh, data={"name": "张三", "resident_id": RESIDENT_ID}
        )
        second = services.customer_create(
            actor=world.user("advisor"), store=world.sh, data={"name": "李四", "resident_id": OTHER_RESIDENT_ID}
        )
        services.customer_create(actor=world.user("advisor"), store=world.sh, data={"name": "王五"})
        old = dict(Customer.objects.values_list("pk", "resident_id_cipher"))

    with override_settings(DATA_KEYS=[key_b, key_a]):
        encryption.reset_key_cache()
        out = io.StringIO()
        call_command("archive", "rotate-keys", "--batch-size", "1", stdout=out)
        assert out.getvalue().strip() == (
            "Re-encrypted 2 resident ID numbers with the current key and recomputed their digests."
        )

    ciphers = dict(Customer.objects.values_list("pk", "resident_id_cipher"))
    assert ciphers[first.pk] != old[first.pk] and ciphers[second.pk] != old[second.pk]
    with override_settings(DATA_KEYS=[key_b]):
        encryption.reset_key_cache()
        assert encryption.decrypt(ciphers[first.pk]) == RESIDENT_ID
        assert encryption.decrypt(ciphers[second.pk]) == OTHER_RESIDENT_ID
        out = io.StringIO()
        call_command("archive", "rotate-keys", "--check", stdout=out)
        assert out.getvalue().strip() == "All 2 stored resident ID numbers decrypt with the configured keys."
    with override_settings(DATA_KEYS=[key_a]):
        encryption.reset_key_cache()
        with pytest.raises(CommandError) as failed:
            call_command("archive", "rotate-keys", "--check")
        assert str(failed.value) == (
            f"2 of 2 stored resident ID numbers cannot be decrypted with the configured keys "
            f"(customers {first.number}, {second.number}). Put the key they were encrypted with back into "
            "AFTERSALES_DATA_KEYS."
        )


def test_rotate_keys_recomputes_the_digests_under_a_new_hash_key(world: World) -> None:
    customer = services.customer_create(
        actor=world.user("advisor"), store=world.sh, data={"name": "张三", "resident_id": RESIDENT_ID}
    )
    with override_settings(HASH_KEY="a-new-hash-key-for-the-search-digests"):
        assert selectors.archive_search(RESIDENT_ID).count == 0  # the stored digest is the old key's
        call_command("archive", "rotate-keys", stdout=io.StringIO())
        assert Customer.objects.get(pk=customer.pk).resident_id_digest == encryption.digest(RESIDENT_ID)
        assert [hit.customer.pk for hit in selectors.archive_search(RESIDENT_ID).hits] == [customer.pk]


def test_rotate_keys_leaves_what_it_cannot_decrypt_and_says_so(world: World) -> None:
    key_a, key_b, key_c = (Fernet.generate_key().decode() for _ in range(3))
    with override_settings(DATA_KEYS=[key_a]):
        encryption.reset_key_cache()
        lost = services.customer_create(
            actor=world.user("advisor"), store=world.sh, data={"name": "张三", "resident_id": RESIDENT_ID}
        )
    with override_settings(DATA_KEYS=[key_b]):
        encryption.reset_key_cache()
        kept = services.customer_create(
            actor=world.user("advisor"), store=world.sh, data={"name": "李四", "resident_id": OTHER_RESIDENT_ID}
        )
    before = Customer.objects.get(pk=lost.pk).resident_id_cipher
    with override_settings(DATA_KEYS=[key_c, key_b]):
        encryption.reset_key_cache()
        with pytest.raises(CommandError) as failed:
            call_command("archive", "rotate-keys")
        assert str(failed.value).startswith(
            f"Re-encrypted 1 resident ID numbers with the current key and recomputed their digests. "
            f"1 of 2 stored resident ID numbers cannot be "
            f"decrypted with the configured keys (customers {lost.number})."
        )
        assert encryption.decrypt(Customer.objects.get(pk=kept.pk).resident_id_cipher) == OTHER_RESIDENT_ID
    assert Customer.objects.get(pk=lost.pk).resident_id_cipher == before
