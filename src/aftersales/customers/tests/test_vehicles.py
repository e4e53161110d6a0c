"""Vehicles: drivers, the edit page and PATCH, clearing fields, the record page's change log and timeline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from aftersales.conftest import World
from aftersales.core.errors import ApplicationError
from aftersales.core.identifiers import vin_check_digit
from aftersales.core.models import AuditEntry, User
from aftersales.customers import selectors, services
from aftersales.customers.models import Customer, MileageReading, SearchKey, Vehicle, VehicleLink, VehicleModel
from aftersales.customers.tests.factories import CustomerFactory

VIN = "1M8GDM9AXKP042788"
BAD_CHECK_VIN = "1M8GDM9A1KP042788"
PLATE = "沪A12345"
EN = {"accept-language": "en"}
HX = {"HX-Request": "true", "accept-language": "en"}
JSON = "application/json"


def _valid_vin(serial: int) -> str:
    draft = f"LSVAA4180E2{serial:06d}"
    return draft[:8] + vin_check_digit(draft) + draft[9:]


def _vehicle(world: World, owner: Customer, **data: Any) -> Vehicle:
    fields = {"vin": VIN, "plate": PLATE, "purchase_date": date(2022, 3, 1), **data}
    return services.vehicle_create(actor=world.user("advisor"), owner=owner, data=fields)


def _snapshot() -> tuple[list[tuple[Any, ...]], int]:
    """The owner and driver periods and the archive's audit entries: what a refused action must not change."""
    links = list(VehicleLink.objects.order_by("pk").values_list("customer_id", "role", "valid_from", "valid_to"))
    return links, AuditEntry.objects.filter(object_type__startswith="customers.").count()


@pytest.fixture
def advisor(world: World, client_for: Callable[[User], Client]) -> Client:
    return client_for(world.user("advisor"))


@pytest.fixture
def owner(world: World) -> Customer:
    return CustomerFactory(mobiles=["13812345678"])


@pytest.fixture
def driver(world: World) -> Customer:
    return CustomerFactory(name="李四", mobiles=["13900001111"])


@pytest.fixture
def vehicle(world: World, owner: Customer) -> Vehicle:
    return _vehicle(world, owner)


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type=JSON, headers=EN)


def _patch(client: Client, vehicle: Vehicle, body: dict[str, Any]) -> Any:
    return client.patch(f"/api/v1/vehicles/{vehicle.pk}", body, content_type=JSON, headers=EN)


# --- drivers: API and services ---------------------------------------------------------------------


def test_add_driver_answers_the_link_and_audits_it(
    world: World, advisor: Client, owner: Customer, driver: Customer, vehicle: Vehicle
) -> None:
    response = _post(
        advisor, f"/api/v1/vehicles/{vehicle.pk}/drivers", {"customer_id": driver.pk, "valid_from": "2024-05-01"}
    )

    assert response.status_code == 201, response.json()
    link = VehicleLink.objects.get(role="driver")
    assert response.json() == {
        "id": link.pk,
        "vehicle_id": vehicle.pk,
        "customer_id": driver.pk,
        "customer_number": driver.number,
        "customer_name": "李四",
        "role": "driver",
        "valid_from": "2024-05-01",
        "valid_to": None,
    }
    entry = AuditEntry.objects.get(object_type="customers.vehiclelink", object_id=str(link.pk))
    assert (entry.action, entry.actor_username, entry.store_id, entry.changes) == (
        "create",
        "advisor_sh",
        world.sh.pk,
        {
            "id": [None, link.pk],
            "vehicle_id": [None, vehicle.pk],
            "customer_id": [None, driver.pk],
            "role": [None, "driver"],
            "valid_from": [None, "2024-05-01"],
        },
    )
    detail = advisor.get(f"/api/v1/vehicles/{vehicle.pk}").json()
    assert sorted((o["id"], o["customer_id"], o["role"], o["valid_to"]) for o in detail["owners"]) == sorted(
        [
            (VehicleLink.objects.get(role="owner").pk, owner.pk, "owner", None),
            (link.pk, driver.pk, "driver", None),
        ]
    )
    driver.refresh_from_db()
    assert driver.completeness == selectors.customer_completeness(driver)[0]


def _merged(world: World) -> Customer:
    survivor = CustomerFactory(name="赵六", mobiles=["13700001111"])
    merged = CustomerFactory(name="赵陆", mobiles=["13700002222"])
    services.customer_merge(actor=world.user("crm"), survivor_id=survivor.pk, merged_id=merged.pk, choices={})
    return merged


def _anonymised(world: World) -> Customer:
    customer = CustomerFactory(name="钱七", mobiles=["13700003333"])
    Customer.objects.filter(pk=customer.pk).update(anonymised_at=timezone.now())
    return customer


@pytest.mark.parametrize(
    ("who", "valid_from", "fields"),
    [
        (
            "owner",
            "2024-05-01",
            {"customer_id": ["This customer owns the vehicle; an owner is not also recorded as a driver."]},
        ),
        ("merged", "2024-05-01", {"customer_id": ["No such active customer."]}),
        ("anonymised", "2024-05-01", {"customer_id": ["No such active customer."]}),
        ("unknown", "2024-05-01", {"customer_id": ["No such active customer."]}),
        ("driver", "tomorrow", {"valid_from": ["The start date cannot be in the future."]}),
        ("driver", "2024-13-01", {"valid_from": ["Enter a valid date (YYYY-MM-DD)."]}),
    ],
)
def test_add_driver_is_refused_with_a_field_error_and_changes_nothing(
    world: World,
    advisor: Client,
    owner: Customer,
    driver: Customer,
    vehicle: Vehicle,
    who: str,
    valid_from: str,
    fields: dict[str, list[str]],
) -> None:
    customer_id = {
        "owner": lambda: owner.pk,
        "driver": lambda: driver.pk,
        "merged": lambda: _merged(world).pk,
        "anonymised": lambda: _anonymised(world).pk,
        "unknown": lambda: 999999,
    }[who]()
    if valid_from == "tomorrow":
        valid_from = (timezone.localdate() + timedelta(days=1)).isoformat()
    before = _snapshot()

    response = _post(
        advisor, f"/api/v1/vehicles/{vehicle.pk}/drivers", {"customer_id": customer_id, "valid_from": valid_from}
    )

    assert (response.status_code, response.json()["fields"]) == (422, fields)
    assert _snapshot() == before


def test_the_same_driver_cannot_drive_twice_at_once(world: World, driver: Customer, vehicle: Vehicle) -> None:
    actor = world.user("advisor")
    first = services.vehicle_driver_add(
        actor=actor, vehicle_id=vehicle.pk, customer_id=driver.pk, valid_from=date(2024, 1, 1)
    )
    with translation.override("en"), pytest.raises(ApplicationError) as current:
        services.vehicle_driver_add(
            actor=actor, vehicle_id=vehicle.pk, customer_id=driver.pk, valid_from=date(2024, 6, 1)
        )
    assert current.value.fields == {"customer_id": ["This customer is already a driver of this vehicle."]}

    services.vehicle_driver_end(actor=actor, vehicle_id=vehicle.pk, link_id=first.pk, valid_to=date(2024, 3, 1))
    with translation.override("en"), pytest.raises(ApplicationError) as overlapping:
        services.vehicle_driver_add(
            actor=actor, vehicle_id=vehicle.pk, customer_id=driver.pk, valid_from=date(2024, 2, 1)
        )
    assert overlapping.value.fields == {
        "valid_from": ["This customer drove this vehicle until 2024-03-01; a new period cannot start before that."]
    }

    # A new period may start on the day the last one ended, as an owner's does after a transfer.
    again = services.vehicle_driver_add(
        actor=actor, vehicle_id=vehicle.pk, customer_id=driver.pk, valid_from=date(2024, 3, 1)
    )
    assert list(
        VehicleLink.objects.filter(role="driver").order_by("pk").values_list("pk", "valid_from", "valid_to")
    ) == [(first.pk, date(2024, 1, 1), date(2024, 3, 1)), (again.pk, date(2024, 3, 1), None)]
    # The database refuses a second open period even if a writer skipped the service's check.
    with pytest.raises(IntegrityError), transaction.atomic():
        VehicleLink.objects.bulk_create(
            [VehicleLink(vehicle=vehicle, customer=driver, role="driver", valid_from=date(2024, 5, 1))]
        )


def test_two_drivers_at_once_are_fine(world: World, driver: Customer, vehicle: Vehicle) -> None:
    other = CustomerFactory(name="周八", mobiles=["13700004444"])
    for customer in (driver, other):
        services.vehicle_driver_add(
            actor=world.user("advisor"), vehicle_id=vehicle.pk, customer_id=customer.pk, valid_from=date(2024, 1, 1)
        )
    assert sorted(VehicleLink.objects.filter(role="driver", valid_to=None).values_list("customer_id", flat=True)) == [
        driver.pk,
        other.pk,
    ]


def test_a_driver_who_becomes_the_owner_stops_being_a_driver(world: World, driver: Customer, vehicle: Vehicle) -> None:
    services.vehicle_driver_add(
        actor=world.user("advisor"), vehicle_id=vehicle.pk, customer_id=driver.pk, valid_from=date(2024, 1, 1)
    )
    on = timezone.localdate()
    services.vehicle_transfer(actor=world.user("advisor"), vehicle_id=vehicle.pk, new_owner=driver, on=on)
    assert sorted(VehicleLink.objects.filter(vehicle=vehicle, customer=driver).values_list("role", "valid_to")) == [
        ("driver", on),
        ("owner", None),
    ]


def test_end_driver_answers_the_link_and_audits_the_change(
    world: World, advisor: Client, driver: Customer, vehicle: Vehicle
) -> None:
    link = services.vehicle_driver_add(
        actor=world.user("advisor"), vehicle_id=vehicle.pk, customer_id=driver.pk, valid_from=date(2024, 5, 1)
    )

    response = _post(advisor, f"/api/v1/vehicles/{vehicle.pk}/drivers/{link.pk}/end", {"valid_to": "2024-05-01"})

    assert response.status_code == 200, response.json()
    assert (response.json()["id"], response.json()["valid_from"], response.json()["valid_to"]) == (
        link.pk,
        "2024-05-01",
        "2024-05-01",
    )
    link.refresh_from_db()
    assert link.valid_to == date(2024, 5, 1)
    entry = AuditEntry.objects.filter(object_type="customers.vehiclelink", object_id=str(link.pk)).latest("id")
    assert (entry.action, entry.actor_username, entry.changes) == (
        "update",
        "advisor_sh",
        {"valid_to": [None, "2024-05-01"]},
    )


@pytest.mark.parametrize(
    ("valid_to", "status", "body"),
    [
        ("2024-04-30", 422, {"valid_to": ["The end date cannot be before the start (2024-05-01)."]}),
        ("tomorrow", 422, {"valid_to": ["The end date cannot be in the future."]}),
        ("", 422, {"valid_to": ["Enter a valid date (YYYY-MM-DD)."]}),
    ],
)
def test_end_driver_is_refused_with_a_field_error_and_changes_nothing(
    world: World, advisor: Client, driver: Customer, vehicle: Vehicle, valid_to: str, status: int, body: Any
) -> None:
    link = services.vehicle_driver_add(
        actor=world.user("advisor"), vehicle_id=vehicle.pk, customer_id=driver.pk, valid_from=date(2024, 5, 1)
    )
    if valid_to == "tomorrow":
        valid_to = (timezone.localdate() + timedelta(days=1)).isoformat()
    before = _snapshot()

    response = _post(advisor, f"/api/v1/vehicles/{vehicle.pk}/drivers/{link.pk}/end", {"valid_to": valid_to})

    assert (response.status_code, response.json()["fields"]) == (status, body)
    assert _snapshot() == before


def test_end_driver_twice_is_a_conflict_and_unknown_links_are_not_found(
    world: World, advisor: Client, owner: Customer, driver: Customer, vehicle: Vehicle
) -> None:
    link = services.vehicle_driver_add(
        actor=world.user("advisor"), vehicle_id=vehicle.pk, customer_id=driver.pk, valid_from=date(2024, 5, 1)
    )
    url = f"/api/v1/vehicles/{vehicle.pk}/drivers"
    assert _post(advisor, f"{url}/{link.pk}/end", {"valid_to": "2024-06-01"}).status_code == 200
    owner_link = VehicleLink.objects.get(role="owner")
    other_vehicle = _vehicle(world, owner, vin=_valid_vin(1), plate="沪B00001")
    before = _snapshot()

    again = _post(advisor, f"{url}/{link.pk}/end", {"valid_to": "2024-07-01"})

    assert (again.status_code, again.json()["code"], again.json()["detail"]) == (
        409,
        "ended",
        "This driver's period already ended on 2024-06-01.",
    )
    assert _post(advisor, f"{url}/{owner_link.pk}/end", {"valid_to": "2024-07-01"}).status_code == 404
    assert (
        _post(
            advisor, f"/api/v1/vehicles/{other_vehicle.pk}/drivers/{link.pk}/end", {"valid_to": "2024-07-01"}
        ).status_code
        == 404
    )
    assert (
        _post(
            advisor, "/api/v1/vehicles/999999/drivers", {"customer_id": driver.pk, "valid_from": "2024-07-01"}
        ).status_code
        == 404
    )
    assert _snapshot() == before


def test_drivers_need_the_edit_right(
    world: World, client_for: Callable[[User], Client], driver: Customer, vehicle: Vehicle
) -> None:
    technician = client_for(world.user("technician"))
    link = services.vehicle_driver_add(
        actor=world.user("advisor"), vehicle_id=vehicle.pk, customer_id=driver.pk, valid_from=date(2024, 5, 1)
    )
    before = _snapshot()

    added = _post(
        technician, f"/api/v1/vehicles/{vehicle.pk}/drivers", {"customer_id": driver.pk, "valid_from": "2024-06-01"}
    )
    ended = _post(technician, f"/api/v1/vehicles/{vehicle.pk}/drivers/{link.pk}/end", {"valid_to": "2024-06-01"})
    page = technician.post(f"/customers/vehicles/{vehicle.pk}/drivers/{link.pk}/end/", {"valid_to": "2024-06-01"})

    assert (added.status_code, ended.status_code, page.status_code) == (403, 403, 403)
    assert _snapshot() == before


# --- drivers: pages --------------------------------------------------------------------------------


def test_add_driver_on_the_vehicle_page(advisor: Client, driver: Customer, vehicle: Vehicle) -> None:
    page = advisor.get(f"/customers/vehicles/{vehicle.pk}/", headers=EN)
    assert 'data-testid="driver-form"' in page.content.decode()

    response = advisor.post(
        f"/customers/vehicles/{vehicle.pk}/drivers/",
        {"customer_number": f" {driver.number.lower()} ", "valid_from": "2024-05-01"},
        headers=EN,
    )

    assert response["Location"] == f"/customers/vehicles/{vehicle.pk}/"
    link = VehicleLink.objects.get(role="driver")
    assert (link.customer_id, link.valid_from, link.valid_to) == (driver.pk, date(2024, 5, 1), None)
    shown = advisor.get(f"/customers/vehicles/{vehicle.pk}/", headers=EN)
    assert [message.message for message in shown.context["messages"]] == [f"{driver} now drives this vehicle."]
    rows = shown.context["driver_rows"]
    assert [(row_link.pk, form.link_id) for row_link, form in rows] == [(link.pk, link.pk)]
    html = shown.content.decode()
    assert f'action="/customers/vehicles/{vehicle.pk}/drivers/{link.pk}/end/"' in html


@pytest.mark.parametrize(
    ("number", "valid_from", "errors"),
    [
        (
            "CUS-NOBODY",
            "2024-05-01",
            {"customer_number": ["Pick the customer from the matches shown, or enter a customer number."]},
        ),
        (
            "owner",
            "2024-05-01",
            {"customer_number": ["This customer owns the vehicle; an owner is not also recorded as a driver."]},
        ),
        ("driver", "tomorrow", {"valid_from": ["The start date cannot be in the future."]}),
        ("driver", "", {"valid_from": ["This field is required."]}),
    ],
)
def test_add_driver_on_the_page_shows_the_field_error_and_changes_nothing(
    advisor: Client,
    owner: Customer,
    driver: Customer,
    vehicle: Vehicle,
    number: str,
    valid_from: str,
    errors: dict[str, list[str]],
) -> None:
    number = {"owner": owner.number, "driver": driver.number}.get(number, number)
    if valid_from == "tomorrow":
        valid_from = (timezone.localdate() + timedelta(days=1)).isoformat()
    before = _snapshot()

    response = advisor.post(
        f"/customers/vehicles/{vehicle.pk}/drivers/", {"customer_number": number, "valid_from": valid_from}, headers=EN
    )

    assert response.status_code == 400
    assert response.context["driver_form"].errors == errors
    message = next(iter(errors.values()))[0]
    assert f'data-testid="error-{next(iter(errors))}">{message}' in response.content.decode()
    assert _snapshot() == before


def test_end_driver_on_the_vehicle_page(world: World, advisor: Client, driver: Customer, vehicle: Vehicle) -> None:
    link = services.vehicle_driver_add(
        actor=world.user("advisor"), vehicle_id=vehicle.pk, customer_id=driver.pk, valid_from=date(2024, 5, 1)
    )
    url = f"/customers/vehicles/{vehicle.pk}/drivers/{link.pk}/end/"

    refused = advisor.post(url, {"valid_to": "2024-04-01"}, headers=EN)

    assert refused.status_code == 400
    [(shown_link, form)] = refused.context["driver_rows"]
    assert (shown_link.pk, form.errors) == (
        link.pk,
        {"valid_to": ["The end date cannot be before the start (2024-05-01)."]},
    )
    assert (
        'data-testid="error-valid_to">The end date cannot be before the start (2024-05-01).' in refused.content.decode()
    )
    link.refresh_from_db()
    assert link.valid_to is None

    ended = advisor.post(url, {"valid_to": "2024-06-30"}, headers=EN)

    assert ended["Location"] == f"/customers/vehicles/{vehicle.pk}/"
    link.refresh_from_db()
    assert link.valid_to == date(2024, 6, 30)
    page = advisor.get(f"/customers/vehicles/{vehicle.pk}/", headers=EN)
    assert [str(m) for m in page.context["messages"]] == [
        f"{driver} no longer drives this vehicle (last day 2024-06-30)."
    ]
    assert [(row_link.pk, form) for row_link, form in page.context["driver_rows"]] == [(link.pk, None)]
    assert 'data-testid="driver-end-form"' not in page.content.decode()

    stale = advisor.post(url, {"valid_to": "2024-07-31"}, headers=EN)

    assert stale.status_code == 409
    assert [str(m) for m in stale.context["messages"]] == ["This driver's period already ended on 2024-06-30."]
    link.refresh_from_db()
    assert link.valid_to == date(2024, 6, 30)
    owner_link = VehicleLink.objects.get(role="owner")
    assert (
        advisor.post(
            f"/customers/vehicles/{vehicle.pk}/drivers/{owner_link.pk}/end/", {"valid_to": "2024-07-31"}
        ).status_code
        == 404
    )


# --- PATCH: clearing fields with null --------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "stored", "cleared"),
    [
        ("model_year", 2022, None),
        ("use_type", "commercial", ""),
        ("model_id", "model", None),
        ("selling_store_id", "store", None),
        ("plate", PLATE, ""),
        ("engine_no", "EA888123", ""),
        ("colour", "白", ""),
    ],
)
def test_patch_null_clears_an_optional_field(
    world: World, advisor: Client, vehicle: Vehicle, field: str, stored: Any, cleared: Any
) -> None:
    if stored == "model":
        stored = VehicleModel.objects.create(brand=world.sh.brands.get(), series="帕萨特", name="330TSI").pk
    if stored == "store":
        stored = world.sh.pk
    assert _patch(advisor, vehicle, {"version": 1, field: stored}).status_code == 200

    response = _patch(advisor, vehicle, {"version": 2, field: None})

    assert response.status_code == 200, response.json()
    assert (response.json()[field], response.json()["version"]) == (cleared, 3)
    vehicle.refresh_from_db()
    assert getattr(vehicle, field) == cleared
    entry = AuditEntry.objects.filter(object_type="customers.vehicle", action="update").latest("id")
    assert entry.changes == {field: [stored, cleared]}


def test_patch_null_clears_the_plate_from_the_search_keys(advisor: Client, vehicle: Vehicle) -> None:
    assert SearchKey.objects.filter(vehicle=vehicle, kind="plate").exists()
    assert _patch(advisor, vehicle, {"version": 1, "plate": None}).status_code == 200
    assert not SearchKey.objects.filter(vehicle=vehicle, kind="plate").exists()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"fuel_type": None}, {"fuel_type": ["Choose one of the listed values."]}),
        ({"vin": None}, {"vin": ["Enter a VIN."]}),
        ({"vin_check_override": None}, {"vin_check_override": ["Enter true or false."]}),
        ({"version": None}, {"version": ["Enter a whole number."]}),
        (
            {"fuel_type": None, "vin": None, "purchase_date": None},
            {"fuel_type": ["Choose one of the listed values."], "vin": ["Enter a VIN."]},
        ),
    ],
)
def test_patch_null_of_a_required_field_is_refused(
    advisor: Client, vehicle: Vehicle, body: dict[str, Any], fields: dict[str, list[str]]
) -> None:
    before = AuditEntry.objects.count()

    response = _patch(advisor, vehicle, {"version": 1, **body})

    assert (response.status_code, response.json()["fields"]) == (422, fields)
    vehicle.refresh_from_db()
    assert (vehicle.vin, vehicle.fuel_type, vehicle.purchase_date, vehicle.version) == (
        VIN,
        "petrol",
        date(2022, 3, 1),
        1,
    )
    assert AuditEntry.objects.count() == before


def test_patch_checks_fields_against_the_stored_values(world: World, advisor: Client, vehicle: Vehicle) -> None:
    # Stored: invoiced 2022-03-01. A delivery more than a year before that is refused, as are the rest.
    early = _patch(advisor, vehicle, {"version": 1, "delivery_date": "2021-02-28"})
    no_store = _patch(advisor, vehicle, {"version": 1, "selling_store_id": 999999})
    no_model = _patch(advisor, vehicle, {"version": 1, "model_id": 999999})
    old_year = _patch(advisor, vehicle, {"version": 1, "model_year": 1900})
    future = _patch(advisor, vehicle, {"version": 1, "purchase_date": "2099-01-01"})

    assert early.json()["fields"] == {
        "delivery_date": [
            "The delivery date is more than a year before the invoice date (2022-03-01); check both dates."
        ]
    }
    assert no_store.json()["fields"] == {"selling_store_id": ["No such store."]}
    assert no_model.json()["fields"] == {"model_id": ["No such vehicle model."]}
    assert old_year.json()["fields"] == {"model_year": ["Enter a model year between 1950 and next year."]}
    assert future.json()["fields"] == {"purchase_date": ["The date cannot be in the future."]}
    vehicle.refresh_from_db()
    assert (vehicle.delivery_date, vehicle.selling_store_id, vehicle.model_id, vehicle.model_year, vehicle.version) == (
        None,
        None,
        None,
        None,
        1,
    )
    # A delivery up to a year before the invoice is accepted (handed over, invoiced later).
    assert _patch(advisor, vehicle, {"version": 1, "delivery_date": "2021-03-01"}).status_code == 200


# --- correcting the VIN --------------------------------------------------------------------------


def test_patch_corrects_the_vin_with_the_create_rules(
    world: World, advisor: Client, owner: Customer, vehicle: Vehicle
) -> None:
    _vehicle(world, owner, vin=_valid_vin(7), plate="沪B00007")
    refusals = {
        "bad check digit": _patch(advisor, vehicle, {"version": 1, "vin": BAD_CHECK_VIN}),
        "letter O": _patch(advisor, vehicle, {"version": 1, "vin": "1M8GDM9AXKP04278O"}),
        "no reason": _patch(advisor, vehicle, {"version": 1, "vin": BAD_CHECK_VIN, "vin_check_override": True}),
        "taken": _patch(advisor, vehicle, {"version": 1, "vin": _valid_vin(7).lower()}),
    }
    assert {name: response.json()["fields"] for name, response in refusals.items()} == {
        "bad check digit": {"vin": ["The check digit (9th character) of this VIN is wrong."]},
        "letter O": {
            "vin": ["A VIN cannot contain the letters I, O or Q (they are confused with 1 and 0); it contains O."]
        },
        "no reason": {
            "vin_override_reason": ["Give the reason why this VIN has no valid check digit (e.g. imported vehicle)."]
        },
        "taken": {
            "vin": [
                f"A vehicle with this VIN is already in the archive, owned by customer {owner.number}; "
                "record a transfer instead of adding it again."
            ]
        },
    }
    vehicle.refresh_from_db()
    assert (vehicle.vin, vehicle.version) == (VIN, 1)

    corrected = _patch(
        advisor,
        vehicle,
        {"version": 1, "vin": BAD_CHECK_VIN.lower(), "vin_check_override": True, "vin_override_reason": "平行进口车"},
    )

    assert corrected.status_code == 200, corrected.json()
    body = corrected.json()
    assert (body["vin"], body["vin_check_override"], body["vin_override_reason"], body["version"]) == (
        BAD_CHECK_VIN,
        True,
        "平行进口车",
        2,
    )
    assert sorted(SearchKey.objects.filter(vehicle=vehicle, kind__in=["vin", "vin6"]).values_list("kind", "key")) == [
        ("vin", BAD_CHECK_VIN),
        ("vin6", BAD_CHECK_VIN[-6:]),
    ]
    entry = AuditEntry.objects.filter(object_type="customers.vehicle", action="update").latest("id")
    assert entry.changes == {
        "vin": [VIN, BAD_CHECK_VIN],
        "vin_check_override": [False, True],
        "vin_override_reason": ["", "平行进口车"],
    }

    # Turning the override off checks the stored VIN again, and drops the reason once it is valid.
    off = _patch(advisor, vehicle, {"version": 2, "vin_check_override": False})
    assert off.json()["fields"] == {"vin": ["The check digit (9th character) of this VIN is wrong."]}
    fixed = _patch(advisor, vehicle, {"version": 2, "vin": VIN, "vin_check_override": False})
    assert (fixed.json()["vin"], fixed.json()["vin_check_override"], fixed.json()["vin_override_reason"]) == (
        VIN,
        False,
        "",
    )


# --- the edit page --------------------------------------------------------------------------------


def _edit_form(vehicle: Vehicle, **overrides: Any) -> dict[str, Any]:
    data = {
        "vin": vehicle.vin,
        "vin_override_reason": vehicle.vin_override_reason,
        "plate": vehicle.plate,
        "model": vehicle.model_id or "",
        "model_year": vehicle.model_year or "",
        "engine_no": vehicle.engine_no,
        "colour": vehicle.colour,
        "fuel_type": vehicle.fuel_type,
        "use_type": vehicle.use_type,
        "purchase_date": vehicle.purchase_date.isoformat() if vehicle.purchase_date else "",
        "delivery_date": vehicle.delivery_date.isoformat() if vehicle.delivery_date else "",
        "selling_store": vehicle.selling_store_id or "",
        "version": vehicle.version,
    }
    if vehicle.vin_check_override:
        data["vin_check_override"] = "on"
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_the_vehicle_page_links_to_the_edit_page_for_editors_only(
    world: World, client_for: Callable[[User], Client], vehicle: Vehicle
) -> None:
    edit_link = f'href="/customers/vehicles/{vehicle.pk}/edit/" data-testid="edit-vehicle"'
    assert edit_link in client_for(world.user("advisor")).get(f"/customers/vehicles/{vehicle.pk}/").content.decode()
    technician = client_for(world.user("technician"))
    assert edit_link not in technician.get(f"/customers/vehicles/{vehicle.pk}/").content.decode()
    assert technician.get(f"/customers/vehicles/{vehicle.pk}/edit/").status_code == 403


def test_the_edit_page_is_prefilled(world: World, advisor: Client, owner: Customer) -> None:
    model = VehicleModel.objects.create(brand=world.sh.brands.get(), series="帕萨特", name="330TSI")
    vehicle = _vehicle(world, owner, model_id=model.pk, model_year=2022, colour="白", selling_store_id=world.sh.pk)

    response = advisor.get(f"/customers/vehicles/{vehicle.pk}/edit/", headers=EN)

    assert response.status_code == 200
    form = response.context["form"]
    assert {
        name: form[name].value()
        for name in (
            "vin",
            "plate",
            "model",
            "model_year",
            "colour",
            "fuel_type",
            "purchase_date",
            "selling_store",
            "version",
        )
    } == {
        "vin": VIN,
        "plate": PLATE,
        "model": model.pk,
        "model_year": 2022,
        "colour": "白",
        "fuel_type": "petrol",
        "purchase_date": date(2022, 3, 1),
        "selling_store": world.sh.pk,
        "version": 1,
    }
    html = response.content.decode()
    assert '<input type="hidden" name="version" value="1"' in html
    assert f'value="{VIN}"' in html


def test_edit_page_saves_the_changed_fields(world: World, advisor: Client, vehicle: Vehicle) -> None:
    response = advisor.post(
        f"/customers/vehicles/{vehicle.pk}/edit/",
        _edit_form(vehicle, colour="黑", purchase_date="", fuel_type="hybrid", use_type="household"),
        headers=EN,
    )

    assert response["Location"] == f"/customers/vehicles/{vehicle.pk}/"
    vehicle.refresh_from_db()
    assert (vehicle.colour, vehicle.purchase_date, vehicle.fuel_type, vehicle.use_type, vehicle.version) == (
        "黑",
        None,
        "hybrid",
        "household",
        2,
    )
    # Without a date the derived periods are gone too, and the change log says so.
    assert (vehicle.warranty_start, vehicle.warranty_end, vehicle.sanbao_end) == (None, None, None)
    entry = AuditEntry.objects.filter(object_type="customers.vehicle", action="update").get()
    assert (entry.actor_username, entry.changes) == (
        "advisor_sh",
        {
            "colour": ["", "黑"],
            "purchase_date": ["2022-03-01", None],
            "fuel_type": ["petrol", "hybrid"],
            "use_type": ["", "household"],
            "warranty_start": ["2022-03-01", None],
            "warranty_end": ["2025-02-28", None],
            "warranty_km_limit": [60000, None],
            "sanbao_end": ["2024-02-29", None],
            "sanbao_km_limit": [50000, None],
        },
    )


def test_edit_page_with_a_stale_version_is_a_conflict_and_changes_nothing(
    world: World, advisor: Client, vehicle: Vehicle
) -> None:
    services.vehicle_update(actor=world.user("crm"), vehicle_id=vehicle.pk, version=1, data={"colour": "红"})

    response = advisor.post(
        f"/customers/vehicles/{vehicle.pk}/edit/", _edit_form(vehicle, colour="黑", version=1), headers=EN
    )

    assert response.status_code == 409
    assert response.context["conflict"] == (
        "Someone else changed this vehicle after you opened it. Reload to see their changes."
    )
    html = response.content.decode()
    assert f'href="/customers/vehicles/{vehicle.pk}/edit/" data-testid="reload"' in html
    assert 'value="黑"' in html
    vehicle.refresh_from_db()
    assert (vehicle.colour, vehicle.version) == ("红", 2)


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"vin": BAD_CHECK_VIN}, {"vin": ["The check digit (9th character) of this VIN is wrong."]}),
        (
            {"vin": BAD_CHECK_VIN, "vin_check_override": "on"},
            {"vin_override_reason": ["Give the reason why this VIN has no valid check digit (e.g. imported vehicle)."]},
        ),
        (
            {"vin": "1M8GDM9AXKP0427QQ"},
            {"vin": ["A VIN cannot contain the letters I, O or Q (they are confused with 1 and 0); it contains Q."]},
        ),
        ({"vin": "taken"}, {"vin": ["…"]}),  # the message names the owner: see below
        ({"vin": ""}, {"vin": ["This field is required."]}),
        (
            {"purchase_date": "2024-01-01", "delivery_date": "2022-12-31"},
            {
                "delivery_date": [
                    "The delivery date is more than a year before the invoice date (2024-01-01); check both dates."
                ]
            },
        ),
    ],
)
def test_edit_page_shows_field_errors_and_changes_nothing(
    world: World, advisor: Client, owner: Customer, vehicle: Vehicle, overrides: dict[str, Any], errors: Any
) -> None:
    if overrides.get("vin") == "taken":
        overrides["vin"] = _vehicle(world, owner, vin=_valid_vin(3), plate="沪B00003").vin
        errors = {
            "vin": [
                f"A vehicle with this VIN is already in the archive, owned by customer {owner.number}; "
                "record a transfer instead of adding it again."
            ]
        }
    before = AuditEntry.objects.count()

    response = advisor.post(f"/customers/vehicles/{vehicle.pk}/edit/", _edit_form(vehicle, **overrides), headers=EN)

    assert response.status_code == 400
    assert response.context["form"].errors == errors
    assert 'data-testid="form-errors"' in response.content.decode()
    vehicle.refresh_from_db()
    assert (vehicle.vin, vehicle.version) == (VIN, 1)
    assert AuditEntry.objects.count() == before


def test_edit_page_corrects_the_vin_with_a_recorded_reason(advisor: Client, vehicle: Vehicle) -> None:
    response = advisor.post(
        f"/customers/vehicles/{vehicle.pk}/edit/",
        _edit_form(vehicle, vin=BAD_CHECK_VIN, vin_check_override="on", vin_override_reason="平行进口车"),
    )

    assert response.status_code == 302
    vehicle.refresh_from_db()
    assert (vehicle.vin, vehicle.vin_check_override, vehicle.vin_override_reason, vehicle.version) == (
        BAD_CHECK_VIN,
        True,
        "平行进口车",
        2,
    )
    page = advisor.get(f"/customers/vehicles/{vehicle.pk}/")
    assert f'data-testid="vehicle-vin">{BAD_CHECK_VIN}</span>' in page.content.decode()


def test_edit_page_of_a_missing_vehicle_is_not_found(advisor: Client) -> None:
    assert advisor.get("/customers/vehicles/999999/edit/").status_code == 404
    assert advisor.post("/customers/vehicles/999999/edit/", {"vin": VIN, "version": 1}).status_code == 404


# --- the record page: change log, timeline, mileage source ----------------------------------------


def test_the_change_log_shows_old_and_new_values_of_the_vehicle_and_its_drivers(
    world: World, advisor: Client, driver: Customer, vehicle: Vehicle
) -> None:
    services.vehicle_update(
        actor=world.user("advisor"),
        vehicle_id=vehicle.pk,
        version=1,
        data={"colour": "白", "fuel_type": "bev", "selling_store_id": world.sh.pk},
    )
    link = services.vehicle_driver_add(
        actor=world.user("advisor"), vehicle_id=vehicle.pk, customer_id=driver.pk, valid_from=date(2024, 5, 1)
    )
    services.vehicle_driver_end(
        actor=world.user("advisor"), vehicle_id=vehicle.pk, link_id=link.pk, valid_to=date(2024, 6, 1)
    )

    response = advisor.get(f"/customers/vehicles/{vehicle.pk}/", headers=EN)

    rows = response.context["changes"]
    assert [(row.entry.object_type, row.entry.action) for row in rows] == [
        ("customers.vehiclelink", "update"),
        ("customers.vehiclelink", "create"),
        ("customers.vehicle", "update"),
        ("customers.vehiclelink", "create"),
        ("customers.vehicle", "create"),
    ]

    def lines(row: Any) -> list[tuple[str, str | None, str]]:
        return [(line.label, line.previous, line.value) for line in row.lines]

    assert lines(rows[0]) == [("To", "—", "2024-06-01")]
    # In the model's field order, whatever order the database keeps the stored JSON in.
    assert lines(rows[1]) == [
        ("Vehicle", None, f"{PLATE} {VIN}"),
        ("Customer", None, driver.number),
        ("Role", None, "Driver"),
        ("From", None, "2024-05-01"),
    ]
    assert lines(rows[2]) == [
        ("Colour", "—", "白"),
        ("Fuel type", "Petrol", "Battery electric"),
        ("Selling store", "—", "SH01 上海店"),
    ]
    assert ("VIN", None, VIN) in lines(rows[4])
    # Timeline badges name the fields as people read them, for the vehicle's and its periods' changes.
    labels = {line.label for item in response.context["timeline"] for line in item.lines}
    assert {"Colour", "Fuel type", "Selling store"} <= labels
    assert not [label for label in labels if "_" in label]
    html = response.content.decode()
    assert "Vehicle owner or driver · Updated" in html
    assert '<span class="text-secondary">Petrol</span> → Battery electric' in html


def test_the_timeline_is_filterable_by_kind(world: World, advisor: Client, vehicle: Vehicle) -> None:
    services.mileage_record(
        actor=world.user("advisor"), vehicle_id=vehicle.pk, km=1200, read_on=date(2025, 1, 1), source="customer"
    )
    url = f"/customers/vehicles/{vehicle.pk}/"

    mileage = advisor.get(url, {"kind": "mileage"}, headers=HX)
    archive = advisor.get(url, {"kind": "archive"}, headers=HX)
    everything = advisor.get(url, headers=EN)

    html = mileage.content.decode().strip()
    assert html.startswith('<div id="timeline"') and "<html" not in html
    assert [(item.kind, item.title, item.detail) for item in mileage.context["timeline"]] == [
        ("mileage", "Mileage 1200 km", {"source": "Customer", "reason": ""})
    ]
    assert {item.kind for item in archive.context["timeline"]} == {"archive"}
    assert "Vehicle · Created" in [item.title for item in archive.context["timeline"]]
    assert {item.kind for item in everything.context["timeline"]} == {"archive", "mileage"}
    assert everything.context["kind"] == "all"
    assert f'hx-get="{url}?kind=mileage"' in everything.content.decode()
    assert advisor.get(url, {"kind": "bogus"}).status_code == 400


@pytest.mark.parametrize("source", ["reception", "repair_order", "customer", "import"])
def test_the_mileage_form_records_the_chosen_source(advisor: Client, vehicle: Vehicle, source: str) -> None:
    response = advisor.post(
        f"/customers/vehicles/{vehicle.pk}/mileage/", {"km": 1500, "read_on": "2025-01-01", "source": source}
    )
    assert response.status_code == 302
    assert list(MileageReading.objects.values_list("km", "source")) == [(1500, source)]


def test_the_mileage_form_offers_the_sources_and_refuses_an_unknown_one(advisor: Client, vehicle: Vehicle) -> None:
    page = advisor.get(f"/customers/vehicles/{vehicle.pk}/", headers=EN)
    assert [value for value, _label in page.context["mileage_form"].fields["source"].choices] == [
        "reception",
        "repair_order",
        "customer",
        "import",
    ]
    assert '<option value="reception" selected>Reception</option>' in page.content.decode()

    refused = advisor.post(
        f"/customers/vehicles/{vehicle.pk}/mileage/",
        {"km": 1500, "read_on": "2025-01-01", "source": "guess"},
        headers=EN,
    )

    assert refused.status_code == 400
    assert refused.context["mileage_form"].errors == {
        "source": ["Select a valid choice. guess is not one of the available choices."]
    }
    assert MileageReading.objects.count() == 0


def test_the_mileage_service_refuses_an_unknown_source(world: World, vehicle: Vehicle) -> None:
    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        services.mileage_record(
            actor=world.user("advisor"), vehicle_id=vehicle.pk, km=10, read_on=date(2025, 1, 1), source="guess"
        )
    assert refused.value.fields == {"source": ["Choose one of the listed values."]}
    assert MileageReading.objects.count() == 0


def test_vehicle_page_query_count_does_not_grow_with_drivers_readings_and_changes(
    world: World, advisor: Client, owner: Customer
) -> None:
    def queries_with(count: int, serial: int) -> int:
        vehicle = _vehicle(world, owner, vin=_valid_vin(serial), plate=f"沪C{serial:05d}")
        for n in range(count):
            driver = CustomerFactory(name="司机", mobiles=[f"137{serial:04d}{n:04d}"])
            services.vehicle_driver_add(
                actor=world.user("advisor"), vehicle_id=vehicle.pk, customer_id=driver.pk, valid_from=date(2024, 1, 1)
            )
            services.mileage_record(
                actor=world.user("advisor"),
                vehicle_id=vehicle.pk,
                km=100 * (n + 1),
                read_on=date(2024, 2, 1),
                source="reception",
            )
            services.vehicle_update(
                actor=world.user("advisor"), vehicle_id=vehicle.pk, version=n + 1, data={"colour": f"色{n}"}
            )
        advisor.get(f"/customers/vehicles/{vehicle.pk}/")  # session and store set up
        with CaptureQueriesContext(connection) as captured:
            response = advisor.get(f"/customers/vehicles/{vehicle.pk}/")
        assert len(response.context["driver_rows"]) == count
        return len(captured.captured_queries)

    assert queries_with(2, 100) == queries_with(6, 200)
