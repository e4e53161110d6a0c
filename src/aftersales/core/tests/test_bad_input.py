"""Bad input on every API operation and every page form: a clear 4xx naming the field, nothing written.

Generated from the OpenAPI document and from the forms that the pages render (HTMX inputs and
buttons included), so an operation or a form added later is covered without a list kept by hand.
The test command runs it on SQLite and on PostgreSQL: NUL is what PostgreSQL cannot store, integers
beyond 64 bits are what SQLite cannot bind.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import ContextList
from django.urls import get_resolver
from django.urls.converters import IntConverter

from aftersales.conftest import PASSWORD, World
from aftersales.core.models import AuditEntry, User
from aftersales.core.tests.factories import image_bytes
from aftersales.core.tests.routes import FOREIGN_PREFIXES, SAMPLES, api_routes, page_routes, route_path
from config.api import api

# One value per rule, sent to every field: NUL (what PostgreSQL cannot store) and a direction override
# stand for every refused character, a line break for every one-line field. Each character class of
# the rule is covered once, in test_inputs.py.
TEXT_POISONS = {"NUL": "ab\x00cd", "right-to-left override": "ab\u202ecd"}
# A lone surrogate can only arrive escaped in JSON; a URL or a form cannot carry one.
JSON_POISONS = {**TEXT_POISONS, "lone surrogate": "ab\ud800cd"}
SINGLE_LINE_POISONS = {"line break": "ab\ncd"}
BIG_INTEGERS = {"2^63": 2**63, "-2^63-1": -(2**63) - 1}
# Legal 64-bit values that a 32-bit column cannot hold: refused or accepted, never a 500.
EDGE_INTEGERS = {"2^31": 2**31}
# A refused value is a 400 (page) or 422 (API) naming it; a record id no row can have is a 404.
REFUSED = {400, 422}


def _writes() -> int:
    """Rows inserted, updated or deleted so far on this connection (sessions aside)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT total_changes()")
        else:
            cursor.execute(
                "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables"
                " WHERE relname <> 'django_session'"
            )
        row = cursor.fetchone()
    return int(row[0])


@pytest.fixture
def actor(world: World, settings: Any) -> tuple[User, Client]:
    """A superuser signed in on a warmed-up session, so that a refused request saves nothing."""
    settings.SESSION_SAVE_EVERY_REQUEST = False
    user = User.objects.create_superuser(username="root", password="Correct-Horse-Battery-9")
    client = Client()
    client.force_login(user)
    assert client.get("/").status_code == 200
    return user, client


def _upload(name_part: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"id{name_part}.png", image_bytes("PNG"))


def _verdict(label: str, probe: Probe, status: int, written: int) -> str | None:
    """What is wrong with the answer to one probe, or None: refused (4xx) with nothing written, or for
    a value that may be accepted, at least no 500."""
    if not probe.must_refuse:
        return label if status >= 500 else None
    if status not in ({404} if probe.where == "path" else REFUSED):
        return label
    return f"{label}, {written} rows written" if written else None


# --- the API, from its OpenAPI document ---------------------------------------------------------------

SCHEMA = api.get_openapi_schema()
ROUTES_BY_OPERATION_ID = {
    api.get_openapi_operation_id(operation): route
    for route in api_routes()
    for _prefix, router in api._routers
    for path_view in router.path_operations.values()
    for operation in path_view.operations
    if operation.view_func.__name__ == route.name and route.method in operation.methods
}
OPERATIONS = [
    (method.upper(), path, operation)
    for path, methods in SCHEMA["paths"].items()
    for method, operation in methods.items()
]


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """A schema with its $ref followed and a nullable anyOf reduced to the non-null branch."""
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = SCHEMA["components"]["schemas"][name]
    branches = [branch for branch in schema.get("anyOf", []) if branch.get("type") != "null"]
    if len(branches) == 1:
        schema = {**_resolve(branches[0]), **{k: v for k, v in schema.items() if k != "anyOf"}}
    return schema


@dataclass
class Probe:
    where: str  # "query", "json", "form" or "path"
    name: str
    kind: str
    value: Any
    must_refuse: bool = True


def _probes_for(name: str, schema: dict[str, Any], where: str) -> Iterator[Probe]:
    schema = _resolve(schema)
    kind = schema.get("type")
    text_poisons = JSON_POISONS if where == "json" else TEXT_POISONS
    if kind == "array":
        items = _resolve(schema.get("items", {}))
        if where == "json":
            for probe in _probes_for(name, items, where):
                yield Probe(where, name, f"[{probe.kind}]", [probe.value], probe.must_refuse)
        else:
            yield from _probes_for(name, items, where)
        return
    if kind == "integer":
        for label, number in BIG_INTEGERS.items():
            yield Probe(where, name, label, number if where == "json" else str(number))
        for label, number in EDGE_INTEGERS.items():
            yield Probe(where, name, label, number if where == "json" else str(number), must_refuse=False)
    if kind in {"integer", "number", "boolean"} and where == "json":
        return
    if kind == "string" and schema.get("format") == "binary":
        return
    for label, poison in text_poisons.items():
        yield Probe(where, name, label, poison)
    if kind == "string" and not schema.get("x-multiline"):
        for label, poison in SINGLE_LINE_POISONS.items():
            yield Probe(where, name, label, poison)
    if kind == "string" and "maxLength" in schema:
        yield Probe(where, name, "too long", "x" * (schema["maxLength"] + 1))


def _text_fields_without_limit(name: str, schema: dict[str, Any]) -> Iterator[str]:
    schema = _resolve(schema)
    if schema.get("type") == "array":
        if "maxItems" not in schema:
            yield f"{name} (a list without maxItems)"
        yield from _text_fields_without_limit(f"{name}[]", schema.get("items", {}))
    elif schema.get("type") == "object":
        for key, value in schema.get("properties", {}).items():
            yield from _text_fields_without_limit(f"{name}.{key}" if name else key, value)
        if isinstance(schema.get("additionalProperties"), dict):  # a mapping: its keys and its values
            keys = schema.get("propertyNames", {})
            if "enum" not in keys and ("maxLength" not in keys or "maxProperties" not in schema):
                yield f"{name} (a mapping with keys of any length or number)"
            yield from _text_fields_without_limit(f"{name}{{}}", schema["additionalProperties"])
    elif (
        schema.get("type") == "string"
        and "maxLength" not in schema
        and "enum" not in schema
        and "const" not in schema
        and schema.get("format") not in {"date", "date-time", "binary"}
    ):
        yield name


def _body(operation: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    content = operation.get("requestBody", {}).get("content", {})
    for media_type, where in (("application/json", "json"), ("multipart/form-data", "form")):
        if media_type in content:
            return where, _resolve(content[media_type]["schema"])
    return None


OPERATION_IDS = [f"{method} {path}" for method, path, _operation in OPERATIONS]


@pytest.mark.parametrize("method,path,operation", OPERATIONS, ids=OPERATION_IDS)
def test_every_text_field_of_the_api_has_a_length_limit(method: str, path: str, operation: dict[str, Any]) -> None:
    unlimited = [
        f"{parameter['name']} (query)"
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
        for _name in _text_fields_without_limit(parameter["name"], parameter["schema"])
    ]
    body = _body(operation)
    if body is not None:
        unlimited += list(_text_fields_without_limit("", body[1]))
    assert not unlimited, f"{method} {path}: text without a length limit: {unlimited}"


# Operations that take no input at all (health, me, the token list) have nothing to refuse.
TAKING_INPUT = [(m, p, o) for m, p, o in OPERATIONS if o.get("parameters") or o.get("requestBody")]


@pytest.mark.parametrize("method,path,operation", TAKING_INPUT, ids=[f"{m} {p}" for m, p, _o in TAKING_INPUT])
def test_api_refuses_bad_input_and_writes_nothing(
    method: str, path: str, operation: dict[str, Any], world: World, actor: tuple[User, Client]
) -> None:
    user, client = actor
    route = ROUTES_BY_OPERATION_ID[operation["operationId"]]
    sample = SAMPLES.get(route.name, lambda u, w: {})(user, world)
    probes: list[Probe] = []
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            probes += [Probe("path", parameter["name"], label, str(n)) for label, n in BIG_INTEGERS.items() if n > 0]
            probes.append(Probe("path", parameter["name"], "25 digits", "9" * 25))
        elif parameter["in"] == "query":
            probes += list(_probes_for(parameter["name"], parameter["schema"], "query"))
    body = _body(operation)
    if body is not None:
        where, schema = body
        for name, property_schema in schema.get("properties", {}).items():
            probes += list(_probes_for(name, property_schema, where))
        if where == "form" and any(
            _resolve(s).get("format") == "binary" for s in schema.get("properties", {}).values()
        ):
            # Django's multipart parser drops non-printable characters from file names: accepted, never a 500.
            probes += [Probe("file", "file", label, poison, False) for label, poison in TEXT_POISONS.items()]
    assert probes, "an operation that takes input has something to probe"

    problems = []
    for probe in probes:
        if probe.where in {"form", "file"}:
            sample = SAMPLES.get(route.name, lambda u, w: {})(user, world)  # uploads are read once
        kwargs = dict(sample.get("kwargs", {}))
        query = dict(sample.get("query", {}))
        payload = dict(sample.get("json", {}))
        data = dict(sample.get("data", {}))
        if probe.where == "path":
            kwargs[probe.name] = probe.value
        elif probe.where == "query":
            query[probe.name] = probe.value
        elif probe.where == "json":
            payload[probe.name] = probe.value
        elif probe.where == "form":
            data[probe.name] = probe.value
        else:
            data[probe.name] = _upload(probe.value)
        url = route_path(route, kwargs)
        if query:
            url += "?" + "&".join(f"{key}={_quote(value)}" for key, value in query.items())
        before = _writes()
        call = getattr(client, method.lower())
        if body is not None and body[0] == "json":
            response = call(url, json.dumps(payload), content_type="application/json")
        elif body is not None:
            response = call(url, data)
        else:
            response = call(url)
        written = _writes() - before
        label = f"{probe.where} {probe.name} = {probe.kind}: {response.status_code}"
        if problem := _verdict(label, probe, response.status_code, written):
            problems.append(problem)
            continue
        if probe.must_refuse and probe.where in {"query", "json", "form", "file"}:
            fields = response.json().get("fields", {})
            if not any(key == probe.name or key.startswith(probe.name + ".") for key in fields):
                problems.append(f"{label}, no error on the field: {fields}")
    assert not problems, "\n".join(problems)


def _quote(value: Any) -> str:
    return quote(str(value), safe="")


# --- the pages, from the forms they render ----------------------------------------------------------


@dataclass
class Input:
    name: str
    kind: str  # text, search, email, tel, password, number, date, hidden, checkbox, radio, file, textarea, select
    value: str = ""
    maxlength: int | None = None
    checked: bool = False
    options: list[tuple[str, bool]] = field(default_factory=list)  # (value, selected) of a select


@dataclass
class PageForm:
    page: str
    method: str
    action: str
    multipart: bool
    public: bool = False  # on a page for anyone (sign-in): sent without a session
    inputs: list[Input] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)  # fixed values (hx-vals)

    def baseline(self) -> dict[str, Any]:
        data: dict[str, Any] = dict(self.values)
        for item in self.inputs:
            if item.kind in {"checkbox", "radio"}:
                if item.checked or (item.kind == "radio" and item.name not in data):
                    data[item.name] = item.value
            elif item.kind == "select":
                chosen = [value for value, selected in item.options if selected] or [v for v, _s in item.options[:1]]
                if chosen:
                    data[item.name] = chosen[0]
            elif item.kind not in {"file", "submit", "button"}:
                data[item.name] = item.value
        data.pop("csrfmiddlewaretoken", None)
        return data


class _FormParser(HTMLParser):
    """The forms of a page, and HTMX inputs and buttons that send values like a form."""

    def __init__(self, page: str, path: str, public: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.page, self.path, self.public = page, path, public
        self.forms: list[PageForm] = []
        self._form: PageForm | None = None
        self._textarea: Input | None = None
        self._select: Input | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            method = "post" if a.get("method", "get").lower() == "post" else "get"
            action = a.get("action") or a.get("hx-post") or a.get("hx-get") or self.path
            multipart = a.get("enctype") == "multipart/form-data"
            self._form = PageForm(self.page, method, action, multipart, self.public)
            self.forms.append(self._form)
            return
        if tag == "option" and self._select is not None:
            self._select.options.append((a.get("value", ""), "selected" in a))
            return
        if tag not in {"input", "textarea", "select", "button"}:
            return
        name = a.get("name", "")
        hx_action = a.get("hx-post") or a.get("hx-get")
        if tag == "button":
            if hx_action and self._form is None:
                method = "post" if a.get("hx-post") else "get"
                values = json.loads(a["hx-vals"]) if a.get("hx-vals") else {}
                self.forms.append(PageForm(self.page, method, hx_action, False, self.public, values=values))
            return
        kind = a.get("type", "text").lower() if tag == "input" else tag
        if kind in {"submit", "button", "reset", "image"} or not name:
            return
        maxlength = int(a["maxlength"]) if a.get("maxlength", "").isdigit() else None
        item = Input(name, kind, a.get("value", ""), maxlength, "checked" in a)
        if self._form is not None:
            self._form.inputs.append(item)
        if hx_action and hx_action != (self._form.action if self._form else None):
            # An input that sends itself (a search box, a check while typing): a form of one field.
            method = "post" if a.get("hx-post") else "get"
            self.forms.append(PageForm(self.page, method, hx_action, False, self.public, [item]))
        if tag == "textarea":
            self._textarea = item
        elif tag == "select":
            self._select = item

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def _page_forms(client: Client, user: User, world: World) -> list[PageForm]:
    """Every form of every page the superuser can open, once per action and set of fields."""
    found: dict[tuple[str, str, tuple[str, ...]], PageForm] = {}
    for route in page_routes():
        sample = SAMPLES.get(route.name, lambda u, w: {})(user, world)
        if sample.get("method", "GET") != "GET":
            continue
        path = route_path(route, sample.get("kwargs", {}))
        response = (Client() if route.access.public else client).get(path)
        assert response.status_code == 200, f"{route.name}: {response.status_code}"
        if not response["Content-Type"].startswith("text/html"):
            continue
        parser = _FormParser(route.name, path, route.access.public)
        parser.feed(response.content.decode())
        for form in parser.forms:
            action = urlsplit(form.action).path
            if action.lstrip("/").startswith(FOREIGN_PREFIXES):
                continue
            shape = re.sub(r"/\d+/", "/N/", action)
            key = (form.method, shape, tuple(sorted([i.name for i in form.inputs] + list(form.values))))
            found.setdefault(key, form)
    return list(found.values())


TEXT_KINDS = {"text", "search", "email", "tel", "password", "textarea"}


def _page_probes(form: PageForm) -> Iterator[Probe]:
    baseline = form.baseline()
    # A box ticked is sent as "on" (its value means nothing); one that carries a value is probed.
    targets = [
        (item.name, item.kind, item.maxlength)
        for item in form.inputs
        if item.value not in {"", "on"} or item.kind != "checkbox"
    ]
    targets += [(name, "hidden", None) for name in form.values]
    for name, kind, maxlength in dict.fromkeys(targets):
        if name == "csrfmiddlewaretoken":
            continue
        if kind == "file":
            # Django's multipart parser drops non-printable characters from file names: accepted, never a 500.
            yield from (Probe("file", name, label, poison, must_refuse=False) for label, poison in TEXT_POISONS.items())
            continue
        yield from (Probe("form", name, label, poison) for label, poison in TEXT_POISONS.items())
        if kind != "textarea":
            yield from (Probe("form", name, label, poison) for label, poison in SINGLE_LINE_POISONS.items())
        if kind in TEXT_KINDS and maxlength is not None:
            yield Probe("form", name, "too long", "x" * (maxlength + 1))
        if kind == "number" or str(baseline.get(name, "")).isdigit():
            # A whole number, or an id chosen from a list: digits beyond 64 bits.
            yield from (Probe("form", name, label, str(number)) for label, number in BIG_INTEGERS.items())
        if kind == "number":
            yield from (
                Probe("form", name, label, str(number), must_refuse=False) for label, number in EDGE_INTEGERS.items()
            )


def _form_errors(response: Any) -> set[str] | None:
    """Names of the fields with errors in the bound forms the page rendered; None if it rendered none."""
    if response.context is None:
        return None
    contexts = response.context if isinstance(response.context, ContextList) else [response.context]
    values = [value for context in contexts for value in context.flatten().values()]
    bound = [value for value in values if isinstance(value, forms.BaseForm)]
    bound = [form for form in bound if form.is_bound]
    if not bound:
        return None
    # Errors under the names the inputs have (a form with a prefix names them "prefix-field").
    return {name if name == "__all__" else form.add_prefix(name) for form in bound for name in form.errors}


def test_every_text_input_of_the_pages_has_a_length_limit(world: World, actor: tuple[User, Client]) -> None:
    user, client = actor
    unlimited = [
        f"{form.page}: {item.name}"
        for form in _page_forms(client, user, world)
        for item in form.inputs
        if item.kind in TEXT_KINDS and item.maxlength is None
    ]
    assert not unlimited, "\n".join(unlimited)


def test_pages_refuse_bad_input_and_write_nothing(world: World, actor: tuple[User, Client]) -> None:
    user, client = actor
    page_forms = _page_forms(client, user, world)
    assert len(page_forms) >= 15, [f"{f.method} {f.action}" for f in page_forms]
    problems = []
    for form in page_forms:
        for probe in _page_probes(form):
            data = form.baseline()
            if probe.where == "file":
                data[probe.name] = _upload(probe.value)
            else:
                data[probe.name] = probe.value
            sender = Client() if form.public else client
            before = _writes()
            if form.method == "get":
                response = sender.get(urlsplit(form.action).path, data)
            else:
                response = sender.post(urlsplit(form.action).path, data)
            written = _writes() - before
            status = response.status_code
            label = f"{form.page} {form.method.upper()} {form.action} {probe.name} = {probe.kind}: {status}"
            if problem := _verdict(label, probe, status, written):
                problems.append(problem)
                continue
            if not probe.must_refuse:
                continue
            errors = _form_errors(response)
            if errors is not None:
                if probe.name not in errors and "__all__" not in errors:
                    problems.append(f"{label}, no error on the field: {sorted(errors)}")
            elif probe.kind in SAYS and SAYS[probe.kind] not in response.content.decode():
                # No form to put the error on (a button, a hidden value): the answer itself says what is wrong.
                problems.append(f"{label}, the answer does not say why: {response.content.decode()[:200]!r}")
    assert not problems, "\n".join(problems)


# What the answer to a refused character says, in the default language (Chinese).
SAYS = {"NUL": "U+0000", "right-to-left override": "U+202E", "line break": "请在一行内填写"}


# --- path arguments -----------------------------------------------------------------------------------


def test_record_ids_in_urls_use_the_bounded_converter() -> None:
    """A URL's integer argument is an ``<id:…>`` (or a ``<year:…>``): beyond 64 bits it is a 404, not a database error."""
    loose = []
    for pattern in _patterns(get_resolver().url_patterns):
        converters = getattr(pattern.pattern, "converters", {})
        loose += [f"{pattern.pattern} {name}" for name, c in converters.items() if isinstance(c, IntConverter)]
    api_loose = [
        route.path_template for route in api_routes() if re.search(r"{(?!id:|str:|year:)", route.path_template)
    ]
    assert (loose, api_loose) == ([], [])


def _patterns(patterns: list[Any]) -> Iterator[Any]:
    for entry in patterns:
        if hasattr(entry, "url_patterns"):
            yield from _patterns(entry.url_patterns)
        else:
            yield entry


# --- the cases seen on the archive, with their exact messages -----------------------------------------

NUL_MESSAGE = "This text contains a control character (U+0000) that cannot be stored; remove it."


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "王五", "preferences": "不要\x00打电话"}, "preferences"),
        ({"name": "王五", "tags": ["常\x00客"]}, "tags"),
        ({"name": "王\u202e五"}, "name"),
    ],
)
def test_api_refuses_a_control_character_in_a_customer_with_a_field_error(
    body: dict[str, Any], field: str, world: World, actor: tuple[User, Client]
) -> None:
    _user, client = actor
    before = _writes()
    response = client.post(
        "/api/v1/customers", body, content_type="application/json", headers={"accept-language": "en"}
    )
    assert response.status_code == 422
    message = response.json()["fields"][field]
    assert message == [
        "This text contains an invisible character that changes the reading direction (U+202E); remove it."
        if field == "name"
        else NUL_MESSAGE
    ]
    assert _writes() == before


def test_the_message_is_in_the_users_language(world: World, actor: tuple[User, Client]) -> None:
    _user, client = actor
    response = client.get("/api/v1/customers/search", {"q": "沪A\x0012345"}, headers={"accept-language": "zh-hans"})
    assert (response.status_code, response.json()["fields"]) == (
        422,
        {"q": ["内容中含有无法保存的控制字符（U+0000），请删除。"]},
    )


def test_multi_line_fields_keep_their_line_breaks(world: World, actor: tuple[User, Client]) -> None:
    _user, client = actor
    body = {"name": "王五", "preferences": "上午不要打电话\n只发短信\r\n\t周末可以"}
    response = client.post("/api/v1/customers", body, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["preferences"] == "上午不要打电话\n只发短信\r\n\t周末可以"


def test_a_tag_longer_than_a_tag_is_refused_on_the_api_and_the_page(world: World, actor: tuple[User, Client]) -> None:
    _user, client = actor
    headers = {"accept-language": "en"}
    response = client.post(
        "/api/v1/customers", {"name": "王五", "tags": ["x" * 10_000]}, content_type="application/json", headers=headers
    )
    assert (response.status_code, response.json()["fields"]) == (422, {"tags.0": ["Enter at most 30 characters."]})
    page = client.post("/customers/new/", {"kind": "individual", "name": "王五", "tags": "x" * 31}, headers=headers)
    assert page.status_code == 400
    assert page.context["form"].errors["tags"] == ["A tag may have at most 30 characters."]


@pytest.mark.parametrize("number", [2**63, 2**64, 10**30])
def test_numbers_beyond_what_the_database_stores_are_refused(
    number: int, world: World, actor: tuple[User, Client]
) -> None:
    _user, client = actor
    headers = {"accept-language": "en"}
    before = _writes()
    listed = client.get("/api/v1/customers", {"offset": number}, headers=headers)
    assert (listed.status_code, listed.json()["fields"]) == (
        422,
        {"offset": ["Enter a value of at most 9223372036854775807."]},
    )
    filtered = client.get("/api/v1/customers", {"home_store": number}, headers=headers)
    assert (filtered.status_code, filtered.json()["fields"]) == (
        422,
        {"home_store": ["Enter a whole number between -9223372036854775808 and 9223372036854775807."]},
    )
    merge = client.post(
        "/api/v1/customers/merge", {"survivor_id": number, "merged_id": 1}, content_type="application/json"
    )
    assert (merge.status_code, merge.json()["fields"]) == (
        422,
        {"survivor_id": ["请输入 -9223372036854775808 到 9223372036854775807 之间的整数。"]},
    )
    assert client.get(f"/api/v1/customers/{number}", headers=headers).json() == {
        "code": "not_found",
        "detail": "The page or record you asked for does not exist.",
        "fields": {},
    }
    assert client.get(f"/customers/{number}/").status_code == 404
    assert _writes() == before


def test_a_control_character_in_the_address_to_go_back_to_is_refused(world: World, actor: tuple[User, Client]) -> None:
    _user, client = actor
    before = _writes()
    response = client.post("/store/switch/", {"store": world.sz.pk, "next": "/customers/\x00"})
    assert response.status_code == 400
    assert client.session["store_id"] == world.sh.pk
    assert _writes() == before
    moved = client.post("/store/switch/", {"store": world.sz.pk, "next": "https://evil.example/"})
    assert (moved.status_code, moved["Location"], client.session["store_id"]) == (302, "/", world.sz.pk)


def test_the_audit_export_records_only_its_own_filters(world: World, actor: tuple[User, Client]) -> None:
    _user, client = actor
    response = client.get("/audit/export/", {"action": "login", "utm\x00": "\x00"})
    assert response.status_code == 200
    b"".join(response.streaming_content)

    assert AuditEntry.objects.filter(action="export").get().changes["filters"] == {"action": "login"}


def test_a_search_of_invisible_characters_alone_is_no_search(world: World, actor: tuple[User, Client]) -> None:
    _user, client = actor
    zero_width = "\u200b\u200b"
    listed = client.get("/customers/", {"q": zero_width})
    assert (listed.status_code, listed.context["searching"]) == (200, False)
    assert client.get("/customers/import/export/", {"q": zero_width}).status_code == 200
    assert client.get("/api/v1/customers/export", {"q": zero_width}).status_code == 200
    assert (
        client.get("/api/v1/customers", {"q": zero_width}).json()["count"]
        == client.get("/api/v1/customers").json()["count"]
    )


@pytest.mark.parametrize("next_value", ["/customers/\x00", "/x\u202e", "/" + "x" * 2001, "https://evil.example/"])
def test_a_sign_in_link_with_a_bad_next_signs_in_to_the_start_page(next_value: str, world: World) -> None:
    client = Client()
    page = client.get("/login/", {"next": next_value})
    assert page.status_code == 200
    assert page.context["form"]["next"].value() == ""
    response = client.post("/login/", {"username": "advisor_sh", "password": PASSWORD, "next": ""})
    assert (response.status_code, response["Location"]) == (302, "/")


def test_the_admins_record_forms_apply_the_input_rules(world: World, actor: tuple[User, Client]) -> None:
    _user, client = actor
    store = world.sh
    before = _writes()
    response = client.post(
        f"/admin/core/store/{store.pk}/change/",
        {"group": store.group_id, "code": store.code, "name": "上海\u202e店", "time_zone": "Asia/Shanghai"},
        headers={"accept-language": "en"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"] == [
        "This text contains an invisible character that changes the reading direction (U+202E); remove it."
    ]
    assert _writes() == before
