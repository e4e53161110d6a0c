"""Privacy operations stay with the stores that hold the data: every role × own / other store.

The archive is group-wide for serving customers, but a personal-information request (export,
consent withdrawal, anonymisation) and the deletion of a document copy belong to the customer's
home store and to group roles; a copy is opened only by its customer's home store and the store
that took it. Every operation is tried through the API and through its page, by every role of the
home store (SH01) and of the other store (SZ01).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from aftersales.conftest import World
from aftersales.core.identifiers import vin_check_digit
from aftersales.core.models import AuditEntry, Role, Store, User
from aftersales.core.permissions import ROLE_DEFAULTS
from aftersales.core.services import token_create
from aftersales.core.tests.factories import image_bytes
from aftersales.customers import services
from aftersales.customers.models import Customer, CustomerDocument

PNG = image_bytes("PNG")
ROLES = [default.code for default in ROLE_DEFAULTS]


@dataclass
class Subject:
    customer: Customer
    document: CustomerDocument


def _subject(world: World, taken_at: Store) -> Subject:
    """A customer of SH01 with consents and a document copy taken at ``taken_at``."""
    customer = services.customer_create(
        actor=world.user("advisor"),
        store=world.sh,
        data={
            "name": "卫九",
            "data_consent": True,
            "data_consent_channel": "paper",
            "marketing_consent": True,
            "marketing_consent_channel": "paper",
        },
    )
    document = services.document_upload(
        actor=world.user("advisor", "sz" if taken_at == world.sz else "sh"),
        store=taken_at,
        customer=customer,
        kind="id_card",
        uploaded_file=SimpleUploadedFile("卫九 身份证.png", PNG),
    )
    return Subject(customer, document)


@dataclass(frozen=True)
class Operation:
    name: str
    permission: str
    # The stores the permission counts in: "home" (the customer's), "home_or_taker" (also the copy's).
    stores: str
    call: Callable[[Client, Subject], int]
    done: Callable[[Subject], bool]  # whether it took effect


def _still(subject: Subject) -> tuple[bool, bool, bool, bool]:
    customer = Customer.objects.get(pk=subject.customer.pk)
    return (
        customer.anonymised_at is not None,
        customer.marketing_consent,
        customer.data_consent,
        CustomerDocument.objects.filter(pk=subject.document.pk).exists(),
    )


def _api(method: str, path: str, body: dict[str, Any] | None = None) -> Callable[[Client, Subject], int]:
    def call(client: Client, subject: Subject) -> int:
        url = "/api/v1" + path.format(c=subject.customer.pk, d=subject.document.pk)
        send = getattr(client, method)
        response = send(url, body, content_type="application/json") if body is not None else send(url)
        return int(response.status_code)

    return call


def _page(method: str, path: str, data: dict[str, Any] | None = None) -> Callable[[Client, Subject], int]:
    def call(client: Client, subject: Subject) -> int:
        url = path.format(c=subject.customer.pk, d=subject.document.pk)
        return int(getattr(client, method)(url, data or {}).status_code)

    return call


def _anonymised(subject: Subject) -> bool:
    return _still(subject)[0]


def _withdrawn(subject: Subject) -> bool:
    return not _still(subject)[1]


def _deleted(subject: Subject) -> bool:
    return not _still(subject)[3]


def _exported(subject: Subject) -> bool:
    return AuditEntry.objects.filter(action="export", object_id=str(subject.customer.pk)).exists()


def _opened(subject: Subject) -> bool:
    return AuditEntry.objects.filter(
        action="reveal", object_id=str(subject.customer.pk), changes__document=subject.document.pk
    ).exists()


def _untouched(subject: Subject) -> bool:
    return True


OPERATIONS = [
    Operation("API pi-export", "customers.privacy", "home", _api("get", "/customers/{c}/pi-export"), _exported),
    Operation("page export", "customers.privacy", "home", _page("get", "/customers/privacy/{c}/export/"), _exported),
    Operation("page requests", "customers.privacy", "home", _page("get", "/customers/privacy/{c}/"), _untouched),
    Operation(
        "API anonymise",
        "customers.privacy",
        "home",
        _api("post", "/customers/{c}/anonymise", {"reason": "客户要求删除"}),
        _anonymised,
    ),
    Operation(
        "page anonymise",
        "customers.privacy",
        "home",
        _page("post", "/customers/privacy/{c}/", {"action": "anonymise", "reason": "客户要求删除", "confirm": "on"}),
        _anonymised,
    ),
    Operation(
        "API consent withdraw",
        "customers.privacy",
        "home",
        _api("post", "/customers/{c}/consent/withdraw", {"which": "marketing"}),
        _withdrawn,
    ),
    Operation(
        "page consent withdraw",
        "customers.privacy",
        "home",
        _page("post", "/customers/privacy/{c}/", {"action": "withdraw", "which": "marketing"}),
        _withdrawn,
    ),
    Operation(
        "API document delete", "customers.edit", "home", _api("delete", "/customers/{c}/documents/{d}"), _deleted
    ),
    Operation(
        "page document delete",
        "customers.edit",
        "home",
        _page("post", "/customers/privacy/{c}/documents/{d}/delete/"),
        _deleted,
    ),
    Operation(
        "API document open",
        "customers.view_personal",
        "home_or_taker",
        _api("get", "/customers/{c}/documents/{d}"),
        _opened,
    ),
    Operation(
        "page document open",
        "customers.view_personal",
        "home_or_taker",
        _page("get", "/customers/privacy/{c}/documents/{d}/"),
        _opened,
    ),
]
ALLOWED_STATUS = {
    "API pi-export": 200,
    "page export": 200,
    "page requests": 200,
    "API anonymise": 200,
    "page anonymise": 302,
    "API consent withdraw": 200,
    "page consent withdraw": 302,
    "API document delete": 204,
    "page document delete": 302,
    "API document open": 200,
    "page document open": 200,
}


def _allowed(role: Role, member_of: str, operation: Operation, taken_at: str) -> bool:
    if operation.permission not in role.permissions:
        return False
    if role.scope == "group":
        return True
    stores = {"sh"} | ({taken_at} if operation.stores == "home_or_taker" else set())
    return member_of in stores


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.name)
@pytest.mark.parametrize("taken_at", ["sh", "sz"])
def test_every_role_of_both_stores(
    operation: Operation, taken_at: str, world: World, client_for: Callable[[User], Client]
) -> None:
    roles = {role.code: role for role in Role.objects.all()}
    problems = []
    for member_of in ("sh", "sz"):
        for code in ROLES:
            subject = _subject(world, world.sz if taken_at == "sz" else world.sh)
            user = world.user(code, member_of)
            before = _still(subject)
            denials = AuditEntry.objects.filter(action="permission_denied", actor=user).count()

            status = operation.call(client_for(user), subject)

            label = f"{code}_{member_of}: {status}"
            if _allowed(roles[code], member_of, operation, taken_at):
                if status != ALLOWED_STATUS[operation.name] or not operation.done(subject):
                    problems.append(f"{label}, expected it done ({ALLOWED_STATUS[operation.name]})")
            else:
                if status != 403:
                    problems.append(f"{label}, expected 403")
                if _still(subject) != before or (operation.done is not _untouched and operation.done(subject)):
                    problems.append(f"{label}, refused but something changed")
                if AuditEntry.objects.filter(action="permission_denied", actor=user).count() != denials + 1:
                    problems.append(f"{label}, refused without an audit entry")
    assert problems == []


def test_other_stores_see_that_a_copy_exists_not_its_content(
    world: World, client_for: Callable[[User], Client]
) -> None:
    subject = _subject(world, world.sh)
    listed = client_for(world.user("manager", "sz")).get(f"/api/v1/customers/{subject.customer.pk}/documents").json()
    assert [(item["kind"], item["can_open"], item["file_name"], item["sha256"], item["store"]) for item in listed] == [
        ("id_card", False, "", "", "SH01")
    ]
    own = client_for(world.user("advisor", "sh")).get(f"/api/v1/customers/{subject.customer.pk}/documents").json()
    assert [(item["can_open"], item["file_name"]) for item in own] == [(True, "卫九 身份证.png")]

    page = client_for(world.user("advisor", "sz")).get(f"/customers/privacy/{subject.customer.pk}/documents/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "卫九 身份证.png" not in html
    assert f'href="/customers/privacy/{subject.customer.pk}/documents/{subject.document.pk}/"' not in html
    assert (
        "Kept by SH01"
        in client_for(world.user("advisor", "sz"))
        .get(f"/customers/privacy/{subject.customer.pk}/documents/", headers={"accept-language": "en"})
        .content.decode()
    )


def test_the_record_page_offers_the_requests_only_to_the_home_store(
    world: World, client_for: Callable[[User], Client]
) -> None:
    subject = _subject(world, world.sh)
    url = f"/customers/{subject.customer.pk}/"
    assert client_for(world.user("manager", "sh")).get(url).context["can_privacy"] is True
    assert client_for(world.user("manager", "sz")).get(url).context["can_privacy"] is False
    assert client_for(world.user("admin", "sz")).get(url).context["can_privacy"] is True


def test_a_stores_duplicate_report_keeps_to_its_own_customers(
    world: World, client_for: Callable[[User], Client]
) -> None:
    """The VIN section was read without the store filter the other sections apply."""
    sh_one = services.customer_create(actor=world.user("advisor"), store=world.sh, data={"name": "蔡一"})
    sh_two = services.customer_create(actor=world.user("advisor"), store=world.sh, data={"name": "蔡二"})
    sz_one = services.customer_create(actor=world.user("advisor", "sz"), store=world.sz, data={"name": "蔡三"})

    body = "LSVAA4180E2000777"
    vehicle = services.vehicle_create(
        actor=world.user("advisor"), owner=sh_one, data={"vin": body[:8] + vin_check_digit(body) + body[9:]}
    )
    for driver in (sh_two, sz_one):
        services.vehicle_driver_add(
            actor=world.user("advisor"),
            vehicle_id=vehicle.pk,
            customer_id=driver.pk,
            valid_from=vehicle.created_at.date(),
        )

    def groups(user: User) -> list[tuple[str, list[str]]]:
        rows = client_for(user).get("/customers/quality/duplicates/").context["rows"]
        return [(group.reason, [customer.name for customer in customers]) for group, customers in rows]

    assert groups(world.user("manager", "sh")) == [("vin", ["蔡一", "蔡二"])]
    assert groups(world.user("manager", "sz")) == []
    assert groups(world.user("admin", "sh")) == [("vin", ["蔡一", "蔡二", "蔡三"])]


@pytest.mark.parametrize("who", [("advisor", "sz"), ("manager", "sh"), ("admin", "sh")])
def test_a_consent_is_not_withdrawn_by_editing_the_record(
    who: tuple[str, str], world: World, client_for: Callable[[User], Client]
) -> None:
    """Withdrawing goes through the home store's personal-information requests, which also delete the
    document copies: neither the API's PATCH nor the edit page withdraws one, from any store."""
    subject = _subject(world, world.sh)
    client = client_for(world.user(*who))
    message = [
        "A consent is withdrawn among the customer's personal-information requests, by the store that "
        "registered the customer."
    ]
    before = _still(subject)

    patched = client.patch(
        f"/api/v1/customers/{subject.customer.pk}",
        {"version": subject.customer.version, "data_consent": False, "marketing_consent": False},
        content_type="application/json",
        headers={"accept-language": "en"},
    )
    assert (patched.status_code, patched.json()["fields"]) == (
        422,
        {"data_consent": message, "marketing_consent": message},
    )
    page = client.get(f"/customers/{subject.customer.pk}/edit/")
    data = {
        name: value
        for name, value in page.context["form"].initial.items()
        if value is not None and name not in {"data_consent", "owner", "mobiles", "tags"}
    }
    edited = client.post(f"/customers/{subject.customer.pk}/edit/", data, headers={"accept-language": "en"})
    assert edited.status_code == 400
    assert edited.context["form"].errors["data_consent"] == message
    assert _still(subject) == before == (False, True, True, True)


def test_a_copy_sent_through_the_api_is_taken_by_the_customers_store_when_the_sender_works_there(
    world: World,
) -> None:
    """A token has no active store: the copy is not credited to the sender's first store by code."""

    customer = services.customer_create(
        actor=world.user("advisor", "sz"),
        store=world.sz,
        data={"name": "卫十", "data_consent": True, "data_consent_channel": "paper"},
    )
    for who, taker in ((("admin", "sh"), "SZ01"), (("advisor", "sz"), "SZ01"), (("advisor", "sh"), "SH01")):
        _token, raw = token_create(user=world.user(*who), name="upload")
        sent = Client().post(
            f"/api/v1/customers/{customer.pk}/documents",
            {"kind": "id_card", "file": SimpleUploadedFile("卫十.png", PNG)},
            headers={"Authorization": f"Bearer {raw}"},
        )
        assert (sent.status_code, sent.json()["store"]) == (201, taker), who


def test_the_sales_consultant_reads_the_archive_masked_and_changes_nothing(
    world: World, client_for: Callable[[User], Client]
) -> None:
    customer = services.customer_create(
        actor=world.user("advisor"),
        store=world.sh,
        data={"name": "卫九", "mobiles": ["13812345678"], "data_consent": True, "data_consent_channel": "paper"},
    )
    sales, advisor = client_for(world.user("sales")), client_for(world.user("advisor"))
    assert sales.get(f"/api/v1/customers/{customer.pk}").json()["mobiles"] == ["138****5678"]
    revealed = advisor.post(
        f"/api/v1/customers/{customer.pk}/reveal", {"field": "mobiles"}, content_type="application/json"
    )
    assert (revealed.status_code, revealed.json()["value"]) == (200, "13812345678")
    refused = sales.patch(
        f"/api/v1/customers/{customer.pk}", {"version": 1, "name": "卫十"}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert (
        sales.post(
            f"/api/v1/customers/{customer.pk}/reveal", {"field": "mobiles"}, content_type="application/json"
        ).status_code
        == 403
    )
    customer.refresh_from_db()
    assert customer.name == "卫九"
