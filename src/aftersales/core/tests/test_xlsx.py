"""The streaming .xlsx reader and writer: they agree with each other and with openpyxl."""

import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from django.utils import translation
from openpyxl import Workbook, load_workbook

from aftersales.core.xlsx import WorkbookError, XlsxReader, XlsxWriter, column_index, column_letter


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages in English, to match them."""
    with translation.override("en"):
        yield


def test_column_letters_and_positions_are_inverse() -> None:
    assert [column_letter(index) for index in (0, 25, 26, 51, 701, 702, 16383)] == [
        "A", "Z", "AA", "AZ", "ZZ", "AAA", "XFD",
    ]  # fmt: skip
    assert [column_index(letters) for letters in ("A", "z", "AA", "XFD")] == [0, 25, 26, 16383]
    assert all(column_index(column_letter(index)) == index for index in range(2000))
    with pytest.raises(ValueError, match="A1"):
        column_index("A1")


def test_writer_output_reads_back_in_openpyxl_and_in_the_reader(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    writer = XlsxWriter(path, title="表<1>", widths=[10, 20], frozen_rows=1)
    writer.append(["名称", "日期", "数"], style="header")
    writer.append([" 空格 ", date(2024, 2, 29), 12345678901, True, None, "a\x01b&<c>", 1.5])
    writer.close()
    openpyxl_rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert openpyxl_rows[1] == (" 空格 ", datetime(2024, 2, 29), 12345678901, True, None, "ab&<c>", 1.5)
    book = XlsxReader(path)
    assert [values for _n, values in book.rows()] == [
        ["名称", "日期", "数"],
        [" 空格 ", datetime(2024, 2, 29), 12345678901, True, None, "ab&<c>", 1.5],
    ]
    book.close()


def test_shared_strings_are_written_once_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "shared.xlsx"
    writer = XlsxWriter(path, title="sheet", shared_strings=True)
    writer.append(["张三", "李四", "张三"])
    writer.append(["李四", 7])
    writer.close()
    with zipfile.ZipFile(path) as package:
        table = package.read("xl/sharedStrings.xml").decode()
    assert table.count("<si>") == 2 and 'uniqueCount="2"' in table
    with XlsxReader(path) as book:
        assert book.sheet_title == "sheet"
        assert list(book.rows()) == [(1, ["张三", "李四", "张三"]), (2, ["李四", 7])]


def test_the_reader_agrees_with_openpyxl_on_formulas_entities_and_line_breaks(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["A&B <c> \"q\" 'a'", "=1+2", "line1\r\nline2", 3.25, False, date(2024, 1, 31)])
    sheet.append([None, "x", None, None, None, None, "last"])
    book.save(tmp_path / "mixed.xlsx")
    expected = list(load_workbook(tmp_path / "mixed.xlsx", read_only=True, data_only=True).active.values)
    ours = XlsxReader(tmp_path / "mixed.xlsx")
    rows = [tuple(values) for _n, values in ours.rows()]
    ours.close()
    # One difference on purpose: a formula without a stored result (openpyxl writes none) reads as its
    # text, where openpyxl gives None, so that an import can name it and its report keep it.
    expected[0] = (expected[0][0], "=1+2", *expected[0][2:])
    assert [row + (None,) * (7 - len(row)) for row in rows] == [tuple(row) for row in expected]
    assert rows[0][0] == "A&B <c> \"q\" 'a'" and rows[0][1] == "=1+2"


def test_files_that_are_no_workbook_are_refused_with_a_message(tmp_path: Path) -> None:
    text = tmp_path / "notes.xlsx"
    text.write_text("not a zip")
    with pytest.raises(WorkbookError, match=r"not an Excel workbook \(\.xlsx\)"):
        XlsxReader(text)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("readme.txt", "hello")
    other = tmp_path / "other.xlsx"
    other.write_bytes(buffer.getvalue())
    with pytest.raises(WorkbookError, match=r"not an Excel workbook \(\.xlsx\)"):
        XlsxReader(other)


def test_a_package_that_unpacks_beyond_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.xlsx"
    writer = XlsxWriter(path, title="sheet")
    for _row in range(50):
        writer.append(["x" * 1000])
    writer.close()
    with pytest.raises(WorkbookError, match="unpacks to more than 0 MB"):
        XlsxReader(path, max_unpacked_bytes=1000)
    with XlsxReader(path) as book:
        assert book.dimension_rows() is None  # the writer states no dimension
        assert sum(1 for _row in book.rows()) == 50


def test_a_sheet_cut_off_in_the_middle_is_damaged(tmp_path: Path) -> None:
    whole = tmp_path / "whole.xlsx"
    writer = XlsxWriter(whole, title="sheet")
    writer.append(["a", 1])
    writer.close()
    cut = tmp_path / "cut.xlsx"
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(cut, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, data[: data.index(b"</sheetData>")] if name.endswith("sheet1.xml") else data)
    with XlsxReader(cut) as book, pytest.raises(WorkbookError, match="damaged"):
        list(book.rows())


def _with_shared_strings(path: Path, items: str, cells: int) -> None:
    """Write a one-row sheet whose cells are shared strings 0 … cells-1, with the given string table."""
    writer = XlsxWriter(path, title="sheet", shared_strings=True)
    writer.append([f"s{index}" for index in range(cells)])
    writer.close()
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    parts["xl/sharedStrings.xml"] = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + items + "</sst>"
    ).encode()
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)


def test_plain_shared_strings_are_read_as_an_xml_parser_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "plain.xlsx"
    items = (
        "<si><t>A&amp;B &lt;c&gt; &#x4E2D;&#25991;</t></si>"
        '<si><t xml:space="preserve"> two\r\nlines </t></si>'
        "<si><t>tab_x0009_here</t></si>"
        "<si><t/></si>\n  "
        "<si>\n<t>spaced</t>\n</si>"
    )
    _with_shared_strings(path, items, 5)
    with XlsxReader(path) as book:
        assert book.strings == ["A&B <c> 中文", " two\nlines ", "tab\there", "", "spaced"]
        assert list(book.rows()) == [(1, ["A&B <c> 中文", " two\nlines ", "tab\there", "", "spaced"])]


def test_rich_shared_strings_are_read_by_the_xml_parser(tmp_path: Path) -> None:
    path = tmp_path / "rich.xlsx"
    items = (
        "<si><t>plain</t></si>"
        "<si><r><rPr><b/></rPr><t>bo</t></r><r><t>ld</t></r><rPh><t>ignored</t></rPh></si>"
        "<si><t>after</t></si>"
    )
    _with_shared_strings(path, items, 3)
    with XlsxReader(path) as book:
        assert list(book.rows()) == [(1, ["plain", "bold", "after"])]


def test_rows_in_another_form_than_excel_writes_are_read_by_the_xml_parser(tmp_path: Path) -> None:
    # A formula cell (<f>) and an attribute order of its own: no regular-expression reading for this block.
    path = tmp_path / "formula.xlsx"
    writer = XlsxWriter(path, title="sheet")
    writer.append(["x"])
    writer.close()
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="2" spans="1:3"><c t="inlineStr" r="A2"><is><t>a&amp;b</t></is></c>'
        '<c r="B2"><f>1+2</f><v>3</v></c><c r="D2" t="b"><v>1</v></c><c r="E2" s="3"><v>45352</v></c></row>'
        "<row><c><v>7.5</v></c></row></sheetData></worksheet>"
    )
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    with XlsxReader(path) as book:
        assert list(book.rows()) == [(2, ["a&b", 3, None, True, datetime(2024, 3, 1)]), (3, [7.5])]
