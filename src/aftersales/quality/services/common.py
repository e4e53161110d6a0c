"""What the quality and delivery services share: the store's rules (with the defaults a store starts
from), reading a visit or an order for an actor, the audit entry of each business action, who worked on
an order, and the state of the visit's orders."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from aftersales.core.access import can
from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.models import Store, User
from aftersales.quality.models import FinalInspection, QualitySettings
from aftersales.visits.models import Line, RepairOrder, Visit
from aftersales.workshop.models import ClockEvent, Job, Team

R = RepairOrder.State
L = Line.State

# The store's standard final-inspection list until it keeps its own (seed 004 §7.x 总检: the work on the
# order is checked line by line first; these follow).
FINAL_CHECKS_DEFAULT = [
    "灯光、仪表及警告灯正常",
    "油液液位正常，无渗漏",
    "轮胎气压及车轮螺栓力矩符合要求",
    "车身漆面及内饰无新增损伤",
    "座椅、后视镜、音响及时钟已复位",
    "车内无遗留工具，防护套已取下",
    "旧件已按客户选择处理",
]
# 车辆清洗清洁标准 (seed 004 §7.4: the service department's washing standard).
WASH_CHECKS_DEFAULT = [
    "车身外表清洗干净",
    "轮毂及轮胎清洁",
    "玻璃及后视镜无水痕",
    "脚垫及地毯清洁",
    "仪表台及门板擦拭",
    "门边、发动机舱盖及后备箱边缘擦净",
]
# The 24-point free check explained at delivery (seed 004 §8: 24项免费检查).
DELIVERY_CHECKS_DEFAULT = [
    "发动机机油",
    "冷却液",
    "制动液",
    "转向助力油",
    "风窗清洗液",
    "蓄电池",
    "传动皮带",
    "空气滤清器",
    "雨刮片",
    "前照灯",
    "转向灯",
    "制动灯",
    "倒车灯",
    "喇叭",
    "仪表及警告灯",
    "空调系统",
    "轮胎气压",
    "轮胎磨损",
    "备胎",
    "制动片厚度",
    "减振器",
    "底盘渗漏",
    "排气系统",
    "门锁及车窗",
]
COMEBACK_DAYS_DEFAULT = 30

# Orders still on the car's visit (a cancelled order has nothing to inspect or deliver).
LIVE = (R.OPEN, R.IN_WORK, R.COMPLETED, R.READY)
# Lines still to be finished: an order with one of these is not ready and is not delivered.
UNFINISHED = (L.PROPOSED, L.APPROVED, L.DISPATCHED, L.IN_PROGRESS)


def quality_settings(store: Store | int) -> QualitySettings:
    """The store's quality rules (the defaults until someone keeps them)."""
    store_id = store if isinstance(store, int) else store.pk
    found = QualitySettings.all_objects.filter(store_id=store_id).first()
    return found or QualitySettings(
        store_id=store_id,
        final_checks=list(FINAL_CHECKS_DEFAULT),
        wash_checks=list(WASH_CHECKS_DEFAULT),
        wash_skip=[],
        delivery_checks=list(DELIVERY_CHECKS_DEFAULT),
        comeback_days=COMEBACK_DAYS_DEFAULT,
    )


def not_found() -> ApplicationError:
    return ApplicationError(_("Not found."), code="not_found", status=404)


def visit_for(*, actor: User | None, visit_id: int, permission: str, for_update: bool = False) -> Visit:
    """The visit ``actor`` may act on with ``permission`` (locked until commit when asked); 404 otherwise."""
    rows = Visit.all_objects.filter(pk=visit_id).select_related("store", "vehicle", "customer", "advisor")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    visit = rows.first()
    if visit is None or (actor is not None and not can(actor, permission, store_id=visit.store_id)):
        raise not_found()
    return visit


def on_site(visit: Visit) -> None:
    if visit.state != Visit.State.ON_SITE:
        raise ConflictError(_("This car has left: its visit is closed."), code="not_allowed")


def live_orders(visit: Visit, *, for_update: bool = False) -> list[RepairOrder]:
    """The visit's orders that are not cancelled, oldest first (locked in that order when asked)."""
    rows = RepairOrder.all_objects.filter(visit=visit).exclude(state=R.CANCELLED).order_by("pk")
    if for_update:
        rows = rows.select_for_update()
    return list(rows)


def latest_inspection(order_id: int) -> FinalInspection | None:
    return FinalInspection.objects.filter(order_id=order_id).order_by("-at", "-pk").first()


def no_labour(order: RepairOrder) -> bool:
    """Whether the order has no labour to do (every labour line declined or cancelled, or none): the
    customer declined the repair after the diagnosis and pays its fee. Nothing is inspected or washed."""
    return not (
        Line.all_objects.filter(order=order, kind=Line.Kind.LABOUR)
        .exclude(state__in=(L.DECLINED, L.CANCELLED))
        .exists()
    )


def inspection_passed(order: RepairOrder) -> bool:
    """Whether the order's latest final inspection passed (and no rework has reopened it since)."""
    if order.state not in (R.COMPLETED, R.READY, R.DELIVERED, R.CLOSED):
        return False
    latest = latest_inspection(order.pk)
    return latest is not None and latest.passed


def not_inspected(orders: list[RepairOrder]) -> list[str]:
    """The numbers of the orders whose final inspection has not passed (an order without labour has none)."""
    return [order.number for order in orders if not (inspection_passed(order) or no_labour(order))]


def unfinished_lines(orders: list[RepairOrder]) -> list[str]:
    """Lines of ``orders`` still proposed, approved or in work, as "<order> line <n>"."""
    rows = (
        Line.all_objects.filter(order__in=orders, state__in=UNFINISHED)
        .order_by("order_id", "position")
        .values_list("order__number", "position")
    )
    return [_("%(order)s line %(n)s") % {"order": number, "n": position} for number, position in rows]


def workers_of(order: RepairOrder) -> set[int]:
    """Everyone who worked on the order: its jobs' technicians, their teams' members and leaders, and
    whoever was on a job's clock."""
    jobs = Job.all_objects.filter(order=order)
    people = {tech for tech in jobs.values_list("technician_id", flat=True) if tech is not None}
    team_ids = [team for team in jobs.values_list("team_id", flat=True) if team is not None]
    if team_ids:
        teams = Team.all_objects.filter(pk__in=team_ids)
        people |= {leader for leader in teams.values_list("leader_id", flat=True) if leader is not None}
        people |= set(Team.members.through.objects.filter(team_id__in=team_ids).values_list("user_id", flat=True))
    people |= set(ClockEvent.objects.filter(job__order=order).values_list("technician_id", flat=True))
    return people


def audit(
    *,
    actor: User | None,
    store_id: int,
    action: str,
    object_type: str,
    object_id: int,
    object_repr: str,
    changes: dict[str, Any],
    subject: str = "",
    personal: frozenset[str] = frozenset(),
) -> None:
    """One audit entry per business action of this area."""
    audit_append(
        action=action,
        actor=actor,
        store_id=store_id,
        object_type=object_type,
        object_id=str(object_id),
        object_repr=object_repr,
        changes=changes,
        subject=subject,
        personal=personal,
    )


def staff_of(store_id: int, user_id: int | None) -> User | None:
    """An active member of the store's staff, or None."""
    if user_id is None:
        return None
    return (
        User.objects.filter(
            pk=user_id,
            is_active=True,
            memberships__store_id=store_id,
            memberships__is_active=True,
        )
        .distinct()
        .first()
    )
