"""Stock maintenance: ``aftersales stock verify [--store CODE]``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aftersales.core.models import Store
from aftersales.parts.selectors.stock import stock_verify

_SHOWN = 50


class Command(BaseCommand):
    help = (
        "'verify' recomputes every stock balance (on hand, value, reserved) from the moves and reservations "
        "and every month-end snapshot from the moves, prints 'stock verify: N balances, M differences' and "
        "exits non-zero on any difference. Nothing is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])
        parser.add_argument("--store", action="append", default=[], help="Only this store (code); repeatable.")

    def handle(self, *args: Any, **options: Any) -> None:
        store_ids: list[int] | None = None
        if options["store"]:
            stores = dict(Store.all_objects.filter(code__in=options["store"]).values_list("code", "pk"))
            unknown = sorted(set(options["store"]) - set(stores))
            if unknown:
                raise CommandError(f"Unknown store: {', '.join(unknown)}")
            store_ids = sorted(stores.values())
        result = stock_verify(store_ids=store_ids)
        for difference in result.differences[:_SHOWN]:
            self.stdout.write(str(difference))
        if len(result.differences) > _SHOWN:
            self.stdout.write(f"... and {len(result.differences) - _SHOWN} more")
        summary = f"stock verify: {result.balances} balances, {len(result.differences)} differences"
        if result.differences:
            self.stdout.write(summary)
            raise CommandError("stock balances differ from their moves", returncode=1)
        self.stdout.write(summary)
