"""One error body everywhere under /api/: what Django, the middleware and django-ninja refuse by themselves
(400, 405, 413, 414) answers ``{"code", "detail", "fields"}`` in the request's language; a page answers
the error page. Nothing is written by a refused request."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.utils import translation

from aftersales.conftest import PASSWORD, World
from aftersales.core.middleware import ApiErrorBodyMiddleware
from aftersales.core.models import AuditEntry, User
from aftersales.customers.models import ImportJob

MB = 1024 * 1024
UPLOAD = "/api/v1/customers/import"
LANGUAGES = {"en": "en", "zh": "zh-hans"}


def _fields(count: int) -> dict[str, str]:
    return {f"field{index}": "1" for index in range(count)}


def _files(count: int) -> dict[str, list[SimpleUploadedFile]]:
    return {"file": [SimpleUploadedFile(f"{index}.xlsx", b"PK\x03\x04") for index in range(count)]}


@dataclass(frozen=True)
class Refusal:
    send: Callable[[Client, str], Any]
    status: int
    code: str
    detail: dict[str, str]  # by language


def _wrong_host(client: Client, path: str) -> Any:
    return client.get(path, HTTP_HOST="evil.example")


def _unreadable_multipart(client: Client, path: str) -> Any:
    return client.generic("POST", path, b"--x\r\n", content_type="multipart/form-data")  # no boundary


def _form_data_over_memory_limit(client: Client, path: str) -> Any:
    # Under the upload limit its length announces, over the memory limit for fields: found while reading.
    return client.post(path, {"mode": "x" * (MB + 1)})


def _too_long(client: Client, path: str) -> Any:
    return client.get(f"{path}?next=" + "a" * 8192)


BAD_HOST = {
    "en": "This server does not answer to the host name the request names.",
    "zh": "本服务器不接受请求中的主机名。",
}
UNREADABLE = {"en": "The request could not be read.", "zh": "无法读取该请求。"}
TOO_MANY_FIELDS = {"en": "The request has more than 1000 fields.", "zh": "请求中的字段超过 1000 个。"}
TOO_MANY_FILES = {"en": "The request has more than 100 files.", "zh": "请求中的文件超过 100 个。"}
TOO_LARGE_1_MB = {"en": "The request body is too large (limit 1 MB).", "zh": "请求体过大（上限 1 MB）。"}
TOO_LONG = {"en": "The address of the request is too long (limit 8 KB).", "zh": "请求地址过长（上限 8 KB）。"}

API_REFUSALS = {
    "wrong host": Refusal(_wrong_host, 400, "bad_host", BAD_HOST),
    "unreadable multipart": Refusal(_unreadable_multipart, 400, "bad_request", UNREADABLE),
    "too many fields": Refusal(lambda c, p: c.post(p, _fields(1001)), 400, "too_many_fields", TOO_MANY_FIELDS),
    "too many files": Refusal(lambda c, p: c.post(p, _files(101)), 400, "too_many_files", TOO_MANY_FILES),
    "form data over the memory limit": Refusal(_form_data_over_memory_limit, 413, "too_large", TOO_LARGE_1_MB),
    "upload over its length limit": Refusal(
        lambda c, p: c.post(p, {"file": SimpleUploadedFile("big.xlsx", b"PK\x03\x04" + b"\x00" * MB)}),
        413,
        "too_large",
        TOO_LARGE_1_MB,
    ),
    "address over 8 KB": Refusal(_too_long, 414, "uri_too_long", TOO_LONG),
    "method not allowed": Refusal(
        lambda c, p: c.put(p),
        405,
        "method_not_allowed",
        {"en": "This address does not accept the PUT method.", "zh": "该地址不接受 PUT 方法。"},
    ),
}


@pytest.fixture
def small_limits(settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1 * MB
    settings.UPLOAD_BODY_LIMIT_BYTES = 1 * MB


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case", API_REFUSALS)
def test_api_refusals_answer_the_error_body(
    world: World, client_for: Callable[[User], Client], small_limits: None, case: str, language: str
) -> None:
    refusal = API_REFUSALS[case]
    client = client_for(world.user("advisor"))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = LANGUAGES[language]
    audit_entries = AuditEntry.objects.count()

    response = refusal.send(client, UPLOAD)

    assert (response.status_code, response["Content-Type"]) == (refusal.status, "application/json; charset=utf-8")
    assert response.json() == {"code": refusal.code, "detail": refusal.detail[language], "fields": {}}
    assert not ImportJob.objects.exists()
    assert AuditEntry.objects.count() == audit_entries


def test_method_not_allowed_keeps_the_allowed_methods(db: None) -> None:
    response = Client().delete("/api/v1/health")
    assert (response.status_code, response["Allow"]) == (405, "GET")


def test_an_address_of_exactly_8_kb_is_served(db: None) -> None:
    path = "/api/v1/health?x="
    response = Client().get(path + "a" * (8192 - len(path)), headers={"accept-language": "en"})
    assert (response.status_code, response.json()["fields"]) == (422, {"x": ["Unknown field."]})


@pytest.mark.parametrize(("characters", "status"), [(909, 404), (910, 414)])
def test_the_length_limit_counts_the_address_as_sent(db: None, characters: int, status: int) -> None:
    # Percent-encoded, a Chinese character is 9 bytes (%E4%B8%AD): 8 + 909 * 9 = 8189 bytes, 8 + 910 * 9 = 8198.
    response = Client().get("/api/v1/" + "中" * characters, headers={"accept-language": "en"})
    assert response.status_code == status


def _teapot(request: HttpRequest) -> HttpResponse:
    return HttpResponse("I'm a teapot", status=418, content_type="text/plain")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/brew", {"code": "error", "detail": "请求失败（HTTP 418）。", "fields": {}}),
        ("/brew/", None),  # a page keeps its own answer
    ],
)
def test_any_other_error_under_the_api_becomes_the_error_body(path: str, body: dict[str, Any] | None) -> None:
    with translation.override("zh-hans"):
        response = ApiErrorBodyMiddleware(_teapot)(RequestFactory().get(path))
    assert response.status_code == 418
    if body is None:
        assert (response["Content-Type"], response.content) == ("text/plain", b"I'm a teapot")
    else:
        assert (response["Content-Type"], json.loads(response.content)) == ("application/json; charset=utf-8", body)


PAGE_REFUSALS = {
    "wrong host": Refusal(_wrong_host, 400, "", BAD_HOST),
    "unreadable multipart": Refusal(_unreadable_multipart, 400, "", UNREADABLE),
    "too many fields": Refusal(
        lambda c, p: c.post(p, "&".join(f"f{i}=1" for i in range(1001)), "application/x-www-form-urlencoded"),
        400,
        "",
        TOO_MANY_FIELDS,
    ),
    "form over the memory limit": Refusal(
        lambda c, p: c.post(p, {"username": "x" * (MB + 1), "password": PASSWORD}, "application/x-www-form-urlencoded"),
        413,
        "",
        TOO_LARGE_1_MB,
    ),
    "address over 8 KB": Refusal(_too_long, 414, "", TOO_LONG),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case", PAGE_REFUSALS)
def test_page_refusals_answer_the_error_page(world: World, small_limits: None, case: str, language: str) -> None:
    refusal = PAGE_REFUSALS[case]
    client = Client(HTTP_ACCEPT_LANGUAGE=LANGUAGES[language])
    audit_entries = AuditEntry.objects.count()

    response = refusal.send(client, "/login/")

    html = unescape(response.content.decode())
    assert (response.status_code, response["Content-Type"]) == (refusal.status, "text/html; charset=utf-8")
    assert f'<p class="lead mt-3" data-testid="error-message">{refusal.detail[language]}</p>' in html
    assert f'<html lang="{LANGUAGES[language]}">' in html
    assert AuditEntry.objects.count() == audit_entries
    assert "_auth_user_id" not in client.session
