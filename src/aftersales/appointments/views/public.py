"""The customer's own booking page, for anyone without signing in (APT-1, online), mobile first.

URLs: ``/book/`` lists the stores that take bookings online; ``/book/<store code>/`` is a store's page
(the deep link its QR code carries: the welcome board shows it) in three steps on one address:
1. ``?step=car``: plate, model, mileage and an optional VIN;
2. ``?step=time``: a package suggested for the model and mileage and/or single services, open recalls
   and campaigns for the VIN (``offers_for``, one click adds one), a day and one of its free times
   (``/book/<store code>/times/`` answers them as the choice changes);
3. ``?step=contact``: the name, the mobile and the code sent to it, the personal-information notice, the
   optional marketing consent; then the booking.
What the steps collected is kept in the session (server side; the cookie names it, signed); every
later step reads it from there, never from the page, and the booking checks the services, the time and
its capacity again. The session holds one booking in progress per store.

Abuse limits: per mobile and per store, the one-time codes' own (``messaging.services.codes``: the
store's ceiling is counted in the database); per browser session, codes to at most
``MOBILES_PER_SESSION`` numbers; per client address, at most ``CODES_PER_ADDRESS`` codes an hour
(``rate_allow``; an IPv6 address counts by its /64, the block one subscriber line is given), so that
one sender cannot spend the SMS budget on many numbers. Per mobile and store, at most
``services.public.LIVE_PER_MOBILE`` live (booked) online bookings (the booking service's rule).
"""

from __future__ import annotations

import ipaddress
from datetime import date, datetime, time, timedelta
from typing import Any

import segno
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from aftersales.appointments import selectors, services
from aftersales.appointments.forms import CarForm, ContactForm, ServicesForm
from aftersales.appointments.offers import Offer, offers_for
from aftersales.appointments.services.privacy import BOOKINGS_KEPT_YEARS
from aftersales.appointments.services.public import CODE_PURPOSE
from aftersales.core import services as core_services
from aftersales.core.calendar import store_calendar, store_today
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.identifiers import clean_mobile, mask_mobile
from aftersales.core.models import Store
from aftersales.core.routing import page
from aftersales.core.services import client_ip_of
from aftersales.messaging.services import code_send
from aftersales.messaging.services.codes import CODE_VALID

CODES_PER_ADDRESS = 20  # one-time codes an hour from one client address (an IPv6 /64)
MOBILES_PER_SESSION = 3  # numbers one browser session may have codes sent to
SESSION_MOBILES = "book:mobiles"  # the session's key of those numbers (every store's page shares it)
STEPS = ("car", "time", "contact")


def store_qr(url: str) -> SafeString:
    """The QR code of ``url`` as inline SVG (segno's own markup: paths only, no text from outside)."""
    return mark_safe(segno.make(url, error="m").svg_inline(scale=4, border=2))  # noqa: S308


def store_booking_url(request: HttpRequest, store: Store) -> str:
    return request.build_absolute_uri(reverse("appointments:book", kwargs={"code": store.code}))


def _online(code: str) -> Store:
    store = selectors.online_store(code)
    if store is None:
        raise Http404
    return store


def _key(store: Store) -> str:
    return f"book:{store.code}"


def _state(request: HttpRequest, store: Store) -> dict[str, Any]:
    return dict(request.session.get(_key(store)) or {})


def _save(request: HttpRequest, store: Store, state: dict[str, Any]) -> None:
    request.session[_key(store)] = state


def _reached(state: dict[str, Any]) -> list[str]:
    """The steps the session's state lets the customer open."""
    if "time" in state:
        return list(STEPS)
    return ["car", "time"] if "car" in state else ["car"]


def _page(request: HttpRequest, store: Store, step: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(
        request,
        "appointments/public/book.html",
        {"store": store, "step": step, "number": STEPS.index(step) + 1, **context},
        status=status,
    )


@require_http_methods(["GET"])
@page(public=True)
def book_stores(request: HttpRequest) -> HttpResponse:
    """The stores that take bookings online, each with its address and the QR code of its page."""
    stores = [
        (store, reverse("appointments:book", kwargs={"code": store.code}), store_qr(store_booking_url(request, store)))
        for store in selectors.online_stores()
    ]
    return render(request, "appointments/public/stores.html", {"stores": stores})


@require_http_methods(["GET", "POST"])
@page(public=True)
def book(request: HttpRequest, code: str) -> HttpResponse:
    """A store's booking page: the step asked for (``?step=``) if the session has reached it, else the
    furthest one; after a booking, its confirmation until another is started."""
    store = _online(code)
    state = _state(request, store)
    asked = request.GET.get("step", "")
    if request.method == "GET" and "done" in state and not asked:
        return render(request, "appointments/public/done.html", {"store": store, "done": state["done"]})
    reached = _reached(state)
    step = asked if asked in reached else reached[-1]
    if step == "car":
        return _car(request, store, state)
    if step == "time":
        return _time(request, store, state)
    return _contact(request, store, state)


def _car(request: HttpRequest, store: Store, state: dict[str, Any]) -> HttpResponse:
    car = state.get("car", {})
    if request.method != "POST":
        initial = {"plate_text": car.get("plate"), "model_text": car.get("model"), "mileage": car.get("mileage")}
        return _page(request, store, "car", {"form": CarForm(initial={**initial, "vin_text": car.get("vin")})})
    form = CarForm(request.POST)
    valid = form.is_valid()
    data = form.cleaned_data
    try:
        given = services.car_clean(
            services.CarGiven(
                data.get("plate_text", ""), data.get("model_text", ""), data.get("mileage"), data.get("vin_text", "")
            )
        )
    except ApplicationError as error:
        # Every wrong field at once: the service's findings on the fields the form let through.
        found = {key: messages for key, messages in (error.fields or {}).items() if key not in form.errors}
        if found:
            form.add_service_errors(ApplicationError(error.detail, code=error.code, fields=found))
    else:
        if valid:
            kept = {
                "plate": given.plate_text,
                "model": given.model_text,
                "mileage": given.mileage,
                "vin": given.vin_text,
            }
            # The same car keeps the services chosen; another car starts the later steps afresh.
            _save(request, store, {**state, "car": kept} if kept == car else {"car": kept})
            return redirect(reverse("appointments:book", kwargs={"code": store.code}) + "?step=time")
    return _page(request, store, "car", {"form": form}, status=400)


def _days(store: Store) -> list[tuple[str, str]]:
    today = store_today(store)
    names = (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))
    choices = []
    for day in selectors.online_days(store, today):
        label = (
            _("Today") if day == today else _("Tomorrow") if day == today + timedelta(days=1) else names[day.weekday()]
        )
        choices.append((day.isoformat(), f"{day.month}/{day.day} {label}"))
    return choices


def _service_choices(store: Store, state: dict[str, Any], day: date) -> dict[str, Any]:
    """What step 2 offers for the car in the session: the packages (the suggested one first), the single
    services and the offers for its VIN on ``day``, with the choices of the services field."""
    car = state["car"]
    suggestions = selectors.package_suggestions(store, model_text=car["model"], mileage=car.get("mileage"))
    operations = selectors.online_operations(store, model_text=car["model"])
    offers: list[Offer] = offers_for(store, day=day, vin=car.get("vin") or "")
    choices = [(f"package:{row.package.pk}", row.package.name) for row in suggestions]
    choices += [(f"operation:{operation.pk}", operation.name) for operation in operations]
    known = {value for value, _label in choices}
    choices += [(offer.service_ref, offer.title) for offer in offers if offer.service_ref not in known]
    return {"suggestions": suggestions, "operations": operations, "offers": offers, "choices": choices}


def _free_times(store: Store, day: date, refs: list[str], wish: str = "") -> selectors.FreeTimes:
    zone = store_calendar(store).zone
    wished = datetime.combine(day, time.fromisoformat(wish), tzinfo=zone) if wish else None
    return selectors.free_times(store, day, refs, wish=wished, now=timezone.now())


def _time(request: HttpRequest, store: Store, state: dict[str, Any]) -> HttpResponse:
    days = _days(store)
    if not days:
        return _page(request, store, "time", {"closed": True, "car": state["car"]})
    # The services offered depend on the day (an offer valid until a date): the day posted, if it is one
    # of the open days, else the session's, else the first open day.
    posted = request.POST.get("day", "") if request.method == "POST" else ""
    kept = state.get("day") or ""
    open_days = dict(days)
    chosen_day = date.fromisoformat(posted if posted in open_days else kept if kept in open_days else days[0][0])
    offer = _service_choices(store, state, chosen_day)
    context: dict[str, Any] = {**offer, "car": state["car"], "times": None}
    if request.method != "POST":
        suggested = [f"package:{row.package.pk}" for row in offer["suggestions"] if row.suggested]
        chosen = state.get("services") or suggested
        form = ServicesForm(
            initial={"services": chosen, "day": chosen_day.isoformat(), "time": state.get("time", "")},
            services=offer["choices"],
            days=days,
        )
        if chosen:
            try:
                context["times"] = _free_times(store, chosen_day, chosen, state.get("time", ""))
            except ApplicationError:
                context["times"] = None  # a service withdrawn since: the customer chooses again
        context["chosen_time"] = state.get("time", "")
        return _page(request, store, "time", {"form": form, **context, **_rows(offer, chosen)})
    form = ServicesForm(request.POST, services=offer["choices"], days=days)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        day, refs, chosen_time = date.fromisoformat(data["day"]), list(data["services"]), data["time"]
        try:
            times = _free_times(store, day, refs, chosen_time)
        except ApplicationError as error:
            form.add_service_errors(error)
        else:
            context["times"], context["chosen_time"] = times, chosen_time
            if request.POST.get("action") == "times":
                status = 200
            elif not chosen_time or chosen_time not in times.free:
                form.add_error("time", _("Choose one of the free times."))
            else:
                _save(request, store, {**state, "services": refs, "day": day.isoformat(), "time": chosen_time})
                return redirect(reverse("appointments:book", kwargs={"code": store.code}) + "?step=contact")
    chosen = [str(value) for value in request.POST.getlist("services")]
    return _page(request, store, "time", {"form": form, **context, **_rows(offer, chosen)}, status=status)


def _rows(offer: dict[str, Any], chosen: list[str]) -> dict[str, Any]:
    """The packages, services and offers of step 2, each with whether it is ticked."""
    operations = [(operation, f"operation:{operation.pk}" in chosen) for operation in offer["operations"]]
    return {
        "package_rows": [(row, f"package:{row.package.pk}" in chosen) for row in offer["suggestions"]],
        "operation_rows": operations,
        "operations_open": any(checked for _operation, checked in operations),
        "offer_rows": [(item, item.service_ref in chosen) for item in offer["offers"]],
    }


@require_http_methods(["GET"])
@page(public=True)
def book_times(request: HttpRequest, code: str) -> HttpResponse:
    """The free times for the services and day chosen on step 2 (an HTMX partial): the two nearest the
    time chosen first, then every one."""
    store = _online(code)
    state = _state(request, store)
    context: dict[str, Any] = {"times": None, "problems": []}
    if "car" not in state or not request.GET:
        return render(request, "appointments/public/_times.html", context)
    days = _days(store)
    first = request.GET.get("day") or (days[0][0] if days else "")
    offer = _service_choices(store, state, date.fromisoformat(first) if first in dict(days) else store_today(store))
    form = ServicesForm(request.GET, services=offer["choices"], days=days)
    if not form.is_valid():
        context["problems"] = [error for errors in form.errors.values() for error in errors]
        return render(request, "appointments/public/_times.html", context, status=400)
    data = form.cleaned_data
    try:
        context["times"] = _free_times(store, date.fromisoformat(data["day"]), list(data["services"]), data["time"])
    except ApplicationError as error:
        context["problems"] = [error.detail]
        return render(request, "appointments/public/_times.html", context, status=400)
    context["chosen_time"] = data["time"]
    return render(request, "appointments/public/_times.html", context)


def _summary(store: Store, state: dict[str, Any]) -> dict[str, Any]:
    names = dict(_service_choices(store, state, date.fromisoformat(state["day"]))["choices"])
    return {
        "car": state["car"],
        "day": date.fromisoformat(state["day"]),
        "time": state["time"],
        "service_names": [names.get(ref, ref) for ref in state["services"]],
        "kept_years": BOOKINGS_KEPT_YEARS,
        "code_minutes": int(CODE_VALID.total_seconds() // 60),
    }


def _contact(request: HttpRequest, store: Store, state: dict[str, Any]) -> HttpResponse:
    context = _summary(store, state)
    if request.method != "POST":
        return _page(request, store, "contact", {"form": ContactForm(), **context})
    form = ContactForm(request.POST)
    action = request.POST.get("action")
    status = 400
    if form.is_valid() and action == "code":
        sent, status = _code_send(request, store, form)
        context["code_sent"] = sent
        if request.headers.get("HX-Request"):
            return render(request, "appointments/public/_code.html", {"form": form, **context}, status=status)
    elif form.is_valid():
        data = form.cleaned_data
        chosen = data["time"] or state["time"]
        day = date.fromisoformat(state["day"])
        booking = services.OnlineBookingIn(
            car=services.CarGiven(
                state["car"]["plate"], state["car"]["model"], state["car"].get("mileage"), state["car"].get("vin", "")
            ),
            starts_at=datetime.combine(day, time.fromisoformat(chosen), tzinfo=store_calendar(store).zone),
            services=list(state["services"]),
            contact_name=data["contact_name"],
            mobile=data["mobile"],
            code=data["code"],
            marketing_consent=data["marketing_consent"],
        )
        try:
            appointment = services.appointment_book_online(store_id=store.pk, data=booking)
        except ConflictError as error:
            form.add_service_errors(error)
            context["offered"], status = list(error.extra.get("offered", [])), error.status
        except ApplicationError as error:
            form.add_service_errors(error)
            status = error.status
        else:
            local = store_calendar(store).local(appointment.starts_at)
            _save(
                request,
                store,
                {
                    "done": {
                        "number": appointment.number,
                        "day": local.date().isoformat(),
                        "time": f"{local:%H:%M}",
                        "services": context["service_names"],
                        "mobile": mask_mobile(appointment.contact_mobile),
                    }
                },
            )
            return redirect("appointments:book", code=store.code)
    return _page(request, store, "contact", {"form": form, **context}, status=status)


def address_key(address: str | None) -> str:
    """What the per-address limit counts by: an IPv4 address whole, an IPv6 address by its /64 prefix
    (one subscriber's line gets a /64 or more and may use any address in it)."""
    if not address:
        return "unknown"
    ip = ipaddress.ip_address(address)
    if ip.version == 6:
        mapped = ip.ipv4_mapped
        if mapped is not None:
            return str(mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _code_send(request: HttpRequest, store: Store, form: ContactForm) -> tuple[str, int]:
    """Send the code to the form's mobile: what the page says of it ("" when refused, the refusal on the
    form's mobile), and the answer's status."""
    try:
        mobile = clean_mobile(form.cleaned_data["mobile"])
    except ValidationError as error:
        form.add_error("mobile", error.messages[0])
        return "", 400
    mobiles = list(request.session.get(SESSION_MOBILES) or [])
    if mobile not in mobiles and len(mobiles) >= MOBILES_PER_SESSION:
        form.add_error(
            "mobile",
            _("Codes have been sent to %(n)s numbers from this browser: use one of them, or call the store.")
            % {"n": MOBILES_PER_SESSION},
        )
        return "", 429
    address = address_key(client_ip_of(request))
    if not core_services.rate_allow(f"book-code:{address}", limit=CODES_PER_ADDRESS, window=timedelta(hours=1)):
        form.add_error("mobile", _("Too many codes were asked from this network: try again in an hour."))
        return "", 429
    try:
        row = code_send(
            store=store,
            mobile=form.cleaned_data["mobile"],
            purpose=CODE_PURPOSE,
            language=translation.get_language() or "zh-hans",
        )
    except ApplicationError as error:
        form.add_service_errors(error)
        return "", error.status
    if mobile not in mobiles:
        request.session[SESSION_MOBILES] = [*mobiles, mobile]
    minutes = int(CODE_VALID.total_seconds() // 60)
    return _("A code was sent to %(mobile)s; it is valid for %(n)s minutes.") % {
        "mobile": mask_mobile(row.mobile),
        "n": minutes,
    }, 200
