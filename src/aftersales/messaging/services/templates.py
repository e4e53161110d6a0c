"""Message templates: saved only when every placeholder is a declared variable."""

from __future__ import annotations

import re
import string
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.core.errors import ApplicationError
from aftersales.core.models import User
from aftersales.messaging.models import Channel, MessageClass, MessageTemplate

_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
_TEXTS = ("subject_zh", "subject_en", "body_zh", "body_en")
_FIELDS = (
    "event",
    "channel",
    "message_class",
    "urgent",
    "variables",
    *_TEXTS,
    "sms_sign_name",
    "sms_template_code",
    "is_active",
)


def placeholders(text: str) -> list[str]:
    """The ``{name}`` placeholders of a text, in order (a malformed brace raises ValueError)."""
    return [name for _literal, name, _spec, _conversion in string.Formatter().parse(text) if name is not None]


def render(text: str, variables: dict[str, str]) -> str:
    return text.format_map(variables)


def template_clean(data: dict[str, Any], *, instance: MessageTemplate | None = None) -> dict[str, Any]:
    """The template's fields checked, every error on its field; raises 422 with them all."""
    values = {name: getattr(instance, name) for name in _FIELDS} if instance is not None else {}
    values.update({name: data[name] for name in _FIELDS if name in data})
    errors: dict[str, list[str]] = {}
    event = str(values.get("event") or "").strip()
    if not _NAME.fullmatch(event):
        errors["event"] = [_("Use lower-case letters, digits and underscores, starting with a letter.")]
    if values.get("channel") not in Channel.values:
        errors["channel"] = [_("Choose one of the listed values.")]
    if values.get("message_class") not in MessageClass.values:
        errors["message_class"] = [_("Choose one of the listed values.")]
    declared = values.get("variables") or []
    if not isinstance(declared, list) or not all(isinstance(name, str) and _NAME.fullmatch(name) for name in declared):
        errors["variables"] = [_("List the variables' names: lower-case letters, digits and underscores.")]
        declared = []
    if len(set(declared)) != len(declared):
        errors.setdefault("variables", []).append(_("A variable is declared twice."))
    if not str(values.get("body_zh") or "").strip():
        errors["body_zh"] = [_("This field is required.")]
    for name in _TEXTS:
        text = str(values.get(name) or "")
        try:
            used = placeholders(text)
        except ValueError:
            errors.setdefault(name, []).append(_("A brace is not closed: write placeholders as {name}."))
            continue
        unknown = sorted({item for item in used if item not in declared})
        if unknown:
            errors.setdefault(name, []).append(
                _("Unknown variable %(names)s: declare it, or use one of %(declared)s.")
                % {"names": ", ".join(unknown), "declared": ", ".join(declared) or "—"}
            )
    if values.get("channel") == Channel.SMS:
        for name in ("sms_sign_name", "sms_template_code"):
            if not str(values.get(name) or "").strip():
                errors[name] = [_("An SMS template needs the provider's approved signature and template code.")]
    if values.get("channel") == Channel.EMAIL and not str(values.get("subject_zh") or "").strip():
        errors["subject_zh"] = [_("An e-mail needs a subject.")]
    clash = MessageTemplate.objects.filter(event=event, channel=values.get("channel"))
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    if "event" not in errors and clash.exists():
        errors["event"] = [_("This event has a template for this channel already.")]
    if errors:
        raise ApplicationError(_("Some fields are not valid."), code="invalid", fields=errors, status=422)
    values["event"] = event
    values["variables"] = declared
    return values


@transaction.atomic
def template_save(*, actor: User | None, data: dict[str, Any], template_id: int | None = None) -> MessageTemplate:
    """Create a template, or change one (its version goes up); audited (``actor`` None: the system)."""
    instance = None
    if template_id is not None:
        instance = MessageTemplate.objects.select_for_update().filter(pk=template_id).first()
        if instance is None:
            raise ApplicationError(_("Not found."), code="not_found", status=404)
    values = template_clean(data, instance=instance)
    template = instance or MessageTemplate()
    for name, value in values.items():
        setattr(template, name, value)
    if instance is not None:
        template.version += 1
    template.save(actor=actor)
    return template
