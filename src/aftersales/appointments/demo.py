"""Appointments' part of ``aftersales demo``: in each demo store the booking settings (the agent's
booking script, the route), four technicians with weekly shifts, and bookings of the last open day,
today and tomorrow in every state, with tomorrow's package parts pre-picked (one staged, one short);
the appointment SMS switched on with the demo signature.

Everything is booked, moved on, cancelled, checked in and pre-picked through the services, by the
store's staff (the CRM agent books, the front desk takes walk-ins and checks in, the parts clerk
pre-picks). How the past gets its bookings: the services refuse a start that has passed, so a booking
of the last open day, or of today before now, is booked on its **twin day** (the same weekday one to
eight weeks ahead, of the same kind and business hours and with nothing booked yet, so its capacity
is the same), and then its times are moved back by those weeks with bulk updates, as the purchasing
demo moves its year of orders: arrival, planned work, wish and call time, booking time and events.
The confirmation, put in the outbox after the commit, reads the moved time. Customers who came are
then checked in (their arrival set a few minutes before the start), and the no-show job marks the
rest. The bookings still to come were taken a few days ago: today's had their reminder when it fell
due yesterday (recorded as the job records it), and the reminder job, run once at the end, sends
tomorrow's that are due and today's same-day ones.

Idempotent: a store that has appointments is left as it is (its technicians and settings too).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from aftersales.appointments import services
from aftersales.appointments.models import (
    Appointment,
    AppointmentEvent,
    AppointmentService,
    BookingSettings,
    Leave,
    Technician,
)
from aftersales.appointments.services.messages import EVENTS
from aftersales.catalogue.models import LabourOperation, PackageItem, ServicePackage
from aftersales.core.calendar import StoreCalendar, store_calendar
from aftersales.core.demo import STORES, demo_username
from aftersales.core.errors import ConflictError
from aftersales.core.models import Certificate, StaffProfile, Store, User
from aftersales.core.permissions import ROLE_DEFAULTS
from aftersales.customers.models import Customer, Vehicle, VehicleLink
from aftersales.messaging.models import MessageTemplate
from aftersales.messaging.services import template_save
from aftersales.parts.models import StockBalance
from aftersales.parts.services import Demand, stock_reserve

SIGN_NAME = "华东汽车"
SMS_CODES = {event: f"SMS_2100{index + 1:02d}" for index, event in enumerate(EVENTS)}

BOOKING_SCRIPT = "\n".join(
    [
        "【预约话术】",
        "1. 问候：您好，这里是{store}客户服务中心，我是客服专员，请问有什么可以帮您？",
        "2. 核实身份：请问您的车牌号是多少？车主姓名和联系电话有没有变化？",
        "3. 了解需求：这次是做保养还是维修？现在大概开了多少公里？车辆有没有异响、故障灯亮、漏油等情况？"
        "（把客户的原话记在“问题描述”里）",
        "4. 推荐时间：根据车间排班，给您推荐两个时间：明天上午九点一刻或者十点，您看哪个方便？"
        "（先报系统推荐的两个时间，客户都不方便再换）",
        "5. 告知事项：来店请带上行驶证和保养手册；常规保养大约一个半小时，您可以在客户休息区等候，"
        "店里有免费Wi-Fi和茶点。",
        "6. 复述确认：逐项读回到店日期和时间、车牌号、预约项目和接待的服务顾问，请客户确认。"
        "预约成功后会短信通知您，来店前一天我们会再提醒您。",
        "7. 结束：感谢您的来电，祝您用车愉快，再见！",
    ]
)

ROUTES = {
    "SH01": "地铁9号线金桥站2号口出，沿金桥路向东步行约8分钟；自驾导航“上海浦东4S店”，预约客户可停在店门口接待区。",
    "SZ01": "地铁1号线星湖街站3号口出，步行约5分钟；自驾导航“苏州园区4S店”，地下停车场B1层有预约客户专用车位。",
}

# The technicians of each demo store: (role of the demo user, skill level, efficiency, certificate
# kinds, weekly shifts: weekday -> (from, until)). Every day has three or four of them, a senior among them.
WEEKDAYS = range(7)
TECHNICIANS: list[tuple[str, str, str, tuple[str, ...], dict[int, tuple[str, str]]]] = [
    ("technician", "intermediate", "1.00", (), {d: ("08:30", "17:30") for d in WEEKDAYS if d != 6}),
    ("expert", "senior", "1.15", ("brand", "ev_hv"), {d: ("09:00", "18:00") for d in WEEKDAYS if d != 0}),
    ("washer", "junior", "0.90", (), {d: ("08:30", "17:30") for d in WEEKDAYS if d != 3}),
    ("foreman", "senior", "1.10", (), dict.fromkeys(range(5), ("08:30", "18:00")) | {6: ("09:00", "17:00")}),
]


@dataclass(frozen=True)
class Spec:
    """One demo booking: the day (-1: the last open day, 0: today, 1: tomorrow), the wished arrival,
    services (``package:MS10K`` / ``operation:C03``, of the car's brand), the channel, what happens to it
    and what the customer said. ``walk_in`` is a contact without a record in the archive."""

    day: int
    at: str
    services: tuple[str, ...]
    channel: str
    outcome: str  # booked, arrived, no_show, cancelled; tomorrow's also staged, reserved, short
    description: str = ""
    reason: str = ""
    walk_in: tuple[str, str, str] | None = None  # name, mobile, plate after the city's prefix


BOOKINGS: list[Spec] = [
    Spec(-1, "08:30", ("package:MS10K",), "phone", "arrived", "到1万公里了，做常规保养"),
    Spec(-1, "09:00", ("operation:C03",), "online", "arrived", "方向盘跑偏，高速时有点抖"),
    Spec(-1, "09:30", ("package:BRK",), "phone", "no_show", "刹车时有吱吱的异响"),
    Spec(-1, "10:00", ("operation:M09",), "walk_in", "arrived", "路过顺便做个免费检测",
         walk_in=("钱先生", "13761234567", "D52318")),
    Spec(-1, "14:00", ("package:FS5K",), "phone", "cancelled", "新车首保", reason="客户临时出差，回来后再约"),
    Spec(-1, "15:00", ("operation:A01",), "phone", "arrived", "空调制冷效果差，出风口有异味"),
    Spec(0, "08:30", ("package:MS20K",), "phone", "arrived", "2万公里保养"),
    Spec(0, "09:00", ("operation:E01",), "walk_in", "arrived", "电瓶亏电，早上打不着火",
         walk_in=("孙女士", "13524681357", "F86421")),
    Spec(0, "09:45", ("operation:C03",), "phone", "no_show", "换了轮胎后做四轮定位"),
    Spec(0, "10:30", ("package:MS10K",), "online", "arrived", "常规保养，顺便看看雨刮"),
    Spec(0, "11:00", ("operation:B01",), "phone", "cancelled", "前刹车片报警", reason="车辆在外地，已就近维修"),
    Spec(0, "13:30", ("operation:M09", "operation:W01"), "phone", "arrived", "长途回来做个检查，洗个车"),
    Spec(0, "14:30", ("package:FS5K",), "api", "arrived", "首保（官方App预约）"),
    Spec(0, "15:30", ("operation:A01",), "phone", "arrived", "空调不够凉"),
    Spec(0, "16:30", ("operation:E03",), "phone", "arrived", "仪表盘偶尔黑屏"),
    Spec(1, "08:30", ("package:MS10K",), "phone", "staged", "1万公里保养"),
    Spec(1, "09:00", ("operation:C03", "operation:C04"), "online", "booked", "换季换轮胎，做定位和动平衡"),
    Spec(1, "09:30", ("package:MS20K",), "phone", "reserved", "2万公里保养，等候取车"),
    Spec(1, "10:00", ("operation:H01",), "phone", "booked", "高压系统报警灯亮过一次"),
    Spec(1, "10:30", ("package:MS20K",), "phone", "short", "2万公里保养"),
    Spec(1, "11:00", ("operation:B01",), "phone", "booked", "刹车踏板变软"),
    Spec(1, "14:00", ("package:FS5K",), "api", "booked", "首保（官方App预约）"),
    Spec(1, "15:00", ("operation:A01",), "phone", "cancelled", "空调有异味", reason="客户改约下周"),
    Spec(1, "16:00", ("operation:M09",), "phone", "booked", "出远门前检查一下"),
]  # fmt: skip
PLATE_PREFIX = {"SH01": "沪B", "SZ01": "苏E"}  # a walk-in's new-energy plate, of the store's city
EV_BRANDS = ("BYD", "VW")  # the brands whose catalogue has the EV operations (catalogue.demo)
PAST_ARRIVAL_MINUTES = (6, 12, 3, 9)  # how early the customers who came were


@dataclass
class Staff:
    manager: User
    agent: User
    desk: User
    parts: User


def _staff(store: Store) -> Staff:
    users = {user.username: user for user in User.objects.filter(username__endswith=f"_{store.code.lower()}")}

    def of(role: str) -> User:
        return users[demo_username(role, store.code)]

    return Staff(manager=of("manager"), agent=of("crm"), desk=of("frontdesk"), parts=of("parts"))


def _sms_activate() -> int:
    """Switch the appointment SMS on with the demo signature and template codes (once)."""
    activated = 0
    for template in MessageTemplate.objects.filter(event__in=EVENTS, channel="sms", is_active=False).order_by("pk"):
        template_save(
            actor=None,
            template_id=template.pk,
            data={"sms_sign_name": SIGN_NAME, "sms_template_code": SMS_CODES[template.event], "is_active": True},
        )
        activated += 1
    return activated


def _online_booking(store: Store, manager: User) -> None:
    """The store takes bookings on its own page, the one-time code SMS switched on for it."""
    template = MessageTemplate.objects.filter(event="verification_code", channel="sms", is_active=False).first()
    if template is not None:
        template_save(
            actor=None,
            template_id=template.pk,
            data={"sms_sign_name": SIGN_NAME, "sms_template_code": "SMS_210099", "is_active": True},
        )
    services.booking_settings_save(actor=manager, store_id=store.pk, data={"online_booking": True})


def _technicians(store: Store, staff: Staff) -> int:
    """The demo's workshop users as technicians, with skill levels and certificates where missing."""
    brand = store.brands.order_by("code").first()
    created = 0
    for role, skill, efficiency, certificates, shifts in TECHNICIANS:
        user = User.objects.get(username=demo_username(role, store.code))
        index = next(i for i, default in enumerate(ROLE_DEFAULTS) if default.code == role)
        profile, new = StaffProfile.objects.get_or_create(
            user=user, defaults={"employee_no": f"{store.code}-{index + 1:03d}", "skill_level": skill}
        )
        created += new
        held = set(Certificate.objects.filter(profile=profile).values_list("kind", flat=True))
        for kind in certificates:
            if kind in held:
                continue
            Certificate.objects.create(
                profile=profile,
                kind=kind,
                name=f"{brand.name}认证技师" if kind == "brand" and brand else "新能源汽车高压作业证",
                brand=brand if kind == "brand" else None,
                valid_from=date(2025, 3, 1),
                valid_until=date(2028, 2, 28),
            )
            created += 1
        services.technician_save(
            actor=staff.manager,
            store_id=store.pk,
            user_id=user.pk,
            efficiency=Decimal(efficiency),
            shifts=shifts,
        )
        created += 1 + len(shifts)
    return created


def _drivers(store: Store) -> list[tuple[Customer, Vehicle, str]]:
    """Customers of the store's archive with one car of a brand the store serves (the first 30)."""
    brands = list(store.brands.values_list("code", flat=True))
    found: list[tuple[Customer, Vehicle, str]] = []
    links = (
        VehicleLink.objects.filter(
            role=VehicleLink.Role.OWNER,
            valid_to__isnull=True,
            customer__home_store=store,
            customer__kind=Customer.Kind.INDIVIDUAL,
            vehicle__model__brand__code__in=brands,
        )
        .select_related("customer", "vehicle__model__brand")
        .order_by("customer_id", "vehicle_id")
    )
    seen: set[int] = set()
    for link in links[:60]:
        if link.customer_id in seen or link.vehicle.model is None:
            continue
        seen.add(link.customer_id)
        found.append((link.customer, link.vehicle, link.vehicle.model.brand.code))
    return found[:30]


def _refs(group_id: int, brand: str, spec: Spec) -> list[str]:
    refs = []
    for ref in spec.services:
        kind, code = ref.split(":")
        model = ServicePackage if kind == "package" else LabourOperation
        pk = model.objects.filter(group_id=group_id, code=f"{brand}-{code}").values_list("pk", flat=True).first()
        refs.append(f"{kind}:{pk}")
    return refs


def _twin(store: Store, calendar: StoreCalendar, day: date, today: date) -> date | None:
    """A day one to eight weeks after ``day`` with the same capacity and nothing booked (after tomorrow)."""
    hours = calendar.hours(day)
    if hours is None:
        return None
    for weeks in range(1, 9):
        twin = day + timedelta(weeks=weeks)
        twin_hours = calendar.hours(twin)
        if (
            twin > today + timedelta(days=1)
            and twin_hours is not None
            and calendar.day_kind(twin) == calendar.day_kind(day)
            and [moment.time() for moment in twin_hours] == [moment.time() for moment in hours]
            and not Appointment.all_objects.filter(
                store=store, starts_at__range=calendar.day_bounds(twin), state__in=("booked", "arrived")
            ).exists()
        ):
            return twin
    return None


def _start(calendar: StoreCalendar, day: date, at: str) -> datetime | None:
    """The spec's time on ``day``, moved into the day's business hours (a holiday's are shorter)."""
    hours = calendar.hours(day)
    if hours is None:
        return None
    start = datetime.combine(day, time.fromisoformat(at), tzinfo=calendar.zone)
    return min(max(start, hours[0]), hours[1] - timedelta(minutes=45))


class Booker:
    """Books one store's demo bookings through the services."""

    def __init__(self, store: Store, staff: Staff) -> None:
        self.store, self.staff = store, staff
        self.calendar = store_calendar(store)
        self.now = timezone.now()
        self.today = self.calendar.local_date(self.now)
        self.drivers = _drivers(store)
        self.used: set[int] = set()
        self.booked: dict[Spec, Appointment] = {}

    def gone(self, spec: Spec, day: date) -> bool:
        """Whether the booking's time on ``day`` has passed (or the store is closed that day)."""
        start = _start(self.calendar, day, spec.at)
        return start is None or start <= self.now

    def driver(self, spec: Spec) -> tuple[Customer, Vehicle, str] | None:
        ev = any(ref.startswith("operation:H") for ref in spec.services)
        for index, (customer, vehicle, brand) in enumerate(self.drivers):
            if index not in self.used and (brand in EV_BRANDS or not ev):
                self.used.add(index)
                return customer, vehicle, brand
        return None

    def book(self, spec: Spec, starts_at: datetime) -> Appointment | None:
        """Book ``spec`` at ``starts_at``, or at the first time offered when that one is taken."""
        walk_in = spec.walk_in
        driver = None if walk_in else self.driver(spec)
        if walk_in is None and driver is None:
            return None
        brand = driver[2] if driver else self.store.brands.order_by("code").values_list("code", flat=True)[0]
        data = services.BookingIn(
            starts_at=starts_at,
            services=_refs(self.store.group_id, brand, spec),
            channel=spec.channel,
            customer_id=driver[0].pk if driver else None,
            vehicle_id=driver[1].pk if driver else None,
            contact_name=walk_in[0] if walk_in else "",
            contact_mobile=walk_in[1] if walk_in else "",
            plate_text=PLATE_PREFIX.get(self.store.code, "") + walk_in[2] if walk_in else "",
            wish_at=starts_at,
            description=spec.description,
        )
        actor = self.staff.desk if spec.channel == "walk_in" else self.staff.agent
        for _attempt in range(2):
            try:
                return services.appointment_book(actor=actor, store_id=self.store.pk, data=data)
            except ConflictError as error:
                offered = error.extra.get("offered") or []
                if not offered:
                    return None
                local = self.calendar.local(data.starts_at)
                data.starts_at = datetime.combine(local.date(), time.fromisoformat(offered[0]), tzinfo=local.tzinfo)
        return None

    def booked_at(self, day: date, index: int) -> datetime:
        """When the agent took the booking: two to four days before its day, in office hours."""
        taken = datetime.combine(day - timedelta(days=2 + index % 3), time(9, 10), tzinfo=self.calendar.zone)
        return min(taken + timedelta(minutes=23 * index), self.now - timedelta(hours=1))

    def _backdate(self, appointment: Appointment, at: datetime) -> None:
        Appointment.all_objects.filter(pk=appointment.pk).update(created_at=at)
        AppointmentEvent.objects.filter(appointment=appointment, action="book").update(at=at)
        appointment.created_at = at

    def _reminded_yesterday(self, appointment: Appointment) -> None:
        """Today's booking had its reminder when it fell due yesterday (the job ran then), as the job
        records it; run today, the job would send "see you tomorrow" for today."""
        settings = BookingSettings.objects.get(store=self.store)
        due = appointment.starts_at - timedelta(hours=settings.reminder_hours)
        Appointment.all_objects.filter(pk=appointment.pk).update(reminder_sent_at=due)
        event = AppointmentEvent.objects.create(
            appointment=appointment,
            action="reminder",
            from_state=appointment.state,
            to_state=appointment.state,
            note="appointment_reminder",
        )
        AppointmentEvent.objects.filter(pk=event.pk).update(at=due)

    def past(self, day: date, specs: list[Spec]) -> None:
        """Book ``specs`` of a day gone by on its twin day, then move them back to ``day``."""
        twin = _twin(self.store, self.calendar, day, self.today)
        if twin is None:
            return
        back = timedelta(days=(twin - day).days)
        # All of the day's bookings are placed on the twin day first, each seeing the ones before it,
        # and only then moved back together: moved one by one, each would find the twin day empty.
        placed = []
        for spec in specs:
            start = _start(self.calendar, twin, spec.at)
            appointment = self.book(spec, start) if start is not None else None
            if appointment is not None:
                placed.append((spec, appointment))
        for spec, appointment in placed:
            self._move_back(appointment, back)
            self._backdate(appointment, self.booked_at(day, BOOKINGS.index(spec)))
            self.booked[spec] = appointment

    def _shifted(self, moment: datetime | None, back: timedelta) -> datetime | None:
        # In the store's zone, so that the wall-clock time stays what it was on the twin day.
        return self.calendar.local(moment) - back if moment is not None else None

    def _move_back(self, appointment: Appointment, back: timedelta) -> None:
        fields: dict[str, Any] = {
            name: self._shifted(getattr(appointment, name), back)
            for name in ("starts_at", "ends_at", "wish_at", "call_at")
        }
        Appointment.all_objects.filter(pk=appointment.pk).update(**fields)
        for row in AppointmentService.objects.filter(appointment=appointment):
            AppointmentService.objects.filter(pk=row.pk).update(
                starts_at=self._shifted(row.starts_at, back), ends_at=self._shifted(row.ends_at, back)
            )
        # The confirmation goes out after the commit with this instance's time: the moved one.
        for name, value in fields.items():
            setattr(appointment, name, value)

    def settle_past(self, spec: Spec, appointment: Appointment) -> None:
        """What happened to a booking gone by: cancelled the day before, or the customer came (a walk-in
        was booked at the desk as they came in)."""
        index = BOOKINGS.index(spec)
        if spec.outcome == "cancelled":
            services.appointment_cancel(actor=self.staff.agent, appointment_id=appointment.pk, reason=spec.reason)
            at = max(appointment.starts_at - timedelta(hours=20), appointment.created_at + timedelta(hours=1))
            AppointmentEvent.objects.filter(appointment=appointment, action="cancel").update(at=min(at, self.now))
        elif spec.outcome == "arrived":
            services.appointment_check_in(actor=self.staff.desk, appointment_id=appointment.pk)
            arrived = min(appointment.starts_at - timedelta(minutes=PAST_ARRIVAL_MINUTES[index % 4]), self.now)
            Appointment.all_objects.filter(pk=appointment.pk).update(arrived_at=arrived)
            AppointmentEvent.objects.filter(appointment=appointment, action="check_in").update(at=arrived)
            if spec.channel == "walk_in":
                self._backdate(appointment, arrived - timedelta(minutes=2))

    def ahead(self, spec: Spec, day: date) -> None:
        """Book a booking still to come (a walk-in still to come is a booking on the phone), as taken a
        few days ago: its reminder is due."""
        start = _start(self.calendar, day, spec.at)
        if start is None or start <= self.now:
            return
        appointment = self.book(replace(spec, channel="phone") if spec.channel == "walk_in" else spec, start)
        if appointment is None:
            return
        self._backdate(appointment, self.booked_at(day, BOOKINGS.index(spec)))
        self.booked[spec] = appointment
        if day == self.today:
            self._reminded_yesterday(appointment)
        if spec.outcome == "cancelled":
            services.appointment_cancel(actor=self.staff.agent, appointment_id=appointment.pk, reason=spec.reason)


def _last_open_day(calendar: StoreCalendar, today: date) -> date:
    day = today - timedelta(days=1)
    while calendar.hours(day) is None and day > today - timedelta(days=14):
        day -= timedelta(days=1)
    return day


def _hold_last_pieces(store: Store, appointment: Appointment) -> None:
    """An open repair order holds what is left of the scarcest part of the booking's packages, so that
    its pre-pick comes up short (as the parts demo's open repair orders hold stock)."""
    packages = AppointmentService.objects.filter(appointment=appointment, package__isnull=False).values("package_id")
    parts = PackageItem.objects.filter(package__in=packages, kind=PackageItem.Kind.PART).values_list(
        "part_id", flat=True
    )
    available = (
        StockBalance.all_objects.filter(store=store, part_id__in=list(parts))
        .values("part_id")
        .annotate(free=Sum(F("on_hand") - F("reserved")))
        .filter(free__gt=0)
        .order_by("free", "part_id")
        .first()
    )
    if available is not None:
        stock_reserve(
            actor=None,
            store_id=store.pk,
            demands=[Demand(available["part_id"], available["free"], "repair_order", 900_100, 9_001_000)],
        )


def _prepick(store: Store, staff: Staff, booker: Booker) -> None:
    """The parts clerk's day-before work on tomorrow's package bookings."""
    for spec, appointment in booker.booked.items():
        if spec.outcome not in ("staged", "reserved", "short") or appointment.parts_status != "to_pick":
            continue
        if spec.outcome == "short":
            _hold_last_pieces(store, appointment)
        picked = services.appointment_prepick(actor=staff.parts, appointment_id=appointment.pk)
        if spec.outcome == "staged" and picked.parts_status == "reserved":
            services.appointment_stage(actor=staff.parts, appointment_id=appointment.pk)


def _store_demo(store: Store) -> int:
    staff = _staff(store)
    services.booking_settings_save(
        actor=staff.manager,
        store_id=store.pk,
        data={
            "booking_script": BOOKING_SCRIPT.format(store=store.name),
            "route": ROUTES.get(store.code, ""),
            "same_day_reminder": store.code == "SH01",
        },
    )
    _online_booking(store, staff.manager)
    created = 1 + _technicians(store, staff)
    booker = Booker(store, staff)
    tomorrow = booker.today + timedelta(days=1)
    # The expert is at a training course tomorrow afternoon.
    expert = Technician.all_objects.get(store=store, user__username=demo_username("expert", store.code))
    starts_at = datetime.combine(tomorrow, time(13, 0), tzinfo=booker.calendar.zone)
    ends_at = datetime.combine(tomorrow, time(18, 0), tzinfo=booker.calendar.zone)
    if not Leave.objects.filter(technician=expert, starts_at__lt=ends_at, ends_at__gt=starts_at).exists():
        services.leave_add(
            actor=staff.manager,
            technician_id=expert.pk,
            starts_at=starts_at,
            ends_at=ends_at,
            reason="新能源高压安全复训",
        )
    days = {-1: _last_open_day(booker.calendar, booker.today), 0: booker.today, 1: tomorrow}
    gone = [spec for spec in BOOKINGS if spec.day < 0 or (spec.day == 0 and booker.gone(spec, booker.today))]
    for day in (days[-1], booker.today):
        booker.past(day, [spec for spec in gone if days[spec.day] == day])
    for spec, appointment in list(booker.booked.items()):
        booker.settle_past(spec, appointment)
    for spec in BOOKINGS:
        if spec.day >= 0 and spec not in gone:
            booker.ahead(spec, days[spec.day])
    _prepick(store, staff, booker)
    return created + len(booker.booked)


@transaction.atomic
def appointments_demo_install() -> int:
    """Install the appointments of both demo stores once; returns the rows made (0 when they exist)."""
    created = _sms_activate()
    for spec in STORES:
        store = Store.all_objects.filter(code=spec["code"]).first()
        if store is None or Appointment.all_objects.filter(store=store).exists():
            continue
        created += _store_demo(store)
    if created:
        services.appointments_mark_no_show()
        services.appointments_remind()
    return created
