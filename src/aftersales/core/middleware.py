"""Request-wide concerns: body size limits and the access scope / audit context of the request."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
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
