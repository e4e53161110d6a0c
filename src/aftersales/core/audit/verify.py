"""Verifying the audit trail: the keyed hash chains, and the checkpoints written to a file outside the
database (see ``chain`` for how the trail is protected)."""

from __future__ import annotations

import hmac
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from aftersales.core.audit.chain import (
    CHECKPOINT_DOMAIN,
    GENESIS,
    TIME_FORMAT,
    AuditKeyring,
    UnknownAuditKey,
    _canonical,
    _digest,
    _personal_intact,
    audit_keyring,
)
from aftersales.core.audit.models import AuditChainHead, AuditEntry


def checkpoint_line(*, chain: int, seq: int, hash: str, at: str, keyring: AuditKeyring) -> bytes:
    """One line of the checkpoint file: a chain's head at a time, signed with the signing key."""
    record: dict[str, Any] = {"at": at, "chain": chain, "hash": hash, "key": keyring.signing_id, "seq": seq}
    record["mac"] = keyring.sign(keyring.signing_id, CHECKPOINT_DOMAIN + _canonical(record))
    return _canonical(record) + b"\n"


def _append_synced(path: Path, data: bytes) -> None:
    """Append ``data`` to ``path`` (created if missing, mode 600) and sync it to disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        size = os.fstat(descriptor).st_size
        if size and os.pread(descriptor, 1, size - 1) != b"\n":
            data = b"\n" + data  # a write cut short left a line without its end: start a line of our own
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    if created:  # the new file's name is durable only once its folder is synced too
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def audit_checkpoint_write(*, every_chain: bool = False) -> int:
    """Append the head of every chain that moved since its last checkpoint (``every_chain``: of every
    chain) to the checkpoint file; return the number of lines written.

    Idempotent: nothing appended since, nothing written. A head counts as checkpointed in the database
    only once its line is on disk; a run stopped in between writes it again next time (a repeated line
    is harmless).
    """
    heads = AuditChainHead.objects.filter(last_seq__gt=0).order_by("chain")
    if not every_chain:
        heads = heads.filter(last_seq__gt=F("checkpoint_seq"))
    moved = list(heads.values_list("chain", "last_seq", "last_hash"))
    if not moved:
        return 0
    keyring = audit_keyring()
    at = timezone.now().astimezone(UTC).strftime(TIME_FORMAT)
    lines = [checkpoint_line(chain=chain, seq=seq, hash=last, at=at, keyring=keyring) for chain, seq, last in moved]
    _append_synced(Path(settings.AUDIT_CHECKPOINTS), b"".join(lines))
    with transaction.atomic():
        for chain, seq, _last in moved:
            AuditChainHead.objects.filter(chain=chain, checkpoint_seq__lt=seq).update(checkpoint_seq=seq)
    return len(moved)


@dataclass(frozen=True)
class BrokenLink:
    """The first problem ``audit_verify`` found; ``line`` is the checkpoint file's line when it is there."""

    chain: int | None
    chain_seq: int | None
    entry_id: int | None
    reason: str
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    chain: int
    seq: int
    hash: str
    at: str
    line: int


@dataclass
class CheckpointLog:
    """The checkpoint file as read and checked: its lines by chain and sequence, or its first bad line."""

    path: Path
    exists: bool
    pins: dict[int, dict[int, Checkpoint]] = field(default_factory=dict)
    lines: int = 0
    latest_at: str = ""
    broken: BrokenLink | None = None


def checkpoint_log_read(path: Path | None = None) -> CheckpointLog:
    """Read the checkpoint file (``AUDIT_CHECKPOINTS``) and check every line's signature."""
    log = CheckpointLog(path=Path(settings.AUDIT_CHECKPOINTS) if path is None else path, exists=False)
    if not log.path.exists():
        return log
    log.exists = True
    keyring = audit_keyring()
    with log.path.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            try:
                record = json.loads(raw)
                mac = record.pop("mac")
                chain, seq, hash_, at, key_id = (record[name] for name in ("chain", "seq", "hash", "at", "key"))
                readable = set(record) == {"chain", "seq", "hash", "at", "key"} and isinstance(chain, int)
                readable = readable and isinstance(seq, int) and isinstance(hash_, str) and isinstance(at, str)
            except (ValueError, KeyError, TypeError, AttributeError):
                readable = False
            if not readable:
                log.broken = BrokenLink(None, None, None, "line cannot be read (edited, or a write cut short)", number)
                return log
            try:
                expected = keyring.sign(str(key_id), CHECKPOINT_DOMAIN + _canonical(record))
            except UnknownAuditKey:
                reason = f"signed with key {key_id}, which AFTERSALES_AUDIT_KEYS does not hold"
                log.broken = BrokenLink(chain, seq, None, reason, number)
                return log
            if not isinstance(mac, str) or not hmac.compare_digest(expected, mac):
                log.broken = BrokenLink(chain, seq, None, "checkpoint signature does not match (line changed)", number)
                return log
            known = log.pins.setdefault(chain, {}).get(seq)
            if known is not None and known.hash != hash_:
                reason = f"two checkpoints of this sequence disagree (lines {known.line} and {number})"
                log.broken = BrokenLink(chain, seq, None, reason, number)
                return log
            log.pins[chain][seq] = Checkpoint(chain, seq, hash_, at, number)
            log.lines = number
            log.latest_at = max(log.latest_at, at)
    return log


def _chain_entries(chain: int) -> Iterator[AuditEntry]:
    entries = AuditEntry.objects.filter(chain=chain).select_related("personal").order_by("chain_seq")
    return entries.iterator(chunk_size=2000)


def _key_problem(entry: AuditEntry, signed_by: str | None, keyring: AuditKeyring) -> str | None:
    """What is wrong with the key of ``entry``, the previous entry signed by ``signed_by`` ("" unkeyed,
    None: no previous entry)."""
    if not entry.key_id:
        return "unkeyed entry after signed ones" if signed_by else None
    if entry.key_id not in keyring.keys:
        return f"signed with key {entry.key_id}, which AFTERSALES_AUDIT_KEYS does not hold"
    if signed_by is not None and entry.key_id != signed_by:
        announced = entry.action == AuditEntry.Action.AUDIT_KEY_CHANGED
        if not announced or entry.changes != {"from": signed_by, "to": entry.key_id}:
            return "signing key changed without an audit_key_changed entry"
    return None


def _verify_chain(chain: int, log: CheckpointLog, keyring: AuditKeyring) -> tuple[int, BrokenLink | None]:
    pins = log.pins.get(chain, {})
    checked = 0
    expected_prev, expected_seq, signed_by = GENESIS, 1, None
    for entry in _chain_entries(chain):
        checked += 1
        seq = entry.chain_seq
        if seq != expected_seq:
            return checked, BrokenLink(chain, expected_seq, entry.pk, "entry missing before this one")
        if entry.prev_hash != expected_prev:
            return checked, BrokenLink(chain, seq, entry.pk, "link to previous entry broken")
        problem = _key_problem(entry, signed_by, keyring)
        if problem is not None:
            return checked, BrokenLink(chain, seq, entry.pk, problem)
        if _digest(entry, keyring) != entry.hash:
            return checked, BrokenLink(chain, seq, entry.pk, "entry content changed")
        kept = getattr(entry, "personal", None)
        if kept is not None and not _personal_intact(entry, kept):
            return checked, BrokenLink(chain, seq, entry.pk, "personal values changed")
        pin = pins.get(seq)
        if pin is not None and pin.hash != entry.hash:
            reason = f"entry differs from the checkpoint of {pin.at} (chain rewritten)"
            return checked, BrokenLink(chain, seq, entry.pk, reason, pin.line)
        expected_prev, signed_by = entry.hash, entry.key_id
        expected_seq += 1
    if signed_by == "":
        return checked, BrokenLink(chain, expected_seq, None, "unkeyed entries not sealed by a signed entry")
    head = AuditChainHead.objects.filter(chain=chain).first()  # read after the entries, as an append moves it
    if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != expected_prev):
        return checked, BrokenLink(chain, expected_seq, None, "latest entries missing")
    beyond = max(pins, default=0)
    if beyond >= expected_seq:
        pin = pins[beyond]
        reason = f"latest entries missing: the checkpoint of {pin.at} has sequence {beyond}"
        return checked, BrokenLink(chain, expected_seq, None, reason, pin.line)
    if head is not None and head.checkpoint_seq and head.checkpoint_seq not in pins:
        where = "the checkpoint file is missing" if not log.exists else "the checkpoint file lacks it (cut or replaced)"
        return checked, BrokenLink(chain, head.checkpoint_seq, None, f"checkpointed head not in the file: {where}")
    return checked, None


def audit_verify(*, checkpoints: CheckpointLog | None = None) -> tuple[int, BrokenLink | None]:
    """Walk every chain; return the number of entries checked and the first broken link, if any.

    Each entry's keyed hash (SHA-256 before its chain's seal), its link to the one before and where
    the signing key changed; then the checkpoint file (``checkpoints``, default: read it): every line's
    signature, and that the database still holds each checkpointed hash at its sequence.
    """
    log = checkpoints if checkpoints is not None else checkpoint_log_read()
    if log.broken is not None:
        return 0, log.broken
    keyring = audit_keyring()
    chains = sorted(
        set(AuditEntry.objects.values_list("chain", flat=True).distinct())
        | set(AuditChainHead.objects.values_list("chain", flat=True))
        | set(log.pins)
    )
    checked = 0
    for chain in chains:
        count, broken = _verify_chain(chain, log, keyring)
        checked += count
        if broken is not None:
            return checked, broken
    return checked, None
