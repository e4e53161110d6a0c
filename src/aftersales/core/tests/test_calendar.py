"""The store calendar: zone, hours, public holidays and make-up working days (调休), and the yearly table."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client

from aftersales.conftest import World
from aftersales.core import services
from aftersales.core.calendar import HOLIDAYS_2026, DayKind, store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.models import AuditEntry, CalendarDay, Store, User
from aftersales.core.tests.factories import StoreFactory

WEEK = {"mon": "08:30-18:00", "tue": "08:30-18:00", "wed": "08:30-18:00", "thu": "08:30-18:00", "fri": "08:30-18:00"}
SHANGHAI = "Asia/Shanghai"


def _store(**fields: object) -> Store:
    defaults: dict[str, object] = {"business_hours": WEEK | {"sat": "09:00-17:00"}, "time_zone": SHANGHAI}
    return StoreFactory.create(**(defaults | fields))


def test_the_2026_table_is_seeded_from_the_state_councils_notice(db: None) -> None:
    rows = list(CalendarDay.objects.filter(day__year=2026).values_list("day", "kind", "name"))
    holidays = [row for row in rows if row[1] == "holiday"]
    workdays = [(day.isoformat(), name) for day, kind, name in rows if kind == "workday"]
    assert len(holidays) == 3 + 9 + 3 + 5 + 3 + 3 + 7
    assert workdays == [
        ("2026-01-04", "元旦"),
        ("2026-02-14", "春节"),
        ("2026-02-28", "春节"),
        ("2026-05-09", "劳动节"),
        ("2026-09-20", "国庆节"),
        ("2026-10-10", "国庆节"),
    ]
    assert {name for _day, _kind, name in holidays} == {entry[0] for entry in HOLIDAYS_2026}


def test_a_make_up_sunday_is_a_working_day_with_weekday_hours(db: None) -> None:
    store = _store()  # closed on Sundays
    calendar = store_calendar(store)
    sunday = date(2026, 1, 4)  # 元旦 make-up working day
    assert sunday.weekday() == 6
    assert calendar.day_kind(sunday) == DayKind.MAKEUP
    assert calendar.holiday_name(sunday) == "元旦"
    assert calendar.is_working_day(sunday) is True
    # Worked as a weekday: the store has no Sunday hours, so it opens as on Monday.
    assert calendar.hours(sunday) == (
        datetime(2026, 1, 4, 8, 30, tzinfo=store.zone),
        datetime(2026, 1, 4, 18, 0, tzinfo=store.zone),
    )
    # The next Sunday is an ordinary one: closed, no working day.
    assert calendar.day_kind(date(2026, 1, 11)) == DayKind.WEEKEND
    assert calendar.hours(date(2026, 1, 11)) is None
    # A make-up Saturday keeps the store's own Saturday hours.
    assert calendar.hours(date(2026, 2, 14)) == (
        datetime(2026, 2, 14, 9, 0, tzinfo=store.zone),
        datetime(2026, 2, 14, 17, 0, tzinfo=store.zone),
    )


def test_public_holidays_use_the_holiday_hours_or_close(db: None) -> None:
    closed = store_calendar(_store())
    opened = store_calendar(_store(holiday_hours="10:00-16:00"))
    new_year = date(2026, 1, 1)  # a Thursday
    assert closed.day_kind(new_year) == DayKind.HOLIDAY
    assert closed.is_working_day(new_year) is False
    assert closed.hours(new_year) is None
    assert opened.hours(new_year) == (
        datetime(2026, 1, 1, 10, 0, tzinfo=opened.zone),
        datetime(2026, 1, 1, 16, 0, tzinfo=opened.zone),
    )


def test_the_stores_day_crosses_midnight_in_its_own_zone(db: None) -> None:
    calendar = store_calendar(_store())
    # 17:30 UTC on Sunday 3 January is 01:30 on Sunday 4 January in Shanghai: the make-up working day.
    late = datetime(2026, 1, 3, 17, 30, tzinfo=UTC)
    assert calendar.local_date(late) == date(2026, 1, 4)
    assert calendar.day_kind(calendar.local_date(late)) == DayKind.MAKEUP
    start, end = calendar.day_bounds(date(2026, 1, 4))
    assert (start.astimezone(UTC), end.astimezone(UTC)) == (
        datetime(2026, 1, 3, 16, 0, tzinfo=UTC),
        datetime(2026, 1, 4, 16, 0, tzinfo=UTC),
    )
    # Closed at 01:30 local; it next opens at 08:30 local, 00:30 UTC.
    assert calendar.is_open(late) is False
    assert calendar.next_opening(late) == datetime(2026, 1, 4, 0, 30, tzinfo=UTC)
    # The same instant in a store in Urumqi (UTC+6) is still Saturday 3 January, a holiday.
    urumqi = store_calendar(_store(time_zone="Asia/Urumqi"))
    assert urumqi.local_date(late) == date(2026, 1, 3)
    assert urumqi.day_kind(date(2026, 1, 3)) == DayKind.HOLIDAY


def test_open_time_and_working_days_count_across_the_holiday(db: None) -> None:
    calendar = store_calendar(_store())
    # Across the 国庆 week: Tuesday 29 September 17:00 to Friday 9 October 09:30, in the store's zone.
    start = datetime(2026, 9, 29, 17, 0, tzinfo=calendar.zone)
    end = datetime(2026, 10, 9, 9, 30, tzinfo=calendar.zone)
    # Open: 29 Sep 1 h; 30 Sep 9.5 h; 1-7 Oct holidays closed; 8 Oct 9.5 h; 9 Oct 1 h.
    assert calendar.open_time_between(start, end) == timedelta(hours=21)
    # Working days after 29 Sep up to 10 Oct: 30 Sep, 8 Oct, 9 Oct, 10 Oct (make-up Saturday).
    assert calendar.working_days_between(date(2026, 9, 29), date(2026, 10, 10)) == 4
    assert calendar.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert calendar.add_working_days(date(2026, 9, 30), 0) == date(2026, 9, 30)
    with pytest.raises(ValueError, match="negative"):
        calendar.add_working_days(date(2026, 9, 30), -1)


def test_a_year_without_a_table_counts_monday_to_friday(db: None) -> None:
    calendar = store_calendar(_store())
    assert calendar.day_kind(date(2031, 1, 1)) == DayKind.WORKDAY  # a Wednesday, no table for 2031
    assert calendar.working_days_between(date(2031, 1, 3), date(2031, 1, 10)) == 5


def test_saving_a_year_replaces_its_rows_and_audits_each(world: World) -> None:
    admin = world.user("admin")
    before = AuditEntry.objects.count()
    services.calendar_year_save(
        actor=admin,
        year=2027,
        days=[
            {"day": date(2027, 1, 1), "kind": "holiday", "name": "元旦"},
            {"day": date(2027, 1, 2), "kind": "holiday", "name": "元旦"},
        ],
    )
    services.calendar_year_save(
        actor=admin,
        year=2027,
        days=[
            {"day": date(2027, 1, 1), "kind": "holiday", "name": "元旦节"},
            {"day": date(2027, 1, 3), "kind": "holiday", "name": "元旦"},
        ],
    )
    assert list(CalendarDay.objects.filter(day__year=2027).values_list("day", "name")) == [
        (date(2027, 1, 1), "元旦节"),
        (date(2027, 1, 3), "元旦"),
    ]
    # 2 created; then 1 deleted, 1 updated, 1 created.
    actions = list(
        AuditEntry.objects.filter(object_type="core.calendarday").order_by("pk").values_list("action", flat=True)
    )
    assert actions == ["create", "create", "delete", "update", "create"]
    assert AuditEntry.objects.count() == before + 5
    assert CalendarDay.objects.filter(day__year=2026).count() == 39  # another year untouched


@pytest.mark.parametrize(
    ("days", "fields"),
    [
        (
            [
                {"day": date(2027, 5, 1), "kind": "holiday", "name": "劳动节"},
                {"day": date(2027, 5, 1), "kind": "holiday", "name": "劳动节"},
            ],
            {"days.1.day": ["2027-05-01 已在第 1 行。"]},
        ),
        (
            [{"day": date(2028, 1, 1), "kind": "holiday", "name": "元旦"}],
            {"days.0.day": ["此日期不在 2027 年。"]},
        ),
        (
            [{"day": date(2027, 5, 6), "kind": "workday", "name": "劳动节"}],
            {"days.0.kind": ["调休上班日应为周六或周日；2027-05-06 是工作日。"]},
        ),
        (
            [{"day": date(2027, 5, 1), "kind": "closed", "name": ""}],
            {"days.0.kind": ["请从以下选项中选择：holiday 或 workday。"], "days.0.name": ["请填写节日名称，如春节。"]},
        ),
    ],
)
def test_a_wrong_year_table_is_refused_and_nothing_written(
    world: World, days: list[dict[str, object]], fields: dict[str, list[str]]
) -> None:
    services.calendar_year_save(
        actor=world.user("admin"), year=2027, days=[{"day": date(2027, 10, 1), "kind": "holiday", "name": "国庆节"}]
    )
    before = (list(CalendarDay.objects.values_list("day", "kind", "name")), AuditEntry.objects.count())
    with pytest.raises(ApplicationError) as refused:
        services.calendar_year_save(actor=world.user("admin"), year=2027, days=days)
    assert refused.value.status == 422
    assert refused.value.fields == fields
    assert (list(CalendarDay.objects.values_list("day", "kind", "name")), AuditEntry.objects.count()) == before


def test_calendar_api_reads_and_replaces_a_year(world: World, client_for: Callable[[User], Client]) -> None:
    admin, advisor = client_for(world.user("admin")), client_for(world.user("advisor"))
    body = {
        "days": [
            {"day": "2027-02-06", "kind": "holiday", "name": "春节"},
            {"day": "2027-02-07", "kind": "workday", "name": "春节"},
        ]
    }
    assert advisor.put("/api/v1/calendar/2027", body, content_type="application/json").status_code == 403
    answer = admin.put("/api/v1/calendar/2027", body, content_type="application/json")
    assert answer.status_code == 200
    assert answer.json() == body["days"]
    assert advisor.get("/api/v1/calendar/2027").json() == body["days"]
    twice = {"days": [body["days"][0], body["days"][0]]}
    refused = admin.put("/api/v1/calendar/2027", twice, content_type="application/json")
    assert refused.status_code == 422
    assert refused.json()["fields"] == {"days.1.day": ["2027-02-06 已在第 1 行。"]}
    assert advisor.get("/api/v1/calendar/2027").json() == body["days"]
    assert admin.get("/api/v1/calendar/20270").status_code == 404


def test_store_days_answer_the_calendar_in_the_stores_zone(world: World, client_for: Callable[[User], Client]) -> None:
    store = world.sh
    store.business_hours = WEEK
    store.holiday_hours = "09:00-15:00"
    store.save()
    answer = client_for(world.user("advisor")).get(
        f"/api/v1/stores/{store.pk}/days", {"start": "2026-02-13", "days": 3}
    )
    assert answer.status_code == 200
    assert answer.json() == [
        {
            "day": "2026-02-13",
            "kind": "workday",
            "holiday": "",
            "working_day": True,
            "opens": "2026-02-13T08:30:00+08:00",
            "closes": "2026-02-13T18:00:00+08:00",
        },
        {
            "day": "2026-02-14",
            "kind": "makeup",
            "holiday": "春节",
            "working_day": True,
            "opens": "2026-02-14T08:30:00+08:00",
            "closes": "2026-02-14T18:00:00+08:00",
        },
        {
            "day": "2026-02-15",
            "kind": "holiday",
            "holiday": "春节",
            "working_day": False,
            "opens": "2026-02-15T09:00:00+08:00",
            "closes": "2026-02-15T15:00:00+08:00",
        },
    ]


def test_calendar_page_edits_the_year_and_shows_row_errors(world: World, client_for: Callable[[User], Client]) -> None:
    admin = client_for(world.user("admin"))
    page = admin.get("/calendar/2026/")
    assert page.status_code == 200
    form = page.context["form"]
    assert form.count == 39 + 6
    data = {"rows": "3", "day_0": "2027-10-01", "kind_0": "holiday", "name_0": "国庆节"}
    data |= {"day_1": "2027-10-01", "kind_1": "holiday", "name_1": "国庆节", "day_2": "", "kind_2": "", "name_2": ""}
    refused = admin.post("/calendar/2027/", data)
    assert refused.status_code == 400
    assert refused.context["form"].errors == {"day_1": ["2027-10-01 已在第 1 行。"]}
    assert not CalendarDay.objects.filter(day__year=2027).exists()
    data |= {"day_1": "2027-10-09", "kind_1": "workday", "name_1": "国庆节"}
    saved = admin.post("/calendar/2027/", data)
    assert saved.status_code == 302
    assert list(CalendarDay.objects.filter(day__year=2027).values_list("day", "kind")) == [
        (date(2027, 10, 1), "holiday"),
        (date(2027, 10, 9), "workday"),
    ]
    # Everyone may read it; only the calendar's keepers get the form, and a POST of anyone else is refused.
    advisor = client_for(world.user("advisor"))
    read = advisor.get("/calendar/2027/")
    assert (read.status_code, read.context["form"]) == (200, None)
    assert advisor.post("/calendar/2027/", data).status_code == 403


def test_the_store_page_shows_the_next_two_weeks(world: World, client_for: Callable[[User], Client]) -> None:
    store = world.sh
    store.business_hours = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "08:30-18:00")
    store.save()
    calendar = store_calendar(store)
    page = client_for(world.user("advisor")).get(f"/stores/{store.pk}/")
    days = page.context["days"]
    today = calendar.local_date(datetime.now(tz=UTC))
    assert [day.day for day in days] == [today + timedelta(days=offset) for offset in range(14)]
    for day in days:  # open every day but public holidays (no holiday hours)
        assert (day.opens is None) == (calendar.day_kind(day.day) == DayKind.HOLIDAY)
    # Hours are shown in the store's zone, not converted to the reader's.
    shown = page.content.decode().count("08:30–18:00")
    assert shown == sum(day.opens is not None for day in days)
    assert shown > 0
