"""Quality's part of ``aftersales demo``, in each demo store:

- the 10,000 km maintenance the workshop finished: its oil filter issued, its final inspection passed,
  washed, waiting for the workshop to hand it over to the advisor;
- a car whose front brake pads were done this morning: inspected, washed, handed over, checked by the
  advisor, collected by the customer (the delivery sheet signed, the 24-point free check explained, the
  repair guarantee started), back this afternoon with the same squeal: its new order flagged as a comeback
  of the morning's work, confirmed by the QC inspector (free to the customer, at the store's cost);
- a car bought from the store 330 days ago (a household car, within its 三包 period) whose left front window
  regulator was repaired four times under warranty over the months, each repair delivered (its orders signed,
  the work done, inspected, washed, handed over and the customer told): one repair short of "more than 4
  repairs of the same quality problem" (第二十四条), so its 三包 watch raised the early warning and told the
  advisor and the after-sales manager;
- the pickup notice's SMS switched on with the demo signature.

And once for the dealer group, the 三包 main parts of its brands' 三包凭证: an assembly and a main part of
each brand (new numbers of the part master: the demo's has no engine, gearbox or battery) and a lower
control arm of each (控制臂, a main part of the suspension).

Everything goes through the quality, workshop, reception and customers services, by the store's staff; the
window's repairs, written today, are then moved back to their days (as the appointments' demo moves its
history; the audit trail keeps today). Idempotent: a store that has a delivery is left as it is, a group
with 三包 main parts too."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from aftersales.catalogue.paytypes import PayType
from aftersales.core.calendar import store_today
from aftersales.core.demo import STORES, demo_username
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Bay, Brand, DealerGroup, Store, User
from aftersales.customers.demo import CATALOGUE, STORE_REGION, YEAR_CODES, _plate, _vin
from aftersales.customers.models import Customer, MileageReading, Vehicle, VehicleModel
from aftersales.customers.services import vehicle_create
from aftersales.messaging.models import MessageTemplate
from aftersales.messaging.services import template_save
from aftersales.parts.models import Bin, Part, StockBalance
from aftersales.parts.services import ReceiptLine, stock_receive
from aftersales.parts.services.parts import part_number_normalise, part_save
from aftersales.quality import services
from aftersales.quality.models import (
    Comeback,
    Delivery,
    FinalInspection,
    Guarantee,
    Handover,
    ReleaseCertificate,
    SanbaoPart,
    SanbaoSystem,
    Wash,
)
from aftersales.quality.services import audits as audits_services
from aftersales.quality.services.delivery import PICKUP_EVENT, agreed_lines
from aftersales.quality.services.sanbao import sanbao_evaluate, sanbao_part_set
from aftersales.visits import services as visits_services
from aftersales.visits.demo import SIGN_NAME, Reception, _signature
from aftersales.visits.models import Line, LineApproval, RepairOrder, RepairOrderEvent, Visit, VisitEvent
from aftersales.workshop import services as workshop
from aftersales.workshop.models import ClockEvent, Job, JobEvent

NOISE = "低速制动时前轮尖叫"
BRAKE_REPORT = "更换前刹车片，清洁制动卡钳，路试异响消除。"
# The 三包 watch's car: bought (invoiced and delivered) this many days ago, its left front window regulator
# repaired four times under the manufacturer's warranty: (days ago, mileage in, what the workshop did).
BOUGHT_DAYS_AGO = 330
WINDOW = "左前车窗升降时异响、偶发卡滞"
REGULATOR = "玻璃升降器"
WINDOW_REPAIRS = (
    (260, 2_640, "调整左前车窗升降器导轨并润滑，升降顺畅。"),
    (180, 5_910, "紧固升降器固定螺栓，车窗重新初始化。"),
    (100, 9_080, "清洁润滑升降器钢丝，调整玻璃导槽。"),
    (30, 11_820, "重新调整升降器行程，路试无异响；已建议厂家技术支持介入。"),
)
# The brands' 三包凭证 as the demo lists them: (number, name, English name, system, the assembly itself).
SANBAO_PARTS: dict[str, list[tuple[str, str, str, str, bool]]] = {
    "VW": [
        ("06K-100-033-BX", "发动机总成(EA888)", "Engine assembly (EA888)", SanbaoSystem.ENGINE, True),
        ("0DE-325-025-H", "变速箱阀体(DQ381)", "Gearbox valve body (DQ381)", SanbaoSystem.GEARBOX, False),
    ],
    "TOYOTA": [
        ("19000-F0A10", "发动机总成(A25A)", "Engine assembly (A25A)", SanbaoSystem.ENGINE, True),
        ("35410-33160", "变速箱阀体(UB80E)", "Gearbox valve body (UB80E)", SanbaoSystem.GEARBOX, False),
    ],
    "BYD": [
        (
            "3008-10010",
            "动力电池总成(刀片电池)",
            "Traction battery assembly (Blade)",
            SanbaoSystem.TRACTION_BATTERY,
            True,
        ),
        ("1701-00210", "驱动电机定子总成", "Drive motor stator", SanbaoSystem.DRIVE_MOTOR, False),
    ],
}
CONTROL_ARM = "下摆臂"  # a control arm (控制臂): a main part of the suspension in every brand's 三包凭证
# Later areas' part of the demo's deliveries (settlement registers its own: the list confirmed and the customer's
# share paid at the counter before the car is released) and of what a visit writes (moved back with it).
BEFORE_DELIVERY: list[Callable[[RepairOrder], object]] = []
VISIT_ROWS: list[Callable[[int], list[models.QuerySet[Any]]]] = []


def _sms_activate() -> int:
    """Switch the pickup notice's SMS on with the demo signature and template code (once)."""
    template = MessageTemplate.objects.filter(event=PICKUP_EVENT, channel="sms", is_active=False).first()
    if template is None:
        return 0
    template_save(
        actor=None,
        template_id=template.pk,
        data={"sms_sign_name": SIGN_NAME, "sms_template_code": "SMS_220501", "is_active": True},
    )
    return 1


class Staff:
    def __init__(self, store: Store) -> None:
        users = {user.username: user for user in User.objects.filter(username__endswith=f"_{store.code.lower()}")}
        self.of = lambda role: users[demo_username(role, store.code)]


def _issue_parts(order: RepairOrder, staff: Staff) -> int:
    """The order's approved part lines, asked for by the foreman (the job is done) and issued by the parts
    desk; a part the shelf is short of is received first (it came in with today's delivery)."""
    issued = 0
    for line in Line.all_objects.filter(order=order, kind=Line.Kind.PART, state=Line.State.APPROVED).select_related(
        "part"
    ):
        part = line.part
        if part is None:
            continue
        request = workshop.parts_request(actor=staff.of("foreman"), order_id=order.pk, line_id=line.pk)
        try:
            with transaction.atomic():
                workshop.parts_request_issue(actor=staff.of("parts"), request_id=request.pk, part_number=part.number)
        except ApplicationError:
            # Into the bin the part is kept in (where the store keeps none, its first bin).
            kept = StockBalance.all_objects.filter(store_id=order.store_id, part=part).order_by("pk").first()
            bin_ = kept.bin if kept else Bin.objects.filter(warehouse__store_id=order.store_id).order_by("pk").first()
            if bin_ is None:
                continue
            stock_receive(
                actor=staff.of("parts"),
                store_id=order.store_id,
                lines=[ReceiptLine(part_id=part.pk, bin_id=bin_.pk, quantity=line.quantity, unit_cost=Decimal("30"))],
            )
            workshop.parts_request_issue(actor=staff.of("parts"), request_id=request.pk, part_number=part.number)
        issued += 1
    return issued


def _pass(order: RepairOrder, staff: Staff, advice: str) -> None:
    """The QC inspector passes the order's final inspection: every check in order, no road test needed."""
    order = RepairOrder.all_objects.get(pk=order.pk)
    checks = services.checklist(order)
    services.final_inspection_record(
        actor=staff.of("qc"),
        order_id=order.pk,
        data=services.InspectionIn(
            checks=[services.CheckIn(ok=True) for _check in checks],
            road_test="passed" if order.road_test_consent else "not_needed",
            passed=True,
            fault_verified=True,
            repair_advice=advice,
            driving_advice="新刹车片磨合期内（约 200 公里）避免急刹。" if "刹车" in advice else "",
            signature=_signature("质检"),
        ),
    )


def _wash(visit: Visit, staff: Staff, spot: str) -> None:
    washer = staff.of("washer")
    checks = services.quality_settings(visit.store_id).wash_checks
    services.wash_record(
        actor=washer,
        visit_id=visit.pk,
        data=services.WashIn(spot=spot, nose_out=True, washer_id=washer.pk, checks=[True] * len(checks)),
    )


def _brakes(desk: Reception, staff: Staff, vehicle_line: list[visits_services.LineIn], visit: Visit) -> RepairOrder:
    order_id = desk.sign(visit, vehicle_line, f"刹车有异响：{NOISE}")
    return RepairOrder.all_objects.get(pk=order_id)


def _work(order: RepairOrder, staff: Staff, bay: Bay | None, start: datetime, report: str = BRAKE_REPORT) -> None:
    """The foreman does the order's approved labour on ``bay`` from ``start`` (the technician is on the
    clock on another job all morning): the order is complete."""
    technician = staff.of("foreman")
    for line in Line.all_objects.filter(order=order, kind=Line.Kind.LABOUR, state=Line.State.APPROVED):
        job = workshop.dispatch(
            actor=staff.of("foreman"),
            order_id=order.pk,
            data=workshop.DispatchIn(line_id=line.pk, technician_id=technician.pk, bay_id=bay.pk if bay else None),
            now=start,
        )
        workshop.clock(
            actor=technician, job_id=job.pk, data=workshop.ClockIn(action="on"), now=start + timedelta(minutes=5)
        )
        workshop.clock(
            actor=technician,
            job_id=job.pk,
            data=workshop.ClockIn(action="off", fault_verified=True, report=report),
            now=start + timedelta(minutes=55),
        )


def _deliver(visit: Visit, staff: Staff, explanation: str, *, spot: str, rating: int, comment: str) -> Delivery:
    """The workshop hands the inspected, washed car over to the advisor, who checks it and tells the customer
    (the pickup notice); the customer comes, is shown the free check and collects the car."""
    store = visit.store
    services.handover_record(
        actor=staff.of("foreman"),
        visit_id=visit.pk,
        data=services.HandoverIn(keys=f"{visit.key_tag} 两把", explanation=explanation),
    )
    orders = list(RepairOrder.all_objects.filter(visit=visit))
    services.ready_check(
        actor=staff.of("advisor"),
        visit_id=visit.pk,
        data=services.ReadyIn(
            lines=[services.LineCheckIn(line_id=line.pk, ok=True) for line in agreed_lines(orders)],
            car_checked=True,
            pickup_spot=spot,
        ),
    )
    services.pickup_arrived(actor=staff.of("advisor"), visit_id=visit.pk)
    for order in orders:
        for step in BEFORE_DELIVERY:
            step(order)
    checks = services.quality_settings(store).delivery_checks
    visit = Visit.all_objects.get(pk=visit.pk)
    return services.delivery_record(
        actor=staff.of("advisor"),
        visit_id=visit.pk,
        data=services.DeliveryIn(
            collector="customer",
            collector_name=visit.contact_name,
            signature=_signature(visit.contact_name),
            mileage_out=visit.mileage_in + 6,
            keys_handed=True,
            next_service_on=store_today(store) + timedelta(days=180),
            next_service_km=visit.mileage_in + 10_000,
            free_checks=[
                services.FreeCheckIn(
                    result="amber" if check == "雨刮片" else "green",
                    note="胶条老化，建议更换" if check == "雨刮片" else "",
                )
                for check in checks
            ],
            rating=rating,
            comment=comment,
        ),
    )


# --- the 三包 watch ------------------------------------------------------------------------------------------


def _rows_of(visit_id: int, vehicle_id: int, today: date) -> list[models.QuerySet[Any]]:
    """What a visit wrote, through its delivery: the visit, its orders, lines, approvals, jobs, inspection,
    wash, handover, delivery and guarantees, with their events, the car's readings of the day, and what later
    areas wrote for it (``VISIT_ROWS``)."""
    return [
        Visit._base_manager.filter(pk=visit_id),
        VisitEvent._base_manager.filter(visit_id=visit_id),
        RepairOrder._base_manager.filter(visit_id=visit_id),
        RepairOrderEvent._base_manager.filter(order__visit_id=visit_id),
        Line._base_manager.filter(order__visit_id=visit_id),
        LineApproval._base_manager.filter(line__order__visit_id=visit_id),
        Job._base_manager.filter(order__visit_id=visit_id),
        JobEvent._base_manager.filter(job__order__visit_id=visit_id),
        ClockEvent._base_manager.filter(job__order__visit_id=visit_id),
        FinalInspection._base_manager.filter(order__visit_id=visit_id),
        ReleaseCertificate._base_manager.filter(order__visit_id=visit_id),
        Wash._base_manager.filter(visit_id=visit_id),
        Handover._base_manager.filter(visit_id=visit_id),
        Delivery._base_manager.filter(visit_id=visit_id),
        Guarantee._base_manager.filter(order__visit_id=visit_id),
        MileageReading._base_manager.filter(vehicle_id=vehicle_id, read_on=today),
        *(rows for extension in VISIT_ROWS for rows in extension(visit_id)),
    ]


def _back(rows: list[models.QuerySet[Any]], by: timedelta) -> None:
    """Move every date and time of the rows ``by`` earlier (dates by its whole days): the demo writes a past
    repair today through the services, then puts it on its day. The next service stays as agreed."""
    for queryset in rows:
        model = queryset.model
        fields = [
            field
            for field in model._meta.concrete_fields
            if isinstance(field, models.DateField) and field.name != "next_service_on"
        ]
        for row in queryset:
            values: dict[str, Any] = {}
            for field in fields:
                value = getattr(row, field.attname)
                if value is not None:
                    values[field.attname] = value - (
                        by if isinstance(field, models.DateTimeField) else timedelta(days=by.days)
                    )
            model._base_manager.filter(pk=row.pk).update(**values)


def _new_car(store: Store, owner: Customer, advisor: User) -> Vehicle | None:
    """The household car the customer bought from the store ``BOUGHT_DAYS_AGO`` days ago (invoiced and
    delivered that day), added to the archive as reception adds one."""
    brands = set(store.brands.values_list("code", flat=True)) & set(CATALOGUE)
    model = (
        VehicleModel.objects.filter(brand__code__in=brands, fuel_type="petrol").order_by("brand__code", "pk").first()
    )
    if model is None:
        return None
    bought = store_today(store) - timedelta(days=BOUGHT_DAYS_AGO)
    year = min(max(YEAR_CODES), max(min(YEAR_CODES), bought.year))
    rng = random.Random(f"sanbao-{store.code}")  # noqa: S311 - demo data
    vin = _vin(rng, CATALOGUE[model.brand.code][0], year, 900_000 + store.pk)
    while Vehicle.objects.filter(vin=vin).exists():
        vin = _vin(rng, CATALOGUE[model.brand.code][0], year, 900_000 + store.pk)
    data: dict[str, object] = {
        "vin": vin,
        "model_id": model.pk,
        "model_year": year,
        "colour": "珍珠白",
        "use_type": Vehicle.UseType.HOUSEHOLD,
        "purchase_date": bought,
        "delivery_date": bought,
    }
    region = STORE_REGION.get(store.code)
    if region is not None:
        plate = _plate(rng, region, False)
        while Vehicle.objects.filter(plate=plate).exists():
            plate = _plate(rng, region, False)
        data["plate"] = plate
    return vehicle_create(actor=advisor, owner=owner, data=data, owned_from=bought)


def _window_repair(
    desk: Reception, staff: Staff, owner: Customer, car: Vehicle, number: int, km: int, report: str
) -> Visit:
    """The car in for its window regulator again: a warranty repair (the manufacturer's pre-authorisation not
    required), done, inspected, washed and delivered, today."""
    visit = desk.open(owner, car, needs=WINDOW, mileage_in=km)
    # The regulator of the car's series (the demo's part master names the series it fits).
    model = car.model
    fitting = (
        Part.objects.filter(
            group_id=desk.group_id, brand_id=model.brand_id, name__startswith=f"{REGULATOR}({model.series} "
        )
        if model is not None
        else Part.objects.none()
    )
    regulator = fitting.order_by("pk").first() or desk.part(car, REGULATOR)
    line = visits_services.LineIn(
        kind="labour",
        pay_type=PayType.OEM_WARRANTY,
        operation_id=desk.operation(car, "E03").pk,
        symptom=WINDOW,
        causal_part_id=regulator.pk if regulator else None,
    )
    order = RepairOrder.all_objects.get(pk=desk.sign(visit, [line], f"{WINDOW}（第{number}次）"))
    proposed = Line.all_objects.filter(order=order, state=Line.State.PROPOSED)
    visits_services.approvals_record(
        actor=staff.of("warranty"),
        order_id=order.pk,
        data=visits_services.ApprovalIn(
            kind="oem_preauthorisation",
            decisions=[visits_services.Decision(row.pk, True) for row in proposed],
            not_required=True,
        ),
    )
    # Reception and the signing two hours before the work (the services write them now).
    _back(_rows_of(visit.pk, car.pk, store_today(desk.store)), timedelta(hours=2))
    bay = Bay.objects.filter(store=desk.store, kind="general_lift", is_active=True).order_by("code").first()
    _work(order, staff, bay, timezone.now() - timedelta(minutes=100), report)
    _pass(order, staff, "车窗升降器已调整，如再有异响请及时回店。")
    _wash(Visit.all_objects.get(pk=visit.pk), staff, f"F-{number + 2:02d}")
    _deliver(
        Visit.all_objects.get(pk=visit.pk),
        staff,
        f"{report}已告知客户本车该问题第{number}次维修。",
        spot=f"P-{number + 1:02d}",
        rating=3 if number > 2 else 4,
        comment="同一个问题反复修" if number > 2 else "",
    )
    return visit


def _sanbao_demo(store: Store, staff: Staff) -> int:
    """The household car whose window regulator was repaired four times in its 三包 period: the repairs
    written through the services and moved back to their days, then the car's watch evaluated."""
    desk = Reception(store)
    owner, _car = desk.next_car()
    car = _new_car(store, owner, staff.of("advisor"))
    if car is None:
        return 0
    today = store_today(store)
    for number, (days_ago, km, report) in enumerate(WINDOW_REPAIRS, start=1):
        visit = _window_repair(desk, staff, owner, car, number, km, report)
        # Put the repair on its day, before the next signing: its guarantee is long over by then.
        _back(_rows_of(visit.pk, car.pk, today), timedelta(days=days_ago))
    raised = sanbao_evaluate(car.pk, group_id=store.group_id)
    return 1 + len(WINDOW_REPAIRS) + len(raised)


def _sanbao_parts(group: DealerGroup, actor: User) -> int:
    """List the 三包 main parts of the group's brands once: each brand's assembly and main part (numbers added
    to the part master) and a lower control arm of the demo's master (a main part of the suspension)."""
    if SanbaoPart.objects.filter(group=group).exists():
        return 0
    made = 0
    for brand in Brand.objects.filter(code__in=SANBAO_PARTS, parts__group=group).distinct().order_by("code"):
        for number, name, name_en, system, assembly in SANBAO_PARTS[brand.code]:
            part = Part.objects.filter(group=group, brand=brand, number=part_number_normalise(number)).first()
            if part is None:
                part = part_save(
                    actor=None,
                    group_id=group.pk,
                    brand_id=brand.pk,
                    data={
                        "number_display": number,
                        "name": name,
                        "name_en": name_en,
                        "category": "三包主要总成" if assembly else "三包主要零部件",
                        "part_class": Part.PartClass.EMERGENCY,
                    },
                )
                made += 1
            sanbao_part_set(actor=actor, group_id=group.pk, part_id=part.pk, system=system, is_assembly=assembly)
            made += 1
        # The brand's first lower control arm of the demo's master.
        arm = Part.objects.filter(group=group, brand=brand, name__startswith=CONTROL_ARM).order_by("pk").first()
        if arm is not None:
            sanbao_part_set(
                actor=actor, group_id=group.pk, part_id=arm.pk, system=SanbaoSystem.SUSPENSION, is_assembly=False
            )
            made += 1
    return made


def _store_demo(store: Store) -> int:
    staff = Staff(store)
    made = 0
    # The maintenance the workshop finished: the filter issued, inspected and washed; the handover waits.
    maintenance = (
        RepairOrder.all_objects.filter(store=store, visit__needs="1万公里保养", state=RepairOrder.State.COMPLETED)
        .select_related("visit")
        .first()
    )
    if maintenance is not None:
        made += _issue_parts(maintenance, staff)
        _pass(maintenance, staff, "下次保养里程 +10000 公里，建议同时检查空调滤芯。")
        _wash(maintenance.visit, staff, "F-01")
        made += 2
    # A car whose brakes were done this morning, collected, and back this afternoon with the same squeal.
    desk = Reception(store)
    customer, vehicle = desk.next_car()
    visit = desk.open(customer, vehicle, needs=f"刹车异响：{NOISE}")
    desk.walk_around(visit, photo=False)
    desk.diagnose(visit, ["C1234"], NOISE)
    pads = desk.part(vehicle, "前刹车片")
    brake_line = visits_services.LineIn(
        kind="labour",
        operation_id=desk.operation(vehicle, "B01").pk,
        fault_code="C1234",
        symptom=NOISE,
        causal_part_id=pads.pk if pads else None,
    )
    order = _brakes(desk, staff, [brake_line], visit)
    bay = Bay.objects.filter(store=store, kind="general_lift", is_active=True).order_by("code").first()
    _work(order, staff, bay, timezone.now() - timedelta(hours=5))
    _pass(order, staff, "刹车片已更换，建议 5000 公里后复查制动片厚度。")
    _wash(visit, staff, "F-02")
    delivery = _deliver(
        visit, staff, "更换前刹车片，路试异响消除；建议 5000 公里后复查。", spot="P-01", rating=5, comment="讲解很清楚"
    )
    made += 1
    # Back in the afternoon: the same squeal. The order is flagged as a comeback and the QC inspector confirms.
    again = desk.open(customer, vehicle, needs=f"上午刚修过，{NOISE}又出现", mileage_in=delivery.mileage_out + 18)
    desk.walk_around(again, photo=False)
    comeback_order = _brakes(desk, staff, [brake_line], again)
    comeback = Comeback.all_objects.get(order=comeback_order)
    services.comeback_decide(
        actor=staff.of("qc"), comeback_id=comeback.pk, confirm=True, note="上午更换的刹车片未做磨合处理，属返修。"
    )
    made += 2 + Job.all_objects.filter(order=comeback_order).count()
    # The car whose window regulator was repaired four times in its 三包 period.
    return made + _sanbao_demo(store, staff)


@transaction.atomic
def quality_demo_install() -> int:
    """Install quality's part of both demo stores once; returns the rows made (0 when they have deliveries)."""
    made = _sms_activate()
    for spec in STORES:
        store = Store.all_objects.filter(code=spec["code"]).first()
        if store is None or Delivery.objects.filter(store=store).exists():
            continue
        if not Job.all_objects.filter(store=store).exists():  # the workshop's demo did not run
            continue
        if not SanbaoPart.objects.filter(group_id=store.group_id).exists():
            made += _sanbao_parts(store.group, Staff(store).of("service_manager"))
        made += _store_demo(store)
        made += _evaluation(store, Staff(store).of("service_manager"))
    return made


def _evaluation(store: Store, manager: User) -> int:
    """A quarterly internal evaluation of the orders delivered this year, opened by the after-sales manager
    (the schedule opens the monthly ones): its sample drawn, nothing reviewed yet."""
    today = store_today(store)
    audits_services.audit_open(
        actor=manager,
        store_id=store.pk,
        data=audits_services.AuditIn(
            kind="internal",
            auditor="售后服务部 质量专员",
            standard="本店售后服务核心流程（接待、维修、总检、交车）",
            period_from=today - timedelta(days=365),
            period_to=today,
            sample_size=5,
        ),
    )
    return 1
