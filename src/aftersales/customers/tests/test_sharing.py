"""Sharing the archive across the group's companies needs the customer's separate consent (PIPL Art. 23).

SH01 and SZ01 are two companies of the group here. A customer registered at SH01 is seen at SZ01 only
with the consent to sharing (or while SZ01 serves a visit booked there); head-office roles see all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db.models import QuerySet
from django.test import Client

from aftersales.conftest import World
from aftersales.core.models import AuditEntry, User
from aftersales.core.tests.factories import LegalEntityFactory
from aftersales.customers import services, visibility
from aftersales.customers.models import Customer
from aftersales.customers.tests.factories import CustomerFactory, VehicleFactory

EN = {"accept-language": "en"}
RESIDENT_ID = "11010519491231002X"


@pytest.fixture
def companies(world: World) -> World:
    """SH01 and SZ01 as two companies of the group."""
    for store in (world.sh, world.sz):
        store.legal_entity = LegalEntityFactory(group=world.sh.group)
        store.save()
    return world


@pytest.fixture
def shanghai_customer(companies: World) -> Customer:
    return CustomerFactory(name="钱七", mobiles=["13900001111"], resident_id=RESIDENT_ID)


def _ids(response: Any, key: str = "items") -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] if "id" in item else item["customer"]["id"] for item in response.json()[key]]


def test_another_companys_store_does_not_see_a_customer_without_consent_to_sharing(
    companies: World, shanghai_customer: Customer, client_for: Callable[[User], Client]
) -> None:
    world, customer = companies, shanghai_customer
    suzhou = client_for(world.user("advisor", "sz"))
    own = CustomerFactory(name="钱八", mobiles=["13900002222"], store=world.sz, actor=world.user("advisor", "sz"))

    assert _ids(suzhou.get("/api/v1/customers", {"q": "钱"})) == [own.pk]
    assert _ids(suzhou.get("/api/v1/customers/search", {"q": "钱"}), "items") == [own.pk]
    assert suzhou.get("/api/v1/customers/search", {"q": "13900001111"}).json()["count"] == 0
    for url in (
        f"/api/v1/customers/{customer.pk}",
        f"/api/v1/customers/{customer.pk}/timeline",
        f"/api/v1/customers/{customer.pk}/archive-card",
        f"/customers/{customer.pk}/",
        f"/customers/{customer.pk}/archive-card.pdf",
        f"/customers/{customer.pk}/edit/",
    ):
        assert suzhou.get(url).status_code == 404, url
    page = suzhou.get("/customers/", {"q": "钱"}).content.decode()
    assert "钱八" in page and "钱七" not in page
    assert (
        suzhou.patch(
            f"/api/v1/customers/{customer.pk}",
            {"version": 1, "email": "x@example.com"},
            content_type="application/json",
        ).status_code
        == 404
    )
    # Its own company's stores and head office see the customer.
    for user in (world.user("advisor"), world.user("auditor", "sz")):
        assert client_for(user).get(f"/api/v1/customers/{customer.pk}").status_code == 200
        assert customer.pk in _ids(client_for(user).get("/api/v1/customers", {"q": "钱"}))


def test_the_consent_to_sharing_is_recorded_on_the_customer_and_opens_the_archive_to_the_group(
    companies: World, shanghai_customer: Customer, client_for: Callable[[User], Client]
) -> None:
    world, customer = companies, shanghai_customer
    suzhou, shanghai = client_for(world.user("advisor", "sz")), client_for(world.user("advisor"))

    refused = shanghai.patch(
        f"/api/v1/customers/{customer.pk}",
        {"version": 1, "sharing_consent": True},
        content_type="application/json",
        headers=EN,
    )
    assert (refused.status_code, refused.json()["fields"]) == (
        422,
        {"sharing_consent_channel": ["Record how the consent was given."]},
    )
    answer = shanghai.patch(
        f"/api/v1/customers/{customer.pk}",
        {"version": 1, "sharing_consent": True, "sharing_consent_channel": "paper"},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["sharing_consent"] is True and answer.json()["sharing_consent_at"] is not None
    entry = AuditEntry.objects.filter(object_type="customers.customer", action="update").latest("pk")
    assert {key: entry.changes[key][1] for key in ("sharing_consent", "sharing_consent_channel")} == {
        "sharing_consent": True,
        "sharing_consent_channel": "paper",
    }

    assert suzhou.get(f"/api/v1/customers/{customer.pk}").status_code == 200
    assert _ids(suzhou.get("/api/v1/customers/search", {"q": "13900001111"}), "items") == [customer.pk]
    page = suzhou.get(f"/customers/{customer.pk}/").content.decode()
    assert 'data-testid="sharing-consent"><i class="bi bi-check-circle text-success"></i>' in page

    # Withdrawn (a personal-information request of the home store): hidden from SZ01 again.
    manager = client_for(world.user("manager"))
    withdrawn = manager.post(
        f"/api/v1/customers/{customer.pk}/consent/withdraw", {"which": "sharing"}, content_type="application/json"
    )
    assert (withdrawn.status_code, withdrawn.json()["sharing_consent"]) == (200, False)
    assert suzhou.get(f"/api/v1/customers/{customer.pk}").status_code == 404


def test_the_customer_form_records_the_consent_to_sharing(
    companies: World, shanghai_customer: Customer, client_for: Callable[[User], Client]
) -> None:
    shanghai = client_for(companies.user("advisor"))
    form = shanghai.get(f"/customers/{shanghai_customer.pk}/edit/").content.decode()
    assert 'name="sharing_consent"' in form and 'name="sharing_consent_channel"' in form
    data = {
        "version": 1,
        "kind": "individual",
        "name": "钱七",
        "mobiles": "13900001111",
        "source": "walk_in",
        "customer_class": "regular",
        "sharing_consent": "on",
        "sharing_consent_channel": "counter",
    }
    response = shanghai.post(f"/customers/{shanghai_customer.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[-2000:]
    shanghai_customer.refresh_from_db()
    assert (shanghai_customer.sharing_consent, shanghai_customer.sharing_consent_channel) == (True, "counter")


def test_the_same_company_and_stores_without_a_company_are_not_separated(
    world: World, client_for: Callable[[User], Client]
) -> None:
    customer = CustomerFactory(name="孙九")
    suzhou = client_for(world.user("advisor", "sz"))
    assert suzhou.get(f"/api/v1/customers/{customer.pk}").status_code == 200  # no company recorded
    company = LegalEntityFactory(group=world.sh.group)
    for store in (world.sh, world.sz):
        store.legal_entity = company
        store.save()
    assert client_for(world.user("advisor", "sz")).get(f"/api/v1/customers/{customer.pk}").status_code == 200


@pytest.fixture
def visiting(companies: World) -> Iterator[list[int]]:
    """A visit-booking area as later issues add one: customers with a visit booked at the asking stores."""
    booked: list[int] = []

    def booked_at(store_ids: frozenset[int]) -> QuerySet[Any]:
        assert store_ids == {companies.sz.pk}
        return Customer.all_objects.filter(pk__in=booked).values("pk")

    visibility.VISIT_VISIBILITY.append(booked_at)
    yield booked
    visibility.VISIT_VISIBILITY.remove(booked_at)


def test_a_store_serving_a_visit_booked_there_sees_the_customer(
    companies: World, shanghai_customer: Customer, visiting: list[int], client_for: Callable[[User], Client]
) -> None:
    assert (
        client_for(companies.user("advisor", "sz")).get(f"/api/v1/customers/{shanghai_customer.pk}").status_code == 404
    )
    visiting.append(shanghai_customer.pk)
    suzhou = client_for(companies.user("advisor", "sz"))
    assert suzhou.get(f"/api/v1/customers/{shanghai_customer.pk}").status_code == 200
    assert _ids(suzhou.get("/api/v1/customers/search", {"q": "钱七"}), "items") == [shanghai_customer.pk]


def test_a_vehicle_page_does_not_name_another_companys_customer(
    companies: World, shanghai_customer: Customer, client_for: Callable[[User], Client]
) -> None:
    vehicle = VehicleFactory(owner=shanghai_customer, plate="沪A12345")
    suzhou = client_for(companies.user("advisor", "sz"))
    owners = suzhou.get(f"/api/v1/vehicles/{vehicle.pk}").json()["owners"]
    assert [(o["customer_id"], o["customer_number"], o["customer_name"], o["role"]) for o in owners] == [
        (None, "", "", "owner")
    ]
    page = suzhou.get(f"/customers/vehicles/{vehicle.pk}/").content.decode()
    assert 'data-testid="hidden-customer"' in page and "钱七" not in page and shanghai_customer.number not in page
    assert "客户</span>：另一公司的客户" in page  # the change log names no one either
    shown = client_for(companies.user("advisor")).get(f"/api/v1/vehicles/{vehicle.pk}").json()["owners"]
    assert [(o["customer_id"], o["customer_name"]) for o in shown] == [(shanghai_customer.pk, "钱七")]


def test_a_duplicate_check_does_not_name_another_companys_customer(
    companies: World, shanghai_customer: Customer, client_for: Callable[[User], Client]
) -> None:
    suzhou = client_for(companies.user("advisor", "sz"))
    before = Customer.all_objects.count()
    shared_mobile = suzhou.post(
        "/api/v1/customers", {"name": "钱七", "mobiles": ["13900001111"]}, content_type="application/json"
    )
    assert shared_mobile.status_code == 201  # the other company's customer is not offered as a duplicate
    same_person = suzhou.post(
        "/api/v1/customers", {"name": "钱七", "resident_id": RESIDENT_ID}, content_type="application/json", headers=EN
    )
    assert (same_person.status_code, same_person.json()["fields"]) == (
        422,
        {"resident_id": ["A customer registered by another company of the group already has this resident ID."]},
    )
    assert Customer.all_objects.count() == before + 1
    # Its own company's store is told which customer it is.
    shanghai = client_for(companies.user("advisor"))
    named = shanghai.post(
        "/api/v1/customers", {"name": "钱七", "resident_id": RESIDENT_ID}, content_type="application/json", headers=EN
    )
    assert named.json()["fields"] == {
        "resident_id": [f"Customer {shanghai_customer.number} already has this resident ID."]
    }


def test_services_refuse_another_companys_customer(companies: World, shanghai_customer: Customer) -> None:
    from aftersales.core.errors import ApplicationError
    from aftersales.core.scope import scope_of

    with scope_of(companies.user("advisor", "sz")), pytest.raises(ApplicationError) as refused:
        services.customer_update(
            actor=companies.user("advisor", "sz"),
            customer_id=shanghai_customer.pk,
            version=1,
            data={"email": "a@b.cn"},
        )
    assert refused.value.status == 404
    with scope_of(None):  # a background job: the whole archive
        assert Customer.objects.filter(pk=shanghai_customer.pk).exists()


def test_a_search_finds_the_visible_customers_behind_many_hidden_ones(
    companies: World, client_for: Callable[[User], Client]
) -> None:
    for index in range(25):  # more than a page, all ranked before the one SZ01 may see
        CustomerFactory(name=f"钱{chr(0x4E00 + index)}")
    own = CustomerFactory(name="钱九九", store=companies.sz, actor=companies.user("advisor", "sz"))
    answer = client_for(companies.user("advisor", "sz")).get("/api/v1/customers/search", {"q": "钱"}).json()
    assert (answer["count"], [hit["customer"]["id"] for hit in answer["items"]]) == (1, [own.pk])
    assert client_for(companies.user("advisor")).get("/api/v1/customers/search", {"q": "钱"}).json()["count"] == 25


def test_an_import_does_not_write_into_another_companys_customer(
    companies: World,
    shanghai_customer: Customer,
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    from aftersales.customers.tests.test_excel import error_rows, person, upload, workbook

    importer = companies.user("crm", "sz")
    client = client_for(importer)
    content = workbook([person(1, name="钱七", resident_id=RESIDENT_ID, email="qian@example.com")])
    started = upload(client, content, django_capture_on_commit_callbacks, on_match="update").json()
    job = client.get(f"/api/v1/customers/import/{started['id']}").json()
    assert (job["status"], job["error_rows"], job["created_customers"]) == ("done", 1, 0)
    rows = error_rows(client, job["id"])
    assert rows[-1][-2:] == ("身份证号: 该客户由集团内其他公司登记，且未同意共享；此行已跳过。", 3)
    assert shanghai_customer.number not in str(rows)
    shanghai_customer.refresh_from_db()
    assert shanghai_customer.email == ""


def test_a_vehicle_list_hides_owners_at_a_cost_that_does_not_grow_with_it(
    companies: World, client_for: Callable[[User], Client]
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    suzhou = client_for(companies.user("advisor", "sz"))

    def listed() -> tuple[int, list[Any]]:
        with CaptureQueriesContext(connection) as queries:
            answer = suzhou.get("/api/v1/vehicles", {"limit": 50})
        assert answer.status_code == 200
        return len(queries), [owner["customer_id"] for item in answer.json()["items"] for owner in item["owners"]]

    VehicleFactory(owner=CustomerFactory(name="钱一"))
    few, owners = listed()
    assert owners == [None]
    for _ in range(5):
        VehicleFactory(owner=CustomerFactory(name="钱二"))
    own = VehicleFactory(owner=CustomerFactory(name="钱三", store=companies.sz, actor=companies.user("advisor", "sz")))
    many, owners = listed()
    assert many == few
    assert sorted(owners, key=lambda pk: pk or 0) == [None] * 6 + [own.links.get().customer_id]


def test_a_vin_held_by_another_companys_customer_is_refused_without_naming_them(
    companies: World, shanghai_customer: Customer, client_for: Callable[[User], Client]
) -> None:
    vehicle = VehicleFactory(owner=shanghai_customer, plate="沪A77777")
    own = CustomerFactory(name="钱九", store=companies.sz, actor=companies.user("advisor", "sz"))
    refused = client_for(companies.user("advisor", "sz")).post(
        "/api/v1/vehicles", {"vin": vehicle.vin, "owner_id": own.pk}, content_type="application/json"
    )
    assert refused.status_code == 422
    assert shanghai_customer.number not in str(refused.json()) and "另一公司的客户" in str(refused.json())
