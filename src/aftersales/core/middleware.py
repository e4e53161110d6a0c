"""Request-wide concerns: address and body size limits, the one error body of the API, the access
scope / audit context of the request, a forced password change."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from aftersales.core.scope import AccessScope, set_scope
from aftersales.core.services import client_ip_of
from aftersales.core.views import body_too_large_message, error_response, request_language


class RequestURILimitMiddleware:
    """Refuse a request whose address (path and query, as sent) is longer than REQUEST_URI_LIMIT_BYTES
    with 414, before anything reads it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.REQUEST_URI_LIMIT_BYTES
        if len(request.get_full_path()) > limit:  # as sent: percent-encoded
            with request_language(request):
                detail = _("The address of the request is too long (limit %(kb)d KB).") % {"kb": limit // 1024}
                return error_response(request, 414, "uri_too_long", detail)
        return self.get_response(request)


class RequestBodyLimitMiddleware:
    """Refuse oversized bodies with 413 before anything reads them.

    Ordinary bodies (JSON, forms) are limited to REQUEST_BODY_LIMIT_BYTES; multipart uploads to
    the larger UPLOAD_BODY_LIMIT_BYTES (upload endpoints check their own, smaller limits).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        is_upload = request.META.get("CONTENT_TYPE", "").startswith("multipart/form-data")
        limit = settings.UPLOAD_BODY_LIMIT_BYTES if is_upload else settings.REQUEST_BODY_LIMIT_BYTES
        if length > limit:
            with request_language(request):
                return error_response(request, 413, "too_large", body_too_large_message(limit))
        return self.get_response(request)


class RequestContextMiddleware:
    """Give the request its access scope (stores the user may see) and audit context (who, from where)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user if request.user.is_authenticated else None
        set_scope(AccessScope(user=user, client_ip=client_ip_of(request)))
        try:
            return self.get_response(request)
        finally:
            set_scope(None)


class PasswordChangeRequiredMiddleware:
    """Lead a user whom an admin asked to change their password from every page to the password page
    until they have; signing out and switching the language stay open. The API refuses such a session
    on its own (``config.api.SessionAuth``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and getattr(user, "must_change_password", False)
            and not request.path.startswith("/api/")
        ):
            target = reverse("core:password_change")
            open_paths = {target, reverse("core:logout"), reverse("set_language"), reverse("admin:logout")}
            if request.path not in open_paths:
                url = f"{target}?{urlencode({'next': request.get_full_path()})}"
                if request.headers.get("HX-Request"):
                    return HttpResponse(headers={"HX-Redirect": url})
                return HttpResponseRedirect(url)
        return self.get_response(request)


class ApiErrorBodyMiddleware:
    """Under /api/, make every error answer the API's error body, also those a library answers in its own
    way (django-ninja's 405 is plain text). Innermost, so that the language is active and the outer
    middleware adds its headers (cookies, Vary, security headers) to the answer given here."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path.startswith("/api/")
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        if response.status_code == 405:
            detail = _("This address does not accept the %(method)s method.") % {"method": request.method}
            answer = error_response(request, 405, "method_not_allowed", detail)
            answer["Allow"] = response.get("Allow", "")
            return answer
        detail = _("The request failed (HTTP %(status)d).") % {"status": response.status_code}
        return error_response(request, response.status_code, "error", detail)
