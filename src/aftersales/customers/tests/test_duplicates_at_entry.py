"""Duplicates caught at entry: a resident ID blocks, a shared mobile warns (open, or create anyway: recorded)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from aftersales.conftest import World
from aftersales.core.models import AuditEntry, User
from aftersales.customers import services
from aftersales.customers.models import Customer
from aftersales.customers.tests.factories import CustomerFactory

EN = {"accept-language": "en"}
JSON = "application/json"
RESIDENT_ID = "11010519491231002X"
WARNING = "A customer with this mobile number is already in the archive: open that record, or create a new one anyway."


@pytest.fixture
def advisor(world: World, client_for: Callable[[User], Client]) -> Client:
    return client_for(world.user("advisor"))


def _counts() -> tuple[int, int]:
    return Customer.objects.count(), AuditEntry.objects.count()


def test_an_existing_resident_id_blocks_a_second_customer_naming_the_first(world: World, advisor: Client) -> None:
    first = CustomerFactory(name="王建国", resident_id=RESIDENT_ID)
    before = _counts()

    api = advisor.post(
        "/api/v1/customers",
        {"name": "王建国", "mobiles": ["13700000001"], "resident_id": RESIDENT_ID},
        content_type=JSON,
        headers=EN,
    )
    page = advisor.post(
        "/customers/new/",
        {
            "kind": "individual",
            "name": "王建国",
            "mobiles": "13700000001",
            "resident_id": RESIDENT_ID,
            "source": "walk_in",
            "customer_class": "regular",
        },
        headers=EN,
    )

    message = f"Customer {first.number} already has this resident ID."
    assert (api.status_code, api.json()["fields"]) == (422, {"resident_id": [message]})
    assert page.status_code == 400 and message in page.content.decode()
    # Confirming duplicates does not get past a resident ID: it is one person.
    confirmed = advisor.post(
        "/api/v1/customers",
        {"name": "王建国", "resident_id": RESIDENT_ID, "confirm_duplicates": True},
        content_type=JSON,
        headers=EN,
    )
    assert confirmed.status_code == 422
    assert _counts() == before


def test_a_shared_mobile_answers_409_with_the_matches_until_confirmed(world: World, advisor: Client) -> None:
    father = CustomerFactory(name="张伟", mobiles=["13812345678"])
    before = _counts()

    refused = advisor.post(
        "/api/v1/customers", {"name": "张小伟", "mobiles": ["138 1234 5678"]}, content_type=JSON, headers=EN
    )

    assert refused.status_code == 409
    assert refused.json() == {
        "code": "possible_duplicates",
        "detail": WARNING,
        "fields": {},
        "matches": [
            {"id": father.pk, "number": father.number, "name": "张伟", "kind": "individual", "mobile": "138****5678"}
        ],
    }
    assert _counts() == before

    created = advisor.post(
        "/api/v1/customers",
        {"name": "张小伟", "mobiles": ["13812345678"], "confirm_duplicates": True},
        content_type=JSON,
        headers=EN,
    )

    assert created.status_code == 201, created.json()
    entry = AuditEntry.objects.filter(object_type="customers.customer", action="create").latest("id")
    assert entry.object_id == str(created.json()["id"])
    assert entry.changes["duplicates_confirmed"] == [None, [father.number]]


def test_the_page_lists_the_matches_to_open_or_create_anyway(world: World, advisor: Client) -> None:
    father = CustomerFactory(name="张伟", mobiles=["13812345678"])
    form = {
        "kind": "individual",
        "name": "张小伟",
        "mobiles": "13812345678",
        "source": "walk_in",
        "customer_class": "regular",
    }

    warned = advisor.post("/customers/new/", form, headers=EN)

    assert warned.status_code == 409
    html = warned.content.decode()
    assert 'data-testid="duplicates"' in html and WARNING in html
    assert f'href="/customers/{father.pk}/" data-testid="open-duplicate">{father.number} 张伟</a> · 138****5678' in html
    assert 'name="confirm_duplicates" value="1"' in html
    assert Customer.objects.filter(name="张小伟").count() == 0

    created = advisor.post("/customers/new/", {**form, "confirm_duplicates": "1"}, headers=EN)

    assert created.status_code == 302
    assert Customer.objects.filter(name="张小伟").count() == 1


def test_a_merged_or_anonymised_customer_is_no_duplicate(world: World, advisor: Client) -> None:
    gone = CustomerFactory(name="赵六", mobiles=["13900000009"], resident_id=RESIDENT_ID)
    Customer.objects.filter(pk=gone.pk).update(anonymised_at="2026-01-01T00:00:00Z")

    response = advisor.post(
        "/api/v1/customers",
        {"name": "赵六", "mobiles": ["13900000009"], "resident_id": RESIDENT_ID},
        content_type=JSON,
        headers=EN,
    )

    assert response.status_code == 201, response.json()


# --- a merged record answers with the record it lives on in ------------------------------------------


def test_a_merged_record_answers_410_naming_its_survivor_through_merges_of_merges(
    world: World, client_for: Callable[[User], Client]
) -> None:
    crm = world.user("crm")
    first = CustomerFactory(name="张三")
    second = CustomerFactory(name="张三丰")
    third = CustomerFactory(name="张君宝")
    services.customer_merge(actor=crm, survivor_id=second.pk, merged_id=first.pk, choices={})
    services.customer_merge(actor=crm, survivor_id=third.pk, merged_id=second.pk, choices={})
    client = client_for(crm)
    expected = {
        "code": "merged",
        "detail": f"This record was merged into customer {third.number}; use that one.",
        "fields": {},
        "merged_into": {"id": third.pk, "number": third.number},
    }

    detail = client.get(f"/api/v1/customers/{first.pk}", headers=EN)
    patch = client.patch(
        f"/api/v1/customers/{first.pk}", {"version": 1, "preferences": "x"}, content_type=JSON, headers=EN
    )
    review = client.post(f"/api/v1/customers/{first.pk}/review", headers=EN)

    assert (detail.status_code, detail.json()) == (410, expected)
    assert (patch.status_code, patch.json()) == (410, expected)
    assert review.status_code == 409
    assert review.json()["merged_into"] == {"id": third.pk, "number": third.number}
    first.refresh_from_db()
    assert (first.preferences, first.reviewed_at) == ("", None)
    assert client.get(f"/api/v1/customers/{third.pk}").status_code == 200


def test_a_merge_run_twice_names_where_the_record_went_and_changes_nothing(
    world: World, client_for: Callable[[User], Client]
) -> None:
    survivor, merged = CustomerFactory(name="张三"), CustomerFactory(name="张三丰")
    crm = client_for(world.user("crm"))
    body = {"survivor_id": survivor.pk, "merged_id": merged.pk, "choices": {}}
    assert crm.post("/api/v1/customers/merge", body, content_type=JSON, headers=EN).status_code == 200
    entries = AuditEntry.objects.count()

    again = crm.post("/api/v1/customers/merge", body, content_type=JSON, headers=EN)

    assert (again.status_code, again.json()["code"], again.json()["merged_into"]) == (
        409,
        "merged",
        {"id": survivor.pk, "number": survivor.number},
    )
    assert AuditEntry.objects.count() == entries


@pytest.mark.parametrize("name", ["O'Brien", "Jean-Luc Picard", "欧阳·娜娜", "D’Arcy"])
def test_names_with_apostrophes_hyphens_and_middle_dots_are_accepted(world: World, advisor: Client, name: str) -> None:
    response = advisor.post(
        "/api/v1/customers", {"name": name, "mobiles": ["13700000000"]}, content_type=JSON, headers=EN
    )
    assert response.status_code == 201, response.json()
    assert Customer.objects.get(pk=response.json()["id"]).name == name
