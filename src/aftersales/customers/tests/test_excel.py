"""Excel import (template, upload, background job, error report) and export of the customer list."""

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from aftersales.conftest import World
from aftersales.core import identifiers
from aftersales.core.identifiers import vin_check_digit
from aftersales.core.models import AuditEntry, Brand, DocumentSequence, JobHeartbeat, Role, StaffMembership, User
from aftersales.core.services import heartbeat_record
from aftersales.customers import encryption, excel, search, selectors, services
from aftersales.customers.excel import importing, names
from aftersales.customers.excel.saving import _Table
from aftersales.customers.models import (
    Customer,
    CustomerPhone,
    ImportJob,
    MileageReading,
    SearchKey,
    Vehicle,
    VehicleLink,
    VehicleModel,
)
from aftersales.customers.tasks import customer_import_run
from aftersales.customers.tests.factories import CustomerFactory

RESIDENT_ID = "11010519491231002X"
YEAR = timezone.localdate().year


def vin(serial: int) -> str:
    body = f"LSVAU2180N2{serial:06d}"
    return body[:8] + identifiers.vin_check_digit(body) + body[9:]


def uscc(serial: int) -> str:
    first = f"91310000MA1K{serial:05d}"
    return first + identifiers.uscc_check_char(first)


def workbook(rows: list[dict[str, Any]], *, english_row: bool = True) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = excel.SHEET_TITLE
    sheet.append([column.zh for column in excel.COLUMNS])
    if english_row:
        sheet.append([column.en for column in excel.COLUMNS])
    for row in rows:
        sheet.append([row.get(column.key) for column in excel.COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def person(n: int, **fields: Any) -> dict[str, Any]:
    """A valid row: an individual with a vehicle."""
    return {
        "name": "张三",
        "mobile": f"1381234{n:04d}",
        "vin": vin(n),
        "plate": f"沪A{n:05d}",
        **fields,
    }


@pytest.fixture
def english(client_for: Callable[[User], Client]) -> Callable[[User], Client]:
    """A signed-in client whose requests ask for English."""

    def make(user: User) -> Client:
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


@pytest.fixture
def importer(world: World) -> User:
    user = world.user("crm")
    user.preferred_language = "en"
    user.save()
    return user


@pytest.fixture
def catalogue(world: World) -> VehicleModel:
    return VehicleModel.objects.create(
        brand=Brand.objects.get(code="VW"), series="帕萨特", name="330TSI 精英版", fuel_type="petrol"
    )


def _stored() -> set[str]:
    return {path.name for path in selectors.imports_dir().iterdir()}


@pytest.fixture(autouse=True)
def stored_files() -> Iterator[Callable[[], set[str]]]:
    """The files a test left in the imports folder (removed after the test)."""
    before = _stored()
    yield lambda: _stored() - before
    for name in _stored() - before:
        (selectors.imports_dir() / name).unlink(missing_ok=True)


def upload(
    client: Client,
    content: bytes,
    capture: Any,
    *,
    name: str = "customers.xlsx",
    mode: str = "valid_rows",
    dry_run: bool = False,
    on_match: str = "skip",
) -> Any:
    data = {
        "file": SimpleUploadedFile(name, content),
        "mode": mode,
        "on_match": on_match,
        "dry_run": "true" if dry_run else "false",
    }
    with capture(execute=True):
        return client.post("/api/v1/customers/import", data, headers={"accept-language": "en"})


def error_rows(client: Client, job_id: int) -> list[tuple[Any, ...]]:
    response = client.get(f"/api/v1/customers/import/{job_id}/errors")
    assert response.status_code == 200
    assert response["Content-Type"] == excel.XLSX_CONTENT_TYPE
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return list(sheet.iter_rows(values_only=True))


# --- template ------------------------------------------------------------------------------------


def test_template_downloads_with_chinese_and_english_headers(
    world: World, importer: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(importer)
    for path in ("/api/v1/customers/import/template", "/customers/import/template/"):
        response = client.get(path)
        assert response.status_code == 200
        assert response["Content-Type"] == excel.XLSX_CONTENT_TYPE
        book = load_workbook(io.BytesIO(response.content))
        assert book.sheetnames == ["客户及车辆"]
        rows = list(book.active.iter_rows(values_only=True))
        assert rows[0][:4] == ("客户类型", "客户名称", "手机号", "备用手机号")
        assert rows[1][:4] == ("Customer kind", "Name", "Mobile", "Second mobile")
        assert rows[0][-5:] == ("使用性质", "购车发票日期", "交车日期", "里程(km)", "里程日期")
        assert len(rows[0]) == len(excel.COLUMNS) == 35
        assert len(rows) == 2


# --- importing valid rows ----------------------------------------------------------------------------


def test_valid_rows_are_imported_numbered_searchable_with_mileage(
    world: World,
    importer: User,
    catalogue: VehicleModel,
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
    stored_files: Callable[[], set[str]],
) -> None:
    # Given a customer registered by hand this year (number 000001 is taken)
    services.customer_create(actor=importer, store=world.sh, data={"name": "李四", "mobiles": ["13900000000"]})
    rows = [
        person(
            1,
            name="王建国",
            resident_id=RESIDENT_ID,
            province="上海市",
            city="上海市",
            district="浦东新区",
            street="世纪大道100号",
            data_consent="是",
            consent_channel="纸质",
            brand="VW",
            series="帕萨特",
            model="330TSI 精英版",
            model_year=2021,
            use_type="家用",
            purchase_date=date(2021, 3, 1),
            delivery_date=date(2021, 3, 5),
            mileage=12345,
            mileage_date=date(2025, 1, 2),
        ),
        person(2, kind="公司", name="上海顺达物流有限公司", uscc=uscc(1), source="销售", customer_class="车队"),
        # The same customer as the first row: only the vehicle is added to them.
        person(3, name="王建国", resident_id=RESIDENT_ID, mobile="13812340001", fuel_type="纯电", plate="沪AD12345"),
    ]
    client = client_for(importer)

    response = upload(client, workbook(rows), django_capture_on_commit_callbacks)

    assert response.status_code == 202, response.content
    job = ImportJob.objects.get()
    assert (job.status, job.message) == (
        "done",
        "Imported 2 customers and 3 vehicles; 0 rows with errors skipped.",
    )
    assert (job.total_rows, job.processed_rows, job.error_rows, job.error_file) == (3, 3, 0, "")
    assert (job.created_customers, job.created_vehicles) == (2, 3)
    assert (job.store, job.created_by, job.mode, job.dry_run) == (world.sh, importer, "valid_rows", False)
    body = client.get(f"/api/v1/customers/import/{job.pk}").json()
    assert (body["status"], body["progress"], body["processed_rows"], body["total_rows"]) == ("done", 100, 3, 3)
    assert body["errors_url"] is None

    wang = Customer.objects.get(name="王建国")
    company = Customer.objects.get(kind="company")
    assert (wang.number, company.number) == (f"CUS-SH01-{YEAR}-000002", f"CUS-SH01-{YEAR}-000003")
    assert DocumentSequence.objects.get(store=world.sh, doc_type="CUS", year=YEAR).last_value == 3
    assert services.customer_create(actor=importer, store=world.sh, data={"name": "赵六"}).number.endswith("000004")
    assert encryption.decrypt(wang.resident_id_cipher) == RESIDENT_ID
    assert (wang.resident_id_digest, wang.resident_id_hint) == (encryption.digest(RESIDENT_ID), "1101**********002X")
    initials, full = search.name_initials_and_pinyin("王建国")
    assert (wang.name_initials, wang.name_pinyin) == (" ".join(initials), full)
    assert (wang.name_initials.split()[0], full) == ("wjg", "wangjianguo")
    assert (wang.owner, wang.home_store, wang.source, wang.customer_class) == (importer, world.sh, "walk_in", "regular")
    assert (wang.data_consent, wang.data_consent_channel, wang.marketing_consent) == (True, "paper", False)
    assert wang.data_consent_at is not None and wang.version == 1
    assert (company.uscc, company.source, company.customer_class) == (uscc(1), "sales", "fleet")
    assert wang.completeness == selectors.customer_completeness(wang)[0] == 100
    assert company.completeness == selectors.customer_completeness(company)[0]
    assert list(CustomerPhone.objects.filter(customer=wang).values_list("number", "is_primary")) == [
        ("13812340001", True)
    ]

    first, third = Vehicle.objects.get(vin=vin(1)), Vehicle.objects.get(vin=vin(3))
    assert (first.model, first.model_year, first.fuel_type, first.plate) == (catalogue, 2021, "petrol", "沪A00001")
    # The periods run from the delivery (it differs from the invoice), at the law's minimum (no brand policy).
    assert (first.use_type, first.purchase_date, first.delivery_date, first.warranty_policy) == (
        "household",
        date(2021, 3, 1),
        date(2021, 3, 5),
        None,
    )
    assert (first.warranty_start, first.warranty_end, first.warranty_km_limit) == (
        date(2021, 3, 5),
        date(2024, 3, 4),
        60_000,
    )
    assert (first.sanbao_end, first.sanbao_km_limit) == (date(2023, 3, 4), 50_000)
    assert list(first.plates.values_list("plate", "valid_from", "valid_to")) == [("沪A00001", date(2021, 3, 5), None)]
    assert list(third.plates.values_list("plate", "valid_from")) == [("沪AD12345", timezone.localdate())]
    assert (third.fuel_type, third.plate, third.model) == ("bev", "沪AD12345", None)
    owners = VehicleLink.objects.filter(role="owner", valid_to=None)
    assert set(owners.filter(customer=wang).values_list("vehicle__vin", flat=True)) == {vin(1), vin(3)}
    assert owners.get(vehicle=first).valid_from == date(2021, 3, 1)
    assert owners.get(vehicle=third).valid_from == timezone.localdate()
    reading = MileageReading.objects.get()
    assert (reading.vehicle, reading.km, reading.read_on, reading.source) == (first, 12345, date(2025, 1, 2), "import")
    assert reading.recorded_by == importer

    # Search finds them by every key the form-created records have.
    for query in ("沪AD12345", "12345", vin(3), "13812340001", "0001", "王建国", "wjg", wang.number):
        assert wang in [hit.customer for hit in selectors.archive_search(query).hits], query
    hits = client.get("/api/v1/customers/search", {"q": "上海顺达"}).json()
    assert [item["customer"]["number"] for item in hits["items"]] == [company.number]
    assert SearchKey.objects.filter(vehicle=first, kind="plate").count() == 5

    # One audit entry for the whole import; the uploaded file is not kept.
    entry = AuditEntry.objects.get(object_type="customers.importjob")
    assert (entry.action, entry.object_id, entry.object_repr, entry.actor_username, entry.store_id) == (
        "create",
        str(job.pk),
        "customers.xlsx",
        "crm_sh",
        world.sh.pk,
    )
    assert entry.changes == {"customers": 2, "vehicles": 3, "error_rows": 0, "dry_run": False}
    assert not AuditEntry.objects.filter(object_type="customers.customer", object_id=str(wang.pk)).exists()
    assert stored_files() == set()


def test_a_sheet_saved_by_excel_with_shared_strings_and_date_styles_is_read(
    world: World, importer: User, stored_files: Callable[[], set[str]]
) -> None:
    # Excel writes text into a shared-string table and dates as numbers with a date format.
    strings = ["客户名称", "手机号", "车架号(VIN)", "购车日期", "里程(km)", "钱&多多", vin(7)]
    sheet_xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<x:dimension ref="A1:E2"/><x:sheetData>'
        '<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1" t="s"><x:v>1</x:v></x:c>'
        '<x:c r="C1" t="s"><x:v>2</x:v></x:c><x:c r="D1" t="s"><x:v>3</x:v></x:c><x:c r="E1" t="s"><x:v>4</x:v></x:c>'
        "</x:row>"
        '<x:row r="4"><x:c r="A4" t="s"><x:v>5</x:v></x:c><x:c r="B4"><x:v>13812345678</x:v></x:c>'
        '<x:c r="C4" t="s"><x:v>6</x:v></x:c><x:c r="D4" s="1"><x:v>45352</x:v></x:c><x:c r="E4"><x:v>8000.0</x:v></x:c>'
        "</x:row></x:sheetData></x:worksheet>"
    )
    shared = "".join(
        f"<si><r><t>{text[:1]}</t></r><r><t>{text[1:]}</t></r><rPh><t>ignored</t></rPh></si>".replace("&", "&amp;")
        for text in strings
    )
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "_rels/.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"'
        ' Target="/xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="客户" sheetId="1" r:id="rId5"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId5" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"'
        ' Target="worksheets/data.xml"/>'
        '<Relationship Id="rId6" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"'
        ' Target="sharedStrings.xml"/>'
        '<Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"'
        ' Target="styles.xml"/></Relationships>',
        "xl/worksheets/data.xml": sheet_xml,
        "xl/sharedStrings.xml": f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{shared}</sst>',
        "xl/styles.xml": '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<numFmts><numFmt numFmtId="180" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>'
        '<cellXfs><xf numFmtId="0"/><xf numFmtId="180"/></cellXfs></styleSheet>',
    }
    path = selectors.imports_dir() / "excel-saved.xlsx"
    with zipfile.ZipFile(path, "w") as package:
        for name, xml in parts.items():
            package.writestr(name, xml)
    try:
        book = excel.XlsxReader(path)
        assert book.dimension_rows() == 2
        assert list(book.rows()) == [
            (1, ["客户名称", "手机号", "车架号(VIN)", "购车日期", "里程(km)"]),
            (4, ["钱&多多", 13812345678, vin(7), datetime(2024, 3, 1), 8000.0]),
        ]
        book.close()
        job = ImportJob.objects.create(store=world.sh, created_by=importer, file_name="x.xlsx", storage_name=path.name)
        job = excel.import_run(job.pk)
    finally:
        path.unlink(missing_ok=True)
    assert job is not None and (job.status, job.created_customers, job.error_rows) == ("done", 1, 0), job.message
    vehicle = Vehicle.objects.get(vin=vin(7))
    assert (vehicle.purchase_date, vehicle.mileage_readings.get().km) == (date(2024, 3, 1), 8000)
    assert Customer.objects.get().name == "钱&多多"


def test_rows_written_in_several_groups_get_the_keys_owners_and_ids_of_the_services(
    world: World,
    importer: User,
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given rows checked two at a time and written three batches (six rows) per round of statements,
    # with a customer whose second vehicle comes in a later round, names with several readings, a
    # row without a vehicle and a customer with two mobiles
    monkeypatch.setattr("aftersales.customers.excel.importing.BATCH_ROWS", 2)
    monkeypatch.setattr("aftersales.customers.excel.saving.SAVE_ROWS", 5)
    # On SQLite several rows go into one INSERT: two search keys each here, one customer.
    monkeypatch.setattr(connection.features, "max_query_params", 8)
    before = services.customer_create(actor=importer, store=world.sh, data={"name": "李四", "mobiles": ["13900000000"]})
    rows = [
        person(1, name="曾乐"),
        person(2, name="单行道"),
        {"name": "没有车", "mobile": "13812349999"},
        person(4, kind="公司", name="重庆长安汽车服务有限公司", uscc=uscc(1)),
        person(5, name="王五", mobile2="13712340005"),
        person(6, name="查理"),
        person(7, name="朴重"),
        person(8, name="曾乐", mobile="13812340001", plate="沪B00008"),  # the first row's customer again
        person(9, name="乐乐", plate=""),
    ]
    client = client_for(importer)

    upload(client, workbook(rows), django_capture_on_commit_callbacks)

    job = ImportJob.objects.get()
    assert (job.status, job.created_customers, job.created_vehicles, job.error_rows) == ("done", 8, 8, 0), job.message
    imported = list(Customer.objects.exclude(pk=before.pk).order_by("number"))
    assert [customer.name for customer in imported] == [
        "曾乐", "单行道", "没有车", "重庆长安汽车服务有限公司", "王五", "查理", "朴重", "乐乐",
    ]  # fmt: skip
    assert [customer.number[-6:] for customer in imported] == [f"{n:06d}" for n in range(2, 10)]
    assert [customer.pk for customer in imported] == list(range(before.pk + 1, before.pk + 9))
    for customer in imported:
        mobiles = list(customer.phones.order_by("-is_primary", "pk").values_list("number", flat=True))
        expected = search.customer_keys(number=customer.number, name=customer.name, mobiles=mobiles)
        stored = SearchKey.objects.filter(customer=customer).values_list("kind", "key")
        assert sorted(stored) == sorted(expected), customer.name
        initials, full = search.name_initials_and_pinyin(customer.name)
        assert (customer.name_initials, customer.name_pinyin) == (" ".join(initials), full)
    assert list(imported[4].phones.order_by("pk").values_list("number", "is_primary")) == [
        ("13812340005", True),
        ("13712340005", False),
    ]
    vehicles = list(Vehicle.objects.order_by("pk"))
    assert [vehicle.vin for vehicle in vehicles] == [vin(n) for n in (1, 2, 4, 5, 6, 7, 8, 9)]
    owners = {
        link.vehicle.vin: link.customer.name for link in VehicleLink.objects.select_related("vehicle", "customer")
    }
    assert owners[vin(8)] == owners[vin(1)] == "曾乐"
    assert owners[vin(9)] == "乐乐" and len(owners) == 8
    for vehicle in vehicles:
        expected = search.vehicle_keys(vin=vehicle.vin, plate=vehicle.plate)
        assert sorted(SearchKey.objects.filter(vehicle=vehicle).values_list("kind", "key")) == sorted(expected)
    assert SearchKey.objects.filter(customer=None, vehicle=None).count() == 0
    # Records created afterwards take the next keys and numbers.
    later = services.customer_create(actor=importer, store=world.sh, data={"name": "赵六"})
    assert (later.pk, later.number[-6:]) == (imported[-1].pk + 1, "000010")
    car = services.vehicle_create(actor=importer, owner=later, data={"vin": vin(10)})
    assert car.pk == vehicles[-1].pk + 1


def test_imported_rows_never_reuse_the_keys_of_deleted_rows(
    world: World, importer: User, client_for: Callable[[User], Client], django_capture_on_commit_callbacks: Any
) -> None:
    gone = services.customer_create(actor=importer, store=world.sh, data={"name": "李四", "mobiles": ["13900000000"]})
    car = services.vehicle_create(actor=importer, owner=gone, data={"vin": vin(50)})
    VehicleLink.objects.all().delete()
    SearchKey.objects.all().delete()
    CustomerPhone.objects.all().delete()
    Vehicle.objects.filter(pk=car.pk).delete()
    Customer.objects.filter(pk=gone.pk).delete()

    upload(client_for(importer), workbook([person(1)]), django_capture_on_commit_callbacks)

    assert Customer.objects.get().pk > gone.pk
    assert Vehicle.objects.get().pk > car.pk


# --- rows with errors --------------------------------------------------------------------------------


def test_bad_rows_are_reported_by_row_and_column_and_the_valid_rows_imported(
    world: World, importer: User, client_for: Callable[[User], Client], django_capture_on_commit_callbacks: Any
) -> None:
    owner = services.customer_create(
        actor=importer, store=world.sh, data={"name": "老客户", "mobiles": ["13700000000"]}
    )
    services.vehicle_create(actor=importer, owner=owner, data={"vin": vin(99)})
    rows = [
        person(1),  # row 3
        person(2, mobile="1381234567"),  # row 4
        person(3, resident_id="110105199902300021"),  # row 5
        person(4, vin="LSVAU2180N2I00001"),  # row 6
        person(5, plate="海A12345", landline="021-1234", emergency_contact="李四😀"),  # row 7
        person(6),  # row 8
        person(7, vin=vin(6)),  # row 9: the VIN of row 8
        person(8, vin=vin(99)),  # row 10: a VIN already in the archive
        person(9, mobile="12345", vin=vin(1), kind="人"),  # row 11: three errors
        {},  # an empty row is skipped
        person(10, email="zhang@example", mileage=-5, mileage_date="2024-02-30"),  # row 13
    ]
    client = client_for(importer)

    response = upload(client, workbook(rows), django_capture_on_commit_callbacks)

    assert response.status_code == 202
    job = ImportJob.objects.get()
    assert (job.status, job.total_rows, job.processed_rows, job.error_rows) == ("done", 10, 10, 8)
    assert (job.created_customers, job.created_vehicles) == (2, 2)
    assert job.message == "Imported 2 customers and 2 vehicles; 8 rows with errors skipped."
    assert set(Vehicle.objects.values_list("vin", flat=True)) == {vin(99), vin(1), vin(6)}
    assert Customer.objects.count() == 3
    assert client.get(f"/api/v1/customers/import/{job.pk}").json()["errors_url"] == (
        f"/api/v1/customers/import/{job.pk}/errors"
    )

    report = error_rows(client, job.pk)
    width = len(excel.COLUMNS)
    assert report[0][width:] == ("错误", "源行号")
    assert report[1][width:] == ("errors", "source row")
    assert report[2][:3] == (None, "张三", "1381234567")  # the row as uploaded
    assert {row[-1]: row[-2] for row in report[2:]} == {
        4: "Mobile: A mobile number must have 11 digits; this one has 10.",
        5: "Resident ID: The birth date in this resident ID number (1999-02-30) does not exist.",
        6: "VIN: A VIN cannot contain the letters I, O or Q (they are confused with 1 and 0); it contains I.",
        7: "Landline: Enter the area code and the number, e.g. 021-12345678 (or a 400 / 800 number).; "
        "Emergency contact: The name contains characters that are not allowed: 😀; "
        "Plate: “海” is not a known province abbreviation; a plate must start with one, such as 京 or 沪.",
        9: "VIN: This VIN is already in row 8 of this file.",
        10: "VIN: A vehicle with this VIN is already in the archive.",
        11: "Customer kind: Choose one of: 个人, 公司.; "
        "Mobile: A mobile number must have 11 digits; this one has 5.; "
        "VIN: This VIN is already in row 3 of this file.",
        13: "E-mail: The domain after “@” must contain a dot, as in example.com.; "
        "Mileage (km): Enter a value of at least 0.; "
        "Mileage date: Enter a valid date (YYYY-MM-DD).",
    }


def test_cells_with_control_or_direction_characters_are_refused_like_typed_input(
    world: World, importer: User, client_for: Callable[[User], Client], django_capture_on_commit_callbacks: Any
) -> None:
    """Excel escapes characters XML cannot hold (``_x0000_``); the reader restores them, the row is refused."""
    rows = [
        person(1, name="张_x0000_三"),  # row 3: NUL, which PostgreSQL cannot store
        person(2, street="人民路\u202e1号"),  # row 4: a right-to-left override
        person(3, colour="白_x000A_色"),  # row 5: a line break in a one-line field
        person(4),  # row 6
    ]
    client = client_for(importer)

    response = upload(client, workbook(rows), django_capture_on_commit_callbacks)

    assert response.status_code == 202
    job = ImportJob.objects.get()
    assert (job.status, job.error_rows, job.created_customers, job.created_vehicles) == ("done", 3, 1, 1)
    assert list(Customer.objects.values_list("street", flat=True)) == [""]
    report = error_rows(client, job.pk)
    assert {row[-1]: row[-2] for row in report[2:]} == {
        3: "Name: This text contains a control character (U+0000) that cannot be stored; remove it.",
        4: "Street address: This text contains an invisible character that changes the reading direction "
        "(U+202E); remove it.",
        5: "Colour: Enter this on one line: line breaks and tabs are not allowed here.",
    }


def test_messages_follow_the_uploaders_language(
    world: World, importer: User, client_for: Callable[[User], Client], django_capture_on_commit_callbacks: Any
) -> None:
    importer.preferred_language = "zh-hans"
    importer.save()
    client = client_for(importer)
    upload(client, workbook([person(1, kind="人")]), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert error_rows(client, job.pk)[2][-2] == "客户类型: 请从以下选项中选择：个人, 公司。"


def test_all_or_nothing_imports_nothing_when_one_row_is_bad(
    world: World, importer: User, client_for: Callable[[User], Client], django_capture_on_commit_callbacks: Any
) -> None:
    rows = [person(1), person(2), person(3, mobile="110")]
    client = client_for(importer)

    response = upload(client, workbook(rows), django_capture_on_commit_callbacks, mode="all_or_nothing")

    assert response.status_code == 202
    job = ImportJob.objects.get()
    assert (job.status, job.mode, job.error_rows, job.created_customers, job.created_vehicles) == (
        "done",
        "all_or_nothing",
        1,
        0,
        0,
    )
    assert job.message == "Nothing was imported: 1 rows have errors (all or nothing)."
    assert not Customer.objects.exists() and not Vehicle.objects.exists() and not SearchKey.objects.exists()
    assert not DocumentSequence.objects.exists()
    assert [row[-1] for row in error_rows(client, job.pk)[2:]] == [5]
    entry = AuditEntry.objects.get(object_type="customers.importjob")
    assert entry.changes == {"customers": 0, "vehicles": 0, "error_rows": 1, "dry_run": False}


def test_all_or_nothing_imports_everything_when_all_rows_are_valid(
    world: World, importer: User, client_for: Callable[[User], Client], django_capture_on_commit_callbacks: Any
) -> None:
    upload(
        client_for(importer),
        workbook([person(1), person(2)]),
        django_capture_on_commit_callbacks,
        mode="all_or_nothing",
    )
    assert (ImportJob.objects.get().created_customers, Customer.objects.count()) == (2, 2)


def test_dry_run_imports_nothing_but_reports(
    world: World,
    importer: User,
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
    stored_files: Callable[[], set[str]],
) -> None:
    rows = [person(1), person(2, plate="沪A1234"), person(3)]
    client = client_for(importer)

    upload(client, workbook(rows), django_capture_on_commit_callbacks, dry_run=True)

    job = ImportJob.objects.get()
    assert (job.status, job.dry_run, job.created_customers, job.created_vehicles, job.error_rows) == (
        "done",
        True,
        2,
        2,
        1,
    )
    assert job.message == "Dry run: 2 customers and 2 vehicles would be imported; 1 rows have errors."
    assert not Customer.objects.exists() and not Vehicle.objects.exists() and not DocumentSequence.objects.exists()
    assert [(row[-1], row[-2]) for row in error_rows(client, job.pk)[2:]] == [
        (4, "Plate: After the province and the letter, a plate must have 5 letters or digits "
         "(6 for new-energy vehicles); this one has 4.")
    ]  # fmt: skip
    assert stored_files() == {job.error_file}
    entry = AuditEntry.objects.get(object_type="customers.importjob")
    assert entry.changes == {"customers": 0, "vehicles": 0, "error_rows": 1, "dry_run": True}


def test_the_error_report_can_be_corrected_and_uploaded_again(
    world: World, importer: User, client_for: Callable[[User], Client], django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(importer)
    upload(client, workbook([person(1), person(2, mobile="1381234567")]), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    response = client.get(f"/customers/import/{job.pk}/errors/")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    book.active["C3"] = "13812345679"
    corrected = io.BytesIO()
    book.save(corrected)

    upload(client, corrected.getvalue(), django_capture_on_commit_callbacks, name="fixed.xlsx")

    again = ImportJob.objects.get(file_name="fixed.xlsx")
    assert (again.created_customers, again.error_rows, again.total_rows) == (1, 0, 1)
    assert CustomerPhone.objects.filter(number="13812345679").exists()


def test_rows_within_a_file_and_against_the_archive_credit_codes(
    world: World, importer: User, client_for: Callable[[User], Client], django_capture_on_commit_callbacks: Any
) -> None:
    taken = services.customer_create(
        actor=importer, store=world.sh, data={"name": "已有公司", "kind": "company", "uscc": uscc(5)}
    )
    rows = [
        person(1, kind="公司", name="甲公司", uscc=uscc(1)),
        person(2, kind="公司", name="甲公司", mobile="13812340001", uscc=uscc(1)),  # same customer: fine
        person(3, kind="公司", name="乙公司", uscc=uscc(1)),
        person(4, kind="公司", name="丙公司", uscc=uscc(5)),
        person(5, uscc=uscc(6)),
    ]
    client = client_for(importer)
    # "Create anyway": a credit code already in the archive is still refused (one company, one record).
    upload(client, workbook(rows), django_capture_on_commit_callbacks, on_match="create")
    job = ImportJob.objects.get()
    assert (job.created_customers, job.created_vehicles, job.error_rows) == (1, 2, 3)
    assert {row[-1]: row[-2] for row in error_rows(client, job.pk)[2:]} == {
        5: "Credit code (USCC): This credit code is already in row 3 of this file.",
        6: f"Credit code (USCC): Customer {taken.number} already has this credit code.",
        7: "Credit code (USCC): Only a company has a unified social credit code.",
    }


def test_credit_codes_are_looked_up_on_their_index(world: World) -> None:
    # More than 100 codes: PostgreSQL then only uses the partial index if the query repeats its condition.
    codes = {uscc(serial) for serial in range(150)}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = importing._holding_credit_codes(codes).explain()
    assert "customer_uscc_unique" in plan, plan


# --- refused files -----------------------------------------------------------------------------------


def _zip(parts: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name, text in parts.items():
            package.writestr(name, text)
    return buffer.getvalue()


def _broken_sheet() -> bytes:
    """A real workbook whose sheet XML is cut off in the middle."""
    source = zipfile.ZipFile(io.BytesIO(workbook([person(1), person(2)])))
    parts = {name: source.read(name).decode() for name in source.namelist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"][:-300]
    return _zip(parts)


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"MZ\x90\x00\x03" + b"\x00" * 200, "customers.xlsx", "This is a Windows program, not an Excel workbook (.xlsx)."),
        (_zip({"readme.txt": "hello"}), "customers.xlsx", "The file is not an Excel workbook (.xlsx)."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", "This is an old Excel 97-2003 workbook (.xls); save it as .xlsx and upload again."),
        (b"PK\x03\x04 but not really a zip", "customers.xlsx", "The file is not an Excel workbook (.xlsx)."),
        (workbook([])[:0] or _zip({"[Content_Types].xml": "<Types/>"}), "x.xlsx", "The file is not an Excel workbook (.xlsx)."),
    ],
)  # fmt: skip
def test_a_file_that_is_no_workbook_is_refused_and_nothing_is_stored(
    world: World,
    importer: User,
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
    stored_files: Callable[[], set[str]],
    content: bytes,
    name: str,
    message: str,
) -> None:
    response = upload(client_for(importer), content, django_capture_on_commit_callbacks, name=name)
    assert response.status_code == 422
    assert response.json() == {"code": "invalid_file", "detail": message, "fields": {"file": [message]}}
    assert not ImportJob.objects.exists()
    assert stored_files() == set()


def test_a_header_without_the_template_columns_is_refused(
    world: World, importer: User, client_for: Callable[[User], Client], django_capture_on_commit_callbacks: Any
) -> None:
    book = Workbook()
    book.active.append(["姓名", "电话"])
    content = io.BytesIO()
    book.save(content)
    response = upload(client_for(importer), content.getvalue(), django_capture_on_commit_callbacks)
    assert response.status_code == 422
    assert response.json()["fields"]["file"] == [
        "The first row of the sheet must hold the template's column names; missing: Name, Mobile."
    ]


def test_a_file_over_20_mb_is_refused(world: World, importer: User, english: Callable[[User], Client]) -> None:
    response = english(importer).post(
        "/api/v1/customers/import", {"file": SimpleUploadedFile("big.xlsx", b"PK\x03\x04" + b"\x00" * (20 * 2**20))}
    )
    assert response.status_code == 422
    assert response.json()["fields"]["file"] == ["The file is larger than 20 MB."]
    assert not ImportJob.objects.exists()


def test_a_sheet_broken_after_the_upload_check_fails_the_job_with_a_message(
    world: World, importer: User, client_for: Callable[[User], Client]
) -> None:
    # Uploaded fine (the task is not run: no on-commit here); the stored file breaks before the job runs.
    response = client_for(importer).post(
        "/api/v1/customers/import", {"file": SimpleUploadedFile("c.xlsx", workbook([person(1)]))}
    )
    assert response.status_code == 202
    job = ImportJob.objects.get()
    assert job.status == "queued" and response.json()["status"] == "queued"
    (selectors.imports_dir() / job.storage_name).write_bytes(_broken_sheet())

    finished = excel.import_run(job.pk)

    assert finished is not None
    assert (finished.status, finished.message) == (
        "failed",
        "The workbook is damaged and cannot be read; open it in Excel and save it again.",
    )
    assert finished.finished_at is not None and not Customer.objects.exists()
    assert excel.import_run(job.pk) is None  # a job that is not queued is left alone
    (selectors.imports_dir() / job.storage_name).unlink()


def test_a_job_delivered_twice_runs_once(
    world: World, importer: User, client_for: Callable[[User], Client], django_capture_on_commit_callbacks: Any
) -> None:
    upload(client_for(importer), workbook([person(1)]), django_capture_on_commit_callbacks)
    done = ImportJob.objects.get()

    customer_import_run(done.pk)

    again = ImportJob.objects.get()
    assert (again.status, again.created_customers, again.finished_at) == ("done", 1, done.finished_at)
    assert Customer.objects.count() == 1
    assert AuditEntry.objects.filter(object_type="customers.importjob").count() == 1


# --- pages ---------------------------------------------------------------------------------------------


def test_wizard_upload_redirects_to_the_job_page_which_polls_until_done(
    world: World, importer: User, english: Callable[[User], Client]
) -> None:
    client = english(importer)
    page = client.get("/customers/import/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="/customers/import/template/"' in html and 'name="mode"' in html and 'name="dry_run"' in html

    response = client.post(
        "/customers/import/", {"file": SimpleUploadedFile("wizard.xlsx", workbook([person(1)])), "mode": "valid_rows"}
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/customers/import/{job.pk}/"
    polling = client.get(f"/customers/import/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in polling and "0 of 0 rows checked" in polling

    excel.import_run(job.pk)
    partial = client.get(f"/customers/import/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<div id="job-status"')
    assert "every 1s" not in partial and "1 of 1 rows checked" in partial
    assert 'data-testid="customers-count">1<' in partial
    listing = client.get("/customers/import/").content.decode()
    assert "wizard.xlsx" in listing and f"/customers/import/{job.pk}/" in listing


def test_wizard_shows_a_refused_file_next_to_the_file_field(
    world: World, importer: User, english: Callable[[User], Client]
) -> None:
    response = english(importer).post(
        "/customers/import/", {"file": SimpleUploadedFile("a.xlsx", b"MZ" + b"\x00" * 50), "mode": "valid_rows"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == ["This is a Windows program, not an Excel workbook (.xlsx)."]
    assert 'data-testid="error-file"' in response.content.decode()
    assert not ImportJob.objects.exists()


QUEUE_WARNING_EN = (
    "Background jobs are not running. What you start here is queued and waits until the background worker "
    "runs again. Please tell your system administrator (the worker is started with aftersales worker)."
)
QUEUE_WARNING_ZH = (
    "后台任务没有运行。您在此发起的任务已排队，需等后台任务进程恢复运行后才会执行。"
    "请告知系统管理员（用 aftersales worker 启动后台任务进程）。"
)


def queue_warning(html: str) -> str | None:
    """The text of the page's queue warning, or None without one."""
    found = re.search(r'<div class="alert[^"]*" role="alert" data-testid="queue-warning">(.*?)\n</div>', html, re.S)
    return " ".join(re.sub(r"<[^>]+>", "", found.group(1)).split()) if found else None


def test_the_import_page_warns_while_no_worker_runs(
    world: World, importer: User, client_for: Callable[[User], Client], english: Callable[[User], Client]
) -> None:
    assert queue_warning(english(importer).get("/customers/import/").content.decode()) == QUEUE_WARNING_EN
    chinese = client_for(world.user("crm", "sz"))
    assert queue_warning(chinese.get("/customers/import/").content.decode()) == QUEUE_WARNING_ZH

    JobHeartbeat.objects.create(name="queue", beat_at=timezone.now() - timedelta(seconds=181))
    assert queue_warning(english(importer).get("/customers/import/").content.decode()) == QUEUE_WARNING_EN

    heartbeat_record(name="queue")
    page = english(importer).get("/customers/import/")
    assert page.status_code == 200 and 'data-testid="import-form"' in page.content.decode()
    assert queue_warning(page.content.decode()) is None


def test_a_queued_jobs_page_warns_while_no_worker_runs(
    world: World, importer: User, english: Callable[[User], Client]
) -> None:
    client = english(importer)
    client.post(
        "/customers/import/", {"file": SimpleUploadedFile("w.xlsx", workbook([person(1)])), "mode": "valid_rows"}
    )
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.QUEUED
    assert queue_warning(client.get(f"/customers/import/{job.pk}/").content.decode()) == QUEUE_WARNING_EN
    partial = client.get(f"/customers/import/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert queue_warning(partial) == QUEUE_WARNING_EN

    heartbeat_record(name="queue")
    partial = client.get(f"/customers/import/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "every 1s" in partial and queue_warning(partial) is None

    JobHeartbeat.objects.all().delete()
    excel.import_run(job.pk)
    done = client.get(f"/customers/import/{job.pk}/").content.decode()
    assert "1 of 1 rows checked" in done and queue_warning(done) is None


def test_the_archive_rule_page_warns_while_no_worker_runs(world: World, english: Callable[[User], Client]) -> None:
    manager = english(world.user("manager"))
    assert queue_warning(manager.get("/customers/quality/rule/").content.decode()) == QUEUE_WARNING_EN
    heartbeat_record(name="queue")
    assert queue_warning(manager.get("/customers/quality/rule/").content.decode()) is None


# --- permissions -----------------------------------------------------------------------------------------


def test_technician_may_not_import(world: World, client_for: Callable[[User], Client]) -> None:
    client = client_for(world.user("technician"))
    content = workbook([person(1)])
    response = client.post("/api/v1/customers/import", {"file": SimpleUploadedFile("c.xlsx", content)})
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    page = client.post("/customers/import/", {"file": SimpleUploadedFile("c.xlsx", content), "mode": "valid_rows"})
    assert page.status_code == 403
    assert client.get("/api/v1/customers/import/template").status_code == 403
    assert not ImportJob.objects.exists()


def test_another_stores_job_is_not_found(
    world: World, importer: User, client_for: Callable[[User], Client], django_capture_on_commit_callbacks: Any
) -> None:
    upload(client_for(importer), workbook([person(1, mobile="1")]), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.error_file
    other = client_for(world.user("crm", "sz"))
    for path in (
        f"/api/v1/customers/import/{job.pk}",
        f"/api/v1/customers/import/{job.pk}/errors",
        f"/customers/import/{job.pk}/",
        f"/customers/import/{job.pk}/errors/",
    ):
        assert other.get(path).status_code == 404, path
    assert client_for(world.user("admin")).get(f"/api/v1/customers/import/{job.pk}").status_code == 200


# --- export ----------------------------------------------------------------------------------------------


def _grant_export(*roles: str) -> None:
    for code in roles:
        role = Role.objects.get(code=code)
        role.permissions = [*role.permissions, "customers.export"]
        role.save()


def _exported(response: Any) -> list[tuple[Any, ...]]:
    assert response.status_code == 200
    assert response["Content-Type"] == excel.XLSX_CONTENT_TYPE
    assert response["Content-Disposition"].startswith('attachment; filename="customers-')
    return list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))


def test_export_is_masked_without_view_personal_and_audited(
    world: World, importer: User, client_for: Callable[[User], Client]
) -> None:
    customer = services.customer_create(
        actor=importer,
        store=world.sh,
        data={
            "name": "王建国",
            "mobiles": ["13812345678", "13900001111"],
            "resident_id": RESIDENT_ID,
            "province": "上海市",
            "city": "上海市",
            "district": "浦东新区",
            "street": "世纪大道100号",
            "customer_class": "vip",
        },
    )
    services.vehicle_create(actor=importer, owner=customer, data={"vin": vin(1), "plate": "沪A12345"})
    services.customer_create(actor=importer, store=world.sh, data={"name": "李四", "mobiles": ["13700000000"]})
    _grant_export("technician", "advisor")
    width = len(excel.EXPORT_HEADERS)

    masked = _exported(client_for(world.user("technician")).get("/api/v1/customers/export", {"customer_class": "vip"}))
    full = _exported(client_for(world.user("advisor")).get("/customers/import/export/", {"q": "王建国"}))

    assert masked[0][:4] == ("客户编号", "客户类型", "客户名称", "手机号") and len(masked[0]) == width
    assert masked[1][:4] == ("Number", "Customer kind", "Name", "Mobile")
    assert len(masked) == len(full) == 3
    by_header = [dict(zip(masked[1], row, strict=True)) for row in (masked[2], full[2])]
    hidden, shown = by_header
    assert (hidden["Number"], hidden["Name"], hidden["Customer class"]) == (customer.number, "王建国", "VIP")
    assert (hidden["Mobile"], hidden["Second mobile"]) == ("138****5678", "139****1111")
    assert (hidden["Resident ID"], hidden["Street address"]) == ("1101**********002X", "****")
    assert (hidden["VINs"], hidden["Plates"], hidden["Home store"]) == (vin(1), "沪A12345", "SH01")
    assert (shown["Mobile"], shown["Second mobile"]) == ("13812345678", "13900001111")
    assert (shown["Resident ID"], shown["Street address"]) == (RESIDENT_ID, "世纪大道100号")

    entries = AuditEntry.objects.filter(action="export", object_type="customers.customer").order_by("pk")
    assert [(e.actor_username, e.changes) for e in entries] == [
        ("technician_sh", {"filters": {"customer_class": "vip"}, "rows": 1, "masked": True}),
        ("advisor_sh", {"filters": {"q": "王*国"}, "rows": 1, "masked": False}),
    ]


def test_an_export_searched_by_a_written_mobile_audits_it_masked(
    world: World, client_for: Callable[[User], Client]
) -> None:
    customer = services.customer_create(
        actor=world.user("advisor"), store=world.sh, data={"name": "王建国", "mobiles": ["13812345678"]}
    )
    _grant_export("advisor")

    rows = _exported(client_for(world.user("advisor")).get("/customers/import/export/", {"q": "+86 138-1234-5678"}))

    assert [row[0] for row in rows[2:]] == [customer.number]
    assert AuditEntry.objects.get(action="export").changes == {
        "filters": {"q": "138****5678"},
        "rows": 1,
        "masked": False,
    }


def test_export_needs_the_export_permission(world: World, client_for: Callable[[User], Client]) -> None:
    client = client_for(world.user("technician"))
    assert client.get("/api/v1/customers/export").status_code == 403
    assert client.get("/customers/import/export/").status_code == 403
    assert not AuditEntry.objects.filter(action="export").exists()
    rows = _exported(client_for(world.user("auditor")).get("/api/v1/customers/export"))
    assert len(rows) == 2  # the two header rows: no customers yet


def test_export_refuses_unknown_filters(world: World, client_for: Callable[[User], Client]) -> None:
    client = client_for(world.user("crm"))
    assert client.get("/api/v1/customers/export", {"customer_class": "gold"}).status_code == 422
    assert client.get("/api/v1/customers/export", {"colour": "red"}).status_code == 422
    assert client.get("/customers/import/export/", {"home_store": "x"}).status_code == 400
    assert not AuditEntry.objects.filter(action="export").exists()


# --- the name-keys helper ------------------------------------------------------------------------------------

NAMES = ["曾乐", "单行道", "重庆长安汽车服务有限公司", "张三", "Tom 李", "乐乐", "曾乐"]


def _name_keys(name: str) -> list[tuple[str, str]]:
    return search.customer_keys(number="", name=name, mobiles=())


def test_the_helper_process_works_out_every_names_keys_as_search_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(names.NameKeys, "START_AFTER", 3)
    helper = names.NameKeys()
    for name in NAMES[:2]:
        helper.add(name)
    helper.send()  # two names: no helper yet
    assert helper.process is None
    for name in NAMES[2:]:
        helper.add(name)
    helper.send()
    assert helper.process is not None
    helper.add("查理")
    helper.send()

    found = helper.collect()

    assert found == {name: _name_keys(name) for name in [*NAMES[:6], "查理"]}
    assert helper.process.returncode == 0
    assert helper.peak_kib > 10_000  # as the helper reported it: an interpreter with pypinyin
    helper.close()  # a second close does no harm


def test_without_a_helper_process_the_names_are_left_to_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(names.NameKeys, "START_AFTER", 1)
    monkeypatch.setattr(names.sys, "executable", "/nonexistent/python")
    helper = names.NameKeys()
    helper.add("张三")
    helper.send()
    assert (helper.failed, helper.process, helper.collect()) == (True, None, {})


def test_a_helper_that_breaks_off_delivers_what_it_answered(monkeypatch: pytest.MonkeyPatch) -> None:
    # A helper that answers the first list and then dies: the second list's names are missing.
    monkeypatch.setattr(names.NameKeys, "START_AFTER", 1)
    answer_once = (
        "import os, pickle, sys\n"
        "from aftersales.customers.search import customer_keys\n"
        "names = pickle.load(sys.stdin.buffer)\n"
        "keys = [customer_keys(number='', name=name, mobiles=()) for name in names]\n"
        "pickle.dump(pickle.dumps(keys), sys.stdout.buffer)\n"
        "sys.stdout.flush()\n"
        "os._exit(3)\n"
    )
    monkeypatch.setattr(names, "_HELPER", answer_once)
    helper = names.NameKeys()
    helper.add("张三")
    helper.send()
    helper.add("李四")
    helper.send()
    assert helper.collect() == {"张三": _name_keys("张三")}
    assert helper.process is not None and helper.process.returncode == 3


def test_an_abandoned_helper_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(names.NameKeys, "START_AFTER", 1)
    helper = names.NameKeys()
    helper.add("张三")
    helper.send()
    helper.close()
    assert helper.process is not None and helper.process.poll() is not None
    assert all(not thread.is_alive() for thread in helper.threads)


def test_an_import_uses_the_helpers_keys_and_works_without_it(
    world: World,
    importer: User,
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(names.NameKeys, "START_AFTER", 1)
    collected: list[dict[str, list[tuple[str, str]]]] = []
    collect = names.NameKeys.collect
    monkeypatch.setattr(names.NameKeys, "collect", lambda self: collected.append(collect(self)) or collected[-1])
    client = client_for(importer)
    upload(client, workbook([person(1, name="曾乐"), person(2, name="单行道")]), django_capture_on_commit_callbacks)
    monkeypatch.setattr(names.sys, "executable", "")
    upload(client, workbook([person(3, name="曾乐"), person(4, name="重庆")]), django_capture_on_commit_callbacks)

    assert collected == [{"曾乐": _name_keys("曾乐"), "单行道": _name_keys("单行道")}, {}]
    assert ImportJob.objects.filter(status="done", created_customers=2).count() == 2
    for customer in Customer.objects.all():
        mobiles = list(customer.phones.values_list("number", flat=True))
        expected = search.customer_keys(number=customer.number, name=customer.name, mobiles=mobiles)
        assert sorted(SearchKey.objects.filter(customer=customer).values_list("kind", "key")) == sorted(expected)


def _vehicle(world: World, owner: Customer, serial: int) -> Vehicle:
    draft = f"LSVAA4180E2{serial:06d}"
    vin = draft[:8] + vin_check_digit(draft) + draft[9:]
    return services.vehicle_create(actor=world.user("advisor"), owner=owner, data={"vin": vin})


def test_the_export_page_masks_by_the_right_in_the_active_store(
    world: World, client_for: Callable[[User], Client]
) -> None:
    CustomerFactory(name="王五", resident_id=RESIDENT_ID, mobiles=["13812345678"])
    auditor = world.user("auditor")  # may export, may not see personal data, in Shanghai (active)
    StaffMembership.objects.create(user=auditor, store=world.sz, role=Role.objects.get(code="advisor"))
    client = client_for(auditor)
    client.get("/customers/")
    response = client.get("/customers/import/export/", {"q": RESIDENT_ID})
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="export")
    assert entry.changes == {"filters": {"q": "1101**********002X"}, "rows": 1, "masked": True}
    assert RESIDENT_ID not in str(entry.changes)


def test_a_clash_in_a_bulk_write_is_an_integrity_error_on_both_databases(world: World) -> None:
    owner = CustomerFactory(name="钱七", mobiles=["13800000001"])
    taken = _vehicle(world, owner, 1)
    table = _Table(Vehicle, ("vin", "plate", "version", "created_at", "updated_at"))
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        table.write([(taken.vin, "", 1, now, now)])
