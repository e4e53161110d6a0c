"""The forms a counter clerk expects: one input per mobile, the address from the division table, the
birthday and gender a resident ID gives, a WeChat ID."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client

from aftersales.conftest import World
from aftersales.core.models import User
from aftersales.customers import services
from aftersales.customers.models import Customer, VehicleModel
from aftersales.customers.tests.factories import CustomerFactory, VehicleFactory

EN = {"accept-language": "en"}
JSON = "application/json"
RESIDENT_ID = "11010519491231002X"  # born 1949-12-31; the 17th digit (2) is even: female


@pytest.fixture
def advisor(world: World, client_for: Callable[[User], Client]) -> Client:
    return client_for(world.user("advisor"))


def _form(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "individual",
        "name": "李四",
        "mobiles": ["13912345678", "13800001111"],
        "source": "walk_in",
        "customer_class": "regular",
        **overrides,
    }


def test_each_mobile_has_its_own_input_and_the_first_is_required_for_a_person(world: World, advisor: Client) -> None:
    page = advisor.get("/customers/new/", headers=EN).content.decode()
    assert page.count('name="mobiles"') == 1 and 'data-testid="add-mobile"' in page
    another = advisor.get("/customers/form/mobile-input/", headers=EN).content.decode()
    assert 'name="mobiles"' in another and 'placeholder="Another mobile"' in another

    missing = advisor.post("/customers/new/", _form(mobiles=[]), headers=EN)
    company = advisor.post("/customers/new/", _form(kind="company", name="顺达物流有限公司", mobiles=[]), headers=EN)
    created = advisor.post("/customers/new/", _form(name="王五"), headers=EN)

    assert missing.status_code == 400
    assert missing.context["form"].errors["mobiles"] == ["Enter the customer's mobile number."]
    assert company.status_code == 302
    assert created.status_code == 302
    wang = Customer.objects.get(name="王五")
    assert list(wang.phones.order_by("-is_primary", "pk").values_list("number", "is_primary")) == [
        ("13912345678", True),
        ("13800001111", False),
    ]
    # The inline check reads every input at once.
    check = advisor.post("/customers/validate/mobiles/", {"mobiles": ["13912345678", "12345"]}, headers=EN)
    assert check.status_code == 400
    assert "12345: A mobile number must have 11 digits; this one has 5." in check.content.decode()


def test_the_address_is_chosen_province_then_city_then_district(world: World, advisor: Client) -> None:
    cities = advisor.get("/customers/form/address-choice/?province=广东省", headers=EN).content.decode()
    districts = advisor.get("/customers/form/address-choice/?province=上海市&city=上海市", headers=EN).content.decode()

    assert '<option value="深圳市">深圳市</option>' in cities and '<option value="浦东新区">' not in cities
    assert '<option value="浦东新区">浦东新区</option>' in districts
    refused = advisor.post("/customers/new/", _form(province="广东省", city="上海市"), headers=EN)
    assert refused.status_code == 400
    assert refused.context["form"].errors["city"] == ["Choose a city of this province from the list."]
    saved = advisor.post(
        "/customers/new/", _form(province="上海市", city="上海市", district="浦东新区", street="张杨路1号"), headers=EN
    )
    assert saved.status_code == 302
    assert Customer.objects.filter(province="上海市", city="上海市", district="浦东新区").count() == 1


@pytest.mark.parametrize(
    ("address", "field", "message"),
    [
        ({"province": "上海"}, "province", "Choose a province from the list."),
        ({"city": "上海市"}, "province", "Choose a province from the list."),
        (
            {"province": "上海市", "city": "上海市", "district": "南山区"},
            "district",
            "Choose a district of this city from the list.",
        ),
    ],
)
def test_the_api_refuses_an_address_the_table_does_not_have(
    world: World, advisor: Client, address: dict[str, str], field: str, message: str
) -> None:
    response = advisor.post(
        "/api/v1/customers", {"name": "赵六", "mobiles": ["13700000000"], **address}, content_type=JSON, headers=EN
    )
    assert (response.status_code, response.json()["fields"]) == (422, {field: [message]})
    assert not Customer.objects.exists()


def test_birthday_and_gender_come_from_the_resident_id_and_must_agree(world: World, advisor: Client) -> None:
    created = advisor.post(
        "/api/v1/customers",
        {"name": "王芳", "mobiles": ["13700000000"], "resident_id": RESIDENT_ID, "wechat_id": "wang_fang-88"},
        content_type=JSON,
        headers=EN,
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    # Answers show personal data masked (a reveal shows it, audited); the record holds it.
    assert (body["birthday"], body["gender"], body["wechat_id"]) == ("****", "female", "****")
    stored = Customer.objects.get(pk=body["id"])
    assert (stored.birthday, stored.gender, stored.wechat_id) == (date(1949, 12, 31), "female", "wang_fang-88")

    clash = advisor.post(
        "/api/v1/customers",
        {
            "name": "王芳",
            "mobiles": ["13700000001"],
            "resident_id": "110105194912310038",
            "birthday": "1950-01-01",
            "gender": "female",
        },
        content_type=JSON,
        headers=EN,
    )
    assert clash.status_code == 422
    assert clash.json()["fields"] == {
        "birthday": ["The resident ID gives the birthday 1949-12-31."],
        "gender": ["The resident ID gives the gender Male."],
    }
    bad = advisor.post(
        "/api/v1/customers",
        {"name": "赵六", "mobiles": ["13700000002"], "wechat_id": "1abc", "birthday": "2999-01-01"},
        content_type=JSON,
        headers=EN,
    )
    assert bad.json()["fields"] == {
        "birthday": ["Enter a birthday between 1900 and today."],
        "wechat_id": ["A WeChat ID has 6 to 20 letters, digits, underscores or hyphens and starts with a letter."],
    }
    # A reader without the personal right sees the birthday and WeChat ID hidden.
    technician = Client()
    technician.force_login(world.user("technician"))
    shown = technician.get(f"/api/v1/customers/{body['id']}").json()
    assert (shown["birthday"], shown["wechat_id"], shown["gender"]) == ("****", "****", "female")
    assert services.customer_clean({"name": "张三", "birthday": date(1990, 5, 1)})["birthday"] == date(1990, 5, 1)


def test_the_list_shows_plate_and_model_and_numbered_pages(world: World, advisor: Client) -> None:
    brand = world.sh.brands.get()
    model = VehicleModel.objects.create(brand=brand, series="帕萨特", name="330TSI", fuel_type="petrol")
    owner = CustomerFactory(name="王五", mobiles=["13800000001"])
    VehicleFactory(owner=owner, plate="沪A11111", model_id=model.pk)
    VehicleFactory(owner=owner, plate="沪A22222")
    for index in range(120):
        CustomerFactory(name="李" + "一二三四五六七八九十"[index % 10], mobiles=[f"1390000{index:04d}"])

    first = advisor.get("/customers/", headers=EN)
    last = advisor.get("/customers/?page=3", headers=EN)

    first_html, last_html = first.content.decode(), last.content.decode()
    assert [row.vehicles for row in first.context["rows"] if row.vehicles] == []  # the newest have none
    assert 'data-testid="page-2"' in first_html and 'data-testid="page-3"' in first_html
    assert '<span class="page-link" data-testid="page-current">3</span>' in last_html
    wang = next(row for row in last.context["rows"] if row.customer == owner)
    assert [vehicle.plate for vehicle in (wang.vehicles or [])] == ["沪A22222", "沪A11111"]
    assert '沪A22222</a> <span class="badge text-bg-light border" title="More vehicles">+1</span>' in last_html
    searched = advisor.get("/customers/?q=A11111", headers=EN).content.decode()
    assert f'data-testid="row-model">{brand.name} 帕萨特 330TSI</td>' in searched


def test_driver_and_new_owner_are_found_with_the_archive_search(world: World, advisor: Client) -> None:
    vehicle = VehicleFactory(plate="沪A11111")
    driver = CustomerFactory(name="钱多多", mobiles=["13955550000"])
    page = advisor.get(f"/customers/vehicles/{vehicle.pk}/", headers=EN).content.decode()
    assert 'hx-get="/customers/form/pick/"' in page and 'data-testid="picks-customer_number"' in page

    by_name = advisor.get("/customers/form/pick/", {"customer_number": "钱多多"}, headers=EN).content.decode()
    by_mobile = advisor.get("/customers/form/pick/", {"customer_number": "1395555"}, headers=EN).content.decode()
    nothing = advisor.get("/customers/form/pick/", {"customer_number": "无此人"}, headers=EN).content.decode()

    assert f'data-number="{driver.number}"' in by_name and f'data-number="{driver.number}"' in by_mobile
    assert "138****" not in by_name and "139****0000" in by_name  # the mobile masked, as in every list
    assert 'data-testid="no-picks"' in nothing
    # The picked number goes in the input; the page adds the driver as before.
    added = advisor.post(
        f"/customers/vehicles/{vehicle.pk}/drivers/",
        {"customer_number": driver.number, "valid_from": "2025-01-01"},
        headers=EN,
    )
    assert added.status_code == 302
    assert vehicle.links.filter(customer=driver, role="driver").count() == 1


def test_the_first_vehicle_is_added_on_the_customer_page_both_or_neither(world: World, advisor: Client) -> None:
    from aftersales.customers.models import Vehicle
    from aftersales.customers.tests.factories import valid_vin

    brand = world.sh.brands.get()
    model = VehicleModel.objects.create(brand=brand, series="ID.4", name="Pro", fuel_type="bev")
    page = advisor.get("/customers/new/", headers=EN).content.decode()
    assert 'data-testid="first-vehicle"' in page and 'name="vehicle-vin"' in page

    refused = advisor.post(
        "/customers/new/",
        _form(name="周一", **{"vehicle-plate": "沪AD12345", "vehicle-model": model.pk}),
        headers=EN,
    )
    bad_vin = advisor.post("/customers/new/", _form(name="周一", **{"vehicle-vin": "1M8GDM9A1KP042788"}), headers=EN)
    assert refused.status_code == 400
    assert refused.context["vehicle_form"].errors["vin"] == ["Enter the VIN, or leave the vehicle empty."]
    assert bad_vin.status_code == 400
    assert bad_vin.context["vehicle_form"].errors["vin"] == ["The check digit (9th character) of this VIN is wrong."]
    assert not Customer.objects.filter(name="周一").exists()  # neither the customer nor the vehicle

    created = advisor.post(
        "/customers/new/",
        _form(
            name="周一",
            **{
                "vehicle-vin": valid_vin(4242),
                "vehicle-plate": "沪AD12345",
                "vehicle-model": model.pk,
                "vehicle-use_type": "household",
                "vehicle-purchase_date": "2025-05-01",
            },
        ),
        headers=EN,
    )
    assert created.status_code == 302
    vehicle = Vehicle.objects.get(vin=valid_vin(4242))
    owner = vehicle.links.get(role="owner", valid_to=None).customer
    assert (owner.name, vehicle.plate, vehicle.fuel_type, vehicle.warranty_end) == (
        "周一",
        "沪AD12345",
        "bev",
        date(2028, 4, 30),
    )
