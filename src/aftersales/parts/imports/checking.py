"""Checking the rows of a go-live import: each row's cells (``core.imports.Cells``), then, a batch at a
time, what needs the database (the part master, bins, stock already there, prices) and the rows before
it in the file. A valid row is parked as the plain values its saving needs."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext as _

from aftersales.core import identifiers
from aftersales.core.access import can
from aftersales.core.errors import ApplicationError
from aftersales.core.imports import Cells, Row
from aftersales.core.models import Brand, Store, User
from aftersales.parts.imports.layouts import OPENING_STOCK, PARTS, PRICES
from aftersales.parts.models import TAX_RATES, Bin, Part, PartPrice, StockMove, Warehouse, part_number_normalise
from aftersales.parts.services.ledger import MAX_VALUE_FEN, quantity_problem
from aftersales.parts.services.parts import guide_deviation_check

MAX_COST = Decimal("1e10")
_DECIMAL_UNITS = {"litre", "kg", "metre"}


@dataclass
class ImportRow(Row):
    data: dict[str, Any] = field(default_factory=dict)


class _Checker(Cells):
    """What the three sheets share: the brand and the part number, found in the group's master."""

    def __init__(self, layout: Any, positions: dict[str, int], *, store: Store, actor: User | None) -> None:
        super().__init__(layout, positions)
        self.store, self.actor, self.group_id = store, actor, store.group_id
        self.brands = {code.upper(): pk for pk, code in Brand.objects.values_list("pk", "code")}

    def brand(self, row: ImportRow, *, required: bool) -> int | None:
        code = self.text(row, "brand").upper()
        if not code:
            if required:
                row.fail("brand", _("Enter the brand code."))
            return None
        if code not in self.brands:
            row.fail("brand", _("Unknown brand code %(code)s.") % {"code": code})
            return None
        return self.brands[code]

    def number(self, row: ImportRow) -> str:
        typed = self.required(row, "number", _("Enter the part number."))
        number = part_number_normalise(typed)
        if typed and not number:
            row.fail("number", _("Enter the part number."))
        return number

    def parts_of(self, batch: list[ImportRow]) -> dict[str, list[Part]]:
        """The master's parts for the batch's numbers, by number (one number may be in several brands)."""
        numbers = {row.data["number"] for row in batch if row.data.get("number")}
        found: dict[str, list[Part]] = defaultdict(list)
        if numbers:
            for part in Part.objects.filter(group_id=self.group_id, number__in=numbers).only(
                "pk", "brand_id", "number", "number_display", "decimals", "unit", "is_active"
            ):
                found[part.number].append(part)
        return found

    def part(self, row: ImportRow, found: dict[str, list[Part]]) -> Part | None:
        number, brand_id = row.data.get("number"), row.data.get("brand_id")
        if not number:
            return None
        parts = [part for part in found.get(number, []) if brand_id is None or part.brand_id == brand_id]
        if not parts:
            row.fail(
                "number",
                _("Part number %(number)s is not in the part master: import the part master first.")
                % {"number": self.text(row, "number")},
            )
            return None
        if len(parts) > 1:
            row.fail("brand", _("This part number is in several brands: enter the brand code."))
            return None
        return parts[0]


class PartRows(_Checker):
    """The part master: new parts, and parts already in the master whose empty fields a row fills."""

    FILLABLE = ("name_en", "category", "tax_code")

    def __init__(self, positions: dict[str, int], *, store: Store, actor: User | None) -> None:
        super().__init__(PARTS, positions, store=store, actor=actor)
        self.seen: dict[tuple[Any, Any], int] = {}
        self.fills: dict[int, Part] = {}  # parts of the master whose empty fields rows fill, by id

    def check(self, row: ImportRow) -> None:
        if not self.read(row):
            return
        data = row.data
        data["brand_id"] = self.brand(row, required=True)
        data["number"] = self.number(row)
        data["number_display"] = self.text(row, "number")
        data["name"] = self.required(row, "name", _("Enter the name."))
        data["name_en"] = self.limited(row, "name_en")
        data["category"] = self.limited(row, "category")
        data["unit"] = self.choice(row, "unit", "piece")
        decimals = self.whole(row, "decimals", low=0, high=3)
        data["decimals"] = decimals if decimals is not None else (1 if data["unit"] in _DECIMAL_UNITS else 0)
        data["part_class"] = self.choice(row, "part_class", "common")
        cost = self.decimal(row, "standard_cost", places=4, low=Decimal(0), high=MAX_COST)
        data["standard_cost"] = cost if cost is not None else Decimal(0)
        tax_code = self.text(row, "tax_code")
        if tax_code and not identifiers.tax_code_valid(tax_code):
            row.fail("tax_code", _("A tax classification code is 19 digits, the first 1 to 6."))
        data["tax_code"] = tax_code
        data["tax_rate"] = self._rate(row)

    def _rate(self, row: ImportRow) -> Decimal:
        text = self.text(row, "tax_rate").replace("%", "").replace("％", "").strip()
        if not text:
            return Decimal("0.13")
        try:
            rate = Decimal(text)
        except ArithmeticError:
            rate = Decimal(-1)
        if not rate.is_finite():  # NaN, Infinity
            rate = Decimal(-1)
        if rate >= 1:  # 13 or 13%: per cent
            rate = rate / 100
        rate = rate.normalize()
        matching = [allowed for allowed in TAX_RATES if allowed == rate]
        if not matching:
            row.fail("tax_rate", _("Choose one of the VAT rates: 13%, 9%, 6%, 3%, 1% or 0."))
            return Decimal("0.13")
        return matching[0]

    def settle(self, batch: list[ImportRow]) -> list[tuple[Any, ...]]:
        keys = {(row.data["brand_id"], row.data["number"]) for row in batch if row.data.get("brand_id")}
        existing: dict[tuple[Any, Any], Part] = {
            (part.brand_id, part.number): part
            for part in Part.objects.filter(
                group_id=self.group_id, number__in={number for _brand, number in keys}
            ).only("pk", "brand_id", "number", *self.FILLABLE, "standard_cost")
        }
        parked: list[tuple[Any, ...]] = []
        for row in batch:
            data = row.data
            key = (data.get("brand_id"), data.get("number"))
            if data.get("brand_id") and data.get("number"):
                if key in self.seen:
                    row.fail(
                        "number",
                        _("Part number %(number)s is also in row %(row)s.")
                        % {"number": data["number_display"], "row": self.seen[key]},
                    )
                else:
                    self.seen[key] = row.number
            if row.errors:
                continue
            part = existing.get(key)
            if part is not None:
                part = self.fills.setdefault(part.pk, part)
                for name in self.FILLABLE:
                    if data[name] and not getattr(part, name):
                        setattr(part, name, data[name])
                if data["standard_cost"] and not part.standard_cost:
                    part.standard_cost = data["standard_cost"]
                row.data["matched"] = True
                continue
            parked.append(
                (
                    data["brand_id"], data["number"], data["number_display"], data["name"], data["name_en"],
                    data["category"], data["unit"], data["decimals"], data["part_class"], data["standard_cost"],
                    data["tax_code"], data["tax_rate"],
                )
            )  # fmt: skip
        return parked


class OpeningRows(_Checker):
    """Opening stock per bin, with its cost: posted as receipts dated at the go-live date."""

    def __init__(self, positions: dict[str, int], *, store: Store, actor: User | None) -> None:
        super().__init__(OPENING_STOCK, positions, store=store, actor=actor)
        self.warehouses = {
            code.upper(): (pk, active)
            for pk, code, active in Warehouse.all_objects.filter(store=store).values_list("pk", "code", "is_active")
        }
        self.bins = {
            (warehouse_id, code.upper()): (pk, active)
            for pk, warehouse_id, code, active in Bin.all_objects.filter(store=store).values_list(
                "pk", "warehouse_id", "code", "is_active"
            )
        }
        self.seen: dict[tuple[int, int, str], int] = {}
        self.may_add_bins = actor is None or can(actor, "warehouses.manage", store_id=store.pk)

    def check(self, row: ImportRow) -> None:
        if not self.read(row):
            return
        data = row.data
        data["brand_id"] = self.brand(row, required=False)
        data["number"] = self.number(row)
        code = self.required(row, "warehouse", _("Enter the warehouse code.")).upper()
        warehouse = self.warehouses.get(code)
        if code and warehouse is None:
            row.fail("warehouse", _("The store has no warehouse %(code)s.") % {"code": code})
        elif warehouse is not None and not warehouse[1]:
            row.fail("warehouse", _("Warehouse %(code)s is closed.") % {"code": code})
        data["warehouse_id"] = warehouse[0] if warehouse else None
        data["bin"] = self.required(row, "bin", _("Enter the bin.")).upper()
        bin_ = self.bins.get((data["warehouse_id"], data["bin"])) if warehouse else None
        if bin_ is not None and not bin_[1]:
            row.fail("bin", _("Bin %(bin)s is closed.") % {"bin": data["bin"]})
        elif warehouse is not None and bin_ is None and data["bin"] and not self.may_add_bins:
            row.fail(
                "bin",
                _("Warehouse %(code)s has no bin %(bin)s, and you may not add bins.")
                % {"code": code, "bin": data["bin"]},
            )
        data["bin_id"] = bin_[0] if bin_ else None
        quantity = self.decimal(row, "quantity", places=3, low=Decimal("-1e10"), high=Decimal("1e10"))
        if quantity is None and "quantity" not in row.errors:
            row.fail("quantity", _("Enter the quantity."))
        elif quantity is not None and quantity <= 0:
            row.fail("quantity", _("Enter a quantity greater than zero."))
            quantity = None
        data["quantity"] = quantity
        cost = self.decimal(row, "unit_cost", places=4, low=Decimal(0), high=MAX_COST)
        if cost is None and "unit_cost" not in row.errors:
            row.fail("unit_cost", _("Enter the unit cost."))
        data["unit_cost"] = cost

    def settle(self, batch: list[ImportRow]) -> list[tuple[Any, ...]]:
        found = self.parts_of(batch)
        parts = {id(row): self.part(row, found) for row in batch}
        held_keys = {
            (part.pk, row.data["bin_id"])
            for row in batch
            if (part := parts.get(id(row))) is not None and row.data.get("bin_id")
        }
        held = set()
        if held_keys:
            held = set(
                StockMove.all_objects.filter(
                    store_id=self.store.pk,
                    part_id__in={part for part, _bin in held_keys},
                    bin_id__in={bin_id for _part, bin_id in held_keys},
                ).values_list("part_id", "bin_id")
            )
        parked: list[tuple[Any, ...]] = []
        for row in batch:
            part = parts.get(id(row))
            data = row.data
            if part is None:
                continue
            quantity, cost = data.get("quantity"), data.get("unit_cost")
            if quantity and (problem := quantity_problem(part, quantity)):
                row.fail("quantity", problem)
            if data.get("warehouse_id") and data.get("bin"):
                key = (part.pk, data["warehouse_id"], data["bin"])
                if key in self.seen:
                    row.fail("bin", _("This part and bin are also in row %(row)s.") % {"row": self.seen[key]})
                else:
                    self.seen[key] = row.number
                if (part.pk, data["bin_id"]) in held:
                    row.fail("bin", _("This part has stock moves in this bin already: opening stock is imported once."))
            if quantity is None or cost is None or row.errors:
                continue
            value_fen = int((quantity * cost * 100).quantize(Decimal(1), ROUND_HALF_UP))
            if value_fen >= MAX_VALUE_FEN:
                row.fail("unit_cost", _("The line's value is too large."))
                continue
            parked.append((part.pk, data["warehouse_id"], data["bin"], quantity, value_fen))
        return parked


class PriceRows(_Checker):
    """Price lists: the group's prices (``prices.guide``) or a store's own (``prices.manage`` there; a
    retail price off the guide also ``prices.deviate`` and a reason)."""

    def __init__(self, positions: dict[str, int], *, store: Store, actor: User | None, go_live: date) -> None:
        super().__init__(PRICES, positions, store=store, actor=actor)
        self.go_live = go_live
        self.stores = {
            code.upper(): pk for pk, code in Store.all_objects.filter(group_id=store.group_id).values_list("pk", "code")
        }
        self.allowed: dict[int | None, bool] = {}
        self.seen: dict[tuple[int, str, int | None, date], int] = {}
        # A store's retail price is checked against the guide in the database; a file that also sets
        # the group's retail price of the part would slip past that check, so a part takes one or the
        # other in one file (the rows first seen, by part).
        self.guide_rows: dict[int, int] = {}
        self.store_retail_rows: dict[int, int] = {}

    def _may(self, store_id: int | None) -> bool:
        if self.actor is None:
            return True
        if store_id not in self.allowed:
            permission = "prices.manage" if store_id is not None else "prices.guide"
            self.allowed[store_id] = can(self.actor, permission, store_id=store_id)
        return self.allowed[store_id]

    def check(self, row: ImportRow) -> None:
        if not self.read(row):
            return
        data = row.data
        data["brand_id"] = self.brand(row, required=False)
        data["number"] = self.number(row)
        if not self.text(row, "kind"):
            row.fail("kind", _("Choose the kind of price."))
        data["kind"] = self.choice(row, "kind", "retail")
        price = self.decimal(row, "price", places=2, low=Decimal(0), high=MAX_COST)
        if price is None and "price" not in row.errors:
            row.fail("price", _("Enter the price."))
        data["price"] = price
        data["valid_from"] = self.day(row, "valid_from") or self.go_live
        code = self.text(row, "store").upper()
        data["store_id"] = self.stores.get(code) if code else None
        if code and data["store_id"] is None:
            row.fail("store", _("The group has no store %(code)s.") % {"code": code})
        elif not self._may(data["store_id"]):
            row.fail("store", _("You may not set prices here."))
        data["reason"] = self.limited(row, "reason")

    def settle(self, batch: list[ImportRow]) -> list[tuple[Any, ...]]:
        found = self.parts_of(batch)
        parts = {id(row): self.part(row, found) for row in batch}
        parked: list[tuple[Any, ...]] = []
        for row in batch:
            part = parts.get(id(row))
            data = row.data
            if part is None or "kind" not in data:
                continue
            key = (part.pk, data["kind"], data["store_id"], data["valid_from"])
            if key in self.seen:
                row.fail("price", _("This price is also in row %(row)s.") % {"row": self.seen[key]})
            else:
                self.seen[key] = row.number
            if data["kind"] == PartPrice.Kind.RETAIL and not {"kind", "store"} & set(row.errors):
                mine, other = (
                    (self.store_retail_rows, self.guide_rows)
                    if data["store_id"] is not None
                    else (self.guide_rows, self.store_retail_rows)
                )
                mine.setdefault(part.pk, row.number)
                if part.pk in other:
                    row.fail(
                        "store",
                        _(
                            "Row %(row)s sets this part's other retail price (the group's or a store's): import "
                            "the group's prices first, then the stores' own."
                        )
                        % {"row": other[part.pk]},
                    )
            retail_here = data["store_id"] is not None and data["kind"] == PartPrice.Kind.RETAIL
            if retail_here and data["price"] is not None and "store" not in row.errors:
                try:
                    guide_deviation_check(
                        actor=self.actor,
                        store_id=data["store_id"],
                        guides=PartPrice.objects.filter(part_id=part.pk, kind=data["kind"], store__isnull=True),
                        amount_field="price",
                        amount=data["price"],
                        valid_from=data["valid_from"],
                        reason=data["reason"],
                    )
                except ApplicationError as error:
                    for name, messages in error.fields.items():
                        for message in messages:
                            row.fail(name if name in ("price", "reason") else "price", message)
            if row.errors:
                continue
            parked.append((part.pk, data["kind"], data["store_id"], data["valid_from"], data["price"], data["reason"]))
        return parked


def prices_existing(keys: set[tuple[int, str, int | None, date]]) -> dict[tuple[int, str, int | None, date], int]:
    """The ids of prices already set for these (part, kind, store, valid from) keys."""
    found: dict[tuple[int, str, int | None, date], int] = {}
    parts = sorted({part_id for part_id, _kind, _store, _day in keys})
    for start in range(0, len(parts), 1000):
        for pk, part_id, kind, store_id, valid_from in PartPrice.objects.filter(
            part_id__in=parts[start : start + 1000]
        ).values_list("pk", "part_id", "kind", "store_id", "valid_from"):
            if (part_id, kind, store_id, valid_from) in keys:
                found[(part_id, kind, store_id, valid_from)] = pk
    return found
