"""Archive pages: search and list, masking, the customer and vehicle records and their forms."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aftersales.conftest import World
from aftersales.core.identifiers import vin_check_digit
from aftersales.core.models import AuditEntry, User
from aftersales.customers import services
from aftersales.customers.models import Customer, MileageReading, Vehicle, VehicleLink, VehicleModel
from aftersales.customers.tests.factories import CustomerFactory

MOBILE = "13812345678"
RESIDENT_ID = "11010519491231002X"
VIN = "1M8GDM9AXKP042788"
PLATE = "沪A12345"
EN = {"accept-language": "en"}
HX = {"HX-Request": "true", "accept-language": "en"}


def _vehicle(world: World, owner: Customer, vin: str = VIN, plate: str = PLATE) -> Vehicle:
    return services.vehicle_create(actor=world.user("advisor"), owner=owner, data={"vin": vin, "plate": plate})


def _valid_vin(serial: int) -> str:
    """A VIN with a correct check digit, different for every ``serial``."""

    draft = f"LSVAA4180E2{serial:06d}"
    return draft[:8] + vin_check_digit(draft) + draft[9:]


def _form(**overrides: Any) -> dict[str, Any]:
    data = {
        "kind": "individual",
        "name": "李四",
        "mobiles": ["13912345678", "13800001111"],  # one input per number
        "source": "walk_in",
        "customer_class": "regular",
        "tags": "老客户，洗车",
    }
    data.update(overrides)
    return data


def _edit_form(customer: Customer, **overrides: Any) -> dict[str, Any]:
    data = {
        "kind": customer.kind,
        "name": customer.name,
        "mobiles": [p.number for p in customer.phones.order_by("-is_primary", "pk")],
        "source": customer.source,
        "customer_class": customer.customer_class,
        "tags": ", ".join(customer.tags),
        "version": customer.version,
        "owner": customer.owner_id or "",
    }
    data.update(overrides)
    return data


# --- list and search ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "matched"), [("A123", "plate"), ("5678", "mobile4"), ("王小明", "name"), ("wxm", "initials")]
)
def test_search_finds_the_customer(world: World, client_for: Callable[[User], Client], q: str, matched: str) -> None:
    customer = CustomerFactory(mobiles=[MOBILE], resident_id=RESIDENT_ID)
    _vehicle(world, customer)
    CustomerFactory(name="张伟", mobiles=["13900001111"], resident_id="")

    response = client_for(world.user("advisor")).get("/customers/", {"q": q}, headers=EN)

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row.customer.pk for row in rows] == [customer.pk]
    assert rows[0].matched_kind == matched
    assert (rows[0].vehicle.plate if rows[0].vehicle else None) == (PLATE if matched == "plate" else None)
    html = response.content.decode()
    assert f'href="/customers/{customer.pk}/"' in html
    if matched == "plate":
        assert 'data-testid="matched-plate">沪A12345</span>' in html


def test_search_as_htmx_answers_the_results_partial(world: World, client_for: Callable[[User], Client]) -> None:
    CustomerFactory(mobiles=[MOBILE], resident_id=RESIDENT_ID)
    response = client_for(world.user("advisor")).get("/customers/", {"q": "nobody"}, headers=HX)
    html = response.content.decode().strip()
    assert html.startswith('<div id="customer-results"')
    assert "No customer matches." in html
    assert "<html" not in html


def test_list_shows_newest_first_with_filters(world: World, client_for: Callable[[User], Client]) -> None:
    first = CustomerFactory(mobiles=[MOBILE], resident_id=RESIDENT_ID)
    vip = CustomerFactory(name="赵六", mobiles=["13900002222"], resident_id="", customer_class="vip")
    other_store = services.customer_create(
        actor=world.user("advisor", "sz"), store=world.sz, data={"name": "钱七", "mobiles": ["13900003333"]}
    )
    client = client_for(world.user("advisor"))

    everyone = client.get("/customers/").context["rows"]
    vips = client.get("/customers/", {"customer_class": "vip"}).context["rows"]
    here = client.get("/customers/", {"home_store": world.sh.pk}).context["rows"]

    assert [row.customer.pk for row in everyone] == [other_store.pk, vip.pk, first.pk]
    assert [row.customer.pk for row in vips] == [vip.pk]
    assert [row.customer.pk for row in here] == [vip.pk, first.pk]
    assert client.get("/customers/", {"home_store": "x"}).status_code == 400


def test_list_masks_mobiles_for_every_reader(world: World, client_for: Callable[[User], Client]) -> None:
    CustomerFactory(mobiles=[MOBILE], resident_id=RESIDENT_ID)

    technician = client_for(world.user("technician")).get("/customers/")
    advisor = client_for(world.user("advisor")).get("/customers/")

    assert [row.personal["mobiles"] for row in technician.context["rows"]] == [["138****5678"]]
    assert "138****5678" in technician.content.decode() and MOBILE not in technician.content.decode()
    # The list is masked for everyone; the record page shows a value in full on request (audited).
    assert [row.personal["mobiles"] for row in advisor.context["rows"]] == [["138****5678"]]
    assert 'data-testid="new-customer"' in advisor.content.decode()
    assert 'data-testid="new-customer"' not in technician.content.decode()


# --- customer record ----------------------------------------------------------------------------


def test_detail_masks_personal_data_by_role(world: World, client_for: Callable[[User], Client]) -> None:
    customer = CustomerFactory(
        province="上海市",
        city="上海市",
        district="浦东新区",
        street="世纪大道100号",
        mobiles=[MOBILE],
        resident_id=RESIDENT_ID,
    )

    technician = client_for(world.user("technician")).get(f"/customers/{customer.pk}/")
    advisor = client_for(world.user("advisor")).get(f"/customers/{customer.pk}/")

    assert technician.status_code == advisor.status_code == 200
    masked = technician.context["personal"]
    assert (masked["mobiles"], masked["resident_id"], masked["address"]) == (
        ["138****5678"],
        "1101**********002X",
        "上海市浦东新区****",
    )
    html = technician.content.decode()
    assert MOBILE not in html and RESIDENT_ID not in html and "世纪大道" not in html
    assert 'data-testid="reveal-' not in html
    # A reader with the right also sees masked values first, with a button per value that reveals it.
    assert advisor.context["personal"] == masked
    shown = advisor.content.decode()
    assert RESIDENT_ID not in shown and MOBILE not in shown
    for field_name in ("mobiles", "address", "resident_id"):
        assert f'data-testid="reveal-{field_name}"' in shown
    revealed = client_for(world.user("advisor")).post(f"/customers/{customer.pk}/reveal/", {"field": "address"})
    assert "上海市浦东新区世纪大道100号" in revealed.content.decode()
    assert AuditEntry.objects.get(action="reveal").changes == {"field": "address"}


def test_change_log_masks_personal_values_for_a_technician(world: World, client_for: Callable[[User], Client]) -> None:
    customer = CustomerFactory(street="世纪大道100号", mobiles=[MOBILE], resident_id=RESIDENT_ID)
    services.customer_update(
        actor=world.user("advisor"),
        customer_id=customer.pk,
        version=1,
        data={"street": "张杨路1号", "landline": "021-61234567"},
    )

    rows = client_for(world.user("technician")).get(f"/customers/{customer.pk}/", headers=EN).context["changes"]

    update = rows[0]
    assert update.entry.action == "update"
    assert [(line.label, line.previous, line.value) for line in update.lines] == [
        ("Landline", "—", "****"),
        ("Street address", "****", "****"),
    ]
    created = rows[1]
    assert created.entry.action == "create"
    created_lines = [(line.label, line.previous, line.value) for line in created.lines]
    assert ("Registering store", None, "SH01 上海店") in created_lines
    assert ("Archive owner", None, "服务顾问") in created_lines
    assert ("Resident ID", None, "1101**********002X") in created_lines
    assert not [line for line in created.lines if line.label in {"id", "ID", "Resident ID digest", "Created"}]
    advisor_rows = client_for(world.user("advisor")).get(f"/customers/{customer.pk}/", headers=EN).context["changes"]
    assert ("Street address", "****", "****") in [  # the page's log is masked for all
        (line.label, line.previous, line.value) for line in advisor_rows[0].lines
    ]


def test_reveal_answers_the_value_and_writes_an_audit_entry(world: World, client_for: Callable[[User], Client]) -> None:
    customer = CustomerFactory(mobiles=[MOBILE], resident_id=RESIDENT_ID)
    advisor = client_for(world.user("advisor"))

    response = advisor.post(f"/customers/{customer.pk}/reveal/", {"field": "resident_id"}, headers=HX)

    assert response.status_code == 200
    assert response.content.decode().strip() == (
        '<span class="font-monospace" data-testid="revealed-resident_id">11010519491231002X</span>'
    )
    entry = AuditEntry.objects.get(action="reveal")
    assert (entry.actor_username, entry.store_id, entry.object_type, entry.object_id, entry.changes) == (
        "advisor_sh",
        world.sh.pk,
        "customers.customer",
        str(customer.pk),
        {"field": "resident_id"},
    )
    assert advisor.post(f"/customers/{customer.pk}/reveal/", {"field": "password"}).status_code == 400
    assert (
        client_for(world.user("technician")).post(f"/customers/{customer.pk}/reveal/", {"field": "mobiles"}).status_code
        == 403
    )
    assert AuditEntry.objects.filter(action="reveal").count() == 1


def test_timeline_filter_answers_the_partial(world: World, client_for: Callable[[User], Client]) -> None:
    customer = CustomerFactory(mobiles=[MOBILE], resident_id=RESIDENT_ID)
    vehicle = _vehicle(world, customer)
    services.mileage_record(
        actor=world.user("advisor"), vehicle_id=vehicle.pk, km=1200, read_on=timezone.localdate(), source="reception"
    )
    client = client_for(world.user("advisor"))

    mileage = client.get(f"/customers/{customer.pk}/", {"kind": "mileage"}, headers=HX)
    archive = client.get(f"/customers/{customer.pk}/", {"kind": "archive"}, headers=HX)

    assert mileage.content.decode().strip().startswith('<div id="timeline"')
    assert [(item.kind, item.title) for item in mileage.context["timeline"]] == [
        ("mileage", "Mileage 1200 km (沪A12345)")
    ]
    assert {item.kind for item in archive.context["timeline"]} == {"archive"}
    assert client.get(f"/customers/{customer.pk}/", {"kind": "bogus"}).status_code == 400


def test_mark_reviewed_needs_the_review_right(world: World, client_for: Callable[[User], Client]) -> None:
    customer = CustomerFactory(mobiles=[MOBILE], resident_id=RESIDENT_ID)

    refused = client_for(world.user("advisor")).post(f"/customers/{customer.pk}/review/")
    customer.refresh_from_db()
    assert (refused.status_code, customer.reviewed_at) == (403, None)

    response = client_for(world.user("manager")).post(f"/customers/{customer.pk}/review/")
    customer.refresh_from_db()
    assert response["Location"] == f"/customers/{customer.pk}/"
    assert customer.reviewed_at is not None
    assert client_for(world.user("manager")).post("/customers/999999/review/").status_code == 404


def test_detail_query_count_does_not_grow_with_vehicles(world: World, client_for: Callable[[User], Client]) -> None:
    def queries_with(vehicles: int, serial: int) -> int:
        customer = CustomerFactory(mobiles=[f"139{serial:08d}"], resident_id="")
        for n in range(vehicles):
            vehicle = _vehicle(world, customer, vin=_valid_vin(serial * 10 + n), plate=f"沪B{serial}{n:04d}")
            services.mileage_record(
                actor=world.user("advisor"), vehicle_id=vehicle.pk, km=100, read_on=date(2025, 1, 1), source="reception"
            )
        client = client_for(world.user("advisor"))
        client.get(f"/customers/{customer.pk}/")  # session and store set up
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/customers/{customer.pk}/")
        assert len(response.context["current_links"]) == vehicles
        return len(captured.captured_queries)

    assert queries_with(3, 1) == queries_with(6, 2)


# --- customer form ------------------------------------------------------------------------------


def test_create_customer(world: World, client_for: Callable[[User], Client]) -> None:
    response = client_for(world.user("frontdesk")).post(
        "/customers/new/",
        _form(resident_id="110105 19491231 002x", marketing_consent="on", marketing_consent_channel="paper"),
    )

    customer = Customer.objects.get()
    assert response["Location"] == f"/customers/{customer.pk}/"
    assert (customer.name, customer.home_store, customer.tags, customer.resident_id_hint) == (
        "李四",
        world.sh,
        ["老客户", "洗车"],
        "1101**********002X",
    )
    assert list(customer.phones.order_by("-is_primary", "pk").values_list("number", "is_primary")) == [
        ("13912345678", True),
        ("13800001111", False),
    ]
    assert (customer.marketing_consent, customer.marketing_consent_channel) == (True, "paper")


def test_create_with_bad_mobile_and_resident_id_shows_errors_and_creates_nothing(
    world: World, client_for: Callable[[User], Client]
) -> None:
    response = client_for(world.user("advisor")).post(
        "/customers/new/", _form(mobiles=["13912345678", "1381234"], resident_id="110105194912310021"), headers=EN
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["mobiles"] == ["1381234: A mobile number must have 11 digits; this one has 7."]
    assert errors["resident_id"] == ["The check digit of this resident ID number is wrong."]
    html = response.content.decode()
    assert 'data-testid="error-resident_id">The check digit of this resident ID number is wrong.</div>' in html
    assert Customer.objects.count() == 0


def test_create_without_name_is_refused_by_the_form(world: World, client_for: Callable[[User], Client]) -> None:
    response = client_for(world.user("advisor")).post("/customers/new/", _form(name=""), headers=EN)
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["This field is required."]
    assert Customer.objects.count() == 0


def test_technician_cannot_open_the_new_customer_page(world: World, client_for: Callable[[User], Client]) -> None:
    client = client_for(world.user("technician"))
    assert client.get("/customers/new/").status_code == 403
    assert client.post("/customers/new/", _form()).status_code == 403
    assert Customer.objects.count() == 0


def test_edit_customer(world: World, client_for: Callable[[User], Client]) -> None:
    customer = CustomerFactory(mobiles=[MOBILE], resident_id=RESIDENT_ID)
    client = client_for(world.user("advisor"))
    page = client.get(f"/customers/{customer.pk}/edit/")
    assert page.context["form"]["resident_id"].value() == ""

    response = client.post(
        f"/customers/{customer.pk}/edit/", _edit_form(customer, name="王晓明", mobiles=["13900009999", "13812345678"])
    )

    assert response["Location"] == f"/customers/{customer.pk}/"
    customer.refresh_from_db()
    assert (customer.name, customer.version, customer.resident_id_hint) == ("王晓明", 2, "1101**********002X")
    assert list(customer.phones.filter(is_primary=True).values_list("number", flat=True)) == ["13900009999"]


def test_edit_by_a_reader_without_personal_right_keeps_masked_values(
    world: World, client_for: Callable[[User], Client]
) -> None:
    customer = CustomerFactory(emergency_phone="13700001234", mobiles=[MOBILE], resident_id=RESIDENT_ID)
    client = client_for(world.user("frontdesk"))
    form = client.get(f"/customers/{customer.pk}/edit/").context["form"]
    assert (form["mobiles"].value(), form["emergency_phone"].value()) == ("138****5678", "137****1234")

    response = client.post(
        f"/customers/{customer.pk}/edit/",
        _edit_form(customer, mobiles="138****5678", emergency_phone="137****1234", customer_class="vip"),
    )

    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.customer_class, customer.emergency_phone) == ("vip", "13700001234")
    assert list(customer.phones.values_list("number", flat=True)) == [MOBILE]


def test_edit_with_a_stale_version_is_a_conflict_and_changes_nothing(
    world: World, client_for: Callable[[User], Client]
) -> None:
    customer = CustomerFactory(mobiles=[MOBILE], resident_id=RESIDENT_ID)
    services.customer_update(
        actor=world.user("crm"), customer_id=customer.pk, version=1, data={"landline": "021-61234567"}
    )

    response = client_for(world.user("advisor")).post(
        f"/customers/{customer.pk}/edit/", _edit_form(customer, name="改名", version=1), headers=EN
    )

    assert response.status_code == 409
    assert response.context["conflict"] == (
        "Someone else changed this customer after you opened it. Reload to see their changes."
    )
    assert f'href="/customers/{customer.pk}/edit/" data-testid="reload"' in response.content.decode()
    customer.refresh_from_db()
    assert (customer.name, customer.version, customer.landline) == ("王小明", 2, "021-61234567")


def test_edit_with_an_invalid_email_is_refused(world: World, client_for: Callable[[User], Client]) -> None:
    customer = CustomerFactory(mobiles=[MOBILE], resident_id=RESIDENT_ID)
    response = client_for(world.user("advisor")).post(
        f"/customers/{customer.pk}/edit/", _edit_form(customer, email="wang@example"), headers=EN
    )
    assert response.status_code == 400
    assert response.context["form"].errors["email"] == ["The domain after “@” must contain a dot, as in example.com."]
    customer.refresh_from_db()
    assert (customer.email, customer.version) == ("", 1)


@pytest.mark.parametrize(
    ("field", "data", "expected"),
    [
        ("vin", {"vin": "1M8GDM9A1KP042788"}, "The check digit (9th character) of this VIN is wrong."),
        ("vin", {"vin": "1M8GDM9A1KP042788", "vin_check_override": "on"}, "✓"),
        ("resident_id", {"resident_id": "110105194912310021"}, "The check digit of this resident ID number is wrong."),
        ("resident_id", {"resident_id": RESIDENT_ID}, "✓"),
        (
            "mobiles",
            {"mobiles": ["13812345678", "12345"]},
            "12345: A mobile number must have 11 digits; this one has 5.",
        ),
        ("email", {"email": ""}, ""),
        (
            "landline",
            {"landline": "021 1234"},
            "Enter the area code and the number, e.g. 021-12345678 (or a 400 / 800 number).",
        ),
        ("landline", {"landline": "(021) 6123-4567"}, "✓"),
    ],
)
def test_inline_validation(
    world: World, client_for: Callable[[User], Client], field: str, data: dict[str, str], expected: str
) -> None:
    client = client_for(world.user("frontdesk"))
    before = AuditEntry.objects.count()
    response = client.post(f"/customers/validate/{field}/", data, headers=HX)
    assert response.status_code == (200 if expected in {"✓", ""} else 400)
    html = response.content.decode()
    assert html.startswith(f'<div id="check-{field}"')
    inner = html.split(">", 1)[1].rsplit("</div>", 1)[0]
    assert inner.replace("<div>", "").replace("</div>", "") == expected
    assert AuditEntry.objects.count() == before


def test_inline_validation_of_an_unknown_field_is_not_found(world: World, client_for: Callable[[User], Client]) -> None:
    client = client_for(world.user("advisor"))
    assert client.post("/customers/validate/password/", {"password": "x"}).status_code == 404
    assert client_for(world.user("technician")).post("/customers/validate/vin/", {"vin": VIN}).status_code == 403


# --- vehicles -----------------------------------------------------------------------------------


def test_vehicle_create(world: World, client_for: Callable[[User], Client]) -> None:
    customer = CustomerFactory(mobiles=[MOBILE], resident_id=RESIDENT_ID)
    model = VehicleModel.objects.create(brand=world.sh.brands.get(), series="帕萨特", name="330TSI 精英版")

    response = client_for(world.user("advisor")).post(
        f"/customers/{customer.pk}/vehicles/new/",
        {
            "vin": VIN.lower(),
            "plate": "沪a 12345",
            "model": model.pk,
            "model_year": 2024,
            "fuel_type": "petrol",
            "purchase_date": "2024-03-01",
            "selling_store": world.sh.pk,
            "warranty_km_limit": 100000,
        },
    )

    vehicle = Vehicle.objects.get()
    assert response["Location"] == f"/customers/vehicles/{vehicle.pk}/"
    assert (vehicle.vin, vehicle.plate, vehicle.model, vehicle.model_year, vehicle.selling_store) == (
        VIN,
        PLATE,
        model,
        2024,
        world.sh,
    )
    link = VehicleLink.objects.get()
    assert (link.customer, link.role, link.valid_from, link.valid_to) == (customer, "owner", date(2024, 3, 1), None)
    page = client_for(world.user("technician")).get(f"/customers/vehicles/{vehicle.pk}/")
    assert page.status_code == 200
    assert 'data-testid="mileage-form"' not in page.content.decode()


def test_vehicle_create_with_a_bad_vin_shows_the_error(world: World, client_for: Callable[[User], Client]) -> None:
    customer = CustomerFactory(mobiles=[MOBILE], resident_id=RESIDENT_ID)
    response = client_for(world.user("advisor")).post(
        f"/customers/{customer.pk}/vehicles/new/",
        {"vin": "1M8GDM9A1KP042788", "vin_check_override": "on", "fuel_type": "petrol"},
        headers=EN,
    )
    assert response.status_code == 400
    assert response.context["form"].errors["vin_override_reason"] == [
        "Give the reason why this VIN has no valid check digit (e.g. imported vehicle)."
    ]
    assert Vehicle.objects.count() == 0


def test_mileage_lower_without_reason_is_refused(world: World, client_for: Callable[[User], Client]) -> None:
    vehicle = _vehicle(world, CustomerFactory(mobiles=[MOBILE], resident_id=RESIDENT_ID))
    client = client_for(world.user("advisor"))
    today = timezone.localdate()
    assert (
        client.post(
            f"/customers/vehicles/{vehicle.pk}/mileage/", {"km": 5000, "read_on": today - timedelta(days=1)}
        ).status_code
        == 302
    )

    refused = client.post(f"/customers/vehicles/{vehicle.pk}/mileage/", {"km": 4000, "read_on": today}, headers=EN)

    assert refused.status_code == 400
    message = f"This reading is lower than the last one (5000 km on {(today - timedelta(days=1)).isoformat()}); give a reason."
    assert refused.context["mileage_form"].errors["reason"] == [message]
    assert message in refused.content.decode()
    assert list(MileageReading.objects.values_list("km", flat=True)) == [5000]

    accepted = client.post(
        f"/customers/vehicles/{vehicle.pk}/mileage/", {"km": 4000, "read_on": today, "reason": "更换仪表"}
    )
    assert accepted.status_code == 302
    assert sorted(MileageReading.objects.values_list("km", "reason")) == [(4000, "更换仪表"), (5000, "")]


def test_vehicle_transfer(world: World, client_for: Callable[[User], Client]) -> None:
    seller = CustomerFactory(mobiles=[MOBILE], resident_id=RESIDENT_ID)
    vehicle = _vehicle(world, seller)
    buyer = CustomerFactory(name="刘备", mobiles=["13900004444"], resident_id="")
    client = client_for(world.user("advisor"))
    today = timezone.localdate()

    unknown = client.post(
        f"/customers/vehicles/{vehicle.pk}/transfer/", {"customer_number": "CUS-X", "on": today}, headers=EN
    )
    assert unknown.status_code == 400
    assert unknown.context["transfer_form"].errors["customer_number"] == [
        "Pick the customer from the matches shown, or enter a customer number."
    ]

    response = client.post(
        f"/customers/vehicles/{vehicle.pk}/transfer/", {"customer_number": buyer.number.lower(), "on": today}
    )

    assert response["Location"] == f"/customers/vehicles/{vehicle.pk}/"
    assert list(VehicleLink.objects.order_by("pk").values_list("customer_id", "valid_to")) == [
        (seller.pk, today),
        (buyer.pk, None),
    ]
    again = client.post(
        f"/customers/vehicles/{vehicle.pk}/transfer/", {"customer_number": buyer.number, "on": today}, headers=EN
    )
    assert again.status_code == 400
    assert again.context["transfer_form"].errors["customer_number"] == ["This customer already owns the vehicle."]


def test_vehicle_pages_of_a_missing_vehicle_are_not_found(world: World, client_for: Callable[[User], Client]) -> None:
    client = client_for(world.user("advisor"))
    assert client.get("/customers/vehicles/999999/").status_code == 404
    assert client.post("/customers/vehicles/999999/mileage/", {"km": 1, "read_on": "2025-01-01"}).status_code == 404
    assert client.get("/customers/999999/").status_code == 404


def test_the_archive_owner_is_chosen_among_the_stores_staff(world: World, client_for: Callable[[User], Client]) -> None:
    client = client_for(world.user("advisor"))
    page = client.get("/customers/new/")
    owners = list(page.context["form"].fields["owner"].queryset.values_list("username", flat=True))
    assert "crm_sh" in owners and "advisor_sh" in owners and "crm_sz" not in owners
    created = client.post("/customers/new/", _form(owner=world.user("crm").pk))
    assert created.status_code == 302
    customer = Customer.objects.get(name="李四")
    assert customer.owner == world.user("crm")
    other = client.post("/customers/new/", _form(name="李五", mobiles="13912340000", owner=world.user("crm", "sz").pk))
    assert other.status_code == 400
    assert other.context["form"].errors == {"owner": ["选择一个有效的选项： 该选择不在可用的选项中。"]}
    edited = client.post(f"/customers/{customer.pk}/edit/", _edit_form(customer, owner=world.user("advisor").pk))
    assert edited.status_code == 302
    customer.refresh_from_db()
    assert (customer.owner, customer.version) == (world.user("advisor"), 2)


def test_opening_the_edit_form_with_full_values_is_a_recorded_reveal(
    world: World, client_for: Callable[[User], Client]
) -> None:
    customer = CustomerFactory(mobiles=[MOBILE], resident_id=RESIDENT_ID)
    form = client_for(world.user("advisor")).get(f"/customers/{customer.pk}/edit/")
    assert form.context["form"].initial["mobiles"] == [MOBILE]
    entry = AuditEntry.objects.get(action="reveal")
    assert (entry.actor_username, entry.object_id, entry.changes) == (
        "advisor_sh",
        str(customer.pk),
        {"field": "all", "for": "edit"},
    )
    masked = client_for(world.user("frontdesk")).get(f"/customers/{customer.pk}/edit/")
    assert masked.context["form"].initial["mobiles"] == ["138****5678"]
    assert AuditEntry.objects.filter(action="reveal").count() == 1


def test_a_vehicle_transfers_to_the_survivor_of_a_merged_number(
    world: World, client_for: Callable[[User], Client]
) -> None:
    seller = CustomerFactory(mobiles=[MOBILE], resident_id=RESIDENT_ID)
    survivor = CustomerFactory(name="赵六", mobiles=["13900002222"], resident_id="")
    merged = CustomerFactory(name="赵六", mobiles=["13900003333"], resident_id="")
    services.customer_merge(actor=world.user("crm"), survivor_id=survivor.pk, merged_id=merged.pk, choices={})
    vehicle = _vehicle(world, seller)
    response = client_for(world.user("advisor")).post(
        f"/customers/vehicles/{vehicle.pk}/transfer/", {"customer_number": merged.number, "on": timezone.localdate()}
    )
    assert response.status_code == 302
    assert VehicleLink.objects.get(vehicle=vehicle, valid_to=None).customer == survivor
