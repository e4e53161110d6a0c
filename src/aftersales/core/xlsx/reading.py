"""Reading and writing .xlsx workbooks as streams, for imports and exports of any business area.

Reading uses a small streaming reader of the OOXML parts (``XlsxReader``) rather than openpyxl,
whose read-only mode alone spends 45-50 s on a 100,000-row sheet on a 2-core server (its shared
strings and cell objects), with or without lxml. The reader takes the first sheet in blocks of whole
rows: a block in the form Excel writes is read with regular expressions (checked to cover every byte
of it), any other block with the C XML parser; it hands back plain values (text, numbers, booleans,
datetimes) as openpyxl's ``values_only`` does. Files that can be large (error reports, exports) are
written with the small streaming ``XlsxWriter``, row by row in constant memory.
"""

from __future__ import annotations

import functools
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from xml.etree import ElementTree

from django.utils.translation import gettext as _

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# The default limit of what a package may unpack to: a 20 MB workbook of 100,000 rows unpacks to
# about 110 MB; anything far beyond is a zip bomb.
MAX_UNPACKED_BYTES = 600 * 1024 * 1024


class WorkbookError(Exception):
    """The file cannot be read as the workbook expected; the message is for the user."""


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
        return _unescaped(text) if "_x" in text else text
    parts = []
    for child in node:
        if child.tag == f"{_MAIN}t":
            parts.append(child.text or "")
        elif child.tag == f"{_MAIN}r":
            parts.append(child.findtext(f"{_MAIN}t") or "")
    text = "".join(parts)
    return _unescaped(text) if "_x" in text else text


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


# A cell as read: column letters, type, style, and its value's text (the string itself when inline).
_Cell = tuple[str, str | None, str | None, str | None]


_XML_ENTITY = re.compile(r"&(?:#x([0-9A-Fa-f]+)|#([0-9]+)|(lt|gt|amp|quot|apos));")


_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


_ROW_NUMBER = re.compile(r'\br="([0-9]+)"')


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


@functools.cache
def _string_patterns(prefix: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Shared strings as Excel writes plain ones (one ``t`` per ``si``): the whole block, and each text."""
    p = re.escape(prefix)
    item = rf'<{p}si>\s*<{p}t(?: xml:space="preserve")?(?:/>|>({_TEXT_CONTENT})</{p}t>)\s*</{p}si>'
    plain_item = re.sub(r"\((?!\?)", "(?:", item)
    return re.compile(rf"(?:\s*{plain_item})*\s*"), re.compile(item)


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


def _unescaped(text: str) -> str:
    """Text with Excel's escapes of characters XML cannot hold (``_x000D_``) replaced."""
    return _ESCAPED_CHAR.sub(lambda match: chr(int(match.group(1), 16)), text)


def _shared_strings(stream: IO[bytes]) -> list[str]:
    """The shared-string table: plain blocks (as Excel writes them) by regular expression, others parsed."""
    strings: list[str] = []
    for opening, block, closing, prefix in _blocks(stream, "sst", "si"):
        whole, item = _string_patterns(prefix.decode())
        text = block.decode()
        if whole.fullmatch(text) is None:
            strings += [_rich_text(node) for node in _parsed(opening, block, closing)]
            continue
        for raw in item.findall(text):
            if "&" in raw or "\r" in raw:
                raw = _xml_text(raw)
            strings.append(_unescaped(raw) if "_x" in raw else raw)
    return strings


def _tree_rows(opening: bytes, block: bytes, closing: bytes) -> Iterator[tuple[int | None, list[_Cell]]]:
    """Read a block of rows with the XML parser: any valid sheet XML."""
    value_tag, inline_tag, formula_tag = f"{_MAIN}v", f"{_MAIN}is", f"{_MAIN}f"
    for row in _parsed(opening, block, closing):
        cells: list[_Cell] = []
        for cell in row:
            kind = cell.get("t")
            if kind == "inlineStr":
                inline = cell.find(inline_tag)
                raw = _rich_text(inline) if inline is not None else None
            else:
                raw = cell.findtext(value_tag)
            formula = cell.findtext(formula_tag)
            if formula and not raw:
                # A formula the program that wrote the file did not work out (openpyxl, scripts): its
                # text, so that a check can name it and an error report shows what the user wrote.
                kind, raw = "str", "=" + formula
            cells.append(((cell.get("r") or "").rstrip(_DIGITS), kind, cell.get("s"), raw))
        yield (int(row.get("r") or 0) or None), cells


class XlsxReader:
    """The first worksheet of an .xlsx file, read as a stream of rows of plain values.

    Opening reads the package, the workbook, shared strings and styles, and raises ``WorkbookError``
    (with a message for the user) when the file is no workbook, is damaged, or unpacks to more than
    ``max_unpacked_bytes``. Close it (or use it as a context manager) to release the file.
    """

    def __init__(self, path: Path, *, max_unpacked_bytes: int = MAX_UNPACKED_BYTES) -> None:
        self.max_unpacked_bytes = max_unpacked_bytes
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
        if sum(info.file_size for info in self.archive.infolist()) > self.max_unpacked_bytes:
            raise WorkbookError(
                _("The workbook unpacks to more than %(mb)d MB.") % {"mb": self.max_unpacked_bytes >> 20}
            )
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
                self.strings = _shared_strings(stream)
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
        """Close the file and let go of the shared strings (closing twice does no harm)."""
        self.archive.close()
        self.strings = []

    def __enter__(self) -> XlsxReader:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def dimension_rows(self) -> int | None:
        """The number of the last row, from the sheet's ``dimension`` element, if it states one."""
        with self.archive.open(self.sheet_part) as stream:
            head = stream.read(4096)
        found = re.search(rb"<(?:[\w.-]+:)?dimension\s+ref=\"[A-Z]*\d*:?[A-Z]*(\d+)\"", head)
        return int(found.group(1)) if found else None

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        """Yield (row number, values by column position) for every row that the sheet stores."""
        columns: dict[str, int] = {}
        number = 0
        try:
            with self.archive.open(self.sheet_part) as stream:
                for opening, block, closing, prefix in _blocks(stream, "sheetData", "row"):
                    rows = self._fast_rows(block, prefix, columns)
                    for row_number, values in (
                        self._tree_rows(opening, block, closing, columns) if rows is None else rows
                    ):
                        number = row_number or number + 1
                        yield number, values
        except (ValueError, IndexError, zipfile.BadZipFile, OverflowError, EOFError):
            raise _damaged() from None

    def _fast_rows(
        self, block: bytes, prefix: bytes, columns: dict[str, int]
    ) -> list[tuple[int | None, list[Any]]] | None:
        """Read a block of rows written the way Excel writes them (attributes r, s, t; a ``v`` or a plain
        inline string per cell) with regular expressions, several times faster than building a tree.

        The whole block must match that form, so nothing is skipped unnoticed; any other block (formulas,
        rich text, other attributes) gets None and is read by the XML parser instead. Text and numbers,
        nearly every cell, are converted here; other cells as ``_value`` does.
        """
        whole, tokens = _row_patterns(prefix.decode())
        text = block.decode()
        if whole.fullmatch(text) is None:
            return None
        strings, date_styles, epoch = self.strings, self.date_styles, self.epoch
        rows: list[tuple[int | None, list[Any]]] = []
        values: list[Any] = []
        for attributes, _closed, letters, style, kind, style_after, value, inline in tokens.findall(text):
            if not letters:
                found = _ROW_NUMBER.search(attributes)
                values = []
                rows.append((int(found.group(1)) if found else None, values))
                continue
            position = columns.get(letters)
            if position is None:
                position = columns[letters] = column_index(letters)
            raw = inline or value
            if not raw:
                cell: Any = None
            else:
                if "&" in raw or "\r" in raw:
                    raw = _xml_text(raw)
                if inline and "_x" in inline:
                    raw = _unescaped(raw)
                if kind == "s":
                    cell = strings[int(raw)]
                elif not kind or kind == "n":
                    cell = float(raw) if "." in raw or "e" in raw or "E" in raw else int(raw)
                    if (style or style_after) in date_styles:
                        cell = epoch + timedelta(days=cell)
                else:
                    cell = self._value(kind, style or style_after or None, raw)
            if position == len(values):
                values.append(cell)
            elif position > len(values):
                values += [None] * (position - len(values))
                values.append(cell)
            else:
                values[position] = cell
        return rows

    def _tree_rows(
        self, opening: bytes, block: bytes, closing: bytes, columns: dict[str, int]
    ) -> Iterator[tuple[int | None, list[Any]]]:
        for row_number, cells in _tree_rows(opening, block, closing):
            values: list[Any] = []
            for letters, kind, style, raw in cells:
                if letters:
                    position = columns.get(letters)
                    if position is None:
                        position = columns[letters] = column_index(letters)
                else:
                    position = len(values)
                if position >= len(values):
                    values.extend([None] * (position + 1 - len(values)))
                values[position] = self._value(kind, style, raw)
            yield row_number, values

    def _value(self, kind: str | None, style: str | None, raw: str | None) -> Any:
        """A cell's value from its type, style and text, as openpyxl's ``values_only`` gives it."""
        if raw is None or kind in {"inlineStr", "str", "e"}:
            return raw
        if not raw:
            return None  # e.g. a formula without a cached result
        if kind == "s":
            return self.strings[int(raw)]
        if kind == "b":
            return raw.strip() in {"1", "true"}
        if kind == "d":
            return datetime.fromisoformat(raw.strip().rstrip("Z"))
        number = float(raw) if "." in raw or "e" in raw or "E" in raw else int(raw)
        return self.epoch + timedelta(days=number) if style in self.date_styles else number


def _join(folder: str, target: str) -> str:
    parts: list[str] = [part for part in folder.split("/") if part]
    for part in target.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part and part != ".":
            parts.append(part)
    return "/".join(parts)


def column_index(letters: str) -> int:
    """The 0-based position of a column named by its letters: A is 0, Z 25, AA 26."""
    index = 0
    for char in letters.upper():
        if not "A" <= char <= "Z":
            raise ValueError(letters)
        index = index * 26 + ord(char) - 64
    return index - 1


def column_letter(index: int) -> str:
    """The letters of the column at a 0-based position: 0 is A, 26 AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters
