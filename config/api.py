"""The HTTP API root: authentication, the one error body, and every area's router."""

from __future__ import annotations

import sys
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError, ValidationErrorContext
from ninja.operation import Operation
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

import aftersales
from aftersales.appointments.api import router as appointments_router
from aftersales.billing.api import router as billing_router
from aftersales.campaigns.api import router as campaigns_router
from aftersales.catalogue.api import router as catalogue_router
from aftersales.core.access import NotAuthenticated
from aftersales.core.api import router as core_router
from aftersales.core.apikit import error_body, fields_from_validation
from aftersales.core.errors import ApplicationError
from aftersales.core.scope import AccessScope, set_scope
from aftersales.core.services import client_ip_of, token_authenticate
from aftersales.customers.api import router as customers_router
from aftersales.messaging.api import router as messaging_router
from aftersales.parts.api import router as parts_router
from aftersales.purchasing.api import router as purchasing_router
from aftersales.quality.api import router as quality_router
from aftersales.visits.api import router as visits_router
from aftersales.workshop.api import router as workshop_router


class BearerTokenAuth(HttpBearer):
    """``Authorization: Bearer <token>`` for integrations."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        client_ip = client_ip_of(request)
        api_token = token_authenticate(token, client_ip=client_ip)
        if api_token is None:
            return None
        user = api_token.user
        request.user = user
        request.api_token_id = api_token.pk  # type: ignore[attr-defined]
        set_scope(AccessScope(user=user, client_ip=client_ip))
        return user


class SessionAuth(NinjaSessionAuth):
    """The session of a signed-in browser, with its CSRF check on unsafe methods (named as ninja's, so
    that the OpenAPI document's security scheme keeps its name).

    A request that sends an Authorization header is judged by that alone: a wrong or revoked token
    is a 401, never the session's user nor a CSRF refusal. A request without a session is a 401 too
    (the CSRF check protects a session, not its absence). A user whom an admin asked to change their
    password is refused (403 ``password_change_required``) until they have, as the pages send them there.
    """

    def __call__(self, request: HttpRequest) -> Any:
        if "HTTP_AUTHORIZATION" in request.META or not request.user.is_authenticated:
            return None
        user = super().__call__(request)
        if user is not None and getattr(user, "must_change_password", False):
            raise ApplicationError(
                _("Your password must be changed before you go on: choose a new one on the password page."),
                code="password_change_required",
                status=403,
            )
        return user


class AfterSalesAPI(NinjaAPI):
    """The API root. Its validation errors name a query field as it was sent, an item of a list
    included (``kind.0``): ninja maps a flattened query field back only when the error is on the
    field itself, so a list item's error would otherwise carry the parameter's name (``query.kind.0``)."""

    def validation_error_from_error_contexts(self, error_contexts: list[ValidationErrorContext]) -> ValidationError:
        errors: list[dict[str, Any]] = []
        for context in error_contexts:
            model = context.model
            reverse: dict[tuple[Any, ...], tuple[Any, ...]] = model.__ninja_flatten_map_reverse__
            for error in context.pydantic_validation_error.errors(include_url=False):
                loc = tuple(error["loc"])
                prefix = next((loc[:cut] for cut in range(len(loc), 0, -1) if loc[:cut] in reverse), None)
                if prefix is not None:
                    loc = reverse[prefix] + loc[len(prefix) :]
                item: dict[str, Any] = {**error, "loc": (model.__ninja_param_source__, *loc)}
                item.pop("input", None)
                if isinstance(item.get("ctx", {}).get("error"), Exception):
                    item["ctx"] = {**item["ctx"], "error": str(item["ctx"]["error"])}
                errors.append(item)
        return ValidationError(errors)

    def get_openapi_operation_id(self, operation: Operation) -> str:
        """``<module>_<function>``, ninja's rule, where a module may name the module its published ids
        keep (``OPENAPI_ID_PREFIX``), so that moving an endpoint to another module does not change
        the contract."""
        module = operation.view_func.__module__
        module = getattr(sys.modules[module], "OPENAPI_ID_PREFIX", module)
        return f"{module}_{operation.view_func.__name__}".replace(".", "_")


api = AfterSalesAPI(
    title="AfterSales API",
    version=aftersales.__version__,
    description="After-sales service management for dealer groups. Errors share one body: "
    '{"code", "detail", "fields": {"field": ["message"]}}.',
    urls_namespace="api",
    auth=[BearerTokenAuth(), SessionAuth(csrf=True)],
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _respond(
    request: HttpRequest, status: int, code: str, detail: str, fields: dict[str, list[str]] | None = None
) -> HttpResponse:
    return api.create_response(request, error_body(code, detail, fields), status=status)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return _respond(request, 422, "invalid", _("Some fields are not valid."), fields_from_validation(list(exc.errors)))


@api.exception_handler(ApplicationError)
def on_application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    body = error_body(exc.code, exc.detail, exc.fields) | exc.extra
    return api.create_response(request, body, status=exc.status)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _respond(request, 401, "not_authenticated", _("Sign in or send a valid API token."))


@api.exception_handler(NotAuthenticated)
def on_not_authenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    return on_authentication_error(request, exc)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _respond(request, 403, "permission_denied", _("You do not have permission to do this."))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _respond(request, 404, "not_found", _("Not found."))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        return _respond(request, 400, "bad_request", _("The request could not be read (is the body valid JSON?)."))
    if exc.status_code == 403:
        return _respond(request, 403, "csrf_failed", _("The security token (CSRF) is missing or wrong."))
    return _respond(request, exc.status_code, "error", str(exc))


api.add_router("/", core_router)
api.add_router("/", customers_router)
api.add_router("/", messaging_router)
api.add_router("/", parts_router)
api.add_router("/", catalogue_router)
api.add_router("/", purchasing_router)
api.add_router("/", appointments_router)
api.add_router("/", campaigns_router)
api.add_router("/", visits_router)
api.add_router("/", workshop_router)
api.add_router("/", quality_router)
api.add_router("/", billing_router)
