"""The visits' part of ``aftersales demo``: in each demo store the reception script, the walk-around
checklist and a diagnosis fee, and today's cars on site in every stage of reception: a booking just
received, a car walked around with the customer (a scratch photographed), one diagnosed (fault codes,
recommended work), an order signed, one waiting for the customer's and the insurer's decisions (an
approval link sent), one in the workshop (with the recall's work where a car is affected), one whose
owner declined every repair after diagnosis (charged the diagnosis fee), and a customer who left
without an order.

Everything goes through the services, by the store's staff: the advisor receives, walks around, writes
and signs; the technician diagnoses; the foreman starts the work. Idempotent: a store that has visits is
left as it is.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from aftersales.appointments.models import Appointment
from aftersales.appointments.services.bookings import appointment_check_in
from aftersales.campaigns.selectors import vehicle_open_campaigns
from aftersales.catalogue.models import LabourOperation
from aftersales.core.calendar import store_calendar, store_today
from aftersales.core.demo import STORES, demo_username
from aftersales.core.models import Store, User
from aftersales.customers.models import Customer, Vehicle, VehicleLink
from aftersales.messaging.models import MessageTemplate
from aftersales.messaging.services import template_save
from aftersales.parts.models import Part, StockBalance
from aftersales.visits import services
from aftersales.visits.models import ChecklistItem, ReceptionSettings, Visit
from aftersales.visits.services.inspection import checklist_install
from aftersales.visits.services.links import EVENT, approval_link_send
from aftersales.visits.services.visits import last_reading

SCRIPT = "\n".join(
    [
        "【接待话术】",
        "1. 起身迎接，微笑问候：“您好，欢迎光临{store}，我是服务顾问，请问怎么称呼您？”",
        "2. 确认预约信息与联系方式，询问本次来店需求并复述确认。",
        "3. 当客户面铺好三件套，邀请客户一同环检，记录外观、贵重物品、油量和里程。",
        "4. 说明维修项目、费用估算和预计交车时间，请客户签字确认委托书。",
        "5. 询问等候方式：休息区等候可提供茶水和无线网络，也可安排代步。",
    ]
)
DIAGNOSIS_FEE = Decimal("100.00")
SIGN_NAME = "华东汽车"


@dataclass
class Staff:
    advisor: User
    technician: User
    foreman: User
    insurance: User
    warranty: User


def _staff(store: Store) -> Staff:
    users = {user.username: user for user in User.objects.filter(username__endswith=f"_{store.code.lower()}")}

    def of(role: str) -> User:
        return users[demo_username(role, store.code)]

    return Staff(of("advisor"), of("technician"), of("foreman"), of("insurance"), of("warranty"))


def _sms_activate() -> int:
    """Switch the approval link's SMS on with the demo signature and template code (once)."""
    template = MessageTemplate.objects.filter(event=EVENT, channel="sms", is_active=False).first()
    if template is None:
        return 0
    template_save(
        actor=None,
        template_id=template.pk,
        data={"sms_sign_name": SIGN_NAME, "sms_template_code": "SMS_210401", "is_active": True},
    )
    return 1


def _signature(name: str) -> str:
    """A signature as a pad sends it (PNG data URL): the name's strokes stand in for a hand."""
    image = Image.new("RGBA", (360, 120), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    points = [(20 + i * 12, 60 + (18 if i % 2 else -18) + len(name) * (i % 3)) for i in range(27)]
    draw.line(points, fill=(20, 20, 20, 255), width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _photo(label: str) -> SimpleUploadedFile:
    """A photo of a damage as a phone takes it (a JPEG), drawn here."""
    image = Image.new("RGB", (800, 600), (176, 182, 190))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 380, 800, 600), fill=(120, 126, 134))
    draw.line((180, 250, 520, 330), fill=(245, 245, 245), width=6)
    draw.line((200, 262, 470, 318), fill=(90, 90, 90), width=2)
    draw.text((20, 20), label, fill=(30, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return SimpleUploadedFile("damage.jpg", buffer.getvalue(), content_type="image/jpeg")


def _cars(store: Store, taken: set[int]) -> list[tuple[Customer, Vehicle]]:
    """Individual customers with one car of a brand the store serves, not booked today nor on site: the
    store's own customers first, then the group's."""
    brands = list(store.brands.values_list("code", flat=True))
    links = (
        VehicleLink.objects.filter(
            role=VehicleLink.Role.OWNER,
            valid_to__isnull=True,
            customer__kind=Customer.Kind.INDIVIDUAL,
            vehicle__model__brand__code__in=brands,
        )
        .exclude(vehicle_id__in=taken)
        .select_related("customer", "vehicle__model__brand")
        .order_by("-vehicle_id")
    )
    found: list[tuple[Customer, Vehicle]] = []
    seen: set[int] = set()
    for link in sorted(links[:400], key=lambda row: row.customer.home_store_id != store.pk):
        if link.customer_id in seen:
            continue
        seen.add(link.customer_id)
        found.append((link.customer, link.vehicle))
    return found


class Reception:
    def __init__(self, store: Store) -> None:
        self.store, self.staff = store, _staff(store)
        self.group_id = store.group_id
        first, last = store_calendar(store).day_bounds(store_today(store))
        booked = Appointment.all_objects.filter(starts_at__gte=first, starts_at__lt=last)
        on_site = Visit.all_objects.filter(state=Visit.State.ON_SITE).values_list("vehicle_id", flat=True)
        self.cars = _cars(store, {*booked.exclude(vehicle=None).values_list("vehicle_id", flat=True), *on_site})
        self.made = 0
        self.used: set[int] = set()

    def next_car(self, *, campaign: bool = False) -> tuple[Customer, Vehicle]:
        """The next car not received yet (with ``campaign``, one an open campaign affects, where there is)."""
        free = [(customer, vehicle) for customer, vehicle in self.cars if vehicle.pk not in self.used]
        if campaign:
            day = store_today(self.store)
            for customer, vehicle in free:
                if vehicle_open_campaigns(group_id=self.group_id, vehicle=vehicle, day=day):
                    return customer, vehicle
        return free[0]

    def operation(self, vehicle: Vehicle, code: str) -> LabourOperation:
        brand = vehicle.model.brand if vehicle.model else None
        return LabourOperation.objects.get(
            group_id=self.group_id, brand=brand, code=f"{brand.code if brand else ''}-{code}"
        )

    def part(self, vehicle: Vehicle, family: str) -> Part | None:
        if vehicle.model is None:
            return None
        brand_id = vehicle.model.brand_id
        in_stock = StockBalance.all_objects.filter(store=self.store, on_hand__gt=1).values("part_id")
        parts = Part.objects.filter(group_id=self.group_id, brand_id=brand_id, name__startswith=family)
        return parts.filter(pk__in=in_stock).order_by("pk").first() or parts.order_by("pk").first()

    def open(
        self, customer: Customer, vehicle: Vehicle, *, appointment: Appointment | None = None, **extra: object
    ) -> Visit:
        reading = last_reading(vehicle)
        data = services.VisitIn(
            store_id=self.store.pk,
            appointment_id=appointment.pk if appointment else None,
            customer_id=customer.pk,
            vehicle_id=vehicle.pk,
            mileage_in=(reading.km if reading else 18_000) + 2_350,
            fuel_level=5,
            contact_verified=True,
            address_as=f"{customer.name[0]}{'女士' if customer.gender == 'female' else '先生'}",
            parking_spot=f"A-{self.made + 3:02d}",
            key_tag=f"K-{self.made + 11:02d}",
            promised_at=timezone.now() + timedelta(hours=3),
            lounge_notes="绿茶，需要无线网络" if self.made % 2 == 0 else "",
        )
        for name, value in extra.items():
            setattr(data, name, value)
        self.made += 1
        self.used.add(vehicle.pk)
        return services.visit_open(actor=self.staff.advisor, data=data)

    def walk_around(self, visit: Visit, *, photo: bool) -> None:
        items = list(ChecklistItem.objects.filter(store=self.store, is_active=True).order_by("position"))
        checks = {item.pk: ("green", "") for item in items}
        tyres = next((item for item in items if item.code == "tyres"), None)
        if tyres is not None:
            checks[tyres.pk] = ("amber", "右前轮花纹接近磨损极限")
        advisor = self.staff.advisor
        services.walk_around_save(
            actor=advisor,
            visit_id=visit.pk,
            data=services.WalkAroundIn(
                covers_fitted=True,
                valuables="行车记录仪、雨伞",
                tyres={"fl": "5.5", "fr": "2.1", "rl": "6.0", "rr": "6.2"},
                checks=checks,
            ),
        )
        services.damage_add(
            actor=advisor,
            visit_id=visit.pk,
            kind="scratch",
            x=310,
            y=180,
            note="左前门划痕约 8 厘米",
            photo=_photo(visit.number) if photo else None,
        )
        services.damage_add(actor=advisor, visit_id=visit.pk, kind="chip", x=500, y=90, note="前挡风玻璃小崩点")
        services.walk_around_complete(
            actor=advisor, visit_id=visit.pk, signature=_signature(visit.contact_name), signer_name=visit.contact_name
        )

    def diagnose(self, visit: Visit, codes: list[str], symptoms: str, recommend: str = "") -> None:
        services.diagnosis_save(
            actor=self.staff.technician,
            visit_id=visit.pk,
            data=services.DiagnosisIn(
                symptoms=symptoms,
                cause_analysis="读取故障码并路试复现，结合数据流分析。",
                equipment="VAS 6150",
                codes=codes,
            ),
        )
        if recommend:
            services.recommendation_add(
                actor=self.staff.technician,
                visit_id=visit.pk,
                data=services.RecommendationIn(
                    operation_id=self.operation(visit.vehicle, recommend).pk,
                    fault_code=codes[0] if codes else "",
                    symptom=symptoms[:200],
                ),
            )

    def sign(self, visit: Visit, lines: list[services.LineIn], statement: str) -> int:
        order = services.repair_order_create(
            actor=self.staff.advisor,
            visit_id=visit.pk,
            data=services.OrderIn(
                statement=statement,
                signature=_signature(visit.contact_name),
                signed_name=visit.contact_name,
                lines=lines,
                road_test_consent=True,
            ),
        )
        return order.pk


def _store_demo(store: Store) -> int:
    ReceptionSettings.objects.update_or_create(
        store=store,
        defaults={"reception_script": SCRIPT.format(store=store.name), "diagnosis_fee": DIAGNOSIS_FEE},
    )
    checklist_install(store)
    desk = Reception(store)
    advisor = desk.staff.advisor
    # A booking of today whose customer is here: received (checked in first where it was not).
    booking = (
        Appointment.all_objects.filter(
            store=store,
            state__in=(Appointment.State.ARRIVED, Appointment.State.BOOKED),
            starts_at__date=store_today(store),
            visit__isnull=True,
        )
        .exclude(vehicle=None)
        .exclude(customer=None)
        .order_by("starts_at")
        .first()
    )
    if booking is not None and booking.customer is not None and booking.vehicle is not None:
        if booking.state == Appointment.State.BOOKED:
            appointment_check_in(actor=advisor, appointment_id=booking.pk)
        desk.open(booking.customer, booking.vehicle, appointment=booking, needs=booking.description or "按预约保养")
    # Walked around with the customer.
    customer, vehicle = desk.next_car()
    visit = desk.open(customer, vehicle, needs="例行保养，顺便检查轮胎")
    desk.walk_around(visit, photo=True)
    # Diagnosed: the engine shakes at idle.
    customer, vehicle = desk.next_car()
    visit = desk.open(customer, vehicle, needs="怠速抖动，故障灯亮")
    desk.walk_around(visit, photo=False)
    desk.diagnose(visit, ["P0301", "P1128"], "怠速抖动，发动机故障灯常亮", recommend="E02")
    # Order signed: the maintenance the customer asked for.
    customer, vehicle = desk.next_car()
    visit = desk.open(customer, vehicle, needs="1万公里保养")
    desk.walk_around(visit, photo=False)
    filter_ = desk.part(vehicle, "机油滤清器")
    desk.sign(
        visit,
        [
            services.LineIn(kind="labour", operation_id=desk.operation(vehicle, "M01").pk),
            *([services.LineIn(kind="part", part_id=filter_.pk, quantity=Decimal(1))] if filter_ else []),
        ],
        "1万公里保养",
    )
    # Waiting for the customer (a link sent) and the insurer (定损) on the bumper.
    customer, vehicle = desk.next_car()
    visit = desk.open(customer, vehicle, needs="保养；刹车有异响；前保险杠刮擦走保险")
    desk.walk_around(visit, photo=True)
    desk.diagnose(visit, ["C1234"], "低速制动时前轮异响")
    pads = desk.part(vehicle, "前刹车片")
    order_id = desk.sign(
        visit,
        [
            services.LineIn(kind="labour", operation_id=desk.operation(vehicle, "M01").pk),
            services.LineIn(
                kind="labour",
                source="diagnosis",
                operation_id=desk.operation(vehicle, "B01").pk,
                fault_code="C1234",
                symptom="低速制动时前轮异响",
                causal_part_id=pads.pk if pads else None,
            ),
            *([services.LineIn(kind="part", source="diagnosis", part_id=pads.pk, quantity=Decimal(1))] if pads else []),
            services.LineIn(kind="labour", pay_type="insurance", operation_id=desk.operation(vehicle, "S01").pk),
            services.LineIn(kind="labour", pay_type="insurance", operation_id=desk.operation(vehicle, "S02").pk),
        ],
        "保养；刹车异响；前保险杠刮擦（保险）",
    )
    approval_link_send(actor=advisor, order_id=order_id, base_url="http://127.0.0.1:8000/")
    # In the workshop: brake pads approved and the work started, with the recall's work where the car is affected.
    customer, vehicle = desk.next_car(campaign=True)
    visit = desk.open(customer, vehicle, needs="更换前刹车片")
    desk.walk_around(visit, photo=False)
    lines = [services.LineIn(kind="labour", operation_id=desk.operation(vehicle, "B01").pk)]
    campaigns = vehicle_open_campaigns(group_id=store.group_id, vehicle=vehicle, day=store_today(store))
    if campaigns:
        lines += services.campaign_lines(campaigns[0])
    order_id = desk.sign(visit, lines, "更换前刹车片" + ("；召回检修" if campaigns else ""))
    # The foreman starts the order; its labour is dispatched and clocked in the workshop (workshop.demo).
    services.repair_order_transition(actor=desk.staff.foreman, order_id=order_id, action="start_work")
    # Every repair declined after the diagnosis: the diagnosis fee.
    customer, vehicle = desk.next_car()
    visit = desk.open(customer, vehicle, needs="发动机故障灯亮")
    desk.diagnose(visit, ["P0301"], "发动机故障灯亮，偶发抖动")
    order_id = desk.sign(
        visit,
        [
            services.LineIn(
                kind="labour", source="diagnosis", operation_id=desk.operation(vehicle, "E02").pk, fault_code="P0301"
            )
        ],
        "检查发动机故障灯",
    )
    line = visit.orders.get().lines.get()
    services.approvals_record(
        actor=advisor,
        order_id=order_id,
        data=services.ApprovalIn(
            kind="customer_phone",
            person=visit.contact_name,
            decisions=[services.Decision(line.pk, False, "暂不维修，回去再考虑")],
        ),
    )
    # Left without an order.
    customer, vehicle = desk.next_car()
    visit = desk.open(customer, vehicle, needs="咨询轮胎价格")
    services.visit_leave(actor=advisor, visit_id=visit.pk, reason="只咨询价格，未下单")
    return desk.made


@transaction.atomic
def visits_demo_install() -> int:
    """Install today's visits of both demo stores once; returns the visits made (0 when they exist)."""
    made = _sms_activate()
    for spec in STORES:
        store = Store.all_objects.filter(code=spec["code"]).first()
        if store is None or Visit.all_objects.filter(store=store).exists():
            continue
        made += _store_demo(store)
    return made
