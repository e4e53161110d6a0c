"""The 三包 watch of a vehicle (SPEC LAW-4) counted and judged: which of its repairs the law counts, its repair
days, its counters per same quality problem and per major assembly, and the rules of 家用汽车产品修理、更换、退货
责任规定 each reached, nearly reached or not; and the watch of a vehicle read and counted, as a reader may see it.

Days "within N days" are counted from the start of the 三包 period as day 1 (the period of 第十七条 ends
the day before the anniversary: the same reading), mileage by the odometer at check-in; "以先到者为准".
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from aftersales.core.access import groups_seen as access_groups_seen
from aftersales.core.models import User
from aftersales.customers.models import Vehicle
from aftersales.customers.selectors.customers import vehicle_access
from aftersales.quality.models import MAJOR_ASSEMBLIES, SanbaoAlert, SanbaoPart, SanbaoSystem
from aftersales.quality.services.sanbao.rules import (
    AGREED,
    ALERT,
    EARLY_DAYS,
    EARLY_KM,
    EARLY_SAFETY,
    FIRST_WEEK_DAYS,
    LONG_REPAIR_DAYS,
    OK,
    REPAIR_DAYS_MAX,
    REPAIR_DAYS_WARNING,
    REPLACEMENTS,
    RULES,
    SAFETY_REPAIRS,
    SAME_PROBLEM_MAX,
    WARNING,
    S,
)
from aftersales.quality.services.sanbao.watch import Counter, RuleResult, Watch, WatchVisit, _facts, _families, _time
from aftersales.visits.models import Line

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


# --- the watch of a vehicle, read and counted ---------------------------------------------------------


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
    from the request's scope."""
    return access_groups_seen(actor)
