"""The one error type of the business layer, turned into a 4xx JSON body or a form error."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.functional import Promise
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

NON_FIELD = "__all__"


class ApplicationError(Exception):
    """A refused request: ``fields`` maps field names to messages; ``code`` is machine-readable;
    ``extra`` adds members to the JSON body (e.g. the records a duplicate warning names)."""

    status = 400

    def __init__(
        self,
        detail: str | Promise,
        *,
        code: str = "invalid",
        field: str | None = None,
        fields: dict[str, list[str]] | None = None,
        status: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(str(detail))
        self.detail = str(detail)
        self.code = code
        self.extra: dict[str, Any] = dict(extra or {})
        self.fields: dict[str, list[str]] = dict(fields or {})
        if field is not None:
            self.fields.setdefault(field, []).append(self.detail)
        if status is not None:
            self.status = status


class ConflictError(ApplicationError):
    status = 409


class LockedOutError(ApplicationError):
    status = 429


def choices_text(choices: Iterable[object]) -> str:
    """The allowed values of a field as a refusal names them, in the reader's language: ``a, b or c``."""
    return get_text_list([str(choice) for choice in choices], _("or"))


def choose_one_of(choices: Iterable[object]) -> str:
    """The one message for a value that is not one of ``choices``."""
    return _("Choose one of: %(choices)s.") % {"choices": choices_text(choices)}
