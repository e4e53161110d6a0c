"""The quality rules a store keeps: its standard final-inspection list, its washing standard and the order
types it does not wash, the free check explained at delivery, the comeback window, whether the province
issues release certificate numbers, and how often an internal quality evaluation samples how many delivered
orders. Each list is kept one check per entry."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.core.errors import ApplicationError
from aftersales.core.models import User
from aftersales.parts.services import store_access
from aftersales.quality.models import QualitySettings
from aftersales.quality.services.audits import EVERY_DAYS_MAX, SAMPLE_MAX
from aftersales.quality.services.common import quality_settings
from aftersales.quality.services.guarantees import guarantee_terms_problems, guarantee_terms_write
from aftersales.workshop.models import ServiceType

PERMISSION = "quality.settings"
CHECK_MAX = 60
LIST_MAX = 40
# The free check shown at delivery is the 24-point check (seed 004 §8): a store keeps 24 entries.
DELIVERY_CHECKS = 24


@dataclass
class SettingsIn:
    final_checks: list[str] = field(default_factory=list)
    wash_checks: list[str] = field(default_factory=list)
    wash_skip: list[str] = field(default_factory=list)
    delivery_checks: list[str] = field(default_factory=list)
    comeback_days: int = 30
    certificate_from_platform: bool = False
    # Quality evaluations (QC-4): an internal one every so many days (0: by hand only), of so many orders;
    # None: unchanged.
    audit_every_days: int | None = None
    audit_sample_size: int | None = None
    # The store's own guarantee per repair category: (days, km), both None for the law's; absent: unchanged.
    guarantees: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)


def _list_problems(
    errors: dict[str, list[str]], name: str, rows: list[str], *, exactly: int | None = None
) -> list[str]:
    cleaned = [row.strip() for row in rows if row.strip()]
    if exactly is not None and len(cleaned) != exactly:
        errors[name] = [
            _("Keep exactly %(n)d checks; this list has %(count)d.") % {"n": exactly, "count": len(cleaned)}
        ]
    elif exactly is None and not cleaned:
        errors[name] = [_("Keep at least one check.")]
    elif len(cleaned) > LIST_MAX:
        errors[name] = [_("At most %(n)d checks.") % {"n": LIST_MAX}]
    long = [row for row in cleaned if len(row) > CHECK_MAX]
    if long and name not in errors:
        errors[name] = [
            _("Each check at most %(n)d characters: “%(check)s”.") % {"n": CHECK_MAX, "check": long[0][:20]}
        ]
    duplicates = [row for index, row in enumerate(cleaned) if row in cleaned[:index]]
    if duplicates and name not in errors:
        errors[name] = [_("“%(check)s” is in the list twice.") % {"check": duplicates[0]}]
    return cleaned


def quality_settings_save(*, actor: User, store_id: int, data: SettingsIn) -> QualitySettings:
    """Keep the store's quality rules and its own repair guarantees (``quality.settings``); every wrong
    field is named and nothing is written. The settings row and each changed term are audited."""
    store = store_access(actor=actor, store_id=store_id, permission=PERMISSION)
    errors: dict[str, list[str]] = {}
    final = _list_problems(errors, "final_checks", data.final_checks)
    wash = _list_problems(errors, "wash_checks", data.wash_checks)
    delivery = _list_problems(errors, "delivery_checks", data.delivery_checks, exactly=DELIVERY_CHECKS)
    unknown = [kind for kind in data.wash_skip if kind not in ServiceType.values]
    if unknown:
        errors["wash_skip"] = [_("Choose among the listed order types.")]
    if not 1 <= data.comeback_days <= 730:
        errors["comeback_days"] = [_("Enter days from 1 to 730.")]
    if data.audit_every_days is not None and not 0 <= data.audit_every_days <= EVERY_DAYS_MAX:
        errors["audit_every_days"] = [_("Enter days from 0 (by hand only) to %(n)d.") % {"n": EVERY_DAYS_MAX}]
    if data.audit_sample_size is not None and not 1 <= data.audit_sample_size <= SAMPLE_MAX:
        errors["audit_sample_size"] = [_("Sample from 1 to %(n)d orders.") % {"n": SAMPLE_MAX}]
    errors.update(guarantee_terms_problems(data.guarantees))
    if errors:
        raise ApplicationError(_("Some fields need attention."), code="invalid", fields=errors, status=422)
    with transaction.atomic():
        row = QualitySettings.all_objects.select_for_update().filter(store=store).first() or quality_settings(store)
        row.final_checks, row.wash_checks, row.delivery_checks = final, wash, delivery
        row.wash_skip = sorted(set(data.wash_skip))
        row.comeback_days, row.certificate_from_platform = data.comeback_days, data.certificate_from_platform
        if data.audit_every_days is not None:
            row.audit_every_days = data.audit_every_days
        if data.audit_sample_size is not None:
            row.audit_sample_size = data.audit_sample_size
        row.save(actor=actor)
        guarantee_terms_write(actor=actor, store=store, terms=data.guarantees)
    return row
