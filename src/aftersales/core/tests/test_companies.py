"""The group's companies (legal entities): checked credit codes, bank accounts masked by role, stores."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from aftersales.conftest import World
from aftersales.core import services
from aftersales.core.errors import ApplicationError
from aftersales.core.models import AuditEntry, LegalEntity, Role, Store, User
from aftersales.core.tests.factories import LegalEntityFactory, valid_uscc

USCC = valid_uscc(4242)


def _data(**fields: Any) -> dict[str, Any]:
    return {
        "name": "上海测试汽车服务有限公司",
        "uscc": USCC,
        "taxpayer_type": "general",
        "bank_name": "招商银行",
        "bank_account": "6214 8301 2345 6789",
        "repair_filing_no": "310115-2019-0123",
    } | fields


def _state() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], int]:
    return (
        list(LegalEntity.objects.order_by("pk").values_list("name", "uscc", "bank_account")),
        list(Store.all_objects.order_by("pk").values_list("code", "legal_entity_id")),
        AuditEntry.objects.count(),
    )


def test_a_company_is_recorded_with_its_stores(world: World) -> None:
    admin = world.user("admin")
    entity = services.legal_entity_create(
        actor=admin, group=world.sh.group, data=_data(store_ids=[world.sh.pk], phone="02158881234")
    )
    assert (entity.uscc, entity.bank_account, entity.phone) == (USCC, "6214830123456789", "021-58881234")
    world.sh.refresh_from_db()
    assert world.sh.legal_entity_id == entity.pk
    created = AuditEntry.objects.get(object_type="core.legalentity", object_id=str(entity.pk))
    assert created.action == "create"
    assert AuditEntry.objects.filter(object_type="core.store", object_id=str(world.sh.pk), action="update").exists()


def test_a_store_moves_to_another_company_but_never_to_none(world: World) -> None:
    admin = world.user("admin")
    first = services.legal_entity_create(
        actor=admin, group=world.sh.group, data=_data(store_ids=[world.sh.pk, world.sz.pk])
    )
    second = services.legal_entity_create(
        actor=admin, group=world.sh.group, data=_data(name="苏州测试汽车服务有限公司", uscc=valid_uscc(7, "320594"))
    )
    before = _state()
    with pytest.raises(ApplicationError) as refused:
        services.legal_entity_update(actor=admin, entity_id=first.pk, data={"store_ids": [world.sh.pk]})
    assert refused.value.fields == {"store_ids": ["门店必须属于一家公司：请将 SZ01 苏州店 划归另一家公司。"]}
    assert _state() == before
    services.legal_entity_update(actor=admin, entity_id=second.pk, data={"store_ids": [world.sz.pk]})
    assert dict(Store.all_objects.values_list("code", "legal_entity_id")) == {"SH01": first.pk, "SZ01": second.pk}


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        (
            {"uscc": USCC[:-1] + ("0" if USCC[-1] != "0" else "1")},
            {"uscc": ["该统一社会信用代码的校验码（最后一位）错误。"]},
        ),
        ({"uscc": "91310115MA1H7Q3R"}, {"uscc": ["统一社会信用代码必须为 18 位，当前为 16 位。"]}),
        ({"taxpayer_type": "big"}, {"taxpayer_type": ["请从以下选项中选择：general 或 small_scale。"]}),
        ({"bank_account": "6214-ABC"}, {"bank_account": ["银行账号只能包含数字。"]}),
        ({"phone": "12"}, {"phone": ["请输入固定电话（如 021-58881234）或手机号码。"]}),
        ({"name": " "}, {"name": ["此字段为必填项。"]}),
        ({"store_ids": [999_999]}, {"store_ids": ["请选择本集团的门店。"]}),
    ],
)
def test_wrong_company_fields_are_refused_and_nothing_written(
    world: World, fields: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    before = _state()
    with pytest.raises(ApplicationError) as refused:
        services.legal_entity_create(actor=world.user("admin"), group=world.sh.group, data=_data(**fields))
    assert (refused.value.status, refused.value.fields) == (422, errors)
    assert _state() == before


def test_a_credit_code_is_one_companys(world: World) -> None:
    LegalEntityFactory(group=world.sh.group, name="已有公司", uscc=USCC)
    before = _state()
    with pytest.raises(ApplicationError) as refused:
        services.legal_entity_create(actor=world.user("admin"), group=world.sh.group, data=_data())
    assert refused.value.fields == {"uscc": ["已有公司 已使用此统一社会信用代码。"]}
    assert _state() == before


def test_api_masks_the_bank_account_but_for_finance(world: World, client_for: Callable[[User], Client]) -> None:
    admin = client_for(world.user("admin"))
    created = admin.post("/api/v1/legal-entities", _data(store_ids=[world.sh.pk]), content_type="application/json")
    assert created.status_code == 201
    body = created.json()
    assert body | {"id": 0} == {
        "id": 0,
        "name": "上海测试汽车服务有限公司",
        "uscc": USCC,
        "taxpayer_type": "general",
        "address": "",
        "phone": "",
        "bank_name": "招商银行",
        "bank_account": "6214830123456789",
        "repair_filing_no": "310115-2019-0123",
        "health_record_code": "",
        "is_active": True,
        "store_ids": [world.sh.pk],
    }
    path = f"/api/v1/legal-entities/{body['id']}"
    assert client_for(world.user("finance")).get(path).json()["bank_account"] == "6214830123456789"
    assert client_for(world.user("advisor")).get(path).json()["bank_account"] == "****6789"
    listed = client_for(world.user("manager")).get("/api/v1/legal-entities").json()
    assert [(item["name"], item["bank_account"]) for item in listed["items"]] == [
        ("上海测试汽车服务有限公司", "****6789")
    ]
    assert (
        client_for(world.user("manager"))
        .patch(path, {"phone": "13800138000"}, content_type="application/json")
        .status_code
        == 403
    )
    changed = admin.patch(
        path, {"phone": "13800138000", "taxpayer_type": "small_scale"}, content_type="application/json"
    )
    assert (changed.status_code, changed.json()["phone"], changed.json()["taxpayer_type"]) == (
        200,
        "13800138000",
        "small_scale",
    )
    nulled = admin.patch(path, {"name": None}, content_type="application/json")
    assert (nulled.status_code, nulled.json()["fields"]) == (422, {"name": ["此项不能为空。"]})
    store = client_for(world.user("advisor")).get(f"/api/v1/stores/{world.sh.pk}").json()
    assert store["legal_entity_id"] == body["id"]


def test_company_pages(world: World, client_for: Callable[[User], Client]) -> None:
    admin = client_for(world.user("admin"))
    listing = admin.get("/companies/")
    assert listing.status_code == 200
    assert [store.code for store in listing.context["without"]] == ["SH01", "SZ01"]
    wrong = admin.post("/companies/new/", _data(uscc=USCC[:-1] + ("0" if USCC[-1] != "0" else "1")))
    assert wrong.status_code == 400
    assert wrong.context["form"].errors == {"uscc": ["该统一社会信用代码的校验码（最后一位）错误。"]}
    assert not LegalEntity.objects.exists()
    saved = admin.post("/companies/new/", _data(store_ids=[world.sh.pk, world.sz.pk]))
    assert saved.status_code == 302
    entity = LegalEntity.objects.get()
    edit = admin.get(f"/companies/{entity.pk}/")
    assert edit.context["form"].initial["store_ids"] == [world.sh.pk, world.sz.pk]
    # The advisor reads the list with the account masked and no way to edit.
    advisor = client_for(world.user("advisor"))
    page = advisor.get("/companies/")
    assert page.context["entities"] == [(entity, "****6789")]
    assert "6214830123456789" not in page.content.decode()
    assert advisor.get(f"/companies/{entity.pk}/").status_code == 403
    store_page = advisor.get(f"/stores/{world.sh.pk}/").content.decode()
    assert "上海测试汽车服务有限公司" in store_page


def test_the_audit_trail_masks_the_bank_account(world: World, client_for: Callable[[User], Client]) -> None:
    entity = services.legal_entity_create(actor=world.user("admin"), group=world.sh.group, data=_data())
    services.legal_entity_update(
        actor=world.user("admin"), entity_id=entity.pk, data={"bank_account": "6214830100001111"}
    )
    manager = client_for(world.user("auditor"))
    page = manager.get("/audit/", {"object_type": "core.legalentity"}).content.decode()
    assert "****6789" in page
    assert "****1111" in page
    assert "6214830123456789" not in page
    assert "6214830100001111" not in page
    export = b"".join(manager.get("/audit/export/", {"object_type": "core.legalentity"}).streaming_content).decode()
    assert "****1111" in export
    assert "6214830100001111" not in export


def test_the_edit_form_keeps_the_account_from_who_may_not_see_it(
    world: World, client_for: Callable[[User], Client]
) -> None:
    entity = services.legal_entity_create(actor=world.user("admin"), group=world.sh.group, data=_data())
    role = Role.objects.get(code="manager")
    role.permissions = [*role.permissions, "companies.manage"]
    role.save()
    manager = client_for(world.user("manager"))
    form = manager.get(f"/companies/{entity.pk}/").context["form"]
    assert form.initial["bank_account"] == ""
    assert str(form.fields["bank_account"].help_text) == "已登记：****6789。留空则保留。"
    data = _data(name="上海测试汽车服务有限公司二", bank_account="", store_ids=[])
    assert manager.post(f"/companies/{entity.pk}/", data).status_code == 302
    entity.refresh_from_db()
    assert (entity.name, entity.bank_account) == ("上海测试汽车服务有限公司二", "6214830123456789")
