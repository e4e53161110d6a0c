from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aftersales.core.audit import audit_verify


class Command(BaseCommand):
    help = "Audit trail tools. 'verify' checks every hash chain and reports the first broken link."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        checked, broken = audit_verify()
        if broken is not None:
            where = f"entry id {broken.entry_id}" if broken.entry_id is not None else "chain head"
            raise CommandError(
                f"Audit chain broken: chain {broken.chain}, sequence {broken.chain_seq} ({where}): {broken.reason}. "
                f"{checked} entries checked."
            )
        self.stdout.write(f"Audit trail intact: {checked} entries checked.")
