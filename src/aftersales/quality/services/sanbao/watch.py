"""What the 三包 watch of a vehicle (SPEC LAW-4) reads and holds: the car's visits with their orders and
lines as plain values, each line counted or left out and why, each visit's repair time, the families of the
parts repaired and their 三包 listing; and the watch's own records (visits, counters, rules' results).

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
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aftersales.catalogue.models import LabourOperation
from aftersales.catalogue.paytypes import PayType
from aftersales.customers.models import Vehicle
from aftersales.parts.selectors.parts import parts_family
from aftersales.quality.models import SanbaoAlert, SanbaoLine, SanbaoPart
from aftersales.quality.services.sanbao.rules import DAY, MAINTENANCE_CATEGORIES, NEEDED, NOT_QUALITY_PAY, R, Rule
from aftersales.visits.models import Line, RepairOrder
from aftersales.workshop.models import OffSite

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
