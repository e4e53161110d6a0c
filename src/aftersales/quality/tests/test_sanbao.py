"""The 三包 watch held to hand-computed values on constructed histories, at each boundary of each rule of
家用汽车产品修理、更换、退货责任规定 (2021): one repair of 5 / 6 days, the 4th / 5th repair of the same problem,
day 60 / 61 and 3,000 / 3,001 km, 30 / 31 cumulative days, an off-site interval with and without the owner's
agreement, a commercial vehicle, an accident repair, a maintenance line, a car without its invoice date."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from aftersales.catalogue.paytypes import PayType
from aftersales.core.errors import ApplicationError
from aftersales.core.tests.factories import DealerGroupFactory, StoreFactory
from aftersales.customers.models import MileageReading
from aftersales.messaging.models import Message
from aftersales.parts.models import Supersession
from aftersales.parts.tests.factories import PartFactory
from aftersales.quality.models import SanbaoAlert, SanbaoLine, SanbaoPart
from aftersales.quality.services.sanbao import (
    Watch,
    sanbao_evaluate,
    sanbao_line_set,
    sanbao_part_set,
    sanbao_sweep,
    warranty_watch,
)
from aftersales.quality.tests.history import PURCHASED, History
from aftersales.visits.models import Line
from aftersales.visits.services import LineIn, OrderIn, repair_order_create, visit_open
from aftersales.visits.tests.conftest import Reception, signature_png

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(reception: Reception) -> History:
    found = History(reception)
    found.car()
    return found


def watch(history: History, day: int = 400) -> Watch:
    return warranty_watch(history.vehicle.pk, group_ids=None, now=history.at(day, 12))


def levels(found: Watch, rule: str) -> list[tuple[str, str, int]]:
    return [(r.key, r.level, r.value) for r in found.results if r.rule.code == rule]


def part_key(history: History) -> str:
    return f"part:{history.reception.pads.pk}"


# --- one repair: 5 / 6 days (第二十条) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "days", "level"),
    [(2, 1, "ok"), (96, 4, "ok"), (96.01, 5, "warning"), (120, 5, "warning"), (120.01, 6, "alert"), (144, 6, "alert")],
)
def test_single_repair_days_at_day_five_and_six(history: History, hours: float, days: int, level: str) -> None:
    visit = history.repair(100, hours=hours)
    found = watch(history)
    assert [(v.number, v.days, v.ended_by) for v in found.visits] == [(visit.number, days, "notice")]
    assert levels(found, "long_repair") == [(f"visit:{visit.pk}", level, days)]


def test_a_repair_still_in_the_workshop_runs_to_now(history: History) -> None:
    visit = history.repair(100, on_site=True)
    # Signed at 09:10 on day 100; now 12:00 on day 104 is 4 days 2 h 50 min: the 5th day has begun.
    found = warranty_watch(history.vehicle.pk, group_ids=None, now=history.at(104, 12))
    assert [(v.days, v.running, v.ended_by) for v in found.visits] == [(5, True, "now")]
    assert levels(found, "long_repair") == [(f"visit:{visit.pk}", "warning", 5)]
    found = warranty_watch(history.vehicle.pk, group_ids=None, now=history.at(105, 12))
    assert levels(found, "long_repair") == [(f"visit:{visit.pk}", "alert", 6)]


def test_left_without_a_pickup_notice_ends_when_the_car_left(history: History) -> None:
    history.repair(100, hours=30, notice=False)  # left an hour after the work: 31 h
    found = watch(history)
    assert [(v.days, v.ended_by, v.seconds) for v in found.visits] == [(2, "left", 31 * 3600)]


# --- off site: excluded only with the owner's agreement ---------------------------------------------------


def test_off_site_interval_with_the_owners_agreement_is_left_out(history: History) -> None:
    # 8 days from signing to the notice; the car away 3 days (hours 24 to 96) waiting for parts.
    history.repair(100, hours=192, off_site=[(24, 72, True)])
    found = watch(history)
    visit = found.visits[0]
    assert (visit.seconds, visit.days, visit.off_site[0].excluded_seconds) == (120 * 3600, 5, 72 * 3600)
    assert levels(found, "long_repair")[0][1:] == ("warning", 5)


def test_off_site_interval_without_the_owners_agreement_counts(history: History) -> None:
    history.repair(100, hours=192, off_site=[(24, 72, False)])
    found = watch(history)
    visit = found.visits[0]
    assert (visit.seconds, visit.days, visit.off_site[0].excluded_seconds) == (192 * 3600, 8, 0)
    assert levels(found, "long_repair")[0][1:] == ("alert", 8)


# --- the same problem: 4th / 5th repair (第二十四条第一款第四项) -------------------------------------------------


def test_fourth_repair_of_the_same_problem_warns_and_the_fifth_alerts(history: History) -> None:
    for day in (30, 90, 150, 210):
        history.repair(day)
    found = watch(history)
    assert [(c.key, len(c.repairs), c.days) for c in found.problems] == [(part_key(history), 4, 4)]
    assert levels(found, "same_problem") == [(part_key(history), "warning", 4)]
    history.repair(270)
    found = watch(history)
    assert levels(found, "same_problem") == [(part_key(history), "alert", 5)]
    assert found.results[-1].orders == ["RO-H001", "RO-H002", "RO-H003", "RO-H004", "RO-H005"]


def test_a_supersession_chain_is_the_same_problem(history: History) -> None:
    pads = history.reception.pads
    newer = PartFactory.create(group=pads.group, brand=pads.brand, number="5Q0698151A", name="前制动片（新）")
    Supersession.objects.create(old_part=pads, new_part=newer, interchangeability="two_way", effective_on=PURCHASED)
    for day in (30, 90):
        history.repair(day)
    for day in (150, 210):
        history.repair(day, causal=newer)
    found = watch(history)
    assert [(c.key, len(c.repairs)) for c in found.problems] == [(part_key(history), 4)]


def test_another_part_is_another_problem(history: History) -> None:
    for day in (30, 90, 150):
        history.repair(day)
    history.repair(210, causal=history.reception.filter)
    found = watch(history)
    assert sorted((c.key, len(c.repairs)) for c in found.problems) == sorted(
        [(part_key(history), 3), (f"part:{history.reception.filter.pk}", 1)]
    )
    assert levels(found, "same_problem") == [
        (part_key(history), "ok", 3),
        (f"part:{history.reception.filter.pk}", "ok", 1),
    ]


# --- 60 days / 3,000 km (第二十一条, 第二十三条) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "km", "raised"),
    [(60, 2_000, True), (61, 2_000, False), (30, 3_000, True), (30, 3_001, False)],
)
def test_brake_failure_within_60_days_or_3000_km(history: History, day: int, km: int, raised: bool) -> None:
    visit = history.visit(day, km=km)
    history.line(visit, safety=SanbaoLine.Safety.BRAKE_FAILURE)
    found = watch(history)
    expected = [("safety:brake_failure", "alert", day)] if raised else []
    assert levels(found, "early_safety") == expected
    # Counted either way, as a serious safety fault repaired once: the early warning of the second.
    assert levels(found, "safety_repairs") == [("all", "warning", 1)]


@pytest.mark.parametrize(
    ("day", "km", "raised"), [(3, 200, True), (60, 3_000, True), (61, 100, False), (2, 3_001, False)]
)
def test_main_part_of_a_major_assembly_within_60_days(history: History, day: int, km: int, raised: bool) -> None:
    r = history.reception
    pump = PartFactory.create(group=r.store.group, brand=r.pads.brand, number="06H121026", name="机油泵")
    SanbaoPart.objects.create(group=r.store.group, part=pump, system="engine", created_by=r.advisor)
    visit = history.visit(day, km=km)
    history.line(visit, causal=pump)
    found = watch(history)
    assert levels(found, "early_assembly") == ([("system:engine", "alert", day)] if raised else [])
    assert [(c.key, len(c.repairs), len(c.replacements)) for c in found.assemblies] == [("system:engine", 1, 0)]
    assert levels(found, "first_week") == []  # repaired, nothing to replace


# --- 7 days: a major assembly to be replaced (第二十二条) ----------------------------------------------------


@pytest.mark.parametrize(("day", "raised"), [(7, True), (8, False)])
def test_major_assembly_replacement_needed_within_7_days(history: History, day: int, raised: bool) -> None:
    r = history.reception
    gearbox = PartFactory.create(group=r.store.group, brand=r.pads.brand, number="0AM300048", name="变速器总成")
    SanbaoPart.objects.create(
        group=r.store.group, part=gearbox, system="gearbox", is_assembly=True, created_by=r.advisor
    )
    visit = history.visit(day, km=300)
    history.line(visit, causal=gearbox, state=Line.State.PROPOSED)  # found, not yet agreed: a need already
    history.line(visit, kind=Line.Kind.PART, part=gearbox, state=Line.State.PROPOSED)
    found = watch(history)
    assert levels(found, "first_week") == ([("system:gearbox", "alert", day)] if raised else [])
    assert levels(found, "early_assembly") == [("system:gearbox", "alert", day)]
    assert found.repairs == []  # proposed work is no repair yet


# --- replacements (第二十四条第一款第二项、第三项) ---------------------------------------------------------------


def test_two_replacements_of_the_same_main_part(history: History) -> None:
    r = history.reception
    SanbaoPart.objects.create(group=r.store.group, part=r.pads, system="brake", created_by=r.advisor)
    history.repair(100, replace=True)
    found = watch(history)
    assert levels(found, "main_part_replacements") == [(part_key(history), "warning", 1)]
    history.repair(200, replace=True)
    history.repair(250)  # repaired, nothing fitted
    found = watch(history)
    assert levels(found, "main_part_replacements") == [(part_key(history), "alert", 2)]
    assert [(len(c.repairs), len(c.replacements)) for c in found.problems] == [(3, 2)]


def test_two_replacements_of_a_major_assembly(history: History) -> None:
    r = history.reception
    engine = PartFactory.create(group=r.store.group, brand=r.pads.brand, number="CUF000001", name="发动机总成")
    SanbaoPart.objects.create(group=r.store.group, part=engine, system="engine", is_assembly=True, created_by=r.advisor)
    history.repair(100, causal=engine, replace=True, km=8_000)
    assert levels(watch(history), "assembly_replacements") == [("system:engine", "warning", 1)]
    history.repair(300, causal=engine, replace=True, km=12_000)
    found = watch(history)
    assert levels(found, "assembly_replacements") == [("system:engine", "alert", 2)]
    assert levels(found, "main_part_replacements") == []  # not counted twice (the assembly is no main part of itself)


# --- serious safety faults: 2 repairs (第二十四条第一款第一项) ---------------------------------------------------


def test_second_repair_of_a_serious_safety_fault_alerts(history: History) -> None:
    visit = history.visit(100, km=9_000)
    history.line(visit, safety=SanbaoLine.Safety.OTHER)
    assert levels(watch(history), "safety_repairs") == [("all", "warning", 1)]
    visit = history.visit(150, km=11_000)
    history.line(visit, safety=SanbaoLine.Safety.STEERING_FAILURE, causal=history.reception.filter)
    assert levels(watch(history), "safety_repairs") == [("all", "alert", 2)]


# --- cumulative repair days: 30 / 31 (第二十四条第一款第四项) -----------------------------------------------------


@pytest.mark.parametrize(
    ("last", "total", "level"), [(9, 24, "ok"), (10, 25, "warning"), (15, 30, "warning"), (16, 31, "alert")]
)
def test_cumulative_repair_days(history: History, last: int, total: int, level: str) -> None:
    history.repair(50, hours=24 * 7, causal=history.reception.filter)  # 7 days
    history.repair(150, hours=24 * 8)  # 8 days
    history.repair(250, hours=24 * last - 1)  # ``last`` days
    found = watch(history)
    assert found.repair_days == total
    assert levels(found, "repair_days") == [("all", level, total)]


def test_repairs_outside_the_sanbao_period_do_not_count(history: History) -> None:
    history.repair(100, km=49_999)
    history.repair(200, km=50_001)  # past the 三包 mileage, inside the warranty's 60,000
    history.repair(731 + 10, km=52_000)  # past the 2 years
    found = watch(history, 800)
    assert [(v.in_sanbao, v.in_warranty) for v in found.visits] == [(True, True), (False, True), (False, True)]
    assert [len(c.repairs) for c in found.problems] == [1]
    assert found.repair_days == 1
    # The single repair rule runs in the warranty (包修期), longer than the 三包 period: none near 5 days, the
    # longest stands for them (the first of equals).
    assert levels(found, "long_repair") == [(f"visit:{history.visits[0].pk}", "ok", 1)]


# --- what never counts -----------------------------------------------------------------------------------


def test_commercial_vehicle_is_not_evaluated(history: History) -> None:
    history.car(use_type="commercial")
    for day in (30, 90, 150, 210, 270):
        history.repair(day)
    found = watch(history)
    assert found.cannot == ["营运车辆：三包仅适用于家用汽车（第二条）。"]
    assert (found.results, found.problems, found.repairs) == ([], [], [])
    assert {line.excluded for visit in found.visits for line in visit.lines} == {"not_covered"}


def test_no_invoice_date_cannot_be_evaluated(history: History) -> None:
    history.car(purchased=None)
    history.repair(30)
    found = watch(history)
    assert found.cannot == ["没有购车发票日期（也没有交车日期）：无法确定包修期和三包有效期。"]
    assert found.results == []


def test_use_not_recorded_cannot_be_evaluated(history: History) -> None:
    history.car(use_type="")
    found = watch(history)
    assert found.cannot == ["未登记车辆使用性质（家用或营运）：无法进行三包评估。"]


def test_accident_repair_does_not_count(history: History) -> None:
    insured = history.visit(30)
    history.line(insured, pay_type=PayType.INSURANCE)
    read = history.visit(60)
    history.line(read, cause=SanbaoLine.Cause.ACCIDENT)
    misuse = history.visit(90)
    history.line(misuse, cause=SanbaoLine.Cause.MISUSE)
    found = watch(history)
    assert [[line.excluded for line in visit.lines] for visit in found.visits] == [
        ["accident"],
        ["accident"],
        ["misuse"],
    ]
    assert (found.repairs, found.problems, found.repair_days) == ([], [], 0)


def test_maintenance_and_campaign_lines_do_not_count(history: History) -> None:
    r = history.reception
    visit = history.visit(30)
    history.line(visit, operation=r.oil, repair_category="first_level")  # a fault recorded on maintenance
    history.line(visit, repair_category="second_level")
    history.line(visit, pay_type=PayType.OEM_CAMPAIGN)
    history.line(visit, fault_code="", causal=r.pads)  # no fault at all: the symptom alone still counts
    found = watch(history)
    assert [line.excluded for line in found.visits[0].lines] == ["maintenance", "maintenance", "campaign", ""]
    assert len(found.repairs) == 1


# --- alerts: raised once, told to the advisor and the after-sales manager --------------------------------


def test_alerts_are_raised_once_and_told(history: History, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    for day in (30, 90, 150, 210):
        history.repair(day)
    with django_capture_on_commit_callbacks(execute=True):
        raised = sanbao_evaluate(history.vehicle.pk, group_id=history.reception.store.group_id, now=history.at(300))
    assert [(a.rule, a.level, a.value, a.threshold) for a in raised] == [("same_problem", "warning", 4, 4)]
    world = history.reception.world
    told = Message.objects.filter(event="sanbao_alert").order_by("user__username")
    assert [m.user.username for m in told] == ["advisor_sh", "service_manager_sh"]
    assert (told[0].subject, told[0].body) == (
        f"三包预警：{history.vehicle.plate} 因同一质量问题累计修理超过 4 次",
        f"车辆 {history.vehicle.plate}：前制动片 5Q0-698-151：修理 4 次"
        "（家用汽车产品修理、更换、退货责任规定 第二十四条第一款第四项）。请及时处理并记录处理结果。",
    )
    with django_capture_on_commit_callbacks(execute=True):
        again = sanbao_evaluate(history.vehicle.pk, group_id=history.reception.store.group_id, now=history.at(300))
    assert again == []
    assert Message.objects.filter(event="sanbao_alert").count() == 2
    assert world.user("advisor").pk == told[0].user_id


def test_sweep_raises_day_five_of_a_car_on_site(history: History) -> None:
    history.repair(100, on_site=True)
    assert sanbao_sweep(now=history.at(103, 12)) == 0  # 3 days 2 h 50 min: the 4th day
    assert sanbao_sweep(now=history.at(104, 12)) == 1
    assert list(SanbaoAlert.objects.values_list("rule", "level", "value")) == [("long_repair", "warning", 5)]
    assert sanbao_sweep(now=history.at(104, 18)) == 0
    assert sanbao_sweep(now=history.at(105, 12)) == 1
    assert sorted(SanbaoAlert.objects.values_list("level", flat=True)) == ["alert", "warning"]


def test_reading_a_line_as_a_brake_failure_alerts_at_once(history: History, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    visit = history.visit(20, km=800, hours=4)
    line = history.line(visit)
    with django_capture_on_commit_callbacks(execute=True):
        sanbao_line_set(
            actor=history.reception.advisor,
            vehicle_id=history.vehicle.pk,
            line_id=line.pk,
            cause="quality",
            safety="brake_failure",
            note="制动踏板变软",
        )
    assert list(SanbaoAlert.objects.order_by("rule").values_list("rule", "level", "key")) == [
        ("early_safety", "alert", "safety:brake_failure"),
        ("safety_repairs", "warning", "all"),
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"cause": "weather"}, "cause"),
        ({"safety": "flat_tyre"}, "safety"),
        ({"cause": "accident", "safety": "brake_failure"}, "safety"),
        ({"note": "长" * 201}, "note"),
    ],
)
def test_bad_reading_is_refused_and_writes_nothing(history: History, changes: dict[str, str], field: str) -> None:
    visit = history.visit(20)
    line = history.line(visit)
    data = {"cause": "quality", "safety": "", "note": "", **changes}
    with pytest.raises(ApplicationError) as refused:
        sanbao_line_set(actor=history.reception.advisor, vehicle_id=history.vehicle.pk, line_id=line.pk, **data)
    assert list(refused.value.fields) == [field]
    assert SanbaoLine.objects.count() == 0


def test_a_line_without_a_fault_cannot_be_read(history: History) -> None:
    visit = history.visit(20)
    part_line = history.line(visit, kind=Line.Kind.PART, part=history.reception.pads)
    with pytest.raises(ApplicationError) as refused:
        sanbao_line_set(
            actor=history.reception.advisor,
            vehicle_id=history.vehicle.pk,
            line_id=part_line.pk,
            cause="quality",
            safety="",
        )
    assert refused.value.fields == {"line": ["此项目未记录所修理的故障（故障件及故障）：三包不计入。"]}


def test_the_watch_reads_a_fixed_number_of_queries(history: History, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    # Vehicle, orders with their visits and pickup notices, off-site times, lines with their readings and
    # parts, the listed parts, the supersession chains (one step: none here), alerts.
    r = history.reception
    SanbaoPart.objects.create(group=r.store.group, part=r.pads, system="brake", created_by=r.advisor)
    for count in (10, 20):
        for day in range(10 + len(history.visits) * 30, 10 + count * 30, 30):
            visit = history.repair(day, replace=True, off_site=[(1, 2, True)], km=day * 10)
            history.line(visit, pay_type=PayType.INSURANCE)
        with django_assert_num_queries(7):
            found = warranty_watch(history.vehicle.pk, group_ids=None, now=timezone.now() + timedelta(days=1))
        assert len(found.visits) == count


def test_signing_an_order_evaluates_the_car_at_once(
    reception: Reception, django_capture_on_commit_callbacks: Any
) -> None:
    """The order listener: a new car's engine main part repaired on day 11 at 800 km alerts when it is signed."""
    r = reception
    History(r).car(purchased=r.today() - timedelta(days=10))
    MileageReading.objects.filter(vehicle=r.vehicle).delete()  # a new car: no reading above its 800 km
    pump = PartFactory.create(group=r.store.group, brand=r.pads.brand, number="06H121026", name="机油泵")
    SanbaoPart.objects.create(group=r.store.group, part=pump, system="engine", created_by=r.advisor)
    visit = visit_open(actor=r.advisor, data=r.visit_in(mileage_in=800))
    with django_capture_on_commit_callbacks(execute=True):
        order = repair_order_create(
            actor=r.advisor,
            visit_id=visit.pk,
            data=OrderIn(
                statement="发动机异响",
                signature=signature_png(),
                signed_name="张伟",
                lines=[
                    LineIn(
                        kind="labour",
                        operation_id=r.brakes.pk,
                        fault_code="P0524",
                        symptom="机油压力低",
                        causal_part_id=pump.pk,
                    )
                ],
            ),
        )
    alert = SanbaoAlert.objects.get()
    assert (alert.rule, alert.level, alert.key, alert.value, alert.orders) == (
        "early_assembly",
        "alert",
        "system:engine",
        11,
        [order.number],
    )
    assert Message.objects.filter(event="sanbao_alert", user=r.advisor).count() == 1


# --- found in review -----------------------------------------------------------------------------------


def test_work_before_the_periods_start_is_not_counted(history: History) -> None:
    r = history.reception
    pump = PartFactory.create(group=r.store.group, brand=r.pads.brand, number="06H121026", name="机油泵")
    SanbaoPart.objects.create(group=r.store.group, part=pump, system="engine", created_by=r.advisor)
    visit = history.visit(-20, km=10)  # a pre-delivery repair, 21 days before the invoice
    history.line(visit, causal=pump)
    found = watch(history)
    assert [(v.day, v.in_warranty, v.in_sanbao) for v in found.visits] == [(-20, False, False)]
    assert [r.rule.code for r in found.results if r.level != "ok"] == []
    assert sanbao_evaluate(history.vehicle.pk, group_id=r.store.group_id, now=history.at(30)) == []


def test_a_main_part_listed_under_another_number_of_its_chain(history: History) -> None:
    r = history.reception
    pump = PartFactory.create(group=r.store.group, brand=r.pads.brand, number="06H121026", name="机油泵")
    newer = PartFactory.create(group=r.store.group, brand=r.pads.brand, number="06H121026A", name="机油泵（新）")
    Supersession.objects.create(old_part=pump, new_part=newer, interchangeability="two_way", effective_on=PURCHASED)
    SanbaoPart.objects.create(group=r.store.group, part=pump, system="engine", created_by=r.advisor)
    history.line(history.visit(10, km=500), causal=newer)
    found = watch(history)
    assert levels(found, "early_assembly") == [("system:engine", "alert", 10)]
    assert [(c.label, c.is_main) for c in found.problems] == [("机油泵（新） " + newer.number_display, True)]


def test_seven_days_has_no_mileage_limit_and_ignores_recall_parts(history: History) -> None:
    r = history.reception
    gearbox = PartFactory.create(group=r.store.group, brand=r.pads.brand, number="0AM300048", name="变速器总成")
    SanbaoPart.objects.create(
        group=r.store.group, part=gearbox, system="gearbox", is_assembly=True, created_by=r.advisor
    )
    recall = history.visit(3, km=400)  # brake pads repaired; a gearbox fitted under a recall: no need of 第二十二条
    history.line(recall)
    history.line(recall, kind=Line.Kind.PART, part=gearbox, pay_type=PayType.OEM_CAMPAIGN)
    assert levels(watch(history), "first_week") == []
    far = history.visit(6, km=5_000)  # 5,000 km on day 6: the 7 days still run (no 3,000 km in 第二十二条)
    history.line(far, causal=gearbox)
    history.line(far, kind=Line.Kind.PART, part=gearbox, state=Line.State.PROPOSED)
    found = watch(history)
    assert levels(found, "first_week") == [("system:gearbox", "alert", 6)]
    assert levels(found, "early_assembly") == []  # past 3,000 km


def test_each_dealer_group_is_alerted_of_what_it_sees(history: History) -> None:
    r = history.reception
    other = StoreFactory.create(
        group=DealerGroupFactory.create(code="OTHER", name="另一集团"), code="HZ01", name="杭州店"
    )
    for day in (30, 90, 150, 210):
        history.repair(day)
    for day in (40, 100, 160, 220):
        history.repair(day, store=other)
    ours = sanbao_evaluate(history.vehicle.pk, group_id=r.store.group_id, now=history.at(300))
    theirs = sanbao_evaluate(history.vehicle.pk, group_id=other.group_id, now=history.at(300))
    assert [(a.group_id, a.rule, a.level, a.value) for a in ours + theirs] == [
        (r.store.group_id, "same_problem", "warning", 4),
        (other.group_id, "same_problem", "warning", 4),
    ]
    assert [a.store_id for a in theirs] == [other.pk]


def test_listing_a_part_evaluates_the_cars_that_had_it(
    history: History, django_capture_on_commit_callbacks: Any
) -> None:
    r = history.reception
    history.repair(100, replace=True)
    assert SanbaoAlert.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):  # the job runs at once in tests
        sanbao_part_set(
            actor=r.advisor, group_id=r.store.group_id, part_id=r.pads.pk, system="brake", is_assembly=False
        )
    assert list(SanbaoAlert.objects.values_list("rule", "level", "value")) == [("main_part_replacements", "warning", 1)]
