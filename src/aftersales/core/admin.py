"""Django admin for system administrators only: users, roles, stores, bays; its sign-in is the product's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from aftersales.core.access import can
from aftersales.core.errors import ApplicationError
from aftersales.core.forms import InputFormMixin, InputModelForm
from aftersales.core.models import (
    Bay,
    Brand,
    Certificate,
    DealerGroup,
    Department,
    Role,
    StaffMembership,
    StaffProfile,
    Store,
    User,
)
from aftersales.core.permissions import PERMISSIONS
from aftersales.core.routing import request_user
from aftersales.core.services import auth_attempt
from aftersales.core.views import signed_in


def _is_admin(request: HttpRequest) -> bool:
    return bool(request.user.is_active and can(request.user, "admin.access"))


admin.site.has_permission = _is_admin  # type: ignore[method-assign]
admin.site.site_header = _("AfterSales administration")
admin.site.site_title = _("AfterSales administration")


class AdminLoginForm(InputFormMixin, AdminAuthenticationForm):
    """The admin's sign-in: the one sign-in check of the product (``auth_attempt``: lockout, audit),
    open to the holders of "admin.access"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        password = self.fields["password"]
        password.max_length = 256  # type: ignore[attr-defined]
        password.validators.append(MaxLengthValidator(256))

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = auth_attempt(request=self.request, username=username, password=password)
            except ApplicationError as error:
                raise ValidationError(error.detail, code=error.code) from None
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data

    def confirm_login_allowed(self, user: Any) -> None:
        if not (user.is_active and can(user, "admin.access")):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


_django_admin_login = admin.site.login


def _admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """The admin's sign-in page, followed by what follows every sign-in to the pages."""
    was_signed_in = request.user.is_authenticated
    response = _django_admin_login(request, extra_context)
    if not was_signed_in and request.user.is_authenticated:
        signed_in(request, request.user)
    return response


def _password_change(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    # One password page for everyone: the current password is checked like a sign-in there.
    return redirect("core:password_change")


admin.site.login_form = AdminLoginForm
admin.site.login = _admin_login  # type: ignore[method-assign]
admin.site.password_change = _password_change  # type: ignore[method-assign,assignment]


class AdminOnly(admin.ModelAdmin):
    # Every record form of the admin applies the input rules of the product's own forms.
    form = InputModelForm

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return _is_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)

    # The admin is a view like any other: it names the signed-in user as the actor of every change
    # it saves, so that the audit trail never has to guess it from the request.
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.save(actor=request_user(request))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        obj.delete(actor=request_user(request))

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:  # one by one, so that each deletion is audited
            obj.delete(actor=request_user(request))

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete(actor=request_user(request))
        for obj in instances:
            obj.save(actor=request_user(request))
        formset.save_m2m()


class RoleForm(InputModelForm):
    permissions = forms.MultipleChoiceField(
        label=_("Permissions"),
        choices=[(code, f"{code} — {label}") for code, label in PERMISSIONS.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Role
        fields = ["code", "name", "name_en", "scope", "landing", "permissions"]


@admin.register(Role)
class RoleAdmin(AdminOnly):
    form = RoleForm
    list_display = ["code", "name", "name_en", "scope"]


class MembershipInline(admin.TabularInline):
    form = InputModelForm
    model = StaffMembership
    extra = 0
    fk_name = "user"


class StaffUserChangeForm(InputFormMixin, UserChangeForm):
    pass


class StaffUserCreationForm(InputFormMixin, AdminUserCreationForm):
    pass


@admin.register(User)
class StaffUserAdmin(AdminOnly, UserAdmin):
    form = StaffUserChangeForm  # type: ignore[assignment]
    add_form = StaffUserCreationForm
    inlines = [MembershipInline]
    list_display = ["username", "full_name", "mobile", "is_active", "must_change_password", "is_superuser"]
    search_fields = ["username", "full_name", "mobile"]
    fieldsets = (
        *UserAdmin.fieldsets,  # type: ignore[misc]
        (_("Staff"), {"fields": ("full_name", "mobile", "preferred_language", "must_change_password")}),
    )


class CertificateInline(admin.TabularInline):
    form = InputModelForm
    model = Certificate
    extra = 0


@admin.register(StaffProfile)
class StaffProfileAdmin(AdminOnly):
    inlines = [CertificateInline]
    list_display = ["user", "employee_no", "skill_level"]


@admin.register(DealerGroup)
class DealerGroupAdmin(AdminOnly):
    list_display = ["code", "name"]


@admin.register(Brand)
class BrandAdmin(AdminOnly):
    list_display = ["code", "name", "name_en"]


@admin.register(Store)
class StoreAdmin(AdminOnly):
    list_display = ["code", "name", "group", "phone", "is_active"]
    filter_horizontal = ["brands"]


@admin.register(Department)
class DepartmentAdmin(AdminOnly):
    list_display = ["store", "code", "name", "kind"]
    list_filter = ["store"]


@admin.register(Bay)
class BayAdmin(AdminOnly):
    list_display = ["store", "code", "name", "kind", "is_active"]
    list_filter = ["store", "kind", "is_active"]
