"""Writes to the part master: parts, supersessions, store prices off the guide price, OEM price files
and the ABC classification from usage."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core import identifiers
from aftersales.core.access import can
from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Brand, DealerGroup, User
from aftersales.core.xlsx import WorkbookError, XlsxReader
from aftersales.customers.search import name_initials_and_pinyin
from aftersales.parts.models import (
    TAX_RATES,
    Part,
    PartFitment,
    PartPrice,
    PriceFile,
    StockMove,
    Supersession,
    part_number_normalise,
)
from aftersales.parts.services.ledger import BATCH

PART_FIELDS = (
    "number_display",
    "name",
    "name_en",
    "category",
    "unit",
    "decimals",
    "part_class",
    "standard_cost",
    "tax_code",
    "tax_rate",
    "life_months",
    "life_km",
    "is_active",
)


def part_pinyin(name: str) -> str:
    """The pinyin search key of a part's name: its initials, then the full pinyin."""
    initials, full = name_initials_and_pinyin(name)
    return " ".join([*initials, full])[:200]


def _part_errors(group_id: int, brand_id: int, data: dict[str, Any], part: Part | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    number = part_number_normalise(data.get("number_display", ""))
    if not number:
        errors["number"] = [_("Enter the part number.")]
    elif (
        Part.objects.filter(group_id=group_id, brand_id=brand_id, number=number)
        .exclude(pk=part.pk if part else 0)
        .exists()
    ):
        errors["number"] = [_("Part number %(number)s exists already for this brand.") % {"number": number}]
    cost = data.get("standard_cost")
    if cost is not None:
        cost = Decimal(cost)
        if cost < 0:
            errors["standard_cost"] = [_("Enter a cost of zero or more.")]
        elif cost != cost.quantize(Decimal("0.0001")):
            errors["standard_cost"] = [_("A cost has at most %(n)s decimals.") % {"n": 4}]
    rate = data.get("tax_rate")
    if rate is not None and Decimal(rate) not in TAX_RATES:
        errors["tax_rate"] = [_("Choose one of the VAT rates: 13%, 9%, 6%, 3%, 1% or 0.")]
    tax_code = data.get("tax_code") or ""
    if tax_code and not identifiers.tax_code_valid(tax_code):
        errors["tax_code"] = [_("A tax classification code is 19 digits, the first 1 to 6.")]
    if data.get("decimals") is not None and not 0 <= int(data["decimals"]) <= 3:
        errors["decimals"] = [_("Enter 0 to 3 decimals.")]
    return errors


def part_save(
    *,
    actor: User | None,
    group_id: int,
    data: dict[str, Any],
    part_id: int | None = None,
    brand_id: int | None = None,
    fitment: list[str] | None = None,
) -> Part:
    """Create (``brand_id`` given) or update a part of the group's master (needs ``parts.manage``)."""
    if actor is not None and not can(actor, "parts.manage"):
        raise ApplicationError(_("You may not change the part master."), code="forbidden", status=403)
    part: Part | None = None
    if part_id is not None:
        part = Part.objects.filter(pk=part_id, group_id=group_id).first()
        if part is None:
            raise ApplicationError(_("Not found."), code="not_found", status=404)
        brand_id = part.brand_id
    elif brand_id is None or not Brand.objects.filter(pk=brand_id).exists():
        raise ApplicationError(_("Choose a brand."), field="brand")
    if part is not None and "decimals" in data and int(data["decimals"]) < part.decimals:
        held = StockMove.all_objects.filter(part_id=part.pk).exists()
        if held:
            raise ApplicationError(_("A part with moves keeps at least its decimals."), field="decimals")
    merged = {name: getattr(part, name) for name in PART_FIELDS} if part else {}
    merged.update({key: value for key, value in data.items() if key in PART_FIELDS})
    errors = _part_errors(group_id, brand_id, merged, part)
    if errors:
        raise ApplicationError(_("Check the part."), fields=errors)
    with transaction.atomic():
        if part is None:
            part = Part(group_id=group_id, brand_id=brand_id)
        for name, value in merged.items():
            setattr(part, name, value)
        part.number = part_number_normalise(part.number_display)
        part.name_pinyin = part_pinyin(part.name)
        part.save(actor=actor)
        if fitment is not None:
            wanted = {series.strip() for series in fitment if series.strip()}
            PartFitment.objects.filter(part=part).exclude(series__in=wanted).delete()
            PartFitment.objects.bulk_create(
                [PartFitment(part=part, series=series) for series in sorted(wanted)], ignore_conflicts=True
            )
    return part


def supersession_save(
    *,
    actor: User | None,
    old_part_id: int,
    new_part_id: int,
    interchangeability: str,
    effective_on: date,
    note: str = "",
) -> Supersession:
    """Record that one number is replaced by another (one successor per number; no cycles)."""
    if actor is not None and not can(actor, "parts.manage"):
        raise ApplicationError(_("You may not change the part master."), code="forbidden", status=403)
    old, new = Part.objects.filter(pk=old_part_id).first(), Part.objects.filter(pk=new_part_id).first()
    if old is None:
        raise ApplicationError(_("Unknown part."), field="old_part")
    if new is None or new.group_id != old.group_id or new.brand_id != old.brand_id:
        raise ApplicationError(_("Choose a part of the same brand."), field="new_part")
    if old.pk == new.pk:
        raise ApplicationError(_("A part cannot replace itself."), field="new_part")
    if interchangeability not in Supersession.Interchangeability.values:
        raise ApplicationError(_("Choose the interchangeability."), field="interchangeability")
    current, seen = new.pk, {new.pk}
    links = dict(Supersession.objects.values_list("old_part_id", "new_part_id"))
    while current in links:
        current = links[current]
        if current == old.pk or current in seen:
            raise ApplicationError(_("This would make a supersession cycle."), field="new_part")
        seen.add(current)
    with transaction.atomic():
        row = Supersession.objects.filter(old_part=old).first() or Supersession(old_part=old)
        row.new_part, row.interchangeability, row.effective_on, row.note = new, interchangeability, effective_on, note
        row.save(actor=actor)
    return row


def guide_deviation_check(
    *,
    actor: User | None,
    store_id: int,
    guides: QuerySet[Any],
    amount_field: str,
    amount: Decimal,
    valid_from: date,
    reason: str,
) -> None:
    """Refuse a store's own price or rate off the guide (the group's rows in ``guides``) unless the actor
    holds ``prices.deviate`` and gives a reason. A store's row stands while it is its latest, so it is
    off the guide if it differs from the guide in force when it starts or from any later one."""
    current = guides.filter(valid_from__lte=valid_from).order_by("-valid_from").first()
    later = list(guides.filter(valid_from__gt=valid_from).order_by("valid_from"))
    guide = next((row for row in [current, *later] if row is not None and getattr(row, amount_field) != amount), None)
    if guide is None:
        return
    if actor is not None and not can(actor, "prices.deviate", store_id=store_id):
        raise ApplicationError(
            _("A price off the guide price (%(guide)s) needs the permission to deviate.")
            % {"guide": getattr(guide, amount_field)},
            code="deviation_not_allowed",
            field=amount_field,
            status=403,
        )
    if not reason.strip():
        raise ApplicationError(_("Give the reason for a price off the guide price."), field="reason")


def part_price_set(
    *,
    actor: User | None,
    part_id: int,
    store_id: int | None,
    kind: str,
    price: Decimal,
    valid_from: date,
    reason: str = "",
) -> PartPrice:
    """Set a price of a part from a date: the group's (``store_id`` None, needs ``prices.manage``) or a
    store's own. A store retail price off the guide price needs ``prices.deviate`` and a reason; it is
    reported (``selectors.pricing.price_deviations``)."""
    part = Part.objects.filter(pk=part_id).first()
    if part is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    if kind not in PartPrice.Kind.values:
        raise ApplicationError(_("Choose the kind of price."), field="kind")
    if not price.is_finite() or price < 0 or price != price.quantize(Decimal("0.01")) or price >= Decimal("1e10"):
        raise ApplicationError(_("Enter a price in yuan with at most 2 decimals."), field="price")
    permission = "prices.manage" if store_id is not None else "prices.guide"
    if actor is not None and not can(actor, permission, store_id=store_id):
        raise ApplicationError(_("You may not set prices here."), code="forbidden", status=403)
    if store_id is not None and kind == PartPrice.Kind.RETAIL:
        guide_deviation_check(
            actor=actor,
            store_id=store_id,
            guides=PartPrice.objects.filter(part_id=part.pk, kind=kind, store__isnull=True),
            amount_field="price",
            amount=price,
            valid_from=valid_from,
            reason=reason,
        )
    with transaction.atomic():
        row, _created = PartPrice.objects.update_or_create(
            part=part,
            store_id=store_id,
            kind=kind,
            valid_from=valid_from,
            defaults={"price": price, "reason": reason, "created_by": actor},
        )
        audit_append(
            action="update",
            store_id=store_id,
            actor=actor,
            object_type="parts.part",
            object_id=str(part.pk),
            object_repr=str(part),
            changes={"price_kind": kind, "price": str(price), "valid_from": valid_from.isoformat(), "reason": reason},
        )
    return row


# Price file columns, by header (Chinese or English) → field.
PRICE_COLUMNS = {
    "零件号": "number",
    "配件编号": "number",
    "part number": "number",
    "名称": "name",
    "配件名称": "name",
    "name": "name",
    "英文名称": "name_en",
    "english name": "name_en",
    "价格": "price",
    "指导价": "price",
    "price": "price",
    "单位": "unit",
    "unit": "unit",
}
MAX_PRICE_ROWS = 200_000


@dataclass
class PriceFileResult:
    rows: int = 0
    updated: int = 0
    created_parts: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    price_file: PriceFile | None = None


def price_file_import(
    *,
    actor: User | None,
    group: DealerGroup,
    brand_id: int,
    kind: str,
    effective_from: date,
    path: Path,
    file_name: str,
    dry_run: bool,
) -> PriceFileResult:
    """Read an OEM price file (.xlsx: part number, name, price, optionally English name and unit) and,
    unless ``dry_run`` or any row is wrong, write a price per row valid from ``effective_from`` (new
    numbers join the master). Every wrong row and column is reported at once; nothing is written then."""
    if actor is not None and not can(actor, "prices.guide"):
        raise ApplicationError(_("You may not import price files."), code="forbidden", status=403)
    if kind not in PartPrice.Kind.values:
        raise ApplicationError(_("Choose the kind of price."), field="kind")
    if not Brand.objects.filter(pk=brand_id).exists():
        raise ApplicationError(_("Choose a brand."), field="brand")
    result = PriceFileResult()
    parsed: dict[str, tuple[int, str, str, str, Decimal, str]] = {}
    seen_rows: dict[str, int] = {}
    try:
        with XlsxReader(path) as reader:
            columns: dict[int, str] = {}
            for row_number, values in reader.rows():
                if not columns:
                    columns = {
                        index: PRICE_COLUMNS[str(value).strip().lower()]
                        for index, value in enumerate(values)
                        if value is not None and str(value).strip().lower() in PRICE_COLUMNS
                    }
                    missing = {"number", "price"} - set(columns.values())
                    if missing:
                        raise ApplicationError(
                            _("The first row must name the columns: part number (零件号) and price (价格)."),
                            code="columns",
                            field="file",
                        )
                    continue
                cells = {name: values[index] if index < len(values) else None for index, name in columns.items()}
                if all(value in (None, "") for value in cells.values()):
                    continue
                result.rows += 1
                if result.rows > MAX_PRICE_ROWS:
                    raise ApplicationError(
                        _("At most %(n)s rows in one file.") % {"n": MAX_PRICE_ROWS}, code="too_many_rows", field="file"
                    )
                typed = str(cells.get("number") or "").strip()
                number = part_number_normalise(typed)
                problems: dict[str, str] = {}
                if not number:
                    problems["number"] = _("Enter the part number.")
                elif number in seen_rows:
                    problems["number"] = _("Part number %(number)s is also in row %(row)s.") % {
                        "number": typed,
                        "row": seen_rows[number],
                    }
                raw_price = cells.get("price")
                try:
                    price = Decimal(str(raw_price).strip()) if raw_price not in (None, "") else None
                except InvalidOperation:
                    price = None
                    problems["price"] = _("Enter a number, not text.")
                if "price" not in problems:
                    if price is None:
                        problems["price"] = _("Enter the price.")
                    elif not price.is_finite() or price < 0 or price >= Decimal("1e10"):
                        problems["price"] = _("Enter a price of zero or more.")
                    elif price != price.quantize(Decimal("0.01")):
                        problems["price"] = _("A price has at most 2 decimals.")
                for column, message in problems.items():
                    result.errors.append({"row": row_number, "column": column, "message": message})
                if number and number not in seen_rows:
                    seen_rows[number] = row_number
                if not problems and price is not None:
                    parsed[number] = (
                        row_number,
                        typed,
                        str(cells.get("name") or "").strip()[:100],
                        str(cells.get("name_en") or "").strip()[:100],
                        price,
                        str(cells.get("unit") or "").strip(),
                    )
    except WorkbookError as error:
        raise ApplicationError(str(error), code="workbook", field="file") from None
    if result.rows == 0 and not result.errors:
        raise ApplicationError(_("The file has no price rows."), code="empty", field="file")
    existing = dict(
        Part.objects.filter(group_id=group.pk, brand_id=brand_id, number__in=list(parsed)).values_list("number", "pk")
    )
    for number, (row_number, _typed, name, _en, _price, _unit) in parsed.items():
        if number not in existing and not name:
            result.errors.append(
                {"row": row_number, "column": "name", "message": _("A new part number needs its name.")}
            )
    result.errors.sort(key=lambda error: (error["row"], error["column"]))
    result.created_parts = sum(1 for number in parsed if number not in existing)
    result.updated = len(parsed) - result.created_parts
    if dry_run or result.errors:
        return result
    with transaction.atomic():
        new_parts = [
            Part(
                group_id=group.pk,
                brand_id=brand_id,
                number=number,
                number_display=typed[:60],
                name=name,
                name_en=name_en,
                name_pinyin=part_pinyin(name),
                unit=unit if unit in Part.Unit.values else Part.Unit.PIECE,
            )
            for number, (_row, typed, name, name_en, _price, unit) in parsed.items()
            if number not in existing
        ]
        Part.objects.bulk_create(new_parts, batch_size=BATCH)
        existing = dict(
            Part.objects.filter(group_id=group.pk, brand_id=brand_id, number__in=list(parsed)).values_list(
                "number", "pk"
            )
        )
        price_file = PriceFile.objects.create(
            group=group,
            brand_id=brand_id,
            kind=kind,
            effective_from=effective_from,
            file_name=file_name[:200],
            rows=result.rows,
            created_parts=len(new_parts),
            imported_by=actor,
        )
        # A file imported again for the same date replaces that date's group prices.
        PartPrice.objects.filter(
            part_id__in=list(existing.values()), kind=kind, store__isnull=True, valid_from=effective_from
        ).delete()
        PartPrice.objects.bulk_create(
            [
                PartPrice(
                    part_id=existing[number],
                    kind=kind,
                    price=price,
                    valid_from=effective_from,
                    price_file=price_file,
                    created_by=actor,
                )
                for number, (_row, _typed, _name, _en, price, _unit) in parsed.items()
            ],
            batch_size=BATCH,
        )
        audit_append(
            action="create",
            actor=actor,
            object_type="parts.pricefile",
            object_id=str(price_file.pk),
            object_repr=str(price_file),
            changes={"rows": result.rows, "created_parts": len(new_parts), "kind": kind},
        )
    result.price_file = price_file
    return result


def parts_abc_classify(*, group_id: int, today: date | None = None) -> dict[str, int]:
    """Set every part's ABC class from its usage value over the last 12 months in the group's stores:
    A the parts making the first 80% of the value, B the next 15%, C the rest and the unused."""
    today = today or timezone.localdate()
    usage: dict[int, int] = defaultdict(int)
    for part_id, value in (
        StockMove.all_objects.filter(
            part__group_id=group_id, kind=StockMove.Kind.ISSUE, moved_on__gt=today - timedelta(days=365)
        )
        .values("part_id")
        .annotate(v=Sum("value_fen"))
        .values_list("part_id", "v")
        .order_by()
    ):
        usage[part_id] = -int(value or 0)
    total = sum(usage.values())
    classes: dict[int, str] = {}
    running = 0
    for part_id, value in sorted(usage.items(), key=lambda item: (-item[1], item[0])):
        share = running / total if total else 1
        classes[part_id] = "A" if share < 0.8 else "B" if share < 0.95 else "C"
        running += value
    counts = {"A": 0, "B": 0, "C": 0}
    with transaction.atomic():
        for letter in ("A", "B"):
            ids = [part_id for part_id, cls in classes.items() if cls == letter]
            for start in range(0, len(ids), BATCH):
                Part.objects.filter(pk__in=ids[start : start + BATCH]).update(abc_class=letter)
            counts[letter] = len(ids)
        counts["C"] = (
            Part.objects.filter(group_id=group_id)
            .exclude(pk__in=[pk for pk, cls in classes.items() if cls != "C"])
            .update(abc_class="C")
        )
    return counts
