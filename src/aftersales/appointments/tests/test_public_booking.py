"""The customer's own booking page (/book/): three steps without signing in, the mobile proved by a
one-time SMS code, the booking made online with the car as typed and the marketing consent as given.
Every refusal is a field error that writes nothing. Pages are read in English (the Chinese is the
catalogue's, checked by the translations test)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from aftersales.appointments import offers
from aftersales.appointments.models import Appointment, AppointmentService, BookingSettings
from aftersales.appointments.selectors import online_operations, package_suggestions
from aftersales.appointments.services import appointment_cancel, booking_settings_save
from aftersales.appointments.tests.conftest import Booking
from aftersales.appointments.tests.factories import NOW, Clock, book, counts, ref
from aftersales.appointments.views import public as public_views
from aftersales.appointments.views.public import CODES_PER_ADDRESS, SESSION_MOBILES, address_key, store_qr
from aftersales.catalogue.models import PackageItem, ServicePackage
from aftersales.catalogue.tests.factories import LabourOperationFactory
from aftersales.core.errors import ConflictError
from aftersales.core.models import Store
from aftersales.core.tests.factories import BrandFactory
from aftersales.customers.tests.factories import valid_vin
from aftersales.messaging.models import Message, MessageTemplate, OneTimeCode, OneTimeCodeGuard

MOBILE = "13912345678"
PAGE = "/book/SH01/"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, NOW)


@pytest.fixture
def online(booking: Booking, clock: Clock) -> Booking:
    """SH01 takes bookings online; the code SMS is on; packages every 5,000, 10,000 and (Passat) 40,000 km."""
    BookingSettings.objects.update_or_create(store=booking.store, defaults={"online_booking": True})
    MessageTemplate.objects.filter(event="verification_code").update(
        is_active=True, sms_sign_name="华东汽车", sms_template_code="SMS_300001"
    )
    booking.package.interval_km = 10000
    booking.package.save()
    brand = booking.store.brands.first()
    first = ServicePackage.objects.create(
        group=booking.store.group, brand=brand, code="PK05", name="首次保养", interval_km=5000
    )
    major = ServicePackage.objects.create(
        group=booking.store.group,
        brand=brand,
        code="PK40",
        name="帕萨特4万公里保养",
        series="帕萨特",
        interval_km=40000,
    )
    for package in (first, major):
        PackageItem.objects.create(package=package, kind="labour", operation=booking.oil)
    return booking


@pytest.fixture
def client() -> Client:
    return Client(headers={"accept-language": "en"})


def _tomorrow(b: Booking) -> date:
    return b.day(1)


def _car(client: Client, **fields: Any) -> Any:
    data = {"plate_text": "沪A 12345", "model_text": "帕萨特 330TSI", "mileage": "9800", "vin_text": "", **fields}
    return client.post(PAGE + "?step=car", data)


def _time(client: Client, b: Booking, *refs: str, hhmm: str = "10:00", **fields: Any) -> Any:
    data = {"services": list(refs) or [ref(b.package)], "day": _tomorrow(b).isoformat(), "time": hhmm, **fields}
    return client.post(PAGE + "?step=time", data)


def _code(client: Client, mobile: str = MOBILE) -> str:
    response = client.post(PAGE + "?step=contact", {"mobile": mobile, "action": "code"})
    assert response.status_code == 200, response.content.decode()[:500]
    return str(Message.objects.filter(event="verification_code").latest("pk").variables["code"])


def _book(client: Client, code: str, **fields: Any) -> Any:
    data = {"contact_name": "张先生", "mobile": MOBILE, "code": code, "action": "book", **fields}
    return client.post(PAGE + "?step=contact", data)


def _to_contact(client: Client, b: Booking, *refs: str, hhmm: str = "10:00") -> None:
    assert _car(client).status_code == 302
    assert _time(client, b, *refs, hhmm=hhmm).status_code == 302


def _field_errors(response: Any) -> dict[str, list[str]]:
    form = response.context["form"]
    return {name: list(errors) for name, errors in form.errors.items()}


def test_the_stores_page_lists_the_stores_that_book_online_with_their_qr(online: Booking, client: Client) -> None:
    response = client.get("/book/")
    html = response.content.decode()
    assert response.status_code == 200
    assert [store.code for store, _url, _qr in response.context["stores"]] == ["SH01"]
    assert 'href="/book/SH01/"' in html and "SZ01" not in html
    assert str(store_qr("http://testserver/book/SH01/")) in html


def test_a_customer_books_in_three_steps_and_the_booking_is_exactly_what_was_given(
    online: Booking, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    b = online
    page = client.get(PAGE)
    assert (page.status_code, page.context["step"]) == (200, "car")
    response = _car(client, vin_text="")
    assert (response.status_code, response["Location"]) == (302, PAGE + "?step=time")

    page = client.get(PAGE + "?step=time")
    html = page.content.decode()
    assert page.context["step"] == "time"
    # 9,800 km: the 10,000 km service is due (200 km away), suggested and ticked; the Passat's 40,000 km
    # package is offered for the model, after it.
    rows = [(row.package.code, row.suggested, row.due_km) for row, _checked in page.context["package_rows"]]
    assert rows == [("PK10", True, 10000), ("PK40", False, 40000), ("PK05", False, 10000)]
    assert re.search(rf'value="package:{b.package.pk}" id="package-{b.package.pk}" checked', html)
    # The first open day is today (10:00 now): its times start at 10:00.
    assert page.context["form"]["day"].value() == b.day(0).isoformat()
    assert page.context["times"].free[0] == "10:00"

    response = _time(client, b, hhmm="10:00")
    assert (response.status_code, response["Location"]) == (302, PAGE + "?step=contact")
    page = client.get(PAGE + "?step=contact")
    html = page.content.decode()
    assert "How we use your personal information" in html
    assert "Personal Information Protection Law Art. 13(1)(2)" in html
    assert re.search(
        r'<input type="checkbox" name="marketing_consent" class="form-check-input" id="id_marketing_consent">', html
    )

    code = _code(client)
    before = counts()
    with django_capture_on_commit_callbacks(execute=True):
        response = _book(client, code, marketing_consent="on")
    assert (response.status_code, response["Location"]) == (302, PAGE)
    appointment = Appointment.all_objects.get()
    assert {
        "channel": appointment.channel,
        "state": appointment.state,
        "customer": appointment.customer_id,
        "vehicle": appointment.vehicle_id,
        "contact_name": appointment.contact_name,
        "contact_mobile": appointment.contact_mobile,
        "plate_text": appointment.plate_text,
        "model_text": appointment.model_text,
        "vin_text": appointment.vin_text,
        "mileage": appointment.mileage,
        "starts_at": appointment.starts_at,
        "hours": appointment.hours,
        "marketing_consent": appointment.marketing_consent,
        "marketing_consent_at": appointment.marketing_consent_at,
        "created_by": appointment.created_by_id,
        "overbooked": appointment.overbooked,
    } == {
        "channel": "online",
        "state": "booked",
        "customer": None,
        "vehicle": None,
        "contact_name": "张先生",
        "contact_mobile": MOBILE,
        "plate_text": "沪A12345",
        "model_text": "帕萨特 330TSI",
        "vin_text": "",
        "mileage": 9800,
        "starts_at": b.at("10:00"),
        "hours": Decimal("1.00"),
        "marketing_consent": True,
        "marketing_consent_at": NOW,
        "created_by": None,
        "overbooked": False,
    }
    assert [(row.operation_id, row.package_id) for row in appointment.services.all()] == [(b.oil.pk, b.package.pk)]
    assert list(appointment.events.values_list("action", "actor", "to_state")) == [("book", None, "booked")]
    assert OneTimeCode.objects.get().used_at == NOW
    after = counts()
    assert (after["appointments"] - before["appointments"], after["messages"] - before["messages"]) == (1, 1)
    confirmation = Message.objects.get(event="appointment_booked")
    assert (confirmation.channel, confirmation.address) == ("sms", MOBILE)

    done = client.get(PAGE)
    assert done.context["done"] == {
        "number": appointment.number,
        "day": _tomorrow(b).isoformat(),
        "time": "10:00",
        "services": ["1万公里保养"],
        "mobile": "139****5678",
    }


def test_the_consent_is_not_given_unless_ticked(online: Booking, client: Client) -> None:
    _to_contact(client, online)
    assert _book(client, _code(client)).status_code == 302
    appointment = Appointment.all_objects.get()
    assert (appointment.marketing_consent, appointment.marketing_consent_at) == (False, None)


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"plate_text": "沪A1234O"}, {"plate_text"}),
        ({"plate_text": "XA12345"}, {"plate_text"}),
        ({"plate_text": ""}, {"plate_text"}),
        ({"model_text": ""}, {"model_text"}),
        ({"mileage": "-5"}, {"mileage"}),
        ({"mileage": "abc"}, {"mileage"}),
        ({"vin_text": "LSVAU2180N2183291"}, {"vin_text"}),
    ],
)
def test_a_wrong_car_is_refused_on_its_field_and_nothing_is_kept(
    online: Booking, client: Client, fields: dict[str, str], errors: set[str]
) -> None:
    before = counts()
    response = _car(client, **fields)
    assert response.status_code == 400
    assert set(_field_errors(response)) == errors
    assert counts() == before
    assert "book:SH01" not in client.session


def test_every_wrong_field_of_the_car_is_named_at_once(online: Booking, client: Client) -> None:
    before = counts()
    response = _car(client, plate_text="ABC", mileage="-5", vin_text="LSVAU2180N2183291")
    assert response.status_code == 400
    assert set(_field_errors(response)) == {"plate_text", "mileage", "vin_text"}
    assert counts() == before


def test_a_plate_in_a_wrong_format_says_why(online: Booking, client: Client) -> None:
    response = _car(client, plate_text="沪A1234O")
    assert _field_errors(response) == {
        "plate_text": ["A licence plate cannot contain the letters I or O (confused with 1 and 0); it contains O."]
    }


def test_a_store_that_does_not_book_online_has_no_page(online: Booking, client: Client) -> None:
    assert client.get("/book/SZ01/").status_code == 404
    assert client.post("/book/SZ01/?step=car", {"plate_text": "沪A12345"}).status_code == 404
    assert client.get("/book/NOPE/").status_code == 404
    Store.all_objects.filter(pk=online.store.pk).update(is_active=False)
    assert client.get(PAGE).status_code == 404
    assert client.get("/book/").context["stores"] == []


def test_a_store_that_stops_booking_online_refuses_the_last_step(online: Booking, client: Client) -> None:
    _to_contact(client, online)
    code = _code(client)
    BookingSettings.objects.filter(store=online.store).update(online_booking=False)
    before = counts()
    assert _book(client, code).status_code == 404
    assert counts() == before


def test_a_later_step_without_the_earlier_ones_shows_the_first(online: Booking, client: Client) -> None:
    page = client.get(PAGE + "?step=contact")
    assert (page.status_code, page.context["step"]) == (200, "car")
    before = counts()
    response = client.post(PAGE + "?step=contact", {"mobile": MOBILE, "action": "code"})
    assert (response.status_code, response.context["step"]) == (400, "car")
    assert counts() == before and OneTimeCode.objects.count() == 0


def test_a_time_not_free_is_refused_at_step_two(online: Booking, client: Client) -> None:
    assert _car(client).status_code == 302
    response = _time(client, online, hhmm="07:00")
    assert response.status_code == 400
    assert _field_errors(response) == {"time": ["Choose one of the free times."]}
    response = _time(client, online, hhmm="")
    assert _field_errors(response) == {"time": ["Choose one of the free times."]}
    response = _time(client, online, "operation:999999")
    assert set(_field_errors(response)) == {"services"}
    response = _time(client, online, day="2020-01-01")
    assert set(_field_errors(response)) == {"day"}
    assert client.session["book:SH01"] == {
        "car": {"plate": "沪A12345", "model": "帕萨特 330TSI", "mileage": 9800, "vin": ""}
    }


def test_the_free_times_partial_offers_the_two_nearest_and_no_past_time(online: Booking, client: Client) -> None:
    assert _car(client).status_code == 302
    query = {"services": ref(online.oil), "day": online.day(0).isoformat(), "time": ""}
    response = client.get(PAGE + "times/", query)
    times = response.context["times"]
    # Today at 10:00 (store time): nothing before 10:00 is offered.
    assert (response.status_code, times.offered, times.free[0]) == (200, ["10:00", "10:15"], "10:00")
    response = client.get(PAGE + "times/", {**query, "day": online.day(1).isoformat(), "time": "14:00"})
    assert response.context["times"].offered == ["14:00", "13:45"]
    response = client.get(PAGE + "times/", {**query, "services": "operation:999999"})
    assert response.status_code == 400
    assert client.get(PAGE + "times/").status_code == 200


def test_a_wrong_code_is_refused_on_the_code_and_books_nothing(online: Booking, client: Client) -> None:
    _to_contact(client, online)
    code = _code(client)
    before = counts()
    response = _book(client, "000000" if code != "000000" else "111111")
    assert response.status_code == 400
    assert _field_errors(response) == {"code": ["Wrong code: 4 more tries before the number is locked."]}
    assert counts() == before
    assert OneTimeCodeGuard.objects.get().failures == 1
    response = _book(client, "")
    assert _field_errors(response) == {"code": ["Enter the 6-digit code sent to your mobile."]}
    response = _book(client, code, contact_name="")
    assert _field_errors(response) == {"contact_name": ["Enter how we should address you."]}
    assert counts() == before


def test_a_used_code_cannot_book_again(online: Booking, client: Client) -> None:
    _to_contact(client, online)
    code = _code(client)
    assert _book(client, code).status_code == 302
    _to_contact(client, online, hhmm="11:00")
    before = counts()
    response = _book(client, code)
    assert response.status_code == 400
    assert _field_errors(response) == {"code": ["This code has been used already: ask for a new one."]}
    assert counts() == before


def test_a_time_just_taken_offers_the_next_and_the_same_code_books_one(online: Booking, client: Client) -> None:
    b = online
    _to_contact(client, b, hhmm="10:00")
    code = _code(client)
    # Meanwhile an agent takes 10:00, the only technician who could do it then: a second is refused.
    book(b, "10:00")
    with pytest.raises(ConflictError):
        book(b, "10:00")
    before = counts()
    response = _book(client, code)
    assert response.status_code == 409
    offered = response.context["offered"]
    assert len(offered) == 2 and "10:00" not in offered
    assert _field_errors(response) == {
        "time": [f"This time is no longer free. Free now: {', '.join(offered)}."],
    }
    assert 'data-testid="again-1"' in response.content.decode()
    assert counts() == before
    assert OneTimeCode.objects.get().used_at is None
    response = _book(client, code, time=offered[0])
    assert response.status_code == 302
    appointment = Appointment.all_objects.get(channel="online")
    assert f"{appointment.starts_at.astimezone(b.store.zone):%H:%M}" == offered[0]


def _forget_mobiles(client: Client) -> None:
    """A new browser session as far as the numbers sent codes go (the booking in progress kept)."""
    session = client.session
    session.pop(SESSION_MOBILES, None)
    session.save()


def test_codes_are_limited_per_client_address(online: Booking, client: Client) -> None:
    _to_contact(client, online)
    for number in range(CODES_PER_ADDRESS):
        _forget_mobiles(client)
        _code(client, f"139000{number:05d}")
    _forget_mobiles(client)
    before = counts(), OneTimeCode.objects.count()
    response = client.post(PAGE + "?step=contact", {"mobile": "13800009999", "action": "code"})
    assert response.status_code == 429
    assert _field_errors(response) == {"mobile": ["Too many codes were asked from this network: try again in an hour."]}
    assert (counts(), OneTimeCode.objects.count()) == before


def test_the_code_limits_show_on_the_mobile(online: Booking, client: Client, clock: Clock) -> None:
    _to_contact(client, online)
    _code(client)
    clock.now += timedelta(seconds=30)
    response = client.post(PAGE + "?step=contact", {"mobile": MOBILE, "action": "code"}, headers={"hx-request": "true"})
    assert response.status_code == 429
    assert response.templates[0].name == "appointments/public/_code.html"
    assert _field_errors(response) == {
        "mobile": ["A code was sent just now: wait 30 seconds before asking for another."]
    }
    response = client.post(PAGE + "?step=contact", {"mobile": "12345", "action": "code"})
    assert set(_field_errors(response)) == {"mobile"}


@pytest.fixture
def recall(online: Booking) -> Iterator[str]:
    """A finder that offers an open recall, the alignment check, for one VIN (as the campaigns area would)."""
    vin = valid_vin(183291)
    alignment = online.alignment

    def finder(store: Store, vehicle: object, typed: str, day: date) -> list[offers.Offer]:
        if typed != vin:
            return []
        return [
            offers.Offer(
                source="campaign",
                kind="recall",
                kind_label="召回",
                code="RC-2026-01",
                title="转向拉杆检查",
                service_ref=f"operation:{alignment.pk}",
                note="免费检查并更换",
                valid_until=date(2026, 12, 31),
            )
        ]

    offers.OFFER_FINDERS.append(finder)
    try:
        yield vin
    finally:
        offers.OFFER_FINDERS.remove(finder)


def test_open_recalls_for_the_vin_are_offered_and_added_in_one_click(
    online: Booking, client: Client, recall: str
) -> None:
    b = online
    assert _car(client, vin_text=recall.lower()).status_code == 302
    page = client.get(PAGE + "?step=time")
    html = page.content.decode()
    assert 'data-testid="offers"' in html and "转向拉杆检查" in html and "RC-2026-01" in html
    assert f'value="operation:{b.alignment.pk}" id="offer-1" data-testid="offer-add-1">' in html
    assert _time(client, b, ref(b.package), f"operation:{b.alignment.pk}").status_code == 302
    _book(client, _code(client))
    appointment = Appointment.all_objects.get()
    assert appointment.vin_text == recall
    assert list(AppointmentService.objects.filter(appointment=appointment).values_list("operation_id", flat=True)) == [
        b.oil.pk,
        b.alignment.pk,
    ]


def test_no_offers_without_a_vin(online: Booking, client: Client, recall: str) -> None:
    assert _car(client).status_code == 302
    assert 'data-testid="offers"' not in client.get(PAGE + "?step=time").content.decode()


@pytest.mark.parametrize(
    ("model", "mileage", "suggested"),
    [
        ("帕萨特 330TSI", 9800, "PK10"),
        ("帕萨特", 38000, "PK40"),  # 10,000 and 40,000 km services both due: the larger
        ("朗逸", 38000, "PK10"),  # the Passat package is not for this model
        ("朗逸", 4200, "PK05"),
        ("朗逸", 0, "PK05"),  # a new car: its first service
    ],
)
def test_the_package_suggested_is_the_one_due_nearest_the_mileage(
    online: Booking, model: str, mileage: int, suggested: str
) -> None:
    rows = package_suggestions(online.store, model_text=model, mileage=mileage)
    assert [row.package.code for row in rows if row.suggested] == [suggested]
    assert ("PK40" in [row.package.code for row in rows]) == ("帕萨特" in model)


def test_a_model_naming_its_brand_gets_only_that_brands_packages_and_services(online: Booking) -> None:
    b = online
    other = BrandFactory.create(code="TOYOTA", name="丰田")
    b.store.brands.add(other)
    toyota = ServicePackage.objects.create(group=b.store.group, brand=other, code="TY10", name="丰田1万公里保养")
    PackageItem.objects.create(package=toyota, kind="labour", operation=b.oil)
    brand = b.store.brands.exclude(pk=other.pk).get()

    def offered(model: str) -> list[str]:
        return [row.package.code for row in package_suggestions(b.store, model_text=model, mileage=9800)]

    assert offered("丰田 汉兰达") == ["TY10"]
    assert offered("toyota Highlander") == ["TY10"]
    assert offered(f"{brand.name} 朗逸") == ["PK10", "PK05"]
    assert offered("帕萨特 330TSI") == ["PK10", "PK40", "PK05"]  # a series names its brand (series first)
    assert offered("汉兰达") == ["PK10", "TY10", "PK05"]  # no brand named: every brand's
    LabourOperationFactory.create(group=b.store.group, brand=brand, code="BR01", name="品牌专项检查")
    codes = ["AL01", "EV01", "MT01"]  # the group's services for every brand
    assert [row.code for row in online_operations(b.store, model_text="丰田 汉兰达")] == codes
    assert [row.code for row in online_operations(b.store, model_text="汉兰达")] == ["AL01", "BR01", "EV01", "MT01"]


def test_the_welcome_board_shows_the_qr_of_the_booking_page(online: Booking) -> None:
    staff = Client()
    staff.force_login(online.world.user("frontdesk"))
    html = staff.get("/appointments/board/").content.decode()
    assert 'data-testid="booking-qr"' in html
    assert str(store_qr("http://testserver/book/SH01/")) in html
    BookingSettings.objects.filter(store=online.store).update(online_booking=False)
    assert 'data-testid="booking-qr"' not in staff.get("/appointments/board/").content.decode()


def test_a_manager_switches_online_booking_on_in_the_booking_settings(booking: Booking, client: Client) -> None:
    assert client.get("/book/").context["stores"] == []
    assert client.get(PAGE).status_code == 404
    manager = Client()
    manager.force_login(booking.world.user("manager"))
    settings_page = manager.get("/appointments/capacity/").content.decode()
    assert 'name="online_booking"' in settings_page
    booking_settings_save(actor=booking.world.user("manager"), store_id=booking.store.pk, data={"online_booking": True})
    assert [store.code for store, _url, _qr in client.get("/book/").context["stores"]] == ["SH01"]
    assert client.get(PAGE).status_code == 200


def test_one_session_sends_codes_to_at_most_three_numbers(online: Booking, client: Client, clock: Clock) -> None:
    _to_contact(client, online)
    for mobile in ("13900000001", "13900000002", "139 0000 0003"):
        _code(client, mobile)
    assert client.session[SESSION_MOBILES] == ["13900000001", "13900000002", "13900000003"]
    before = counts(), OneTimeCode.objects.count()
    response = client.post(PAGE + "?step=contact", {"mobile": "13900000004", "action": "code"})
    assert response.status_code == 429
    assert _field_errors(response) == {
        "mobile": ["Codes have been sent to 3 numbers from this browser: use one of them, or call the store."]
    }
    assert (counts(), OneTimeCode.objects.count()) == before
    # One of the three may have a new code (after its minute).
    clock.now += timedelta(seconds=60)
    _code(client, "13900000002")
    assert list(OneTimeCode.objects.order_by("pk").values_list("mobile", flat=True)) == [
        "13900000001",
        "13900000002",
        "13900000003",
        "13900000002",
    ]
    assert client.session[SESSION_MOBILES] == ["13900000001", "13900000002", "13900000003"]


def test_a_refused_code_does_not_use_up_a_number_of_the_session(online: Booking, client: Client) -> None:
    _to_contact(client, online)
    response = client.post(PAGE + "?step=contact", {"mobile": "12345", "action": "code"})
    assert _field_errors(response) == {"mobile": ["A mobile number must have 11 digits; this one has 5."]}
    assert SESSION_MOBILES not in client.session


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        (None, "unknown"),
    ],
)
def test_an_ipv6_address_counts_by_its_64_prefix(address: str | None, key: str) -> None:
    assert address_key(address) == key


def test_the_addresses_of_one_ipv6_64_share_the_limit(
    online: Booking, monkeypatch: pytest.MonkeyPatch, clock: Clock
) -> None:
    monkeypatch.setattr(public_views, "CODES_PER_ADDRESS", 2)

    def ask(address: str, mobile: str) -> Any:
        browser = Client(headers={"accept-language": "en"}, REMOTE_ADDR=address)
        _to_contact(browser, online)
        return browser.post(PAGE + "?step=contact", {"mobile": mobile, "action": "code"})

    assert ask("2001:db8:1:2::1", "13900000001").status_code == 200
    assert ask("2001:db8:1:2::2", "13900000002").status_code == 200
    before = counts(), OneTimeCode.objects.count()
    refused = ask("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "13900000003")
    assert refused.status_code == 429
    assert _field_errors(refused) == {"mobile": ["Too many codes were asked from this network: try again in an hour."]}
    assert (counts(), OneTimeCode.objects.count()) == before
    # Another /64 has a count of its own.
    assert ask("2001:db8:1:3::1", "13900000003").status_code == 200
    assert OneTimeCode.objects.count() == 3


def test_a_mobile_holds_at_most_three_live_online_bookings_at_a_store(
    online: Booking, client: Client, clock: Clock
) -> None:
    b = online
    for hhmm in ("10:00", "11:00", "13:00"):
        _to_contact(client, b, hhmm=hhmm)
        assert _book(client, _code(client)).status_code == 302
        clock.now += timedelta(seconds=60)
    assert Appointment.all_objects.filter(channel="online", contact_mobile=MOBILE, state="booked").count() == 3
    _to_contact(client, b, hhmm="14:00")
    code = _code(client)
    before = counts()
    response = _book(client, code)
    assert response.status_code == 400
    assert _field_errors(response) == {
        "mobile": ["This mobile already has 3 bookings at this store: change or cancel one by calling the store."]
    }
    assert counts() == before
    assert OneTimeCode.objects.order_by("-pk").first().used_at is None  # type: ignore[union-attr]
    # A booking cancelled frees its place: the same code books the fourth.
    first = Appointment.all_objects.filter(channel="online").order_by("starts_at").first()
    assert first is not None
    appointment_cancel(actor=b.agent, appointment_id=first.pk, reason="客户来电取消")
    assert _book(client, code).status_code == 302
    assert Appointment.all_objects.filter(channel="online", contact_mobile=MOBILE, state="booked").count() == 3


def test_a_mobile_typed_with_spaces_is_kept_in_its_standard_form(online: Booking, client: Client) -> None:
    _to_contact(client, online)
    code = _code(client, "139 1234 5678")
    assert _book(client, code, mobile="139 1234 5678").status_code == 302
    assert Appointment.all_objects.get().contact_mobile == MOBILE


@pytest.fixture
def inspection_until_today(online: Booking) -> Iterator[ServicePackage]:
    """A finder offering, for any VIN, a package not otherwise offered (another model's), valid today only."""
    package = ServicePackage.objects.create(
        group=online.store.group, brand=online.store.brands.first(), code="PKTG", name="途观冬季检查", series="途观"
    )
    PackageItem.objects.create(package=package, kind="labour", operation=online.oil)
    last_day = online.day(0)

    def finder(store: Store, vehicle: object, typed: str, day: date) -> list[offers.Offer]:
        if not typed or day > last_day:
            return []
        return [
            offers.Offer(
                source="campaign",
                kind="inspection",
                kind_label="免费检测",
                code="FI-2026-11",
                title="途观冬季检查",
                service_ref=f"package:{package.pk}",
                note="",
                valid_until=last_day,
            )
        ]

    offers.OFFER_FINDERS.append(finder)
    try:
        yield package
    finally:
        offers.OFFER_FINDERS.remove(finder)


def test_step_two_checks_the_services_against_the_day_posted(
    online: Booking, client: Client, inspection_until_today: ServicePackage
) -> None:
    b = online
    offered = f"package:{inspection_until_today.pk}"
    assert _car(client, vin_text=valid_vin(183291)).status_code == 302
    page = client.get(PAGE + "?step=time")
    assert offered in dict(page.context["form"].fields["services"].choices)
    # Tomorrow the offer has ended: choosing it for tomorrow is refused, nothing kept.
    response = _time(client, b, offered, hhmm="10:00")
    assert response.status_code == 400
    assert _field_errors(response) == {
        "services": [f"Select a valid choice. {offered} is not one of the available choices."]
    }
    assert set(client.session["book:SH01"]) == {"car"}
    # Today it is offered and booked.
    response = _time(client, b, offered, hhmm="11:00", day=b.day(0).isoformat())
    assert response.status_code == 302
    assert client.session["book:SH01"]["services"] == [offered]
    assert client.session["book:SH01"]["day"] == b.day(0).isoformat()
    # Back on step 2 with the day in the session today, tomorrow posted is refused again.
    response = _time(client, b, offered, hhmm="10:00")
    assert _field_errors(response) == {
        "services": [f"Select a valid choice. {offered} is not one of the available choices."]
    }
    assert client.session["book:SH01"]["day"] == b.day(0).isoformat()


def test_a_time_changed_in_the_last_step_is_checked_again_by_the_booking(online: Booking, client: Client) -> None:
    b = online
    _to_contact(client, b, hhmm="10:00")
    code = _code(client)
    before = counts()
    # 07:00 is before the store opens: refused on the time, nothing written, the code still usable.
    response = _book(client, code, time="07:00")
    assert response.status_code == 400
    assert _field_errors(response) == {"time": ["Choose a time within business hours (08:30–18:00)."]}
    assert counts() == before
    assert OneTimeCode.objects.get().used_at is None
    # A time changed in the session is checked the same way.
    session = client.session
    session["book:SH01"] = {**session["book:SH01"], "time": "07:00"}
    session.save()
    response = _book(client, code)
    assert (response.status_code, _field_errors(response)) == (
        400,
        {"time": ["Choose a time within business hours (08:30–18:00)."]},
    )
    assert counts() == before
    # A time taken meanwhile is refused with the next free ones.
    book(b, "15:30")
    response = _book(client, code, time="15:30")
    assert (response.status_code, response.context["offered"]) == (409, ["15:15", "15:45"])
    assert counts()["appointments"] == before["appointments"] + 1
    # A free time typed in is placed exactly there.
    assert _book(client, code, time="16:30").status_code == 302
    appointment = Appointment.all_objects.get(channel="online")
    assert appointment.starts_at == b.at("16:30")


def test_reception_sees_the_typed_vin_mileage_and_consent_on_the_page_and_in_the_api(
    online: Booking, client: Client
) -> None:
    b = online
    vin = valid_vin(183291)
    assert _car(client, vin_text=vin).status_code == 302
    assert _time(client, b).status_code == 302
    assert _book(client, _code(client), marketing_consent="on").status_code == 302
    appointment = Appointment.all_objects.get()
    desk = Client(headers={"accept-language": "en"})
    desk.force_login(b.world.user("frontdesk"))
    html = desk.get(f"/appointments/{appointment.pk}/").content.decode()
    assert f'<dd class="col-8 col-md-9 font-monospace" data-testid="vin">{vin}</dd>' in html
    assert '<dd class="col-8 col-md-9" data-testid="mileage">9800 km</dd>' in html
    assert '<dd class="col-8 col-md-9" data-testid="marketing-consent">Given · 2026-11-26 10:00</dd>' in html
    body = desk.get(f"/api/v1/appointments/{appointment.pk}").json()
    assert {key: body[key] for key in ("channel", "vin", "mileage", "marketing_consent", "marketing_consent_at")} == {
        "channel": "online",
        "vin": vin,
        "mileage": 9800,
        "marketing_consent": True,
        "marketing_consent_at": "2026-11-26T10:00:00+08:00",
    }
