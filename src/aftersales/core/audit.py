"""Writing and verifying the audit trail.

Every entry is linked to the one before it in its chain by a SHA-256 hash over the entry's
content and the previous hash, so that changing, removing or inserting a row afterwards breaks
the chain at that point, which ``audit_verify`` finds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from aftersales.core.models.audit import AuditChainHead, AuditEntry
from aftersales.core.scope import current_scope

if TYPE_CHECKING:
    from aftersales.core.models import User

GENESIS = "0" * 64


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
) -> AuditEntry:
    """Append one entry to the chain of ``store_id``. Locks that chain's head until commit."""
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
        entry.hash = entry_digest(entry)
        entry.save()
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
    return audit_append(
        action=action,
        store_id=store_id,
        object_type=f"{meta.app_label}.{meta.model_name}",
        object_id=str(instance.pk),
        object_repr=str(instance),
        changes=changes,
    )


@dataclass(frozen=True)
class BrokenLink:
    chain: int
    chain_seq: int
    entry_id: int | None
    reason: str


def _chain_entries(chain: int) -> Iterator[AuditEntry]:
    return AuditEntry.objects.filter(chain=chain).order_by("chain_seq").iterator(chunk_size=2000)


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
            expected_prev = entry.hash
            expected_seq += 1
        head = AuditChainHead.objects.filter(chain=chain).first()
        if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != expected_prev):
            return checked, BrokenLink(chain, expected_seq, None, "latest entries missing")
    return checked, None
