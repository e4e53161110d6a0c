from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aftersales.core.audit import audit_checkpoint_write, audit_keyring, audit_verify, checkpoint_log_read
from aftersales.schedule import AUDIT_CHECKPOINT_MINUTES


class Command(BaseCommand):
    help = (
        "Audit trail tools. 'verify' checks every chain's keyed hashes and the checkpoint file, and reports the "
        "first problem; 'checkpoint' appends every chain's head to the checkpoint file now."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify", "checkpoint"])

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "checkpoint":
            self._checkpoint()
        else:
            self._verify()

    def _checkpoint(self) -> None:
        written = audit_checkpoint_write(every_chain=True)
        path = checkpoint_log_read().path
        self.stdout.write(f"Checkpointed the heads of {written} chains to {path}.")

    def _verify(self) -> None:
        log = checkpoint_log_read()
        checked, broken = audit_verify(checkpoints=log)
        if broken is not None:
            if broken.chain is None:
                where = f"{log.path} line {broken.line}"
            else:
                where = f"chain {broken.chain}, sequence {broken.chain_seq}"
                if broken.entry_id is not None:
                    where += f" (entry id {broken.entry_id})"
                if broken.line is not None:
                    where += f", {log.path} line {broken.line}"
                elif broken.entry_id is None:
                    where += " (chain head)"
            hint = ""
            if log.broken is None and (broken.line is not None or "checkpoint" in broken.reason):
                # The file is sound but disagrees with this database: it may be another database's.
                hint = (
                    " (A checkpoint file belongs to one database: to verify another, such as a bench copy, "
                    "set AFTERSALES_AUDIT_CHECKPOINTS to a file of its own.)"
                )
            raise CommandError(f"Audit trail broken: {where}: {broken.reason}. {checked} entries checked.{hint}")
        self.stdout.write(f"Audit trail intact: {checked} entries checked (signing key {audit_keyring().signing_id}).")
        if log.exists:
            self.stdout.write(
                f"Checkpoints agree: {log.lines} lines of {log.path}, the latest of {log.latest_at or 'none'}."
            )
        elif checked:
            self.stdout.write(
                self.style.WARNING(
                    f"No checkpoint file at {log.path} yet: nothing outside the database confirms the chains. "
                    f"'aftersales worker' writes it every {AUDIT_CHECKPOINT_MINUTES} minutes; "
                    "'aftersales audit checkpoint' writes it now."
                )
            )
