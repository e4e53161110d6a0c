"""One service visit end to end through the API alone, each step by the role that does it in a dealership: the CRM
agent books, the advisor receives the car and writes the order the customer signs, the insurance clerk records the
insurer's loss assessment and the warranty clerk the manufacturer's pre-authorisation, the foreman dispatches, the
technicians clock, the parts clerk issues the part, QC inspects, the washer washes, the foreman hands the car over,
the advisor checks it and confirms the settlement list, the cashier takes the customer's share and the advisor
delivers. Then: three payers' settlements adding up to the list to the fen, each settled = received + open, the
stock verified, the events of every record in their order, and the audit chain verified."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import QuerySet
from django.test import Client
from django.utils import timezone

from aftersales.appointments.models import AppointmentEvent
from aftersales.billing.models import Payment, Settlement, SettlementList
from aftersales.catalogue.models import LabourOperation
from aftersales.catalogue.tests.factories import LabourOperationFactory
from aftersales.core.audit import audit_verify
from aftersales.core.calendar import store_calendar
from aftersales.core.models import AuditEntry, User
from aftersales.customers.models import Vehicle, VehicleModel
from aftersales.parts.models import StockBalance, StockMove
from aftersales.parts.selectors.stock import stock_verify
from aftersales.quality.models import FinalInspection
from aftersales.visits.models import RepairOrderEvent, VisitEvent
from aftersales.visits.tests.conftest import signature_png
from aftersales.workshop.models import JobEvent
from aftersales.workshop.tests.conftest import HOURS, Shop, reception, shop

__all__ = ["HOURS", "reception", "shop"]

pytestmark = pytest.mark.django_db

D = Decimal


def client(user: User) -> Client:
    """A signed-in session that reads the answers in English."""
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


def call(c: Client, method: str, path: str, body: dict[str, Any] | None = None, *, status: int = 200) -> Any:
    """``method`` on ``/api/v1<path>``: the answer's JSON, its status asserted."""
    if method == "get":
        response = c.get(f"/api/v1{path}", body or {})
    else:
        response = getattr(c, method)(f"/api/v1{path}", body or {}, content_type="application/json")
    assert response.status_code == status, (method, path, response.content.decode())
    return response.json()


@dataclass
class Dealership:
    shop: Shop
    bodywork: LabourOperation  # 3.00 h: the insurer's, after an accident
    regulator: LabourOperation  # 1.20 h: the manufacturer's, a failure in warranty
    brand: str

    def user(self, role: str) -> User:
        return self.shop.reception.world.user(role)

    def number(self, prefix: str, serial: int = 1) -> str:
        """The ``serial``-th number of ``prefix`` in the store this year."""
        year = store_calendar(self.shop.store).local_date(timezone.now()).year
        return f"{prefix}-SH01-{year}-{serial:06d}"


@pytest.fixture
def dealership(shop: Shop) -> Dealership:
    """The workshop's store (its technicians, bays, rates at 200.00 an hour for the customer and the insurer and
    150.00 for the manufacturer, the oil filter at 88.00 with three on the shelf) with two repair operations and
    the customer's car of the store's brand (the manufacturer's receivable is per brand)."""
    r = shop.reception
    group = r.store.group
    bodywork = LabourOperationFactory.create(
        group=group,
        code="BJ01",
        name="前保险杠钣金修复",
        default_hours=D("3.00"),
        category="body",
        repair_category="minor",
    )
    regulator = LabourOperationFactory.create(
        group=group,
        code="EL03",
        name="更换左前车窗升降器",
        default_hours=D("1.20"),
        category="electrical",
        repair_category="minor",
    )
    brand = r.store.brands.get()
    model = VehicleModel.objects.create(brand=brand, series="帕萨特", name="330TSI")
    Vehicle.objects.filter(pk=r.vehicle.pk).update(model=model)
    return Dealership(shop, bodywork, regulator, brand.name)


def _book(d: Dealership) -> dict[str, Any]:
    """The CRM agent books the oil change at the first time the store offers, today or on a later day."""
    r, crm = d.shop.reception, client(d.user("crm"))
    today = store_calendar(r.store).local_date(timezone.now())
    service = f"operation:{r.oil.pk}"
    for days in range(14):
        day = (today + timedelta(days=days)).isoformat()
        offered = call(crm, "get", "/appointments/slots", {"store": "SH01", "date": day, "services": service})[
            "offered"
        ]
        if offered:
            break
    else:
        pytest.fail("No time offered in two weeks.")
    return call(
        crm,
        "post",
        "/appointments",
        {
            "store": "SH01",
            "starts_at": offered[0]["starts_at"],
            "services": [service],
            "channel": "phone",
            "customer": r.customer.pk,
            "vehicle": r.vehicle.pk,
            "description": "一万公里保养；前保险杠被刮；左前车窗升不上去",
        },
        status=201,
    )


def _receive(d: Dealership, appointment_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The advisor opens the visit from the booking, records the diagnosis and writes the order the customer
    signs: the oil change and its filter (the customer's), the bumper's bodywork (the insurer's) and the window
    regulator (the manufacturer's). The visit and the order as answered."""
    r, advisor = d.shop.reception, client(d.user("advisor"))
    visit = call(
        advisor,
        "post",
        "/visits",
        {
            "store": "SH01",
            "appointment": appointment_id,
            "customer": r.customer.pk,
            "vehicle": r.vehicle.pk,
            "mileage_in": 52_300,
            "fuel_level": 4,
            "contact_verified": True,
            "parking_spot": "B-12",
            "key_tag": "K-07",
            "promised_at": (timezone.now() + timedelta(hours=6)).isoformat(),
        },
        status=201,
    )
    call(
        advisor,
        "put",
        f"/visits/{visit['id']}/diagnosis",
        {"symptoms": "前保险杠右侧凹陷；左前车窗无法升降", "cause_analysis": "车窗升降器电机损坏", "codes": ["B1325"]},
    )
    order = call(
        advisor,
        "post",
        "/repair-orders",
        {
            "visit": visit["id"],
            "statement": "一万公里保养；前保险杠被刮；左前车窗升不上去",
            "signature": signature_png(),
            "signed_name": "张伟",
            "lines": [
                {"kind": "labour", "operation": r.oil.pk},
                {"kind": "part", "part": r.filter.pk, "quantity": "1"},
                {"kind": "labour", "operation": d.bodywork.pk, "pay_type": "insurance", "symptom": "前保险杠右侧凹陷"},
                {
                    "kind": "labour",
                    "operation": d.regulator.pk,
                    "pay_type": "oem_warranty",
                    "fault_code": "B1325",
                    "symptom": "左前车窗无法升降",
                },
            ],
        },
        status=201,
    )
    return visit, order


def _approve(d: Dealership, order_id: int, lines: dict[int, int]) -> None:
    """The insurance clerk records the insurer's loss assessment of the bodywork (500.00 of its 600.00, a
    deductible of 100.00); the warranty clerk the manufacturer's pre-authorisation of the regulator."""
    call(
        client(d.user("insurance")),
        "post",
        f"/repair-orders/{order_id}/approvals",
        {
            "kind": "insurer_assessment",
            "person": "定损员 李明",
            "insurer": "中国人保",
            "claim_number": "RDAA2026310000012345",
            "deductible": "100.00",
            "decisions": [{"line": lines[3], "approve": True, "assessed_amount": "500.00"}],
        },
        status=201,
    )
    call(
        client(d.user("warranty")),
        "post",
        f"/repair-orders/{order_id}/approvals",
        {
            "kind": "oem_preauthorisation",
            "person": "厂家技术支持 王工",
            "authorisation_number": "PA-2026-004711",
            "decisions": [{"line": lines[4], "approve": True}],
        },
        status=201,
    )


def _work(d: Dealership, order_id: int, lines: dict[int, int]) -> dict[int, int]:
    """The foreman dispatches the oil change and the regulator to technician_sh and the bodywork to 李师傅; each
    accepts and clocks their jobs, the filter asked for at the parts desk during the oil change, issued by the
    parts clerk and received. The jobs' ids by the line's position."""
    shop = d.shop
    foreman, parts = client(shop.foreman), client(d.user("parts"))
    assignments = ((1, shop.middle), (3, shop.senior), (4, shop.middle))
    jobs = {
        position: call(
            foreman,
            "post",
            f"/repair-orders/{order_id}/dispatch",
            {"line": lines[position], "technician": technician.pk, "bay": shop.lift.pk},
            status=201,
        )["id"]
        for position, technician in assignments
    }
    for position, technician in assignments:
        worker, job = client(technician), jobs[position]
        call(worker, "post", f"/jobs/{job}/accept")
        call(worker, "post", f"/jobs/{job}/clock", {"action": "on"})
        if position == 1:
            request = call(worker, "post", f"/jobs/{job}/parts-requests", {"line": lines[2]}, status=201)
            call(parts, "post", f"/parts-requests/{request['id']}/issue", {"part_number": "06L-115-562"})
            call(worker, "post", f"/parts-requests/{request['id']}/receive")
        done = call(worker, "post", f"/jobs/{job}/clock", {"action": "off", "fault_verified": True, "report": "完工"})
        assert done["state"] == "done"
    return jobs


def _to_ready(d: Dealership, visit_id: int, order_id: int) -> dict[str, Any]:
    """QC inspects (minor repairs and maintenance: no release certificate), the washer washes, the foreman hands
    the car over and the advisor checks it: the order is ready. The final inspection as answered."""
    qc, foreman = client(d.user("qc")), client(d.shop.foreman)
    checklist = call(qc, "get", f"/repair-orders/{order_id}/qc")
    assert (checklist["order_state"], checklist["needs_certificate"], len(checklist["checklist"])) == (
        "completed",
        False,
        10,
    )
    inspected = call(
        qc,
        "post",
        f"/repair-orders/{order_id}/qc",
        {
            "checks": [{"ok": True} for _check in checklist["checklist"]],
            "road_test": "not_needed",
            "passed": True,
            "fault_verified": True,
            "driving_advice": "车窗升降器更换后首次使用请完整升降一次",
        },
        status=201,
    )
    washer = d.user("washer")
    call(
        client(washer),
        "post",
        f"/visits/{visit_id}/wash",
        {"spot": "F-03", "nose_out": True, "washer": washer.pk, "checks": [True] * 6},
        status=201,
    )
    handed = call(
        foreman,
        "post",
        f"/visits/{visit_id}/handover",
        {"keys": "K-07 两把", "explanation": "保养完成；前保险杠钣金修复；左前车窗升降器已更换"},
        status=201,
    )
    ready = call(
        client(d.user("advisor")),
        "post",
        f"/visits/{visit_id}/ready-check",
        {
            "lines": [{"line": row["id"], "ok": True} for row in handed["lines"]],
            "car_checked": True,
            "pickup_spot": "P-01",
        },
    )
    assert (ready["stage"], ready["orders"][0]["state"]) == ("deliver", "ready")
    return inspected


def _charges(share: dict[str, Any]) -> list[tuple[int, str, str, str, str]]:
    return [(c["line"], c["description"], c["gross"], c["discount"], c["amount"]) for c in share["charges"]]


def _shares(answer: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    return [
        (s["payer"], s["payer_name"], s["amount"], s["received"], s["open"], s["state"]) for s in answer["settlements"]
    ]


def _events(rows: QuerySet[Any], *fields: str) -> list[tuple[Any, ...]]:
    """Each event as (action, from, to, by, *fields), in the order written."""
    return list(rows.order_by("pk").values_list("action", "from_state", "to_state", "actor__username", *fields))


def test_one_visit_from_the_booking_to_the_car_paid_and_delivered(dealership: Dealership) -> None:
    d = dealership
    r = d.shop.reception
    advisor = client(d.user("advisor"))

    booked = _book(d)
    visit, order = _receive(d, booked["id"])
    lines = {line["position"]: line["id"] for line in order["lines"]}
    assert [(row["position"], row["state"], row["pay_type"], row["amount"]) for row in order["lines"]] == [
        (1, "approved", "customer", "200.00"),  # 1 h × 200.00, approved by the customer's signature
        (2, "approved", "customer", "88.00"),
        (3, "proposed", "insurance", "600.00"),  # 3 h × 200.00, the insurer's to approve
        (4, "proposed", "oem_warranty", "180.00"),  # 1.2 h × 150.00, the manufacturer's
    ]
    _approve(d, order["id"], lines)
    jobs = _work(d, order["id"], lines)
    inspected = _to_ready(d, visit["id"], order["id"])

    # The list was prepared as the order became ready: the insurer pays what it assessed less the deductible
    # (500.00 − 100.00), the customer the deductible and the 100.00 not assessed with the oil change and filter.
    [prepared] = call(advisor, "get", "/settlements", {"store": "SH01", "order": order["id"]})["items"]
    assert (prepared["state"], prepared["number"], prepared["amount"], prepared["prepared_by"]) == (
        "prepared",
        "",
        "1068.00",
        "advisor_sh",
    )
    listed = call(advisor, "get", f"/settlements/{prepared['id']}")
    assert _shares(listed) == [
        ("customer", "", "488.00", "0.00", "488.00", "open"),
        ("insurer", "中国人保", "400.00", "0.00", "400.00", "open"),
        ("manufacturer", d.brand, "180.00", "0.00", "180.00", "open"),
    ]

    # The advisor may give 5 % of the customer's 488.00: 30.00 is refused and the list stays as it was.
    refused = advisor.post(
        f"/api/v1/settlements/{prepared['id']}/confirm", {"discount": "30.00"}, content_type="application/json"
    )
    assert (refused.status_code, refused.json()["fields"]) == (
        422,
        {"discount": ["Your discount limit is 5% of the customer's 488.00, 24.40: 30.00 is more. Ask a manager."]},
    )
    assert call(advisor, "get", f"/settlements/{prepared['id']}") == listed

    confirmed = call(
        advisor,
        "post",
        f"/settlements/{prepared['id']}/confirm",
        {"discount": "8.00", "rounding": "0.00", "line_discounts": {}, "invoice_type": "general"},
    )
    assert (confirmed["state"], confirmed["number"], confirmed["confirmed_by"], confirmed["amount"]) == (
        "confirmed",
        d.number("JS"),
        "advisor_sh",
        "1060.00",
    )
    customer, insurer, manufacturer = confirmed["settlements"]
    # 8.00 spread over the customer's 200.00 / 88.00 / 200.00 by the largest remainder: 3.28 / 1.44 / 3.28.
    assert _charges(customer) == [
        (lines[1], "更换机油", "200.00", "3.28", "196.72"),
        (lines[2], "机油滤清器", "88.00", "1.44", "86.56"),
        (lines[3], "前保险杠钣金修复", "200.00", "3.28", "196.72"),
    ]
    assert _charges(insurer) == [(lines[3], "前保险杠钣金修复", "400.00", "0.00", "400.00")]
    assert _charges(manufacturer) == [(lines[4], "更换左前车窗升降器", "180.00", "0.00", "180.00")]

    # The cashier takes the customer's 480.00: 300.00 in cash from 500.00 handed over, the rest by card.
    cashier = client(d.user("cashier"))
    cash = call(
        cashier,
        "post",
        "/payments",
        {"settlement": customer["id"], "method": "cash", "amount": "300.00", "tendered": "500.00"},
        status=201,
    )
    card = call(
        cashier,
        "post",
        "/payments",
        {"settlement": customer["id"], "method": "card", "amount": "180.00", "reference": "POS 000123"},
        status=201,
    )
    assert [
        (p["method"], p["amount"], p["tendered"], p["change"], p["reference"], p["state"]) for p in (cash, card)
    ] == [
        ("cash", "300.00", "500.00", "200.00", "", "paid"),
        ("card", "180.00", None, "0.00", "POS 000123", "paid"),
    ]

    # The customer comes for the car; the advisor delivers it.
    call(advisor, "post", f"/visits/{visit['id']}/pickup-arrival")
    delivered = call(
        advisor,
        "post",
        f"/visits/{visit['id']}/delivery",
        {
            "collector": "customer",
            "collector_name": "张伟",
            "signature": signature_png(),
            "mileage_out": 52_305,
            "keys_handed": True,
            "next_service_on": (timezone.now() + timedelta(days=180)).date().isoformat(),
            "next_service_km": 62_300,
            "free_checks": [{"result": "green"}] * 24,
            "rating": 5,
            "old_parts": [{"order": order["id"], "outcome": "leave"}],
        },
        status=201,
    )
    assert (delivered["stage"], delivered["orders"][0]["state"]) == ("delivered", "delivered")

    # Three payers adding up to the list to the fen; each settled = received + open.
    final = call(advisor, "get", f"/settlements/{prepared['id']}")
    assert _shares(final) == [
        ("customer", "", "480.00", "480.00", "0.00", "closed"),
        ("insurer", "中国人保", "400.00", "0.00", "400.00", "open"),
        ("manufacturer", d.brand, "180.00", "0.00", "180.00", "open"),
    ]
    assert sum((D(s["amount"]) for s in final["settlements"]), D(0)) == D(final["amount"]) == D("1060.00")
    for share in final["settlements"]:
        assert D(share["amount"]) == D(share["received"]) + D(share["open"]), share["payer"]
    settlements = Settlement.all_objects.filter(settlement_list_id=prepared["id"]).order_by("pk")
    assert [(s.payer, s.amount, s.received, s.open_amount) for s in settlements] == [
        ("customer", D("480.00"), D("480.00"), D("0.00")),
        ("insurer", D("400.00"), D("0.00"), D("400.00")),
        ("manufacturer", D("180.00"), D("0.00"), D("180.00")),
    ]
    assert list(Payment.all_objects.order_by("pk").values_list("number", "settlement__payer", "amount")) == [
        (d.number("SK"), "customer", D("300.00")),
        (d.number("SK", 2), "customer", D("180.00")),
    ]

    # The stock: one filter of the three issued to the order at its cost (30.00), every balance verified.
    verified = stock_verify()
    assert (verified.balances, verified.differences) == (1, [])
    assert list(StockBalance.all_objects.values_list("part_id", "on_hand", "reserved", "value_fen")) == [
        (r.filter.pk, D(2), D(0), 6000)
    ]
    assert list(StockMove.all_objects.order_by("pk").values_list("quantity", "value_fen")) == [
        (D(3), 9000),
        (D(-1), -3000),
    ]

    # The events of every record, in the order they were written.
    assert _events(AppointmentEvent.objects.filter(appointment_id=booked["id"])) == [
        ("book", "", "booked", "crm_sh"),
        ("check_in", "booked", "arrived", "advisor_sh"),
    ]
    assert _events(VisitEvent.objects.filter(visit_id=visit["id"]), "note") == [
        ("open", "", "on_site", "advisor_sh", booked["number"]),
        ("diagnosis", "on_site", "on_site", "advisor_sh", "B1325"),
        ("order", "on_site", "on_site", "advisor_sh", order["number"]),
        ("wash", "on_site", "on_site", "washer_sh", "F-03"),
        ("handover", "on_site", "on_site", "foreman_sh", "K-07 两把"),
        ("ready", "on_site", "on_site", "advisor_sh", "P-01"),
        ("pickup_arrived", "on_site", "on_site", "advisor_sh", ""),
        ("deliver", "on_site", "delivered", "advisor_sh", "张伟"),
    ]
    order_events = RepairOrderEvent.objects.filter(order_id=order["id"])
    assert _events(order_events.filter(line=None)) == [
        ("sign", "", "open", "advisor_sh"),
        ("start_work", "open", "in_work", "foreman_sh"),
        ("complete", "in_work", "completed", "technician_sh"),
        ("inspect", "completed", "completed", "qc_sh"),
        ("ready", "completed", "ready", "advisor_sh"),
        ("deliver", "ready", "delivered", "advisor_sh"),
    ]
    assert _events(order_events.exclude(line=None), "line__position") == [
        ("approve", "proposed", "approved", "advisor_sh", 1),
        ("approve", "proposed", "approved", "advisor_sh", 2),
        ("approve", "proposed", "approved", "insurance_sh", 3),
        ("approve", "proposed", "approved", "warranty_sh", 4),
        ("dispatch", "approved", "dispatched", "foreman_sh", 1),
        ("dispatch", "approved", "dispatched", "foreman_sh", 3),
        ("dispatch", "approved", "dispatched", "foreman_sh", 4),
        ("start", "dispatched", "in_progress", "technician_sh", 1),
        ("finish", "approved", "done", "parts_sh", 2),  # issued
        ("finish", "in_progress", "done", "technician_sh", 1),
        ("start", "dispatched", "in_progress", "li_sh", 3),
        ("finish", "in_progress", "done", "li_sh", 3),
        ("start", "dispatched", "in_progress", "technician_sh", 4),
        ("finish", "in_progress", "done", "technician_sh", 4),
    ]
    for position, technician in ((1, "technician_sh"), (3, "li_sh"), (4, "technician_sh")):
        assert _events(JobEvent.objects.filter(job_id=jobs[position])) == [
            ("dispatch", "", "assigned", "foreman_sh"),
            ("accept", "assigned", "accepted", technician),
            ("start", "accepted", "in_progress", technician),
            ("finish", "in_progress", "done", technician),
        ], position
    assert list(FinalInspection.objects.values_list("pk", "passed", "inspector__username")) == [
        (inspected["id"], True, "qc_sh")
    ]
    # The settlement list keeps no event rows of its own: its audit entries are its history.
    history = AuditEntry.objects.filter(object_type="billing.settlementlist", object_id=str(prepared["id"]))
    assert [(e.action, e.actor_username, e.changes.get("state")) for e in history.order_by("chain_seq")] == [
        ("create", "advisor_sh", [None, "prepared"]),
        ("update", "advisor_sh", ["prepared", "confirmed"]),
    ]
    assert SettlementList.all_objects.get().state == "confirmed"

    # The audit chain verifies, every entry of the visit in it.
    assert audit_verify() == (AuditEntry.objects.count(), None)
