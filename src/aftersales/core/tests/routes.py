"""Every page and API operation, found from the URL configuration and the API, with a sample
request for each that needs a method, body, query or path argument.

The access matrix and the bad-input test both walk these routes, so a new page or endpoint joins
both automatically; one without an access declaration, or without a sample when it needs one,
fails there.
"""

from __future__ import annotations

import base64
import io
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from aftersales.appointments import services as appointments
from aftersales.appointments.models import Appointment, BookingSettings, Leave, Shift, Technician
from aftersales.billing.tests import samples_api as billing_api_samples
from aftersales.billing.tests import samples_pages as billing_page_samples
from aftersales.campaigns.models import Campaign, CampaignModelRange, CampaignVin, CampaignVinRange
from aftersales.catalogue.models import LabourRate, PackageItem, ServicePackage
from aftersales.catalogue.tests.factories import LabourOperationFactory
from aftersales.conftest import World
from aftersales.core.access import can
from aftersales.core.media import PHOTOS, MediaOwner, media_attach, media_owner_register, media_upload
from aftersales.core.models import StaffMembership, User
from aftersales.core.routing import Access
from aftersales.core.services import token_create
from aftersales.core.tests.factories import LegalEntityFactory, image_bytes, valid_uscc
from aftersales.core.xlsx import XlsxWriter
from aftersales.customers.excel import COLUMNS, exports_dir
from aftersales.customers.models import ContactCorrection, Customer, ExportJob, ImportJob, VehicleModel
from aftersales.customers.selectors import imports_dir
from aftersales.customers.services import document_upload, review_link_send, vehicle_driver_add
from aftersales.customers.tests.factories import CustomerFactory, VehicleFactory, valid_vin
from aftersales.messaging.models import Message, MessageTemplate, Task
from aftersales.parts.imports.layouts import PARTS as PARTS_LAYOUT
from aftersales.parts.models import Bin, PartPrice, Reservation, StockClosing, StockImportJob
from aftersales.parts.services import Demand, ReceiptLine, stock_issue, stock_receive, stock_reserve
from aftersales.parts.services.stocktakes import CountEntry, Scope, stocktake_approve, stocktake_count, stocktake_create
from aftersales.parts.tests.factories import BinFactory, PartFactory, WarehouseFactory
from aftersales.purchasing import services as purchasing
from aftersales.purchasing.models import (
    DeliveryNote,
    PurchaseLimit,
    PurchaseOrder,
    PurchaseReceipt,
    ReorderRule,
    Supplier,
    SupplierReturn,
)
from aftersales.quality.tests import samples_api as quality_api_samples
from aftersales.quality.tests import samples_pages as quality_page_samples
from aftersales.visits import services as visits
from aftersales.visits.models import Line, RepairOrder
from aftersales.visits.services.inspection import checklist_of
from aftersales.workshop.tests import samples_api as workshop_api_samples
from aftersales.workshop.tests import samples_boards as workshop_board_samples
from aftersales.workshop.tests import samples_desk as workshop_desk_samples
from aftersales.workshop.tests import samples_pages as workshop_page_samples
from aftersales.workshop.tests import samples_teams as workshop_team_samples
from config.api import api


@dataclass
class Route:
    name: str  # route name or API operation name
    method: str
    path_template: str
    access: Access
    params: tuple[str, ...]


def _join(prefix: str, pattern: str) -> str:
    return prefix + pattern


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> list[tuple[str, str, Any]]:
    found: list[tuple[str, str, Any]] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += _walk(entry.url_patterns, _join(prefix, str(entry.pattern)), ns)
        elif isinstance(entry, URLPattern):
            found.append((f"{namespace}{entry.name}", _join(prefix, str(entry.pattern)), entry.callback))
    return found


# Pages (Django views) that are not ours to declare: what the matrix expects of them.
FOREIGN_PREFIXES = ("admin/", "i18n/", "api/v1/")

_serial = itertools.count(1)


def _customer(world: World) -> int:
    return CustomerFactory(name="王五", data_consent=True, data_consent_channel="paper").pk


def _vehicle(world: World) -> int:
    return VehicleFactory(vin=valid_vin(next(_serial), prefix="LSVAU2180N2")).pk


def _driver_link(world: World) -> dict[str, int]:
    vehicle_id = _vehicle(world)
    link = vehicle_driver_add(
        actor=world.user("advisor"),
        vehicle_id=vehicle_id,
        customer_id=_customer(world),
        valid_from=timezone.localdate(),
    )
    return {"vehicle_id": vehicle_id, "link_id": link.pk}


def _document(world: World) -> dict[str, int]:
    customer = Customer.objects.get(pk=_customer(world))
    upload = SimpleUploadedFile("id.png", image_bytes("PNG"), content_type="image/png")
    document = document_upload(
        actor=world.user("advisor"), store=world.sh, customer=customer, kind="id_card", uploaded_file=upload
    )
    return {"customer_id": customer.pk, "document_id": document.pk}


def _media(world: World) -> dict[str, int]:
    """A kept photo whose owner lets every signed-in user see it: the matrix checks the route's own
    access (signed in); each owner's rule is tested with its owner (e.g. the archive's ID copies)."""
    media_owner_register("matrix.sample", MediaOwner(authorize=lambda actor, media: None))
    upload = SimpleUploadedFile("m.png", image_bytes("PNG"))
    with media_upload(
        upload, accept=PHOTOS, owner_type="matrix.sample", area="matrix", store=world.sh, actor=None
    ) as media:
        media_attach(media, next(_serial))
    return {"media_id": media.pk}


def _unknown_message(world: World) -> dict[str, int]:
    """A message of SH01 whose delivery is unknown (a person's to decide)."""
    message = Message.objects.create(
        store=world.sh,
        event="matrix",
        channel="sms",
        message_class="service",
        recipient_type="customer",
        recipient_name="王五",
        address="13800000000",
        body="矩阵",
        status=Message.Status.UNKNOWN,
    )
    return {"message_id": message.pk}


def _message_template(world: World) -> dict[str, int]:
    template = MessageTemplate.objects.create(
        event=f"matrix_{next(_serial)}", channel="inapp", message_class="service", body_zh="矩阵"
    )
    return {"template_id": template.pk}


def _task_for(user: User, world: World) -> dict[str, int]:
    task = Task.objects.create(store=world.sh, subject="矩阵任务", assignee=user)
    return {"task_id": task.pk}


def _correction(world: World) -> dict[str, int]:
    customer = Customer.objects.get(pk=_customer(world))
    correction = ContactCorrection.objects.create(
        customer=customer, store=world.sh, mobile="13800000001", snapshot_hash="0" * 64
    )
    return {"correction_id": correction.pk}


def _link_token(world: World) -> dict[str, str]:
    _link, url = review_link_send(
        actor=world.user("advisor"), store=world.sh, customer_id=_customer(world), base_url="http://testserver"
    )
    return {"token": url.rstrip("/").rsplit("/", 1)[1]}


def _export_job(user: User, world: World) -> int:
    """A finished background export of ``user``'s, its file written."""
    name = f"matrix-{next(_serial)}-export.xlsx"
    XlsxWriter(exports_dir() / name, title="customers").close()
    return ExportJob.objects.create(store=world.sh, created_by=user, status="done", storage_name=name).pk


def _pickup_template() -> str:
    MessageTemplate.objects.get_or_create(
        event="matrix_pickup",
        channel="sms",
        defaults={
            "message_class": "service",
            "body_zh": "可取车",
            "sms_sign_name": "华东汽车",
            "sms_template_code": "S1",
        },
    )
    return "matrix_pickup"


def _import_job(world: World) -> int:
    name = f"matrix-{next(_serial)}-errors.xlsx"
    XlsxWriter(imports_dir() / name, title="errors").close()
    job = ImportJob.objects.create(
        store=world.sh, file_name="m.xlsx", storage_name="gone.xlsx", status="done", error_file=name
    )
    return job.pk


def _stock_import_job(world: World) -> int:
    name = f"matrix-{next(_serial)}-errors.xlsx"
    XlsxWriter(imports_dir() / name, title="errors").close()
    job = StockImportJob.objects.create(
        store=world.sh, kind="prices", file_name="m.xlsx", storage_name="gone.xlsx", status="done", error_file=name
    )
    return job.pk


def _supplier(world: World) -> Supplier:
    """A local supplier of the group (one per world)."""
    if "_supplier" not in world.__dict__:
        world.__dict__["_supplier"] = Supplier.objects.create(
            group=world.sh.group, kind="local", code="MX-SUP", name="矩阵汽配"
        )
    return world.__dict__["_supplier"]


def _suggested(world: World) -> int:
    """A parts centre of the sample part's brand with that part to suggest (its rule far above the stock)."""
    part = _stock(world)["part"]
    centre, _created = Supplier.objects.get_or_create(
        group=world.sh.group,
        code="MX-PC",
        defaults={"kind": "manufacturer", "brand": part.brand, "name": "矩阵配件中心"},
    )
    ReorderRule.objects.update_or_create(
        store=world.sh,
        part=part,
        defaults={"reorder_point": Decimal(5000), "order_up_to": Decimal(6000), "manual": True},
    )
    # An earlier role's draft would be on order: each role finds the part to suggest again.
    PurchaseOrder.all_objects.filter(supplier=centre, status="draft").update(status="cancelled")
    return centre.pk


def _order(world: World, *, status: str = "draft", approver: User | None = None) -> int:
    """A purchase order of SH01 in ``status`` (set directly: each role's sample gets its own); an
    ``approver`` gets a limit that covers it."""
    stock = _stock(world)
    order = PurchaseOrder.all_objects.create(
        store=world.sh, number=f"PO-MX-{next(_serial)}", supplier=_supplier(world), order_type="stock", status=status
    )
    order.lines.create(
        store_id=world.sh.pk, position=1, part=stock["part"], quantity=Decimal(2), unit_price=Decimal(10)
    )
    if approver is not None:
        PurchaseLimit.all_objects.get_or_create(store=world.sh, user=approver, defaults={"limit": Decimal(100000)})
    return order.pk


def _delivery_note(world: World, *, scanned: bool = False) -> DeliveryNote:
    """An open delivery note of the sample supplier: imported against a fresh sent order, its line in the
    sample bin; or started for scanning, empty."""
    if scanned:
        return purchasing.delivery_note_start(actor=None, store_id=world.sh.pk, supplier_id=_supplier(world).pk)
    _order(world, status="sent")
    note = purchasing.delivery_note_import(
        actor=None,
        store_id=world.sh.pk,
        supplier_id=_supplier(world).pk,
        number=f"DN-MX-{next(_serial)}",
        upload=SimpleUploadedFile("n.csv", b"part no,qty\n06L115562,2\n"),
    )
    note.lines.update(bin=_stock(world)["bin"])
    return note


def _supplier_return(world: World) -> int:
    """A return, open, of what was rejected on a receipt of a sent order (one per call)."""
    order = PurchaseOrder.all_objects.get(pk=_order(world, status="sent"))
    receipt = PurchaseReceipt.all_objects.create(
        store=world.sh, order=order, supplier=order.supplier, number=f"GR-MX-{next(_serial)}", received_on="2026-11-20"
    )
    found = SupplierReturn.all_objects.create(
        store=world.sh, supplier=order.supplier, order=order, receipt=receipt, number=f"RTV-MX-{next(_serial)}"
    )
    line = order.lines.get()
    found.lines.create(
        store_id=world.sh.pk, order_line=line, part_id=line.part_id, quantity=Decimal(1), reason="破损",
        unit_price=Decimal(10),
    )  # fmt: skip
    return found.pk


def _confirmation_upload(world: World) -> Any:
    number = PurchaseOrder.all_objects.get(pk=_order(world, status="sent")).number
    return SimpleUploadedFile("c.csv", f"订单号,行号,预计到货日期\n{number},1,2026-12-20\n".encode())


def _parts_workbook_upload() -> Any:
    buffer = io.BytesIO()
    writer = XlsxWriter(buffer, title="零件主数据")
    writer.append([column.zh for column in PARTS_LAYOUT.columns])
    writer.close()
    return SimpleUploadedFile("parts.xlsx", buffer.getvalue())


def _workbook_upload() -> Any:
    buffer = io.BytesIO()
    writer = XlsxWriter(buffer, title="客户及车辆")
    writer.append([column.zh for column in COLUMNS])
    writer.close()
    return SimpleUploadedFile("matrix.xlsx", buffer.getvalue())


def _customer_number(world: World) -> str:
    return Customer.objects.get(pk=_customer(world)).number


# Requests that need a method other than GET, a body, a query or a path argument.
def _stock(world: World) -> dict[str, Any]:
    """A part with 1,000 units in a bin of SH01 (received two years ago), a second bin and a warehouse."""
    cached = world.__dict__.get("_stock")
    if cached is not None:
        return cached
    part = PartFactory.create(
        group=world.sh.group, brand=world.sh.brands.get(), number_display="06L-115-562", number="06L115562"
    )
    warehouse = WarehouseFactory.create(store=world.sh, code="MX")
    bins = [BinFactory.create(store=world.sh, warehouse=warehouse, code=f"MX-0{n}") for n in (1, 2)]
    stock_receive(
        actor=None,
        store_id=world.sh.pk,
        lines=[ReceiptLine(part.pk, bins[0].pk, Decimal(1000), Decimal(10))],
        moved_on=timezone.localdate() - timedelta(days=730),
    )
    PartPrice.objects.create(part=part, kind="retail", price=Decimal("58.00"), valid_from=date(2020, 1, 1))
    world.__dict__["_stock"] = {"part": part, "warehouse": warehouse, "bin": bins[0], "bin2": bins[1]}
    return world.__dict__["_stock"]


def _fresh_demand(world: World) -> int:
    """A repair-order id no stock was issued to yet, in a world whose SH01 has stock."""
    _stock(world)
    return next(_serial)


def _reservation(world: World) -> Reservation:
    stock = _stock(world)
    result = stock_reserve(
        actor=None,
        store_id=world.sh.pk,
        demands=[Demand(stock["part"].pk, Decimal(1), "repair_order", next(_serial), None)],
    )
    return result.reservations[0]


def _issued(world: World) -> dict[str, Any]:
    """A repair order that was issued one unit, to return it."""
    stock = _stock(world)
    demand = next(_serial)
    stock_issue(
        actor=None,
        store_id=world.sh.pk,
        demand_type="repair_order",
        demand_id=demand,
        demand_line_id=None,
        part_number="06L115562",
        quantity=Decimal(1),
        received_by_id=world.user("technician").pk,
    )
    return {"store": "SH01", "demand_id": demand, "part": "06L115562", "bin": stock["bin"].pk, "quantity": "1"}


def _month_to_close(world: World) -> str:
    """The month after the last closed one (the first: two years ago), so that each role may close one."""
    _stock(world)
    last = StockClosing.all_objects.filter(store=world.sh).order_by("-month").first()
    if last is None:
        month = (timezone.localdate() - timedelta(days=730)).replace(day=1)
    else:
        month = (last.month + timedelta(days=32)).replace(day=1)
    return f"{month:%Y-%m}"


def _price_file_upload() -> Any:
    buffer = io.BytesIO()
    writer = XlsxWriter(buffer, title="价格")
    writer.append(["零件号", "名称", "价格"])
    writer.append(["06L-115-562", "机油滤清器", "58.00"])
    writer.close()
    return SimpleUploadedFile("prices.xlsx", buffer.getvalue())


def _new_part(world: World) -> str:
    serial = next(_serial)
    PartFactory.create(
        group=world.sh.group, brand=world.sh.brands.get(), number_display=f"N-{serial}", number=f"N{serial}"
    )
    return f"N-{serial}"


def _online_store(world: World) -> dict[str, str]:
    """SH01 takes bookings on the customer's own page (/book/SH01/)."""
    BookingSettings.objects.update_or_create(store=world.sh, defaults={"online_booking": True})
    return {"code": world.sh.code}


def _operation(world: World) -> int:
    """A labour operation of the world's group (one per world)."""
    cached = world.__dict__.get("_operation")
    if cached is None:
        cached = LabourOperationFactory.create(group=world.sh.group, code="MX100").pk
        world.__dict__["_operation"] = cached
    return int(cached)


def _package(world: World) -> int:
    package = ServicePackage.objects.create(
        group=world.sh.group, brand=world.sh.brands.get(), code=f"PK{next(_serial)}", name="首次保养"
    )
    return package.pk


def _stocked_bin(world: World) -> str:
    """A bin of its own holding 4 of the sample part (each role's stocktake sample plans one that
    overlaps none)."""
    stock = _stock(world)
    bin_ = BinFactory.create(store=world.sh, warehouse=stock["warehouse"], code=f"ST-{next(_serial)}")
    stock_receive(
        actor=None, store_id=world.sh.pk, lines=[ReceiptLine(stock["part"].pk, bin_.pk, Decimal(4), Decimal(10))]
    )
    return bin_.code


def _stocktake(world: World, *, counted: bool = False, approved: bool = False) -> dict[str, int]:
    """A stocktake of a bin of its own, counted (3 of 4) and approved when asked."""
    stock = _stock(world)
    bin_ = Bin.all_objects.get(warehouse=stock["warehouse"], code=_stocked_bin(world))
    take = stocktake_create(
        actor=None, store_id=world.sh.pk, kind="cycle", scope=Scope(bin_from=bin_.code, bin_to=bin_.code)
    )
    if counted or approved:
        stocktake_count(actor=None, stocktake_id=take.pk, entries=[CountEntry(stock["part"].pk, bin_.pk, Decimal(3))])
    if approved:
        stocktake_approve(actor=world.user("service_manager"), stocktake_id=take.pk)
    line = take.lines.get()
    return {"stocktake_id": take.pk, "bin": bin_.pk, "line": line.pk}


def _bookable(world: World) -> dict[str, int]:
    """SH01 open 08:30-18:00 every day (holidays 09:00-17:00) with three technicians on shift 08:30-17:30,
    a one-hour operation without a bay and a package of it with the sample part (one set per world)."""
    cached = world.__dict__.get("_bookable")
    if cached is not None:
        return dict(cached)
    store = world.sh
    store.business_hours = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "08:30-18:00")
    store.holiday_hours = "09:00-17:00"
    store.save()
    role_id = StaffMembership.objects.filter(user=world.user("technician")).values_list("role_id", flat=True).first()
    technicians = []
    for n in range(3):
        user = User.objects.create(username=f"mx_tech_{n}", full_name=f"矩阵技师{n}")
        StaffMembership.objects.create(store=store, user=user, role_id=role_id)
        technician = Technician.objects.create(store=store, user=user)
        Shift.objects.bulk_create(
            Shift(technician=technician, weekday=d, starts=time(8, 30), ends=time(17, 30)) for d in range(7)
        )
        technicians.append(technician.pk)
    operation = LabourOperationFactory.create(group=store.group, code="MX-APT", default_hours=Decimal("1.00"))
    part = _stock(world)["part"]
    package = ServicePackage.objects.create(group=store.group, brand=part.brand, code="MX-APT-PK", name="矩阵保养")
    PackageItem.objects.create(package=package, kind="labour", operation=operation)
    PackageItem.objects.create(package=package, kind="part", part=part, quantity=Decimal(1))
    world.__dict__["_bookable"] = {"operation": operation.pk, "package": package.pk, "technician": technicians[0]}
    return dict(world.__dict__["_bookable"])


def _free_time(world: World) -> str:
    """10:00 on a day of its own (each call another), when SH01 has capacity (``_bookable``)."""
    _bookable(world)
    day = timezone.localdate() + timedelta(days=1 + next(_serial) % 150)
    return datetime.combine(day, time(10), tzinfo=world.sh.zone).isoformat()


def _appointment(world: World, *, services: list[str] | None = None, prepicked: bool = False) -> int:
    """A booking of SH01 at a free time (the one-hour operation unless ``services``), pre-picked when asked."""
    bookable = _bookable(world)
    appointment = appointments.appointment_book(
        actor=world.user("manager"),
        store_id=world.sh.pk,
        data=appointments.BookingIn(
            starts_at=datetime.fromisoformat(_free_time(world)),
            services=services or [f"operation:{bookable['operation']}"],
            channel="phone",
            contact_name="王五",
            contact_mobile="13800000000",
        ),
    )
    if prepicked:
        appointments.appointment_prepick(actor=world.user("parts"), appointment_id=appointment.pk)
    return appointment.pk


def _booked_day(world: World) -> str:
    """The day (SH01's) of a booking made for the sample: the advisor's daily list then has a row."""
    starts_at = Appointment.all_objects.values_list("starts_at", flat=True).get(pk=_appointment(world))
    return starts_at.astimezone(world.sh.zone).date().isoformat()


def _short_appointment(world: World) -> int:
    """A booking whose package needs more of the sample part than the shelves hold, its brand with a parts centre."""
    bookable = _bookable(world)
    part = _stock(world)["part"]
    Supplier.objects.get_or_create(
        group=world.sh.group,
        code="MX-PC",
        defaults={"kind": "manufacturer", "brand": part.brand, "name": "矩阵配件中心"},
    )
    package = ServicePackage.objects.create(
        group=world.sh.group, brand=part.brand, code=f"MX-SH-{next(_serial)}", name="矩阵大修"
    )
    PackageItem.objects.create(package=package, kind="labour", operation_id=bookable["operation"])
    PackageItem.objects.create(package=package, kind="part", part=part, quantity=Decimal(5000))
    return _appointment(world, services=[f"package:{package.pk}"])


def _leave(world: World) -> int:
    """Leave of a technician of SH01 on a day of its own."""
    technician_id = _bookable(world)["technician"]
    start = datetime.fromisoformat(_free_time(world))
    return Leave.objects.create(technician_id=technician_id, starts_at=start, ends_at=start + timedelta(hours=2)).pk


def _campaign(world: World, *, state: str = "draft") -> int:
    """A campaign of the world's group (a new one each call), listing one VIN; opened when asked."""
    number = next(_serial)
    campaign = Campaign.objects.create(
        group=world.sh.group,
        code=f"MX-RC-{number}",
        kind="recall",
        title="矩阵召回",
        operation_id=_operation(world),
        valid_from=date(2026, 1, 1),
        state=state,
        opened_at=timezone.now() if state != "draft" else None,
    )
    CampaignVin.objects.create(campaign=campaign, vin=valid_vin(700000 + number))
    return campaign.pk


def _vehicle_model(world: World) -> int:
    """A model of the world's brand (one per world)."""
    brand = world.sh.brands.get()
    return VehicleModel.objects.get_or_create(brand=brand, series="矩阵", name="矩阵车型")[0].pk


def _vin_list() -> SimpleUploadedFile:
    return SimpleUploadedFile("vins.csv", f"VIN\n{valid_vin(800000 + next(_serial))}\n".encode())


def _signature() -> str:
    return "data:image/png;base64," + base64.b64encode(image_bytes("PNG")).decode()


def _visit(world: World) -> int:
    """A car on site at SH01 (a customer and a vehicle of its own each call), promised for tomorrow, its
    labour priced at the customer's rate (one rate per world)."""
    if "_labour_rate" not in world.__dict__:
        world.__dict__["_labour_rate"] = LabourRate.objects.create(
            group=world.sh.group, pay_type="customer", rate=Decimal("200.00"), valid_from=date(2020, 1, 1)
        )
    visit = visits.visit_open(
        actor=world.user("advisor"),
        data=visits.VisitIn(
            store_id=world.sh.pk,
            customer_id=_customer(world),
            vehicle_id=_vehicle(world),
            mileage_in=10_000,
            fuel_level=4,
            contact_mobile="13800000000",
            promised_at=timezone.now() + timedelta(days=1),
        ),
    )
    return visit.pk


def _walked_around(world: World) -> int:
    """A visit whose walk-around lacks only the customer's signature."""
    visit_id = _visit(world)
    store_id = world.sh.pk
    visits.walk_around_save(
        actor=world.user("advisor"),
        visit_id=visit_id,
        data=visits.WalkAroundIn(
            covers_fitted=True,
            tyres=dict.fromkeys(("fl", "fr", "rl", "rr"), "5"),
            checks={item.pk: ("green", "") for item in checklist_of(store_id)},
        ),
    )
    return visit_id


def _damage(world: World) -> dict[str, int]:
    visit_id = _visit(world)
    mark = visits.damage_add(actor=world.user("advisor"), visit_id=visit_id, kind="scratch", x=100, y=200)
    return {"visit_id": visit_id, "mark_id": mark.pk}


def _damage_photo(world: World) -> dict[str, int]:
    visit_id = _visit(world)
    photo = SimpleUploadedFile("scratch.png", image_bytes("PNG"), content_type="image/png")
    mark = visits.damage_add(actor=world.user("advisor"), visit_id=visit_id, kind="scratch", x=100, y=200, photo=photo)
    return {"visit_id": visit_id, "media_id": mark.photo_id or 0}


def _recommendation(world: World) -> dict[str, int]:
    visit_id = _visit(world)
    row = visits.recommendation_add(
        actor=world.user("advisor"), visit_id=visit_id, data=visits.RecommendationIn(operation_id=_operation(world))
    )
    return {"visit_id": visit_id, "recommendation_id": row.pk}


def _repair_order(world: World) -> dict[str, int]:
    """A signed order of its own visit: labour the customer asked for (approved, position 1), and sublet work
    found at the walk-around waiting for each payer's approval: the customer's (2), the insurer's (3), the
    manufacturer's (4), a manager's for goodwill (5) and QC's for a comeback (6)."""
    sublet = [
        visits.LineIn(
            kind="sublet", source="walk_around", pay_type=pay_type, description="四轮定位", unit_price=Decimal(150)
        )
        for pay_type in ("customer", "insurance", "oem_warranty", "goodwill", "comeback")
    ]
    order = visits.repair_order_create(
        actor=world.user("advisor"),
        visit_id=_visit(world),
        data=visits.OrderIn(
            statement="保养",
            signature=_signature(),
            signed_name="王五",
            lines=[visits.LineIn(kind="labour", operation_id=_operation(world)), *sublet],
        ),
    )
    lines = dict(order.lines.values_list("position", "pk"))
    return {
        "order_id": order.pk,
        "approved": lines[1],
        "proposed": lines[2],
        **{f"line{p}": pk for p, pk in lines.items()},
    }


def _holds(user: User, world: World, code: str) -> bool:
    return can(user, code, store_id=world.sh.pk)


# (permission, kind, position of the line its kind approves, the kind's fields) per approval recorder.
_APPROVERS: list[tuple[str, str, int, dict[str, Any]]] = [
    ("visits.receive", "customer_phone", 2, {"person": "王五"}),
    ("visits.insurance", "insurer_assessment", 3, {"insurer": "人保", "claim_number": "RDAA01", "person": "李"}),
    ("visits.warranty", "oem_preauthorisation", 4, {"authorisation_number": "PA-1"}),
    ("visits.manager_approval", "manager", 5, {"note": "客户关怀"}),
    ("visits.qc_confirm", "qc_confirmation", 6, {"note": "返修"}),
]


def _approval(user: User, world: World, *, page: bool) -> dict[str, Any]:
    """The approval the user may record (a customer's by phone when they may record none)."""
    order = _repair_order(world)
    _code, kind, position, extra = next((row for row in _APPROVERS if _holds(user, world, row[0])), _APPROVERS[0])
    line = order[f"line{position}"]
    if page:
        data = {"kind": kind, f"decide-{line}": "approve", **extra}
        if kind == "insurer_assessment":
            data[f"assessed-{line}"] = "150"
        return {"method": "POST", "kwargs": {"order_id": order["order_id"]}, "data": data}
    decision: dict[str, Any] = {"line": line, "approve": True}
    if kind == "insurer_assessment":
        decision["assessed_amount"] = "150"
    return {"kwargs": {"order_id": order["order_id"]}, "json": {"kind": kind, "decisions": [decision], **extra}}


def _order_move(user: User, world: World) -> tuple[int, str]:
    """An order and the move the user may make on it: start the work, cancel it, or close it once delivered."""
    order_id = _repair_order(world)["order_id"]
    if _holds(user, world, "repair_orders.workshop"):
        return order_id, "start_work"
    if _holds(user, world, "repair_orders.cancel"):
        return order_id, "cancel"
    RepairOrder.all_objects.filter(pk=order_id).update(state="delivered")
    return order_id, "close"


def _line_move(user: User, world: World) -> dict[str, Any]:
    """A line and the move the user may make on it: finish approved sublet work (labour moves only through
    the workshop's dispatch and clock), or cancel proposed work."""
    order = _repair_order(world)
    if _holds(user, world, "repair_orders.workshop"):
        Line.all_objects.filter(pk=order["proposed"]).update(state="approved")
        return {"kwargs": {"order_id": order["order_id"], "line_id": order["proposed"]}, "action": "finish"}
    return {"kwargs": {"order_id": order["order_id"], "line_id": order["proposed"]}, "action": "cancel"}


SAMPLES: dict[str, Callable[[User, World], dict[str, Any]]] = {
    # appointments API
    "appointment_slots": lambda user, w: {
        "query": {
            "store": "SH01",
            "date": (timezone.localdate() + timedelta(days=1)).isoformat(),
            "services": f"operation:{_bookable(w)['operation']}",
            "wish": "10:00",
        }
    },
    "appointment_list": lambda user, w: {"query": {"store": "SH01"}},
    "appointment_detail": lambda user, w: {"kwargs": {"appointment_id": _appointment(w)}},
    "appointment_create": lambda user, w: {
        "json": {
            "store": "SH01",
            "starts_at": _free_time(w),
            "services": [f"operation:{_bookable(w)['operation']}"],
            "contact_name": "王五",
            "contact_mobile": "13800000000",
        }
    },
    "appointment_reschedule": lambda user, w: {
        "kwargs": {"appointment_id": _appointment(w)},
        "json": {"starts_at": _free_time(w), "reason": "客户改期"},
    },
    "appointment_cancel": lambda user, w: {
        "kwargs": {"appointment_id": _appointment(w)},
        "json": {"reason": "客户取消"},
    },
    "appointment_check_in": lambda user, w: {"kwargs": {"appointment_id": _appointment(w)}},
    "appointment_show_rate": lambda user, w: {"query": {"store": "SH01", "by": "channel"}},
    "appointment_board": lambda user, w: {"query": {"store": "SH01"}},
    "appointment_day": lambda user, w: {
        "query": {"store": "SH01", "date": _booked_day(w), "advisor": w.user("advisor").username}
    },
    "appointment_prepick_list": lambda user, w: {"query": {"store": "SH01"}},
    "appointment_prepick": lambda user, w: {
        "kwargs": {"appointment_id": _appointment(w, services=[f"package:{_bookable(w)['package']}"])}
    },
    "appointment_stage": lambda user, w: {
        "kwargs": {"appointment_id": _appointment(w, services=[f"package:{_bookable(w)['package']}"], prepicked=True)}
    },
    "appointment_parts_order": lambda user, w: {"kwargs": {"appointment_id": _short_appointment(w)}},
    "appointment_technicians": lambda user, w: {"query": {"store": "SH01"}},
    "appointment_technician_save": lambda user, w: {
        "kwargs": {"user_id": w.user("technician").pk},
        "json": {"store": "SH01", "efficiency": "1.10", "shifts": {"0": ["08:30", "17:30"], "5": ["09:00", "15:00"]}},
    },
    "appointment_leave_add": lambda user, w: {
        "kwargs": {"technician_id": _bookable(w)["technician"]},
        "json": {"starts_at": (start := _free_time(w)), "ends_at": start.replace("T10:", "T12:"), "reason": "年假"},
    },
    "appointment_leave_remove": lambda user, w: {"kwargs": {"leave_id": _leave(w)}},
    "appointment_settings": lambda user, w: {"query": {"store": "SH01"}},
    "appointment_settings_save": lambda user, w: {"json": {"store": "SH01", "walk_in_reserve_percent": 25}},
    # appointments pages
    "appointments:book": lambda user, w: {"kwargs": _online_store(w)},
    "appointments:book_times": lambda user, w: {"kwargs": _online_store(w)},
    "appointments:detail": lambda user, w: {"kwargs": {"appointment_id": _appointment(w)}},
    "appointments:reschedule": lambda user, w: {"kwargs": {"appointment_id": _appointment(w)}},
    "appointments:cancel": lambda user, w: {
        "method": "POST",
        "kwargs": {"appointment_id": _appointment(w)},
        "data": {"reason": "客户取消"},
    },
    "appointments:check_in": lambda user, w: {"method": "POST", "kwargs": {"appointment_id": _appointment(w)}},
    "appointments:prepick_reserve": lambda user, w: {
        "method": "POST",
        "kwargs": {"appointment_id": _appointment(w, services=[f"package:{_bookable(w)['package']}"])},
    },
    "appointments:prepick_stage": lambda user, w: {
        "method": "POST",
        "kwargs": {"appointment_id": _appointment(w, services=[f"package:{_bookable(w)['package']}"], prepicked=True)},
    },
    "appointments:prepick_order": lambda user, w: {
        "method": "POST",
        "kwargs": {"appointment_id": _short_appointment(w)},
    },
    "appointments:label": lambda user, w: {
        "kwargs": {"appointment_id": _appointment(w, services=[f"package:{_bookable(w)['package']}"], prepicked=True)}
    },
    "appointments:technician": lambda user, w: {"kwargs": {"technician_id": _bookable(w)["technician"]}},
    "appointments:leave_add": lambda user, w: {
        "method": "POST",
        "data": {
            "technician": _bookable(w)["technician"],
            "starts_at": (start := _free_time(w)[:16]),
            "ends_at": start.replace("T10:", "T12:"),
            "reason": "年假",
        },
    },
    "appointments:leave_remove": lambda user, w: {"method": "POST", "kwargs": {"leave_id": _leave(w)}},
    "appointments:settings": lambda user, w: {
        "method": "POST",
        "data": {
            "walk_in_reserve_percent": "25",
            "arrival_spacing_minutes": "15",
            "no_show_grace_minutes": "30",
            "reminder_hours": "24",
            "same_day_reminder_hours": "2",
            "booking_script": "您好，这里是矩阵店。",
            "documents_default": "行驶证",
        },
    },
    # campaigns API
    "campaign_create": lambda user, w: {
        "json": {
            "code": f"MX-C-{next(_serial)}",
            "kind": "service",
            "title": "矩阵活动",
            "operation": _operation(w),
            "valid_from": "2026-01-01",
        }
    },
    "campaign_detail": lambda user, w: {"kwargs": {"campaign_id": _campaign(w)}},
    "campaign_update": lambda user, w: {"kwargs": {"campaign_id": _campaign(w)}, "json": {"title": "矩阵召回二"}},
    "campaign_open": lambda user, w: {"kwargs": {"campaign_id": _campaign(w)}},
    "campaign_close": lambda user, w: {
        "kwargs": {"campaign_id": _campaign(w, state="open")},
        "json": {"note": "矩阵结束"},
    },
    "campaign_vins_import": lambda user, w: {
        "kwargs": {"campaign_id": _campaign(w)},
        "data": {"file": _vin_list()},
    },
    "campaign_range_add": lambda user, w: {
        "kwargs": {"campaign_id": _campaign(w)},
        "json": {"first_vin": valid_vin(100), "last_vin": valid_vin(199)},
    },
    "campaign_model_add": lambda user, w: {
        "kwargs": {"campaign_id": _campaign(w)},
        "json": {"model": _vehicle_model(w)},
    },
    "campaign_match": lambda user, w: {"query": {"vin": valid_vin(700001), "store": "SH01"}},
    "appointment_offers": lambda user, w: {"query": {"store": "SH01", "vin": valid_vin(700001)}},
    # visits API
    "visit_list": lambda user, w: {"query": {"store": "SH01"}},
    "visit_detail": lambda user, w: {"kwargs": {"visit_id": _visit(w)}},
    "visit_create": lambda user, w: {
        "json": {
            "store": "SH01",
            "customer": _customer(w),
            "vehicle": _vehicle(w),
            "mileage_in": 10_000,
            "fuel_level": 4,
            "contact_mobile": "13800000000",
        }
    },
    "visit_update": lambda user, w: {"kwargs": {"visit_id": _visit(w)}, "json": {"parking_spot": "B-12"}},
    "visit_leave": lambda user, w: {"kwargs": {"visit_id": _visit(w)}, "json": {"reason": "客户离开"}},
    "walk_around_put": lambda user, w: {
        "kwargs": {"visit_id": _visit(w)},
        "json": {"covers": True, "tyres": {"fl": "4.5"}, "checks": [{"item": "brakes", "rating": "green"}]},
    },
    "walk_around_damage_add": lambda user, w: {
        "kwargs": {"visit_id": _visit(w)},
        "data": {"kind": "scratch", "x": "100", "y": "200"},
    },
    "walk_around_damage_remove": lambda user, w: {"kwargs": _damage(w)},
    "walk_around_complete": lambda user, w: {
        "kwargs": {"visit_id": _walked_around(w)},
        "json": {"signature": _signature(), "signer_name": "王五"},
    },
    "diagnosis_put": lambda user, w: {
        "kwargs": {"visit_id": _visit(w)},
        "json": {"symptoms": "异响", "codes": ["P0301"]},
    },
    "recommendation_create": lambda user, w: {
        "kwargs": {"visit_id": _visit(w)},
        "json": {"operation": _operation(w)},
    },
    "recommendation_delete": lambda user, w: {"kwargs": _recommendation(w)},
    "repair_order_list": lambda user, w: {"query": {"store": "SH01"}},
    "repair_order_detail": lambda user, w: {"kwargs": {"order_id": _repair_order(w)["order_id"]}},
    "repair_order_create": lambda user, w: {
        "json": {
            "visit": _visit(w),
            "statement": "保养",
            "signature": _signature(),
            "signed_name": "王五",
            "lines": [{"kind": "sublet", "description": "洗车", "unit_price": "50"}],
        }
    },
    "repair_order_line_add": lambda user, w: {
        "kwargs": {"order_id": _repair_order(w)["order_id"]},
        "json": {"kind": "sublet", "description": "洗车", "unit_price": "50"},
    },
    "repair_order_line_price": lambda user, w: {
        "kwargs": {"order_id": (order := _repair_order(w))["order_id"], "line_id": order["proposed"]},
        "json": {"unit_price": "160", "reason": "含材料"},
    },
    "repair_order_line_transition": lambda user, w: {
        "kwargs": (move := _line_move(user, w))["kwargs"],
        "json": {"action": move["action"]},
    },
    "repair_order_transition": lambda user, w: {
        "kwargs": {"order_id": (move := _order_move(user, w))[0]},
        "json": {"action": move[1]},
    },
    "repair_order_approve": lambda user, w: _approval(user, w, page=False),
    "repair_order_approvals": lambda user, w: {"kwargs": {"order_id": _repair_order(w)["order_id"]}},
    # visits pages
    "visits:visit": lambda user, w: {"kwargs": {"visit_id": _visit(w)}},
    "visits:visit_edit": lambda user, w: {
        "method": "POST",
        "kwargs": {"visit_id": _visit(w)},
        "data": {"contact_mobile": "13800000000", "waiting": "lounge", "key_tag": "K-01"},
    },
    "visits:visit_leave": lambda user, w: {
        "method": "POST",
        "kwargs": {"visit_id": _visit(w)},
        "data": {"reason": "只咨询"},
    },
    "visits:walk_around": lambda user, w: {"kwargs": {"visit_id": _visit(w)}},
    "visits:damage_add": lambda user, w: {
        "method": "POST",
        "kwargs": {"visit_id": _visit(w)},
        "data": {"kind": "dent", "x": "420", "y": "610", "note": "后门凹陷"},
    },
    "visits:damage_remove": lambda user, w: {"method": "POST", "kwargs": _damage(w)},
    "visits:check_photo": lambda user, w: {
        "method": "POST",
        "kwargs": {"visit_id": _walked_around(w), "item_id": checklist_of(w.sh.pk)[0].pk},
        "data": {"photo": SimpleUploadedFile("check.png", image_bytes("PNG"), content_type="image/png")},
    },
    "visits:walk_around_complete": lambda user, w: {
        "method": "POST",
        "kwargs": {"visit_id": _walked_around(w)},
        "data": {"signer_name": "王五", "signature": _signature()},
    },
    "visits:diagnosis": lambda user, w: {"kwargs": {"visit_id": _visit(w)}},
    "visits:recommendation_add": lambda user, w: {
        "method": "POST",
        "kwargs": {"visit_id": _visit(w)},
        "data": {"operation": str(_operation(w)), "source": "diagnosis", "fault_code": "P0301"},
    },
    "visits:recommendation_remove": lambda user, w: {"method": "POST", "kwargs": _recommendation(w)},
    "visits:photo": lambda user, w: {"kwargs": _damage_photo(w)},
    "visits:inspection_pdf": lambda user, w: {"kwargs": {"visit_id": _walked_around(w)}},
    "visits:order_new": lambda user, w: {"kwargs": {"visit_id": _visit(w)}},
    "visits:line_row": lambda user, w: {"kwargs": {"visit_id": _visit(w)}, "query": {"index": "4"}},
    "visits:order": lambda user, w: {"kwargs": {"order_id": _repair_order(w)["order_id"]}},
    "visits:order_pdf": lambda user, w: {"kwargs": {"order_id": _repair_order(w)["order_id"]}},
    "visits:estimate_pdf": lambda user, w: {"kwargs": {"order_id": _repair_order(w)["order_id"]}},
    "visits:line_add": lambda user, w: {
        "method": "POST",
        "kwargs": {"order_id": _repair_order(w)["order_id"]},
        "data": {
            "kind": "sublet",
            "pay_type": "customer",
            "source": "requested",
            "description": "洗车",
            "unit_price": "50",
        },
    },
    "visits:line_price": lambda user, w: {
        "method": "POST",
        "kwargs": {"order_id": (order := _repair_order(w))["order_id"], "line_id": order["proposed"]},
        "data": {"unit_price": "160", "reason": "含材料"},
    },
    "visits:line_action": lambda user, w: {
        "method": "POST",
        "kwargs": (move := _line_move(user, w))["kwargs"],
        "data": {"action": move["action"]},
    },
    "visits:order_action": lambda user, w: {
        "method": "POST",
        "kwargs": {"order_id": (move := _order_move(user, w))[0]},
        "data": {"action": move[1]},
    },
    "visits:approval": lambda user, w: _approval(user, w, page=True),
    "visits:link_send": lambda user, w: {"method": "POST", "kwargs": {"order_id": _repair_order(w)["order_id"]}},
    # campaigns pages
    "campaigns:detail": lambda user, w: {"kwargs": {"campaign_id": _campaign(w)}},
    "campaigns:edit": lambda user, w: {"kwargs": {"campaign_id": _campaign(w)}},
    "campaigns:range_add": lambda user, w: {
        "method": "POST",
        "kwargs": {"campaign_id": _campaign(w)},
        "data": {"first_vin": valid_vin(100), "last_vin": valid_vin(199)},
    },
    "campaigns:model_add": lambda user, w: {
        "method": "POST",
        "kwargs": {"campaign_id": _campaign(w)},
        "data": {"model": str(_vehicle_model(w))},
    },
    "campaigns:vins_import": lambda user, w: {
        "method": "POST",
        "kwargs": {"campaign_id": _campaign(w)},
        "data": {"file": _vin_list()},
    },
    "campaigns:range_remove": lambda user, w: {
        "method": "POST",
        "kwargs": {
            "campaign_id": (campaign := _campaign(w)),
            "row_id": CampaignVinRange.objects.create(
                campaign_id=campaign, prefix="LSVAA418*E2", serial_from="000001", serial_to="000009"
            ).pk,
        },
    },
    "campaigns:model_remove": lambda user, w: {
        "method": "POST",
        "kwargs": {
            "campaign_id": (campaign := _campaign(w)),
            "row_id": CampaignModelRange.objects.create(campaign_id=campaign, model_id=_vehicle_model(w)).pk,
        },
    },
    "campaigns:vins_clear": lambda user, w: {"method": "POST", "kwargs": {"campaign_id": _campaign(w)}},
    "campaigns:open": lambda user, w: {"method": "POST", "kwargs": {"campaign_id": _campaign(w)}},
    "campaigns:close": lambda user, w: {
        "method": "POST",
        "kwargs": {"campaign_id": _campaign(w, state="open")},
        "data": {"note": "矩阵结束"},
    },
    # stocktakes API
    "stocktake_create": lambda user, w: {
        "json": {"store": "SH01", "kind": "cycle", "bin_from": (code := _stocked_bin(w)), "bin_to": code}
    },
    "stocktake_detail": lambda user, w: {"kwargs": {"stocktake_id": _stocktake(w)["stocktake_id"]}},
    "stocktake_counts": lambda user, w: {
        "kwargs": {"stocktake_id": (take := _stocktake(w))["stocktake_id"]},
        "json": {"counts": [{"part": "06L115562", "bin": take["bin"], "quantity": "3"}]},
    },
    "stocktake_resolve": lambda user, w: {
        "kwargs": {"stocktake_id": (take := _stocktake(w, counted=True))["stocktake_id"]},
        "json": {"line": take["line"], "quantity": "4"},
    },
    "stocktake_approve": lambda user, w: {"kwargs": {"stocktake_id": _stocktake(w, counted=True)["stocktake_id"]}},
    "stocktake_post": lambda user, w: {"kwargs": {"stocktake_id": _stocktake(w, approved=True)["stocktake_id"]}},
    "stocktake_reopen": lambda user, w: {"kwargs": {"stocktake_id": _stocktake(w, approved=True)["stocktake_id"]}},
    "stocktake_cancel": lambda user, w: {"kwargs": {"stocktake_id": _stocktake(w)["stocktake_id"]}},
    # parts and catalogue pages
    "parts:stocktake": lambda user, w: {"kwargs": {"stocktake_id": _stocktake(w)["stocktake_id"]}},
    "parts:stocktake_sheet": lambda user, w: {"kwargs": {"stocktake_id": _stocktake(w)["stocktake_id"]}},
    "parts:stocktake_count": lambda user, w: {
        "method": "POST",
        "kwargs": {"stocktake_id": (take := _stocktake(w))["stocktake_id"]},
        "data": {"bin": str(take["bin"]), "part": "06L115562", "quantity": "3"},
    },
    "parts:stocktake_resolve": lambda user, w: {
        "method": "POST",
        "kwargs": {"stocktake_id": (take := _stocktake(w, counted=True))["stocktake_id"]},
        "data": {"line": str(take["line"]), "quantity": "4"},
    },
    "parts:stocktake_approve": lambda user, w: {
        "method": "POST",
        "kwargs": {"stocktake_id": _stocktake(w, counted=True)["stocktake_id"]},
    },
    "parts:stocktake_post": lambda user, w: {
        "method": "POST",
        "kwargs": {"stocktake_id": _stocktake(w, approved=True)["stocktake_id"]},
    },
    "parts:stocktake_reopen": lambda user, w: {
        "method": "POST",
        "kwargs": {"stocktake_id": _stocktake(w, approved=True)["stocktake_id"]},
    },
    "parts:stocktake_cancel": lambda user, w: {
        "method": "POST",
        "kwargs": {"stocktake_id": _stocktake(w)["stocktake_id"]},
    },
    "parts:warehouse_cycle": lambda user, w: {
        "method": "POST",
        "kwargs": {"warehouse_id": _stock(w)["warehouse"].pk},
        "data": {"cycle_days": "30"},
    },
    "parts:detail": lambda user, w: {"kwargs": {"part_id": _stock(w)["part"].pk}},
    "parts:edit": lambda user, w: {"kwargs": {"part_id": _stock(w)["part"].pk}},
    "parts:supersede": lambda user, w: {
        "method": "POST",
        "kwargs": {"part_id": _stock(w)["part"].pk},
        "data": {"new_number": _new_part(w), "interchangeability": "two_way", "effective_on": "2026-01-01"},
    },
    "parts:price": lambda user, w: {
        "method": "POST",
        "kwargs": {"part_id": _stock(w)["part"].pk},
        "data": {"kind": "retail", "scope": str(w.sh.pk), "price": "58.00", "valid_from": "2026-01-01"},
    },
    "parts:bins": lambda user, w: {
        "method": "POST",
        "kwargs": {"warehouse_id": _stock(w)["warehouse"].pk},
        "data": {"codes": f"B-{next(_serial)}"},
    },
    "parts:labels": lambda user, w: {"kwargs": {"warehouse_id": _stock(w)["warehouse"].pk}},
    "parts:moves": lambda user, w: {"query": {"part": _stock(w)["part"].number_display}},
    "catalogue:operation": lambda user, w: {"kwargs": {"operation_id": _operation(w)}},
    "catalogue:operation_edit": lambda user, w: {"kwargs": {"operation_id": _operation(w)}},
    "catalogue:package": lambda user, w: {"kwargs": {"package_id": _package(w)}},
    # service catalogue API
    "operation_create": lambda user, w: {
        "json": {
            "code": f"OP{next(_serial)}",
            "name": "更换刹车片",
            "category": "chassis",
            "default_hours": "1.5",
            "skill_level": "intermediate",
            "repair_category": "minor",
            "times": [{"series": "帕萨特", "hours": "1.8"}],
        }
    },
    "operation_detail": lambda user, w: {"kwargs": {"operation_id": _operation(w)}},
    "operation_update": lambda user, w: {"kwargs": {"operation_id": _operation(w)}, "json": {"name_en": "Brakes"}},
    "package_create": lambda user, w: {
        "json": {
            "brand": w.sh.brands.get().code,
            "code": f"PK{next(_serial)}",
            "name": "10000公里保养",
            "interval_km": 10000,
            "items": [
                {"kind": "labour", "code": LabourOperationFactory.create(group=w.sh.group).code},
                {"kind": "part", "code": _stock(w)["part"].number_display},
            ],
        }
    },
    "package_detail": lambda user, w: {"kwargs": {"package_id": _package(w)}},
    "labour_rate_create": lambda user, w: {
        "json": {
            "store": "SH01",
            "pay_type": "customer",
            "rate": "360.00",
            "valid_from": f"2026-01-{next(_serial) % 28 + 1:02d}",
        }
    },
    "price_quote": lambda user, w: {
        "query": {"store": "SH01", "pay_type": "customer", "part": _stock(w)["part"].number_display}
    },
    # parts and stock API
    "part_list": lambda user, w: {"query": {"q": "06L"}},
    "part_create": lambda user, w: {
        "json": {"brand": w.sh.brands.get().code, "number_display": f"P-{next(_serial)}", "name": "刹车片"}
    },
    "part_detail": lambda user, w: {"kwargs": {"part_id": _stock(w)["part"].pk}},
    "part_update": lambda user, w: {"kwargs": {"part_id": _stock(w)["part"].pk}, "json": {"name_en": "Oil filter"}},
    "part_supersede": lambda user, w: {
        "kwargs": {"part_id": _stock(w)["part"].pk},
        "json": {"new_number": _new_part(w), "interchangeability": "two_way", "effective_on": "2026-01-01"},
    },
    "part_price": lambda user, w: {
        "kwargs": {"part_id": _stock(w)["part"].pk},
        "json": {"kind": "retail", "store": "SH01", "price": "58.00", "valid_from": "2026-01-01"},
    },
    "price_file_upload": lambda user, w: {
        "data": {
            "brand": w.sh.brands.get().code,
            "kind": "retail",
            "effective_from": "2026-12-01",
            "dry_run": "true",
            "file": _price_file_upload(),
        }
    },
    "warehouse_create": lambda user, w: {
        "json": {"store": "SH01", "code": f"W{next(_serial)}", "name": "轮胎库", "bins": ["T-01"]}
    },
    "warehouse_cycle": lambda user, w: {
        "kwargs": {"warehouse_id": _stock(w)["warehouse"].pk},
        "json": {"cycle_days": 30},
    },
    "warehouse_bins_add": lambda user, w: {
        "kwargs": {"warehouse_id": _stock(w)["warehouse"].pk},
        "json": {"codes": [f"B-{next(_serial)}"]},
    },
    "warehouse_labels": lambda user, w: {"kwargs": {"warehouse_id": _stock(w)["warehouse"].pk}},
    "stock_as_of": lambda user, w: {"query": {"store": "SH01", "date": timezone.localdate().isoformat()}},
    "receipt_post": lambda user, w: {
        "json": {
            "store": "SH01",
            "lines": [{"part": "06L115562", "bin": _stock(w)["bin"].pk, "quantity": "2", "unit_cost": "10.5"}],
        }
    },
    "issue_post": lambda user, w: {
        "json": {
            "store": "SH01",
            "demand_id": _fresh_demand(w),
            "part_number": "06L115562",
            "quantity": "1",
            "received_by": w.user("technician").pk,
        }
    },
    "return_post": lambda user, w: {"json": _issued(w)},
    "transfer_post": lambda user, w: {
        "json": {
            "store": "SH01",
            "to_bin": _stock(w)["bin2"].pk,
            "lines": [{"part": "06L115562", "bin": _stock(w)["bin"].pk, "quantity": "1"}],
        }
    },
    "scrap_post": lambda user, w: {
        "json": {
            "store": "SH01",
            "reason": "破损",
            "lines": [{"part": "06L115562", "bin": _stock(w)["bin"].pk, "quantity": "1"}],
        }
    },
    "supplier_return_post": lambda user, w: {
        "json": {
            "store": "SH01",
            "reason": "错发",
            "lines": [{"part": "06L115562", "bin": _stock(w)["bin"].pk, "quantity": "1"}],
        }
    },
    "adjustment_post": lambda user, w: {
        "json": {"store": "SH01", "part": "06L115562", "bin": _stock(w)["bin"].pk, "quantity": "-1", "reason": "盘亏"}
    },
    "reservation_create": lambda user, w: {
        "json": {
            "store": "SH01",
            "demands": [
                {"part": "06L115562", "quantity": "1", "demand_type": "repair_order", "demand_id": _fresh_demand(w)}
            ],
        }
    },
    "reservation_repoint": lambda user, w: {
        "kwargs": {"reservation_id": _reservation(w).pk},
        "json": {"demand_type": "repair_order", "demand_id": next(_serial)},
    },
    "reservation_release": lambda user, w: {
        "json": {"store": "SH01", "demand_type": "repair_order", "demand_id": _reservation(w).demand_id}
    },
    "closing_create": lambda user, w: {"json": {"store": "SH01", "month": _month_to_close(w)}},
    # archive API
    "customer_search": lambda user, w: {"query": {"q": "王"}},
    "customer_create": lambda user, w: {"json": {"name": "赵六", "mobiles": [f"136{next(_serial):08d}"]}},
    "customer_detail": lambda user, w: {"kwargs": {"customer_id": _customer(w)}},
    "customer_update": lambda user, w: {
        "kwargs": {"customer_id": _customer(w)},
        "json": {"version": 1, "name": "王六"},
    },
    "customer_reveal": lambda user, w: {"kwargs": {"customer_id": _customer(w)}, "json": {"field": "mobiles"}},
    "customer_review": lambda user, w: {"kwargs": {"customer_id": _customer(w)}},
    "customer_timeline": lambda user, w: {"kwargs": {"customer_id": _customer(w)}},
    "customer_archive_card": lambda user, w: {"kwargs": {"customer_id": _customer(w)}},
    "customer_merge": lambda user, w: {"json": {"survivor_id": _customer(w), "merged_id": _customer(w)}},
    "vehicle_create": lambda user, w: {
        "json": {"vin": valid_vin(next(_serial), prefix="LSVAU2180N2"), "owner_id": _customer(w)}
    },
    "vehicle_detail": lambda user, w: {"kwargs": {"vehicle_id": _vehicle(w)}},
    "vehicle_update": lambda user, w: {"kwargs": {"vehicle_id": _vehicle(w)}, "json": {"version": 1, "colour": "白"}},
    "vehicle_history": lambda user, w: {"kwargs": {"vehicle_id": _vehicle(w)}},
    "vehicle_mileage": lambda user, w: {
        "kwargs": {"vehicle_id": _vehicle(w)},
        "json": {"km": 100, "read_on": "2025-01-01"},
    },
    "vehicle_transfer": lambda user, w: {
        "kwargs": {"vehicle_id": _vehicle(w)},
        "json": {"customer_id": _customer(w), "on": timezone.localdate().isoformat()},
    },
    "vehicle_timeline": lambda user, w: {"kwargs": {"vehicle_id": _vehicle(w)}},
    "vehicle_driver_add": lambda user, w: {
        "kwargs": {"vehicle_id": _vehicle(w)},
        "json": {"customer_id": _customer(w), "valid_from": timezone.localdate().isoformat()},
    },
    "vehicle_driver_end": lambda user, w: {
        "kwargs": _driver_link(w),
        "json": {"valid_to": timezone.localdate().isoformat()},
    },
    "warranty_policy_create": lambda user, w: {
        "json": {
            "brand_id": w.sh.brands.get().pk,
            "warranty_years": 3,
            "warranty_km": 100_000,
            "sanbao_years": 2,
            "sanbao_km": 50_000,
            "valid_from": f"2020-01-{next(_serial) % 28 + 1:02d}",
        }
    },
    "archive_rule_get": lambda user, w: {"query": {"store": w.sh.pk}},
    "archive_rule_put": lambda user, w: {"json": {"store": w.sh.pk, "required_fields": ["mobile"], "review_days": 30}},
    "customer_document_list": lambda user, w: {"kwargs": {"customer_id": _customer(w)}},
    "customer_document_upload": lambda user, w: {
        "kwargs": {"customer_id": _customer(w)},
        "data": {"kind": "id_card", "file": SimpleUploadedFile("id.png", image_bytes("PNG"))},
    },
    "customer_document_download": lambda user, w: {"kwargs": _document(w)},
    "customer_document_delete": lambda user, w: {"kwargs": _document(w)},
    "customer_pi_export": lambda user, w: {"kwargs": {"customer_id": _customer(w)}, "query": {"format": "xlsx"}},
    "customer_anonymise": lambda user, w: {"kwargs": {"customer_id": _customer(w)}, "json": {"reason": "matrix"}},
    "customer_consent_withdraw": lambda user, w: {"kwargs": {"customer_id": _customer(w)}, "json": {"which": "data"}},
    "customer_privacy:requests": lambda user, w: {"kwargs": {"customer_id": _customer(w)}},
    "customer_privacy:export": lambda user, w: {"kwargs": {"customer_id": _customer(w)}, "query": {"format": "json"}},
    "customer_privacy:documents": lambda user, w: {"kwargs": {"customer_id": _customer(w)}},
    "customer_privacy:document": lambda user, w: {"kwargs": _document(w)},
    "customer_privacy:document_delete": lambda user, w: {"method": "POST", "kwargs": _document(w)},
    # archive pages
    "customers:detail": lambda user, w: {"kwargs": {"customer_id": _customer(w)}},
    "customers:edit": lambda user, w: {"kwargs": {"customer_id": _customer(w)}},
    "customers:archive_card": lambda user, w: {"kwargs": {"customer_id": _customer(w)}},
    "customers:reveal": lambda user, w: {
        "method": "POST",
        "kwargs": {"customer_id": _customer(w)},
        "data": {"field": "mobiles"},
    },
    "customers:review": lambda user, w: {"method": "POST", "kwargs": {"customer_id": _customer(w)}},
    "customers:validate": lambda user, w: {
        "method": "POST",
        "kwargs": {"field": "mobiles"},
        "data": {"mobiles": "13812345678"},
    },
    "customers:vehicle_create": lambda user, w: {"kwargs": {"customer_id": _customer(w)}},
    "customers:vehicle_detail": lambda user, w: {"kwargs": {"vehicle_id": _vehicle(w)}},
    "customers:vehicle_edit": lambda user, w: {"kwargs": {"vehicle_id": _vehicle(w)}},
    "customers:driver_add": lambda user, w: {
        "method": "POST",
        "kwargs": {"vehicle_id": _vehicle(w)},
        "data": {"customer_number": _customer_number(w), "valid_from": timezone.localdate().isoformat()},
    },
    "customers:driver_end": lambda user, w: {
        "method": "POST",
        "kwargs": _driver_link(w),
        "data": {"valid_to": timezone.localdate().isoformat()},
    },
    "customers:mileage_add": lambda user, w: {
        "method": "POST",
        "kwargs": {"vehicle_id": _vehicle(w)},
        "data": {"km": 100, "read_on": "2025-01-01"},
    },
    "customers:vehicle_transfer": lambda user, w: {
        "method": "POST",
        "kwargs": {"vehicle_id": _vehicle(w)},
        "data": {"customer_number": _customer_number(w), "on": timezone.localdate().isoformat()},
    },
    "customer_imports:job": lambda user, w: {"kwargs": {"job_id": _import_job(w)}},
    "customer_imports:errors": lambda user, w: {"kwargs": {"job_id": _import_job(w)}},
    "import_job": lambda user, w: {"kwargs": {"job_id": _import_job(w)}},
    "import_errors": lambda user, w: {"kwargs": {"job_id": _import_job(w)}},
    "import_upload": lambda user, w: {"data": {"file": _workbook_upload(), "mode": "valid_rows"}},
    "parts:import_job": lambda user, w: {"kwargs": {"job_id": _stock_import_job(w)}},
    # purchasing
    "purchasing:order": lambda user, w: {"kwargs": {"order_id": _order(w)}},
    "purchasing:order_file": lambda user, w: {"kwargs": {"order_id": _order(w)}},
    "purchasing:order_pdf": lambda user, w: {"kwargs": {"order_id": _order(w)}},
    "purchasing:order_submit": lambda user, w: {"method": "POST", "kwargs": {"order_id": _order(w)}},
    "purchasing:order_receive": lambda user, w: {
        "method": "POST",
        "kwargs": {"order_id": _order(w, status="sent")},
        "data": {"bin_1": str(_stock(w)["bin"].pk), "delivered_1": "2"},
    },
    "purchasing:order_approve": lambda user, w: {
        "method": "POST",
        "kwargs": {"order_id": _order(w, status="submitted", approver=user)},
    },
    "purchasing:order_send": lambda user, w: {"method": "POST", "kwargs": {"order_id": _order(w, status="approved")}},
    "purchasing:order_send_back": lambda user, w: {
        "method": "POST",
        "kwargs": {"order_id": _order(w, status="submitted")},
        "data": {"note": "价格不对"},
    },
    "purchasing:order_cancel": lambda user, w: {
        "method": "POST",
        "kwargs": {"order_id": _order(w)},
        "data": {"reason": "重复下单"},
    },
    "purchasing:order_close": lambda user, w: {"method": "POST", "kwargs": {"order_id": _order(w, status="sent")}},
    "purchasing:supplier": lambda user, w: {"kwargs": {"supplier_id": _supplier(w).pk}},
    "purchasing:delivery_import": lambda user, w: {
        "method": "POST",
        "data": {
            "supplier": str(_supplier(w).pk),
            "number": f"DN-{next(_serial)}",
            "file": (_order(w, status="sent"), SimpleUploadedFile("n.csv", b"Part number,Quantity\n06L115562,1\n"))[1],
        },
    },
    "purchasing:delivery_start": lambda user, w: {"method": "POST", "data": {"supplier": str(_supplier(w).pk)}},
    "purchasing:delivery": lambda user, w: {"kwargs": {"note_id": _delivery_note(w).pk}},
    "purchasing:delivery_scan": lambda user, w: {
        "method": "POST",
        "kwargs": {"note_id": (_order(w, status="sent"), _delivery_note(w, scanned=True))[1].pk},
        "data": {"code": "06L115562", "quantity": "1"},
    },
    "purchasing:delivery_check": lambda user, w: {
        "method": "POST",
        "kwargs": {"note_id": _delivery_note(w, scanned=True).pk},
        "data": {},
    },
    "purchasing:delivery_cancel": lambda user, w: {"method": "POST", "kwargs": {"note_id": _delivery_note(w).pk}},
    "purchasing:return_pdf": lambda user, w: {"kwargs": {"return_id": _supplier_return(w)}},
    "purchasing:return_shipped": lambda user, w: {"method": "POST", "kwargs": {"return_id": _supplier_return(w)}},
    "purchasing:confirmations": lambda user, w: {"method": "POST", "data": {"file": _confirmation_upload(w)}},
    "purchasing:order_amend": lambda user, w: {
        "method": "POST",
        "kwargs": {"order_id": (order := _order(w, status="sent", approver=user))},
        "data": {
            "reason": "减量",
            **{
                f"{field}_{line.pk}": value
                for line in PurchaseOrder.all_objects.get(pk=order).lines.all()
                for field, value in (("quantity", "1"), ("unit_price", "10"))
            },
        },
    },
    "order_amend": lambda user, w: {
        "kwargs": {"order_id": _order(w, status="sent", approver=user)},
        "json": {"lines": [{"part": "06L115562", "quantity": "1", "unit_price": "10"}], "reason": "减量"},
    },
    "note_list": lambda user, w: {"query": {"store": "SH01"}},
    "note_import": lambda user, w: {
        "data": {
            "store": "SH01",
            "supplier": str(_supplier(w).pk),
            "number": f"DN-{next(_serial)}",
            "file": (_order(w, status="sent"), SimpleUploadedFile("n.csv", b"Part number,Quantity\n06L115562,1\n"))[1],
        }
    },
    "note_start": lambda user, w: {"json": {"store": "SH01", "supplier": _supplier(w).pk}},
    "note_detail": lambda user, w: {"kwargs": {"note_id": _delivery_note(w).pk}},
    "note_scan": lambda user, w: {
        "kwargs": {"note_id": (_order(w, status="sent"), _delivery_note(w, scanned=True))[1].pk},
        "json": {"code": "06L115562"},
    },
    "note_check": lambda user, w: {
        "kwargs": {"note_id": (note := _delivery_note(w)).pk},
        "json": {"lines": [{"line": note.lines.get().pk, "checked": "2", "bin": _stock(w)["bin"].pk}]},
    },
    "note_receive": lambda user, w: {"kwargs": {"note_id": _delivery_note(w).pk}},
    "note_cancel": lambda user, w: {"kwargs": {"note_id": _delivery_note(w).pk}},
    "order_confirmation": lambda user, w: {"data": {"store": "SH01", "file": _confirmation_upload(w)}},
    "return_list": lambda user, w: {"query": {"store": "SH01"}},
    "return_shipped": lambda user, w: {"kwargs": {"return_id": _supplier_return(w)}, "json": {}},
    "return_note_pdf": lambda user, w: {"kwargs": {"return_id": _supplier_return(w)}},
    "purchasing:order_new": lambda user, w: {
        "method": "POST",
        "data": {
            "supplier": str((_stock(w), _supplier(w))[1].pk),
            "order_type": "stock",
            "part_0": "06L115562",
            "quantity_0": "2",
            "unit_price_0": "10",
        },
    },
    "purchasing:supplier_new": lambda user, w: {
        "method": "POST",
        "data": {
            "kind": "local",
            "code": f"S{next(_serial)}",
            "name": "新供应商",
            "payment_days": "30",
            "lead_days_stock": "7",
            "lead_days_urgent": "3",
            "lead_days_vor": "1",
            "is_active": "on",
        },
    },
    "purchasing:limits": lambda user, w: {
        "method": "POST",
        "data": {"user": str(w.user("purchaser").pk), "limit": "5000"},
    },
    "order_detail": lambda user, w: {"kwargs": {"order_id": _order(w)}},
    "order_file": lambda user, w: {"kwargs": {"order_id": _order(w)}},
    "order_pdf": lambda user, w: {"kwargs": {"order_id": _order(w)}},
    "order_lines": lambda user, w: {
        "kwargs": {"order_id": _order(w)},
        "json": {"lines": [{"part": "06L115562", "quantity": "3", "unit_price": "9.5"}]},
    },
    "order_submit": lambda user, w: {"kwargs": {"order_id": _order(w)}},
    "order_receipt": lambda user, w: {
        "kwargs": {"order_id": _order(w, status="sent")},
        "json": {
            "delivery_note": "DN-1",
            "lines": [{"part": "06L115562", "bin": _stock(w)["bin"].pk, "delivered": "2"}],
        },
    },
    "order_send_back": lambda user, w: {
        "kwargs": {"order_id": _order(w, status="submitted")},
        "json": {"note": "价格不对"},
    },
    "order_approve": lambda user, w: {"kwargs": {"order_id": _order(w, status="submitted", approver=user)}},
    "order_send": lambda user, w: {"kwargs": {"order_id": _order(w, status="approved")}},
    "order_cancel": lambda user, w: {"kwargs": {"order_id": _order(w)}, "json": {"reason": "重复下单"}},
    "order_close": lambda user, w: {"kwargs": {"order_id": _order(w, status="sent")}, "json": {"note": ""}},
    "order_create": lambda user, w: {
        "json": {
            "store": "SH01",
            "supplier": (_stock(w), _supplier(w))[1].pk,
            "order_type": "stock",
            "lines": [{"part": "06L115562", "quantity": "2", "unit_price": "10"}],
        }
    },
    "supplier_create": lambda user, w: {
        "json": {"store": "SH01", "kind": "local", "code": f"S{next(_serial)}", "name": "新供应商"}
    },
    "supplier_rating": lambda user, w: {"kwargs": {"supplier_id": _supplier(w).pk}},
    "backorder_list": lambda user, w: {"query": {"store": "SH01"}},
    "replenishment_suggestions": lambda user, w: {"query": {"store": "SH01"}},
    "replenishment_compute": lambda user, w: {"json": {"store": "SH01"}},
    "replenishment_rule": lambda user, w: {
        "json": {"store": "SH01", "part": (_stock(w), "06L115562")[1], "reorder_point": "5", "order_up_to": "10"}
    },
    "replenishment_order": lambda user, w: {"json": {"store": "SH01", "supplier": _suggested(w)}},
    "purchasing:suggestion_order": lambda user, w: {"method": "POST", "kwargs": {"supplier_id": _suggested(w)}},
    "backorder_cancel": lambda user, w: {
        "kwargs": {"line_id": PurchaseOrder.all_objects.get(pk=_order(w, status="sent")).lines.get().pk},
        "json": {"reason": "停产"},
    },
    "order_expected_dates": lambda user, w: {
        "kwargs": {"order_id": _order(w, status="sent")},
        "json": {"lines": [{"line": 1, "expected_on": "2026-12-01"}]},
    },
    "purchasing:backorder_cancel": lambda user, w: {
        "method": "POST",
        "kwargs": {"line_id": PurchaseOrder.all_objects.get(pk=_order(w, status="sent")).lines.get().pk},
        "data": {"reason": "停产"},
    },
    "supplier_update": lambda user, w: {
        "kwargs": {"supplier_id": _supplier(w).pk},
        "json": {"store": "SH01", "kind": "local", "code": "MX-SUP", "name": "矩阵汽配（改）"},
    },
    "purchase_limit_set": lambda user, w: {
        "json": {"store": "SH01", "user": w.user("purchaser").username, "limit": "5000"}
    },
    "parts:import_errors": lambda user, w: {"kwargs": {"job_id": _stock_import_job(w)}},
    "parts:import_template": lambda user, w: {"kwargs": {"kind": "parts"}},
    "stock_import_template": lambda user, w: {"query": {"kind": "parts"}},
    "stock_import_job": lambda user, w: {"kwargs": {"job_id": _stock_import_job(w)}},
    "stock_import_errors": lambda user, w: {"kwargs": {"job_id": _stock_import_job(w)}},
    "stock_import_upload": lambda user, w: {"data": {"file": _parts_workbook_upload(), "kind": "parts"}},
    # archive quality pages
    "customer_quality:merge": lambda user, w: {"kwargs": {"survivor_id": _customer(w), "merged_id": _customer(w)}},
    "customer_quality:mark_reviewed": lambda user, w: {"method": "POST", "kwargs": {"customer_id": _customer(w)}},
    "core:logout": lambda user, w: {"method": "POST"},
    "core:store_switch": lambda user, w: {"method": "POST", "data": {"store": w.sh.pk}},
    "core:token_revoke": lambda user, w: {
        "method": "POST",
        "kwargs": {"token_id": token_create(user=user, name="t")[0].pk},
    },
    "core:store_detail": lambda user, w: {"kwargs": {"store_id": w.sh.pk}},
    "core:company_edit": lambda user, w: {"kwargs": {"entity_id": LegalEntityFactory(group=w.sh.group).pk}},
    "core:calendar_year": lambda user, w: {"kwargs": {"year": 2026}},
    "core:media": lambda user, w: {"kwargs": _media(w)},
    "messaging:decision": lambda user, w: {
        "method": "POST",
        "kwargs": _unknown_message(w),
        "data": {"decision": "cancel"},
    },
    "messaging:template_edit": lambda user, w: {"kwargs": _message_template(w)},
    "messaging:notifications_read": lambda user, w: {"method": "POST"},
    "message_decision": lambda user, w: {"kwargs": _unknown_message(w), "json": {"decision": "cancel"}},
    "template_create": lambda user, w: {
        "json": {"event": f"matrix_{next(_serial)}", "channel": "inapp", "message_class": "service", "body_zh": "矩阵"}
    },
    "template_update": lambda user, w: {"kwargs": _message_template(w), "json": {"body_zh": "矩阵二"}},
    "notification_mark_read": lambda user, w: {"json": {}},
    "messaging:task_close": lambda user, w: {
        "method": "POST",
        "kwargs": _task_for(user, w),
        "data": {"action": "done", "outcome": "矩阵"},
    },
    "task_create": lambda user, w: {"json": {"store_id": w.sh.pk, "subject": "矩阵", "assignee_role": "crm"}},
    "task_close": lambda user, w: {"kwargs": _task_for(user, w), "json": {"done": True, "outcome": "矩阵"}},
    "customers:message": lambda user, w: {"kwargs": {"customer_id": _customer(w)}},
    "customer_message_send": lambda user, w: {
        "kwargs": {"customer_id": _customer(w)},
        "json": {"event": _pickup_template(), "variables": {}},
    },
    "customer_imports:export_job": lambda user, w: {"kwargs": {"job_id": _export_job(user, w)}},
    "customers:consent_sign": lambda user, w: {"kwargs": {"customer_id": _customer(w)}},
    "customers:review_link": lambda user, w: {"method": "POST", "kwargs": {"customer_id": _customer(w)}},
    "customers:correction_decide": lambda user, w: {
        "method": "POST",
        "kwargs": _correction(w),
        "data": {"decision": "reject"},
    },
    "messaging:link": lambda user, w: {"kwargs": _link_token(w)},
    "customer_consent_signature": lambda user, w: {
        "kwargs": {"customer_id": _customer(w)},
        "json": {"signature": "data:image/png;base64," + base64.b64encode(image_bytes("PNG")).decode()},
    },
    "customer_review_link": lambda user, w: {"kwargs": {"customer_id": _customer(w)}},
    "correction_decision": lambda user, w: {"kwargs": _correction(w), "json": {"approve": False}},
    "aliyun_report": lambda user, w: {"kwargs": {"token": "test-push-token"}, "json": {"out_id": "none"}},
    "aliyun_reply": lambda user, w: {"kwargs": {"token": "test-push-token"}, "json": {"phone_number": "13800000000"}},
    "core:media_thumbnail": lambda user, w: {"kwargs": _media(w)},
    "media_file": lambda user, w: {"kwargs": _media(w)},
    "media_thumbnail": lambda user, w: {"kwargs": _media(w)},
    "auth_token_create": lambda user, w: {"json": {"username": user.username, "password": "Correct-Horse-Battery-9"}},
    "auth_token_revoke": lambda user, w: {
        "headers": {"Authorization": "Bearer " + token_create(user=user, name="t")[1]}
    },
    "token_create": lambda user, w: {"json": {"name": "matrix"}},
    "token_revoke": lambda user, w: {"kwargs": {"token_id": token_create(user=user, name="t")[0].pk}},
    "store_detail": lambda user, w: {"kwargs": {"store_id": w.sh.pk}},
    "store_days": lambda user, w: {"kwargs": {"store_id": w.sh.pk}, "query": {"start": "2026-02-14", "days": 3}},
    "legal_entity_create": lambda user, w: {
        "json": {
            "name": "矩阵汽车服务有限公司",
            "uscc": valid_uscc(900_000 + next(_serial)),
            "taxpayer_type": "general",
        }
    },
    "legal_entity_detail": lambda user, w: {"kwargs": {"entity_id": LegalEntityFactory(group=w.sh.group).pk}},
    "legal_entity_update": lambda user, w: {
        "kwargs": {"entity_id": LegalEntityFactory(group=w.sh.group).pk},
        "json": {"phone": "021-58881234"},
    },
    "calendar_year": lambda user, w: {"kwargs": {"year": 2026}},
    "calendar_year_put": lambda user, w: {
        "kwargs": {"year": 2030},
        "json": {"days": [{"day": "2030-01-01", "kind": "holiday", "name": "元旦"}]},
    },
}


def page_routes() -> list[Route]:
    routes = []
    for name, template, callback in _walk(get_resolver().url_patterns):
        if template.startswith(FOREIGN_PREFIXES):
            continue
        access = getattr(callback, "access", None)
        assert isinstance(access, Access), f"page {name} declares no access (use @page)"
        params = tuple(re.findall(r"<(?:\w+:)?(\w+)>", template))
        routes.append(Route(name, "GET", template, access, params))
    return routes


def api_routes() -> list[Route]:
    routes = []
    for _prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                access = getattr(operation.view_func, "access", None)
                assert isinstance(access, Access), f"API {path} declares no access (use @operation)"
                params = tuple(re.findall(r"{(?:\w+:)?(\w+)}", path))
                for method in operation.methods:
                    routes.append(Route(operation.view_func.__name__, method, path, access, params))
    return routes


def route_path(route: Route, kwargs: dict[str, Any]) -> str:
    """The URL of a route with its path arguments filled in (any converter: int, id, str)."""
    missing = [p for p in route.params if p not in kwargs]
    assert not missing, f"add a sample for {route.name} giving {missing}"
    if ":" in route.name:
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), route.path_template)
    return "/api/v1" + re.sub(r"{(?:\w+:)?(\w+)}", lambda m: str(kwargs[m.group(1)]), route.path_template)


def request_route(
    client: Client, route: Route, user: User, world: World, *, other_store: bool, anonymous: bool = False
) -> int:
    sample = SAMPLES.get(route.name, lambda u, w: {})(user, world)
    kwargs = dict(sample.get("kwargs", {}))
    if other_store and route.access.store_kwarg:
        kwargs[route.access.store_kwarg] = world.sz.pk
    path = route_path(route, kwargs)
    call = getattr(client, sample.get("method", route.method).lower())
    headers = {} if anonymous else sample.get("headers", {})
    if "json" in sample:
        response = call(path, sample["json"], content_type="application/json", headers=headers)
    elif "data" in sample:
        response = call(path, sample["data"], headers=headers)
    elif "query" in sample:
        response = call(path, sample["query"], headers=headers)
    else:
        response = call(path, headers=headers)
    return int(response.status_code)


# The workshop keeps the samples of its routes beside its tests.
SAMPLES.update(workshop_api_samples.SAMPLES)
SAMPLES.update(workshop_page_samples.SAMPLES)
SAMPLES.update(workshop_board_samples.SAMPLES)
SAMPLES.update(workshop_desk_samples.SAMPLES)
SAMPLES.update(workshop_team_samples.SAMPLES)
# Quality keeps the samples of its API operations and pages beside its tests.
SAMPLES.update(quality_api_samples.SAMPLES)
SAMPLES.update(quality_page_samples.SAMPLES)
# Billing keeps the samples of its API operations and pages beside its tests.
SAMPLES.update(billing_api_samples.SAMPLES)
SAMPLES.update(billing_page_samples.SAMPLES)
