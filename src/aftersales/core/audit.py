"""Writing and verifying the audit trail.

Every entry is linked to the one before it in its chain by a SHA-256 hash over the entry's
content and the previous hash, so that changing, removing or inserting a row afterwards breaks
the chain at that point, which ``audit_verify`` finds.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from aftersales.core.models.audit import AuditChainHead, AuditEntry, AuditPersonalData
from aftersales.core.scope import current_scope

if TYPE_CHECKING:
    from aftersales.core.models import User

GENESIS = "0" * 64
PERSONAL_MARKER = "$personal"
ERASED = "\u2715"  # shown where an erased personal value was (✕)
# Shown on the trail-wide audit page and its export where a personal value is.
PERSONAL_HIDDEN = gettext_lazy("(personal data)")


def _plain(value: Any) -> Any:
    """Turn a value into what JSON stores, so that what is hashed equals what is read back."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def entry_digest(entry: AuditEntry) -> str:
    created = entry.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    content = {
        "chain": entry.chain,
        "seq": entry.chain_seq,
        "at": created,
        "actor": entry.actor_id,
        "username": entry.actor_username,
        "store": entry.store_id,
        "action": entry.action,
        "type": entry.object_type,
        "id": entry.object_id,
        "repr": entry.object_repr,
        "changes": entry.changes,
        "ip": entry.client_ip,
        "prev": entry.prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def audit_append(
    *,
    action: str,
    store_id: int | None = None,
    actor: User | None = None,
    actor_username: str | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    changes: dict[str, Any] | None = None,
    client_ip: str | None = None,
    subject: str = "",
    personal: frozenset[str] = frozenset(),
) -> AuditEntry:
    """Append one entry to the chain of ``store_id``. Locks that chain's head until commit.

    The values of the ``personal`` keys of ``changes`` are the personal data of ``subject``: the entry
    keeps salted digests of them and the values go beside it, erasable with ``audit_personal_erase``.
    """
    scope = current_scope()
    if actor is None and scope is not None and scope.user is not None and scope.user.is_authenticated:
        actor = scope.user
    if client_ip is None and scope is not None:
        client_ip = scope.client_ip
    chain = store_id or 0
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().filter(chain=chain).first()
        if head is None:
            try:
                with transaction.atomic():
                    AuditChainHead.objects.create(chain=chain)
            except IntegrityError:
                pass
            head = AuditChainHead.objects.select_for_update().get(chain=chain)
        entry = AuditEntry(
            chain=chain,
            chain_seq=head.last_seq + 1,
            created_at=timezone.now(),
            actor=actor if actor is not None and actor.pk else None,
            actor_username=(actor_username if actor_username is not None else (actor.username if actor else ""))[:150],
            store_id=store_id,
            action=action,
            object_type=object_type,
            object_id=str(object_id)[:64],
            object_repr=object_repr[:200],
            changes=_plain(changes or {}),
            client_ip=client_ip,
            prev_hash=head.last_hash,
        )
        kept = _set_aside(entry, subject, personal)
        entry.hash = entry_digest(entry)
        entry.save()
        if kept is not None:
            kept.entry = entry
            kept.save()
        AuditChainHead.objects.filter(chain=chain).update(last_seq=entry.chain_seq, last_hash=entry.hash)
    return entry


def audit_record_change(
    *, instance: models.Model, action: str, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> AuditEntry | None:
    """Record a create / update / delete of a business record with its changed fields."""
    before_plain = _plain(before or {})
    after_plain = _plain(after or {})
    keys = sorted(set(before_plain) | set(after_plain))
    changes = {
        key: [before_plain.get(key), after_plain.get(key)]
        for key in keys
        if before_plain.get(key) != after_plain.get(key)
    }
    if action == "update" and not changes:
        return None
    meta = instance._meta
    store_id = instance.audit_store_id() if hasattr(instance, "audit_store_id") else None
    personal: frozenset[str] = getattr(instance, "audit_personal", frozenset())
    return audit_append(
        action=action,
        store_id=store_id,
        object_type=f"{meta.app_label}.{meta.model_name}",
        object_id=str(instance.pk),
        object_repr=instance.audit_repr() if hasattr(instance, "audit_repr") else str(instance),
        changes=changes,
        subject=instance.audit_subject() if personal and hasattr(instance, "audit_subject") else "",
        personal=personal,
    )


# --- erasable personal values -----------------------------------------------------------------------


def _marker(salt: str, key: str, position: int, value: Any) -> dict[str, str]:
    payload = json.dumps([salt, key, position, value], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return {PERSONAL_MARKER: hashlib.sha256(payload.encode()).hexdigest()}


def _is_marker(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {PERSONAL_MARKER}


def _set_aside(entry: AuditEntry, subject: str, personal: frozenset[str]) -> AuditPersonalData | None:
    """Replace the personal values of ``entry.changes`` by markers; return the row that keeps them."""
    if not subject or not personal:
        return None
    salt = secrets.token_hex(16)
    kept: dict[str, Any] = {}
    changes = dict(entry.changes)
    for key in sorted(personal & set(changes)):
        value = changes[key]
        parts = value if isinstance(value, list) else [value]
        if all(part in (None, "", []) for part in parts):
            continue
        kept[key] = value
        marked = [part if part in (None, "", []) else _marker(salt, key, i, part) for i, part in enumerate(parts)]
        changes[key] = marked if isinstance(value, list) else marked[0]
    if not kept:
        return None
    entry.changes = changes
    return AuditPersonalData(subject=subject, salt=salt, values=kept)


def _restored(changes: dict[str, Any], kept: AuditPersonalData | None) -> dict[str, Any]:
    restored = dict(changes)
    for key, value in changes.items():
        parts = value if isinstance(value, list) else [value]
        if not any(_is_marker(part) for part in parts):
            continue
        original = kept.values.get(key) if kept is not None else None
        if original is None:
            shown = [ERASED if _is_marker(part) else part for part in parts]
            restored[key] = shown if isinstance(value, list) else shown[0]
        else:
            restored[key] = original
    return restored


def audit_personal_fill(entries: Iterable[AuditEntry]) -> list[AuditEntry]:
    """Put the personal values back into ``entries`` for display (one query); erased ones show ERASED.

    Only the in-memory objects change (entries are append-only and never saved again).
    """
    entries = list(entries)
    marked = [entry.pk for entry in entries if PERSONAL_MARKER in json.dumps(entry.changes)]
    kept = AuditPersonalData.objects.in_bulk(marked) if marked else {}
    for entry in entries:
        if entry.pk in marked:
            entry.changes = _restored(entry.changes, kept.get(entry.pk))
    return entries


def audit_masked(entry: AuditEntry) -> dict[str, Any]:
    """An entry's changes as a reader without the right to see personal data reads them: each key
    its model declares in ``personal_masks`` masked that way (an erased or empty value as it is)."""
    from django.apps import apps

    changes: dict[str, Any] = entry.changes or {}
    try:
        masks = getattr(apps.get_model(entry.object_type), "personal_masks", {}) if entry.object_type else {}
    except (LookupError, ValueError):
        masks = {}

    def masked(mask: Any, value: Any) -> Any:
        if value is None or value == "" or value == ERASED:
            return value
        if isinstance(value, list):
            return [masked(mask, part) for part in value]
        return mask(str(value))

    return {key: masked(masks[key], value) if key in masks else value for key, value in changes.items()}


def audit_personal_hidden(changes: dict[str, Any]) -> dict[str, Any]:
    """``changes`` with every personal value shown as PERSONAL_HIDDEN (for the trail-wide audit page)."""
    hidden = {}
    for key, value in changes.items():
        parts = value if isinstance(value, list) else [value]
        shown = [str(PERSONAL_HIDDEN) if _is_marker(part) else part for part in parts]
        hidden[key] = shown if isinstance(value, list) else shown[0]
    return hidden


def audit_personal_erase(subjects: Iterable[str]) -> int:
    """Erase the personal values the trail holds about ``subjects``; return the number of entries touched."""
    erased, _by_model = AuditPersonalData.objects.filter(subject__in=list(subjects)).delete()
    return erased


def _personal_intact(entry: AuditEntry, kept: AuditPersonalData) -> bool:
    """The kept values still match the markers the entry's hash covers."""
    for key, value in kept.values.items():
        marked = entry.changes.get(key)
        parts = value if isinstance(value, list) else [value]
        marks = marked if isinstance(marked, list) else [marked]
        if len(parts) != len(marks):
            return False
        for position, (part, mark) in enumerate(zip(parts, marks, strict=True)):
            expected = part if part in (None, "", []) else _marker(kept.salt, key, position, part)
            if mark != expected:
                return False
    return True


@dataclass(frozen=True)
class BrokenLink:
    chain: int
    chain_seq: int
    entry_id: int | None
    reason: str


def _chain_entries(chain: int) -> Iterator[AuditEntry]:
    entries = AuditEntry.objects.filter(chain=chain).select_related("personal").order_by("chain_seq")
    return entries.iterator(chunk_size=2000)


def audit_verify() -> tuple[int, BrokenLink | None]:
    """Walk every chain; return the number of entries checked and the first broken link, if any."""
    checked = 0
    chains = sorted(
        set(AuditEntry.objects.values_list("chain", flat=True).distinct())
        | set(AuditChainHead.objects.values_list("chain", flat=True))
    )
    for chain in chains:
        expected_prev = GENESIS
        expected_seq = 1
        for entry in _chain_entries(chain):
            checked += 1
            if entry.chain_seq != expected_seq:
                return checked, BrokenLink(chain, expected_seq, entry.pk, "entry missing before this one")
            if entry.prev_hash != expected_prev:
                return checked, BrokenLink(chain, entry.chain_seq, entry.pk, "link to previous entry broken")
            if entry_digest(entry) != entry.hash:
                return checked, BrokenLink(chain, entry.chain_seq, entry.pk, "entry content changed")
            kept = getattr(entry, "personal", None)
            if kept is not None and not _personal_intact(entry, kept):
                return checked, BrokenLink(chain, entry.chain_seq, entry.pk, "personal values changed")
            expected_prev = entry.hash
            expected_seq += 1
        head = AuditChainHead.objects.filter(chain=chain).first()
        if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != expected_prev):
            return checked, BrokenLink(chain, expected_seq, None, "latest entries missing")
    return checked, None
