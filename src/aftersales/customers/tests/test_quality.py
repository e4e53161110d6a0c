from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from aftersales.conftest import World
from aftersales.core.identifiers import vin_check_digit
from aftersales.core.models import AuditEntry, User
from aftersales.customers import encryption, selectors, services
from aftersales.customers.models import (
    ArchiveRule,
    Customer,
    CustomerAlias,
    CustomerPhone,
    SearchKey,
    Vehicle,
    VehicleLink,
)
from aftersales.customers.tests.factories import CustomerFactory, resident_id_recorded_before_checks

VIN_A = "1M8GDM9AXKP042788"
RESIDENT_ID = "11010519491231002X"


@pytest.fixture
def crm(world: World, client_for: Callable[[User], Client]) -> Client:
    return client_for(world.user("crm"))


def test_duplicates_are_detected_by_mobile_and_resident_id(world: World, crm: Client) -> None:
    first = CustomerFactory(resident_id=RESIDENT_ID, name="张三", mobiles=["13812345678"])
    second = CustomerFactory(name="张叁", mobiles=["13900001111"])
    resident_id_recorded_before_checks(second, RESIDENT_ID)  # a second entry of it is refused today
    third = CustomerFactory(name="张三", mobiles=["13812345678"])
    body = crm.get("/api/v1/customers/duplicates").json()
    assert sorted((g["reason"], g["value"], g["customer_ids"]) for g in body) == [
        ("mobile", "138****5678", [first.pk, third.pk]),
        ("resident_id", "1101**********002X", [first.pk, second.pk]),
    ]
    assert {c.pk for c, _reason in selectors.duplicates_of(first)} == {second.pk, third.pk}


def test_merge_moves_everything_and_keeps_an_alias(world: World, crm: Client) -> None:
    survivor = CustomerFactory(email="a@example.com", name="张三", mobiles=["13812345678"])
    merged = CustomerFactory(name="张三丰", mobiles=["13812345678", "13900001111"], resident_id=RESIDENT_ID)
    vehicle = services.vehicle_create(actor=world.user("advisor"), owner=merged, data={"vin": VIN_A})
    response = crm.post(
        "/api/v1/customers/merge",
        {"survivor_id": survivor.pk, "merged_id": merged.pk, "choices": {"name": "merged", "resident_id": "merged"}},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["name"], body["email"], body["resident_id"]) == ("张三丰", "****", "1101**********002X")
    assert body["mobiles"] == ["138****5678", "139****1111"]
    survivor.refresh_from_db()
    assert survivor.email == "a@example.com"
    assert survivor.resident_id_digest == encryption.digest(RESIDENT_ID)
    assert sorted(survivor.phones.values_list("number", flat=True)) == ["13812345678", "13900001111"]
    assert [v["vin"] for v in body["vehicles"]] == [VIN_A]
    merged.refresh_from_db()
    assert merged.merged_into_id == survivor.pk
    assert CustomerPhone.objects.filter(customer=merged).count() == 0
    assert VehicleLink.objects.get(vehicle=vehicle).customer_id == survivor.pk
    assert CustomerAlias.objects.get().number == merged.number
    assert not SearchKey.objects.filter(customer=merged).exists()
    found = crm.get("/api/v1/customers/search", {"q": merged.number}).json()
    assert [item["customer"]["id"] for item in found["items"]] == [survivor.pk]
    entry = AuditEntry.objects.get(action="merge")
    assert entry.changes == {
        "merged": merged.number,
        "fields_taken": ["name", "resident_id"],
        "vehicle_links": 1,
        "documents": 0,
    }
    timeline = crm.get(f"/api/v1/customers/{survivor.pk}/timeline", {"kind": "archive"}).json()
    assert len(timeline) >= 3  # both customers' creation and the merge updates


def test_merge_takes_consents_with_their_time_unites_tags_and_rechecks_the_kind(world: World, crm: Client) -> None:
    survivor = CustomerFactory(tags=["老客户"], name="张三", mobiles=["13812345678"])
    merged = CustomerFactory(
        name="张三",
        mobiles=["13900002222"],
        tags=["等候区", "老客户"],
        marketing_consent=True,
        marketing_consent_channel="app",
    )
    response = crm.post(
        "/api/v1/customers/merge",
        {"survivor_id": survivor.pk, "merged_id": merged.pk, "choices": {"marketing_consent": "merged"}},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    survivor.refresh_from_db()
    merged.refresh_from_db()
    assert (survivor.marketing_consent, survivor.marketing_consent_channel) == (True, "app")
    assert survivor.marketing_consent_at == merged.marketing_consent_at
    assert survivor.tags == ["老客户", "等候区"]

    company = CustomerFactory(kind="company", name="上海某某物流有限公司", mobiles=[], uscc="91350100M000100Y43")
    person = CustomerFactory(mobiles=["13900003333"], name="张三")
    clash = crm.post(
        "/api/v1/customers/merge",
        {"survivor_id": person.pk, "merged_id": company.pk, "choices": {"uscc": "merged"}},
        content_type="application/json",
        headers={"accept-language": "en"},
    )
    assert clash.status_code == 422
    assert clash.json()["fields"] == {"choices.uscc": ["Only a company has a unified social credit code."]}
    company.refresh_from_db()
    assert (company.uscc, company.merged_into_id) == ("91350100M000100Y43", None)


def test_merge_into_itself_and_of_a_merged_customer_is_refused(world: World, crm: Client) -> None:
    one = CustomerFactory(name="张三", mobiles=["13812345678"])
    two = CustomerFactory(mobiles=["13900001111"], name="张三")
    before = AuditEntry.objects.count()
    same = crm.post(
        "/api/v1/customers/merge",
        {"survivor_id": one.pk, "merged_id": one.pk},
        content_type="application/json",
        headers={"accept-language": "en"},
    )
    assert (same.status_code, same.json()["fields"]) == (
        422,
        {"merged_id": ["A customer cannot be merged into itself."]},
    )
    bad_choice = crm.post(
        "/api/v1/customers/merge",
        {"survivor_id": one.pk, "merged_id": two.pk, "choices": {"password": "merged"}},
        content_type="application/json",
        headers={"accept-language": "en"},
    )
    assert bad_choice.json()["fields"] == {"choices.password": ["Unknown field."]}
    assert (
        crm.post(
            "/api/v1/customers/merge", {"survivor_id": one.pk, "merged_id": two.pk}, content_type="application/json"
        ).status_code
        == 200
    )
    again = crm.post(
        "/api/v1/customers/merge",
        {"survivor_id": two.pk, "merged_id": one.pk},
        content_type="application/json",
        headers={"accept-language": "en"},
    )
    # The survivor named is itself merged now: the answer names the record it went into.
    assert (again.status_code, again.json()["code"], again.json()["merged_into"]) == (
        409,
        "merged",
        {"id": one.pk, "number": one.number},
    )
    assert AuditEntry.objects.filter(action="merge").count() == 1
    assert AuditEntry.objects.count() > before


def test_review_queue_and_mark_reviewed(world: World, crm: Client) -> None:
    fresh = CustomerFactory(name="张三", mobiles=["13812345678"])
    stale = CustomerFactory(mobiles=["13900001111"], name="张三")
    Customer.objects.filter(pk=fresh.pk).update(reviewed_at=timezone.now(), completeness=100)
    Customer.objects.filter(pk=stale.pk).update(reviewed_at=timezone.now() - timedelta(days=120), completeness=100)
    queue = crm.get("/api/v1/customers/review-queue").json()
    assert [c["id"] for c in queue["items"]] == [stale.pk]
    assert crm.post(f"/api/v1/customers/{stale.pk}/review").status_code == 200
    assert crm.get("/api/v1/customers/review-queue").json()["count"] == 0
    assert crm.get("/api/v1/customers/review-queue", {"days": 1}).json()["count"] == 0


def test_completeness_follows_the_data(world: World) -> None:
    customer = CustomerFactory(name="张三", mobiles=["13812345678"])
    # mobile + owner of the default six items: mobile, address, identity, owner, data consent, vehicle.
    assert customer.completeness == 33
    services.vehicle_create(actor=world.user("advisor"), owner=customer, data={"vin": VIN_A})
    customer.refresh_from_db()
    assert customer.completeness == 50
    customer = services.customer_update(
        actor=world.user("advisor"),
        customer_id=customer.pk,
        version=customer.version,
        data={
            "resident_id": RESIDENT_ID,
            "province": "上海市",
            "city": "上海市",
            "district": "浦东新区",
            "street": "世纪大道100号",
            "data_consent": True,
            "data_consent_channel": "paper",
        },
    )
    assert customer.completeness == 100


def test_kpis(world: World, crm: Client, client_for: Callable[[User], Client]) -> None:
    complete = CustomerFactory(name="张三", mobiles=["13812345678"])
    CustomerFactory(mobiles=["13812345678"], name="张三")
    CustomerFactory(mobiles=["13700001111"], name="张三")
    Customer.objects.filter(pk=complete.pk).update(completeness=100, reviewed_at=timezone.now())
    kpis = client_for(world.user("manager")).get("/api/v1/customers/kpis").json()
    assert kpis == {
        "customers": 3,
        "completeness_rate": 33.3,
        "timeliness_rate": 33.3,
        "duplicate_rate": 66.7,
        "mean_completeness": 55.3,
        "review_days": 90,
    }
    assert client_for(world.user("advisor")).get("/api/v1/customers/kpis").status_code == 403
    assert client_for(world.user("manager")).get("/api/v1/customers/kpis", {"store": world.sz.pk}).status_code == 404
    assert Vehicle.objects.count() == 0


def test_merge_page_side_by_side_and_submit(world: World, crm: Client) -> None:
    survivor = CustomerFactory(email="keep@example.com", name="张三", mobiles=["13812345678"])
    merged = CustomerFactory(name="张三丰", mobiles=["13900001111"])
    page = crm.get(f"/customers/quality/merge/{survivor.pk}/{merged.pk}/", headers={"accept-language": "en"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "张三丰" in html and "keep@example.com" in html and 'name="pick_name"' in html
    same = crm.post(f"/customers/quality/merge/{survivor.pk}/{survivor.pk}/", headers={"accept-language": "en"})
    assert same.status_code == 400 and "A customer cannot be merged into itself." in same.content.decode()
    done = crm.post(f"/customers/quality/merge/{survivor.pk}/{merged.pk}/", {"pick_name": "merged"})
    assert done.status_code == 302 and done["Location"] == f"/customers/{survivor.pk}/"
    survivor.refresh_from_db()
    assert (survivor.name, survivor.email) == ("张三丰", "keep@example.com")


def test_duplicates_and_review_pages(world: World, crm: Client) -> None:
    one = CustomerFactory(name="张三", mobiles=["13812345678"])
    two = CustomerFactory(name="李四", mobiles=["13812345678"])
    html = crm.get("/customers/quality/duplicates/").content.decode()
    assert one.number in html and two.number in html and "138****5678" in html
    queue = crm.get("/customers/quality/review/")
    assert queue.context["page_obj"].paginator.count == 2
    marked = crm.post(f"/customers/quality/review/{one.pk}/", headers={"HX-Request": "true"})
    assert marked.status_code == 200
    one.refresh_from_db()
    assert one.reviewed_at is not None


def test_review_queue_page_filters_by_interval_and_completeness(world: World, crm: Client) -> None:
    recent, old, thin = (
        CustomerFactory(name="张三", mobiles=["13812345678"]),
        CustomerFactory(name="李四", mobiles=["13812345678"]),
        CustomerFactory(name="王五", mobiles=["13812345678"]),
    )
    now = timezone.now()
    Customer.objects.filter(pk=recent.pk).update(reviewed_at=now - timedelta(days=10), completeness=100)
    Customer.objects.filter(pk=old.pk).update(reviewed_at=now - timedelta(days=40), completeness=100)
    Customer.objects.filter(pk=thin.pk).update(reviewed_at=now - timedelta(days=10), completeness=40)

    def listed(**filters: Any) -> list[int]:
        return [c.pk for c in crm.get("/customers/quality/review/", filters).context["page_obj"]]

    assert listed() == [thin.pk]  # the store's 90 days: only the incomplete one is due
    assert listed(days=30) == [old.pk, thin.pk]
    assert listed(days=30, below=30) == [old.pk]
    bad = crm.get("/customers/quality/review/", {"days": "0", "below": "x"}, headers={"accept-language": "en"})
    assert bad.status_code == 400
    assert bad.context["form"].errors == {
        "days": ["Ensure this value is greater than or equal to 1."],
        "below": ["Enter a whole number."],
    }


def test_store_rule_changes_completeness(
    world: World, client_for: Callable[[User], Client], django_capture_on_commit_callbacks: Any
) -> None:
    customer = CustomerFactory(name="张三", mobiles=["13812345678"])
    assert customer.completeness == 33
    manager = client_for(world.user("manager"))
    bad = manager.post(
        "/customers/quality/rule/",
        {"required_fields": ["mobile", "shoe_size"], "review_days": "0"},
        headers={"accept-language": "en"},
    )
    assert bad.status_code == 400
    assert bad.context["errors"] == {
        "required_fields": ["Unknown items: shoe_size"],
        "review_days": ["Enter a number of days between 1 and 3650."],
    }

    assert not ArchiveRule.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = manager.post("/customers/quality/rule/", {"required_fields": ["mobile", "owner"], "review_days": "30"})
    assert done.status_code == 302
    rule = ArchiveRule.objects.get(store=world.sh)
    assert (rule.required_fields, rule.review_days) == (["mobile", "owner"], 30)
    customer.refresh_from_db()
    assert customer.completeness == 100


def test_archive_rule_api(
    world: World, client_for: Callable[[User], Client], django_capture_on_commit_callbacks: Any
) -> None:
    customer = CustomerFactory(name="张三", mobiles=["13812345678"])
    manager = client_for(world.user("manager"))
    got = manager.get("/api/v1/customers/archive-rule", {"store": world.sh.pk}).json()
    assert (got["required_fields"], got["review_days"]) == (
        ["mobile", "address", "identity", "owner", "data_consent", "vehicle"],
        90,
    )
    with django_capture_on_commit_callbacks(execute=True):
        put = manager.put(
            "/api/v1/customers/archive-rule",
            {"store": world.sh.pk, "required_fields": ["owner", "mobile"], "review_days": 45},
            content_type="application/json",
        )
    assert put.json()["required_fields"] == ["mobile", "owner"]
    customer.refresh_from_db()
    assert customer.completeness == 100
    other = manager.get("/api/v1/customers/archive-rule", {"store": world.sz.pk})
    assert other.status_code == 404


def test_detail_page_of_a_customer_without_owner(world: World, crm: Client) -> None:
    customer = CustomerFactory(name="张三", mobiles=["13812345678"])
    Customer.objects.filter(pk=customer.pk).update(owner=None)
    response = crm.get(f"/customers/{customer.pk}/")
    assert response.status_code == 200
    assert customer.number in response.content.decode()


def _vehicle(world: World, owner: Customer, serial: int) -> Vehicle:
    draft = f"LSVAA4180E2{serial:06d}"
    vin = draft[:8] + vin_check_digit(draft) + draft[9:]
    return services.vehicle_create(actor=world.user("advisor"), owner=owner, data={"vin": vin})


def _drive(world: World, vehicle: Vehicle, customer: Customer) -> VehicleLink:
    return services.vehicle_driver_add(
        actor=world.user("advisor"), vehicle_id=vehicle.pk, customer_id=customer.pk, valid_from=date(2024, 1, 1)
    )


def _open(vehicle: Vehicle) -> list[tuple[int, str]]:
    links = VehicleLink.objects.filter(vehicle=vehicle, valid_to=None).order_by("role", "pk")
    return list(links.values_list("customer_id", "role"))


def test_merging_two_drivers_of_one_vehicle_keeps_one_open_period(world: World) -> None:
    owner = CustomerFactory(name="车主", mobiles=["13800000001"])
    survivor, merged = (
        CustomerFactory(name="张三", mobiles=["13800000002"]),
        CustomerFactory(name="张三", mobiles=["13800000003"]),
    )
    vehicle = _vehicle(world, owner, 1)
    _drive(world, vehicle, survivor)
    ended = _drive(world, vehicle, merged)

    services.customer_merge(actor=world.user("crm"), survivor_id=survivor.pk, merged_id=merged.pk, choices={})

    assert _open(vehicle) == [(survivor.pk, "driver"), (owner.pk, "owner")]
    ended.refresh_from_db()
    assert (ended.customer_id, ended.valid_to) == (survivor.pk, timezone.localdate())


def test_merging_an_owner_into_a_driver_of_that_vehicle_leaves_an_owner_only(world: World) -> None:
    survivor, merged = (
        CustomerFactory(name="李四", mobiles=["13800000002"]),
        CustomerFactory(name="李四", mobiles=["13800000003"]),
    )
    vehicle = _vehicle(world, merged, 1)
    _drive(world, vehicle, survivor)

    services.customer_merge(actor=world.user("crm"), survivor_id=survivor.pk, merged_id=merged.pk, choices={})

    assert _open(vehicle) == [(survivor.pk, "owner")]


def test_a_merge_keeps_every_value_the_survivor_lacks(world: World, crm: Client) -> None:
    survivor = CustomerFactory(name="褚一", mobiles=["13811110001"])
    merged = CustomerFactory(
        name="褚一",
        mobiles=["13811110002"],
        landline="021-61234567",
        email="chu@example.com",
        province="上海市",
        city="上海市",
        district="浦东新区",
        street="世纪大道100号",
        resident_id=RESIDENT_ID,
        emergency_contact="褚二",
        preferences="周末到店",
        data_consent=True,
        data_consent_channel="paper",
    )

    response = crm.post(
        "/api/v1/customers/merge",
        {"survivor_id": survivor.pk, "merged_id": merged.pk, "choices": {}},
        content_type="application/json",
    )

    assert response.status_code == 200, response.json()
    survivor.refresh_from_db()
    kept = {
        field: getattr(survivor, field)
        for field in ("landline", "email", "province", "city", "district", "street", "emergency_contact", "preferences")
    }
    assert kept == {
        "landline": "021-61234567",
        "email": "chu@example.com",
        "province": "上海市",
        "city": "上海市",
        "district": "浦东新区",
        "street": "世纪大道100号",
        "emergency_contact": "褚二",
        "preferences": "周末到店",
    }
    assert (survivor.resident_id_digest, survivor.data_consent, survivor.data_consent_channel) == (
        encryption.digest(RESIDENT_ID),
        True,
        "paper",
    )
    entry = AuditEntry.objects.get(action="merge")
    assert entry.changes["fields_taken"] == [
        "city",
        "data_consent",
        "district",
        "email",
        "emergency_contact",
        "landline",
        "preferences",
        "province",
        "resident_id",
        "street",
    ]


def test_a_merged_record_is_not_marked_reviewed_and_says_where_it_went(
    world: World, crm: Client, client_for: Callable[[User], Client]
) -> None:
    survivor, merged = CustomerFactory(name="卫一"), CustomerFactory(name="卫二")
    services.customer_merge(actor=world.user("crm"), survivor_id=survivor.pk, merged_id=merged.pk, choices={})
    message = f"This record was merged into customer {survivor.number}: review that one."

    api = crm.post(f"/api/v1/customers/{merged.pk}/review", headers={"accept-language": "en"})
    page = crm.post(f"/customers/{merged.pk}/review/", headers={"accept-language": "en"}, follow=True)

    assert (api.status_code, api.json()["code"], api.json()["detail"]) == (409, "merged", message)
    assert [str(m) for m in page.context["messages"]] == [message]
    merged.refresh_from_db()
    assert merged.reviewed_at is None
