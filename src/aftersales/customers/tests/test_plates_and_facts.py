"""Plate history (one vehicle per plate at a time, former plates searchable), vehicle facts and warranty policies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from aftersales.conftest import World
from aftersales.core.models import AuditEntry, User
from aftersales.customers import selectors, services
from aftersales.customers.models import Customer, PlateRegistration, SearchKey, Vehicle, VehicleModel, WarrantyPolicy
from aftersales.customers.tests.factories import CustomerFactory, VehicleFactory, valid_vin

EN = {"accept-language": "en"}
JSON = "application/json"


@pytest.fixture
def advisor(world: World, client_for: Callable[[User], Client]) -> Client:
    return client_for(world.user("advisor"))


@pytest.fixture
def holder(world: World) -> Vehicle:
    """A vehicle holding 沪A12345 since 2022-03-01."""
    return VehicleFactory(owner=CustomerFactory(name="老车主"), plate="沪A12345", purchase_date=date(2022, 3, 1))


def _create(client: Client, owner: Customer, **fields: Any) -> Any:
    body = {"vin": valid_vin(700001), "owner_id": owner.pk, **fields}
    return client.post("/api/v1/vehicles", body, content_type=JSON, headers=EN)


def _state() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], int]:
    plates = list(PlateRegistration.objects.order_by("pk").values_list("vehicle_id", "plate", "valid_from", "valid_to"))
    vehicles = list(Vehicle.objects.order_by("pk").values_list("pk", "plate", "version"))
    return plates, vehicles, AuditEntry.objects.count()


# --- a plate on one vehicle at a time -------------------------------------------------------------


def test_a_plate_held_by_another_vehicle_is_refused_naming_it(world: World, advisor: Client, holder: Vehicle) -> None:
    owner_number = holder.links.get().customer.number
    buyer = CustomerFactory(name="新车主")
    before = _state()

    response = _create(advisor, buyer, plate="沪A·12345")

    assert response.status_code == 422
    assert response.json()["fields"] == {
        "plate": [
            f"The plate 沪A12345 is on the vehicle {holder.vin} (customer {owner_number}) since 2022-03-01. "
            "To move it here, give the date and the reason it ended there."
        ]
    }
    assert _state() == before


@pytest.mark.parametrize(
    ("release", "fields"),
    [
        (
            {"plate_release_on": "2022-02-28", "plate_release_reason": "moved"},
            {
                "plate_release_on": [
                    "The other vehicle has held the plate since 2022-03-01; the date cannot be before that."
                ]
            },
        ),
        ({"plate_release_on": "2999-01-01", "plate_release_reason": "moved"}, 422),
        ({"plate_release_reason": "moved"}, {"plate_release_on": ["Give the date the plate left the other vehicle."]}),
        ({"plate_release_on": "2024-05-01", "plate_release_reason": "replaced"}, 422),
    ],
)
def test_ending_a_plate_elsewhere_needs_a_sound_date_and_reason(
    world: World, advisor: Client, holder: Vehicle, release: dict[str, str], fields: Any
) -> None:
    buyer = CustomerFactory(name="新车主")
    before = _state()

    response = _create(advisor, buyer, plate="沪A12345", **release)

    assert response.status_code == 422
    if isinstance(fields, dict):
        assert response.json()["fields"] == fields
    assert _state() == before


def test_a_plate_moved_to_the_owners_new_car_ends_on_the_old_one(
    world: World, advisor: Client, holder: Vehicle
) -> None:
    owner = holder.links.get().customer

    response = _create(
        advisor,
        owner,
        plate="沪A12345",
        plate_release_on="2024-05-01",
        plate_release_reason="moved",
        delivery_date="2024-05-01",
    )

    assert response.status_code == 201, response.json()
    new = Vehicle.objects.get(pk=response.json()["id"])
    holder.refresh_from_db()
    assert (new.plate, holder.plate, holder.version) == ("沪A12345", "", 2)
    assert list(holder.plates.values_list("plate", "valid_from", "valid_to", "end_reason")) == [
        ("沪A12345", date(2022, 3, 1), date(2024, 5, 1), "moved")
    ]
    assert list(new.plates.values_list("plate", "valid_from", "valid_to")) == [("沪A12345", date(2024, 5, 1), None)]
    assert response.json()["plates"] == [
        {"plate": "沪A12345", "valid_from": "2024-05-01", "valid_to": None, "end_reason": ""}
    ]
    # The search finds the new car by its plate and the old one as "former plate".
    found = selectors.archive_search("A12345")
    assert [(hit.vehicle.pk if hit.vehicle else None, hit.matched) for hit in found.hits] == [
        (new.pk, "plate"),
        (holder.pk, "oldplate"),
    ]
    assert set(SearchKey.objects.filter(vehicle=holder).values_list("kind", flat=True)) == {"vin", "vin6", "oldplate"}
    # Both changes are in the trail: the old registration ended, the new one began.
    ended = AuditEntry.objects.filter(object_type="customers.plateregistration", action="update").get()
    assert ended.changes == {"valid_to": [None, "2024-05-01"], "end_reason": ["", "moved"]}


def test_a_new_plate_replaces_the_old_one_which_stays_searchable(
    world: World, advisor: Client, holder: Vehicle
) -> None:
    response = advisor.patch(
        f"/api/v1/vehicles/{holder.pk}", {"version": 1, "plate": "沪B54321"}, content_type=JSON, headers=EN
    )

    assert response.status_code == 200, response.json()
    today = timezone.localdate()
    assert response.json()["plates"] == [
        {"plate": "沪B54321", "valid_from": today.isoformat(), "valid_to": None, "end_reason": ""},
        {"plate": "沪A12345", "valid_from": "2022-03-01", "valid_to": today.isoformat(), "end_reason": "replaced"},
    ]
    history = advisor.get(f"/api/v1/vehicles/{holder.pk}/history").json()
    assert [entry["plate"] for entry in history["plates"]] == ["沪B54321", "沪A12345"]
    assert [
        (hit.vehicle.pk if hit.vehicle else None, hit.matched) for hit in selectors.archive_search("沪A12345").hits
    ] == [(holder.pk, "oldplate")]
    # The old plate is free: another vehicle may take it without ending anything.
    assert _create(advisor, CustomerFactory(name="新车主"), plate="沪A12345").status_code == 201


def test_the_vehicle_page_shows_the_plate_history_and_asks_to_end_a_held_plate(
    world: World, advisor: Client, holder: Vehicle
) -> None:
    other = VehicleFactory(owner=CustomerFactory(name="新车主"), plate="沪C11111")
    form = {"vin": other.vin, "plate": "沪A12345", "version": 1, "fuel_type": "petrol"}

    refused = advisor.post(f"/customers/vehicles/{other.pk}/edit/", form, headers=EN)

    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'data-testid="plate-release"' in html
    assert f"The plate 沪A12345 is on the vehicle {holder.vin}" in html

    moved = advisor.post(
        f"/customers/vehicles/{other.pk}/edit/",
        {**form, "plate_release_on": "2024-05-01", "plate_release_reason": "transferred"},
        headers=EN,
    )

    assert moved.status_code == 302
    page = advisor.get(f"/customers/vehicles/{holder.pk}/", headers=EN).content.decode()
    assert "Plate transferred (e.g. 沪牌 transfer)" in page
    # The other car's own plate (registered today) ends today; the moved plate starts on it then.
    today = timezone.localdate()
    assert list(other.plates.order_by("pk").values_list("plate", "valid_from", "valid_to", "end_reason")) == [
        ("沪C11111", today, today, "replaced"),
        ("沪A12345", today, None, ""),
    ]


def test_the_duplicates_report_lists_one_plate_shown_on_two_vehicles(world: World, holder: Vehicle) -> None:
    # A record from before the plate history: the plate is shown on a second vehicle without a registration.
    second = VehicleFactory(owner=CustomerFactory(name="赵五"))
    Vehicle.objects.filter(pk=second.pk).update(plate="沪A12345")

    groups = [group for group in selectors.duplicate_groups() if group.reason == "plate"]

    owners = sorted([holder.links.get().customer_id, second.links.get().customer_id])
    assert [(group.value, group.customer_ids) for group in groups] == [("沪A12345", owners)]


# --- vehicle facts and the warranty they derive ---------------------------------------------------


def test_the_warranty_runs_from_delivery_under_the_brand_policy(world: World, advisor: Client) -> None:
    brand = world.sh.brands.get()
    model = VehicleModel.objects.create(brand=brand, series="ID.4", name="Pro", fuel_type="bev")
    WarrantyPolicy.objects.create(
        brand=brand,
        warranty_years=4,
        warranty_km=100_000,
        sanbao_years=2,
        sanbao_km=50_000,
        valid_from=date(2020, 1, 1),
    )

    response = _create(
        advisor,
        CustomerFactory(),
        model_id=model.pk,
        use_type="household",
        purchase_date="2024-02-27",
        delivery_date="2024-02-29",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    # The fuel type is the model's; the periods run from the delivery (it differs from the invoice date).
    assert {key: body[key] for key in ("fuel_type", "use_type", "warranty_start", "warranty_end")} == {
        "fuel_type": "bev",
        "use_type": "household",
        "warranty_start": "2024-02-29",
        "warranty_end": "2028-02-28",
    }
    assert (body["warranty_km_limit"], body["sanbao_end"], body["sanbao_km_limit"]) == (100_000, "2026-02-27", 50_000)
    assert body["warranty_policy_id"] == WarrantyPolicy.objects.get().pk


def test_without_a_brand_policy_the_legal_minimum_applies(world: World, advisor: Client) -> None:
    response = _create(advisor, CustomerFactory(), purchase_date="2023-06-15")

    body = response.json()
    assert (body["warranty_start"], body["warranty_end"], body["warranty_km_limit"]) == (
        "2023-06-15",
        "2026-06-14",
        60_000,
    )
    assert (body["sanbao_end"], body["sanbao_km_limit"], body["warranty_policy_id"]) == ("2025-06-14", 50_000, None)


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        (
            {"warranty_years": 2, "warranty_km": 50_000},
            {
                "warranty_years": ["The law requires at least 3 (家用汽车产品修理、更换、退货责任规定, 第十七条)."],
                "warranty_km": ["The law requires at least 60000 (家用汽车产品修理、更换、退货责任规定, 第十七条)."],
            },
        ),
        (
            {"sanbao_years": 1},
            {"sanbao_years": ["The law requires at least 2 (家用汽车产品修理、更换、退货责任规定, 第十七条)."]},
        ),
        ({"valid_to": "2019-12-31"}, {"valid_to": ["The end cannot be before the start."]}),
        ({"brand_id": 999999}, {"brand_id": ["No such brand."]}),
    ],
)
def test_a_policy_below_the_legal_minimum_is_refused(
    world: World, client_for: Callable[[User], Client], fields: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    manager = client_for(world.user("manager"))
    body = {
        "brand_id": world.sh.brands.get().pk,
        "warranty_years": 3,
        "warranty_km": 100_000,
        "sanbao_years": 2,
        "sanbao_km": 50_000,
        "valid_from": "2020-01-01",
        **fields,
    }

    response = manager.post("/api/v1/warranty-policies", body, content_type=JSON, headers=EN)

    assert (response.status_code, response.json()["fields"]) == (422, errors)
    assert not WarrantyPolicy.objects.exists()


def test_a_new_policy_ends_the_previous_one_and_derives_the_brands_vehicles_again(
    world: World, client_for: Callable[[User], Client], django_capture_on_commit_callbacks: Any
) -> None:
    brand = world.sh.brands.get()
    model = VehicleModel.objects.create(brand=brand, series="帕萨特", name="330TSI", fuel_type="petrol")
    older = VehicleFactory(model_id=model.pk, purchase_date=date(2021, 5, 10))
    newer = VehicleFactory(model_id=model.pk, purchase_date=date(2024, 5, 10))
    first = WarrantyPolicy.objects.create(
        brand=brand,
        warranty_years=3,
        warranty_km=100_000,
        sanbao_years=2,
        sanbao_km=50_000,
        valid_from=date(2015, 1, 1),
    )
    manager = client_for(world.user("manager"))
    body = {
        "brand_id": brand.pk,
        "warranty_years": 5,
        "warranty_km": 150_000,
        "sanbao_years": 3,
        "sanbao_km": 60_000,
        "valid_from": "2024-01-01",
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post("/api/v1/warranty-policies", body, content_type=JSON, headers=EN)

    assert response.status_code == 201, response.json()
    first.refresh_from_db()
    assert first.valid_to == date(2023, 12, 31)
    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.warranty_policy_id, older.warranty_end, older.warranty_km_limit) == (
        first.pk,
        date(2024, 5, 9),
        100_000,
    )
    assert (newer.warranty_policy_id, newer.warranty_end, newer.warranty_km_limit) == (
        response.json()["id"],
        date(2029, 5, 9),
        150_000,
    )
    assert (newer.sanbao_end, newer.sanbao_km_limit, newer.version) == (date(2027, 5, 9), 60_000, 1)
    listed = manager.get(f"/api/v1/warranty-policies?brand_id={brand.pk}").json()
    assert [(item["valid_from"], item["valid_to"]) for item in listed["items"]] == [
        ("2024-01-01", None),
        ("2015-01-01", "2023-12-31"),
    ]
    # An advisor may read the policies but not set them.
    advisor = client_for(world.user("advisor"))
    assert advisor.get("/api/v1/warranty-policies").status_code == 200
    assert advisor.post("/api/v1/warranty-policies", body, content_type=JSON).status_code == 403


def test_the_model_catalogue_pages_with_limit_and_offset(world: World, advisor: Client) -> None:
    brand = world.sh.brands.get()
    for name in ("A", "B", "C"):
        VehicleModel.objects.create(brand=brand, series="帕萨特", name=name, fuel_type="petrol")
    VehicleModel.objects.create(brand=brand, series="途观", name="L", fuel_type="petrol")

    page = advisor.get(f"/api/v1/vehicle-models?brand_id={brand.pk}&series=帕萨特&limit=2&offset=1").json()

    assert (page["count"], [item["name"] for item in page["items"]]) == (3, ["B", "C"])
    assert advisor.get("/api/v1/vehicle-models?limit=0").status_code == 422


def test_the_form_chooses_brand_then_series_then_model(world: World, advisor: Client) -> None:
    brand = world.sh.brands.get()
    wanted = VehicleModel.objects.create(brand=brand, series="途观", name="L 330TSI", fuel_type="petrol")
    VehicleModel.objects.create(brand=brand, series="帕萨特", name="330TSI", fuel_type="petrol")

    series = advisor.get(f"/customers/vehicles/model-choice/?brand={brand.pk}", headers=EN).content.decode()
    models = advisor.get(f"/customers/vehicles/model-choice/?brand={brand.pk}&series=途观", headers=EN).content.decode()

    assert '<option value="途观">途观</option>' in series and '<option value="帕萨特">帕萨特</option>' in series
    assert f'<option value="{wanted.pk}">' in models and "帕萨特 330TSI" not in models
    assert advisor.get("/customers/vehicles/model-choice/?brand=x%00y&series=a%00b").status_code == 200


def test_a_delivery_long_before_the_invoice_is_refused(world: World, advisor: Client) -> None:
    before = Vehicle.objects.count()

    response = _create(advisor, CustomerFactory(), purchase_date="2024-06-01", delivery_date="2023-05-31")

    assert response.json()["fields"] == {
        "delivery_date": [
            "The delivery date is more than a year before the invoice date (2024-06-01); check both dates."
        ]
    }
    assert Vehicle.objects.count() == before
    assert date(2024, 6, 1) - date(2023, 5, 31) > timedelta(days=365)
    assert services.years_later(date(2024, 2, 29), 1) == date(2025, 2, 28)


def test_the_warranty_policy_page_lists_and_sets_policies_for_managers_only(
    world: World, client_for: Callable[[User], Client], django_capture_on_commit_callbacks: Any
) -> None:
    brand = world.sh.brands.get()
    manager = client_for(world.user("manager"))
    form = {
        "brand": brand.pk,
        "warranty_years": 3,
        "warranty_km": 100000,
        "sanbao_years": 2,
        "sanbao_km": 50000,
        "valid_from": "2024-01-01",
    }

    low = manager.post("/customers/warranty-policies/", {**form, "warranty_km": 50000}, headers=EN)
    with django_capture_on_commit_callbacks(execute=True):
        saved = manager.post("/customers/warranty-policies/", form, headers=EN)
    page = manager.get("/customers/warranty-policies/", headers=EN).content.decode()
    advisor = client_for(world.user("advisor"))

    assert low.status_code == 400
    assert low.context["form"].errors["warranty_km"] == [
        "The law requires at least 60000 (家用汽车产品修理、更换、退货责任规定, 第十七条)."
    ]
    assert saved.status_code == 302
    assert "3 years / 100000 km" in page and 'data-testid="policy-form"' in page
    shown = advisor.get("/customers/warranty-policies/", headers=EN)
    assert shown.status_code == 200 and 'data-testid="policy-form"' not in shown.content.decode()
    assert advisor.post("/customers/warranty-policies/", form, headers=EN).status_code == 400
    assert WarrantyPolicy.objects.count() == 1
