"""What the change log and the timelines show: mobiles, owners, documents, imported records."""

import hashlib
import html
import io
import re
from collections.abc import Callable
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from PIL import Image

from aftersales.conftest import World
from aftersales.core.identifiers import vin_check_digit
from aftersales.core.models import AuditEntry, User
from aftersales.core.scope import scope_of
from aftersales.core.tests.test_history import audit_rows
from aftersales.customers import selectors, services
from aftersales.customers.models import Customer, Vehicle
from aftersales.customers.tests.factories import CustomerFactory


def _vehicle(world: World, owner: Customer) -> Vehicle:
    draft = "LSVAA4180E2000001"
    vin = draft[:8] + vin_check_digit(draft) + draft[9:]
    return services.vehicle_create(actor=world.user("advisor"), owner=owner, data={"vin": vin, "plate": "沪A12345"})


def _titles(items: list[selectors.TimelineItem]) -> list[str]:
    return [item.title for item in items]


def test_mobile_changes_are_one_entry_on_the_customer_masked_by_role(world: World) -> None:
    customer = CustomerFactory(name="褚一", mobiles=["13800000001"])
    services.customer_update(
        actor=world.user("advisor"),
        customer_id=customer.pk,
        version=1,
        data={"mobiles": ["13900000002", "13800000001"]},  # a new primary, the old one kept
    )

    created, changed = reversed(selectors.change_log(customer))
    assert (created.action, created.changes["mobiles"]) == ("create", [None, ["13800000001"]])
    assert (changed.action, changed.changes) == (
        "update",
        {"mobiles": [["13800000001"], ["13900000002", "13800000001"]]},
    )
    assert not AuditEntry.objects.filter(object_type="customers.customerphone").exists()
    stored = AuditEntry.objects.get(pk=changed.pk)
    assert "13900000002" not in str(stored.changes)  # kept beside the chain, erasable

    masked = selectors.customer_timeline(customer, personal=False)
    assert [item.detail.get("mobiles") for item in masked if "mobiles" in item.detail] == [
        [["138****0001"], ["139****0002", "138****0001"]],
        [None, ["138****0001"]],
    ]


def test_owner_changes_show_on_both_customers_and_the_vehicle(world: World) -> None:
    seller = CustomerFactory(name="卫二", mobiles=["13800000001"])
    buyer = CustomerFactory(name="蒋三", mobiles=["13800000002"])
    vehicle = _vehicle(world, seller)
    services.vehicle_transfer(
        actor=world.user("advisor"), vehicle_id=vehicle.pk, new_owner=buyer, on=timezone.localdate()
    )

    with translation.override("en"):
        seller_items = _titles(selectors.customer_timeline(seller))
        buyer_items = _titles(selectors.customer_timeline(buyer))
        vehicle_items = _titles(selectors.vehicle_timeline(vehicle, kinds={"archive"}))
    links = "Vehicle owner or driver"
    assert [t for t in seller_items if t.startswith(links)] == [f"{links} · Updated", f"{links} · Created"]
    assert [t for t in buyer_items if t.startswith(links)] == [f"{links} · Created"]
    assert vehicle_items == [f"{links} · Created", f"{links} · Updated", f"{links} · Created", "Vehicle · Created"]


def test_a_record_written_in_bulk_starts_its_history_at_its_creation(world: World) -> None:
    [customer] = Customer.objects.bulk_create(
        [Customer(home_store=world.sh, number="CUS-SH01-2026-900001", name="沈四")]
    )
    with translation.override("en"):
        items = selectors.customer_timeline(customer)
    assert [(item.title, item.at, item.actor) for item in items] == [("Customer · Created", customer.created_at, "")]


def test_a_merge_records_the_mobiles_the_survivor_gains(world: World) -> None:
    survivor = CustomerFactory(name="韩五", mobiles=["13800000001"])
    merged = CustomerFactory(name="韩五", mobiles=["13800000002", "13800000001"])
    services.customer_merge(actor=world.user("crm"), survivor_id=survivor.pk, merged_id=merged.pk, choices={})

    latest = selectors.change_log(survivor)
    assert [(e.action, sorted(e.changes)) for e in latest[:2]] == [
        ("merge", ["documents", "fields_taken", "merged", "vehicle_links"]),
        ("update", ["mobiles"]),
    ]
    assert latest[1].changes["mobiles"] == [["13800000001"], ["13800000001", "13800000002"]]


def _png_of(pixels: bytes) -> bytes:
    buffer = io.BytesIO()
    Image.frombytes("RGB", (24, 24), pixels).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


# --- read as people read it: labels, values, names ------------------------------------------------

# A photo of noise (it does not compress): a little under 2 KB, kept byte for byte.
_NOISE = b"".join(hashlib.sha256(str(index).encode()).digest() for index in range(54))  # 24 × 24 × 3 bytes
PNG = _png_of(_NOISE)
EN = {"accept-language": "en"}


def _text(fragment: str, joiner: str = "") -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", joiner, fragment)).split())


def change_log(page: str) -> list[tuple[str, str, list[str]]]:
    """Each row of a record page's change log as text: (user, action, changed fields)."""
    rows = []
    for row in re.findall(r'<tr data-testid="change-row">(.*?)</tr>', page, re.DOTALL):
        user = re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)[1]
        action = re.search(r'<div class="fw-semibold" data-testid="change-action">(.*?)</div>', row, re.DOTALL)
        fields = re.findall(r'<div data-testid="change-field">(.*?)</div>', row, re.DOTALL)
        rows.append((_text(user), _text(action.group(1) if action else ""), [_text(f) for f in fields]))
    return rows


def timeline(page: str) -> list[tuple[str, str, list[str]]]:
    """Each archive item of a timeline as text: (title, when and who, its field badges or lines)."""
    items = []
    for item in re.findall(
        r'<li class="list-group-item px-0" data-testid="timeline-item" data-kind="archive">(.*?)</li>', page, re.DOTALL
    ):
        title, when = re.findall(r"<span[^>]*>(.*?)</span>\s", item, re.DOTALL)[:2]
        badges = re.findall(r'<span class="badge[^"]*">(.*?)</span>', item)
        lines = re.findall(r'<div class="small text-break" data-testid="timeline-line">(.*?)</div>', item, re.DOTALL)
        items.append((_text(title), _text(when), [_text(b) for b in badges] + [_text(line) for line in lines]))
    return items


@pytest.fixture
def advisor(world: World, client_for: Callable[[User], Client]) -> Client:
    return client_for(world.user("advisor"))


def test_a_vehicle_change_and_a_driver_period_read_by_label_and_name(
    world: World, advisor: Client, client_for: Callable[[User], Client]
) -> None:
    owner = CustomerFactory(name="褚一", mobiles=["13800000001"])
    driver = CustomerFactory(name="卫二", mobiles=["13800000002"])
    with scope_of(world.user("advisor")):
        vehicle = _vehicle(world, owner)
        services.vehicle_update(
            actor=world.user("advisor"), vehicle_id=vehicle.pk, version=1, data={"fuel_type": "bev"}
        )
        link = services.vehicle_driver_add(
            actor=world.user("advisor"), vehicle_id=vehicle.pk, customer_id=driver.pk, valid_from=date(2024, 5, 1)
        )
    url = f"/customers/vehicles/{vehicle.pk}/"
    audit_page = client_for(world.user("auditor")).get("/audit/", {"object_type": "customers.vehiclelink"})

    chinese, english = advisor.get(url).content.decode(), advisor.get(url, headers=EN).content.decode()

    assert change_log(chinese)[:3] == [
        (
            "服务顾问",
            "车主或驾驶人 · 创建",
            [f"车辆：沪A12345 {vehicle.vin}", f"客户：{driver.number}", "角色：驾驶人", "开始日期：2024-05-01"],
        ),
        ("服务顾问", "车辆 · 修改", ["燃料类型：汽油 → 纯电动"]),
        (
            "服务顾问",
            "车主或驾驶人 · 创建",
            [
                f"车辆：沪A12345 {vehicle.vin}",
                f"客户：{owner.number}",
                "角色：车主",
                f"开始日期：{timezone.localdate():%Y-%m-%d}",
            ],
        ),
    ]
    assert change_log(english)[:2] == [
        (
            "服务顾问",
            "Vehicle owner or driver · Created",
            [f"Vehicle: 沪A12345 {vehicle.vin}", f"Customer: {driver.number}", "Role: Driver", "From: 2024-05-01"],
        ),
        ("服务顾问", "Vehicle · Updated", ["Fuel type: Petrol → Battery electric"]),
    ]
    assert [(title, labels) for title, _when, labels in timeline(chinese)[:2]] == [
        ("车主或驾驶人 · 创建", ["车辆", "客户", "角色", "开始日期"]),
        ("车辆 · 修改", ["燃料类型"]),
    ]
    assert timeline(english)[1][1].endswith(" · 服务顾问")
    # The trail names a period by its vehicle and customer, not by their ids.
    assert audit_rows(audit_page.content.decode())[0][2] == f"车主或驾驶人 #{link.pk} 沪A12345 · {driver.number}"


def test_a_document_upload_reads_its_kind_file_type_size_and_checksum(
    world: World, client_for: Callable[[User], Client]
) -> None:
    customer = CustomerFactory(name="蒋三", mobiles=["13800000003"], data_consent=True, data_consent_channel="paper")
    document = services.document_upload(
        actor=world.user("advisor"),
        store=world.sh,
        customer=customer,
        kind="id_card",
        uploaded_file=SimpleUploadedFile("蒋三 身份证.png", PNG, content_type="image/png"),
    )
    auditor = client_for(world.user("auditor"))
    query = {"object_type": "customers.customerdocument"}

    chinese = audit_rows(auditor.get("/audit/", query).content.decode())
    english = audit_rows(auditor.get("/audit/", query, headers=EN).content.decode())
    page = client_for(world.user("advisor")).get(f"/customers/{customer.pk}/").content.decode()

    checksum = hashlib.sha256(PNG).hexdigest()
    named = AuditEntry.objects.get(object_type="customers.customerdocument").object_repr  # as the writer named it
    assert chinese == [
        (
            "服务顾问 advisor_sh",
            "创建",
            f"客户证件资料 #{document.pk} {named}",
            [
                f"客户：{customer.number}",
                "类型：身份证",
                "文件类型：image/png",
                f"大小：{len(PNG) / 1024:.1f} KB",
                f"SHA-256 校验值：{checksum[:12]}…",
            ],
        )
    ]
    assert english[0][3] == [
        f"Customer: {customer.number}",
        "Kind: ID card",
        "File type: image/png",
        f"Size: {len(PNG) / 1024:.1f} KB",
        f"SHA-256 checksum: {checksum[:12]}…",
    ]
    assert "蒋三 身份证" not in str(chinese)  # the file name often holds the person's name
    assert timeline(page)[0][0::2] == ("客户证件资料 · 创建", ["客户", "类型", "文件类型", "大小", "SHA-256 校验值"])


def test_a_reveal_names_the_field_revealed(world: World, advisor: Client, client_for: Callable[[User], Client]) -> None:
    customer = CustomerFactory(name="沈四", mobiles=["13800000004"])
    advisor.post(f"/customers/{customer.pk}/reveal/", {"field": "mobiles"})
    advisor.post(f"/customers/{customer.pk}/reveal/", {"field": "resident_id"})
    advisor.get(f"/customers/{customer.pk}/edit/")  # the form shows every personal value in full
    page = f"/customers/{customer.pk}/"

    chinese, english = advisor.get(page).content.decode(), advisor.get(page, headers=EN).content.decode()
    audit_page = client_for(world.user("auditor")).get("/audit/", {"action": "reveal"}).content.decode()

    assert change_log(chinese)[:3] == [
        ("服务顾问", "查看个人信息：全部个人信息", ["用途：编辑档案"]),
        ("服务顾问", "查看个人信息：身份证号", []),
        ("服务顾问", "查看个人信息：手机号", []),
    ]
    assert change_log(english)[:3] == [
        ("服务顾问", "Personal data revealed: all personal data", ["Purpose: editing the record"]),
        ("服务顾问", "Personal data revealed: resident ID", []),
        ("服务顾问", "Personal data revealed: mobile numbers", []),
    ]
    assert [(title, lines) for title, _when, lines in timeline(chinese)[:3]] == [
        ("客户 · 查看个人信息：全部个人信息", ["用途：编辑档案"]),
        ("客户 · 查看个人信息：身份证号", []),
        ("客户 · 查看个人信息：手机号", []),
    ]
    assert [action for _user, action, _object, _lines in audit_rows(audit_page)] == [
        "查看个人信息：全部个人信息",
        "查看个人信息：身份证号",
        "查看个人信息：手机号",
    ]


def test_a_consent_reads_yes_or_no_and_its_time_in_local_time(world: World, advisor: Client) -> None:
    customer = CustomerFactory(name="韩五", mobiles=["13800000005"])
    with scope_of(world.user("crm")):
        services.customer_update(
            actor=world.user("crm"),
            customer_id=customer.pk,
            version=1,
            data={"marketing_consent": True, "marketing_consent_channel": "paper"},
        )
    customer.refresh_from_db()
    assert customer.marketing_consent_at is not None
    at = timezone.localtime(customer.marketing_consent_at).strftime("%Y-%m-%d %H:%M")
    page = f"/customers/{customer.pk}/"

    chinese, english = advisor.get(page).content.decode(), advisor.get(page, headers=EN).content.decode()

    assert change_log(chinese)[0] == (
        "客服专员",
        "修改",
        ["营销授权：否 → 是", f"营销授权时间：— → {at}", "营销授权方式：— → 签字书面表单"],
    )
    assert change_log(english)[0] == (
        "客服专员",
        "Updated",
        [
            "Marketing consent: no → yes",
            f"Marketing consent time: — → {at}",
            "Marketing consent channel: — → Signed form",
        ],
    )


def test_a_merge_reads_what_moved_and_which_values_were_taken(world: World, advisor: Client) -> None:
    survivor = CustomerFactory(name="韩五", mobiles=["13800000001"])
    merged = CustomerFactory(name="韩五", mobiles=["13800000002"])
    with scope_of(world.user("crm")):
        services.customer_merge(
            actor=world.user("crm"),
            survivor_id=survivor.pk,
            merged_id=merged.pk,
            choices={"name": "merged", "uscc": "survivor"},
        )

    rows = change_log(advisor.get(f"/customers/{survivor.pk}/").content.decode())

    assert rows[0] == (
        "客服专员",
        "记录合并",
        [f"被合并的客户：{merged.number}", "采用其值的字段：名称", "转入的车辆关系数：0", "转入的证件资料数：0"],
    )
    assert rows[1] == ("客服专员", "修改", ["手机号：138****0001 → 138****0001、138****0002"])


def test_the_timeline_api_carries_readable_lines_beside_the_recorded_detail(world: World, advisor: Client) -> None:
    customer = CustomerFactory(name="杨六", mobiles=["13800000006"])
    with scope_of(world.user("advisor")):
        services.customer_update(
            actor=world.user("advisor"), customer_id=customer.pk, version=1, data={"customer_class": "vip"}
        )
    url = f"/api/v1/customers/{customer.pk}/timeline"

    english = advisor.get(url, {"kind": "archive"}, headers=EN).json()[0]
    chinese = advisor.get(url, {"kind": "archive"}, headers={"accept-language": "zh-hans"}).json()[0]

    assert {key: english[key] for key in ("title", "detail", "actor", "actor_name", "action", "lines")} == {
        "title": "Customer · Updated",
        "detail": {"customer_class": ["regular", "vip"]},
        "actor": "advisor_sh",
        "actor_name": "服务顾问",
        "action": "update",
        "lines": [{"label": "Customer class", "value": "VIP", "previous": "Regular"}],
    }
    assert (chinese["title"], chinese["lines"]) == (
        "客户 · 修改",
        [{"label": "客户类别", "value": "VIP", "previous": "普通"}],
    )


def test_the_record_pages_look_names_up_once_per_model(world: World, advisor: Client) -> None:
    owner = CustomerFactory(name="朱七", mobiles=["13800000007"])
    with scope_of(world.user("advisor")):
        vehicle = _vehicle(world, owner)
    advisor.get(f"/customers/{owner.pk}/")  # the first page of a session picks the active store

    def queries(url: str, changes: int) -> int:
        with scope_of(world.user("advisor")):
            for number in range(changes):
                current = Vehicle.objects.get(pk=vehicle.pk)
                services.vehicle_update(
                    actor=world.user("advisor"),
                    vehicle_id=vehicle.pk,
                    version=current.version,
                    data={"colour": f"色{changes}{number}", "selling_store_id": [world.sh.pk, world.sz.pk][number % 2]},
                )
        with CaptureQueriesContext(connection) as captured:
            assert advisor.get(url).status_code == 200
        return len(captured)

    vehicle_page = f"/customers/vehicles/{vehicle.pk}/"
    customer_page = f"/customers/{owner.pk}/"
    # However many changes: the stores, users, vehicles and customers they name are looked up once
    # for the timeline and the change log together, one query per model.
    # (One of them is each registered timeline source's own: the bookings, the visits, the repair orders.)
    # The vehicle page shows the plate history too, and the panels later areas register (quality's 三包 panel:
    # the vehicle as the reader may see it, the car's orders and its alerts: 4; the reader's dealer groups come with their access).
    assert queries(vehicle_page, 1) == queries(vehicle_page, 6) == 27
    assert queries(customer_page, 1) == queries(customer_page, 6) == 28


def test_an_anonymisation_names_the_fields_it_cleared_once_each(world: World, advisor: Client) -> None:
    customer = CustomerFactory(name="秦八", mobiles=["13800000008"], landline="021-61234567", street="世纪大道1号")
    with scope_of(world.user("manager")):
        services.customer_anonymise(actor=world.user("manager"), customer_id=customer.pk, reason="本人申请删除")

    rows = change_log(advisor.get(f"/customers/{customer.pk}/", headers=EN).content.decode())

    assert rows[0] == (
        "店长",
        "Personal data anonymised",
        [
            "Reason: 本人申请删除",
            "Fields cleared: name, landline, name initials, name in pinyin, street address",
            "Mobile numbers deleted: 1",
            "Documents deleted: 0",
            "Search keys deleted: 6",
            "Audit entries whose values were erased: 1",
            "Consents withdrawn: —",
            "Record merged into another: no",
        ],
    )


def test_the_change_log_the_timeline_and_the_api_mask_the_same_fields_the_same_way(
    world: World, advisor: Client
) -> None:
    """One declaration (Customer.personal_masks) for the record page, its change log and timeline, and the API."""
    customer = CustomerFactory(name="秦七", mobiles=["13800000007"])
    services.customer_update(
        actor=world.user("advisor"),
        customer_id=customer.pk,
        version=1,
        data={"street": "世纪大道100号", "landline": "021-61234567", "emergency_phone": "13900000009"},
    )
    expected = [
        ("Landline", "—", "****"),
        ("Street address", "—", "****"),
        ("Emergency phone", "—", "139****0009"),
    ]
    log = advisor.get(f"/customers/{customer.pk}/", headers=EN).context["changes"][0]
    assert [(line.label, line.previous, line.value) for line in log.lines] == expected
    # The API masks for a browser session (only an integration's token with the right sees values in full).
    item = advisor.get(f"/api/v1/customers/{customer.pk}/timeline", {"kind": "archive"}, headers=EN).json()[0]
    assert [(line["label"], line["previous"], line["value"]) for line in item["lines"]] == expected
    assert item["detail"] == {
        "street": ["", "****"],
        "landline": ["", "****"],
        "emergency_phone": ["", "139****0009"],
    }
    page = advisor.get(f"/customers/{customer.pk}/", headers=EN).context["personal"]
    assert (page["street"], page["emergency_phone"], page["landline"]) == ("****", "139****0009", "****")
