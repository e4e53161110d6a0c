"""Request-wide concerns: body size limits, the access scope and audit context, a forced password change."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from aftersales.core.scope import AccessScope, set_scope
from aftersales.core.services import client_ip_of


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
            translation.activate(translation.get_language_from_request(request))
            detail = _("The request body is too large (limit %(mb)d MB).") % {"mb": limit // (1024 * 1024)}
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "too_large", "detail": detail, "fields": {}}, status=413)
            return render(request, "errors/error.html", {"status": 413, "message": detail}, status=413)
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
