"""The capacity engine (APT-1, APT-2): a store-day's technician hours from shifts × efficiency less leave,
the reserve kept for walk-ins, skill levels, certificates, bay types, efficiency in whole quarter hours,
an advisor's arrivals kept apart, business hours and the national holiday table, slots in quarter hours
and the two offered (nearest the wish, then the fewest fragments, then the earlier), and the store's
day in its own zone against UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from aftersales.appointments.capacity import DayPlan, Need, best_two, day_plan, slots, steps_for
from aftersales.appointments.models import BookingSettings, Shift
from aftersales.appointments.services import booking_settings_save, leave_add, needs_for
from aftersales.appointments.tests.conftest import HOURS, Booking
from aftersales.appointments.tests.factories import NOW, Clock, book, counts
from aftersales.appointments.timelines import BayDay, TechnicianDay, span_mask
from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Certificate, Role, StaffMembership, Store, User

D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, NOW)


def hhmm(moments: list[datetime]) -> list[str]:
    return [f"{moment.astimezone(SHANGHAI):%H:%M}" for moment in moments]


def refused(b: Booking, at: str, *services: object, **fields: object) -> ApplicationError:
    before = counts()
    with pytest.raises(ApplicationError) as error:
        book(b, at, *services, **fields)
    assert counts() == before
    return error.value


def settings_of(b: Booking, **values: object) -> None:
    booking_settings_save(actor=b.world.user("manager"), store_id=b.store.pk, data=values)


# --- technician hours --------------------------------------------------------------------------------


def test_capacity_is_shift_hours_times_efficiency_less_leave(booking: Booking) -> None:
    b = booking
    plan = day_plan(b.store, b.day())
    # 08:30-17:30 is 9 hours (36 quarter hours) each: 9 × 1.00 + 9 × 1.25 + 9 × 1.00.
    assert [(t.name, t.available_steps, t.efficiency) for t in plan.technicians] == [
        ("tech_junior", 36, D("1.00")),
        ("tech_mid", 36, D("1.25")),
        ("tech_senior", 36, D("1.00")),
    ]
    assert (plan.capacity_hours, plan.bookable_hours, plan.booked_hours) == (D("29.25"), D("23.40"), D(0))
    assert (plan.opens, plan.closes) == (34, 72)  # 08:30 and 18:00 in quarter hours from midnight

    foreman = b.world.user("foreman")
    leave_add(actor=foreman, technician_id=b.technicians[1].pk, starts_at=b.at("10:00"), ends_at=b.at("12:00"))
    # Leave outside the shift takes nothing; leave on another day neither.
    leave_add(actor=foreman, technician_id=b.technicians[0].pk, starts_at=b.at("18:00"), ends_at=b.at("20:00"))
    leave_add(actor=foreman, technician_id=b.technicians[0].pk, starts_at=b.at("09:00", 2), ends_at=b.at("11:00", 2))
    plan = day_plan(b.store, b.day())
    assert [t.available_steps for t in plan.technicians] == [36, 28, 36]
    assert (plan.capacity_hours, plan.bookable_hours) == (D("26.75"), D("21.40"))  # 2 h × 1.25 less
    assert plan.technicians[1].free == span_mask(34, 40) | span_mask(48, 70)


def test_bookings_beyond_the_walk_in_reserve_are_refused(booking: Booking) -> None:
    b = booking
    settings_of(b, walk_in_reserve_percent=80)
    assert day_plan(b.store, b.day()).bookable_hours == D("5.85")  # 20% of 29.25
    for at in ("09:00", "09:15", "10:00", "10:15", "11:00"):
        book(b, at)
    plan = day_plan(b.store, b.day())
    assert plan.booked_hours == D("5.00")
    oil = needs_for(b.store, [f"operation:{b.oil.pk}"])
    assert slots(plan, oil) == []  # technicians and lifts are free at 14:00, but not for bookings
    error = refused(b, "14:00")
    assert (error.status, error.code, error.extra) == (409, "no_capacity", {"offered": []})
    assert error.fields == {"starts_at": ["当天已约满（其余产能为未预约客户保留）。"]}
    # Half an hour still fits under 5.85.
    assert book(b, "14:00", b.alignment).hours == D("0.50")


# --- skills, certificates, bays ---------------------------------------------------------------------


def test_an_intermediate_job_is_never_planned_on_the_junior(booking: Booking) -> None:
    b = booking
    junior, mid, senior = b.technicians
    assert book(b, "09:00", b.alignment).technician_id == mid.pk
    foreman = b.world.user("foreman")
    for technician in (mid, senior):
        leave_add(actor=foreman, technician_id=technician.pk, starts_at=b.at("00:00"), ends_at=b.at("00:00", 2))
    plan = day_plan(b.store, b.day())
    alignment = needs_for(b.store, [f"operation:{b.alignment.pk}"])
    assert plan.technicians[0].free == span_mask(34, 70)  # the junior is free all day
    assert slots(plan, alignment) == []
    error = refused(b, "11:00", b.alignment)
    assert (error.code, error.extra) == ("no_capacity", {"offered": []})
    assert book(b, "11:00").technician_id == junior.pk  # an oil change is the junior's


def test_an_ev_job_goes_to_the_certified_senior_and_an_expired_certificate_does_not_count(booking: Booking) -> None:
    b = booking
    senior = b.technicians[2]
    appointment = book(b, "09:00", b.ev)
    service = appointment.services.get()
    assert (appointment.technician_id, service.bay.code, service.certificate, service.skill_level) == (
        senior.pk,
        "E01",
        "ev_hv",
        "senior",
    )
    assert appointment.ends_at - appointment.starts_at == timedelta(hours=2)

    certificate = Certificate.objects.get(profile__user=senior.user)
    certificate.valid_until = b.day() - timedelta(days=1)
    certificate.save()
    plan = day_plan(b.store, b.day())
    assert [t.certificates for t in plan.technicians] == [frozenset(), frozenset(), frozenset()]
    assert slots(plan, needs_for(b.store, [f"operation:{b.ev.pk}"])) == []
    assert refused(b, "13:00", b.ev).code == "no_capacity"

    # Valid on the day again (the last day counts); not yet valid the day before it starts.
    certificate.valid_from, certificate.valid_until = b.day(), b.day()
    certificate.save()
    assert day_plan(b.store, b.day()).technicians[2].certificates == frozenset({"ev_hv"})
    assert day_plan(b.store, b.day(0)).technicians[2].certificates == frozenset()
    assert day_plan(b.store, b.day(2)).technicians[2].certificates == frozenset()


def test_an_alignment_needs_the_alignment_bay_and_two_at_once_do_not_fit(booking: Booking) -> None:
    b = booking
    settings_of(b, arrival_spacing_minutes=0)  # only the bay can refuse the second
    first = book(b, "09:00", b.alignment)
    assert [(row.bay.code, row.bay_kind) for row in first.services.all()] == [("AL1", "alignment")]
    error = refused(b, "09:00", b.alignment)
    # The only alignment bay is taken 09:00-09:30 (the intermediate at 1.25 takes two quarter hours).
    assert (error.code, error.extra) == ("no_capacity", {"offered": ["08:30", "09:30"]})
    assert error.fields == {"starts_at": ["该时间已被占用。 目前可约：08:30, 09:30。"]}
    # An oil change at the same time takes a lift, not the alignment bay.
    assert book(b, "09:00").services.get().bay.code == "A01"
    assert book(b, "09:30", b.alignment).services.get().bay.code == "AL1"


# --- efficiency -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "efficiency", "steps"),
    [
        ("1.00", "1.00", 4),
        ("1.00", "1.25", 4),  # 3.2 quarter hours: 4
        ("2.00", "1.25", 7),  # 6.4: 7
        ("0.50", "1.25", 2),  # 1.6: 2
        ("1.00", "0.80", 5),
        ("0.30", "1.00", 2),  # 1.2: 2
        ("0.25", "1.00", 1),
        ("0.10", "2.00", 1),  # never less than one
    ],
)
def test_a_job_takes_its_standard_hours_over_the_efficiency_in_whole_quarter_hours(
    hours: str, efficiency: str, steps: int
) -> None:
    assert steps_for(D(hours), D(efficiency)) == steps


def test_efficiency_sets_where_the_work_ends(booking: Booking) -> None:
    b = booking
    junior, mid, senior = b.technicians
    for technician in (junior, senior):
        leave_add(
            actor=b.world.user("foreman"), technician_id=technician.pk, starts_at=b.at("00:00"), ends_at=b.at("12:00")
        )
    oil = book(b, "09:00")
    assert (oil.technician_id, oil.ends_at - oil.starts_at) == (mid.pk, timedelta(minutes=60))
    senior.efficiency = D("1.25")
    senior.save()
    ev = book(b, "13:00", b.ev)
    service = ev.services.get()
    assert (ev.technician_id, ev.hours, hhmm([ev.starts_at, ev.ends_at, service.starts_at, service.ends_at])) == (
        senior.pk,
        D("2.00"),
        ["13:00", "14:45", "13:00", "14:45"],  # 2.00 h at 1.25: 7 quarter hours
    )


# --- arrivals ---------------------------------------------------------------------------------------


def test_an_advisors_arrivals_are_kept_apart(booking: Booking) -> None:
    b = booking
    advisor = b.world.user("advisor")
    first = book(b, "09:00")
    second = book(b, "09:15")  # 15 minutes apart: allowed
    assert (first.advisor_id, second.advisor_id) == (advisor.pk, advisor.pk)
    error = refused(b, "09:00", b.alignment)  # technician and bay free; the only advisor is not
    # 08:45 and 09:30 are 15 minutes from both arrivals (then as near the wish: the fewer fragments).
    assert (error.code, error.extra) == ("no_capacity", {"offered": ["08:45", "08:30"]})

    settings_of(b, arrival_spacing_minutes=30)
    assert refused(b, "09:30", b.alignment).extra == {"offered": ["09:45", "10:00"]}
    assert book(b, "09:45", b.alignment).advisor_id == advisor.pk

    # A second advisor takes the arrival the first cannot.
    other = User.objects.create(username="advisor_two", full_name="李娜")
    StaffMembership.objects.create(store=b.store, user=other, role=Role.objects.get(code="advisor"))
    assert book(b, "10:00").advisor_id == other.pk  # the first's 09:45 is 15 minutes away
    # Asked for by name: that advisor's spacing counts, though the other could take it.
    assert book(b, "11:00", advisor_id=advisor.pk).advisor_id == advisor.pk
    assert refused(b, "11:15", advisor_id=advisor.pk).extra == {"offered": ["11:30", "11:45"]}
    assert book(b, "11:15").advisor_id == other.pk


# --- calendar ---------------------------------------------------------------------------------------


def test_bookings_are_within_business_hours_and_not_on_closed_days(booking: Booking) -> None:
    b = booking
    for at in ("08:15", "18:00", "20:00"):
        error = refused(b, at)
        assert error.fields == {"starts_at": ["请选择营业时间内的时间（08:30–18:00）。"]}
    b.store.business_hours = {day: hours for day, hours in HOURS.items() if day != "sun"}
    b.store.save()
    sunday = b.day(3)
    assert sunday.weekday() == 6
    assert refused(b, "10:00", days=3).fields == {"starts_at": [f"门店 {sunday.isoformat()} 不营业。"]}
    plan = day_plan(b.store, sunday)
    assert (plan.opens, plan.capacity_hours) == (None, D(0))
    assert slots(plan, needs_for(b.store, [f"operation:{b.oil.pk}"])) == []


def test_public_holidays_and_make_up_days_come_from_the_national_table(booking: Booking, clock: Clock) -> None:
    b = booking
    clock.now = datetime(2026, 9, 28, 2, 0, tzinfo=UTC)  # Monday 28 September 2026, 10:00 in Shanghai
    b.store.business_hours = {day: HOURS[day] for day in ("mon", "tue", "wed", "thu", "fri")}
    b.store.save()
    Shift.objects.filter(weekday__gte=5).delete()  # the technicians work Monday to Friday
    calendar = store_calendar(b.store)
    national_day, make_up, saturday = date(2026, 10, 1), date(2026, 10, 10), date(2026, 10, 17)
    assert (calendar.holiday_name(national_day), calendar.holiday_name(make_up)) == ("国庆节", "国庆节")

    # Closed on the holiday without holiday hours.
    assert refused(b, "10:00", days=3).fields == {"starts_at": ["门店 2026-10-01 不营业。"]}
    assert day_plan(b.store, national_day).capacity_hours == D(0)
    # Open 09:00-16:00 on holidays: the shifts are cut to those hours (7 h each).
    b.store.holiday_hours = "09:00-16:00"
    b.store.save()
    plan = day_plan(b.store, national_day)
    assert (plan.opens, plan.closes, plan.capacity_hours) == (36, 64, D("22.75"))
    assert refused(b, "08:30", days=3).fields == {"starts_at": ["请选择营业时间内的时间（09:00–16:00）。"]}
    assert hhmm([book(b, "09:00", days=3).starts_at]) == ["09:00"]

    # Saturday 10 October is worked (调休): Monday's hours and shifts; the Saturday after is not.
    plan = day_plan(b.store, make_up)
    assert (plan.opens, plan.closes, plan.capacity_hours) == (34, 72, D("29.25"))
    appointment = book(b, "08:30", days=12)
    assert appointment.starts_at == datetime(2026, 10, 10, 0, 30, tzinfo=UTC)
    plan = day_plan(b.store, saturday)
    assert (plan.opens, plan.capacity_hours) == (None, D(0))


# --- slots and the two offered -----------------------------------------------------------------------


def test_slots_are_quarter_hours_within_business_hours_that_fit_a_shift(booking: Booking) -> None:
    b = booking
    oil = needs_for(b.store, [f"operation:{b.oil.pk}"])
    found = slots(day_plan(b.store, b.day()), oil)
    starts = [slot.starts_at for slot, _placement in found]
    # From opening at 08:30 to 16:30, the last start whose hour ends with the shifts at 17:30.
    assert hhmm(starts) == [f"{hour:02d}:{minute:02d}" for hour in range(8, 17) for minute in (0, 15, 30, 45)][2:-1]
    assert len(starts) == 33
    assert all(start.astimezone(SHANGHAI).minute % 15 == 0 for start in starts)
    # Today, not before now (10:00).
    today = slots(day_plan(b.store, b.day(0)), oil, not_before=NOW)
    assert hhmm([slot.starts_at for slot, _p in today][:3]) == ["10:00", "10:15", "10:30"]
    # Half past ten and a minute: the next quarter hour.
    later = slots(day_plan(b.store, b.day(0)), oil, not_before=NOW + timedelta(minutes=31))
    assert hhmm([later[0][0].starts_at]) == ["10:45"]


def _plan(*technicians: TechnicianDay, bays: tuple[BayDay, ...] = ()) -> DayPlan:
    """A plan made by hand: no database, the store open 08:30-18:00, nothing in reserve, no advisors."""
    return DayPlan(
        store=Store(code="HB01"),
        day=date(2026, 11, 27),
        calendar=store_calendar(Store(code="HB01", business_hours=HOURS)),
        settings=BookingSettings(walk_in_reserve_percent=0, arrival_spacing_minutes=15),
        opens=34,
        closes=72,
        technicians=list(technicians),
        bays=list(bays),
        booked_hours=D(0),
        capacity_hours=D("100.00"),
        arrivals={},
        advisors=[],
        shortest={("junior", ""): 4, ("junior", "general_lift"): 4},
    )


def _technician(pk: int, start: int, end: int) -> TechnicianDay:
    return TechnicianDay(id=pk, free=span_mask(start, end), total=96, name=f"T{pk}")


HOUR_JOB = [Need(1, None, "保养", D("1.00"), "junior", "", "")]


def at(hhmm_text: str) -> datetime:
    return datetime.combine(date(2026, 11, 27), time.fromisoformat(hhmm_text), tzinfo=SHANGHAI)


def test_the_two_offered_are_nearest_the_wish_then_the_fewest_fragments_then_the_earlier() -> None:
    # One technician free 08:30-12:00 (steps 34-48); an hour's job; a gap under an hour is a fragment.
    plan = _plan(_technician(1, 34, 48))
    found = slots(plan, HOUR_JOB)
    assert [(f"{slot.starts_at:%H:%M}", slot.fragments) for slot, _p in found] == [
        ("08:30", 0),
        ("08:45", 1),  # leaves 08:30-08:45
        ("09:00", 1),
        ("09:15", 1),
        ("09:30", 0),
        ("09:45", 0),
        ("10:00", 0),
        ("10:15", 1),  # leaves 11:15-12:00
        ("10:30", 1),
        ("10:45", 1),
        ("11:00", 0),
    ]
    # 09:15 and 09:30 are as near (7½ minutes): 09:30 leaves no fragment, 09:15 one.
    assert [f"{slot.starts_at:%H:%M}" for slot in best_two(found, at("09:22:30"))] == ["09:30", "09:15"]
    assert [f"{slot.starts_at:%H:%M}" for slot in best_two(found, at("10:07:30"))] == ["10:00", "10:15"]
    # As near and as few fragments: the earlier.
    assert [f"{slot.starts_at:%H:%M}" for slot in best_two(found, at("09:37:30"))] == ["09:30", "09:45"]
    # No wish: the fewest fragments, then the earliest.
    assert [f"{slot.starts_at:%H:%M}" for slot in best_two(found, None)] == ["08:30", "09:30"]


def test_the_work_goes_where_it_leaves_the_fewest_fragments() -> None:
    # T1 is free 08:30-10:00, T2 08:30-12:00: an hour at 08:30 on T1 would leave half an hour nobody can use.
    plan = _plan(_technician(1, 34, 40), _technician(2, 34, 48))
    placement = plan.place(HOUR_JOB, 34)
    assert placement is not None
    assert (placement.technician_id, placement.fragments) == (2, 0)
    # Two lifts: the one free from 08:00 would keep 08:00-08:30 nobody can use; the one free just
    # 08:30-09:30 takes the hour.
    lift = [Need(1, None, "保养", D("1.00"), "junior", "", "general_lift")]
    plan = _plan(
        _technician(1, 34, 72),
        bays=(
            BayDay(id=7, free=span_mask(32, 96), total=96, kind="general_lift"),
            BayDay(id=8, free=span_mask(34, 38), total=96, kind="general_lift"),
        ),
    )
    placement = plan.place(lift, 34)
    assert placement is not None
    assert (placement.segments, placement.fragments) == (((34, 38, 8),), 0)
    assert plan.fragments_now(lift) == 0
    later = plan.place(lift, 36)  # 09:00: only the first lift, leaving 08:00-09:00 whole
    assert later is not None and (later.segments, later.fragments) == (((36, 40, 7),), 1)


# --- the store's day in its own zone ----------------------------------------------------------------


def test_a_store_day_runs_from_midnight_to_midnight_in_its_zone(booking: Booking) -> None:
    b = booking
    plan = day_plan(b.store, b.day())
    assert plan.midnight == datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
    assert plan.at(34) == datetime(2026, 11, 27, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai is 00:30 UTC
    appointment = book(b, "08:30")
    appointment.refresh_from_db()
    assert appointment.starts_at == datetime(2026, 11, 27, 0, 30, tzinfo=UTC)

    # Open from 07:00: a 07:30 arrival on the 27th is still the 26th in UTC, and counts on the 27th.
    b.store.business_hours = dict.fromkeys(HOURS, "07:00-18:00")
    b.store.save()
    Shift.objects.update(starts=time(7, 0))
    early = book(b, "07:30", b.alignment)
    early.refresh_from_db()
    assert early.starts_at == datetime(2026, 11, 26, 23, 30, tzinfo=UTC)
    assert day_plan(b.store, b.day()).booked_hours == D("1.50")
    assert day_plan(b.store, b.day(0)).booked_hours == D(0)
