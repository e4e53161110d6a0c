"""Conventions every API list and endpoint follows: strict inputs, one error body, pagination,
filtering and ordering."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import (
    BaseModel,
    ConfigDict,
    PlainSerializer,
    TypeAdapter,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from aftersales.core import inputs
from aftersales.core.errors import NON_FIELD, ApplicationError, choose_one_of

T = TypeVar("T")


class InputSchema(Schema):
    """Base of every request body and query schema: unknown fields are refused, and every value
    passes the product's input rules (``core.inputs``): no control or direction-override characters,
    line breaks only in fields marked ``json_schema_extra=inputs.MULTILINE``, whole numbers that the
    database can store."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    # Checked as sent, before the ends are stripped (a trailing control character is refused here as on
    # the pages), and again once parsed (a whole number sent as text in a query).
    @field_validator("*", mode="before")
    @classmethod
    def _storable_as_sent(cls, value: Any, info: ValidationInfo) -> Any:
        return cls._storable(value, info)

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        extra = field.json_schema_extra if field is not None else None
        multiline = isinstance(extra, dict) and bool(extra.get("x-multiline"))
        problem = inputs.value_problem(value, multiline=multiline)
        if problem is not None:
            raise ValueError(problem)
        return value


class ErrorOut(Schema):
    code: str
    detail: str
    fields: dict[str, list[str]]


def file_answer(description: str, *content_types: str) -> dict[str, Any]:
    """The ``openapi_extra`` of an operation that answers a file (PDF by default): its description and
    content types, the body a binary string."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    kinds = content_types or ("application/pdf",)
    return {"responses": {200: {"description": description, "content": dict.fromkeys(kinds, binary)}}}


def error_body(code: str, detail: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"code": code, "detail": detail, "fields": fields or {}}


def error_json(status: int, code: str, detail: str, fields: dict[str, list[str]] | None = None) -> JsonResponse:
    """The error body as an answer of its own, for what answers outside the API's views (middleware,
    Django's error handlers), with the content type the API's own answers carry."""
    return JsonResponse(error_body(code, detail, fields), status=status, content_type="application/json; charset=utf-8")


def _message_for(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    simple = {
        "missing": _("This field is required."),
        "extra_forbidden": _("Unknown field."),
        "string_type": _("Enter text."),
        "int_parsing": _("Enter a whole number."),
        "int_type": _("Enter a whole number."),
        "int_from_float": _("Enter a whole number."),
        "float_parsing": _("Enter a number."),
        "float_type": _("Enter a number."),
        "decimal_parsing": _("Enter a number."),
        "bool_parsing": _("Enter true or false."),
        "bool_type": _("Enter true or false."),
        "date_parsing": _("Enter a valid date (YYYY-MM-DD)."),
        "date_from_datetime_parsing": _("Enter a valid date (YYYY-MM-DD)."),
        "date_type": _("Enter a valid date (YYYY-MM-DD)."),
        "datetime_parsing": _("Enter a valid date and time."),
        "datetime_from_date_parsing": _("Enter a valid date and time."),
        "datetime_type": _("Enter a valid date and time."),
        "dict_type": _("Send a JSON object."),
        "model_attributes_type": _("Send a JSON object."),
        "model_type": _("Send a JSON object."),
        "list_type": _("Send a list."),
        "json_invalid": _("The body is not valid JSON."),
        "uuid_parsing": _("Enter a valid identifier."),
    }
    if kind in simple:
        return simple[kind]
    if kind == "string_too_short":
        return _("Enter at least %(n)s characters.") % {"n": ctx.get("min_length")}
    if kind == "string_too_long":
        return _("Enter at most %(n)s characters.") % {"n": ctx.get("max_length")}
    if kind == "greater_than_equal":
        return _("Enter a value of at least %(n)s.") % {"n": ctx.get("ge")}
    if kind == "greater_than":
        return _("Enter a value greater than %(n)s.") % {"n": ctx.get("gt")}
    if kind == "less_than_equal":
        return _("Enter a value of at most %(n)s.") % {"n": ctx.get("le")}
    if kind == "less_than":
        return _("Enter a value less than %(n)s.") % {"n": ctx.get("lt")}
    if kind in {"literal_error", "enum"}:
        # pydantic lists them in English ("'a', 'b' or 'c'"): named again in the reader's language.
        return choose_one_of(re.findall(r"'((?:[^'\\]|\\.)*)'", str(ctx.get("expected", ""))))
    if kind == "value_error" and ctx.get("error") is not None:
        # Our own validators raise ValueError with a translated message.
        return str(ctx["error"])
    return _("Enter a valid value.")


def fields_from_validation(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Field-level messages from pydantic errors, keyed by the field's dotted path."""
    fields: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        # Body errors are located at ("body", <parameter name>, field, ...), others at (source, field, ...).
        path = loc[2:] if loc and loc[0] == "body" else loc[1:]
        if path and path[-1] == "[key]":  # a mapping's key that is not one of its allowed keys
            name, message = ".".join(path[:-1]), _("Unknown field.")
        else:
            name, message = ".".join(path) or NON_FIELD, _message_for(error)
        fields.setdefault(name, []).append(message)
    return fields


class Page(Schema, Generic[T]):
    count: int
    limit: int
    offset: int
    items: list[T]


class StateEventOut(Schema):
    """One step of a record's history as its state table wrote it (an appointment's, a purchase order's)."""

    at: datetime
    by: str | None = Field(description="The actor's username; null when none is recorded (a periodic job's step).")
    action: str
    from_state: str
    to_state: str
    note: str


class ListQuery(InputSchema):
    """Query parameters every list takes. A list adds its own filters in a subclass and names
    the fields it may be ordered by in ``ordering_fields``."""

    limit: int = Field(default=50, ge=1, le=500, description="Page size (at most 500).")
    offset: int = Field(default=0, ge=0, le=inputs.BIGINT_MAX, description="Rows to skip.")
    ordering: str | None = Field(
        default=None, max_length=40, description="Field to order by; prefix with - for descending, e.g. -created_at."
    )


def paginate(
    queryset: QuerySet[Any],
    query: ListQuery,
    *,
    ordering_fields: tuple[str, ...],
    default_ordering: tuple[Any, ...],
) -> dict[str, Any]:
    """Order, count and slice ``queryset`` by the list convention. Unknown orderings are a 422."""
    if query.ordering:
        name = query.ordering.removeprefix("-")
        if name not in ordering_fields:
            raise ApplicationError(
                _("Order by one of: %(fields)s.") % {"fields": ", ".join(ordering_fields)},
                code="invalid",
                field="ordering",
                status=422,
            )
        ordering: tuple[Any, ...] = (query.ordering, "pk")
    else:
        ordering = (*default_ordering, "pk")
    limit = min(query.limit, settings.API_PAGE_MAX_LIMIT)
    ordered = queryset.order_by(*ordering)
    return {
        "count": ordered.count(),
        "limit": limit,
        "offset": query.offset,
        "items": list(ordered[query.offset : query.offset + limit]),
    }


# --- long lists answered by pydantic's core ----------------------------------------------------------

_ENCODER = DjangoJSONEncoder()

# A time as every answer writes it (DjangoJSONEncoder, which ninja's answers use: milliseconds, "Z"
# for UTC), also where ``answer_list`` writes the JSON; described as a date-time as before.
ApiDateTime = Annotated[
    datetime,
    PlainSerializer(_ENCODER.default, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]


@functools.cache
def _list_adapter(schema: type[BaseModel]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[schema])  # type: ignore[valid-type]


def answer_list(schema: type[BaseModel], items: Iterable[Any]) -> HttpResponse:
    """``items`` (objects or dicts) as a JSON list of ``schema``, checked and written by pydantic's
    core in one pass: for a list of hundreds of items, where ninja's answer (a Python model per item,
    then Python's JSON encoder) costs more than reading them. The endpoint declares ``list[schema]``
    as its answer, as any other; ``schema`` is a plain pydantic model with ``from_attributes``, and
    writes its times as ``ApiDateTime``. A value pydantic cannot write goes through Django's encoder."""
    adapter = _list_adapter(schema)
    checked = adapter.validate_python(list(items), from_attributes=True)
    return HttpResponse(
        adapter.dump_json(checked, fallback=_ENCODER.default), content_type="application/json; charset=utf-8"
    )
