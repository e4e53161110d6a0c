"""Writing .xlsx workbooks as streams (``XlsxWriter``): row by row in constant memory, for error reports
and exports that can be large."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape, quoteattr

from django.utils import timezone

from aftersales.core.xlsx.reading import _EPOCH_1900, column_letter

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
                self.letters.append(column_letter(len(self.letters)))
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
