"""Edge cases: merging people who share a vehicle, filtered exports, clashes in bulk writes, long names."""

from collections.abc import Callable
from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.utils import timezone

from aftersales.conftest import World
from aftersales.core.models import AuditEntry, Role, StaffMembership, User
from aftersales.customers import selectors, services
from aftersales.customers.excel.saving import _Table
from aftersales.customers.identifiers import vin_check_digit
from aftersales.customers.models import Customer, SearchKey, Vehicle, VehicleLink
from aftersales.customers.search import MAX_KEY
from aftersales.customers.selectors import search as search_ranking
from aftersales.customers.tests.factories import CustomerFactory

RESIDENT_ID = "11010519491231002X"


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


def test_the_export_page_masks_by_the_right_in_the_active_store(
    world: World, client_for: Callable[[User], Client]
) -> None:
    CustomerFactory(name="王五", resident_id=RESIDENT_ID, mobiles=["13812345678"])
    auditor = world.user("auditor")  # may export, may not see personal data, in Shanghai (active)
    StaffMembership.objects.create(user=auditor, store=world.sz, role=Role.objects.get(code="advisor"))
    client = client_for(auditor)
    client.get("/customers/")
    response = client.get("/customers/import/export/", {"q": RESIDENT_ID})
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="export")
    assert entry.changes == {"filters": {"q": "1101**********002X"}, "rows": 1, "masked": True}
    assert RESIDENT_ID not in str(entry.changes)


def test_a_filtered_search_is_filtered_inside_the_search(
    world: World, client_for: Callable[[User], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_ranking, "SEARCH_LIMIT", 2)
    for index in range(3):
        CustomerFactory(name=f"赵{'一二三'[index]}", mobiles=[f"1380000000{index}"])
    elsewhere = services.customer_create(
        actor=world.user("advisor", "sz"), store=world.sz, data={"name": "赵四", "mobiles": ["13800000009"]}
    )
    body = client_for(world.user("admin")).get("/api/v1/customers", {"q": "赵", "home_store": world.sz.pk}).json()
    assert [item["id"] for item in body["items"]] == [elsewhere.pk]


def test_a_clash_in_a_bulk_write_is_an_integrity_error_on_both_databases(world: World) -> None:
    owner = CustomerFactory(name="钱七", mobiles=["13800000001"])
    taken = _vehicle(world, owner, 1)
    table = _Table(Vehicle, ("vin", "plate", "version", "created_at", "updated_at"))
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        table.write([(taken.vin, "", 1, now, now)])


def test_a_long_company_name_is_saved_and_found_by_the_start_of_its_pinyin(world: World) -> None:
    name = "上海" + "某某" * 15 + "汽车销售服务有限公司"  # 42 characters, pinyin far over 100 letters
    company = services.customer_create(
        actor=world.user("advisor"), store=world.sh, data={"kind": "company", "name": name}
    )
    assert [hit.customer.pk for hit in selectors.archive_search("shanghaimoumou").hits] == [company.pk]


def test_search_keys_order_by_code_point_on_both_databases(world: World) -> None:
    # The ranking depends on it; on PostgreSQL it needs the C collation of migration 0003, whatever the
    # database's default collation is (this server's default, C.UTF-8, would order the same without it).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT collation_name FROM information_schema.columns "
                "WHERE table_name = 'customers_searchkey' AND column_name = 'key'"
            )
            assert cursor.fetchone() == ("C",)
    keys = ["张", "a", "Z", "_1", "A12345", "a1"]
    SearchKey.objects.bulk_create(SearchKey(key=key, kind="name") for key in keys)
    assert list(SearchKey.objects.filter(key__in=keys).order_by("key").values_list("key", flat=True)) == sorted(keys)
    between = SearchKey.objects.filter(key__gt="Z", key__lt="a" + MAX_KEY).order_by("key")
    assert list(between.values_list("key", flat=True)) == [key for key in sorted(keys) if "Z" < key < "a" + MAX_KEY]
