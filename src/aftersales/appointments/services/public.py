"""The customer's own booking (APT-1, online): no account, the mobile proved by a one-time SMS code.

The car is given as typed (plate, model, mileage, optional VIN) and stays unverified: the booking
keeps it as given (``plate_text``, ``model_text``, ``vin_text``, ``mileage``) and reception matches it
to the archive when the car arrives. The booking is placed like any other (``appointment_book``, channel
online) with no staff member as its actor: the customer acts for themselves (the audit and the
booking's event record no user, its channel says online). Processing what a booking needs is contract
performance (PIPL Art. 13(1)(2)); the marketing consent is asked apart, optional, and recorded on the
booking with its time (Art. 14).

One mobile holds at most ``LIVE_PER_MOBILE`` live (booked) online bookings at a store: a proved number
still cannot fill the store's days. Counted under the store's booking-settings lock, which every
booking of the store takes, so two bookings at once cannot both pass at the last place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.appointments.models import Appointment, BookingSettings
from aftersales.appointments.services.bookings import BookingIn, appointment_book, booking_settings_lock
from aftersales.core.errors import ApplicationError
from aftersales.core.identifiers import clean_mobile, clean_plate, clean_vin
from aftersales.core.models import Store
from aftersales.messaging.services import code_use, code_verify

CODE_PURPOSE = "online_booking"
MILEAGE_MAX = 2_000_000
LIVE_PER_MOBILE = 3  # live (booked) online bookings one mobile may hold at a store


@dataclass
class CarGiven:
    """The car as its owner typed it on the booking page."""

    plate_text: str
    model_text: str
    mileage: int | None = None
    vin_text: str = ""


@dataclass
class OnlineBookingIn:
    car: CarGiven
    starts_at: datetime
    services: list[str]
    contact_name: str
    mobile: str
    code: str
    marketing_consent: bool = False
    wish_at: datetime | None = None


def car_clean(car: CarGiven) -> CarGiven:
    """The car with its plate and VIN in their standard form; refused with every wrong field named (a
    plate not in a Chinese plate's format, a VIN whose check digit is wrong, no model, a mileage out of
    range)."""
    errors: dict[str, list[str]] = {}
    plate = vin = ""
    try:
        plate = clean_plate(car.plate_text)
    except ValidationError as error:
        errors["plate_text"] = list(error.messages)
    model = " ".join((car.model_text or "").split())
    if not model:
        errors["model_text"] = [_("Enter the model, e.g. 帕萨特 330TSI.")]
    elif len(model) > 60:
        errors["model_text"] = [_("Enter at most %(n)s characters.") % {"n": 60}]
    if car.mileage is not None and not 0 <= car.mileage <= MILEAGE_MAX:
        errors["mileage"] = [_("Enter the mileage in km (0 to %(n)s).") % {"n": f"{MILEAGE_MAX:,}"}]
    if (car.vin_text or "").strip():
        try:
            vin = clean_vin(car.vin_text)
        except ValidationError as error:
            errors["vin_text"] = list(error.messages)
    if errors:
        raise ApplicationError(_("Some fields are not valid."), code="invalid", fields=errors)
    return CarGiven(plate_text=plate, model_text=model, mileage=car.mileage, vin_text=vin)


def store_online(store_id: int) -> Store:
    """The active store ``store_id`` if it takes bookings online; refused on ``store`` otherwise."""
    store = Store.all_objects.filter(pk=store_id, is_active=True).first()
    if store is None or not BookingSettings.objects.filter(store=store, online_booking=True).exists():
        raise ApplicationError(
            _("This store does not take bookings online: please call it."), field="store", code="not_online"
        )
    return store


def appointment_book_online(*, store_id: int, data: OnlineBookingIn) -> Appointment:
    """Book for the customer themselves once their mobile is proved by the one-time code sent to it.

    Call it outside a transaction: a wrong code counts towards the number's lock even though nothing
    is booked. The code is spent in the booking's transaction, so a booking refused after the code
    passed (the time just taken: 409 with the next free times) leaves the code usable for another try.
    Refused with every wrong field named; nothing is written but a wrong code's count. Refused on
    ``mobile`` when the number already holds ``LIVE_PER_MOBILE`` live online bookings at the store.
    """
    store = store_online(store_id)
    car = car_clean(data.car)
    name = " ".join((data.contact_name or "").split())
    if not name:
        raise ApplicationError(_("Enter how we should address you."), field="contact_name")
    try:
        mobile = clean_mobile(data.mobile)
    except ValidationError as error:
        raise ApplicationError(error.messages[0], field="mobile", code="invalid_mobile") from None
    code_id = code_verify(mobile=mobile, purpose=CODE_PURPOSE, code=data.code)
    booking = BookingIn(
        starts_at=data.starts_at,
        services=list(data.services),
        channel=Appointment.Channel.ONLINE,
        contact_name=name,
        contact_mobile=mobile,
        plate_text=car.plate_text,
        model_text=car.model_text,
        vin_text=car.vin_text,
        mileage=car.mileage,
        marketing_consent=data.marketing_consent,
        wish_at=data.wish_at,
    )
    with transaction.atomic():
        booking_settings_lock(store)  # held until the booking is written (appointment_book takes it again)
        live = Appointment.all_objects.filter(
            store=store,
            channel=Appointment.Channel.ONLINE,
            state=Appointment.State.BOOKED,
            contact_mobile=mobile,
        ).count()
        if live >= LIVE_PER_MOBILE:
            raise ApplicationError(
                _("This mobile already has %(n)s bookings at this store: change or cancel one by calling the store.")
                % {"n": LIVE_PER_MOBILE},
                field="mobile",
                code="too_many_bookings",
            )
        code_use(code_id=code_id)
        return appointment_book(actor=None, store_id=store.pk, data=booking)
