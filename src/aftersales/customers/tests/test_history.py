"""What the change log and the timelines show: mobiles, owners, documents, imported records."""

from typing import Any

from django.utils import timezone, translation

from aftersales.conftest import World
from aftersales.core.models import AuditEntry
from aftersales.customers import selectors, services
from aftersales.customers.identifiers import vin_check_digit
from aftersales.customers.models import Customer, Vehicle


def _customer(world: World, name: str, *mobiles: str, **data: Any) -> Customer:
    return services.customer_create(
        actor=world.user("advisor"), store=world.sh, data={"name": name, "mobiles": list(mobiles), **data}
    )


def _vehicle(world: World, owner: Customer) -> Vehicle:
    draft = "LSVAA4180E2000001"
    vin = draft[:8] + vin_check_digit(draft) + draft[9:]
    return services.vehicle_create(actor=world.user("advisor"), owner=owner, data={"vin": vin, "plate": "沪A12345"})


def _titles(items: list[selectors.TimelineItem]) -> list[str]:
    return [item.title for item in items]


def test_mobile_changes_are_one_entry_on_the_customer_masked_by_role(world: World) -> None:
    customer = _customer(world, "褚一", "13800000001")
    services.customer_update(
        actor=world.user("advisor"),
        customer_id=customer.pk,
        version=1,
        data={"mobiles": ["13900000002", "13800000001"]},  # a new primary, the old one kept
    )

    created, changed = reversed(selectors.change_log(customer))
    assert (created.action, created.changes["mobiles"]) == ("create", [None, ["13800000001"]])
    assert (changed.action, changed.changes) == (
        "update",
        {"mobiles": [["13800000001"], ["13900000002", "13800000001"]]},
    )
    assert not AuditEntry.objects.filter(object_type="customers.customerphone").exists()
    stored = AuditEntry.objects.get(pk=changed.pk)
    assert "13900000002" not in str(stored.changes)  # kept beside the chain, erasable

    masked = selectors.customer_timeline(customer, personal=False)
    assert [item.detail.get("mobiles") for item in masked if "mobiles" in item.detail] == [
        [["138****0001"], ["139****0002", "138****0001"]],
        [None, ["138****0001"]],
    ]


def test_owner_changes_show_on_both_customers_and_the_vehicle(world: World) -> None:
    seller = _customer(world, "卫二", "13800000001")
    buyer = _customer(world, "蒋三", "13800000002")
    vehicle = _vehicle(world, seller)
    services.vehicle_transfer(
        actor=world.user("advisor"), vehicle_id=vehicle.pk, new_owner=buyer, on=timezone.localdate()
    )

    with translation.override("en"):
        seller_items = _titles(selectors.customer_timeline(seller))
        buyer_items = _titles(selectors.customer_timeline(buyer))
        vehicle_items = _titles(selectors.vehicle_timeline(vehicle, kinds={"archive"}))
    links = "Owner / driver"
    assert [t for t in seller_items if t.startswith(links)] == [f"{links} · Updated", f"{links} · Created"]
    assert [t for t in buyer_items if t.startswith(links)] == [f"{links} · Created"]
    assert vehicle_items == [f"{links} · Created", f"{links} · Updated", f"{links} · Created", "Vehicle · Created"]


def test_a_record_written_in_bulk_starts_its_history_at_its_creation(world: World) -> None:
    [customer] = Customer.objects.bulk_create(
        [Customer(home_store=world.sh, number="CUS-SH01-2026-900001", name="沈四")]
    )
    with translation.override("en"):
        items = selectors.customer_timeline(customer)
    assert [(item.title, item.at, item.actor) for item in items] == [("Customer · Created", customer.created_at, "")]


def test_a_merge_records_the_mobiles_the_survivor_gains(world: World) -> None:
    survivor = _customer(world, "韩五", "13800000001")
    merged = _customer(world, "韩五", "13800000002", "13800000001")
    services.customer_merge(actor=world.user("crm"), survivor_id=survivor.pk, merged_id=merged.pk, choices={})

    latest = selectors.change_log(survivor)
    assert [(e.action, sorted(e.changes)) for e in latest[:2]] == [
        ("merge", ["documents", "fields_taken", "merged", "vehicle_links"]),
        ("update", ["mobiles"]),
    ]
    assert latest[1].changes["mobiles"] == [["13800000001"], ["13800000001", "13800000002"]]
