"""Excel import and export of the archive: the template, the upload, the import job, the export.

One row of the sheet 客户及车辆 is one customer with at most one vehicle. Rows are read as a stream,
validated with the rules of ``services.customer_clean`` and the identifier cleaners (the checks
that need the database, VIN and credit-code clashes, run once per batch of rows instead of once per
row), and the valid rows are written in bulk in one transaction.

Bulk-written rows bypass ``AuditedModel.save``: no audit entry is written per customer, vehicle or
mobile. The import writes ONE audit entry instead (object type ``customers.importjob``) with the
counts, and the job row itself records who imported which file when.

Reading uses a small streaming reader of the OOXML parts (``_Workbook``) rather than openpyxl,
whose read-only mode alone spends 45-50 s on a 100,000-row sheet on a 2-core server (its shared
strings and cell objects), with or without lxml. The reader takes the sheet in blocks of whole rows:
a block in the form Excel writes is read with regular expressions (checked to cover every byte of
it), any other block with the C XML parser; it hands back plain values (text, numbers, booleans,
datetimes) as openpyxl's ``values_only`` does. An upload is checked by its content and by opening
it with this reader (package, workbook, first sheet, header row); a sheet damaged further down
fails the job with a message. The template (styles, notes, drop-down lists) is written with
openpyxl; error reports and exports, which can be large, with the small streaming ``XlsxWriter``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import pickle
import re
import secrets
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import IO, Any, BinaryIO, NamedTuple
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Model, Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Brand, DocumentSequence, Store, User
from aftersales.customers import identifiers, privacy, quality, search, selectors, services
from aftersales.customers.models import (
    Customer,
    CustomerPhone,
    ImportJob,
    MileageReading,
    SearchKey,
    Vehicle,
    VehicleLink,
    VehicleModel,
)

logger = logging.getLogger(__name__)

SHEET_TITLE = "客户及车辆"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# A 20 MB workbook of 100,000 rows unpacks to about 110 MB; anything far beyond is a zip bomb.
MAX_UNPACKED_BYTES = 600 * 1024 * 1024
BATCH_ROWS = 1000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MILEAGE_MAX_KM = 2_000_000


def imports_dir() -> Path:
    """Where uploads and error reports are kept: under the data directory, outside the web root."""
    folder = Path(settings.DATA_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# --- columns of the template ---------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    note: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # (value stored, label in the sheet)
    max_length: int | None = None
    text: bool = False  # kept as text in the template so Excel does not turn it into a number
    is_date: bool = False
    width: float = 14

    def label(self) -> str:
        """The column's name in the active language, as error messages name it."""
        return self.en if (translation.get_language() or "").startswith("en") else self.zh


YES_NO = (("yes", "是"), ("no", "否"))
KIND_CHOICES = (("individual", "个人"), ("company", "公司"))
SOURCE_CHOICES = (("sales", "销售"), ("walk_in", "到店"), ("referral", "转介绍"), ("online", "网络"), ("phone", "电话"))
CLASS_CHOICES = (("vip", "VIP"), ("regular", "普通"), ("fleet", "车队"), ("lapsed", "流失"))
CHANNEL_CHOICES = (("paper", "纸质"), ("app", "App"), ("phone", "电话"), ("counter", "柜台"))
FUEL_CHOICES = (("petrol", "汽油"), ("diesel", "柴油"), ("hybrid", "混动"), ("phev", "插混"), ("bev", "纯电"))

COLUMNS: tuple[Column, ...] = (
    Column("kind", "客户类型", "Customer kind", "个人 / 公司; empty: 个人", KIND_CHOICES, width=10),
    Column("name", "客户名称", "Name", "Required. Rows with the same name and mobile are one customer.", width=16),
    Column("mobile", "手机号", "Mobile", "Required, 11 digits (+86 allowed).", text=True, width=14),
    Column("mobile2", "备用手机号", "Second mobile", text=True),
    Column("landline", "固定电话", "Landline", max_length=30, text=True),
    Column("email", "电子邮箱", "E-mail", max_length=254, width=20),
    Column("province", "省份", "Province", max_length=20, width=10),
    Column("city", "城市", "City", max_length=30, width=10),
    Column("district", "区县", "District", max_length=30, width=10),
    Column("street", "详细地址", "Street address", max_length=200, width=24),
    Column("resident_id", "身份证号", "Resident ID", "Individuals only, 18 characters.", text=True, width=20),
    Column("uscc", "统一社会信用代码", "Credit code (USCC)", "Companies only, 18 characters.", text=True, width=20),
    Column("emergency_contact", "紧急联系人", "Emergency contact", max_length=60),
    Column("emergency_phone", "紧急联系电话", "Emergency phone", "A mobile number.", text=True),
    Column("source", "客户来源", "Source", "empty: 到店", SOURCE_CHOICES, width=10),
    Column("customer_class", "客户等级", "Customer class", "empty: 普通", CLASS_CHOICES, width=10),
    Column("data_consent", "同意数据处理", "Data consent", "是 / 否; empty: 否", YES_NO, width=10),
    Column("marketing_consent", "同意营销联系", "Marketing consent", "是 / 否; empty: 否", YES_NO, width=10),
    Column(
        "consent_channel", "同意方式", "Consent channel", "Required when a consent is 是.", CHANNEL_CHOICES, width=10
    ),
    Column("vin", "车架号(VIN)", "VIN", "17 characters; required when the row has a vehicle.", text=True, width=20),
    Column(
        "vin_check_override", "VIN校验豁免", "VIN check override", "是: the 9th character is no check digit.", YES_NO
    ),
    Column("vin_override_reason", "豁免原因", "Override reason", max_length=200, width=18),
    Column("plate", "车牌号", "Plate", "e.g. 沪A12345, 粤BD12345", width=12),
    Column("brand", "品牌代码", "Brand code", "e.g. VW; with series and model from the catalogue.", width=10),
    Column("series", "车系", "Series", width=12),
    Column("model", "车型", "Model", width=18),
    Column("model_year", "年款", "Model year", width=8),
    Column("engine_no", "发动机号", "Engine no.", max_length=30, text=True),
    Column("colour", "颜色", "Colour", max_length=30, width=10),
    Column("fuel_type", "燃料类型", "Fuel type", "empty: the model's, else 汽油", FUEL_CHOICES, width=10),
    Column("purchase_date", "购车日期", "Purchase date", "YYYY-MM-DD", is_date=True, width=12),
    Column("warranty_end", "质保到期日", "Warranty end", "YYYY-MM-DD", is_date=True, width=12),
    Column("mileage", "里程(km)", "Mileage (km)", "Whole kilometres.", width=10),
    Column("mileage_date", "里程日期", "Mileage date", "YYYY-MM-DD; empty: the import date", is_date=True, width=12),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
VEHICLE_KEYS = tuple(column.key for column in COLUMNS[COLUMNS.index(COLUMN_BY_KEY["vin"]) :])
REQUIRED_KEYS = ("name", "mobile")
ERRORS_HEADER = ("错误", "errors")
ROW_HEADER = ("源行号", "source row")


def _header_key(value: object) -> str:
    return "".join(str(value or "").split()).lower()


_HEADER_LOOKUP = {_header_key(label): column.key for column in COLUMNS for label in (column.zh, column.en)}


# --- reading .xlsx (stream) ------------------------------------------------------------------------


class WorkbookError(Exception):
    """The file cannot be read as a workbook of the template; the message is for the user."""


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_TEXT = f"{_MAIN}t"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_OFFICE_DOCUMENT = "/officeDocument"
_BLOCK_BYTES = 1 << 20
_DIGITS = "0123456789"
_ESCAPED_CHAR = re.compile(r"_x([0-9A-Fa-f]{4})_")
# Number formats 14-22 and 45-47 are the built-in date and time formats.
_BUILTIN_DATE_FORMATS = frozenset({*range(14, 23), 45, 46, 47})
_EPOCH_1900 = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)


def _damaged() -> WorkbookError:
    return WorkbookError(_("The workbook is damaged and cannot be read; open it in Excel and save it again."))


def _rich_text(node: ElementTree.Element) -> str:
    """The text of a shared or inline string: its ``t``, or its runs' ``t`` (phonetic runs left out)."""
    if len(node) == 1 and node[0].tag == _TEXT:
        text = node[0].text or ""
        if "_x" in text:
            text = _ESCAPED_CHAR.sub(lambda match: chr(int(match.group(1), 16)), text)
        return text
    parts = []
    for child in node:
        if child.tag == f"{_MAIN}t":
            parts.append(child.text or "")
        elif child.tag == f"{_MAIN}r":
            parts.append(child.findtext(f"{_MAIN}t") or "")
    text = "".join(parts)
    if "_x" in text:
        text = _ESCAPED_CHAR.sub(lambda match: chr(int(match.group(1), 16)), text)
    return text


def _is_date_format(code: str) -> bool:
    """Whether a number format shows a date: it has y, m or d outside quotes, brackets and escapes."""
    plain = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.', "", code.lower())
    return any(char in plain for char in "ymd") and "general" not in plain


def _blocks(stream: IO[bytes], container: str, item: str) -> Iterator[tuple[bytes, bytes, bytes, bytes]]:
    """Split the ``container`` element of a part into blocks of whole ``item`` elements, read as a stream.

    Yields (the part's root start tag, a block, the root end tag, the namespace prefix of the tags):
    the block can be parsed inside a copy of the root tags, so that its namespaces resolve.
    """
    head = b""
    opening = None
    while opening is None:
        chunk = stream.read(_BLOCK_BYTES)
        if not chunk:
            return
        head += chunk
        root = re.search(rb"<(?!\?|!)((?:[\w.-]+:)?)([\w.-]+)\b[^>]*>", head)
        if root is None or root.group(0).endswith(b"/>"):
            if root is not None or len(head) > _BLOCK_BYTES * 4:
                return
            continue
        prefix = root.group(1)
        found = re.search(rb"<" + re.escape(prefix + container.encode()) + rb"\b[^>]*>", head)
        if found is None:
            if b"</" + prefix + root.group(2) + b">" in head:
                return
            continue
        if found.group(0).endswith(b"/>"):
            return
        opening = (root.group(0), b"</" + prefix + root.group(2) + b">", prefix, found.end())
    wrapper_open, wrapper_close, prefix, start = opening
    item_close = b"</" + prefix + item.encode() + b">"
    container_close = b"</" + prefix + container.encode() + b">"
    buffer = head[start:]
    finished = False
    while True:
        stop = buffer.find(container_close)
        if stop != -1:
            block, finished = buffer[:stop], True
        else:
            cut = buffer.rfind(item_close)
            if cut == -1:
                chunk = stream.read(_BLOCK_BYTES)
                if not chunk:
                    raise _damaged()
                buffer += chunk
                continue
            cut += len(item_close)
            block, buffer = buffer[:cut], buffer[cut:]
        yield wrapper_open, block, wrapper_close, prefix
        if finished:
            return
        chunk = stream.read(_BLOCK_BYTES)
        buffer += chunk
        if not chunk and container_close not in buffer:
            raise _damaged()


def _parsed(opening: bytes, block: bytes, closing: bytes) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(opening + block + closing)  # noqa: S314 - expat refuses entity bombs
    except ElementTree.ParseError:
        raise _damaged() from None


def _items(stream: IO[bytes], container: str, item: str) -> Iterator[ElementTree.Element]:
    """Yield the ``item`` children of the part's ``container`` element, parsed a block at a time."""
    for opening, block, closing, _prefix in _blocks(stream, container, item):
        yield from _parsed(opening, block, closing)


# A cell as read: column letters, type, style, and its value's text (the string itself when inline).
_Cell = tuple[str, str | None, str | None, str | None]
_XML_ENTITY = re.compile(r"&(?:#x([0-9A-Fa-f]+)|#([0-9]+)|(lt|gt|amp|quot|apos));")
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


_TEXT_CONTENT = r"[^<&]*(?:&(?:#x[0-9A-Fa-f]+|#[0-9]+|lt|gt|amp|quot|apos);[^<&]*)*"


@functools.cache
def _row_patterns(prefix: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The whole block as Excel writes it (to check), and its rows and cells one by one (to read)."""
    p = re.escape(prefix)
    cell = (
        rf'<{p}c r="([A-Z]{{1,3}})[0-9]+"(?: s="([0-9]+)")?(?: t="(\w+)")?(?: s="([0-9]+)")?\s*'
        rf'(?:/>|>(?:<{p}v>({_TEXT_CONTENT})</{p}v>|<{p}is><{p}t(?: xml:space="preserve")?>({_TEXT_CONTENT})'
        rf"</{p}t></{p}is>)?</{p}c>)"
    )
    row = rf"<{p}row\b([^>]*?)(/?)>"
    plain_cell = re.sub(r"\((?!\?)", "(?:", cell)
    whole = rf"(?:\s*<{p}row\b[^>]*?(?:/>|>(?:\s*{plain_cell})*\s*</{p}row>))*\s*"
    return re.compile(whole), re.compile(rf"{row}|{cell}")


def _xml_text(raw: str) -> str:
    """Element text as an XML parser gives it: line ends normalised, references replaced."""
    if "\r" in raw:
        raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    if "&" in raw:
        raw = _XML_ENTITY.sub(_entity, raw)
    return raw


def _entity(match: re.Match[str]) -> str:
    hexadecimal, decimal, name = match.groups()
    return chr(int(hexadecimal, 16)) if hexadecimal else chr(int(decimal)) if decimal else _ENTITIES[name]


def _fast_rows(block: bytes, prefix: bytes) -> list[tuple[int | None, list[_Cell]]] | None:
    """Read a block of rows written the way Excel writes them (attributes r, s, t; a ``v`` or a plain
    inline string per cell) with regular expressions, several times faster than building a tree.

    The whole block must match that form, so nothing is skipped unnoticed; any other block (formulas,
    rich text, other attributes) gets None and is read by the XML parser instead.
    """
    whole, tokens = _row_patterns(prefix.decode())
    text = block.decode()
    if whole.fullmatch(text) is None:
        return None
    rows: list[tuple[int | None, list[_Cell]]] = []
    cells: list[_Cell] = []
    for row_attributes, _closed, letters, style, kind, style_after, value, inline in tokens.findall(text):
        if not letters:
            number = re.search(r'\br="([0-9]+)"', row_attributes)
            cells = []
            rows.append((int(number.group(1)) if number else None, cells))
            continue
        if inline:
            raw: str | None = _xml_text(inline)
            if "_x" in inline:
                raw = _ESCAPED_CHAR.sub(lambda match: chr(int(match.group(1), 16)), raw or "")
        else:
            raw = _xml_text(value) if value else None
        cells.append((letters, kind or None, style or style_after or None, raw))
    return rows


def _tree_rows(opening: bytes, block: bytes, closing: bytes) -> Iterator[tuple[int | None, list[_Cell]]]:
    """Read a block of rows with the XML parser: any valid sheet XML."""
    value_tag, inline_tag = f"{_MAIN}v", f"{_MAIN}is"
    for row in _parsed(opening, block, closing):
        cells: list[_Cell] = []
        for cell in row:
            kind = cell.get("t")
            if kind == "inlineStr":
                inline = cell.find(inline_tag)
                raw = _rich_text(inline) if inline is not None else None
            else:
                raw = cell.findtext(value_tag)
            cells.append(((cell.get("r") or "").rstrip(_DIGITS), kind, cell.get("s"), raw))
        yield (int(row.get("r") or 0) or None), cells


class _Workbook:
    """The first worksheet of an .xlsx file, read as a stream of rows of plain values."""

    def __init__(self, path: Path) -> None:
        try:
            self.archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError):
            raise WorkbookError(_("The file is not an Excel workbook (.xlsx).")) from None
        try:
            self._open()
        except (KeyError, ElementTree.ParseError, ValueError, zipfile.BadZipFile):
            self.archive.close()
            raise _damaged() from None
        except BaseException:
            self.archive.close()
            raise

    def _xml(self, name: str) -> ElementTree.Element:
        return ElementTree.fromstring(self.archive.read(name))  # noqa: S314 - expat refuses entity bombs

    def _rels(self, part: str) -> dict[str, tuple[str, str]]:
        folder, _slash, name = part.rpartition("/")
        rels_name = f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"
        if rels_name not in self.names:
            return {}
        found = {}
        for rel in self._xml(rels_name).iter(_REL):
            target = rel.get("Target", "")
            if rel.get("TargetMode") == "External":
                continue
            resolved = target.lstrip("/") if target.startswith("/") else _join(folder, target)
            found[rel.get("Id", "")] = (rel.get("Type", ""), resolved)
        return found

    def _open(self) -> None:
        self.names = set(self.archive.namelist())
        if sum(info.file_size for info in self.archive.infolist()) > MAX_UNPACKED_BYTES:
            raise WorkbookError(_("The workbook unpacks to more than %(mb)d MB.") % {"mb": MAX_UNPACKED_BYTES >> 20})
        if "[Content_Types].xml" not in self.names:
            raise WorkbookError(_("The file is not an Excel workbook (.xlsx)."))
        documents = [target for kind, target in self._rels("").values() if kind.endswith(_OFFICE_DOCUMENT)]
        if not documents or documents[0] not in self.names:
            raise WorkbookError(_("The file is not an Excel workbook (.xlsx)."))
        workbook_part = documents[0]
        workbook = self._xml(workbook_part)
        rels = self._rels(workbook_part)
        properties = workbook.find(f"{_MAIN}workbookPr")
        self.epoch = (
            _EPOCH_1904 if properties is not None and properties.get("date1904") in {"1", "true"} else _EPOCH_1900
        )
        sheet = workbook.find(f"{_MAIN}sheets/{_MAIN}sheet")
        if sheet is None or rels.get(sheet.get(_REL_ID, ""), ("", ""))[1] not in self.names:
            raise WorkbookError(_("The workbook has no worksheet."))
        self.sheet_title = sheet.get("name", "")
        self.sheet_part = rels[sheet.get(_REL_ID, "")][1]
        by_kind = {kind.rpartition("/")[2]: target for kind, target in rels.values()}
        self.strings: list[str] = []
        if by_kind.get("sharedStrings") in self.names:
            with self.archive.open(by_kind["sharedStrings"]) as stream:
                self.strings = [_rich_text(node) for node in _items(stream, "sst", "si")]
        self.date_styles: frozenset[str] = frozenset()
        if by_kind.get("styles") in self.names:
            styles = self._xml(by_kind["styles"])
            custom = {int(fmt.get("numFmtId", "0")): fmt.get("formatCode", "") for fmt in styles.iter(f"{_MAIN}numFmt")}
            xfs = styles.find(f"{_MAIN}cellXfs")
            self.date_styles = frozenset(
                str(index)
                for index, xf in enumerate(xfs if xfs is not None else [])
                if int(xf.get("numFmtId", "0")) in _BUILTIN_DATE_FORMATS
                or _is_date_format(custom.get(int(xf.get("numFmtId", "0")), ""))
            )

    def close(self) -> None:
        self.archive.close()

    def dimension_rows(self) -> int | None:
        """The number of the last row, from the sheet's ``dimension`` element, if it states one."""
        with self.archive.open(self.sheet_part) as stream:
            head = stream.read(4096)
        found = re.search(rb"<(?:[\w.-]+:)?dimension\s+ref=\"[A-Z]*\d*:?[A-Z]*(\d+)\"", head)
        return int(found.group(1)) if found else None

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        """Yield (row number, values by column position) for every row that the sheet stores."""
        columns: dict[str, int] = {}
        strings, date_styles, epoch = self.strings, self.date_styles, self.epoch
        number = 0
        try:
            with self.archive.open(self.sheet_part) as stream:
                for opening, block, closing, prefix in _blocks(stream, "sheetData", "row"):
                    rows = _fast_rows(block, prefix)
                    for row_number, cells in _tree_rows(opening, block, closing) if rows is None else rows:
                        number = row_number or number + 1
                        values: list[Any] = []
                        for letters, kind, style, raw in cells:
                            if letters:
                                position = columns.get(letters)
                                if position is None:
                                    position = columns[letters] = _column_index(letters)
                            else:
                                position = len(values)
                            value: Any = raw
                            if raw is None or kind in {"inlineStr", "str", "e"}:
                                pass
                            elif not raw:
                                value = None  # e.g. a formula without a cached result
                            elif kind == "s":
                                value = strings[int(raw)]
                            elif kind == "b":
                                value = raw.strip() in {"1", "true"}
                            elif kind == "d":
                                value = datetime.fromisoformat(raw.strip().rstrip("Z"))
                            else:
                                value = float(raw) if any(c in raw for c in ".eE") else int(raw)
                                if style in date_styles:
                                    value = epoch + timedelta(days=value)
                            if position >= len(values):
                                values.extend([None] * (position + 1 - len(values)))
                            values[position] = value
                        yield number, values
        except (ValueError, IndexError, zipfile.BadZipFile, OverflowError, EOFError):
            raise _damaged() from None


def _join(folder: str, target: str) -> str:
    parts: list[str] = [part for part in folder.split("/") if part]
    for part in target.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part and part != ".":
            parts.append(part)
    return "/".join(parts)


def _column_index(letters: str) -> int:
    index = 0
    for char in letters.upper():
        if not "A" <= char <= "Z":
            raise ValueError(letters)
        index = index * 26 + ord(char) - 64
    return index - 1


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


# --- writing .xlsx (stream) ------------------------------------------------------------------------

_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_STYLES = {"": 0, "header": 1, "note": 2, "date": 3, "wrap": 4}
_STYLES_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="3"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font>'
    '<font><i/><sz val="10"/><color rgb="FF6C757D"/><name val="Calibri"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/></patternFill></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
    '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment wrapText="1" vertical="top"/></xf></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)
_PACKAGE_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="xl/workbook.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/></Relationships>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
        '<Relationship Id="rId2" Target="styles.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"/>'
        '<Relationship Id="rId3" Target="sharedStrings.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>'
    ),
    "xl/styles.xml": _STYLES_XML,
}


class XlsxWriter:
    """Write one sheet of rows straight into an .xlsx package, row by row.

    Text goes in as inline strings (constant memory), or with ``shared_strings`` into a table of
    distinct strings written at the end, as Excel saves files. Dates are date-formatted serial
    numbers. Styles per row: "" (plain), "header" (bold on blue), "note" (small grey italics).
    """

    def __init__(
        self,
        target: Path | BinaryIO,
        *,
        title: str,
        widths: Sequence[float] = (),
        frozen_rows: int = 0,
        shared_strings: bool = False,
    ) -> None:
        self.package = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        for name, xml in _PACKAGE_PARTS.items():
            self.package.writestr(name, xml)
        self.package.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name={quoteattr(title[:31])} sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        self.stream = self.package.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        head = [
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        ]
        if frozen_rows:
            head.append(
                f'<sheetViews><sheetView workbookViewId="0"><pane ySplit="{frozen_rows}" '
                f'topLeftCell="A{frozen_rows + 1}" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
            )
        if widths:
            head.append("<cols>")
            head += [f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, 1)]
            head.append("</cols>")
        head.append("<sheetData>")
        self.stream.write("".join(head).encode())
        self.letters: list[str] = []
        self.rows = 0
        self.strings: dict[str, int] | None = {} if shared_strings else None

    def append(self, values: Iterable[Any], *, style: str = "") -> None:
        self.rows += 1
        row = self.rows
        style_id = _STYLES[style]
        attribute = f' s="{style_id}"' if style_id else ""
        cells = []
        for position, value in enumerate(values):
            if value is None or value == "":
                continue
            while position >= len(self.letters):
                self.letters.append(_column_letter(len(self.letters)))
            ref = f"{self.letters[position]}{row}"
            if isinstance(value, bool):
                cells.append(f'<c r="{ref}" t="b"{attribute}><v>{int(value)}</v></c>')
            elif isinstance(value, int | float) and value == value and abs(value) != float("inf"):
                cells.append(f'<c r="{ref}"{attribute}><v>{value!r}</v></c>')
            elif isinstance(value, datetime | date):
                cells.append(f'<c r="{ref}" s="{_STYLES["date"]}"><v>{_serial(value)}</v></c>')
            elif self.strings is not None:
                index = self.strings.setdefault(str(value), len(self.strings))
                cells.append(f'<c r="{ref}" t="s"{attribute}><v>{index}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="inlineStr"{attribute}><is>{_text_element(str(value))}</is></c>')
        self.stream.write(f'<row r="{row}">{"".join(cells)}</row>'.encode())

    def close(self) -> None:
        self.stream.write(b"</sheetData></worksheet>")
        self.stream.close()
        strings = self.strings or {}
        with self.package.open("xl/sharedStrings.xml", "w", force_zip64=True) as table:
            table.write(
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns='
                f'"http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="{len(strings)}">'.encode()
            )
            for text in strings:
                table.write(f"<si>{_text_element(text)}</si>".encode())
            table.write(b"</sst>")
        self.package.close()


def _text_element(value: str) -> str:
    text = escape(_ILLEGAL_XML.sub("", value))
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f"<t{space}>{text}</t>"


def _serial(value: date) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = timezone.localtime(value).replace(tzinfo=None)
        delta = value - _EPOCH_1900
        return repr(delta.days + delta.seconds / 86400)
    return str((value - _EPOCH_1900.date()).days)


# --- the template ------------------------------------------------------------------------------------


def template_workbook() -> bytes:
    """The import template: Chinese headers, English headers below them, notes and drop-down lists."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    brands = ", ".join(Brand.objects.order_by("code").values_list("code", flat=True)[:40])
    header_font, note_font = Font(bold=True), Font(italic=True, color="6C757D", size=10)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    last_row = 100_002
    for position, column in enumerate(COLUMNS, 1):
        letter = _column_letter(position - 1)
        head = sheet.cell(row=1, column=position, value=column.zh)
        head.font, head.fill, head.alignment = header_font, header_fill, Alignment(horizontal="center")
        sheet.cell(row=2, column=position, value=column.en).font = note_font
        note = column.note
        if column.key == "brand" and brands:
            note = f"{note} ({brands})"
        if column.choices and not note:
            note = " / ".join(label for _value, label in column.choices)
        if note:
            head.comment = Comment(note, "AfterSales", width=260, height=90)
        sheet.column_dimensions[letter].width = column.width
        if column.text:
            sheet.column_dimensions[letter].number_format = "@"
        elif column.is_date:
            sheet.column_dimensions[letter].number_format = "yyyy-mm-dd"
        if column.choices:
            options = ",".join(label for _value, label in column.choices)
            validation = DataValidation(type="list", formula1=f'"{options}"', allow_blank=True)
            validation.add(f"{letter}3:{letter}{last_row}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "C3"
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- upload --------------------------------------------------------------------------------------------

# What the first bytes of common files say, to tell the user what they sent instead of a workbook.
_NOT_A_WORKBOOK: tuple[tuple[bytes, Any], ...] = (
    (
        b"\xd0\xcf\x11\xe0",
        gettext_lazy("This is an old Excel 97-2003 workbook (.xls); save it as .xlsx and upload again."),
    ),
    (b"MZ", gettext_lazy("This is a Windows program, not an Excel workbook (.xlsx).")),
    (b"\x7fELF", gettext_lazy("This is a Linux program, not an Excel workbook (.xlsx).")),
    (b"%PDF-", gettext_lazy("This is a PDF document, not an Excel workbook (.xlsx).")),
)


def _file_error(message: str) -> ApplicationError:
    return ApplicationError(message, code="invalid_file", field="file", status=422)


def _safe_name(name: str) -> str:
    base = unicodedata.normalize("NFC", Path(name or "").name).strip()
    base = re.sub(r"[^\w\s.()（）\-]", "_", base)[:200]
    return base or "import.xlsx"


def workbook_check(path: Path) -> dict[str, int]:
    """Open a stored upload and read its header; return the position of each template column found.

    Raises WorkbookError with a message for the user when it is no workbook of the template.
    """
    book = _Workbook(path)
    try:
        return _header_positions(_first_row(book.rows()))
    finally:
        book.close()


def _first_row(rows: Iterator[tuple[int, list[Any]]]) -> list[Any]:
    first = next(rows, None)
    if first is None:
        raise WorkbookError(_("The first sheet is empty: it has no header row."))
    return first[1]


def _header_positions(values: list[Any]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for position, value in enumerate(values):
        key = _HEADER_LOOKUP.get(_header_key(value))
        if key is None:
            continue  # an extra column of the user's, or the errors column of a report: ignored
        if key in positions:
            raise WorkbookError(_("The column “%(name)s” appears twice.") % {"name": COLUMN_BY_KEY[key].label()})
        positions[key] = position
    missing = [COLUMN_BY_KEY[key].label() for key in REQUIRED_KEYS if key not in positions]
    if missing:
        raise WorkbookError(
            _("The first row of the sheet must hold the template's column names; missing: %(names)s.")
            % {"names": ", ".join(missing)}
        )
    return positions


def _is_english_header(values: list[Any], positions: dict[str, int]) -> bool:
    matched = [
        _header_key(values[position]) == _header_key(COLUMN_BY_KEY[key].en)
        for key, position in positions.items()
        if position < len(values) and values[position] not in (None, "")
    ]
    return bool(matched) and all(matched)


def import_job_create(*, actor: User, store: Store, upload: UploadedFile, mode: str, dry_run: bool) -> ImportJob:
    """Check and store an uploaded workbook and queue its import job (after the transaction commits).

    The file is refused (ApplicationError on ``file``, nothing stored) when it is larger than 20 MB,
    is not an .xlsx workbook by its content, or its first sheet lacks the template's header.
    """
    if mode not in ImportJob.Mode.values:
        raise ApplicationError(
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(ImportJob.Mode.values)}, field="mode", status=422
        )
    if (upload.size or 0) > MAX_UPLOAD_BYTES:
        raise _file_error(_("The file is larger than %(mb)d MB.") % {"mb": MAX_UPLOAD_BYTES >> 20})
    upload.seek(0)
    head = upload.read(8)
    if not head.startswith(b"PK\x03\x04"):
        known = next((message for magic, message in _NOT_A_WORKBOOK if head.startswith(magic)), None)
        raise _file_error(str(known) if known else _("The file is not an Excel workbook (.xlsx)."))
    storage_name = f"{secrets.token_hex(16)}.xlsx"
    path = imports_dir() / storage_name
    size = 0
    upload.seek(0)
    with path.open("xb") as target:
        for chunk in upload.chunks():
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                break
            target.write(chunk)
    try:
        if size > MAX_UPLOAD_BYTES:
            raise _file_error(_("The file is larger than %(mb)d MB.") % {"mb": MAX_UPLOAD_BYTES >> 20})
        try:
            workbook_check(path)
        except WorkbookError as error:
            raise _file_error(str(error)) from None
        job = ImportJob.objects.create(
            store=store,
            created_by=actor,
            file_name=_safe_name(upload.name or ""),
            storage_name=storage_name,
            mode=mode,
            dry_run=dry_run,
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    from aftersales.customers.tasks import customer_import_run

    transaction.on_commit(lambda: customer_import_run(job.pk))
    return job


def import_job_get(*, job_id: int, store_ids: frozenset[int] | None) -> ImportJob:
    """The job if its store is among ``store_ids`` (None: every store); otherwise 404."""
    jobs = ImportJob.objects.select_related("store", "created_by").filter(pk=job_id)
    if store_ids is not None:
        jobs = jobs.filter(store_id__in=store_ids)
    job = jobs.first()
    if job is None:
        raise Http404(_("Not found."))
    return job


def import_jobs_recent(*, store_id: int, limit: int = 20) -> QuerySet[ImportJob]:
    return (
        ImportJob.objects.filter(store_id=store_id).select_related("created_by").order_by("-created_at", "-pk")[:limit]
    )


def import_error_path(job: ImportJob) -> Path:
    """The stored error report of a job; 404 when it has none."""
    if not job.error_file:
        raise Http404(_("Not found."))
    path = imports_dir() / job.error_file
    if not path.is_file():
        raise Http404(_("Not found."))
    return path


def job_progress(job: ImportJob) -> int:
    """Percent of rows checked (100 once the job is finished)."""
    if job.status in {ImportJob.Status.DONE, ImportJob.Status.FAILED}:
        return 100
    if not job.total_rows:
        return 0
    return min(99, job.processed_rows * 100 // job.total_rows)


# --- checking rows -------------------------------------------------------------------------------------


class CustomerIn(NamedTuple):
    """The cleaned customer fields of one valid row (the resident ID already encrypted)."""

    kind: str
    name: str
    mobiles: tuple[str, ...]
    landline: str
    email: str
    province: str
    city: str
    district: str
    street: str
    resident_id_cipher: str
    resident_id_digest: str
    resident_id_hint: str
    uscc: str
    emergency_contact: str
    emergency_phone: str
    source: str
    customer_class: str
    data_consent: bool
    marketing_consent: bool
    consent_channel: str


class VehicleIn(NamedTuple):
    vin: str
    vin_check_override: bool
    vin_override_reason: str
    plate: str
    model_id: int | None
    model_year: int | None
    engine_no: str
    colour: str
    fuel_type: str
    purchase_date: date | None
    warranty_end: date | None
    km: int | None
    read_on: date | None


@dataclass
class _Row:
    number: int
    values: list[Any]
    errors: dict[str, list[str]]
    customer: CustomerIn | None = None
    vehicle: VehicleIn | None = None
    key: tuple[str, str] | None = None  # the customer: name and primary mobile
    vin: str = ""  # the cleaned VIN and credit code, also of a row that is not valid otherwise
    uscc: str = ""
    texts: dict[str, str] = field(default_factory=dict)  # each column's value as text

    def fail(self, column: str, message: str) -> None:
        messages = self.errors.setdefault(column, [])
        if message not in messages:
            messages.append(message)


def _cell_text(value: Any) -> str:
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
# customer_clean's field names → the template's columns.
_CLEAN_FIELDS = {
    "name": "name",
    "mobiles.0": "mobile",
    "mobiles.1": "mobile2",
    "email": "email",
    "resident_id": "resident_id",
    "emergency_phone": "emergency_phone",
    "marketing_consent_channel": "consent_channel",
    "data_consent_channel": "consent_channel",
}
_YES_NO_WORDS = {"y": "yes", "n": "no", "true": "yes", "false": "no", "1": "yes", "0": "no"}


class _RowChecker:
    """Checks one row with the services' rules; what needs the database is checked per batch later."""

    def __init__(self, positions: dict[str, int]) -> None:
        self.positions = positions
        self.today = timezone.localdate()
        self.brands = {code.upper(): pk for pk, code in Brand.objects.values_list("pk", "code")}
        self.models = {
            (brand_id, series.strip(), name.strip()): (pk, fuel)
            for pk, brand_id, series, name, fuel in VehicleModel.objects.values_list(
                "pk", "brand_id", "series", "name", "fuel_type"
            )
        }
        self.choices = {
            column.key: {_header_key(option): value for value, label in column.choices for option in (value, label)}
            for column in COLUMNS
            if column.choices
        }
        for key in ("data_consent", "marketing_consent", "vin_check_override"):
            self.choices[key].update(_YES_NO_WORDS)

    def raw(self, row: _Row, key: str) -> Any:
        position = self.positions.get(key)
        return row.values[position] if position is not None and position < len(row.values) else None

    def text(self, row: _Row, key: str) -> str:
        return row.texts.get(key, "")

    def choice(self, row: _Row, key: str, default: str) -> str:
        text = self.text(row, key)
        if not text:
            return default
        value = self.choices[key].get(_header_key(text))
        if value is None:
            labels = ", ".join(label for _value, label in COLUMN_BY_KEY[key].choices)
            row.fail(key, _("Choose one of: %(choices)s.") % {"choices": labels})
            return default
        return value

    def limited(self, row: _Row, key: str) -> str:
        text = self.text(row, key)
        limit = COLUMN_BY_KEY[key].max_length
        if limit is not None and len(text) > limit:
            row.fail(key, _("Enter at most %(n)s characters.") % {"n": limit})
        return text

    def day(self, row: _Row, key: str) -> date | None:
        value = self.raw(row, key)
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = _cell_text(value)
        if not text:
            return None
        if isinstance(value, str):
            for pattern in _DATE_FORMATS:
                with contextlib.suppress(ValueError):
                    return datetime.strptime(text, pattern).date()
        row.fail(key, _("Enter a valid date (YYYY-MM-DD)."))
        return None

    def whole(self, row: _Row, key: str, *, low: int, high: int) -> int | None:
        value = self.raw(row, key)
        text = _cell_text(value).replace(",", "")
        if not text:
            return None
        if isinstance(value, bool) or not re.fullmatch(r"-?\d+", text):
            row.fail(key, _("Enter a whole number."))
            return None
        number = int(text)
        if number < low:
            row.fail(key, _("Enter a value of at least %(n)s.") % {"n": low})
        elif number > high:
            row.fail(key, _("Enter a value of at most %(n)s.") % {"n": high})
        return number

    def check(self, row: _Row) -> None:
        """Fill ``row.errors``; for a valid row also ``row.customer``, ``row.vehicle`` and ``row.key``."""
        values, count = row.values, len(row.values)
        row.texts = {key: _cell_text(values[position]) for key, position in self.positions.items() if position < count}
        customer = self._customer(row)
        vehicle = self._vehicle(row) if any(self.text(row, key) for key in VEHICLE_KEYS) else None
        if not row.errors and customer is not None:
            row.customer, row.vehicle = customer, vehicle
            row.key = (customer.name, customer.mobiles[0])

    def _customer(self, row: _Row) -> CustomerIn | None:
        kind = self.choice(row, "kind", Customer.Kind.INDIVIDUAL.value)
        channel = self.choice(row, "consent_channel", "")
        data_consent = self.choice(row, "data_consent", "no") == "yes"
        marketing_consent = self.choice(row, "marketing_consent", "no") == "yes"
        mobiles = [self.text(row, "mobile")]
        if self.text(row, "mobile2"):
            mobiles.append(self.text(row, "mobile2"))
        cleaned: dict[str, Any] = {}
        try:
            # Without the credit code, checked below: customer_clean would look each one up in the database.
            cleaned = services.customer_clean(
                {
                    "kind": kind,
                    "name": self.text(row, "name"),
                    "mobiles": mobiles,
                    "email": self.limited(row, "email"),
                    "resident_id": self.text(row, "resident_id"),
                    "emergency_phone": self.text(row, "emergency_phone"),
                    "data_consent": data_consent,
                    "data_consent_channel": channel,
                    "marketing_consent": marketing_consent,
                    "marketing_consent_channel": channel,
                }
            )
        except ApplicationError as error:
            for field, messages in error.fields.items():
                for message in messages:
                    row.fail(_CLEAN_FIELDS.get(field, "name"), message)
        uscc = self.text(row, "uscc")
        if uscc:
            try:
                row.uscc = uscc = identifiers.clean_uscc(uscc)
            except ValidationError as error:
                for message in error.messages:
                    row.fail("uscc", message)
            if kind == Customer.Kind.INDIVIDUAL:
                row.fail("uscc", _("Only a company has a unified social credit code."))
        texts = {key: self.limited(row, key) for key in ("landline", "province", "city", "district", "street")}
        contact = self.limited(row, "emergency_contact")
        source = self.choice(row, "source", Customer.Source.WALK_IN.value)
        customer_class = self.choice(row, "customer_class", Customer.CustomerClass.REGULAR.value)
        if row.errors:
            return None
        resident_id = cleaned.get("resident_id", "")
        return CustomerIn(
            kind=kind,
            name=cleaned["name"],
            mobiles=tuple(cleaned["mobiles"]),
            email=cleaned.get("email", ""),
            **texts,
            resident_id_cipher=privacy.encrypt(resident_id),
            resident_id_digest=privacy.digest(resident_id),
            resident_id_hint=identifiers.mask_resident_id(resident_id) if resident_id else "",
            uscc=uscc,
            emergency_contact=contact,
            emergency_phone=cleaned.get("emergency_phone", ""),
            source=source,
            customer_class=customer_class,
            data_consent=data_consent,
            marketing_consent=marketing_consent,
            consent_channel=channel,
        )

    def _vehicle(self, row: _Row) -> VehicleIn | None:
        override = self.choice(row, "vin_check_override", "no") == "yes"
        reason = self.limited(row, "vin_override_reason")
        try:
            row.vin = identifiers.clean_vin(self.text(row, "vin"), allow_bad_check_digit=override)
        except ValidationError as error:
            for message in error.messages:
                row.fail("vin", message)
        if override and not reason:
            row.fail(
                "vin_override_reason",
                _("Give the reason why this VIN has no valid check digit (e.g. imported vehicle)."),
            )
        plate = self.text(row, "plate")
        if plate:
            try:
                plate = identifiers.clean_plate(plate)
            except ValidationError as error:
                for message in error.messages:
                    row.fail("plate", message)
        model_id, model_fuel = self._model(row)
        year = self.whole(row, "model_year", low=-(10**9), high=10**9)
        if year is not None and not 1950 <= year <= self.today.year + 1:
            row.fail("model_year", _("Enter a model year between 1950 and next year."))
        fuel = self.choice(row, "fuel_type", model_fuel or Vehicle.FuelType.PETROL.value)
        purchase, warranty_end = self.day(row, "purchase_date"), self.day(row, "warranty_end")
        if purchase and warranty_end and warranty_end < purchase:
            row.fail("warranty_end", _("The warranty cannot end before it starts."))
        km = self.whole(row, "mileage", low=0, high=MILEAGE_MAX_KM)
        read_on = self.day(row, "mileage_date")
        if read_on is not None and km is None and "mileage" not in row.errors:
            row.fail("mileage", _("This field is required."))
        if read_on is not None and read_on > self.today:
            row.fail("mileage_date", _("The reading date cannot be in the future."))
        engine_no, colour = self.limited(row, "engine_no"), self.limited(row, "colour")
        if row.errors:
            return None
        return VehicleIn(
            vin=row.vin,
            vin_check_override=override,
            vin_override_reason=reason,
            plate=plate,
            model_id=model_id,
            model_year=year,
            engine_no=engine_no,
            colour=colour,
            fuel_type=fuel,
            purchase_date=purchase,
            warranty_end=warranty_end,
            km=km,
            read_on=(read_on or self.today) if km is not None else None,
        )

    def _model(self, row: _Row) -> tuple[int | None, str]:
        code, series, name = self.text(row, "brand"), self.text(row, "series"), self.text(row, "model")
        if not (code or series or name):
            return None, ""
        for key, value in (("brand", code), ("series", series), ("model", name)):
            if not value:
                row.fail(key, _("This field is required."))
        if not code:
            return None, ""
        brand_id = self.brands.get(code.upper())
        if brand_id is None:
            row.fail("brand", _("Unknown brand code “%(code)s”.") % {"code": code})
            return None, ""
        found = self.models.get((brand_id, series, name))
        if found is None:
            if series and name:
                row.fail("model", _("No such vehicle model."))
            return None, ""
        return found


# --- the import job ------------------------------------------------------------------------------------

_Parked = tuple[int, CustomerIn | None, VehicleIn | None]  # customer slot, new customer (or None), vehicle


class _Spill:
    """Valid rows parked on disk between checking and saving, so that memory stays flat for big files.

    The file has no name (it is unlinked at once) and holds no resident ID in clear.
    """

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile(dir=imports_dir())  # noqa: SIM115 - closed by close()

    def write(self, batch: list[_Parked]) -> None:
        if batch:
            pickle.dump(batch, self.file, protocol=pickle.HIGHEST_PROTOCOL)

    def batches(self) -> Iterator[list[_Parked]]:
        self.file.seek(0)
        while True:
            try:
                yield pickle.load(self.file)  # noqa: S301 - our own file, written by this job
            except EOFError:
                return

    def close(self) -> None:
        self.file.close()


@dataclass
class ImportResult:
    rows: int = 0
    error_rows: int = 0
    customers: int = 0
    vehicles: int = 0
    error_file: str = ""


class _Checking:
    """The first pass: every row checked, duplicates found, bad rows reported, valid rows parked."""

    def __init__(self, book: _Workbook) -> None:
        self.book = book
        self.result = ImportResult()
        self.spill = _Spill()
        self.vin_rows: dict[str, int] = {}
        self.uscc_rows: dict[str, tuple[int, tuple[str, str] | None]] = {}
        self.groups: dict[tuple[str, str], int] = {}
        self.has_vehicle = bytearray()  # per customer slot
        self.headers: list[list[Any]] = []
        self.report: XlsxWriter | None = None
        self.report_path: Path | None = None
        self.width = 0

    def run(self, on_progress: Callable[[int], None]) -> None:
        rows = self.book.rows()
        self.headers = [_first_row(rows)]
        self.positions = _header_positions(self.headers[0])
        self.checker = _RowChecker(self.positions)
        self.width = max([len(self.headers[0]), *(position + 1 for position in self.positions.values())])
        batch: list[_Row] = []
        for number, values in rows:
            first = len(self.headers) == 1 and not self.result.rows and not batch
            if first and _is_english_header(values, self.positions):
                self.headers.append(values)
                continue
            if all(value is None or (isinstance(value, str) and not value.strip()) for value in values):
                continue
            row = _Row(number, values, {})
            self.checker.check(row)
            batch.append(row)
            if len(batch) >= BATCH_ROWS:
                self._settle(batch)
                batch = []
                on_progress(self.result.rows)
        self._settle(batch)
        on_progress(self.result.rows)

    def _settle(self, batch: list[_Row]) -> None:
        """Check a batch against the archive and the rows before it; then report or park each row."""
        vins = {row.vin for row in batch if row.vin}
        in_archive = set(Vehicle.objects.filter(vin__in=vins).values_list("vin", flat=True)) if vins else set()
        usccs = {row.uscc for row in batch if row.uscc}
        taken = dict(Customer.objects.filter(uscc__in=usccs).values_list("uscc", "number")) if usccs else {}
        parked: list[_Parked] = []
        for row in batch:
            self.result.rows += 1
            if row.vin in in_archive:
                row.fail("vin", _("A vehicle with this VIN is already in the archive."))
            elif row.vin in self.vin_rows:
                row.fail("vin", _("This VIN is already in row %(row)d of this file.") % {"row": self.vin_rows[row.vin]})
            if row.vin:
                self.vin_rows.setdefault(row.vin, row.number)
            if row.uscc in taken:
                row.fail("uscc", _("Customer %(number)s already has this credit code.") % {"number": taken[row.uscc]})
            elif row.uscc in self.uscc_rows and self.uscc_rows[row.uscc][1] != row.key:
                earlier = self.uscc_rows[row.uscc][0]
                row.fail("uscc", _("This credit code is already in row %(row)d of this file.") % {"row": earlier})
            if row.uscc:
                self.uscc_rows.setdefault(row.uscc, (row.number, row.key))
            if row.errors or row.key is None:
                self._report(row)
                continue
            slot = self.groups.get(row.key)
            customer = row.customer if slot is None else None
            if slot is None:
                slot = self.groups[row.key] = self.result.customers
                self.result.customers += 1
                self.has_vehicle.append(0)
            if row.vehicle is not None:
                self.result.vehicles += 1
                self.has_vehicle[slot] = 1
            parked.append((slot, customer, row.vehicle))
        self.spill.write(parked)

    def _report(self, row: _Row) -> None:
        """Add the row to the error report: its values as read, then "column: message; …" and its number."""
        self.result.error_rows += 1
        if self.report is None:
            name = f"{secrets.token_hex(16)}-errors.xlsx"
            self.report_path = imports_dir() / name
            self.result.error_file = name
            widths = [*(COLUMNS[0].width for _position in range(self.width)), 60, 10]
            self.report = XlsxWriter(self.report_path, title=SHEET_TITLE, widths=widths, frozen_rows=len(self.headers))
            for index, header in enumerate(self.headers):
                labels = (ERRORS_HEADER[index], ROW_HEADER[index])
                self.report.append([*_padded(header, self.width), *labels], style="header" if index == 0 else "note")
        order = sorted(row.errors, key=lambda key: self.positions.get(key, len(COLUMNS)))
        described = "; ".join(
            f"{COLUMN_BY_KEY[key].label()}: {message}" for key in order for message in row.errors[key]
        )
        self.report.append([*_padded(row.values, self.width), described, row.number])

    def close(self, *, keep_report: bool) -> None:
        self.spill.close()
        if self.report is not None:
            self.report.close()
            if not keep_report and self.report_path is not None:
                self.report_path.unlink(missing_ok=True)


def _padded(values: list[Any], width: int) -> list[Any]:
    return (values + [None] * width)[:width]


def import_run(job_id: int) -> ImportJob | None:
    """Run a queued import job to its end; a job that is not queued (any more) is left alone.

    The job is claimed with a conditional UPDATE (queued → running), so a job delivered twice runs
    once. Any failure marks the job failed with its message (and logs it); nothing is saved then.
    Messages and the error report are in the language of the user who uploaded the file.
    """
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING
    )
    if not claimed:
        return None
    job = ImportJob.objects.select_related("store", "created_by").get(pk=job_id)
    language = job.created_by.preferred_language if job.created_by else settings.LANGUAGE_CODE
    with translation.override(language):
        try:
            _import(job)
        except WorkbookError as error:
            _fail(job, str(error))
        except Exception as error:  # any failure must end as a failed job, never a stuck one
            logger.exception("Import job %s failed", job.pk)
            _fail(job, _("The import failed: %(error)s") % {"error": f"{type(error).__name__}: {error}"[:500]})
    job.refresh_from_db()
    return job


def _fail(job: ImportJob, message: str) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.FAILED, message=message, finished_at=timezone.now()
    )


def _import(job: ImportJob) -> None:
    source = imports_dir() / job.storage_name
    if not source.is_file():
        raise WorkbookError(_("The uploaded file is no longer stored; upload it again."))
    book = _Workbook(source)
    checking = _Checking(book)
    estimate = max(0, (book.dimension_rows() or 0) - 1)
    done = False

    def progress(rows: int) -> None:
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.RUNNING).update(
            processed_rows=rows, total_rows=max(estimate - len(checking.headers) + 1, rows)
        )

    try:
        checking.run(progress)
        result = checking.result
        refused = job.mode == ImportJob.Mode.ALL_OR_NOTHING and result.error_rows > 0
        saving = not job.dry_run and not refused and result.customers > 0
        try:
            with transaction.atomic():
                if saving:
                    _save(job, checking)
                _finish(job, result, saved=saving)
        except IntegrityError:
            raise WorkbookError(
                _("A VIN or credit code of this file was added to the archive during the import; upload it again.")
            ) from None
        done = True
    finally:
        checking.close(keep_report=done)
        book.close()
    # The file is no longer needed: its bad rows are in the error report. Personal data is not kept longer.
    source.unlink(missing_ok=True)


def _finish(job: ImportJob, result: ImportResult, *, saved: bool) -> None:
    """Mark the job done with its counts and message, and write the import's one audit entry."""
    counts = {"customers": result.customers, "vehicles": result.vehicles, "errors": result.error_rows}
    if job.dry_run:
        message = _(
            "Dry run: %(customers)d customers and %(vehicles)d vehicles would be imported; %(errors)d rows have errors."
        )
    elif job.mode == ImportJob.Mode.ALL_OR_NOTHING and result.error_rows:
        message = _("Nothing was imported: %(errors)d rows have errors (all or nothing).")
    else:
        message = _("Imported %(customers)d customers and %(vehicles)d vehicles; %(errors)d rows with errors skipped.")
    shown = saved or job.dry_run
    audit_append(
        action="create",
        actor=job.created_by,
        store_id=job.store_id,
        object_type="customers.importjob",
        object_id=str(job.pk),
        object_repr=job.file_name,
        changes={
            "customers": result.customers if saved else 0,
            "vehicles": result.vehicles if saved else 0,
            "error_rows": result.error_rows,
            "dry_run": job.dry_run,
        },
    )
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.DONE,
        total_rows=result.rows,
        processed_rows=result.rows,
        created_customers=result.customers if shown else 0,
        created_vehicles=result.vehicles if shown else 0,
        error_rows=result.error_rows,
        error_file=result.error_file,
        message=message % counts,
        finished_at=timezone.now(),
    )


# --- saving in bulk ------------------------------------------------------------------------------------


class _Inserts:
    """Rows of one table written in batches: ``COPY`` on PostgreSQL, ``executemany`` elsewhere.

    Values come in the order of ``columns`` and already as the database takes them. Model ``save()``
    and ``bulk_create`` are bypassed for speed: bulk_create spends most of its time preparing each
    value, which for the 1.5 million rows of a 100,000-row import is most of a minute.
    """

    def __init__(self, model: type[Model], columns: Sequence[str]) -> None:
        fields = {field.attname: field for field in model._meta.concrete_fields}
        quote = connection.ops.quote_name
        names = ", ".join(quote(fields[column].column or column) for column in columns)
        table = quote(model._meta.db_table)
        marks = ", ".join(["%s"] * len(columns))
        self.sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 - names from the model
        self.copy_sql = f"COPY {table} ({names}) FROM STDIN"
        self.rows: list[tuple[Any, ...]] = []

    def add(self, *values: Any) -> None:
        self.rows.append(values)

    def flush(self) -> None:
        if not self.rows:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(self.copy_sql) as copy:
                    for row in self.rows:
                        copy.write_row(row)
            else:
                cursor.executemany(self.sql, self.rows)
        self.rows = []


_CUSTOMER_COLUMNS = (
    "number", "kind", "name", "name_initials", "name_pinyin", "landline", "email", "province", "city", "district",
    "street", "uscc", "resident_id_cipher", "resident_id_digest", "resident_id_hint", "emergency_contact",
    "emergency_phone", "preferences", "tags", "source", "owner_id", "customer_class", "marketing_consent",
    "marketing_consent_at", "marketing_consent_channel", "data_consent", "data_consent_at", "data_consent_channel",
    "home_store_id", "completeness", "created_at", "updated_at", "version",
)  # fmt: skip
_VEHICLE_COLUMNS = (
    "vin", "vin_check_override", "vin_override_reason", "plate", "model_id", "model_year", "engine_no", "colour",
    "fuel_type", "purchase_date", "warranty_start", "warranty_end", "created_at", "updated_at", "version",
)  # fmt: skip
_READING_COLUMNS = ("vehicle_id", "km", "read_on", "source", "reason", "recorded_by_id", "created_at")


class _CustomerKeys:
    """``search.customer_keys`` with the name's part (its pinyin, about 0.1 ms a name) worked out once per name.

    Checked against ``search.customer_keys`` itself on the first customer: should they ever differ,
    every customer goes through ``search.customer_keys``.
    """

    MAX_NAMES = 50_000

    def __init__(self) -> None:
        self.by_name: dict[str, list[tuple[str, str]]] = {}
        self.same: bool | None = None

    def __call__(self, *, number: str, name: str, mobiles: Sequence[str]) -> list[tuple[str, str]]:
        if self.same is False:
            return search.customer_keys(number=number, name=name, mobiles=mobiles)
        named = self.by_name.get(name)
        if named is None:
            if len(self.by_name) >= self.MAX_NAMES:
                self.by_name.clear()
            named = [key for key in search.customer_keys(number="", name=name, mobiles=()) if key[0] != "number"]
            self.by_name[name] = named
        keys = [("number", number.upper()), *named]
        for mobile in mobiles:
            keys += [("mobile", mobile), ("mobile4", mobile[-4:])]
        if self.same is None:
            exact = search.customer_keys(number=number, name=name, mobiles=mobiles)
            self.same = sorted(keys) == sorted(exact)
            return exact
        return keys


def _numbers_reserve(store: Store, count: int) -> tuple[str, int]:
    """Take ``count`` customer numbers of the store's sequence at once; return the prefix and the first.

    The numbers are those ``core.services.number_next`` would issue one by one. The sequence row stays
    locked until the caller's transaction ends, so the block is never handed out twice.
    """
    year = timezone.now().astimezone(store.zone).year
    sequences = DocumentSequence.objects.filter(store=store, doc_type="CUS", year=year)
    if not sequences.exists():
        with contextlib.suppress(IntegrityError), transaction.atomic():
            DocumentSequence.objects.create(store=store, doc_type="CUS", year=year, last_value=0)
    sequence = sequences.select_for_update().get()
    sequences.update(last_value=F("last_value") + count)
    return f"CUS-{store.code}-{year}-", sequence.last_value + 1


def _save(job: ImportJob, checking: _Checking) -> None:
    """Write the parked rows: customers, mobiles, vehicles, owners, mileage readings and search keys."""
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    today = timezone.localdate()
    on_day: Callable[[date | None], Any] = connection.ops.adapt_datefield_value
    required, _review_days = quality.rule_for(job.store_id)
    prefix, first = _numbers_reserve(job.store, checking.result.customers)
    customers = _Inserts(Customer, _CUSTOMER_COLUMNS)
    phones = _Inserts(CustomerPhone, ("customer_id", "number", "is_primary"))
    vehicles = _Inserts(Vehicle, _VEHICLE_COLUMNS)
    links = _Inserts(VehicleLink, ("vehicle_id", "customer_id", "role", "valid_from", "valid_to"))
    readings = _Inserts(MileageReading, _READING_COLUMNS)
    keys = _Inserts(SearchKey, ("key", "kind", "customer_id", "vehicle_id"))
    scratch = Customer(owner_id=job.created_by_id)  # what quality.facts_of reads, filled row by row
    customer_keys = _CustomerKeys()
    customer_ids: list[int] = []  # by slot
    owner, role, source = job.created_by_id, VehicleLink.Role.OWNER.value, MileageReading.Source.IMPORT.value
    for batch in checking.spill.batches():
        new: list[tuple[str, CustomerIn, list[tuple[str, str]]]] = []
        for slot, customer, _vehicle in batch:
            if customer is None:
                continue
            number = f"{prefix}{first + slot:06d}"
            found = customer_keys(number=number, name=customer.name, mobiles=customer.mobiles)
            new.append((number, customer, found))
            # customer_keys has worked the pinyin out already: take it from the keys, not from a second pass.
            initials = " ".join(key for kind, key in found if kind == "initials")
            pinyin = next((key for kind, key in found if kind == "pinyin"), customer.name.lower())
            for name in ("kind", "province", "city", "district", "street", "uscc", "email", "emergency_contact"):
                setattr(scratch, name, getattr(customer, name))
            scratch.emergency_phone, scratch.data_consent = customer.emergency_phone, customer.data_consent
            scratch.resident_id_digest = customer.resident_id_digest
            score, _missing = quality.completeness(
                quality.facts_of(scratch, has_mobile=True, has_vehicle=bool(checking.has_vehicle[slot])), required
            )
            marketing, data = customer.marketing_consent, customer.data_consent
            customers.add(
                number, customer.kind, customer.name, initials, pinyin, customer.landline, customer.email,
                customer.province, customer.city, customer.district, customer.street, customer.uscc,
                customer.resident_id_cipher, customer.resident_id_digest, customer.resident_id_hint,
                customer.emergency_contact, customer.emergency_phone, "", "[]", customer.source, owner,
                customer.customer_class, marketing, stamp if marketing else None,
                customer.consent_channel if marketing else "", data, stamp if data else None,
                customer.consent_channel if data else "", job.store_id, score, stamp, stamp, 1,
            )  # fmt: skip
        customers.flush()
        ids = dict(Customer.objects.filter(number__in=[number for number, *_rest in new]).values_list("number", "pk"))
        for number, customer, found in new:
            customer_ids.append(ids[number])
            for position, mobile in enumerate(customer.mobiles):
                phones.add(ids[number], mobile, position == 0)
            keys.rows += [(key, kind, ids[number], None) for kind, key in found]
        owned = [(customer_ids[slot], vehicle) for slot, _customer, vehicle in batch if vehicle is not None]
        for _owner_id, v in owned:
            vehicles.add(
                v.vin, v.vin_check_override, v.vin_override_reason, v.plate, v.model_id, v.model_year, v.engine_no,
                v.colour, v.fuel_type, on_day(v.purchase_date), on_day(v.purchase_date if v.warranty_end else None),
                on_day(v.warranty_end), stamp, stamp, 1,
            )  # fmt: skip
        vehicles.flush()
        vehicle_ids = dict(Vehicle.objects.filter(vin__in=[v.vin for _o, v in owned]).values_list("vin", "pk"))
        for owner_id, v in owned:
            vehicle_id = vehicle_ids[v.vin]
            links.add(vehicle_id, owner_id, role, on_day(v.purchase_date or today), None)
            if v.km is not None:
                readings.add(vehicle_id, v.km, on_day(v.read_on), source, "", owner, stamp)
            keys.rows += [(key, kind, None, vehicle_id) for kind, key in search.vehicle_keys(vin=v.vin, plate=v.plate)]
        for table in (phones, links, readings, keys):
            table.flush()


# --- export ------------------------------------------------------------------------------------------

_EXPORTED_CUSTOMER_COLUMNS = COLUMNS[: COLUMNS.index(COLUMN_BY_KEY["vin"])]
EXPORT_HEADERS: tuple[tuple[str, str], ...] = (
    ("客户编号", "Number"),
    *((column.zh, column.en) for column in _EXPORTED_CUSTOMER_COLUMNS),
    ("车架号(VIN)", "VINs"),
    ("车牌号", "Plates"),
    ("车型", "Models"),
    ("登记门店", "Home store"),
    ("建档日期", "Created"),
    ("完整度(%)", "Completeness (%)"),
)
_EXPORT_WIDTHS = (18, *(column.width for column in _EXPORTED_CUSTOMER_COLUMNS), 20, 12, 24, 10, 12, 10)


def _label(choices: tuple[tuple[str, str], ...], value: str) -> str:
    return next((label for code, label in choices if code == value), value)


def _export_row(customer: Customer, *, personal: bool) -> list[Any]:
    shown = selectors.customer_personal(customer, personal=personal)
    mobiles: list[str] = shown["mobiles"]
    vehicles = [link.vehicle for link in getattr(customer, "current_links", [])]
    channel = customer.data_consent_channel or customer.marketing_consent_channel
    return [
        customer.number, _label(KIND_CHOICES, customer.kind), customer.name,
        mobiles[0] if mobiles else "", ", ".join(mobiles[1:]), customer.landline, customer.email,
        customer.province, customer.city, customer.district, shown["street"], shown["resident_id"], shown["uscc"],
        customer.emergency_contact, shown["emergency_phone"], _label(SOURCE_CHOICES, customer.source),
        _label(CLASS_CHOICES, customer.customer_class), "是" if customer.data_consent else "否",
        "是" if customer.marketing_consent else "否", _label(CHANNEL_CHOICES, channel),
        "\n".join(vehicle.vin for vehicle in vehicles), "\n".join(vehicle.plate for vehicle in vehicles),
        "\n".join(str(vehicle.model or "") for vehicle in vehicles), customer.home_store.code,
        timezone.localtime(customer.created_at).date(), customer.completeness,
    ]  # fmt: skip


def customers_export(
    *,
    actor: User,
    store_id: int | None,
    personal: bool,
    q: str | None = None,
    customer_class: str | None = None,
    home_store_id: int | None = None,
) -> tuple[IO[bytes], int]:
    """Write the filtered customer list, with each customer's current vehicles, to an .xlsx; audit it.

    Personal fields are masked unless ``personal`` (the view-personal right), as on the list. Returns
    the file (an unnamed temporary file at its start; the caller closes it) and the customers written.
    """
    customers = (
        selectors.customer_list(q=q, customer_class=customer_class, home_store_id=home_store_id)
        .prefetch_related(
            Prefetch(
                "vehicle_links",
                queryset=VehicleLink.objects.filter(valid_to=None)
                .select_related("vehicle__model__brand")
                .order_by("pk"),
                to_attr="current_links",
            )
        )
        .order_by("number", "pk")
    )
    target = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who closes it
    writer = XlsxWriter(target, title=_("Customers"), widths=_EXPORT_WIDTHS, frozen_rows=2)
    writer.append([zh for zh, _en in EXPORT_HEADERS], style="header")
    writer.append([en for _zh, en in EXPORT_HEADERS], style="note")
    rows = 0
    for customer in customers.iterator(chunk_size=1000):
        writer.append(_export_row(customer, personal=personal))
        rows += 1
    writer.close()
    filters = {
        name: value
        for name, value in (("q", q), ("customer_class", customer_class), ("home_store", home_store_id))
        if value not in (None, "")
    }
    audit_append(
        action="export",
        actor=actor,
        store_id=store_id,
        object_type="customers.customer",
        object_repr=_("Customer list (Excel)"),
        changes={"filters": filters, "rows": rows, "masked": not personal},
    )
    target.seek(0)
    return target, rows
