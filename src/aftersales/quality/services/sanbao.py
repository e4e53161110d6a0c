"""The 三包 watch of a vehicle (SPEC LAW-4): which of its repairs the law counts, its repair days, its
counters per same quality problem and per major assembly, and the rules of 家用汽车产品修理、更换、退货责任规定
(国家市场监督管理总局令第43号, 2021, in force 2022-01-01) each reached, nearly reached or not, with the
alerts raised once and told to the advisor and the after-sales manager.

What counts (DESIGN-visit, "Pay types"): a line that repairs a quality fault (causal part and fault code or
symptom recorded) on a household vehicle (第二条), whatever its pay type; maintenance, accident (the
insurance pay type, or read so by the advisor), misuse and campaign work never count. A repair is one visit
with such lines; its problems are the causal parts' families (the same smallest replaceable part: one part
number or any number of its supersession chain); a replacement is a part line of the visit fitting a part of
such a family, or a major assembly (a part the brand's 三包凭证 names as the assembly) of a system the visit
repairs.

Repair time (第二十四条第二款 and the regulator's reading of it: 修理时间自消费者与修理者确定修理之日起，至完成
修理之日止；一次修理占用时间不足24小时的，以1日计): hours from the visit's first signed order (the repair
agreed) to the pickup notice (the repair finished: the customer is told to collect), divided by 24 and
rounded up, at least 1. Waiting for parts counts (第二十条); a time the car was off site counts too, unless
the owner's agreement to pause the repair is recorded on it (workshop ``OffSite.owner_agreed_pause``).

Days "within N days" are counted from the start of the 三包 period as day 1 (the period of 第十七条 ends
the day before the anniversary: the same reading), mileage by the odometer at check-in; "以先到者为准".
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from aftersales.catalogue.models import LabourOperation, RepairCategory
from aftersales.catalogue.paytypes import PayType
from aftersales.core.access import can, can_for
from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.models import StaffMembership, Store, User
from aftersales.customers.models import Vehicle
from aftersales.customers.selectors.customers import vehicle_access
from aftersales.messaging.models import Message, MessageTemplate
from aftersales.messaging.services import Recipient, message_send, message_try
from aftersales.parts.models import Part
from aftersales.parts.selectors.parts import parts_family
from aftersales.quality import tasks
from aftersales.quality.models import MAJOR_ASSEMBLIES, SanbaoAlert, SanbaoLine, SanbaoPart, SanbaoSystem
from aftersales.quality.services.common import audit, not_found
from aftersales.visits.models import Line, RepairOrder, Visit
from aftersales.workshop.models import OffSite

logger = logging.getLogger(__name__)
PERMISSION = "quality.sanbao"
ALERT_EVENT = "sanbao_alert"
MANAGER_ROLES = ("service_manager",)  # 售后经理: told of every alert with the visit's advisor
DAY = 86_400
L = Line.State
R = RepairOrder.State
# Lines the law counts once the work is agreed; a proposed line is a need already (第二十二条: 需要更换).
AGREED = (L.APPROVED, L.DISPATCHED, L.IN_PROGRESS, L.DONE)
NEEDED = (L.PROPOSED, *AGREED)
MAINTENANCE_CATEGORIES = frozenset({RepairCategory.FIRST_LEVEL, RepairCategory.SECOND_LEVEL})
NOT_QUALITY_PAY = {PayType.INSURANCE: "accident", PayType.OEM_CAMPAIGN: "campaign"}
S = SanbaoLine.Safety
# 第二十三条: 转向系统失效、制动系统失效、车身开裂、燃油泄漏或者动力蓄电池起火.
EARLY_SAFETY = (S.STEERING_FAILURE, S.BRAKE_FAILURE, S.BODY_CRACK, S.FUEL_LEAK, S.BATTERY_FIRE)

# The thresholds, each next to its article.
LONG_REPAIR_DAYS = 5  # 第二十条: 单次修理时间超过5日 … 自第6日起提供备用车或支付交通费用补偿
EARLY_DAYS, EARLY_KM = 60, 3_000  # 第二十一条, 第二十三条: 60日内或者行驶里程3000公里之内（以先到者为准）
FIRST_WEEK_DAYS = 7  # 第二十二条: 7日内 … 需要更换发动机、变速器、动力蓄电池、行驶驱动电机或者其主要零部件
SAFETY_REPAIRS = 2  # 第二十四条第一款第一项: 因严重安全性能故障累计进行2次修理
REPLACEMENTS = 2  # 第二十四条第一款第二项、第三项: 累计更换2次，仍不能正常使用
REPAIR_DAYS_MAX, REPAIR_DAYS_WARNING = 30, 25  # 第二十四条第一款第四项: 累计修理时间超过30日
SAME_PROBLEM_MAX = 4  # 第二十四条第一款第四项: 因同一质量问题累计修理超过4次

LAW = "家用汽车产品修理、更换、退货责任规定"


@dataclass(frozen=True)
class Rule:
    code: str
    article: str
    label: Any  # lazy text
    remedy: Any


RULES = {
    rule.code: rule
    for rule in (
        Rule(
            "long_repair",
            "第二十条",
            gettext_lazy("Single repair longer than 5 days"),
            gettext_lazy("Courtesy car or travel compensation from day 6"),
        ),
        Rule(
            "early_assembly",
            "第二十一条",
            gettext_lazy("Main part of a major assembly failed within 60 days / 3,000 km"),
            gettext_lazy("Free replacement of the assembly"),
        ),
        Rule(
            "first_week",
            "第二十二条",
            gettext_lazy("Major assembly or its main part to be replaced within 7 days"),
            gettext_lazy("Free replacement of the vehicle or refund"),
        ),
        Rule(
            "early_safety",
            "第二十三条",
            gettext_lazy("Steering or brake failure, body crack, fuel leak or battery fire within 60 days / 3,000 km"),
            gettext_lazy("Free replacement of the vehicle or refund"),
        ),
        Rule(
            "safety_repairs",
            "第二十四条第一款第一项",
            gettext_lazy("2 repairs of a serious safety fault"),
            gettext_lazy("Replacement or refund if the fault persists or a new one appears"),
        ),
        Rule(
            "assembly_replacements",
            "第二十四条第一款第二项",
            gettext_lazy("2 replacements of a major assembly"),
            gettext_lazy("Replacement or refund if it still cannot be used"),
        ),
        Rule(
            "main_part_replacements",
            "第二十四条第一款第三项",
            gettext_lazy("2 replacements of the same main part"),
            gettext_lazy("Replacement or refund if it still cannot be used"),
        ),
        Rule(
            "repair_days",
            "第二十四条第一款第四项",
            gettext_lazy("More than 30 cumulative repair days"),
            gettext_lazy("Replacement or refund"),
        ),
        Rule(
            "same_problem",
            "第二十四条第一款第四项",
            gettext_lazy("More than 4 repairs of the same quality problem"),
            gettext_lazy("Replacement or refund"),
        ),
    )
}
OK, WARNING, ALERT = "ok", SanbaoAlert.Level.WARNING.value, SanbaoAlert.Level.ALERT.value


# --- what the watch reads ------------------------------------------------------------------------------


@dataclass
class WatchLine:
    """A line of one of the car's orders as the watch reads it: counted, or left out and why."""

    pk: int
    order_number: str
    kind: str
    state: str
    description: str
    pay_type: str
    causal_part_id: int | None
    part_id: int | None
    fault_code: str
    fault_symptom: str
    operation_category: str
    repair_category: str
    campaign: bool
    cause: str = SanbaoLine.Cause.QUALITY
    safety: str = ""
    note: str = ""
    excluded: str = ""  # why it does not count: maintenance, accident, misuse, campaign, no_fault, not_agreed
    replacement: str = ""  # a part line the law counts as a replacement: "part" (of a part repaired), "assembly"
    causal_label: str = ""  # the causal part's name and number


@dataclass
class Interval:
    left_at: datetime
    back_at: datetime | None
    agreed: bool
    reason: str
    excluded_seconds: int = 0


@dataclass
class WatchVisit:
    """One stay of the car with its orders, as the law times it."""

    pk: int
    number: str
    store_id: int
    arrived_at: datetime
    arrived_on: date
    mileage: int
    orders: list[str]
    order_ids: dict[str, int]  # number -> id, for links
    started_at: datetime | None  # the first signed order
    notified_at: datetime | None  # the pickup notice
    left_at: datetime | None
    off_site: list[Interval] = field(default_factory=list)
    lines: list[WatchLine] = field(default_factory=list)
    # Worked out:
    ended_at: datetime | None = None
    running: bool = False  # not finished yet: the days run to now
    ended_by: str = ""  # notice, left (no notice recorded), now
    seconds: int = 0
    days: int = 0
    day: int | None = None  # day of the 三包 period the car came in (day 1 = the start)
    in_warranty: bool = False
    in_sanbao: bool = False
    counted: list[WatchLine] = field(default_factory=list)
    problems: set[int] = field(default_factory=set)  # family keys repaired
    systems: set[str] = field(default_factory=set)  # systems repaired (of the causal parts)
    replaced: set[int] = field(default_factory=set)  # family keys replaced
    assemblies_replaced: set[str] = field(default_factory=set)
    failures: set[str] = field(default_factory=set)  # major systems whose assembly or a main part failed
    needs: set[str] = field(default_factory=set)  # major systems whose assembly or a main part is to be replaced
    safety: set[str] = field(default_factory=set)


@dataclass
class Counter:
    key: str
    label: str
    system: str = ""
    is_main: bool = False  # listed (三包凭证): a major assembly or a main part
    is_assembly: bool = False
    repairs: list[WatchVisit] = field(default_factory=list)
    replacements: list[WatchVisit] = field(default_factory=list)

    @property
    def days(self) -> int:
        return sum(visit.days for visit in self.repairs)


@dataclass
class RuleResult:
    rule: Rule
    level: str  # ok, warning, alert
    key: str
    subject: str
    value: int
    threshold: int
    orders: list[str]
    store_id: int | None


@dataclass
class Watch:
    vehicle: Vehicle
    today: date
    household: bool | None  # None: the use is not recorded
    start: date | None
    cannot: list[str]  # why the rules cannot be evaluated (never a silent zero)
    visits: list[WatchVisit]
    problems: list[Counter]
    assemblies: list[Counter]
    repair_days: int
    results: list[RuleResult]
    alerts: list[SanbaoAlert]

    @property
    def covered(self) -> bool:
        return not self.cannot

    @property
    def repairs(self) -> list[WatchVisit]:
        return [visit for visit in self.visits if visit.counted]


# --- reading ------------------------------------------------------------------------------------------


LINE_FIELDS = (
    "pk",
    "order_id",
    "kind",
    "state",
    "description",
    "pay_type",
    "causal_part_id",
    "part_id",
    "fault_code",
    "fault_symptom",
    "operation__category",
    "repair_category",
    "campaign_id",
    "source",
    "sanbao__cause",
    "sanbao__safety",
    "sanbao__note",
    "causal_part__name",
    "causal_part__number_display",
)


def _excluded(row: dict[str, Any]) -> str:
    """Why a line does not count for 三包 ("" where it repairs a quality fault)."""
    cause = row["sanbao__cause"]
    if cause and cause != SanbaoLine.Cause.QUALITY:
        return str(cause)
    if row["pay_type"] in NOT_QUALITY_PAY:
        return NOT_QUALITY_PAY[PayType(row["pay_type"])]
    if row["campaign_id"] or row["source"] == Line.Source.CAMPAIGN:
        return "campaign"
    if (
        row["operation__category"] == LabourOperation.Category.MAINTENANCE
        or row["repair_category"] in MAINTENANCE_CATEGORIES
    ):
        return "maintenance"
    if not (row["causal_part_id"] and (row["fault_code"] or row["fault_symptom"])):  # Line.is_repair
        return "no_fault"
    return ""


def _facts(vehicle: Vehicle, group_ids: Collection[int] | None) -> tuple[list[WatchVisit], dict[int, str]]:
    """Every visit of the car to the dealer groups' stores (None: every store) with its live orders and lines,
    read in a fixed number of queries, as plain values (a car may have hundreds of lines)."""
    rows = RepairOrder.all_objects.filter(vehicle=vehicle)
    if group_ids is not None:
        rows = rows.filter(store__group_id__in=group_ids)
    orders = rows.exclude(state=R.CANCELLED).order_by("visit__arrived_at", "signed_at", "pk")
    visits: dict[int, WatchVisit] = {}
    number: dict[int, str] = {}
    by_order: dict[int, int] = {}
    zones: dict[str, ZoneInfo] = {}
    for pk, order_number, signed_at, visit_id, *visit in orders.values_list(
        "pk",
        "number",
        "signed_at",
        "visit_id",
        "visit__number",
        "visit__store_id",
        "visit__arrived_at",
        "visit__mileage_in",
        "visit__left_at",
        "visit__store__time_zone",
        "visit__handover__notified_at",
    ):
        visit_number, store_id, arrived_at, mileage, left_at, zone_name, notified_at = visit
        number[pk], by_order[pk] = order_number, visit_id
        found = visits.get(visit_id)
        if found is None:
            zone = zones.get(zone_name) or zones.setdefault(zone_name, ZoneInfo(zone_name))
            found = visits[visit_id] = WatchVisit(
                pk=visit_id,
                number=visit_number,
                store_id=store_id,
                arrived_at=arrived_at,
                arrived_on=arrived_at.astimezone(zone).date(),
                mileage=mileage,
                orders=[],
                order_ids={},
                started_at=signed_at,
                notified_at=notified_at,
                left_at=left_at,
            )
        found.orders.append(order_number)
        found.order_ids[order_number] = pk
        if found.started_at is None or signed_at < found.started_at:
            found.started_at = signed_at
    if not visits:
        return [], {}
    for left, back, agreed, reason, visit_id in (
        OffSite.objects.filter(visit_id__in=visits)
        .order_by("left_at")
        .values_list("left_at", "back_at", "owner_agreed_pause", "reason", "visit_id")
    ):
        visits[visit_id].off_site.append(Interval(left, back, agreed, reason))
    parts: dict[int, str] = {}
    lines = Line.all_objects.filter(order_id__in=by_order, state__in=NEEDED).order_by("order_id", "position")
    for row in lines.values(*LINE_FIELDS):
        watch_line = WatchLine(
            pk=row["pk"],
            order_number=number[row["order_id"]],
            kind=row["kind"],
            state=row["state"],
            description=row["description"],
            pay_type=row["pay_type"],
            causal_part_id=row["causal_part_id"],
            part_id=row["part_id"],
            fault_code=row["fault_code"],
            fault_symptom=row["fault_symptom"],
            operation_category=row["operation__category"] or "",
            repair_category=row["repair_category"],
            campaign=bool(row["campaign_id"]),
            cause=row["sanbao__cause"] or SanbaoLine.Cause.QUALITY,
            safety=row["sanbao__safety"] or "",
            note=row["sanbao__note"] or "",
            excluded=_excluded(row),
        )
        visits[by_order[row["order_id"]]].lines.append(watch_line)
        if row["causal_part_id"]:
            parts.setdefault(row["causal_part_id"], f"{row['causal_part__name']} {row['causal_part__number_display']}")
    return list(visits.values()), parts


def _time(visit: WatchVisit, now: datetime) -> None:
    """The visit's repair time: first signed order to pickup notice, less the off-site intervals the owner
    agreed to pause, in days rounded up, at least 1 (第二十四条第二款)."""
    if visit.notified_at is not None:
        end, visit.ended_by = visit.notified_at, "notice"
    elif visit.left_at is not None:  # delivered before notices were recorded: its leaving, said so on the page
        end, visit.ended_by = visit.left_at, "left"
    else:
        end, visit.ended_by, visit.running = now, "now", True
    start = visit.started_at or visit.arrived_at
    visit.ended_at = end
    seconds = max(0, int((end - start).total_seconds()))
    for interval in visit.off_site:
        if not interval.agreed:
            continue
        back = interval.back_at or end
        overlap = (min(back, end) - max(interval.left_at, start)).total_seconds()
        interval.excluded_seconds = max(0, int(overlap))
        seconds -= interval.excluded_seconds
    visit.seconds = max(0, seconds)
    visit.days = max(1, math.ceil(visit.seconds / DAY))


def _families(visits: list[WatchVisit]) -> tuple[dict[int, int], dict[int, SanbaoPart]]:
    """Each part of the lines to the key of its family (the smallest part id of its supersession chain), and
    the 三包 listing of every part of those families (the list may name another number of the chain)."""
    ids = {pid for visit in visits for line in visit.lines for pid in (line.causal_part_id, line.part_id) if pid}
    if not ids:
        return {}, {}
    chains = parts_family(ids)
    members = set().union(*chains.values())
    listed = {row.part_id: row for row in SanbaoPart.objects.filter(part_id__in=members)}
    return {pid: min(chain) for pid, chain in chains.items()}, listed


def warranty_watch(vehicle: Vehicle | int, *, group_ids: Collection[int] | None, now: datetime | None = None) -> Watch:
    """The 三包 watch of ``vehicle`` over its visits to the stores of the dealer groups ``group_ids`` (None:
    every store; a car's history in another group is not this group's to see)."""
    if not isinstance(vehicle, Vehicle):
        vehicle = Vehicle.objects.select_related("model").get(pk=vehicle)
    now = now or timezone.now()
    visits, parts = _facts(vehicle, group_ids)
    families, classes = _families(visits)
    watch = watch_compute(vehicle, visits, classes, parts, families, now=now)
    alerts = SanbaoAlert.all_objects.filter(vehicle=vehicle).select_related("action_by", "store", "vehicle")
    if group_ids is not None:  # as the visits: the alerts the dealer groups raised
        alerts = alerts.filter(group_id__in=group_ids)
    watch.alerts = list(alerts.order_by("-pk"))
    return watch


def watch_for(actor: User, vehicle_id: int, *, now: datetime | None = None) -> Watch:
    """The watch of a vehicle as ``actor`` may see it: over the stores of the dealer groups of the stores they
    see (404 for a vehicle they may not see)."""
    vehicle = vehicle_access(actor=actor, vehicle_id=vehicle_id)
    return warranty_watch(vehicle, group_ids=groups_seen(actor), now=now)


def groups_seen(actor: User) -> list[int] | None:
    """The dealer groups of the stores ``actor`` sees (None: every store, as ``core.grants.visible_store_ids``),
    in one query."""
    if actor.is_superuser:
        return None
    rows = StaffMembership.all_objects.filter(user_id=actor.pk, is_active=True, store__is_active=True).values_list(
        "store__group_id", "role__scope"
    )
    seen = list(rows)
    if any(scope == "group" for _group, scope in seen):
        return None
    return sorted({group for group, _scope in seen})


# --- counting -----------------------------------------------------------------------------------------


def _part_label(parts: dict[int, str], part_id: int) -> str:
    return parts.get(part_id) or str(part_id)


def watch_compute(
    vehicle: Vehicle,
    visits: list[WatchVisit],
    classes: dict[int, SanbaoPart],
    parts: dict[int, str],
    families: dict[int, int],
    *,
    now: datetime,
) -> Watch:
    """Count and judge (no query): the repairs, counters and rules of the car from what ``_facts`` read."""
    today = now.date()
    household = None if not vehicle.use_type else vehicle.use_type == Vehicle.UseType.HOUSEHOLD
    start = vehicle.warranty_start
    cannot: list[str] = []
    if household is None:
        cannot.append(_("The vehicle's use (household or commercial) is not recorded: 三包 cannot be evaluated."))
    elif not household:
        cannot.append(_("A commercial vehicle: 三包 covers household vehicles only (第二条)."))
    if start is None:
        cannot.append(_("No purchase-invoice date (nor delivery date): the 三包 periods cannot be evaluated."))
    family_class: dict[int, SanbaoPart] = {}
    for part_id, listed in classes.items():
        family_class.setdefault(families.get(part_id, part_id), listed)
    labels: dict[int, str] = {}  # a family by a number of it that is on the car's lines
    for part_id in sorted(parts):
        labels.setdefault(families.get(part_id, part_id), parts[part_id])
    problems: dict[int, Counter] = {}
    assemblies: dict[str, Counter] = {}
    for visit in visits:
        _time(visit, now)
        for line in visit.lines:
            if line.causal_part_id:
                line.causal_label = _part_label(parts, line.causal_part_id)
        if start is not None:
            visit.day = (visit.arrived_on - start).days + 1
            started = visit.day >= 1  # work before the invoice (or delivery) is no repair under the periods
            visit.in_warranty = (
                started
                and bool(vehicle.warranty_end and visit.arrived_on <= vehicle.warranty_end)
                and visit.mileage <= (vehicle.warranty_km_limit or 0)
            )
            visit.in_sanbao = (
                started
                and bool(vehicle.sanbao_end and visit.arrived_on <= vehicle.sanbao_end)
                and visit.mileage <= (vehicle.sanbao_km_limit or 0)
            )
        if cannot:
            for line in visit.lines:
                line.excluded = line.excluded or "not_covered"
            continue
        quality = False  # a line repairing a quality problem, agreed or still proposed
        for line in visit.lines:
            if line.excluded or line.causal_part_id is None:
                continue
            quality = True
            family = families.get(line.causal_part_id, line.causal_part_id)
            row: SanbaoPart | None = classes.get(line.causal_part_id) or family_class.get(family)
            if line.state in AGREED:
                visit.counted.append(line)
                visit.problems.add(family)
                if row is not None:
                    visit.systems.add(row.system)
                if line.safety:
                    visit.safety.add(line.safety)
            else:
                line.excluded = "not_agreed"
            if row is not None and row.system in MAJOR_ASSEMBLIES:
                visit.failures.add(row.system)
        for line in visit.lines:
            if line.kind != Line.Kind.PART or line.part_id is None or not quality:
                continue
            if line.excluded not in ("", "no_fault"):  # fitted under a recall, an insurance claim, misuse…
                continue
            family = families.get(line.part_id, line.part_id)
            row = classes.get(line.part_id) or family_class.get(family)
            if row is not None and row.system in visit.failures:
                visit.needs.add(row.system)  # proposed is enough: 第二十二条 asks whether it needs replacing
            if line.state not in AGREED:
                continue
            if family in visit.problems:
                visit.replaced.add(family)
                line.replacement = "part"
            if row is not None and row.is_assembly and row.system in visit.systems:
                visit.assemblies_replaced.add(row.system)
                line.replacement = "assembly"
        if not visit.in_sanbao:
            continue
        for family in sorted(visit.problems):
            row = family_class.get(family)
            counter = problems.setdefault(
                family,
                Counter(
                    key=f"part:{family}",
                    label=labels.get(family) or _part_label(parts, family),
                    system=row.system if row else "",
                    is_main=row is not None,
                    is_assembly=row is not None and row.is_assembly,
                ),
            )
            counter.repairs.append(visit)
            if family in visit.replaced:
                counter.replacements.append(visit)
        for system in sorted(visit.systems & MAJOR_ASSEMBLIES):
            counter = assemblies.setdefault(
                system, Counter(key=f"system:{system}", label=str(SanbaoSystem(system).label), system=system)
            )
            counter.repairs.append(visit)
            if system in visit.assemblies_replaced:
                counter.replacements.append(visit)
    repairs = [visit for visit in visits if visit.counted and visit.in_sanbao]
    total_days = sum(visit.days for visit in repairs)
    watch = Watch(
        vehicle=vehicle,
        today=today,
        household=household,
        start=start,
        cannot=cannot,
        visits=visits,
        problems=sorted(problems.values(), key=lambda c: (-len(c.repairs), c.key)),
        assemblies=sorted(assemblies.values(), key=lambda c: c.key),
        repair_days=total_days,
        results=[],
        alerts=[],
    )
    if not cannot:
        watch.results = _judge(watch, repairs)
    return watch


def _level(value: int, alert_from: int, warn_from: int | None) -> str:
    if value >= alert_from:
        return ALERT
    if warn_from is not None and value >= warn_from:
        return WARNING
    return OK


def _orders(visits: Iterable[WatchVisit]) -> list[str]:
    return [number for visit in visits for number in visit.orders]


def _judge(watch: Watch, repairs: list[WatchVisit]) -> list[RuleResult]:
    """Each rule on the counted repairs: ok, early warning, or alert (the rules without a warning alert at once)."""
    out: list[RuleResult] = []

    def add(
        code: str, level: str, key: str, subject: str, value: int, threshold: int, visits: list[WatchVisit]
    ) -> None:
        latest = visits[-1].store_id if visits else None
        out.append(RuleResult(RULES[code], level, key, subject, value, threshold, _orders(visits), latest))

    # 第二十条: within the warranty (包修期); the running visit counts to now.
    # Each repair at its warning or past it; where none is, the longest (one line, not one per repair).
    timed = [visit for visit in watch.visits if visit.counted and visit.in_warranty]
    long = [visit for visit in timed if visit.days >= LONG_REPAIR_DAYS]
    for visit in long or sorted(timed, key=lambda visit: -visit.days)[:1]:
        level = _level(visit.days, LONG_REPAIR_DAYS + 1, LONG_REPAIR_DAYS)
        subject = _("Visit %(visit)s: %(days)d repair days") % {"visit": visit.number, "days": visit.days}
        add("long_repair", level, f"visit:{visit.pk}", subject, visit.days, LONG_REPAIR_DAYS, [visit])
    early = [v for v in watch.visits if v.day is not None and 1 <= v.day <= EARLY_DAYS and v.mileage <= EARLY_KM]
    for system in sorted({s for visit in early for s in visit.failures}):
        found = [visit for visit in early if system in visit.failures]
        subject = _("%(system)s: main part failed on day %(day)d at %(km)d km") % {
            "system": SanbaoSystem(system).label,
            "day": found[0].day or 0,
            "km": found[0].mileage,
        }
        add("early_assembly", ALERT, f"system:{system}", subject, found[0].day or 0, EARLY_DAYS, found)
    week = [v for v in watch.visits if v.day is not None and 1 <= v.day <= FIRST_WEEK_DAYS]  # no mileage limit
    for system in sorted({s for visit in week for s in visit.needs}):
        found = [visit for visit in week if system in visit.needs]
        subject = _("%(system)s to be replaced on day %(day)d") % {
            "system": SanbaoSystem(system).label,
            "day": found[0].day or 0,
        }
        add("first_week", ALERT, f"system:{system}", subject, found[0].day or 0, FIRST_WEEK_DAYS, found)
    for kind in EARLY_SAFETY:
        found = [visit for visit in early if visit.counted and kind in visit.safety]
        if found:
            subject = _("%(fault)s on day %(day)d at %(km)d km") % {
                "fault": S(kind).label,
                "day": found[0].day or 0,
                "km": found[0].mileage,
            }
            add("early_safety", ALERT, f"safety:{kind}", subject, found[0].day or 0, EARLY_DAYS, found)
    # 第二十四条: within the 三包 period.
    safety = [visit for visit in repairs if visit.safety]
    add(
        "safety_repairs",
        _level(len(safety), SAFETY_REPAIRS, SAFETY_REPAIRS - 1),
        "all",
        ngettext(
            "%(count)d repair of a serious safety fault", "%(count)d repairs of a serious safety fault", len(safety)
        )
        % {"count": len(safety)},
        len(safety),
        SAFETY_REPAIRS,
        safety,
    )
    for counter in watch.assemblies:
        count = len(counter.replacements)
        subject = ngettext("%(system)s replaced %(count)d time", "%(system)s replaced %(count)d times", count) % {
            "system": counter.label,
            "count": count,
        }
        level = _level(count, REPLACEMENTS, REPLACEMENTS - 1)
        add("assembly_replacements", level, counter.key, subject, count, REPLACEMENTS, counter.replacements)
    for counter in watch.problems:
        if counter.is_main and not counter.is_assembly:  # an assembly's own count is the rule above
            count = len(counter.replacements)
            subject = ngettext("%(part)s replaced %(count)d time", "%(part)s replaced %(count)d times", count) % {
                "part": counter.label,
                "count": count,
            }
            level = _level(count, REPLACEMENTS, REPLACEMENTS - 1)
            add("main_part_replacements", level, counter.key, subject, count, REPLACEMENTS, counter.replacements)
    add(
        "repair_days",
        _level(watch.repair_days, REPAIR_DAYS_MAX + 1, REPAIR_DAYS_WARNING),
        "all",
        _("%(days)d cumulative repair days") % {"days": watch.repair_days},
        watch.repair_days,
        REPAIR_DAYS_MAX,
        repairs,
    )
    for counter in watch.problems:
        count = len(counter.repairs)
        subject = ngettext("%(part)s: %(count)d repair", "%(part)s: %(count)d repairs", count) % {
            "part": counter.label,
            "count": count,
        }
        level = _level(count, SAME_PROBLEM_MAX + 1, SAME_PROBLEM_MAX)
        add("same_problem", level, counter.key, subject, count, SAME_PROBLEM_MAX, counter.repairs)
    return out


# --- alerts -------------------------------------------------------------------------------------------


def sanbao_evaluate(vehicle_id: int, *, group_id: int, now: datetime | None = None) -> list[SanbaoAlert]:
    """Raise the alerts and early warnings the car has reached and not had yet (one row per rule, counted
    thing and level), and tell the advisor of the visit behind each and the store's after-sales managers."""
    watch = warranty_watch(vehicle_id, group_ids=[group_id], now=now)
    if not watch.results:
        return []
    raised: list[SanbaoAlert] = []
    existing = {(alert.rule, alert.key, alert.level) for alert in watch.alerts}
    with transaction.atomic():
        for result in watch.results:
            if result.level == OK or (result.rule.code, result.key, result.level) in existing:
                continue
            if result.store_id is None:
                continue
            alert, created = SanbaoAlert.all_objects.get_or_create(
                group_id=group_id,
                vehicle_id=vehicle_id,
                rule=result.rule.code,
                key=result.key,
                level=result.level,
                defaults={
                    "store_id": result.store_id,
                    "subject": result.subject[:200],
                    "value": result.value,
                    "threshold": result.threshold,
                    "orders": result.orders,
                },
            )
            if created:
                raised.append(alert)
        if raised:
            ids = [alert.pk for alert in raised]
            transaction.on_commit(lambda: alerts_tell(ids))
    return raised


def _advisor_of(alert: SanbaoAlert) -> User | None:
    if not alert.orders:
        return None
    order = (
        RepairOrder.all_objects.filter(store_id=alert.store_id, number=alert.orders[-1])
        .select_related("advisor")
        .first()
    )
    return order.advisor if order is not None and order.advisor.is_active else None


def alert_recipients(alert: SanbaoAlert) -> list[User]:
    """The advisor of the latest order behind the alert, and the store's after-sales managers."""
    people = [_advisor_of(alert)]
    people += [
        row.user
        for row in StaffMembership.all_objects.filter(
            store_id=alert.store_id, is_active=True, user__is_active=True, role__code__in=MANAGER_ROLES
        )
        .select_related("user")
        .order_by("pk")
    ]
    seen: set[int] = set()
    out = []
    for person in people:
        if person is not None and person.pk not in seen:
            seen.add(person.pk)
            out.append(person)
    return out


def alerts_tell(alert_ids: list[int]) -> list[Message]:
    """Tell each alert's people in-app (nothing where the message is switched off)."""
    if not MessageTemplate.objects.filter(event=ALERT_EVENT, is_active=True).exists():
        return []
    sent: list[Message] = []
    for alert in SanbaoAlert.all_objects.filter(pk__in=alert_ids).select_related("store", "vehicle").order_by("pk"):
        rule = RULES[alert.rule]
        for person in alert_recipients(alert):
            sent += message_try(f"三包 alert {alert.pk}", _send(alert, rule, person))
    return sent


def _send(alert: SanbaoAlert, rule: Rule, person: User) -> Callable[[], list[Message]]:
    with translation.override(
        person.preferred_language or settings.LANGUAGE_CODE
    ):  # the rule's words in the reader's language
        level, label = str(SanbaoAlert.Level(alert.level).label), str(rule.label)
    return lambda: message_send(
        store=alert.store,
        event=ALERT_EVENT,
        recipient=Recipient(
            type=Message.RecipientType.STAFF, name=str(person), user=person, language=person.preferred_language
        ),
        variables={
            "plate": alert.vehicle.plate or alert.vehicle.vin[-6:],
            "level": level,
            "rule": label,
            "subject": alert.subject,
            "article": f"{LAW} {rule.article}",
        },
        about=("quality.sanbaoalert", alert.pk),
    )


def _group_of(store_id: int) -> int:
    return int(Store.all_objects.filter(pk=store_id).values_list("group_id", flat=True).get())


def order_listener(order: RepairOrder, _lines: list[Line], _actor: User | None) -> None:
    """``visits.services.orders.ORDER_LISTENERS``: work signed or added may reach a rule at once."""
    vehicle_id, store_id = order.vehicle_id, order.store_id
    # Robust: the order is written whatever the watch makes of it (a failure is logged, not the caller's 500).
    transaction.on_commit(lambda: sanbao_evaluate(vehicle_id, group_id=_group_of(store_id)), robust=True)


def ready_listener(order: RepairOrder, _actor: User) -> None:
    """``quality.services.READY_LISTENERS``: the pickup notice ends the repair time of the visit."""
    order_listener(order, [], None)


def sanbao_sweep(now: datetime | None = None) -> int:
    """Evaluate every car on site now (its running repair days reach day 5 and day 6 while it waits)."""
    raised = 0
    rows = (
        Visit.all_objects.filter(state=Visit.State.ON_SITE, vehicle__use_type=Vehicle.UseType.HOUSEHOLD)
        .values_list("vehicle_id", "store__group_id")
        .distinct()
        .order_by("vehicle_id")
    )
    for vehicle_id, group_id in rows:
        try:
            raised += len(sanbao_evaluate(vehicle_id, group_id=group_id, now=now))
        except Exception:  # one car's failure must not keep the others' day-5 and day-6 alerts back
            logger.exception("三包 evaluation of vehicle %s failed", vehicle_id)
    return raised


# --- writes -------------------------------------------------------------------------------------------


def _line_for(actor: User, line_id: int, vehicle_id: int) -> Line:
    line = Line.objects.select_related("order", "store").filter(pk=line_id, vehicle_id=vehicle_id).first()
    if line is None:
        raise not_found()
    if not can(actor, PERMISSION, store_id=line.store_id):
        raise ApplicationError(_("You may not read lines for 三包 in this store."), code="forbidden", status=403)
    return line


def sanbao_line_set(
    *, actor: User, vehicle_id: int, line_id: int, cause: str, safety: str, note: str = ""
) -> SanbaoLine:
    """Record what the line's fault is for 三包 (a quality problem, an accident or misuse; which serious safety
    fault, if any), then evaluate the car again."""
    line = _line_for(actor, line_id, vehicle_id)
    errors: dict[str, list[str]] = {}
    if cause not in SanbaoLine.Cause.values:
        errors["cause"] = [_("Choose a quality problem, an accident or misuse.")]
    if safety not in S.values:
        errors["safety"] = [_("Choose one of the serious safety faults, or none.")]
    if len(note) > 200:
        errors["note"] = [_("At most 200 characters.")]
    if cause != SanbaoLine.Cause.QUALITY and safety:
        errors["safety"] = [_("Only a quality problem is read as a serious safety fault.")]
    if not line.is_repair:
        errors["line"] = [_("This line repairs no recorded fault (causal part and fault): 三包 does not count it.")]
    if errors:
        raise ApplicationError(_("Some fields need attention."), fields=errors, status=422)
    with transaction.atomic():
        reading, _created = SanbaoLine.objects.select_for_update().get_or_create(
            line=line,
            defaults={"store_id": line.store_id, "vehicle_id": vehicle_id, "set_by": actor},
        )
        before = {"cause": reading.cause, "safety": reading.safety, "note": reading.note}
        reading.cause, reading.safety, reading.note, reading.set_by = cause, safety, note.strip(), actor
        reading.save()
        audit(
            actor=actor,
            action="sanbao_line",
            object_type="visits.repairorder",
            object_id=line.order_id,
            object_repr=line.order.number,
            store_id=line.store_id,
            changes={"line": line.pk, "before": before, "after": {"cause": cause, "safety": safety, "note": note}},
        )
        group_id = line.store.group_id
        transaction.on_commit(lambda: sanbao_evaluate(vehicle_id, group_id=group_id), robust=True)
    return reading


def sanbao_alert_act(*, actor: User, alert_id: int, action: str, note: str) -> SanbaoAlert:
    """Record what was done about an alert or early warning; it is then dealt with."""
    alert = SanbaoAlert.objects.filter(pk=alert_id).first()
    if alert is None:
        raise not_found()
    if not can(actor, PERMISSION, store_id=alert.store_id):
        raise ApplicationError(_("You may not deal with 三包 alerts in this store."), code="forbidden", status=403)
    errors: dict[str, list[str]] = {}
    if action not in SanbaoAlert.Action.values:
        errors["action"] = [_("Choose what was done.")]
    note = note.strip()
    if len(note) > 500:
        errors["note"] = [_("At most 500 characters.")]
    elif action == SanbaoAlert.Action.OTHER and not note:
        errors["note"] = [_("Say what was done.")]
    if errors:
        raise ApplicationError(_("Some fields need attention."), fields=errors, status=422)
    with transaction.atomic():
        alert = SanbaoAlert.objects.select_for_update().get(pk=alert_id)
        if alert.state == SanbaoAlert.State.DONE:
            raise ConflictError(_("This alert has been dealt with already."), code="already_done")
        alert.state, alert.action, alert.action_note = SanbaoAlert.State.DONE, action, note
        alert.action_by, alert.action_at = actor, timezone.now()
        alert.save()
        audit(
            actor=actor,
            action="sanbao_alert",
            object_type="quality.sanbaoalert",
            object_id=alert.pk,
            object_repr=alert.subject,
            store_id=alert.store_id,
            changes={"rule": alert.rule, "level": alert.level, "action": action, "note": note},
        )
    return alert


def sanbao_part_set(*, actor: User, group_id: int, part_id: int, system: str, is_assembly: bool) -> SanbaoPart:
    """Name a part as a major assembly or a main part of a system, as the brand's 三包凭证 lists it."""
    errors: dict[str, list[str]] = {}
    part = Part.objects.filter(pk=part_id, group_id=group_id).first()
    if part is None:
        errors["part"] = [_("No such part in the group's part master.")]
    if system not in SanbaoSystem.values:
        errors["system"] = [_("Choose a system.")]
    elif is_assembly and system not in MAJOR_ASSEMBLIES:
        errors["is_assembly"] = [_("Only an engine, gearbox, traction battery or drive motor is a major assembly.")]
    if errors:
        raise ApplicationError(_("Some fields need attention."), fields=errors, status=422)
    with transaction.atomic():
        row, created = SanbaoPart.objects.update_or_create(
            part_id=part_id,
            defaults={"group_id": group_id, "system": system, "is_assembly": is_assembly, "created_by": actor},
        )
        audit_append(
            actor=actor,
            action="sanbao_part",
            object_type="parts.part",
            object_id=str(part_id),
            object_repr=part.number_display if part else "",
            changes={"system": system, "is_assembly": is_assembly, "created": created},
        )
        transaction.on_commit(lambda: tasks.sanbao_part_cars(group_id, part_id))
    return row


def sanbao_part_reevaluate(*, group_id: int, part_id: int) -> int:
    """Evaluate the group's household cars whose lines repaired or fitted a part of ``part_id``'s supersession
    chain: a listing added or taken off may reach a rule (or take one away) for cars already delivered."""
    chain = parts_family({part_id}).get(part_id, frozenset({part_id}))
    cars = (
        Line.all_objects.filter(Q(causal_part_id__in=chain) | Q(part_id__in=chain), store__group_id=group_id)
        .filter(vehicle__use_type=Vehicle.UseType.HOUSEHOLD)
        .values_list("vehicle_id", flat=True)
        .distinct()
        .order_by("vehicle_id")
    )
    raised = 0
    for vehicle_id in cars:
        try:
            raised += len(sanbao_evaluate(vehicle_id, group_id=group_id))
        except Exception:  # as the sweep: one car's failure keeps no other back
            logger.exception("三包 evaluation of vehicle %s failed", vehicle_id)
    return raised


def sanbao_part_remove(*, actor: User, part_id: int) -> None:
    """Take a part off the group's list (a holder of ``quality.sanbao`` in a store of its group)."""
    with transaction.atomic():
        row = SanbaoPart.objects.filter(part_id=part_id).select_related("part").first()
        stores = Store.all_objects.filter(group_id=row.group_id).values_list("pk", flat=True) if row else []
        if row is None or not can_for(actor, PERMISSION, store_ids=list(stores)):
            raise not_found()
        audit_append(
            actor=actor,
            action="sanbao_part_off",
            object_type="parts.part",
            object_id=str(part_id),
            object_repr=row.part.number_display,
            changes={"system": row.system},
        )
        group_id = row.group_id
        row.delete()
        transaction.on_commit(lambda: tasks.sanbao_part_cars(group_id, part_id))
