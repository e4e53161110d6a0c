"""The 三包 watch's pages: a household car's 三包 page (its periods, every rule with its article and where the car
stands, the counters, every visit timed as the law times it with its lines counted or why not, the alerts),
the reading of a repair line and what was done about an alert (refusals on their fields, nothing written),
the store's alerts, the group's 三包 main parts, and the 三包 panel of the vehicle's page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aftersales.core.models import AuditEntry, User
from aftersales.customers.models import Vehicle
from aftersales.customers.tests.factories import VehicleFactory
from aftersales.parts.models import Part, PartPrice
from aftersales.parts.tests.factories import PartFactory
from aftersales.quality.models import Handover, SanbaoAlert, SanbaoLine, SanbaoPart
from aftersales.quality.services import sanbao
from aftersales.visits.models import Line, RepairOrder, Visit
from aftersales.visits.services import LineIn, OrderIn, line_add, repair_order_create, visit_open
from aftersales.visits.tests.conftest import Reception, signature_png
from aftersales.workshop.models import OffSite

pytestmark = pytest.mark.django_db

LAW = "家用汽车产品修理、更换、退货责任规定"


@pytest.fixture
def english(client_for: Callable[[User], Client]) -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


# --- a household car with a history -----------------------------------------------------------------------


@dataclass
class History:
    """沪A66666, household, bought 39 days ago: three visits to SH01.

    A (30 days ago, day 10, 800 km): the injector (an engine main part) repaired and replaced; the pickup
    notice 50 h after signing: 3 repair days. B (20 days ago, day 20, 1,500 km): the injector again, repaired
    and replaced, and an accident line (insurance) on the brake pads; off site 24 h with the owner's
    agreement to pause; the notice 170 h after signing: 146 h, 7 repair days. C (on site, signed 26 h ago):
    the brake pads repaired (running: 2 repair days), an oil change (maintenance) and a proposed line."""

    reception: Reception
    vehicle: Vehicle
    injector: Part
    visits: list[Visit]
    orders: list[RepairOrder]
    lines: dict[str, Line]

    @property
    def url(self) -> str:
        return f"/quality/vehicles/{self.vehicle.pk}/sanbao/"

    def day(self, visit: Visit) -> int:
        start = self.vehicle.warranty_start
        assert start is not None
        return (visit.arrived_at.astimezone(self.reception.store.zone).date() - start).days + 1


def _visit(
    r: Reception, vehicle: Vehicle, *, km: int, ago: timedelta, lines: list[LineIn], notice_after: timedelta | None
) -> tuple[Visit, RepairOrder]:
    """A visit of ``vehicle`` that arrived ``ago`` with a signed order of ``lines`` (signed an hour after the
    arrival), its pickup notice ``notice_after`` the signing (None: still on site)."""
    visit = visit_open(actor=r.advisor, data=r.visit_in(vehicle_id=vehicle.pk, mileage_in=km))
    order = repair_order_create(
        actor=r.advisor,
        visit_id=visit.pk,
        data=OrderIn(statement="发动机抖动", signature=signature_png(), signed_name="张伟", lines=lines),
    )
    arrived = timezone.now() - ago
    signed = arrived + timedelta(hours=1)
    Visit.all_objects.filter(pk=visit.pk).update(arrived_at=arrived)
    RepairOrder.all_objects.filter(pk=order.pk).update(signed_at=signed)
    if notice_after is not None:
        Handover.objects.create(
            store=r.store,
            visit=visit,
            handed_by=r.world.user("foreman"),
            advisor=r.advisor,
            keys="K-07",
            explanation="更换喷油器",
            notified_at=signed + notice_after,
        )
        Visit.all_objects.filter(pk=visit.pk).update(state=Visit.State.DELIVERED, left_at=signed + notice_after)
    return Visit.all_objects.get(pk=visit.pk), RepairOrder.all_objects.get(pk=order.pk)


def _history(r: Reception, *, use_type: str = "household", bought: bool = True) -> History:
    group, brand = r.store.group, r.store.brands.first()
    injector = PartFactory.create(
        group=group, brand=brand, number="06H906036P", number_display="06H-906-036-P", name="喷油器"
    )
    PartPrice.objects.create(part=injector, kind="retail", price=Decimal("680.00"), valid_from=date(2020, 1, 1))
    SanbaoPart.objects.create(group=group, part=injector, system="engine", created_by=r.advisor)
    today = r.today()
    data: dict[str, Any] = {"plate": "沪A66666", "use_type": use_type}
    if bought:
        data["purchase_date"] = today - timedelta(days=39)
    vehicle = VehicleFactory.create(owner=r.customer, **data)

    def injector_work() -> list[LineIn]:
        return [
            LineIn(
                kind="labour",
                operation_id=r.brakes.pk,
                description="检修喷油器",
                fault_code="P0201",
                symptom="发动机抖动",
                causal_part_id=injector.pk,
            ),
            LineIn(kind="part", part_id=injector.pk, quantity=Decimal(1)),
        ]

    a, order_a = _visit(
        r, vehicle, km=800, ago=timedelta(days=30), lines=injector_work(), notice_after=timedelta(hours=50)
    )
    accident = LineIn(
        kind="labour",
        operation_id=r.brakes.pk,
        pay_type="insurance",
        description="事故更换前制动片",
        fault_code="B1000",
        symptom="碰撞",
        causal_part_id=r.pads.pk,
    )
    b, order_b = _visit(
        r,
        vehicle,
        km=1_500,
        ago=timedelta(days=20),
        lines=[*injector_work(), accident],
        notice_after=timedelta(hours=170),
    )
    signed_b = order_b.signed_at
    OffSite.objects.create(
        store=r.store,
        visit=b,
        left_at=signed_b + timedelta(hours=24),
        back_at=signed_b + timedelta(hours=48),
        reason="等待喷油器到货",
        owner_agreed_pause=True,
        recorded_by=r.advisor,
    )
    brakes = LineIn(
        kind="labour", operation_id=r.brakes.pk, fault_code="C1234", symptom="制动异响", causal_part_id=r.pads.pk
    )
    c, order_c = _visit(
        r,
        vehicle,
        km=2_100,
        ago=timedelta(hours=27),
        lines=[brakes, LineIn(kind="labour", operation_id=r.oil.pk)],
        notice_after=None,
    )
    proposed = line_add(
        actor=r.advisor,
        order_id=order_c.pk,
        data=LineIn(
            kind="labour", operation_id=r.brakes.pk, fault_code="C1235", symptom="制动抖动", causal_part_id=r.pads.pk
        ),
    )
    lines = {
        "a": Line.all_objects.get(order=order_a, position=1),
        "a_part": Line.all_objects.get(order=order_a, position=2),
        "b": Line.all_objects.get(order=order_b, position=1),
        "b_part": Line.all_objects.get(order=order_b, position=2),
        "b_accident": Line.all_objects.get(order=order_b, position=3),
        "c": Line.all_objects.get(order=order_c, position=1),
        "c_oil": Line.all_objects.get(order=order_c, position=2),
        "c_proposed": proposed,
    }
    vehicle.refresh_from_db()
    return History(r, vehicle, injector, [a, b, c], [order_a, order_b, order_c], lines)


@pytest.fixture
def history(reception: Reception) -> History:
    return _history(reception)


def _local(history: History, moment: datetime) -> str:
    return moment.astimezone(history.reception.store.zone).strftime("%Y-%m-%d %H:%M")


def _rules(page: Any) -> dict[str, list[tuple[str, str, int, int, list[str]]]]:
    """Each rule's results as the page shows them: level, subject, value, threshold, the orders linked."""
    return {
        item["rule"].code: [
            (r["result"].level, r["result"].subject, r["result"].value, r["result"].threshold, r["result"].orders)
            for r in item["results"]
        ]
        for item in page.context["rules"]
    }


def _why(page: Any) -> dict[int, tuple[bool, str]]:
    """Each line of each visit: counted, and the page's words for it."""
    return {
        item["line"].pk: (item["counted"], str(item["why"]))
        for visit in page.context["visits"]
        for item in visit["lines"]
    }


# --- the 三包 page ------------------------------------------------------------------------------------------


def test_the_page_shows_every_rule_with_its_article_and_where_the_car_stands(
    history: History, english: Callable[[User], Client]
) -> None:
    a, b, c = (order.number for order in history.orders)
    page = english(history.reception.advisor).get(history.url)
    assert page.status_code == 200
    assert page.context["watch"].cannot == []
    assert _rules(page) == {
        "long_repair": [
            ("alert", f"Visit {history.visits[1].number}: 7 repair days", 7, 5, [b]),
        ],
        "early_assembly": [("alert", "Engine: main part failed on day 10 at 800 km", 10, 60, [a, b])],
        "first_week": [],
        "early_safety": [],
        "safety_repairs": [("ok", "0 repairs of a serious safety fault", 0, 2, [])],
        "assembly_replacements": [("ok", "Engine replaced 0 times", 0, 2, [])],
        "main_part_replacements": [("alert", "喷油器 06H-906-036-P replaced 2 times", 2, 2, [a, b])],
        "repair_days": [("ok", "12 cumulative repair days", 12, 30, [a, b, c])],
        "same_problem": [
            ("ok", "喷油器 06H-906-036-P: 2 repairs", 2, 4, [a, b]),
            ("ok", "前制动片 5Q0-698-151: 1 repair", 1, 4, [c]),
        ],
    }
    html = page.content.decode()
    # Every rule with its article of the law and its remedy; a rule the car has not reached says so.
    assert [item["article"] for item in page.context["rules"]] == [
        f"{LAW} 第二十条",
        f"{LAW} 第二十一条",
        f"{LAW} 第二十二条",
        f"{LAW} 第二十三条",
        f"{LAW} 第二十四条第一款第一项",
        f"{LAW} 第二十四条第一款第二项",
        f"{LAW} 第二十四条第一款第三项",
        f"{LAW} 第二十四条第一款第四项",
        f"{LAW} 第二十四条第一款第四项",
    ]
    assert f'<div class="small text-secondary" data-testid="article">{LAW} 第二十一条</div>' in html
    assert (
        '<td class="small" style="min-width: 9rem" data-testid="remedy">Free replacement of the assembly</td>' in html
    )
    assert html.count('<span class="badge text-bg-light border" data-testid="state">Not reached</span>') == 2
    assert '<span class="badge text-bg-danger" data-testid="state">Alert</span>' in html
    order_b = history.orders[1]
    assert (
        f'<a class="font-monospace text-nowrap" href="/repair-orders/{order_b.pk}/" data-testid="order-link">'
        f"{b}</a>" in html
    )
    # The vehicle and its periods.
    bought = history.vehicle.purchase_date
    assert bought is not None
    assert f'<dd class="col-6 col-md-3" data-testid="purchase-date">{bought:%Y-%m-%d}</dd>' in html
    assert '<dd class="col-6 col-md-3" data-testid="use">Household</dd>' in html
    assert '<dd class="col-6 col-md-3" data-testid="policy">the legal minimum (no brand policy)</dd>' in html
    warranty_end, sanbao_end = history.vehicle.warranty_end, history.vehicle.sanbao_end
    assert f'data-testid="warranty">until {warranty_end:%Y-%m-%d} or 60000 km</dd>' in html
    assert f'data-testid="sanbao-period">until {sanbao_end:%Y-%m-%d} or 50000 km</dd>' in html
    assert 'data-testid="cannot"' not in html


def test_the_counters_and_the_repairs_as_the_law_times_them(
    history: History, english: Callable[[User], Client]
) -> None:
    a, b, c = history.visits
    page = english(history.reception.advisor).get(history.url)
    injector, pads = history.injector, history.reception.pads
    problems, assemblies = (
        [
            (
                item["counter"].label,
                len(item["repairs"]),
                len(item["counter"].replacements),
                item["counter"].days,
                [(row["visit"].number, row["replaced"]) for row in item["repairs"]],
            )
            for item in rows
        ]
        for _title, _heading, rows, _testid in page.context["counter_tables"]
    )
    assert problems == [
        ("喷油器 06H-906-036-P", 2, 2, 10, [(a.number, True), (b.number, True)]),
        ("前制动片 5Q0-698-151", 1, 0, 2, [(c.number, False)]),
    ]
    assert assemblies == [("Engine", 2, 0, 10, [(a.number, False), (b.number, False)])]
    html = page.content.decode()
    assert f'<tr data-testid="counter-part:{injector.pk}">' in html and f"counter-part:{pads.pk}" in html
    assert '<div class="small text-secondary">Engine · main part</div>' in html
    assert 'Cumulative repair days: <span class="fs-5 fw-semibold">12</span> / 30' in html

    # Every visit with its day, mileage, the repair's start and end and its repair days.
    visits = {item["visit"].pk: item for item in page.context["visits"]}
    assert [(item["visit"].day, item["visit"].mileage, item["visit"].days) for item in visits.values()] == [
        (10, 800, 3),
        (20, 1_500, 7),
        (history.day(c), 2_100, 2),
    ]
    assert [history.day(a), history.day(b)] == [10, 20]
    signed = [order.signed_at for order in history.orders]
    assert f'data-testid="started">{_local(history, signed[0])}</dd>' in html
    assert f'data-testid="ended">Pickup notice {_local(history, signed[0] + timedelta(hours=50))}</dd>' in html
    assert 'data-testid="repair-time">50 h: 3 repair days</dd>' in html
    assert (
        f'data-testid="off-site"><div>{(signed[1] + timedelta(hours=24)).astimezone(history.reception.store.zone):%m-%d %H:%M}'
        f" – {(signed[1] + timedelta(hours=48)).astimezone(history.reception.store.zone):%m-%d %H:%M} · 等待喷油器到货 · "
        '<span class="text-success">the owner agreed to pause: 24 h left out</span></div></dd>' in html
    )
    assert 'data-testid="repair-time">146 h: 7 repair days</dd>' in html
    running = visits[c.pk]
    assert running["visit"].ended_by == "now"
    assert '<span class="text-primary">Still in the workshop: running</span> (to now, ' in html
    # Each line counted, or why it is left out.
    lines = history.lines
    assert _why(page) == {
        lines["a"].pk: (True, "Counts for 三包"),
        lines["a_part"].pk: (True, "Counted: a replacement of the part repaired"),
        lines["b"].pk: (True, "Counts for 三包"),
        lines["b_part"].pk: (True, "Counted: a replacement of the part repaired"),
        lines["b_accident"].pk: (False, "Not counted: an accident, not a quality problem"),
        lines["c"].pk: (True, "Counts for 三包"),
        lines["c_oil"].pk: (False, "Not counted: maintenance, not the repair of a fault"),
        lines["c_proposed"].pk: (False, "Not counted: proposed, not agreed yet"),
    }
    # A link to read each repair line (causal part and fault), none for the oil change or the parts; the
    # form opens for one line at a time.
    readable = {pk for pk in _why(page) if f'data-testid="read-link-{pk}"' in html}
    assert readable == {lines[key].pk for key in ("a", "b", "b_accident", "c", "c_proposed")}
    assert '<form method="post" action="' + history.url + "lines/" not in html
    opened = english(history.reception.advisor).get(history.url, {"line": lines["c"].pk}).content.decode()
    assert (
        f'<form method="post" action="{history.url}lines/{lines["c"].pk}/#line-{lines["c"].pk}"' in opened
        and '<input type="text" name="note" maxlength="200"' in opened
        and f'data-testid="read-link-{lines["c"].pk}"' not in opened
    )


def test_a_reader_without_the_sanbao_permission_sees_the_watch_without_forms(
    history: History, english: Callable[[User], Client]
) -> None:
    sanbao.sanbao_evaluate(history.vehicle.pk, group_id=history.reception.store.group_id)
    page = english(history.reception.world.user("technician")).get(history.url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="read-' not in html and "/action/" not in html
    assert len(page.context["alerts"]) == 3
    assert english(history.reception.world.user("parts")).get(history.url).status_code == 403


@pytest.mark.parametrize(
    ("changes", "reasons"),
    [
        (
            {"bought": False},
            ["No purchase-invoice date (nor delivery date): the 三包 periods cannot be evaluated."],
        ),
        (
            {"use_type": ""},
            ["The vehicle's use (household or commercial) is not recorded: 三包 cannot be evaluated."],
        ),
        ({"use_type": "commercial"}, ["A commercial vehicle: 三包 covers household vehicles only (第二条)."]),
    ],
)
def test_a_car_that_cannot_be_evaluated_shows_why_and_no_zeros(
    reception: Reception, english: Callable[[User], Client], changes: dict[str, Any], reasons: list[str]
) -> None:
    history = _history(reception, **changes)
    page = english(reception.advisor).get(history.url)
    assert page.status_code == 200
    html = page.content.decode()
    assert [str(reason) for reason in page.context["watch"].cannot] == reasons
    box = html[html.index('data-testid="cannot"') : html.index('data-testid="rules"')]
    assert "三包 cannot be evaluated for this vehicle" in box
    for reason in reasons:
        assert f'<li data-testid="cannot-reason">{reason}</li>'.replace("'", "&#x27;") in box
    # No rule reached or not, no counter, no total of repair days: each says it cannot be evaluated.
    assert html.count('<span class="badge text-bg-secondary" data-testid="state">Cannot evaluate</span>') == 9
    assert "Not reached" not in html and 'data-testid="result"' not in html
    assert "Cumulative repair days" not in html
    assert '<p class="text-secondary mb-0" data-testid="counters-cannot">Cannot evaluate: see above.</p>' in html
    # Each line keeps what it is (an accident, maintenance); the rest are not evaluated.
    lines, missing = history.lines, "Not evaluated: 三包 cannot be evaluated for this vehicle"
    assert _why(page) == {
        lines["a"].pk: (False, missing),
        lines["a_part"].pk: (False, missing),
        lines["b"].pk: (False, missing),
        lines["b_part"].pk: (False, missing),
        lines["b_accident"].pk: (False, "Not counted: an accident, not a quality problem"),
        lines["c"].pk: (False, missing),
        lines["c_oil"].pk: (False, "Not counted: maintenance, not the repair of a fault"),
        lines["c_proposed"].pk: (False, missing),
    }


# --- reading a line -----------------------------------------------------------------------------------------


def test_reading_a_line_changes_what_the_watch_counts(history: History, english: Callable[[User], Client]) -> None:
    client = english(history.reception.advisor)
    lines = history.lines
    url = f"{history.url}lines/{lines['c'].pk}/"
    response = client.post(url, {"cause": "quality", "safety": "brake_failure", "note": "制动踏板发软"})
    assert (response.status_code, response["Location"]) == (302, f"{history.url}#line-{lines['c'].pk}")
    reading = SanbaoLine.objects.get(line=lines["c"])
    assert (reading.cause, reading.safety, reading.note, reading.set_by) == (
        "quality",
        "brake_failure",
        "制动踏板发软",
        history.reception.advisor,
    )
    page = client.get(history.url)
    c = history.visits[2]
    rules = _rules(page)
    assert rules["early_safety"] == [
        ("alert", f"Brake failure on day {history.day(c)} at 2100 km", history.day(c), 60, [history.orders[2].number])
    ]
    assert rules["safety_repairs"] == [
        ("warning", "1 repair of a serious safety fault", 1, 2, [history.orders[2].number])
    ]
    assert '<span class="badge text-bg-danger" data-testid="safety">Brake failure</span> 制动踏板发软' in (
        page.content.decode()
    )

    # The first injector repair read as an accident: it no longer counts, nor does its replacement.
    response = client.post(f"{history.url}lines/{lines['a'].pk}/", {"cause": "accident", "safety": ""})
    assert response.status_code == 302
    page = client.get(history.url)
    rules = _rules(page)
    b = history.orders[1].number
    assert rules["main_part_replacements"] == [("warning", "喷油器 06H-906-036-P replaced 1 time", 1, 2, [b])]
    assert rules["early_assembly"] == [("alert", "Engine: main part failed on day 20 at 1500 km", 20, 60, [b])]
    assert rules["repair_days"] == [("ok", "9 cumulative repair days", 9, 30, [b, history.orders[2].number])]
    assert _why(page)[lines["a"].pk] == (False, "Not counted: an accident, not a quality problem")
    assert _why(page)[lines["a_part"].pk] == (
        False,
        "Not counted: a part, not a replacement of a part repaired on this visit",
    )
    entry = AuditEntry.objects.filter(action="sanbao_line").order_by("-pk").first()
    assert entry is not None and entry.changes["after"] == {"cause": "accident", "safety": "", "note": ""}


def test_a_bad_reading_shows_its_field_errors_and_writes_nothing(
    history: History, english: Callable[[User], Client]
) -> None:
    client = english(history.reception.advisor)
    lines = history.lines
    refused = client.post(f"{history.url}lines/{lines['c'].pk}/", {"cause": "flood", "safety": "", "note": "x" * 201})
    assert refused.status_code == 400
    assert refused.context["bound_line"].errors == {
        "cause": ["Select a valid choice. flood is not one of the available choices."],
        "note": ["Ensure this value has at most 200 characters (it has 201)."],
    }
    html = refused.content.decode()
    assert (
        '<div class="invalid-feedback d-block" data-testid="error-cause">'
        "Select a valid choice. flood is not one of the available choices.</div>" in html
    )
    # The service's refusals land on their fields too: a safety fault is a quality problem's.
    refused = client.post(f"{history.url}lines/{lines['c'].pk}/", {"cause": "misuse", "safety": "brake_failure"})
    assert refused.status_code == 400
    assert refused.context["bound_line"].errors == {
        "safety": ["Only a quality problem is read as a serious safety fault."]
    }
    # A line that repairs no recorded fault is not read for 三包 (the page offers no form for it).
    refused = client.post(f"{history.url}lines/{lines['c_oil'].pk}/", {"cause": "quality", "safety": ""})
    assert refused.status_code == 400
    assert refused.context["bound_line"].errors == {
        "__all__": ["This line repairs no recorded fault (causal part and fault): 三包 does not count it."]
    }
    assert (
        '<div class="alert alert-danger fs-5" role="alert" data-testid="error-top"><i class="bi '
        'bi-exclamation-octagon"></i> This line repairs no recorded fault (causal part and fault): 三包 does not count'
        " it.</div>" in refused.content.decode()
    )
    # A line of another vehicle is not found; a reader without the permission is refused.
    other = VehicleFactory.create(owner=history.reception.customer, plate="沪A77777")
    assert (
        client.post(f"/quality/vehicles/{other.pk}/sanbao/lines/{lines['c'].pk}/", {"cause": "quality"}).status_code
        == 404
    )
    technician = english(history.reception.world.user("technician"))
    assert technician.post(f"{history.url}lines/{lines['c'].pk}/", {"cause": "accident"}).status_code == 403
    assert (SanbaoLine.objects.count(), AuditEntry.objects.filter(action="sanbao_line").count()) == (0, 0)


# --- alerts ---------------------------------------------------------------------------------------------------


def _raised(history: History) -> dict[str, SanbaoAlert]:
    sanbao.sanbao_evaluate(history.vehicle.pk, group_id=history.reception.store.group_id)
    return {alert.rule: alert for alert in SanbaoAlert.all_objects.filter(vehicle=history.vehicle)}


def test_the_alerts_of_the_car_and_what_was_done(history: History, english: Callable[[User], Client]) -> None:
    alerts = _raised(history)
    assert sorted(alerts) == ["early_assembly", "long_repair", "main_part_replacements"]
    client = english(history.reception.advisor)
    page = client.get(history.url)
    html = page.content.decode()
    assert '<span class="badge text-bg-primary" data-testid="open-count">3 open</span>' in html
    rows = [
        (row["alert"], str(row["rule"].label), row["article"], str(row["badge"][1])) for row in page.context["alerts"]
    ]
    assert rows == [
        (
            alerts["main_part_replacements"],
            "2 replacements of the same main part",
            f"{LAW} 第二十四条第一款第三项",
            "Alert",
        ),
        (
            alerts["early_assembly"],
            "Main part of a major assembly failed within 60 days / 3,000 km",
            f"{LAW} 第二十一条",
            "Alert",
        ),
        (alerts["long_repair"], "Single repair longer than 5 days", f"{LAW} 第二十条", "Alert"),
    ]
    long_repair = alerts["long_repair"]
    url = f"/quality/sanbao/alerts/{long_repair.pk}/action/"
    assert f'<form method="post" action="{url}#alert-{long_repair.pk}"' in html

    # "Other" says what was done; nothing is written without it.
    refused = client.post(url, {"action": "other", "note": " ", "back": "vehicle"})
    assert refused.status_code == 400
    assert refused.context["bound_action"].errors == {"note": ["Say what was done."]}
    assert 'data-testid="error-note">Say what was done.</div>' in refused.content.decode()
    refused = client.post(url, {"action": "", "back": "vehicle"})
    assert refused.context["bound_action"].errors == {"action": ["Choose what was done."]}
    assert SanbaoAlert.all_objects.get(pk=long_repair.pk).state == "open"

    response = client.post(url, {"action": "courtesy_car", "note": "提供代步车至修复", "back": "vehicle"})
    assert (response.status_code, response["Location"]) == (302, f"{history.url}#alert-{long_repair.pk}")
    long_repair.refresh_from_db()
    assert (long_repair.state, long_repair.action, long_repair.action_note, long_repair.action_by) == (
        "done",
        "courtesy_car",
        "提供代步车至修复",
        history.reception.advisor,
    )
    assert long_repair.action_at is not None
    html = client.get(history.url).content.decode()
    assert (
        '<i class="bi bi-check2-circle text-success"></i> Courtesy car provided · 提供代步车至修复 · '
        f"by 服务顾问 at {_local(history, long_repair.action_at)}</div>" in html
    )
    assert '<span class="badge text-bg-primary" data-testid="open-count">2 open</span>' in html
    # Dealt with once: a second answer is refused and changes nothing.
    again = client.post(url, {"action": "refunded", "back": "vehicle"})
    assert again.status_code == 409
    assert again.context["bound_action"].errors == {"__all__": ["This alert has been dealt with already."]}
    assert SanbaoAlert.all_objects.get(pk=long_repair.pk).action == "courtesy_car"


def test_the_stores_alerts_filtered_with_the_action_form(history: History, english: Callable[[User], Client]) -> None:
    alerts = _raised(history)
    client = english(history.reception.advisor)
    page = client.get("/quality/sanbao/alerts/")
    assert page.status_code == 200
    assert [row["alert"] for row in page.context["rows"]] == [
        alerts["main_part_replacements"],
        alerts["early_assembly"],
        alerts["long_repair"],
    ]
    html = page.content.decode()
    first = alerts["main_part_replacements"]
    assert f'<a class="font-monospace fw-semibold ms-1" href="{history.url}" data-testid="vehicle">沪A66666</a>' in html
    assert '<span class="fw-semibold ms-1" data-testid="rule">2 replacements of the same main part</span>' in html
    assert f'<div class="small text-secondary" data-testid="article">{LAW} 第二十四条第一款第三项</div>' in html
    # The subject as it was written when the alert was raised (in the language of that moment).
    assert f'<div data-testid="subject">{first.subject} <span class="text-secondary small">(2 / 2)</span></div>' in html
    assert f'data-testid="raised">Raised {_local(history, first.raised_at)}</span>' in html
    assert f'action="/quality/sanbao/alerts/{first.pk}/action/#alert-{first.pk}"' in html
    response = client.post(
        f"/quality/sanbao/alerts/{first.pk}/action/", {"action": "manufacturer", "note": "", "back": "list"}
    )
    assert (response.status_code, response["Location"]) == (302, "/quality/sanbao/alerts/")
    assert [row["alert"].pk for row in client.get("/quality/sanbao/alerts/").context["rows"]] == [
        alerts["early_assembly"].pk,
        alerts["long_repair"].pk,
    ]
    done = client.get("/quality/sanbao/alerts/", {"state": "done"})
    assert [row["alert"].pk for row in done.context["rows"]] == [first.pk]
    assert "Escalated to the manufacturer · by 服务顾问 at" in done.content.decode()
    assert client.get("/quality/sanbao/alerts/", {"state": "all", "level": "warning"}).context["rows"] == []
    refused = client.get("/quality/sanbao/alerts/", {"state": "closed"})
    assert refused.status_code == 400
    assert refused.context["filters"].errors == {
        "state": ["Select a valid choice. closed is not one of the available choices."]
    }
    # Seeing the alerts is not dealing with them.
    html = english(history.reception.world.user("technician")).get("/quality/sanbao/alerts/").content.decode()
    assert "/action/" not in html and f'data-testid="alert-{alerts["long_repair"].pk}"' in html
    refused = english(history.reception.world.user("technician")).post(
        f"/quality/sanbao/alerts/{alerts['long_repair'].pk}/action/", {"action": "refunded", "back": "list"}
    )
    assert refused.status_code == 403
    assert SanbaoAlert.all_objects.get(pk=alerts["long_repair"].pk).state == "open"


def test_the_alerts_list_costs_the_same_queries_however_long(
    history: History, english: Callable[[User], Client]
) -> None:
    _raised(history)
    client = english(history.reception.advisor)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/quality/sanbao/alerts/", {"state": "all"}).status_code == 200
        return len(captured)

    client.get("/quality/sanbao/alerts/")
    few = queries()
    for number in range(4):
        vehicle = VehicleFactory.create(owner=history.reception.customer, plate=f"沪B1000{number}")
        SanbaoAlert.all_objects.create(
            store=history.reception.store,
            group_id=history.reception.store.group_id,
            vehicle=vehicle,
            rule="repair_days",
            key="all",
            level="warning",
            subject=f"{26 + number} cumulative repair days",
            value=26 + number,
            threshold=30,
            orders=[history.orders[0].number],
        )
    many = queries()
    assert len(client.get("/quality/sanbao/alerts/", {"state": "all"}).context["rows"]) == 7
    # The session, the user, their access, the menu and the page's store; the alerts with their vehicles and
    # who dealt with them (one query), the orders behind them for the links (one).
    assert (few, many) == (10, 10)


# --- the group's 三包 main parts ------------------------------------------------------------------------------


def test_the_parts_list_add_and_remove(history: History, english: Callable[[User], Client]) -> None:
    r = history.reception
    client = english(r.advisor)
    page = client.get("/quality/sanbao/parts/")
    assert page.status_code == 200
    assert [(item["row"].part, str(item["system"]), item["row"].is_assembly) for item in page.context["rows"]] == [
        (history.injector, "Engine", False)
    ]
    html = page.content.decode()
    assert f'<tr data-testid="part-{history.injector.pk}">' in html
    assert '<td class="font-monospace text-nowrap">06H-906-036-P</td>' in html
    assert '<span class="badge text-bg-light border">Main part</span>' in html
    assert 'name="part_number" maxlength="60"' in html

    # Typed as printed (spaces, dashes, lower case): the part of the group's part master.
    response = client.post("/quality/sanbao/parts/", {"part_number": "5q0 698-151", "system": "brake"})
    assert (response.status_code, response["Location"]) == (302, "/quality/sanbao/parts/")
    row = SanbaoPart.objects.get(part=r.pads)
    assert (row.group_id, row.system, row.is_assembly, row.created_by) == (r.store.group_id, "brake", False, r.advisor)
    engine = PartFactory.create(
        group=r.store.group,
        brand=r.store.brands.first(),
        number="06H100033",
        number_display="06H-100-033",
        name="发动机总成",
    )
    assert (
        client.post(
            "/quality/sanbao/parts/", {"part_number": "06H100033", "system": "engine", "is_assembly": "on"}
        ).status_code
        == 302
    )
    page = client.get("/quality/sanbao/parts/")
    assert [(item["row"].part.name, str(item["system"]), item["row"].is_assembly) for item in page.context["rows"]] == [
        ("发动机总成", "Engine", True),
        ("喷油器", "Engine", False),
        ("前制动片", "Brake system", False),
    ]
    assert '<span class="badge text-bg-primary">Major assembly</span>' in page.content.decode()

    # Refused: an unknown number (with the closest known), no system, a brake "assembly"; nothing written.
    refused = client.post("/quality/sanbao/parts/", {"part_number": "06H906036Q", "system": ""})
    assert refused.status_code == 400
    assert refused.context["form"].errors == {
        "part_number": ["Unknown part number 06H906036Q. Did you mean 06H-906-036-P, 06H-100-033?"],
        "system": ["Choose a system."],
    }
    assert (
        'data-testid="error-part_number">Unknown part number 06H906036Q. Did you mean 06H-906-036-P, 06H-100-033?'
        in (refused.content.decode())
    )
    refused = client.post(
        "/quality/sanbao/parts/", {"part_number": "06L115562", "system": "brake", "is_assembly": "on"}
    )
    assert refused.status_code == 400
    assert refused.context["form"].errors == {
        "is_assembly": ["Only an engine, gearbox, traction battery or drive motor is a major assembly."]
    }
    assert SanbaoPart.objects.count() == 3

    response = client.post(f"/quality/sanbao/parts/{engine.pk}/remove/")
    assert (response.status_code, response["Location"]) == (302, "/quality/sanbao/parts/")
    assert set(SanbaoPart.objects.values_list("part_id", flat=True)) == {history.injector.pk, r.pads.pk}
    assert client.post(f"/quality/sanbao/parts/{engine.pk}/remove/").status_code == 404
    assert AuditEntry.objects.filter(action="sanbao_part_off", object_id=str(engine.pk)).count() == 1


def test_only_the_sanbao_permission_keeps_the_parts_list(history: History, english: Callable[[User], Client]) -> None:
    technician = english(history.reception.world.user("technician"))
    page = technician.get("/quality/sanbao/parts/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="add-form"' not in html and "/remove/" not in html
    assert f'<tr data-testid="part-{history.injector.pk}">' in html
    assert technician.post("/quality/sanbao/parts/", {"part_number": "5Q0698151", "system": "brake"}).status_code == 403
    assert technician.post(f"/quality/sanbao/parts/{history.injector.pk}/remove/").status_code == 403
    assert list(SanbaoPart.objects.values_list("part_id", flat=True)) == [history.injector.pk]


# --- the vehicle's page and the desk --------------------------------------------------------------------------


def test_the_vehicle_page_shows_the_sanbao_panel(history: History, english: Callable[[User], Client]) -> None:
    _raised(history)
    html = english(history.reception.advisor).get(f"/customers/vehicles/{history.vehicle.pk}/").content.decode()
    panel = html[html.index('data-testid="sanbao-panel"') :]
    panel = panel[: panel.index("</div></section>")]
    assert '<span class="badge text-bg-light border" data-testid="sanbao-use">household vehicle</span>' in panel
    assert f'href="{history.url}" data-testid="sanbao-link"' in panel
    warranty_end, sanbao_end = history.vehicle.warranty_end, history.vehicle.sanbao_end
    assert (
        f"Warranty (包修期): until {warranty_end:%Y-%m-%d} or 60000 km<br>三包 period: until {sanbao_end:%Y-%m-%d} or"
        " 50000 km</div>" in panel
    )
    assert (
        'Cumulative repair days: <span class="fw-semibold">12</span> / 30 '
        '<span class="badge text-bg-success">OK</span></div>' in panel
    )
    assert (
        '<ul class="small mb-0 mt-2 ps-3" data-testid="sanbao-counters"><li>喷油器 06H-906-036-P: 2 repairs, 2 '
        "replacements, 10 days</li><li>Engine: 2 repairs, 0 replacements, 10 days</li><li>前制动片 5Q0-698-151: 1 "
        "repair, 0 replacements, 2 days</li></ul>" in panel
    )
    assert 'Open alerts: <span class="badge text-bg-danger me-1">Alert 3</span></div>' in panel
    # A car that cannot be evaluated says why; a reader who does not see quality does not see the panel.
    other = VehicleFactory.create(owner=history.reception.customer, plate="沪A77777")
    html = english(history.reception.advisor).get(f"/customers/vehicles/{other.pk}/").content.decode()
    assert '<span class="badge text-bg-warning" data-testid="sanbao-use">use not recorded</span>' in html
    assert (
        '<ul class="small text-warning-emphasis mb-0 ps-3" data-testid="sanbao-cannot"><li>The vehicle&#x27;s use '
        "(household or commercial) is not recorded: 三包 cannot be evaluated.</li><li>No purchase-invoice date (nor "
        "delivery date): the 三包 periods cannot be evaluated.</li></ul>" in html
    )
    assert "Cumulative repair days" not in html
    parts = english(history.reception.world.user("parts")).get(f"/customers/vehicles/{history.vehicle.pk}/")
    assert parts.status_code == 200 and 'data-testid="sanbao-panel"' not in parts.content.decode()


def test_the_desk_links_the_alerts_and_the_parts(history: History, english: Callable[[User], Client]) -> None:
    html = english(history.reception.world.user("technician")).get("/quality/").content.decode()
    assert 'href="/quality/sanbao/alerts/" data-testid="sanbao-alerts"' in html
    assert 'href="/quality/sanbao/parts/" data-testid="sanbao-parts"' in html
