"""The one error type of the business layer, turned into a 4xx JSON body or a form error."""

from __future__ import annotations

from django.utils.functional import Promise

NON_FIELD = "__all__"


class ApplicationError(Exception):
    """A refused request: ``fields`` maps field names to messages; ``code`` is machine-readable."""

    status = 400

    def __init__(
        self,
        detail: str | Promise,
        *,
        code: str = "invalid",
        field: str | None = None,
        fields: dict[str, list[str]] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(str(detail))
        self.detail = str(detail)
        self.code = code
        self.fields: dict[str, list[str]] = dict(fields or {})
        if field is not None:
            self.fields.setdefault(field, []).append(self.detail)
        if status is not None:
            self.status = status


class ConflictError(ApplicationError):
    status = 409


class LockedOutError(ApplicationError):
    status = 429
