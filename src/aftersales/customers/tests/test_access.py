"""``customer_access`` and ``vehicle_access``: the one lookup every archive service starts from, and a
service's "not found" as the page's 404 (and nothing else as a 404)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from aftersales.conftest import World
from aftersales.core.errors import ApplicationError
from aftersales.core.models import AuditEntry, User
from aftersales.customers import selectors, services
from aftersales.customers.models import Customer
from aftersales.customers.tests.factories import CustomerFactory, VehicleFactory


def test_a_customer_is_found_for_an_actor_of_the_archive_and_locked_on_request(world: World) -> None:
    customer = CustomerFactory(name="吴十")
    found = selectors.customer_access(actor=world.user("technician"), customer_id=customer.pk, for_update=True)
    assert (found.pk, found.name) == (customer.pk, "吴十")


@pytest.mark.parametrize("who", ["outsider", "missing"])
def test_not_found_whether_missing_or_not_the_actors_and_nothing_changes(world: World, who: str) -> None:
    customer = CustomerFactory(name="吴十")
    actor = world.users["outsider"] if who == "outsider" else world.user("advisor")
    customer_id = customer.pk + 1000 if who == "missing" else customer.pk
    entries = AuditEntry.objects.count()

    with pytest.raises(ApplicationError) as refused:
        services.customer_update(actor=actor, customer_id=customer_id, version=1, data={"city": "苏州市"})

    assert (refused.value.status, refused.value.code, str(refused.value.detail)) == (404, "not_found", "未找到。")
    assert AuditEntry.objects.count() == entries
    assert Customer.objects.get(pk=customer.pk).city == ""


def test_a_merged_record_answers_410_naming_its_survivor_and_nothing_changes(world: World) -> None:
    customer, survivor = CustomerFactory(name="吴十"), CustomerFactory(name="吴十一")
    services.customer_merge(actor=world.user("crm"), survivor_id=survivor.pk, merged_id=customer.pk, choices={})
    entries = AuditEntry.objects.count()

    with pytest.raises(ApplicationError) as refused:
        services.customer_update(
            actor=world.user("advisor"), customer_id=customer.pk, version=1, data={"city": "苏州市"}
        )

    assert (refused.value.status, refused.value.code, refused.value.extra) == (
        410,
        "merged",
        {"merged_into": {"id": survivor.pk, "number": survivor.number}},
    )
    assert str(refused.value.detail) == f"此记录已合并到客户 {survivor.number}，请使用该记录。"
    assert AuditEntry.objects.count() == entries
    assert Customer.objects.get(pk=customer.pk).city == ""


def test_a_merged_record_is_found_only_when_asked_for(world: World) -> None:
    customer, survivor = CustomerFactory(name="吴十"), CustomerFactory(name="吴十一")
    services.customer_merge(actor=world.user("crm"), survivor_id=survivor.pk, merged_id=customer.pk, choices={})
    found = selectors.customer_access(actor=world.user("crm"), customer_id=customer.pk, include_merged=True)
    assert found.merged_into_id == survivor.pk


def test_a_vehicle_is_not_found_for_an_actor_outside_the_archive(world: World) -> None:
    vehicle = VehicleFactory(plate="沪A22222")
    assert selectors.vehicle_access(actor=world.user("parts"), vehicle_id=vehicle.pk).plate == "沪A22222"
    with pytest.raises(ApplicationError) as refused:
        services.vehicle_update(actor=world.users["outsider"], vehicle_id=vehicle.pk, version=1, data={"colour": "红"})
    assert refused.value.status == 404
    vehicle.refresh_from_db()
    assert (vehicle.colour, vehicle.version) == ("", 1)


def test_a_page_answers_a_services_not_found_with_404_and_other_refusals_as_themselves(
    world: World, client_for: Callable[[User], Client]
) -> None:
    manager = client_for(world.user("manager"))
    assert manager.post("/customers/987654/review/").status_code == 404
    customer = CustomerFactory(name="吴十")
    assert manager.post(f"/customers/{customer.pk}/review/").status_code == 302
    # A refusal that is not "not found" stays a form error on its page (400), never a 404.
    rule = manager.post(
        "/customers/quality/rule/",
        {"required_fields": ["mobile"], "review_days": "0"},
        headers={"accept-language": "en"},
    )
    assert rule.status_code == 400
    assert dict(rule.context["errors"]) == {"review_days": ["Enter a number of days between 1 and 3650."]}
