"""Campaigns' part of ``aftersales demo``: an open recall of the first demo store's brand that hits demo
vehicles (the manufacturer's VIN list and a model built in a period), opened by the warranty clerk so
that its owners are notified through the outbox and the unreachable get a call task; a few owners then
reached and two cars booked for the work through the booking service; and an open service campaign (a
free air-conditioning check) of one model, which the bookings offer.

Idempotent: a group that has the recall already is left as it is."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from aftersales.appointments import services as appointments
from aftersales.campaigns import services
from aftersales.campaigns.models import Campaign, Outreach
from aftersales.campaigns.services.outreach import EVENT
from aftersales.catalogue import services as catalogue
from aftersales.catalogue.demo import TAX_CODE_REPAIR
from aftersales.catalogue.models import LabourOperation
from aftersales.core.calendar import store_calendar
from aftersales.core.demo import STORES, demo_username
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Brand, Store, User
from aftersales.customers.models import Vehicle, VehicleLink
from aftersales.messaging.models import MessageTemplate
from aftersales.messaging.services import template_save

SIGN_NAME = "华东汽车"
RECALL = "RC-2026-017"
SERVICE = "SC-2026-AC"
LISTED = 12
RECALL_OPERATION = "R01"


def _sms_activate() -> int:
    """Switch the recall notice's SMS on with the demo signature and template code (once)."""
    template = MessageTemplate.objects.filter(event=EVENT, channel="sms", is_active=False).first()
    if template is None:
        return 0
    template_save(
        actor=None,
        template_id=template.pk,
        data={"sms_sign_name": SIGN_NAME, "sms_template_code": "SMS_210301", "is_active": True},
    )
    return 1


def _recall_operation(store: Store, brand: Brand) -> LabourOperation:
    """The recall's own labour operation, as a manufacturer's recall bulletin names it."""
    code = f"{brand.code}-{RECALL_OPERATION}"
    existing = LabourOperation.objects.filter(group_id=store.group_id, brand=brand, code=code)
    return existing.first() or catalogue.operation_save(
        actor=None,
        group_id=store.group_id,
        code=code,
        brand_id=brand.pk,
        data={
            "name": "更换燃油泵总成（召回）",
            "name_en": "Fuel pump assembly replacement (recall)",
            "category": "engine",
            "default_hours": Decimal("1.20"),
            "skill_level": "intermediate",
            "bay_kind": "general_lift",
            "repair_category": "special",
            "tax_code": TAX_CODE_REPAIR,
        },
    )


def _operation(store: Store, brand_id: int, category: str) -> LabourOperation | None:
    rows = LabourOperation.objects.filter(group_id=store.group_id, is_active=True, brand_id=brand_id)
    return rows.filter(category=category).order_by("code").first() or rows.order_by("code").first()


def _book(store: Store, actor: User, outreach: Outreach, operation_id: int) -> int:
    """Book the recalled car for the work on one of the next open days; 0 when none has room."""
    calendar = store_calendar(store)
    owner = VehicleLink.objects.filter(vehicle_id=outreach.vehicle_id, role="owner", valid_to__isnull=True).first()
    for days in range(2, 9):
        day = calendar.local_date(timezone.now()) + timedelta(days=days)
        try:
            appointments.appointment_book(
                actor=actor,
                store_id=store.pk,
                data=appointments.BookingIn(
                    starts_at=datetime.combine(day, time(10, 30), tzinfo=calendar.zone),
                    services=[f"operation:{operation_id}"],
                    channel="phone",
                    customer_id=owner.customer_id if owner else None,
                    vehicle_id=outreach.vehicle_id,
                    contact_name=owner.customer.name if owner else "车主",
                    description="召回检修",
                ),
            )
        except ApplicationError:
            continue
        return 1
    return 0


@transaction.atomic
def campaigns_demo_install() -> int:
    """Install the demo recall and service campaign once; returns the rows made (0 when they exist)."""
    store = Store.all_objects.filter(code=STORES[0]["code"]).first()
    if store is None or Campaign.objects.filter(group_id=store.group_id, code=RECALL).exists():
        return 0
    brand = store.brands.order_by("code").first()
    if brand is None:
        return 0
    vehicles = list(Vehicle.objects.filter(model__brand=brand).exclude(model=None).order_by("pk")[: LISTED + 40])
    if not vehicles:
        return 0
    operation = _recall_operation(store, brand)
    created = _sms_activate()
    keeper = User.objects.get(username=demo_username("warranty", store.code))
    today = timezone.localdate()
    recall = services.campaign_save(
        actor=keeper,
        group_id=store.group_id,
        code=RECALL,
        brand_id=brand.pk,
        data={
            "kind": Campaign.Kind.RECALL,
            "title": f"{brand.name}燃油泵叶轮召回",
            "description": "部分车辆燃油泵叶轮可能变形，导致发动机熄火。免费更换燃油泵。",
            "operation_id": operation.pk,
            "valid_from": today - timedelta(days=20),
            "valid_until": today + timedelta(days=730),
        },
    )
    services.vins_add(actor=keeper, campaign_id=recall.pk, vins=[vehicle.vin for vehicle in vehicles[:LISTED]])
    sample = vehicles[LISTED] if len(vehicles) > LISTED else vehicles[0]
    Vehicle.objects.filter(pk=sample.pk, production_date__isnull=True).update(production_date=date(2024, 4, 10))
    services.model_range_add(
        actor=keeper,
        campaign_id=recall.pk,
        model_id=sample.model_id or 0,
        produced_from=date(2024, 3, 1),
        produced_until=date(2024, 5, 31),
    )
    services.campaign_open(actor=keeper, campaign_id=recall.pk)
    # The job the opening queues runs after the commit; the demo chases at once (the job then finds
    # nothing left to do) so that some owners can be reached and booked below.
    services.outreach_run(actor=keeper, campaign_id=recall.pk)
    created += 1 + LISTED + 1
    chased = list(Outreach.all_objects.filter(campaign=recall).order_by("pk"))
    reached = [row.pk for row in chased[::2]]
    Outreach.all_objects.filter(pk__in=reached).update(reached_at=timezone.now())
    agent = User.objects.get(username=demo_username("crm", store.code))
    for row in chased[:4:2]:
        if row.store_id == store.pk:
            created += _book(store, agent, row, operation.pk)
    check = _operation(store, brand.pk, "ac") or operation
    service = services.campaign_save(
        actor=keeper,
        group_id=store.group_id,
        code=SERVICE,
        brand_id=brand.pk,
        data={
            "kind": Campaign.Kind.SERVICE,
            "title": "冬季空调暖风免费检测",
            "description": "暖风与除雾效果检测、空调滤芯检查。",
            "operation_id": check.pk,
            "valid_from": today - timedelta(days=10),
            "valid_until": today + timedelta(days=120),
        },
    )
    services.model_range_add(actor=keeper, campaign_id=service.pk, model_id=vehicles[0].model_id or 0)
    services.campaign_open(actor=keeper, campaign_id=service.pk)
    return created + 2 + len(chased)
