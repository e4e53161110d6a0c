"""An import row whose customer is already in the archive: skipped, filling empty fields, or created anyway;
and the same file imported twice does not double the archive."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from aftersales.conftest import World
from aftersales.core.models import User
from aftersales.customers.models import Customer, CustomerPhone, ImportJob, Vehicle, VehicleLink
from aftersales.customers.tests.factories import CustomerFactory
from aftersales.customers.tests.test_excel import RESIDENT_ID, error_rows, person, upload, vin, workbook


@pytest.fixture
def importer(world: World) -> User:
    user = world.user("crm")
    user.preferred_language = "en"
    user.save()
    return user


def _archive() -> tuple[int, int, int]:
    return Customer.objects.count(), Vehicle.objects.count(), CustomerPhone.objects.count()


def _imported(client: Client, content: bytes, capture: Any, **options: Any) -> dict[str, Any]:
    """Upload, run the job, and answer the job as the API shows it once done."""
    response = upload(client, content, capture, **options)
    assert response.status_code == 202, response.content
    job: dict[str, Any] = client.get(f"/api/v1/customers/import/{response.json()['id']}").json()
    return job


def _errors(client: Client, job: ImportJob) -> list[tuple[Any, ...]]:
    """Each reported row as (source row, errors)."""
    return [(row[-1], row[-2]) for row in error_rows(client, job.pk)[2:]]


def test_the_same_file_twice_does_not_double_the_archive(
    world: World, importer: User, client_for: Callable[[User], Client], django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(importer)
    rows = [person(1, name="王建国", resident_id=RESIDENT_ID), person(2, name="李四"), person(3, name="赵五")]
    content = workbook(rows)
    assert _imported(client, content, django_capture_on_commit_callbacks)["status"] == "done"
    after_first = _archive()
    assert after_first[:2] == (3, 3)

    second = _imported(client, content, django_capture_on_commit_callbacks)

    assert _archive() == after_first
    assert (second["status"], second["created_customers"], second["matched_rows"], second["error_rows"]) == (
        "done",
        0,
        3,
        3,
    )
    assert second["message"] == (
        "Imported 0 customers and 0 vehicles; 3 rows with errors skipped. "
        "3 rows were customers already in the archive: skipped (in the error report)."
    )
    wang = Customer.objects.get(name="王建国")
    job = ImportJob.objects.latest("id")
    assert _errors(client, job)[0] == (
        3,
        f"Name: Customer {wang.number} is already in the archive; the row was skipped.",
    )


def test_update_fills_empty_fields_reports_different_values_and_adds_new_vehicles(
    world: World, importer: User, client_for: Callable[[User], Client], django_capture_on_commit_callbacks: Any
) -> None:
    known = CustomerFactory(name="王建国", mobiles=["13812340001"], email="wang@example.com")
    client = client_for(importer)
    rows = [
        # Same name and mobile: the city is filled, the e-mail differs (kept, reported), a new vehicle is added.
        person(1, name="王建国", email="other@example.com", province="上海市", city="上海市", district="浦东新区"),
        # Same resident ID as nobody: a new customer.
        person(2, name="李四", resident_id=RESIDENT_ID),
    ]

    job = _imported(client, workbook(rows), django_capture_on_commit_callbacks, on_match="update")

    assert (job["status"], job["created_customers"], job["matched_rows"], job["updated_customers"]) == (
        "done",
        1,
        1,
        1,
    )
    known.refresh_from_db()
    assert (known.email, known.province, known.city, known.district, known.version) == (
        "wang@example.com",
        "上海市",
        "上海市",
        "浦东新区",
        2,
    )
    assert list(VehicleLink.objects.filter(customer=known).values_list("vehicle__vin", flat=True)) == [vin(1)]
    assert _errors(client, ImportJob.objects.get()) == [(3, "E-mail: The archive has “wang@example.com”; it was kept.")]
    # Imported again with update: nothing more to fill, the vehicle is already the customer's.
    again = _imported(client, workbook(rows[:1]), django_capture_on_commit_callbacks, on_match="update")
    assert (again["matched_rows"], again["updated_customers"], Vehicle.objects.count()) == (1, 0, 2)


def test_create_anyway_makes_a_new_customer_for_a_name_and_mobile_but_never_for_a_resident_id(
    world: World, importer: User, client_for: Callable[[User], Client], django_capture_on_commit_callbacks: Any
) -> None:
    same_mobile = CustomerFactory(name="王建国", mobiles=["13812340001"])
    same_id = CustomerFactory(name="李四", mobiles=["13900000000"], resident_id=RESIDENT_ID)
    client = client_for(importer)
    rows = [person(1, name="王建国"), person(2, name="李四", resident_id=RESIDENT_ID)]

    job = _imported(client, workbook(rows), django_capture_on_commit_callbacks, on_match="create")

    assert (job["created_customers"], job["error_rows"]) == (1, 1)
    assert Customer.objects.filter(name="王建国").count() == 2
    assert Customer.objects.filter(name="李四").get() == same_id
    assert _errors(client, ImportJob.objects.get()) == [
        (4, f"Resident ID: Customer {same_id.number} already has this resident ID.")
    ]
    assert same_mobile.pk in Customer.objects.filter(name="王建国").values_list("pk", flat=True)


def test_an_unknown_match_choice_is_refused(
    world: World, importer: User, client_for: Callable[[User], Client], django_capture_on_commit_callbacks: Any
) -> None:
    response = upload(client_for(importer), workbook([person(1)]), django_capture_on_commit_callbacks, on_match="merge")
    assert response.status_code == 422
    assert not ImportJob.objects.exists()


def test_a_formula_cell_is_refused_and_keeps_its_text_in_the_error_report(
    world: World, importer: User, client_for: Callable[[User], Client], django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(importer)
    # openpyxl stores "=…" as a formula without a result, as scripts and some tools write them.
    rows = [person(1, name='=CONCATENATE("王","五")'), person(2, name="赵六")]

    job = _imported(client, workbook(rows), django_capture_on_commit_callbacks)

    assert (job["created_customers"], job["error_rows"]) == (1, 1)
    report = error_rows(client, ImportJob.objects.get().pk)
    assert report[2][1] == '=CONCATENATE("王","五")'  # the name column, as text (not a live formula)
    assert report[2][-2:] == (
        'Name: This cell holds a formula (=CONCATENATE("王","五")), not a value; enter the value itself.',
        3,
    )


def test_a_resident_id_twice_in_one_file_for_two_people_is_refused_the_second_time(
    world: World, importer: User, client_for: Callable[[User], Client], django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(importer)
    rows = [person(1, name="王建国", resident_id=RESIDENT_ID), person(2, name="李四", resident_id=RESIDENT_ID)]

    job = _imported(client, workbook(rows), django_capture_on_commit_callbacks)

    assert (job["created_customers"], job["error_rows"]) == (1, 1)
    assert _errors(client, ImportJob.objects.get()) == [
        (4, "Resident ID: This resident ID is already in row 3 of this file.")
    ]
