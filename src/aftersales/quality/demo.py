"""Quality's part of ``aftersales demo``, in each demo store:

- the 10,000 km maintenance the workshop finished: its oil filter issued, its final inspection passed,
  washed, waiting for the workshop to hand it over to the advisor;
- a car whose front brake pads were done this morning: inspected, washed, handed over, checked by the
  advisor, collected by the customer (the delivery sheet signed, the 24-point free check explained, the
  repair guarantee started), back this afternoon with the same squeal: its new order flagged as a comeback
  of the morning's work, confirmed by the QC inspector (free to the customer, at the store's cost);
- the pickup notice's SMS switched on with the demo signature.

Everything goes through the quality, workshop and reception services, by the store's staff. Idempotent: a
store that has a delivery is left as it is."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from aftersales.core.calendar import store_today
from aftersales.core.demo import STORES, demo_username
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Bay, Store, User
from aftersales.messaging.models import MessageTemplate
from aftersales.messaging.services import template_save
from aftersales.parts.models import Bin, StockBalance
from aftersales.parts.services import ReceiptLine, stock_receive
from aftersales.quality import services
from aftersales.quality.models import Comeback, Delivery
from aftersales.quality.services.delivery import PICKUP_EVENT, agreed_lines
from aftersales.visits import services as visits_services
from aftersales.visits.demo import SIGN_NAME, Reception, _signature
from aftersales.visits.models import Line, RepairOrder, Visit
from aftersales.workshop import services as workshop
from aftersales.workshop.models import Job

NOISE = "低速制动时前轮尖叫"


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


def _work(order: RepairOrder, staff: Staff, bay: Bay | None, start: datetime) -> None:
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
            data=workshop.ClockIn(
                action="off", fault_verified=True, report="更换前刹车片，清洁制动卡钳，路试异响消除。"
            ),
            now=start + timedelta(minutes=55),
        )


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
    services.handover_record(
        actor=staff.of("foreman"),
        visit_id=visit.pk,
        data=services.HandoverIn(
            keys=f"{visit.key_tag} 两把", explanation="更换前刹车片，路试异响消除；建议 5000 公里后复查。"
        ),
    )
    orders = list(RepairOrder.all_objects.filter(visit=visit))
    services.ready_check(
        actor=staff.of("advisor"),
        visit_id=visit.pk,
        data=services.ReadyIn(
            lines=[services.LineCheckIn(line_id=line.pk, ok=True) for line in agreed_lines(orders)],
            car_checked=True,
            pickup_spot="P-01",
        ),
    )
    services.pickup_arrived(actor=staff.of("advisor"), visit_id=visit.pk)
    checks = services.quality_settings(store).delivery_checks
    visit = Visit.all_objects.get(pk=visit.pk)
    delivery = services.delivery_record(
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
            rating=5,
            comment="讲解很清楚",
        ),
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
    return made + 2 + Job.all_objects.filter(order=comeback_order).count()


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
        made += _store_demo(store)
    return made
