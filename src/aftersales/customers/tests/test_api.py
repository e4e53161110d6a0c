from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from aftersales.conftest import World
from aftersales.core.audit import audit_personal_fill
from aftersales.core.identifiers import vin_check_digit
from aftersales.core.models import AuditEntry, Role, StaffMembership, User
from aftersales.core.services import token_create
from aftersales.customers import encryption, services
from aftersales.customers.models import Customer, SearchKey, Vehicle, VehicleLink

VIN = "1M8GDM9AXKP042788"
RESIDENT_ID = "11010519491231002X"


def _create(client: Client, **fields: Any) -> Any:
    body = {"name": "张三", "mobiles": ["13812345678"], **fields}
    return client.post("/api/v1/customers", body, content_type="application/json", headers={"accept-language": "en"})


@pytest.fixture
def advisor(world: World, client_for: Callable[[User], Client]) -> Client:
    return client_for(world.user("advisor"))


def test_create_customer_normalises_and_numbers(world: World, advisor: Client) -> None:
    response = _create(
        advisor,
        name=" 张三 ",
        mobiles=["１３８ １２３４ ５６７８", "+86 139-0000-1111"],
        resident_id="11010519491231002x",
        email="Zhang.San@Example.COM",
        marketing_consent=True,
        marketing_consent_channel="paper",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"].startswith("CUS-SH01-") and body["number"].endswith("-000001")
    assert body["name"] == "张三"
    # A browser session gets personal values masked (revealed one by one, audited); a token in full.
    assert (body["mobiles"], body["resident_id"], body["masked"]) == (
        ["138****5678", "139****1111"],
        "1101**********002X",
        True,
    )
    assert body["email"] == "****"  # Customer.personal_fields: the e-mail reads hidden whole
    _token, raw = token_create(user=world.user("advisor"), name="dms")
    full = Client().get(f"/api/v1/customers/{body['id']}", headers={"authorization": f"Bearer {raw}"}).json()
    assert (full["mobiles"], full["resident_id"], full["email"], full["masked"]) == (
        ["13812345678", "13900001111"],
        RESIDENT_ID,
        "Zhang.San@example.com",
        False,
    )
    customer = Customer.objects.get()
    assert RESIDENT_ID not in customer.resident_id_cipher
    assert encryption.decrypt(customer.resident_id_cipher) == RESIDENT_ID
    assert customer.resident_id_digest == encryption.digest(RESIDENT_ID)
    assert customer.marketing_consent_channel == "paper" and customer.marketing_consent_at is not None
    created = AuditEntry.objects.get(object_type="customers.customer", action="create")
    assert "resident_id_cipher" not in created.changes
    # Personal values sit beside the trail as salted digests' sources; read back, they are the values.
    assert "1101**********002X" not in str(created.changes) and "张三" not in str(created.changes)
    assert audit_personal_fill([created])[0].changes["resident_id_hint"] == [None, "1101**********002X"]
    assert (created.object_repr, created.changes["name"][0]) == (body["number"], None)


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"mobiles": ["12812345678"]}, {"mobiles.0": ["A mainland China mobile number must start with 13 to 19."]}),
        (
            {"resident_id": "110105199902300021"},
            {"resident_id": ["The birth date in this resident ID number (1999-02-30) does not exist."]},
        ),
        (
            {"resident_id": "110105194912310021"},
            {"resident_id": ["The check digit of this resident ID number is wrong."]},
        ),
        (
            {"name": "Robert'); DROP TABLE customers;--"},
            {"name": ["The name contains characters that are not allowed: ;"]},
        ),
        ({"name": "张三😀"}, {"name": ["The name contains characters that are not allowed: 😀"]}),
        ({"email": "not-an-email"}, {"email": ["An email address must contain “@”, as in name@example.com."]}),
        (
            {"kind": "company", "uscc": "91350100M000100Y44"},
            {"uscc": ["The check character (last character) of this unified social credit code is wrong."]},
        ),
        ({"marketing_consent": True}, {"marketing_consent_channel": ["Record how the consent was given."]}),
        ({"colour": "red"}, {"colour": ["Unknown field."]}),
        ({"mobiles": "13812345678"}, {"mobiles": ["Send a list."]}),
    ],
)
def test_bad_customer_input_is_refused_and_changes_nothing(
    world: World, advisor: Client, fields: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    response = _create(advisor, **fields)
    assert response.status_code == 422, response.json()
    assert response.json()["fields"] == errors
    assert not Customer.objects.exists()
    assert not SearchKey.objects.exists()


def test_messages_name_the_problem(world: World, advisor: Client) -> None:
    body = _create(advisor, name="张三😀", resident_id="110105199902300021").json()
    assert body["fields"]["name"] == ["The name contains characters that are not allowed: 😀"]
    assert body["fields"]["resident_id"] == ["The birth date in this resident ID number (1999-02-30) does not exist."]


def test_masking_by_role_and_audited_reveal(world: World, client_for: Callable[[User], Client]) -> None:
    customer_id = _create(
        client_for(world.user("advisor")),
        resident_id=RESIDENT_ID,
        province="上海市",
        city="上海市",
        district="浦东新区",
        street="世纪大道100号",
    ).json()["id"]
    technician = client_for(world.user("technician")).get(f"/api/v1/customers/{customer_id}").json()
    assert technician["mobiles"] == ["138****5678"]
    assert technician["resident_id"] == "1101**********002X"
    assert technician["address"] == "上海市浦东新区****"
    assert technician["street"] == "****"
    assert technician["masked"] is True
    refused = client_for(world.user("technician")).post(
        f"/api/v1/customers/{customer_id}/reveal", {"field": "mobiles"}, content_type="application/json"
    )
    assert refused.status_code == 403
    revealed = client_for(world.user("crm")).post(
        f"/api/v1/customers/{customer_id}/reveal", {"field": "resident_id"}, content_type="application/json"
    )
    assert revealed.json() == {"field": "resident_id", "value": RESIDENT_ID}
    entry = AuditEntry.objects.get(action="reveal")
    assert (entry.actor_username, entry.changes) == ("crm_sh", {"field": "resident_id"})


def test_concurrent_edit_gets_conflict_not_overwrite(world: World, advisor: Client) -> None:
    created = _create(advisor).json()
    first = advisor.patch(
        f"/api/v1/customers/{created['id']}", {"version": 1, "name": "张三丰"}, content_type="application/json"
    )
    assert (first.status_code, first.json()["version"]) == (200, 2)
    second = advisor.patch(
        f"/api/v1/customers/{created['id']}",
        {"version": 1, "name": "张四"},
        content_type="application/json",
        headers={"accept-language": "en"},
    )
    assert second.status_code == 409
    assert second.json()["code"] == "conflict"
    assert Customer.objects.get().name == "张三丰"


def test_search_by_every_key(world: World, advisor: Client) -> None:
    customer_id = _create(advisor, name="张三", mobiles=["13812345678"]).json()["id"]
    vehicle = advisor.post(
        "/api/v1/vehicles",
        {"vin": VIN.lower(), "plate": "沪a·12345", "owner_id": customer_id},
        content_type="application/json",
    )
    assert vehicle.status_code == 201, vehicle.json()
    assert (vehicle.json()["vin"], vehicle.json()["plate"]) == (VIN, "沪A12345")
    number = Customer.objects.get().number
    for q, matched in [
        ("沪A12345", "plate"),
        ("a123", "plate"),
        ("2345", "plate"),
        ("042788", "vin6"),
        (VIN, "vin"),
        ("13812345678", "mobile"),
        ("5678", "mobile4"),
        ("张三", "name"),
        ("zs", "initials"),
        ("zhangsan", "pinyin"),
        (number.lower(), "number"),
    ]:
        body = advisor.get("/api/v1/customers/search", {"q": q}).json()
        assert body["count"] >= 1, q
        assert body["items"][0]["customer"]["id"] == customer_id, q
        assert body["items"][0]["matched"] == matched, q


def test_vehicle_rules(world: World, advisor: Client) -> None:
    owner = _create(advisor).json()["id"]
    post = lambda body: advisor.post(  # noqa: E731
        "/api/v1/vehicles",
        {"owner_id": owner, **body},
        content_type="application/json",
        headers={"accept-language": "en"},
    )
    assert post({"vin": "1M8GDM9AXKP04278O"}).json()["fields"] == {
        "vin": ["A VIN cannot contain the letters I, O or Q (they are confused with 1 and 0); it contains O."]
    }
    bad_check = post({"vin": "1M8GDM9A1KP042788"})
    assert bad_check.json()["fields"] == {"vin": ["The check digit (9th character) of this VIN is wrong."]}
    no_reason = post({"vin": "1M8GDM9A1KP042788", "vin_check_override": True})
    assert no_reason.json()["fields"] == {
        "vin_override_reason": ["Give the reason why this VIN has no valid check digit (e.g. imported vehicle)."]
    }
    ok = post({"vin": "1M8GDM9A1KP042788", "vin_check_override": True, "vin_override_reason": "平行进口车"})
    assert ok.status_code == 201
    assert post({"vin": "1M8GDM9A1KP042788", "vin_check_override": True, "vin_override_reason": "x"}).json()[
        "fields"
    ] == {
        "vin": [
            f"A vehicle with this VIN is already in the archive, owned by customer "
            f"{Customer.objects.get(pk=owner).number}; record a transfer instead of adding it again."
        ]
    }
    assert post({"vin": VIN, "plate": "X A12345"}).json()["fields"] == {
        "plate": ["“X” is not a known province abbreviation; a plate must start with one, such as 京 or 沪."]
    }
    assert Vehicle.objects.count() == 1


def test_mileage_history_and_transfer(world: World, advisor: Client) -> None:
    first = _create(advisor).json()["id"]
    second = _create(advisor, name="李四", mobiles=["13900001111"]).json()["id"]
    vehicle_id = advisor.post(
        "/api/v1/vehicles",
        {"vin": VIN, "owner_id": first, "purchase_date": "2022-03-01"},
        content_type="application/json",
    ).json()["id"]
    url = f"/api/v1/vehicles/{vehicle_id}"
    assert (
        advisor.post(
            f"{url}/mileage", {"km": 30000, "read_on": "2024-05-01"}, content_type="application/json"
        ).status_code
        == 201
    )
    lower = advisor.post(
        f"{url}/mileage",
        {"km": 20000, "read_on": "2024-06-01"},
        content_type="application/json",
        headers={"accept-language": "en"},
    )
    assert lower.status_code == 422
    assert lower.json()["fields"] == {
        "reason": ["This reading is lower than the last one (30000 km on 2024-05-01); give a reason."]
    }
    fixed = advisor.post(
        f"{url}/mileage", {"km": 20000, "read_on": "2024-06-01", "reason": "更换仪表"}, content_type="application/json"
    )
    assert fixed.status_code == 201
    transfer = advisor.post(
        f"{url}/transfer", {"customer_id": second, "on": "2025-01-10"}, content_type="application/json"
    )
    assert transfer.status_code == 200
    history = advisor.get(f"{url}/history").json()
    assert [(o["customer_id"], o["valid_from"], o["valid_to"]) for o in history["owners"]] == [
        (second, "2025-01-10", None),
        (first, "2022-03-01", "2025-01-10"),
    ]
    assert [m["km"] for m in history["mileage"]] == [20000, 30000]
    assert VehicleLink.objects.count() == 2


def test_timeline_is_filterable(world: World, advisor: Client) -> None:
    customer_id = _create(advisor).json()["id"]
    vehicle_id = advisor.post(
        "/api/v1/vehicles", {"vin": VIN, "owner_id": customer_id}, content_type="application/json"
    ).json()["id"]
    advisor.post(
        f"/api/v1/vehicles/{vehicle_id}/mileage", {"km": 1000, "read_on": "2025-01-01"}, content_type="application/json"
    )
    everything = advisor.get(f"/api/v1/customers/{customer_id}/timeline").json()
    assert {item["kind"] for item in everything} == {"archive", "mileage"}
    mileage = advisor.get(f"/api/v1/customers/{customer_id}/timeline", {"kind": "mileage"}).json()
    assert [(item["kind"], item["detail"]["reason"]) for item in mileage] == [("mileage", "")]
    assert "1000" in mileage[0]["title"] and VIN in mileage[0]["title"]


def test_customer_detail_query_count_is_constant(world: World, advisor: Client) -> None:
    customer_id = _create(advisor).json()["id"]
    customer = Customer.objects.get()

    def add_vehicles(count: int) -> None:
        for _ in range(count):
            serial = Vehicle.objects.count() + 1
            body = f"LSVAU2180N2{serial:06d}"
            vin = body[:8] + vin_check_digit(body) + body[9:]
            services.vehicle_create(actor=world.user("advisor"), owner=customer, data={"vin": vin})

    add_vehicles(2)
    with CaptureQueriesContext(connection) as few:
        advisor.get(f"/api/v1/customers/{customer_id}")
    add_vehicles(18)
    with CaptureQueriesContext(connection) as many:
        assert len(advisor.get(f"/api/v1/customers/{customer_id}").json()["vehicles"]) == 20
    assert len(many) == len(few)


def test_patch_with_null_clears_or_is_refused_field_by_field(world: World, advisor: Client) -> None:
    created = _create(advisor, tags=["等候区"], landline="021-55556666").json()
    patch = lambda body: advisor.patch(  # noqa: E731
        f"/api/v1/customers/{created['id']}", body, content_type="application/json", headers={"accept-language": "en"}
    )
    refused = patch({"version": 1, "source": None, "customer_class": None, "kind": None, "name": None})
    assert refused.status_code == 422
    assert refused.json()["fields"] == {
        "source": ["Choose one of the listed values."],
        "customer_class": ["Choose one of the listed values."],
        "kind": ["Choose one of the listed values."],
        "name": ["This field is required."],
    }
    cleared = patch({"version": 1, "tags": None, "landline": None, "preferences": None})
    assert cleared.status_code == 200, cleared.json()
    assert (cleared.json()["tags"], cleared.json()["landline"], cleared.json()["version"]) == ([], "", 2)
    assert advisor.get(f"/api/v1/customers/{created['id']}").status_code == 200


def test_landline_owner_and_emergency_contact_are_checked(world: World, advisor: Client) -> None:
    created = _create(advisor, landline="(021)１２３４５６７８转８０１").json()
    assert created["landline"] == "****"
    assert Customer.objects.get(pk=created["id"]).landline == "021-12345678-801"
    assert created["owner_id"] == world.user("advisor").pk
    patch = lambda body: advisor.patch(  # noqa: E731
        f"/api/v1/customers/{created['id']}", body, content_type="application/json", headers={"accept-language": "en"}
    )
    bad = patch({"version": 1, "landline": "021-1234", "owner_id": 987654, "emergency_contact": "李四😀"})
    assert bad.json()["fields"] == {
        "landline": ["Enter the area code and the number, e.g. 021-12345678 (or a 400 / 800 number)."],
        "emergency_contact": ["The name contains characters that are not allowed: 😀"],
        "owner_id": ["No such staff member."],
    }
    crm = world.user("crm")
    moved = patch({"version": 1, "owner_id": crm.pk, "landline": "400 820 8820"})
    assert (moved.json()["owner_id"], moved.json()["landline"]) == (crm.pk, "****")
    assert Customer.objects.get(pk=created["id"]).landline == "400-820-8820"
    entry = AuditEntry.objects.filter(object_type="customers.customer", action="update").latest("id")
    assert entry.changes["owner_id"] == [world.user("advisor").pk, crm.pk]


def test_api_masks_like_the_pages_for_a_session_and_by_any_store_for_a_token(
    world: World, client_for: Callable[[User], Client]
) -> None:

    customer_id = _create(client_for(world.user("advisor"))).json()["id"]
    # Personal-data right in Suzhou only; a technician (no right) in Shanghai, the active store.
    crm_sz = world.user("crm", "sz")
    StaffMembership.objects.create(user=crm_sz, store=world.sh, role=Role.objects.get(code="technician"))
    session = client_for(crm_sz)
    assert session.get(f"/customers/{customer_id}/").context["can_reveal"] is False
    assert session.session.get("store_id") == world.sh.pk  # the first of the user's stores
    assert session.get(f"/api/v1/customers/{customer_id}").json()["mobiles"] == ["138****5678"]

    _token, raw = token_create(user=crm_sz, name="crm")
    by_token = Client().get(f"/api/v1/customers/{customer_id}", headers={"authorization": f"Bearer {raw}"})
    assert by_token.json()["mobiles"] == ["13812345678"]
