"""What capacity is counted from (``appointments.capacity``): a technician's efficiency and weekly shifts
with every wrong field named at once, leave that may not overlap leave already recorded (named), and
the store's booking settings; each audited, and nothing written when refused."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Any

import pytest

from aftersales.appointments.capacity import day_plan
from aftersales.appointments.models import BookingSettings, Leave, Shift, Technician
from aftersales.appointments.services import booking_settings_save, leave_add, leave_remove, technician_save
from aftersales.appointments.tests.conftest import Booking
from aftersales.appointments.tests.factories import NOW, Clock, counts
from aftersales.core.errors import ApplicationError
from aftersales.core.models import AuditEntry

D = Decimal
INVALID = "部分字段无效。"


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, NOW)


def rows() -> dict[str, Any]:
    return {
        **counts(),
        "technicians": list(Technician.all_objects.order_by("pk").values_list("user_id", "efficiency", "is_active")),
        "shifts": list(Shift.objects.order_by("pk").values_list("technician_id", "weekday", "starts", "ends")),
        "leave": list(Leave.objects.order_by("pk").values_list("technician_id", "starts_at", "ends_at")),
    }


def last_audit(action: str, object_type: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action, object_type=object_type).latest("pk")


def test_a_technician_is_recorded_with_efficiency_and_weekly_shifts(booking: Booking) -> None:
    b = booking
    foreman = b.world.user("foreman")
    user = b.world.user("technician")
    technician = technician_save(
        actor=foreman,
        store_id=b.store.pk,
        user_id=user.pk,
        efficiency=D("1.10"),
        shifts={0: ("08:30", "17:30"), 5: (time(9), time(12))},
    )
    assert (technician.store_id, technician.user_id, technician.efficiency, technician.is_active) == (
        b.store.pk,
        user.pk,
        D("1.10"),
        True,
    )
    assert list(Shift.objects.filter(technician=technician).values_list("weekday", "starts", "ends")) == [
        (0, time(8, 30), time(17, 30)),
        (5, time(9), time(12)),
    ]
    entry = last_audit("update", "appointments.technician")
    assert (entry.actor_username, entry.object_id, entry.changes) == (
        "foreman_sh",
        str(technician.pk),
        {"shifts": {"0": "08:30-17:30", "5": "09:00-12:00"}},
    )
    # Saved again: the same row, the shifts replaced; inactive, capacity no longer counts them.
    again = technician_save(
        actor=foreman,
        store_id=b.store.pk,
        user_id=user.pk,
        efficiency="0.95",
        shifts={4: ("13:00", "18:00")},
        is_active=False,
    )
    assert (again.pk, again.efficiency, again.is_active) == (technician.pk, D("0.95"), False)
    assert list(Shift.objects.filter(technician=technician).values_list("weekday", flat=True)) == [4]
    assert [t.id for t in day_plan(b.store, b.day()).technicians] == [t.pk for t in b.technicians]


@pytest.mark.parametrize(
    ("efficiency", "shifts", "expected"),
    [
        ("2.50", {}, {"efficiency": ["请输入 0.30 至 2.00 之间的效率（两位小数）。"]}),
        ("0.29", {}, {"efficiency": ["请输入 0.30 至 2.00 之间的效率（两位小数）。"]}),
        ("1.234", {}, {"efficiency": ["请输入 0.30 至 2.00 之间的效率（两位小数）。"]}),
        ("fast", {}, {"efficiency": ["请输入 0.30 至 2.00 之间的效率（两位小数）。"]}),
        ("NaN", {}, {"efficiency": ["请输入 0.30 至 2.00 之间的效率（两位小数）。"]}),
        (
            "1.00",
            {0: ("17:30", "08:30"), 1: ("08:10", "17:00"), 2: ("08:30", "08:30"), 3: ("8点", "17:00")},
            {
                "shifts.0": ["请按 08:30-17:30 的格式填写，结束须晚于开始。"],
                "shifts.1": ["班次须在整刻钟开始和结束。"],
                "shifts.2": ["请按 08:30-17:30 的格式填写，结束须晚于开始。"],
                "shifts.3": ["请按 08:30-17:30 的格式填写，结束须晚于开始。"],
            },
        ),
        ("1.00", {4: ("08:30+08:00", "17:30")}, {"shifts.4": ["请按 08:30-17:30 的格式填写，结束须晚于开始。"]}),
        ("1.00", {7: ("08:30", "17:30")}, {"shifts": ["星期为 0（周一）至 6（周日）。"]}),
        ("1.00", {0: ("08:30", "17:30"), "mon": ("08:30", "17:30")}, {"shifts": ["星期为 0（周一）至 6（周日）。"]}),
        ("1.00", {True: ("08:30", "17:30")}, {"shifts": ["星期为 0（周一）至 6（周日）。"]}),
    ],
)
def test_a_wrong_technician_names_every_field_and_writes_nothing(
    booking: Booking, efficiency: str, shifts: dict[Any, tuple[Any, Any]], expected: dict[str, list[str]]
) -> None:
    b = booking
    before = rows()
    with pytest.raises(ApplicationError) as error:
        technician_save(
            actor=b.world.user("foreman"),
            store_id=b.store.pk,
            user_id=b.world.user("technician").pk,
            efficiency=efficiency,  # type: ignore[arg-type]
            shifts=shifts,
        )
    assert (error.value.status, error.value.detail, error.value.fields) == (400, INVALID, expected)
    assert rows() == before


def test_only_this_stores_staff_and_only_who_keeps_capacity(booking: Booking) -> None:
    b = booking
    before = rows()
    with pytest.raises(ApplicationError) as error:
        technician_save(
            actor=b.world.user("foreman"),
            store_id=b.store.pk,
            user_id=b.world.user("technician", "sz").pk,
            efficiency=D(1),
            shifts={},
        )
    assert error.value.fields == {"user": ["请选择本店员工。"]}
    with pytest.raises(ApplicationError) as error:
        technician_save(
            actor=b.agent, store_id=b.store.pk, user_id=b.world.user("technician").pk, efficiency=D(1), shifts={}
        )
    assert (error.value.status, error.value.code) == (403, "store_not_allowed")
    with pytest.raises(ApplicationError) as error:
        leave_add(
            actor=b.world.user("foreman", "sz"),
            technician_id=b.technicians[0].pk,
            starts_at=b.at("10:00"),
            ends_at=b.at("12:00"),
        )
    assert (error.value.status, error.value.code) == (404, "not_found")
    assert rows() == before


def test_leave_may_not_overlap_leave_already_recorded(booking: Booking) -> None:
    b = booking
    foreman = b.world.user("foreman")
    junior = b.technicians[0]
    leave = leave_add(
        actor=foreman, technician_id=junior.pk, starts_at=b.at("10:00"), ends_at=b.at("12:00"), reason=" 培训 "
    )
    assert (leave.reason, leave.created_by_id) == ("培训", foreman.pk)
    assert last_audit("create", "appointments.leave").changes == {
        "from": "2026-11-27T10:00:00+08:00",
        "until": "2026-11-27T12:00:00+08:00",
        "reason": "培训",
    }
    before = rows()
    for starts, ends in (("11:00", "13:00"), ("09:00", "10:15"), ("10:30", "11:00"), ("08:00", "17:00")):
        with pytest.raises(ApplicationError) as error:
            leave_add(actor=foreman, technician_id=junior.pk, starts_at=b.at(starts), ends_at=b.at(ends))
        assert (error.value.detail, error.value.fields) == (
            INVALID,
            {"starts_at": ["与已登记的请假（2026-11-27 10:00 至 2026-11-27 12:00）重叠。"]},
        )
    with pytest.raises(ApplicationError) as error:
        leave_add(actor=foreman, technician_id=junior.pk, starts_at=b.at("15:00"), ends_at=b.at("14:00"))
    assert error.value.fields == {"ends_at": ["请假结束时间须晚于开始时间。"]}
    with pytest.raises(ApplicationError) as error:
        leave_add(
            actor=foreman,
            technician_id=junior.pk,
            starts_at=b.at("15:00").replace(tzinfo=None),
            ends_at=b.at("16:00").replace(tzinfo=None),
        )
    assert list(error.value.fields) == ["starts_at", "ends_at"]
    assert rows() == before

    # Right after it, and another technician at the same time: fine.
    leave_add(actor=foreman, technician_id=junior.pk, starts_at=b.at("12:00"), ends_at=b.at("13:00"))
    leave_add(actor=foreman, technician_id=b.technicians[1].pk, starts_at=b.at("10:00"), ends_at=b.at("12:00"))
    assert day_plan(b.store, b.day()).capacity_hours == D("29.25") - D("3.00") - D("2.50")

    leave_remove(actor=foreman, leave_id=leave.pk)
    assert day_plan(b.store, b.day()).capacity_hours == D("29.25") - D("1.00") - D("2.50")
    assert last_audit("delete", "appointments.leave").object_id == str(leave.pk)
    with pytest.raises(ApplicationError) as error:
        leave_remove(actor=foreman, leave_id=leave.pk)
    assert (error.value.status, error.value.code) == (404, "not_found")


def test_booking_settings_are_checked_by_their_fields_rules(booking: Booking) -> None:
    b = booking
    manager = b.world.user("manager")
    saved = booking_settings_save(
        actor=manager,
        store_id=b.store.pk,
        data={"walk_in_reserve_percent": 30, "route": " 地铁2号线 ", "same_day_reminder": True},
    )
    assert (saved.walk_in_reserve_percent, saved.route, saved.same_day_reminder) == (30, "地铁2号线", True)
    assert last_audit("update", "appointments.bookingsettings").changes == {
        "walk_in_reserve_percent": ["20", "30"],
        "route": ["", "地铁2号线"],
        "same_day_reminder": ["False", "True"],
    }
    before = (rows(), list(BookingSettings.objects.values()))
    with pytest.raises(ApplicationError) as error:
        booking_settings_save(actor=manager, store_id=b.store.pk, data={"walk_in_reserve_percent": 95, "colour": "red"})
    assert error.value.fields == {"colour": ["未知字段。"]}
    with pytest.raises(ApplicationError) as error:
        booking_settings_save(
            actor=manager, store_id=b.store.pk, data={"walk_in_reserve_percent": 95, "no_show_grace_minutes": 1}
        )
    assert sorted(error.value.fields) == ["no_show_grace_minutes", "walk_in_reserve_percent"]
    with pytest.raises(ApplicationError) as error:
        booking_settings_save(actor=b.agent, store_id=b.store.pk, data={"walk_in_reserve_percent": 10})
    assert (error.value.status, error.value.code) == (403, "store_not_allowed")
    assert (rows(), list(BookingSettings.objects.values())) == before
