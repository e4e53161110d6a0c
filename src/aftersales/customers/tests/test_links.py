"""A customer link (archive_review): the customer sees their record and corrects their contact details
without an account; staff send the link and review the correction."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from aftersales.conftest import World
from aftersales.core.models import AuditEntry, User
from aftersales.core.tests.factories import image_bytes
from aftersales.customers import services
from aftersales.customers.models import ContactCorrection, Customer
from aftersales.customers.tests.factories import CustomerFactory
from aftersales.messaging import views as messaging_views
from aftersales.messaging.models import CustomerLink, Signature, Task

EN = {"accept-language": "en"}
SIGNED = "data:image/png;base64," + base64.b64encode(image_bytes("PNG", width=300, height=120)).decode()


@pytest.fixture
def customer(world: World) -> Customer:
    return CustomerFactory(name="钱多多", mobiles=["13912345678"], email="qian@example.com")


def make_link(world: World, customer: Customer) -> str:
    _link, url = services.review_link_send(
        actor=world.user("advisor"), store=world.sh, customer_id=customer.pk, base_url="https://dms.example.com"
    )
    return url.removeprefix("https://dms.example.com")


def test_staff_make_the_link_and_only_its_digest_is_kept(
    world: World, customer: Customer, client_for: Callable[[User], Client]
) -> None:
    advisor = client_for(world.user("advisor"))
    response = advisor.post(f"/customers/{customer.pk}/review-link/", follow=True)
    page = response.content.decode()
    token = re.search(r"/l/([A-Za-z0-9_-]{32})/", page).group(1)  # type: ignore[union-attr]
    link = CustomerLink.objects.get()
    assert token not in (link.token_digest, link.snapshot_hash) and len(link.token_digest) == 64
    assert (link.purpose, link.object_id, link.max_uses, link.uses) == ("archive_review", customer.pk, 1, 0)
    answer = advisor.post(f"/api/v1/customers/{customer.pk}/review-link", content_type="application/json")
    assert answer.status_code == 201 and answer.json()["url"].startswith("http://testserver/l/")
    link.refresh_from_db()
    assert link.revoked_reason == "superseded"  # the newer link replaces it
    assert Client().get(f"/l/{token}/").status_code == 410


def test_the_customer_sees_the_record_masked_and_corrects_the_mobile(world: World, customer: Customer) -> None:
    path = make_link(world, customer)
    visitor = Client(REMOTE_ADDR="203.0.113.9")
    page = visitor.get(path)
    html = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "private, no-store"
    assert "钱多多" in html and "139****5678" in html and "13912345678" not in html and "qian@example.com" not in html
    opened = AuditEntry.objects.get(action="link_opened")
    assert (opened.client_ip, opened.object_id, opened.actor_id) == ("203.0.113.9", str(customer.pk), None)

    shown = re.search(r'name="shown" value="([0-9a-f]{64})"', html).group(1)  # type: ignore[union-attr]
    refused = visitor.post(path, {"shown": shown, "mobile": "021-58881234"})
    assert refused.status_code == 422 and 'data-testid="error-mobile"' in refused.content.decode()
    assert (ContactCorrection.objects.count(), CustomerLink.objects.get().uses) == (0, 0)

    unsigned = visitor.post(path, {"shown": shown, "mobile": "13800009999"})
    assert unsigned.status_code == 422 and 'data-testid="error-signature"' in unsigned.content.decode()
    not_an_image = visitor.post(
        path, {"shown": shown, "mobile": "13800009999", "signature": "data:image/png;base64,TVqQAAMAAAAEAAAA"}
    )
    assert not_an_image.status_code == 422 and "签名不是图片" in not_an_image.content.decode()
    assert (ContactCorrection.objects.count(), Signature.objects.count(), CustomerLink.objects.get().uses) == (0, 0, 0)
    done = visitor.post(path, {"shown": shown, "mobile": "13800009999", "note": "换号了", "signature": SIGNED})
    assert done.status_code == 200 and 'data-testid="done"' in done.content.decode()
    correction = ContactCorrection.objects.get()
    assert (correction.mobile, correction.email, correction.note, correction.client_ip, correction.status) == (
        "13800009999",
        "",
        "换号了",
        "203.0.113.9",
        "pending",
    )
    task = Task.objects.get()
    assert (task.assignee_role, task.about_type, task.about_id) == ("crm", "customers.contactcorrection", correction.pk)
    used = AuditEntry.objects.get(action="link_used")
    assert used.changes["what"] == "contact_correction" and used.changes["snapshot"] == correction.snapshot_hash
    signature = Signature.objects.get()
    assert (signature.signer_name, signature.what, signature.snapshot_hash, signature.link_id, signature.client_ip) == (
        "钱多多",
        "contact_correction",
        correction.snapshot_hash,
        correction.link_id,
        "203.0.113.9",
    )
    assert (signature.media.content_type, signature.media.width, signature.media.height) == ("image/png", 300, 120)
    customer.refresh_from_db()
    assert services.mobiles_of(customer) == ["13912345678"]  # nothing changes before a person approves
    assert visitor.get(path).status_code == 410  # used up


def test_a_changed_record_an_old_page_or_an_expired_link_is_refused(world: World, customer: Customer) -> None:
    path = make_link(world, customer)
    html = Client().get(path).content.decode()
    shown = re.search(r'name="shown" value="([0-9a-f]{64})"', html).group(1)  # type: ignore[union-attr]
    assert Client().post(path, {"shown": "0" * 64, "mobile": "13800009999"}).status_code == 409
    services.customer_update(
        actor=world.user("advisor"), customer_id=customer.pk, version=1, data={"email": "new@example.com"}
    )
    refused = Client().post(path, {"shown": shown, "mobile": "13800009999"}, headers=EN)
    assert (refused.status_code, "has changed since it was sent" in refused.content.decode()) == (410, True)
    assert CustomerLink.objects.get().revoked_reason == "superseded"

    path = make_link(world, customer)
    CustomerLink.objects.filter(revoked_at=None).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert "This link has expired" in Client().get(path, headers=EN).content.decode()
    assert Client().get("/l/not-a-real-token-at-all-0123456789/").status_code == 404
    assert not ContactCorrection.objects.exists()


def test_links_are_rate_limited_per_link_and_per_address(
    world: World, customer: Customer, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_link(world, customer)
    visitor = Client(REMOTE_ADDR="198.51.100.7")
    assert [visitor.get(path).status_code for _ in range(30)] == [200] * 30
    blocked = visitor.get(path)
    assert (blocked.status_code, blocked["Retry-After"]) == (429, "60")
    monkeypatch.setattr(messaging_views, "ADDRESS_PER_HOUR", 2)
    other = Client(REMOTE_ADDR="198.51.100.8")
    assert [other.get("/l/unknown-token-000000000000000000/").status_code for _ in range(3)] == [404, 404, 429]


def test_staff_approve_or_reject_a_correction_on_the_page_and_the_api(
    world: World, customer: Customer, client_for: Callable[[User], Client]
) -> None:
    def corrected(mobile: str) -> ContactCorrection:
        link_path = make_link(world, customer)
        html = Client().get(link_path).content.decode()
        shown = re.search(r'name="shown" value="([0-9a-f]{64})"', html).group(1)  # type: ignore[union-attr]
        Client().post(link_path, {"shown": shown, "mobile": mobile, "signature": SIGNED})
        return ContactCorrection.objects.latest("pk")

    first = corrected("13800009999")
    crm = client_for(world.user("crm"))
    assert f'data-testid="correction-{first.pk}"' in crm.get("/customers/corrections/").content.decode()
    assert crm.post(f"/customers/corrections/{first.pk}/decide/", {"decision": "approve"}).status_code == 302
    customer.refresh_from_db()
    assert services.mobiles_of(customer) == ["13800009999", "13912345678"]
    entry = AuditEntry.objects.filter(object_type="customers.customer", action="update").latest("pk")
    assert entry.changes == {"correction": first.pk, "decision": "approved"}

    second = corrected("13700001111")
    listed = crm.get("/api/v1/customers/corrections").json()
    assert [(row["id"], row["mobile"]) for row in listed] == [(second.pk, "13700001111")]
    answer = crm.post(
        f"/api/v1/customers/corrections/{second.pk}/decision",
        {"approve": False, "note": "号码不对"},
        content_type="application/json",
    )
    assert (answer.status_code, answer.json()["status"]) == (200, "rejected")
    again = crm.post(
        f"/api/v1/customers/corrections/{second.pk}/decision", {"approve": True}, content_type="application/json"
    )
    assert again.status_code == 409
    customer.refresh_from_db()
    assert services.mobiles_of(customer) == ["13800009999", "13912345678"]


def test_the_customer_signs_the_consent_form_on_the_staff_tablet(
    world: World, client_for: Callable[[User], Client]
) -> None:
    customer = CustomerFactory(name="孙小美", mobiles=["13912340000"])
    advisor = client_for(world.user("advisor"))
    form = advisor.get(f"/customers/{customer.pk}/consent/").content.decode()
    assert 'data-signature-for="signature"' in form and "signature-pad.js" in form
    refused = advisor.post(f"/customers/{customer.pk}/consent/", {"marketing": "on"})
    assert refused.status_code == 400 and "请在框内签名。" in refused.content.decode()
    customer.refresh_from_db()
    assert (customer.data_consent, Signature.objects.count()) == (False, 0)

    signed = advisor.post(f"/customers/{customer.pk}/consent/", {"marketing": "on", "signature": SIGNED})
    assert signed.status_code == 302
    customer.refresh_from_db()
    assert (customer.data_consent_channel, customer.marketing_consent, customer.sharing_consent) == (
        "counter",
        True,
        False,
    )
    signature = Signature.objects.get()
    expected = services.consent_snapshot(customer, marketing=True, sharing=False)
    from aftersales.messaging.services import canonical_hash

    assert (signature.what, signature.signer_type, signature.snapshot_hash, signature.user) == (
        "consent_form",
        "customer",
        canonical_hash(expected),
        world.user("advisor"),
    )
    image = advisor.get(f"/media/{signature.media_id}/")
    assert (image.status_code, image["Content-Type"]) == (200, "image/png")
    assert client_for(world.user("technician")).get(f"/media/{signature.media_id}/").status_code == 403


def test_the_api_records_a_signed_consent_and_refuses_a_drawing_that_is_not_an_image(
    world: World, client_for: Callable[[User], Client]
) -> None:
    customer = CustomerFactory(name="陈六", mobiles=["13912340006"])
    advisor = client_for(world.user("advisor"))
    refused = advisor.post(
        f"/api/v1/customers/{customer.pk}/consent-signature",
        {"signature": "data:image/png;base64,PHN2Zz48L3N2Zz4="},
        content_type="application/json",
        headers=EN,
    )
    assert (refused.status_code, refused.json()["fields"]) == (
        422,
        {"signature": ["The signature is not an image: sign in the box again."]},
    )
    assert Signature.objects.count() == 0
    signed = advisor.post(
        f"/api/v1/customers/{customer.pk}/consent-signature",
        {"signature": SIGNED, "sharing": True},
        content_type="application/json",
    )
    assert signed.json() == {"data_consent": True, "marketing_consent": False, "sharing_consent": True, "version": 2}
    assert Signature.objects.get().what == "consent_form"


def test_a_huge_drawing_is_refused_from_its_header(world: World, client_for: Callable[[User], Client]) -> None:
    customer = CustomerFactory(name="卫八", mobiles=["13912340008"])
    huge = "data:image/png;base64," + base64.b64encode(image_bytes("PNG", width=3000, height=2000)).decode()
    refused = client_for(world.user("advisor")).post(
        f"/api/v1/customers/{customer.pk}/consent-signature", {"signature": huge}, content_type="application/json"
    )
    assert (refused.status_code, refused.json()["fields"]) == (
        422,
        {"signature": ["照片超过 4 百万像素；请以较低分辨率拍摄。"]},
    )
    assert Signature.objects.count() == 0
