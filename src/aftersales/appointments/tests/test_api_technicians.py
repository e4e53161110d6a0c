"""The technicians' API by its ids: a technician answers both its own ``id`` (its leave's) and the staff
member's ``user_id`` and ``user`` (what ``PUT /technicians/{user_id}`` takes), a PUT for anyone who is not
active staff of the store is refused with nothing changed, and the reason of a technician's leave goes
only to whoever keeps the store's capacity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from aftersales.appointments.models import Leave, Shift, Technician
from aftersales.appointments.tests.conftest import Booking, technician
from aftersales.appointments.tests.factories import NOW, Clock
from aftersales.core.models import AuditEntry, Role, StaffMembership, User

API = "/api/v1/appointments"
MESSAGE = "Choose a member of this store's staff."


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, NOW)


@pytest.fixture
def api() -> Callable[[User], Client]:
    """A signed-in browser session that reads English."""

    def make(user: User) -> Client:
        client = Client(headers={"accept-language": "en"})
        client.force_login(user)
        return client

    return make


def capacity_rows() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], int]:
    """Every technician and shift as stored, and the audit entries of changes (refusals aside)."""
    return (
        list(Technician.all_objects.order_by("pk").values_list("pk", "store_id", "user_id", "efficiency", "is_active")),
        list(Shift.objects.order_by("pk").values_list("technician_id", "weekday", "starts", "ends")),
        AuditEntry.objects.exclude(action__in=("permission_denied", "not_found_in_scope")).count(),
    )


def test_a_put_names_the_staff_member_by_user_id_and_refuses_anyone_not_on_the_stores_staff(
    booking: Booking, api: Callable[[User], Client]
) -> None:
    b = booking
    foreman = api(b.world.user("foreman"))
    junior = foreman.get(f"{API}/technicians", {"store": "SH01"}).json()[0]
    assert (junior["id"], junior["user_id"], junior["user"]) == (
        b.technicians[0].pk,
        b.technicians[0].user_id,
        "tech_junior",
    )

    shifts = {"store": "SH01", "shifts": {"0": ["09:00", "17:00"]}}
    before = capacity_rows()
    the_sz_technician = b.world.user("technician", "sz")
    for user_id in (999999, the_sz_technician.pk, b.world.users["outsider"].pk):
        refused = foreman.put(f"{API}/technicians/{user_id}", shifts, content_type="application/json")
        assert (refused.status_code, refused.json()["fields"]) == (400, {"user_id": [MESSAGE]}), user_id
    # The other store's foreman: SH01 is not theirs, and SH01's staff are not SZ01's.
    sz_foreman = api(b.world.user("foreman", "sz"))
    url = f"{API}/technicians/{junior['user_id']}"
    not_theirs = sz_foreman.put(url, shifts, content_type="application/json")
    assert (not_theirs.status_code, not_theirs.json()["fields"]) == (400, {"store": ["Unknown store."]})
    not_staff = sz_foreman.put(url, {**shifts, "store": "SZ01"}, content_type="application/json")
    assert (not_staff.status_code, not_staff.json()["fields"]) == (400, {"user_id": [MESSAGE]})
    assert api(b.world.user("advisor")).put(url, shifts, content_type="application/json").status_code == 403
    assert capacity_rows() == before

    # The user id of the answer changes that technician's week and no one else's.
    others = list(Shift.objects.exclude(technician=b.technicians[0]).values_list("pk", "starts", "ends"))
    saved = foreman.put(url, shifts, content_type="application/json")
    assert saved.status_code == 200, saved.content
    assert {key: saved.json()[key] for key in ("id", "user_id", "user", "shifts")} == {
        "id": b.technicians[0].pk,
        "user_id": b.technicians[0].user_id,
        "user": "tech_junior",
        "shifts": {"0": ["09:00", "17:00"]},
    }
    assert list(Shift.objects.exclude(technician=b.technicians[0]).values_list("pk", "starts", "ends")) == others


def test_the_reason_of_leave_goes_only_to_who_keeps_the_stores_capacity(
    booking: Booking, api: Callable[[User], Client]
) -> None:
    b = booking
    leave = Leave.objects.create(
        technician=b.technicians[0], starts_at=b.at("08:30"), ends_at=b.at("17:30"), reason="病假"
    )
    sz_technician = technician(b.world.sz, "tech_sz", skill="junior")
    Leave.objects.create(technician=sz_technician, starts_at=b.at("08:30"), ends_at=b.at("12:00"), reason="婚假")

    def leave_of(user: User, store: str = "SH01") -> list[dict[str, Any]]:
        response = api(user).get(f"{API}/technicians", {"store": store})
        assert response.status_code == 200, (user.username, response.content)
        return [row for technician_row in response.json() for row in technician_row["leave"]]

    period = {
        "id": leave.pk,
        "technician": b.technicians[0].pk,
        "starts_at": "2026-11-27T08:30:00+08:00",
        "ends_at": "2026-11-27T17:30:00+08:00",
    }
    for role in ("foreman", "manager", "service_manager"):  # appointments.capacity in SH01
        assert leave_of(b.world.user(role)) == [{**period, "reason": "病假"}], role
    for role in ("crm", "frontdesk", "parts", "advisor", "auditor"):  # appointments.view only
        assert leave_of(b.world.user(role)) == [{**period, "reason": None}], role
    # The capacity in another store shows no reason here: the front desk of SH01 who is SZ01's foreman.
    both = User.objects.create(username="desk_and_foreman")
    roles = {role.code: role for role in Role.objects.filter(code__in=("frontdesk", "foreman"))}
    StaffMembership.objects.create(store=b.store, user=both, role=roles["frontdesk"])
    StaffMembership.objects.create(store=b.world.sz, user=both, role=roles["foreman"])
    assert leave_of(both) == [{**period, "reason": None}]
    assert [row["reason"] for row in leave_of(both, "SZ01")] == ["婚假"]
