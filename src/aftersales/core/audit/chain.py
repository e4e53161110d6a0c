"""Writing the audit trail (``verify`` checks it).

Every entry is linked to the one before it in its chain (one chain per store, 0 for group-level
events) by a keyed hash: HMAC-SHA256 over the entry's content and the previous hash, with a key that
comes from the environment (``AUDIT_KEYS``) and is never stored in the database. Changing, removing or
inserting a row breaks the chain at that point, which ``audit_verify`` finds; and someone who can
write the database but has no key cannot compute the hashes of a rewritten chain again.

Keys. The first key of ``AUDIT_KEYS`` signs, every key listed verifies. An entry names the key that
signed it by ``audit_key_id``, the start of an HMAC of a constant under that key, which reveals nothing
of it. When the signing key of a chain changes, the next append to that chain first writes an
``audit_key_changed`` entry, signed with the new key, naming the previous and the new key id;
verification accepts a change of key there and nowhere else. A key stays listed as long as the trail
holds entries it signed.

Entries written before the trail was keyed (``key_id`` empty, plain SHA-256) keep their hashes: they
are sealed, not re-keyed. Re-keying them would sign whatever the database holds at the upgrade, forged
or not, and make it look keyed. Instead migration 0006 appends to each such chain an
``audit_key_changed`` entry from "" to the signing key: its keyed hash covers the hash of the last
unkeyed entry, which covers every one before it. Verification accepts unkeyed entries only before
that seal; a chain of unkeyed entries without one is broken.

Checkpoints. The database alone cannot show that a chain's latest entries were cut off with its head
moved back, nor that a chain was rewritten by someone who holds the key. So the worker periodically
(``aftersales.schedule``) appends the head of every chain that moved to a file outside the database
(``AUDIT_CHECKPOINTS``), one signed line per chain, opened for appending only and synced to disk.
Verification checks every line's signature and that the database still holds each checkpointed hash at
its sequence; the entries written since the last checkpoint are protected by the keyed hashes only.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from aftersales.core.audit.models import AuditChainHead, AuditEntry, AuditPersonalData
from aftersales.core.current import current_scope

if TYPE_CHECKING:
    from aftersales.core.models import User


logger = logging.getLogger(__name__)


GENESIS = "0" * 64


PERSONAL_MARKER = "$personal"


ERASED = "\u2715"  # shown where an erased personal value was (✕)


# Shown on the trail-wide audit page and its export where a personal value is.
PERSONAL_HIDDEN = gettext_lazy("(personal data)")


# What a key id is an HMAC of, and what a checkpoint line's signature starts with (so that no signature
# of one kind can pass for another).
KEY_ID_MESSAGE = b"aftersales audit key id"


CHECKPOINT_DOMAIN = b"aftersales audit checkpoint\n"


TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class AuditChainError(RuntimeError):
    """A chain the application must not append to: its end was not written by it."""


class UnknownAuditKey(LookupError):
    """An entry or a checkpoint names a key that ``AUDIT_KEYS`` does not hold."""


def audit_key_id(key: bytes) -> str:
    """The id by which entries name the key that signed them; it reveals nothing of the key."""
    return hmac.new(key, KEY_ID_MESSAGE, hashlib.sha256).hexdigest()[:8]


@dataclass(frozen=True)
class AuditKeyring:
    """The audit keys by id; ``signing_id`` names the one that signs."""

    signing_id: str
    keys: Mapping[str, bytes]
    _prepared: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def sign(self, key_id: str, message: bytes) -> str:
        """HMAC-SHA256 of ``message`` with the key ``key_id`` (hex). Raises UnknownAuditKey."""
        prepared = self._prepared.get(key_id)
        if prepared is None:
            key = self.keys.get(key_id)
            if key is None:
                raise UnknownAuditKey(key_id)
            prepared = self._prepared[key_id] = hmac.new(key, digestmod=hashlib.sha256)
        mac = prepared.copy()  # a prepared key's state, copied: cheaper than a new HMAC per entry
        mac.update(message)
        return str(mac.hexdigest())


def audit_keyring() -> AuditKeyring:
    """The keys of ``AUDIT_KEYS``; without any, one derived from SECRET_KEY (a single local machine)."""
    return _keyring(tuple(settings.AUDIT_KEYS), settings.SECRET_KEY)


@functools.lru_cache(maxsize=8)
def _keyring(configured: tuple[str, ...], secret_key: str) -> AuditKeyring:
    texts = [text for text in configured if text] or [hashlib.sha256(f"audit-key:{secret_key}".encode()).hexdigest()]
    keys: dict[str, bytes] = {}
    for text in texts:
        key = text.encode()
        key_id = audit_key_id(key)
        if keys.setdefault(key_id, key) != key:
            raise ImproperlyConfigured("Two keys of AFTERSALES_AUDIT_KEYS have the same key id: replace one of them.")
    return AuditKeyring(signing_id=audit_key_id(texts[0].encode()), keys=keys)


def _plain(value: Any) -> Any:
    """Turn a value into what JSON stores, so that what is hashed equals what is read back."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def entry_content(entry: AuditEntry) -> bytes:
    """What an entry's hash covers: its content, its key id (an unkeyed entry has none) and the previous hash."""
    content = {
        "chain": entry.chain,
        "seq": entry.chain_seq,
        "at": entry.created_at.astimezone(UTC).strftime(TIME_FORMAT),
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
    if entry.key_id:
        content["key"] = entry.key_id
    return _canonical(content)


def _digest(entry: AuditEntry, keyring: AuditKeyring) -> str:
    if not entry.key_id:
        return hashlib.sha256(entry_content(entry)).hexdigest()
    return keyring.sign(entry.key_id, entry_content(entry))


def entry_digest(entry: AuditEntry) -> str:
    """The hash of ``entry``: HMAC-SHA256 with the key it names, or SHA-256 for an unkeyed one.

    Raises UnknownAuditKey when ``AUDIT_KEYS`` holds no key of the entry's key id.
    """
    return _digest(entry, audit_keyring())


def _link(head: AuditChainHead, entry: AuditEntry, keyring: AuditKeyring) -> None:
    """Sign ``entry`` as the next link of the locked ``head``'s chain and save it; move ``head`` (in memory)."""
    entry.chain_seq = head.last_seq + 1
    entry.prev_hash = head.last_hash
    entry.key_id = keyring.signing_id
    entry.hash = _digest(entry, keyring)
    entry.save()
    head.last_seq, head.last_hash, head.last_key_id = entry.chain_seq, entry.hash, entry.key_id


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
    When the chain's last entry was signed with another key, an ``audit_key_changed`` entry signed with
    the signing key comes first. A chain ending in an unsigned entry is refused (``AuditChainError``):
    only the upgrade to keyed hashes seals unsigned entries.
    """
    scope = current_scope()
    if client_ip is None and scope is not None:
        client_ip = scope.client_ip
    keyring = audit_keyring()
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
        if head.last_seq and not head.last_key_id:
            # Unsigned entries are sealed once, by the upgrade to keyed hashes (migration 0007); a chain
            # that ends in one now was changed outside the app. Sealing it here would sign a forgery.
            logger.error("Audit chain %s ends in an unsigned entry: refusing to append to it.", chain)
            raise AuditChainError(
                f"Audit chain {chain} ends in an unsigned entry that no upgrade sealed: the database was "
                "changed outside the application. Run `aftersales audit verify`."
            )
        if head.last_seq and head.last_key_id != keyring.signing_id:
            change = {"from": head.last_key_id, "to": keyring.signing_id}
            key_changed = AuditEntry(
                chain=chain,
                created_at=timezone.now(),
                store_id=store_id,
                action=AuditEntry.Action.AUDIT_KEY_CHANGED,
                changes=change,
            )
            _link(head, key_changed, keyring)
        entry = AuditEntry(
            chain=chain,
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
        )
        kept = _set_aside(entry, subject, personal)
        _link(head, entry, keyring)
        if kept is not None:
            kept.entry = entry
            kept.save()
        AuditChainHead.objects.filter(chain=chain).update(
            last_seq=head.last_seq, last_hash=head.last_hash, last_key_id=head.last_key_id
        )
    return entry


def audit_record_change(
    *,
    instance: models.Model,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    actor: User | None,
) -> AuditEntry | None:
    """Record a create / update / delete of a business record with its changed fields, by ``actor``."""
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
        actor=actor,
        store_id=store_id,
        object_type=f"{meta.app_label}.{meta.model_name}",
        object_id=str(instance.pk),
        object_repr=instance.audit_repr() if hasattr(instance, "audit_repr") else str(instance),
        changes=changes,
        subject=instance.audit_subject() if personal and hasattr(instance, "audit_subject") else "",
        personal=personal,
    )


def _marker(salt: str, key: str, position: int, value: Any) -> dict[str, str]:
    payload = json.dumps([salt, key, position, value], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return {PERSONAL_MARKER: hashlib.sha256(payload.encode()).hexdigest()}


def _is_marker(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {PERSONAL_MARKER}


def _has_marker(changes: dict[str, Any] | None) -> bool:
    """Some value of ``changes``, or a part of a list value, is a marker (where ``_set_aside`` puts them)."""
    for value in (changes or {}).values():
        if isinstance(value, list):
            if any(_is_marker(part) for part in value):
                return True
        elif _is_marker(value):
            return True
    return False


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
    marked = [entry.pk for entry in entries if _has_marker(entry.changes)]
    kept = AuditPersonalData.objects.in_bulk(marked) if marked else {}
    for entry in entries:
        if entry.pk in marked:
            entry.changes = _restored(entry.changes, kept.get(entry.pk))
    return entries


def _masks(object_type: str) -> dict[str, Any]:
    try:
        return getattr(apps.get_model(object_type), "personal_masks", {}) if object_type else {}
    except (LookupError, ValueError):
        return {}


def _masked(changes: dict[str, Any], masks: dict[str, Any]) -> dict[str, Any]:
    kept = {ERASED, str(PERSONAL_HIDDEN)}

    def masked(mask: Any, value: Any) -> Any:
        if value is None or value == "" or (isinstance(value, str) and value in kept):
            return value
        if isinstance(value, list):
            return [masked(mask, part) for part in value]
        return mask(str(value))

    return {key: masked(masks[key], value) if key in masks else value for key, value in changes.items()}


def audit_masked(entry: AuditEntry) -> dict[str, Any]:
    """An entry's changes as a reader without the right to see personal data reads them: each key
    its model declares in ``personal_masks`` masked that way (an erased or empty value as it is)."""
    return _masked(entry.changes or {}, _masks(entry.object_type))


def audit_trail_shown(entry: AuditEntry) -> dict[str, Any]:
    """An entry as the trail-wide page and its export show it: personal values hidden (they show on the
    person's own record, by role), and the values its model masks (``personal_masks``, e.g. a
    company's bank account) masked."""
    return _masked(audit_personal_hidden(entry.changes or {}), _masks(entry.object_type))


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
