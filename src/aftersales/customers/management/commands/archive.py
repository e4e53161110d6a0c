"""Archive maintenance: ``aftersales archive rotate-keys [--check]``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from aftersales.customers import encryption
from aftersales.customers.models import Customer

_SHOWN_FAILURES = 20


class Command(BaseCommand):
    help = (
        "Archive maintenance. 'rotate-keys' re-encrypts every stored resident ID number with the current "
        "(first) key of AFTERSALES_DATA_KEYS and recomputes its search digest with the current "
        "AFTERSALES_HASH_KEY; with --check it only verifies that every one decrypts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rotate-keys"])
        parser.add_argument("--check", action="store_true", help="Only verify that every stored value decrypts.")
        parser.add_argument("--batch-size", type=int, default=500, help="Rows re-encrypted per transaction.")

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size = int(options["batch_size"])
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        encryption.reset_key_cache()
        if options["check"]:
            self._check(batch_size)
        else:
            self._rotate(batch_size)

    @staticmethod
    def _encrypted() -> Any:
        return (
            Customer.objects.exclude(resident_id_cipher="")
            .only("pk", "number", "resident_id_cipher", "resident_id_digest")
            .order_by("pk")
        )

    def _check(self, batch_size: int) -> None:
        checked = 0
        failed: list[str] = []
        for customer in self._encrypted().iterator(chunk_size=batch_size):
            checked += 1
            try:
                encryption.decrypt(customer.resident_id_cipher)
            except ImproperlyConfigured:
                failed.append(customer.number)
        self._finish(
            checked, failed, done=f"All {checked} stored resident ID numbers decrypt with the configured keys."
        )

    def _rotate(self, batch_size: int) -> None:
        rotated = 0
        failed: list[str] = []
        batch: list[Customer] = []

        def flush() -> None:
            with transaction.atomic():
                # bulk_update writes only these two: no field audit (both are excluded from it anyway).
                Customer.objects.bulk_update(batch, ["resident_id_cipher", "resident_id_digest"], batch_size=batch_size)
            batch.clear()

        for customer in self._encrypted().iterator(chunk_size=batch_size):
            try:
                number = encryption.decrypt(customer.resident_id_cipher)
            except ImproperlyConfigured:
                failed.append(customer.number)
                continue
            # A new hash key takes effect here: exact search finds the ID by the new digest from now on.
            customer.resident_id_cipher = encryption.encrypt(number)
            customer.resident_id_digest = encryption.digest(number)
            batch.append(customer)
            rotated += 1
            if len(batch) >= batch_size:
                flush()
        if batch:
            flush()
        self._finish(
            rotated + len(failed),
            failed,
            done=f"Re-encrypted {rotated} resident ID numbers with the current key and recomputed their digests.",
            partial=f"Re-encrypted {rotated} resident ID numbers with the current key and recomputed their digests.",
        )

    def _finish(self, total: int, failed: list[str], *, done: str, partial: str = "") -> None:
        if failed:
            shown = ", ".join(failed[:_SHOWN_FAILURES]) + (" …" if len(failed) > _SHOWN_FAILURES else "")
            raise CommandError(
                " ".join(
                    part
                    for part in (
                        partial,
                        f"{len(failed)} of {total} stored resident ID numbers cannot be decrypted with the "
                        f"configured keys (customers {shown}). Put the key they were encrypted with back "
                        "into AFTERSALES_DATA_KEYS.",
                    )
                    if part
                )
            )
        self.stdout.write(done)
