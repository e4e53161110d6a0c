import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext_lazy
from ninja.responses import Response as NinjaResponse
from openapi_spec_validator import validate
from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from aftersales.conftest import PASSWORD, World
from aftersales.core import selectors as core_selectors
from aftersales.core.apikit import ApiDateTime, answer_list
from aftersales.core.models import ApiToken, AuditEntry, JobHeartbeat, Store, User
from aftersales.core.services import heartbeat_record, token_create
from config.api import api


def _bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _health_at(monkeypatch: pytest.MonkeyPatch, beat_seconds_ago: float | None) -> tuple[int, dict[str, object]]:
    """The health answer at NOW, with the queue's last beat that long ago (None: never)."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    JobHeartbeat.objects.all().delete()
    if beat_seconds_ago is not None:
        JobHeartbeat.objects.create(name="queue", beat_at=NOW - timedelta(seconds=beat_seconds_ago))
    response = Client().get("/api/v1/health")
    return response.status_code, response.json()


def test_health_is_ok_while_the_worker_beats(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _health_at(monkeypatch, 42.34) == (
        200,
        {"status": "ok", "reasons": [], "database": True, "queue_heartbeat_age_seconds": 42.3, "version": "0.1.0"},
    )
    # The stale limit itself still counts as alive.
    assert _health_at(monkeypatch, 180)[1]["status"] == "ok"


def test_health_is_degraded_when_the_worker_stopped_beating(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _health_at(monkeypatch, 180.5) == (
        200,
        {
            "status": "degraded",
            "reasons": ["queue_stale"],
            "database": True,
            "queue_heartbeat_age_seconds": 180.5,
            "version": "0.1.0",
        },
    )


@override_settings(QUEUE_STALE_SECONDS=30)
def test_the_stale_limit_is_a_setting(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _health_at(monkeypatch, 30)[1]["reasons"] == []
    assert _health_at(monkeypatch, 31)[1]["reasons"] == ["queue_stale"]


def test_health_is_degraded_when_no_worker_was_ever_seen(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _health_at(monkeypatch, None) == (
        200,
        {
            "status": "degraded",
            "reasons": ["queue_never_seen"],
            "database": True,
            "queue_heartbeat_age_seconds": None,
            "version": "0.1.0",
        },
    )


def test_health_is_unavailable_without_the_database(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    class Unreachable:
        def cursor(self) -> None:
            raise OperationalError("connection refused")

    monkeypatch.setattr(core_selectors, "connection", Unreachable())
    response = Client().get("/api/v1/health")
    assert (response.status_code, response.json()) == (
        503,
        {
            "status": "unavailable",
            "reasons": ["database_unavailable"],
            "database": False,
            "queue_heartbeat_age_seconds": None,
            "version": "0.1.0",
        },
    )


def test_a_fresh_heartbeat_makes_health_ok(db: None) -> None:
    heartbeat_record()
    body = Client().get("/api/v1/health").json()
    assert (body["status"], body["reasons"]) == ("ok", [])
    assert 0 <= body["queue_heartbeat_age_seconds"] < 5


def test_token_create_use_and_revoke(world: World) -> None:
    client = Client()
    response = client.post(
        "/api/v1/auth/token", {"username": "advisor_sh", "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 201
    raw = response.json()["token"]
    stored = ApiToken.objects.get()
    assert raw.startswith("as_") and len(raw) > 40
    assert stored.digest != raw and raw not in stored.digest and stored.prefix == raw[:10]
    me = client.get("/api/v1/me", headers=_bearer(raw))
    assert me.status_code == 200
    assert me.json()["username"] == "advisor_sh"
    assert me.json()["memberships"] == [
        {
            "store_id": world.sh.pk,
            "store_code": "SH01",
            "store_name": "上海店",
            "role_code": "advisor",
            "role_name": "服务顾问",
            "permissions": [
                "appointments.book",
                "appointments.view",
                "billing.settle",
                "billing.view",
                "campaigns.view",
                "catalogue.view",
                "customers.edit",
                "customers.view",
                "customers.view_personal",
                "messages.send",
                "messages.view",
                "parts.view",
                "quality.deliver",
                "quality.sanbao",
                "quality.view",
                "repair_orders.cancel",
                "stock.reserve",
                "stores.view",
                "today.view",
                "visits.diagnose",
                "visits.receive",
                "visits.view",
                "workshop.view",
            ],
        }
    ]
    assert client.delete("/api/v1/auth/token", headers=_bearer(raw)).status_code == 204
    after = client.get("/api/v1/me", headers=_bearer(raw))
    assert (after.status_code, after.json()["code"]) == (401, "not_authenticated")
    assert list(
        AuditEntry.objects.filter(object_type="core.apitoken").values_list("action", flat=True).order_by("id")
    ) == [
        "token_created",
        "token_revoked",
    ]


def test_token_list_create_revoke_endpoints(world: World) -> None:
    _token, raw = token_create(user=world.user("auditor"), name="scanner")
    client = Client()
    created = client.post(
        "/api/v1/tokens",
        {"name": "tablet", "expires_in_days": 30},
        content_type="application/json",
        headers=_bearer(raw),
    )
    assert created.status_code == 201
    listed = client.get("/api/v1/tokens", headers=_bearer(raw)).json()
    assert [t["name"] for t in listed] == ["tablet", "scanner"]
    assert all("digest" not in t and "token" not in t for t in listed)
    other = token_create(user=world.user("advisor"), name="not yours")[0]
    assert client.delete(f"/api/v1/tokens/{other.pk}", headers=_bearer(raw)).status_code == 404
    assert ApiToken.objects.get(pk=other.pk).revoked_at is None
    assert client.delete(f"/api/v1/tokens/{created.json()['id']}", headers=_bearer(raw)).status_code == 204


def test_wrong_credentials_give_401_with_one_error_body(world: World) -> None:
    response = Client().post(
        "/api/v1/auth/token",
        {"username": "advisor_sh", "password": "nope"},
        content_type="application/json",
        headers={"accept-language": "en"},
    )
    assert response.status_code == 401
    assert response.json() == {
        "code": "invalid_credentials",
        "detail": "The user name or password is not correct.",
        "fields": {},
    }


def test_unauthenticated_gets_401(db: None) -> None:
    response = Client().get("/api/v1/me", headers={"accept-language": "en"})
    assert response.status_code == 401
    assert response.json() == {
        "code": "not_authenticated",
        "detail": "Sign in or send a valid API token.",
        "fields": {},
    }
    assert Client().get("/api/v1/me", headers=_bearer("as_forged")).status_code == 401


def test_validation_errors_are_field_level_in_the_requests_language(world: World) -> None:
    client = Client()
    body = {"username": "", "extra": 1}
    zh = client.post(
        "/api/v1/auth/token", body, content_type="application/json", headers={"accept-language": "zh-Hans"}
    )
    assert zh.status_code == 422
    assert zh.json() == {
        "code": "invalid",
        "detail": "部分字段无效。",
        "fields": {"username": ["请至少输入 1 个字符。"], "password": ["此字段为必填项。"], "extra": ["未知字段。"]},
    }
    en = client.post("/api/v1/auth/token", body, content_type="application/json", headers={"accept-language": "en"})
    assert en.json() == {
        "code": "invalid",
        "detail": "Some fields are not valid.",
        "fields": {
            "username": ["Enter at least 1 characters."],
            "password": ["This field is required."],
            "extra": ["Unknown field."],
        },
    }
    assert not ApiToken.objects.exists()


def test_wrong_types_and_unknown_query_parameters(world: World, client_for: Callable[[User], Client]) -> None:
    client = client_for(world.user("manager"))
    wrong = client.get("/api/v1/stores?limit=many&offset=-1", headers={"accept-language": "en"})
    assert wrong.status_code == 422
    assert wrong.json()["fields"] == {"limit": ["Enter a whole number."], "offset": ["Enter a value of at least 0."]}
    unknown = client.get("/api/v1/stores?colour=red", headers={"accept-language": "en"})
    assert (unknown.status_code, unknown.json()["fields"]) == (422, {"colour": ["Unknown field."]})
    capped = client.get("/api/v1/stores?limit=501")
    assert (capped.status_code, capped.json()["fields"]) == (422, {"limit": ["请输入不大于 500 的值。"]})
    bad_order = client.get("/api/v1/stores?ordering=-phone", headers={"accept-language": "en"})
    assert (bad_order.status_code, bad_order.json()["fields"]) == (422, {"ordering": ["Order by one of: code, name."]})
    not_json = client.post("/api/v1/tokens", "{not json", content_type="application/json")
    assert (not_json.status_code, not_json.json()["code"]) == (400, "bad_request")
    assert not ApiToken.objects.exists()


def test_bodies_over_10_mb_are_refused_with_413(world: World, client_for: Callable[[User], Client]) -> None:
    client = client_for(world.user("advisor"))
    big = json.dumps({"name": "x" * (10 * 1024 * 1024 + 1)})
    response = client.post("/api/v1/tokens", big, content_type="application/json", headers={"accept-language": "en"})
    assert response.status_code == 413
    assert response.json() == {
        "code": "too_large",
        "detail": "The request body is too large (limit 10 MB).",
        "fields": {},
    }
    assert not ApiToken.objects.exists()


def test_store_list_pagination_filtering_ordering(world: World, client_for: Callable[[User], Client]) -> None:
    auditor = client_for(world.user("auditor"))
    page = auditor.get("/api/v1/stores?limit=1&offset=1&ordering=-code").json()
    assert (page["count"], page["limit"], page["offset"]) == (2, 1, 1)
    assert [s["code"] for s in page["items"]] == ["SH01"]
    assert [s["code"] for s in auditor.get("/api/v1/stores?brand=VW").json()["items"]] == ["SH01"]
    assert [s["code"] for s in auditor.get("/api/v1/stores?q=苏州").json()["items"]] == ["SZ01"]
    own = client_for(world.user("advisor")).get("/api/v1/stores").json()
    assert [s["code"] for s in own["items"]] == ["SH01"]


def test_store_list_query_count_does_not_grow_with_stores(world: World, client_for: Callable[[User], Client]) -> None:
    client = client_for(world.user("auditor"))
    client.get("/api/v1/stores")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/stores")
    for index in range(5):
        Store.objects.create(group=world.sh.group, code=f"X{index:02d}", name=f"店{index}")
    with CaptureQueriesContext(connection) as many:
        assert client.get("/api/v1/stores").json()["count"] == 7
    assert len(many) == len(few)


def test_store_detail_shows_departments_and_bays(world: World, client_for: Callable[[User], Client]) -> None:
    body = client_for(world.user("advisor")).get(f"/api/v1/stores/{world.sh.pk}").json()
    assert body["code"] == "SH01"
    assert [b["code"] for b in body["bays"]] == ["A01", "A02", "E01", "W01"]
    assert [d["code"] for d in body["departments"]] == ["WS"]


def test_openapi_document_is_valid(db: None) -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    validate(schema)
    assert {"/api/v1/health", "/api/v1/me", "/api/v1/stores", "/api/v1/auth/token"} <= set(schema["paths"])


def test_docs_page_uses_no_cdn(db: None) -> None:
    html = Client().get("/api/v1/docs").content.decode()
    assert "swagger-ui-bundle.js" in html
    assert "cdn." not in html and "unpkg" not in html


def test_openapi_matches_the_committed_snapshot(db: None) -> None:
    """docs/openapi.json is the published contract; regenerate it with AFTERSALES_UPDATE_OPENAPI=1."""

    snapshot = Path(settings.BASE_DIR) / "docs" / "openapi.json"
    current = json.dumps(api.get_openapi_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if os.environ.get("AFTERSALES_UPDATE_OPENAPI"):
        snapshot.write_text(current, encoding="utf-8")
    assert snapshot.read_text(encoding="utf-8") == current, "API changed: review and regenerate docs/openapi.json"


def test_query_counts_are_pinned(world: World) -> None:
    _token, raw = token_create(user=world.user("auditor"), name="counts")
    client = Client()
    expected = {"/api/v1/health": 2, "/api/v1/me": 4, "/api/v1/stores": 5, f"/api/v1/stores/{world.sh.pk}": 6}
    for path, queries in expected.items():
        client.get(path, headers=_bearer(raw))
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path, headers=_bearer(raw)).status_code == 200
        assert len(captured) == queries, (path, [q["sql"] for q in captured])


class _Point(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: ApiDateTime
    detail: dict[str, Any]


def test_answer_list_writes_what_ninja_writes() -> None:
    """A long list answered by pydantic's core reads exactly as ninja's own answer of the same data:
    times to the millisecond with Z for UTC, lazy translations (Chinese by default) and decimals as
    Django writes them."""
    moment = datetime(2026, 11, 26, 8, 30, 15, 123456, tzinfo=UTC)
    items = [
        SimpleNamespace(at=moment, detail={"label": gettext_lazy("yes"), "amount": Decimal("12.50")}),
        {"at": moment.replace(microsecond=0), "detail": {}},
    ]
    answer = answer_list(_Point, items)
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(answer.content) == [
        {"at": "2026-11-26T08:30:15.123Z", "detail": {"label": "是", "amount": "12.50"}},
        {"at": "2026-11-26T08:30:15Z", "detail": {}},
    ]
    ninja_written = json.loads(NinjaResponse([vars(items[0]), items[1]]).content)
    assert json.loads(answer.content) == ninja_written


def test_answer_list_refuses_an_item_its_schema_refuses() -> None:
    with pytest.raises(PydanticValidationError):
        answer_list(_Point, [{"at": "not a time", "detail": {}}])
