"""Staff accounts, roles (named permission sets) and per-store memberships."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from aftersales.core.audit import ANY_ACTION, AuditKey, AuditKeys, audit_append
from aftersales.core.models.base import AuditedModel, StoreOwnedModel
from aftersales.core.models.system import ApiToken
from aftersales.core.permissions import PERMISSIONS


class User(AbstractUser, AuditedModel):
    """A person who logs in: staff of a store or of the group."""

    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=[("zh-hans", "简体中文"), ("en", "English")], default="zh-hans"
    )
    must_change_password = models.BooleanField(
        _("must change password at next sign-in"),
        default=False,
        help_text=_("Every page leads to the password change until the user has chosen a new password."),
    )

    audit_exclude = frozenset({"password", "last_login"})
    objects: ClassVar[UserManager[User]] = UserManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    def save(self, *args: Any, actor: User | None = None, **kwargs: Any) -> None:
        # Every way of deactivating a user ends here, so that none leaves a token to come back to life.
        with transaction.atomic():
            super().save(*args, actor=actor, **kwargs)
            if not self.is_active:
                self._api_tokens_revoke(actor)

    def _api_tokens_revoke(self, actor: User | None) -> None:
        """Revoke the user's live API tokens, each with an audit entry saying why."""
        now = timezone.now()
        for token in ApiToken.objects.select_for_update().filter(user_id=self.pk, revoked_at=None).order_by("pk"):
            token.revoked_at = now
            token.save(update_fields=["revoked_at"])
            audit_append(
                action="token_revoked",
                actor=actor,
                object_type="core.apitoken",
                object_id=str(token.pk),
                object_repr=str(token),
                changes={"reason": "user_deactivated"},
            )

    def audit_store_id(self) -> int | None:
        return None


class Role(AuditedModel):
    """A named permission set: which menus a holder sees and which operations they may perform."""

    class Scope(models.TextChoices):
        STORE = "store", _("Stores granted by membership")
        GROUP = "group", _("Every store of the group")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.STORE)
    permissions = models.JSONField(_("permissions"), default=list, blank=True)
    landing = models.CharField(_("landing page"), max_length=40, default="general")

    audit_keys: ClassVar[AuditKeys] = {ANY_ACTION: {"permissions": AuditKey(choices=PERMISSIONS)}}

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name

    def audit_store_id(self) -> int | None:
        return None


class StaffMembership(StoreOwnedModel):
    """A user works in a store with one role there."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("role"))
    department = models.ForeignKey(
        "core.Department", on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("department")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("store membership")
        verbose_name_plural = _("store memberships")
        constraints = [models.UniqueConstraint(fields=["user", "store"], name="membership_one_role_per_store")]
        indexes = [models.Index(fields=["store", "role"], name="membership_store_role")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.store_id}: {self.role}"


class StaffProfile(AuditedModel):
    """Work facts about a staff member that the workshop plans with."""

    class SkillLevel(models.TextChoices):
        JUNIOR = "junior", _("Junior")
        INTERMEDIATE = "intermediate", _("Intermediate")
        SENIOR = "senior", _("Senior")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile", verbose_name=_("user"))
    employee_no = models.CharField(_("employee number"), max_length=20, blank=True)
    skill_level = models.CharField(_("skill level"), max_length=20, choices=SkillLevel.choices, blank=True)
    hired_on = models.DateField(_("hired on"), null=True, blank=True)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return str(self.user)

    def audit_store_id(self) -> int | None:
        return None


class Certificate(AuditedModel):
    """A qualification a technician holds, e.g. a brand certificate or EV high-voltage licence."""

    class Kind(models.TextChoices):
        BRAND = "brand", _("Brand certificate")
        EV_HIGH_VOLTAGE = "ev_hv", _("EV high-voltage")
        ELECTRICIAN = "electrician", _("Low-voltage electrician")
        PAINT = "paint", _("Paint and body")
        OTHER = "other", _("Other")

    profile = models.ForeignKey(
        StaffProfile, on_delete=models.CASCADE, related_name="certificates", verbose_name=_("staff profile")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    brand = models.ForeignKey("core.Brand", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("brand"))
    number = models.CharField(_("certificate number"), max_length=40, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")

    def __str__(self) -> str:
        return self.name

    def audit_store_id(self) -> int | None:
        return None
