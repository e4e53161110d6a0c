"""The keyed audit chain: forgeries a database writer can make, key changes, the seal of the trail written
before keyed hashes, and the checkpoint file outside the database."""

import hashlib
import hmac
import importlib
import io
import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client, override_settings

from aftersales.conftest import World
from aftersales.core.audit import (
    GENESIS,
    AuditChainError,
    BrokenLink,
    audit_append,
    audit_checkpoint_write,
    audit_key_id,
    audit_keyring,
    audit_verify,
    entry_content,
    entry_digest,
)
from aftersales.core.models import AuditChainHead, AuditEntry, Bay, User
from aftersales.schedule import audit_checkpoint

TEST_KEY = settings.AUDIT_KEYS[0]
NEW_KEY = "the-next-audit-key-abcdefghijklmnopqrstuvwxyz-0123"
FORGER_KEY = "a-key-the-forger-made-up-abcdefghijklmnopqrstuvwxyz"


def _id(key: str) -> str:
    return audit_key_id(key.encode())


def _chain(chain: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(chain=chain).order_by("chain_seq"))


def _rewrite(entry: AuditEntry, **columns: object) -> None:
    """Write columns of an entry past the ORM's append-only guard, as anyone who can write the database can."""
    assignments = ", ".join(f"{connection.ops.quote_name(name)} = %s" for name in columns)
    with connection.cursor() as cursor:
        # The column names are this module's own, quoted.
        sql = f"UPDATE core_auditentry SET {assignments} WHERE id = %s"  # noqa: S608
        cursor.execute(sql, [*columns.values(), entry.pk])


def _rechain(
    chain: int, *, start: int, digest: Callable[[AuditEntry], str], key_id: str | None = None, end: int | None = None
) -> None:
    """Link the entries of ``chain`` from sequence ``start`` (to ``end``, default the last, which moves the
    head too) again with ``digest``, under ``key_id`` when given: a forger covering up a change."""
    entries = _chain(chain)
    previous = entries[start - 2].hash if start > 1 else GENESIS
    for entry in entries[start - 1 : end]:
        entry.prev_hash = previous
        entry.key_id = entry.key_id if key_id is None else key_id
        entry.hash = digest(entry)
        _rewrite(entry, object_repr=entry.object_repr, prev_hash=entry.prev_hash, key_id=entry.key_id, hash=entry.hash)
        previous = entry.hash
    if end is None:
        AuditChainHead.objects.filter(chain=chain).update(last_hash=previous, last_key_id=entries[-1].key_id)


def _sha256(entry: AuditEntry) -> str:
    """The digest of the trail before keyed hashes, which anyone can compute."""
    return hashlib.sha256(entry_content(entry)).hexdigest()


def _forger_hmac(entry: AuditEntry) -> str:
    return hmac.new(FORGER_KEY.encode(), entry_content(entry), hashlib.sha256).hexdigest()


def _forge(world: World, seq: int) -> AuditEntry:
    """Change what the entry ``seq`` of SH01's chain says (no hash recomputed yet)."""
    victim = _chain(world.sh.pk)[seq - 1]
    _rewrite(victim, object_repr="forged")
    return victim


def _verify_fails(match: str) -> None:
    with pytest.raises(CommandError, match=match):
        call_command("audit", "verify", stdout=io.StringIO())


def test_entries_are_signed_with_the_first_key_and_name_it(world: World) -> None:
    entries = AuditEntry.objects.all()
    assert set(entries.values_list("key_id", flat=True)) == {_id(TEST_KEY)}
    entry = _chain(world.sh.pk)[0]
    expected = hmac.new(TEST_KEY.encode(), entry_content(entry), hashlib.sha256).hexdigest()
    assert entry.hash == entry_digest(entry) == expected
    assert json.loads(entry_content(entry))["key"] == _id(TEST_KEY)
    assert TEST_KEY not in json.dumps(list(entries.values()), default=str)
    assert audit_verify() == (entries.count(), None)


@pytest.mark.parametrize(
    ("start", "key_id", "digest", "problem"),
    [
        # Every later hash recomputed with the plain SHA-256 that chained the trail before.
        (4, "", _sha256, "unkeyed entry after signed ones"),
        # The whole chain made over as a trail of before, with no signed entry left.
        (1, "", _sha256, "unkeyed entries not sealed by a signed entry"),
        # HMAC with a key of the forger's own, under the real key's id or under its own.
        (4, None, _forger_hmac, "entry content changed"),
        (
            4,
            _id(FORGER_KEY),
            _forger_hmac,
            f"signed with key {_id(FORGER_KEY)}, which AFTERSALES_AUDIT_KEYS does not hold",
        ),
    ],
)
def test_verify_catches_a_changed_entry_rechained_without_the_key(
    world: World, start: int, key_id: str | None, digest: Callable[[AuditEntry], str], problem: str
) -> None:
    victim = _forge(world, 4)
    _rechain(world.sh.pk, start=start, digest=digest, key_id=key_id)
    last = _chain(world.sh.pk)[-1]

    _checked, broken = audit_verify()

    assert broken is not None
    if problem.startswith("unkeyed entries not sealed"):
        assert (broken.chain, broken.chain_seq, broken.entry_id, broken.reason) == (
            world.sh.pk,
            last.chain_seq + 1,
            None,
            problem,
        )
    else:
        assert (broken.chain, broken.chain_seq, broken.entry_id, broken.reason) == (world.sh.pk, 4, victim.pk, problem)
    _verify_fails(f"chain {world.sh.pk}, sequence {broken.chain_seq}")


def test_the_application_never_seals_a_chain_made_over_as_unsigned(world: World) -> None:
    """Only the upgrade seals unsigned entries: a chain a forger made over as a trail of before (which
    nothing checkpointed yet) is refused, not signed, by the next entry, and verify reports it."""
    victim = _forge(world, 4)
    _rechain(world.sh.pk, start=1, digest=_sha256, key_id="")
    entries_before = AuditEntry.objects.count()

    with pytest.raises(AuditChainError, match=f"Audit chain {world.sh.pk} ends in an unsigned entry"):
        audit_append(action="update", store_id=world.sh.pk, object_type="core.bay", object_id="1")

    assert AuditEntry.objects.count() == entries_before
    assert AuditChainHead.objects.get(chain=world.sh.pk).last_key_id == ""
    _checked, broken = audit_verify()
    assert broken is not None and (broken.chain, broken.reason) == (
        world.sh.pk,
        "unkeyed entries not sealed by a signed entry",
    )
    assert (_chain(world.sh.pk)[3].pk, _chain(world.sh.pk)[3].object_repr) == (victim.pk, "forged")


def test_a_chain_rewritten_with_the_key_disagrees_with_its_checkpoint(world: World) -> None:
    assert audit_checkpoint_write() == 3  # the group's chain (0) and the two stores'
    last = _chain(world.sh.pk)[-1]
    victim = _forge(world, 2)
    _rechain(world.sh.pk, start=2, digest=entry_digest)  # with the key: every keyed hash checks out

    _checked, broken = audit_verify()

    assert broken is not None
    line = sorted([0, world.sh.pk, world.sz.pk]).index(world.sh.pk) + 1
    assert (broken.chain, broken.chain_seq, broken.entry_id, broken.line) == (
        world.sh.pk,
        last.chain_seq,
        last.pk,
        line,
    )
    assert broken.reason.startswith("entry differs from the checkpoint of ") and broken.reason.endswith(
        "(chain rewritten)"
    )
    assert victim.pk != last.pk
    _verify_fails(f"chain {world.sh.pk}, sequence {last.chain_seq} \\(entry id {last.pk}\\), .* line {line}")


def test_latest_entries_cut_off_with_the_head_moved_back_disagree_with_the_checkpoint(world: World) -> None:
    audit_checkpoint_write()
    entries = _chain(world.sz.pk)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id IN (%s, %s)", [entries[-1].pk, entries[-2].pk])
    AuditChainHead.objects.filter(chain=world.sz.pk).update(last_seq=entries[-3].chain_seq, last_hash=entries[-3].hash)

    _checked, broken = audit_verify()

    assert broken is not None
    assert (broken.chain, broken.chain_seq, broken.entry_id) == (world.sz.pk, entries[-2].chain_seq, None)
    assert broken.reason.endswith(f"has sequence {entries[-1].chain_seq}")


def test_checkpoints_go_to_an_append_only_file_only_for_chains_that_moved(world: World) -> None:
    path = Path(settings.AUDIT_CHECKPOINTS)
    assert not path.exists()
    heads = {head.chain: head for head in AuditChainHead.objects.all()}

    assert audit_checkpoint.call_local() == 3  # the periodic job of aftersales.schedule
    assert audit_checkpoint_write() == 0  # nothing moved since

    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(line["chain"], line["seq"], line["hash"], line["key"]) for line in lines] == [
        (chain, heads[chain].last_seq, heads[chain].last_hash, _id(TEST_KEY)) for chain in sorted(heads)
    ]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert dict(AuditChainHead.objects.values_list("chain", "checkpoint_seq")) == {
        chain: head.last_seq for chain, head in heads.items()
    }

    Bay.objects.create(store=world.sz, code="Z01", kind="wash")
    assert audit_checkpoint_write() == 1
    assert json.loads(path.read_text().splitlines()[-1])["chain"] == world.sz.pk
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert out.getvalue().splitlines()[1].startswith(f"Checkpoints agree: 4 lines of {path}, the latest of ")


def test_an_edited_checkpoint_line_is_reported_by_its_number(world: World) -> None:
    audit_checkpoint_write()
    path = Path(settings.AUDIT_CHECKPOINTS)
    lines = path.read_text().splitlines()
    edited = json.loads(lines[1])
    edited["seq"] -= 1
    path.write_text("\n".join([lines[0], json.dumps(edited), lines[2]]) + "\n")
    assert audit_verify() == (
        0,
        BrokenLink(edited["chain"], edited["seq"], None, "checkpoint signature does not match (line changed)", 2),
    )
    _verify_fails(f"chain {edited['chain']}, sequence {edited['seq']}, {path} line 2: checkpoint signature")

    path.write_text(lines[0] + "\n" + "{not json\n")
    _checked, broken = audit_verify()
    assert broken is not None and (broken.chain, broken.line) == (None, 2)
    _verify_fails(f"{path} line 2: line cannot be read")


def test_a_missing_checkpoint_file_is_an_error_once_checkpoints_were_written(world: World) -> None:
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)  # a fresh install: no checkpoint yet, not an error
    assert out.getvalue().splitlines()[1].startswith(f"No checkpoint file at {settings.AUDIT_CHECKPOINTS} yet")

    audit_checkpoint_write()
    Path(settings.AUDIT_CHECKPOINTS).unlink()
    _checked, broken = audit_verify()
    assert broken is not None
    assert (broken.chain, broken.chain_seq, broken.reason) == (
        0,
        AuditChainHead.objects.get(chain=0).last_seq,
        "checkpointed head not in the file: the checkpoint file is missing",
    )

    # After a restore (or a lost file) the command starts a new file from the current heads.
    call_command("audit", "checkpoint", stdout=io.StringIO())
    assert audit_verify() == (AuditEntry.objects.count(), None)


def test_a_new_signing_key_is_announced_in_each_chain_and_old_keys_keep_verifying(world: World) -> None:
    old_id, new_id = _id(TEST_KEY), _id(NEW_KEY)
    sh_before = _chain(world.sh.pk)[-1].chain_seq
    with override_settings(AUDIT_KEYS=[NEW_KEY, TEST_KEY]):
        Bay(store=world.sh, code="Z02", kind="wash").save(actor=world.user("manager"))
        Bay(store=world.sh, code="Z03", kind="wash").save(actor=world.user("manager"))
        assert audit_verify() == (AuditEntry.objects.count(), None)
    added = _chain(world.sh.pk)[sh_before:]
    assert [(e.action, e.key_id, e.actor_username, e.changes) for e in added][:2] == [
        ("audit_key_changed", new_id, "", {"from": old_id, "to": new_id}),
        ("create", new_id, "manager_sh", added[1].changes),
    ]
    assert [e.action for e in added] == ["audit_key_changed", "create", "create"]
    assert AuditChainHead.objects.get(chain=world.sh.pk).last_key_id == new_id
    assert set(AuditEntry.objects.filter(chain=world.sz.pk).values_list("key_id", flat=True)) == {old_id}

    with override_settings(AUDIT_KEYS=[NEW_KEY]):  # the old key dropped too early
        _checked, broken = audit_verify()
    assert broken is not None
    assert (broken.chain, broken.chain_seq, broken.reason) == (
        0,
        1,
        f"signed with key {old_id}, which AFTERSALES_AUDIT_KEYS does not hold",
    )

    with override_settings(AUDIT_KEYS=[NEW_KEY, TEST_KEY]):  # a key change without its entry, by a key holder
        change = added[0]
        _rewrite(change, action="create")
        _rechain(world.sh.pk, start=change.chain_seq, digest=entry_digest)
        _checked, broken = audit_verify()
    assert broken is not None
    assert (broken.chain, broken.chain_seq, broken.entry_id, broken.reason) == (
        world.sh.pk,
        change.chain_seq,
        change.pk,
        "signing key changed without an audit_key_changed entry",
    )


def test_without_keys_a_single_machine_derives_one_from_the_secret_key(db: None) -> None:
    derived = hashlib.sha256(f"audit-key:{settings.SECRET_KEY}".encode()).hexdigest()
    with override_settings(AUDIT_KEYS=[]):
        assert audit_keyring().signing_id == _id(derived)
        with override_settings(SECRET_KEY="another-secret-key-" * 3):
            assert audit_keyring().signing_id != _id(derived)
        entry = audit_append(action="login")
        assert entry.key_id == _id(derived)
        assert entry.hash == hmac.new(derived.encode(), entry_content(entry), hashlib.sha256).hexdigest()
        assert audit_verify() == (1, None)
    _checked, broken = audit_verify()  # the configured key does not verify what the derived one signed
    assert (
        broken is not None
        and broken.reason == f"signed with key {_id(derived)}, which AFTERSALES_AUDIT_KEYS does not hold"
    )


def _as_written_before_keyed_hashes() -> None:
    """Turn every chain into what the trail was before keyed hashes: no key ids, plain SHA-256."""
    for chain in AuditChainHead.objects.values_list("chain", flat=True):
        _rechain(chain, start=1, digest=_sha256, key_id="")


def test_an_upgraded_trail_is_sealed_by_a_signed_entry_per_chain(
    world: World, client_for: Callable[[User], Client]
) -> None:
    _as_written_before_keyed_hashes()
    heads = {head.chain: (head.last_seq, head.last_hash) for head in AuditChainHead.objects.all()}
    _checked, broken = audit_verify()
    assert broken is not None and (broken.chain, broken.chain_seq, broken.reason) == (
        0,
        heads[0][0] + 1,
        "unkeyed entries not sealed by a signed entry",
    )

    migration = importlib.import_module("aftersales.core.migrations.0007_audit_seal_unkeyed_chains")
    migration.seal_unkeyed_chains(apps, None)

    assert audit_verify() == (AuditEntry.objects.count(), None)
    key_id = _id(TEST_KEY)
    for chain, (last_seq, last_hash) in heads.items():
        seal = _chain(chain)[-1]
        assert (seal.chain_seq, seal.prev_hash, seal.action, seal.key_id, seal.actor_id, seal.changes) == (
            last_seq + 1,
            last_hash,
            "audit_key_changed",
            key_id,
            None,
            {"from": "", "to": key_id},
        )
    audit_append(action="login", store_id=world.sh.pk)  # no second key change
    assert [e.action for e in _chain(world.sh.pk)[-2:]] == ["audit_key_changed", "login"]
    assert audit_verify() == (AuditEntry.objects.count(), None)
    page = client_for(world.user("auditor")).get("/audit/", {"store": world.sh.pk}, headers={"accept-language": "en"})
    assert "<b>Previous key</b>: —" in page.content.decode()
    assert f"<b>New key</b>: {key_id}" in page.content.decode()

    # The unkeyed part changed and linked again up to the seal: the signed seal no longer fits.
    _forge(world, 2)
    seal = _chain(world.sh.pk)[-2]
    _rechain(world.sh.pk, start=2, digest=_sha256, key_id="", end=seal.chain_seq - 1)
    _checked, broken = audit_verify()
    assert broken is not None
    assert (broken.chain, broken.chain_seq, broken.entry_id, broken.reason) == (
        world.sh.pk,
        seal.chain_seq,
        seal.pk,
        "link to previous entry broken",
    )
