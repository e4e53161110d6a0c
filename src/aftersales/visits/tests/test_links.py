"""The customer approval link: the customer decides on each proposed line they pay for; a link used
after the order changed is refused and nothing is written."""

from __future__ import annotations

from decimal import Decimal

from django.test import Client
from django.urls import reverse

from aftersales.messaging.models import CustomerLink, Message, MessageTemplate
from aftersales.visits.models import LineApproval, RepairOrder, Visit
from aftersales.visits.services import LineIn, line_add, repair_order_create
from aftersales.visits.services.links import approval_link_send
from aftersales.visits.tests.conftest import Reception
from aftersales.visits.tests.test_orders import order_in, snapshot

D = Decimal


def _order(reception: Reception, visit: Visit) -> RepairOrder:
    return repair_order_create(actor=reception.advisor, visit_id=visit.pk, data=order_in(reception))


def test_the_customer_approves_one_line_and_declines_another_through_the_link(
    reception: Reception, visit: Visit
) -> None:
    order = _order(reception, visit)
    MessageTemplate.objects.filter(event="repair_approval_request", channel="sms").update(
        is_active=True, sms_sign_name="华东汽车", sms_template_code="SMS_300001"
    )
    link, url = approval_link_send(actor=reception.advisor, order_id=order.pk, base_url="https://as.example.cn/")
    assert url.startswith("https://as.example.cn/l/")
    message = Message.objects.get(event="repair_approval_request", channel="sms")
    assert message.body == (
        f"张伟您好，上海店为您的车辆（沪A12345）建议以下维修项目，合计 820.00 元。请查看照片并逐项确认或拒绝：{url}"
    )
    client = Client()
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "更换前制动片" in body and "前制动片" in body and "¥820" not in body
    lines = {ln.position: ln for ln in order.lines.all()}
    incomplete = client.post(url, {"shown": link.snapshot_hash, f"line-{lines[3].pk}": "approve"})
    assert incomplete.status_code == 422
    assert LineApproval.objects.filter(kind="customer_link").count() == 0
    done = client.post(
        url,
        {
            "shown": link.snapshot_hash,
            f"line-{lines[3].pk}": "approve",
            f"line-{lines[4].pk}": "decline",
            f"reason-{lines[4].pk}": "自带配件",
        },
    )
    assert done.status_code == 200
    rows = LineApproval.objects.filter(kind="customer_link").order_by("line__position")
    assert list(rows.values_list("line__position", "approved", "amount", "person", "snapshot_hash", "by")) == [
        (3, True, D("400.00"), "张伟", link.snapshot_hash, None),
        (4, False, D("420.00"), "张伟", link.snapshot_hash, None),
    ]
    assert {ln.position: ln.state for ln in order.lines.all()} == {
        1: "approved",
        2: "approved",
        3: "approved",
        4: "declined",
    }
    assert client.get(url).status_code == 410  # used once


def test_a_link_used_after_the_order_changed_is_refused(reception: Reception, visit: Visit) -> None:
    order = _order(reception, visit)
    link, url = approval_link_send(actor=reception.advisor, order_id=order.pk, base_url="http://testserver/")
    line_add(
        actor=reception.advisor,
        order_id=order.pk,
        data=LineIn(kind="labour", operation_id=reception.oil.pk, source="walk_around"),
    )
    before = snapshot(order)
    lines = {ln.position: ln for ln in order.lines.all()}
    refused = Client().post(
        url, {"shown": link.snapshot_hash, f"line-{lines[3].pk}": "approve", f"line-{lines[4].pk}": "approve"}
    )
    assert refused.status_code == 410
    assert "链接发送后，其显示的内容已变化" in refused.content.decode()
    assert snapshot(order) == before
    assert CustomerLink.objects.get(pk=link.pk).revoked_reason == "superseded"
    assert reverse("messaging:link", kwargs={"token": "x"}) == "/l/x/"
