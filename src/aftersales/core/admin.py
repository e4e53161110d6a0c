"""Django admin for system administrators only: users, roles, stores, bays."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from aftersales.core.access import can
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


def _is_admin(request: HttpRequest) -> bool:
    return bool(request.user.is_active and can(request.user, "admin.access"))


admin.site.has_permission = _is_admin  # type: ignore[method-assign]
admin.site.site_header = _("AfterSales administration")
admin.site.site_title = _("AfterSales administration")


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
    list_display = ["username", "full_name", "mobile", "is_active", "is_superuser"]
    search_fields = ["username", "full_name", "mobile"]
    fieldsets = (
        *UserAdmin.fieldsets,  # type: ignore[misc]
        (_("Staff"), {"fields": ("full_name", "mobile", "preferred_language")}),
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
