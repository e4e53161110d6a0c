"""Printed documents: Chinese text in the shipped font, embedded as a subset, on A4 or a receipt roll,
with the letterhead of the store's legal entity, page numbers, a QR code and images."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from pypdf import PdfReader

from aftersales.core.models import Store
from aftersales.core.pdf import FONT_DIR, pdf_render
from aftersales.core.tests.factories import LegalEntityFactory, StoreFactory

SAMPLE = Path(__file__).parent / "print" / "sample.typ"
RARE = "张三 𠮷 堃 喆 䶮 ¥128.50"
MM = 72 / 25.4


def _png(width: int = 4, height: int = 2) -> bytes:
    """A small red PNG, written by hand."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _row in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def _data(rows: int = 3) -> dict[str, Any]:
    return {
        "line": RARE,
        "facts": [["客户", "王五"], ["车牌", "沪A12345"]],
        "head": ["序号", "内容"],
        "rows": [[str(row + 1), f"第{row + 1}行 保养 更换机油 𠮷"] for row in range(rows)],
    }


def _store() -> Store:
    entity = LegalEntityFactory(name="上海测试汽车服务有限公司", repair_filing_no="310115-2019-0123")
    return StoreFactory(name="浦东店", address="上海市浦东新区金桥路1号", phone="021-58881234", legal_entity=entity)


def _text(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def _squeezed(text: str) -> str:
    """Text without white space: extraction puts spaces between Han characters and digits."""
    return "".join(text.split())


def _fonts(reader: PdfReader) -> list[dict[str, Any]]:
    found = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            found.append({"name": str(font["/BaseFont"]), "descriptor": descendant["/FontDescriptor"].get_object()})
    return found


@pytest.mark.django_db
def test_chinese_text_is_set_in_the_shipped_font_embedded_as_a_subset() -> None:
    with translation.override("zh-hans"):
        pdf = pdf_render(SAMPLE, _data(), title="测试单据", store=_store(), printed_by="王建国")
    reader = PdfReader(io.BytesIO(pdf))
    fonts = _fonts(reader)
    assert fonts
    for font in fonts:
        # One font only (no fallback for a missing glyph), embedded (FontFile3: CFF) as a subset (ABCDEF+).
        prefix, _plus, family = font["name"].lstrip("/").partition("+")
        assert (len(prefix), prefix.isupper(), family) == (6, True, "NotoSansCJKsc-Regular-Identity-H")
        assert "/FontFile3" in font["descriptor"]
    text = _text(reader)
    # Every character came out as it went in: none missing, the rare name characters included.
    assert RARE in text
    assert "第3行保养更换机油𠮷" in _squeezed(text)
    # The letterhead from the store's legal entity, the title, the page numbers, who printed it.
    for expected in (
        "上海测试汽车服务有限公司",
        "浦东店",
        "上海市浦东新区金桥路1号",
        "021-58881234",
        "维修备案号310115-2019-0123",
    ):
        assert expected in _squeezed(text)
    assert "测试单据" in text
    assert "第 1 页 / 共 1 页" in text
    assert "王建国 打印于" in text
    # The whole font is 7 MB; the document carries only what it uses.
    assert len(pdf) < 200_000 < (FONT_DIR / "NotoSansCJKsc-Regular.otf").stat().st_size


@pytest.mark.django_db
def test_a4_pages_are_numbered_and_a_receipt_is_80_mm_wide_and_one_long_page() -> None:
    with translation.override("en"):
        a4 = PdfReader(io.BytesIO(pdf_render(SAMPLE, _data(rows=90), title="T", store=None, printed_by="x")))
    assert len(a4.pages) == 2
    assert [round(float(v)) for v in a4.pages[0].mediabox[2:]] == [595, 842]
    assert "Page 1 of 2" in a4.pages[0].extract_text()
    assert "Page 2 of 2" in a4.pages[1].extract_text()
    receipt = PdfReader(
        io.BytesIO(pdf_render(SAMPLE, _data(rows=90), title="T", store=_store(), printed_by="x", paper="receipt80"))
    )
    assert len(receipt.pages) == 1
    assert round(float(receipt.pages[0].mediabox[2]) / MM) == 80
    assert float(receipt.pages[0].mediabox[3]) > 842  # as long as its content
    assert "90第90行保养更换机油𠮷" in _squeezed(receipt.pages[0].extract_text())


@pytest.mark.django_db
def test_a_qr_code_and_images_are_printed() -> None:
    plain = pdf_render(SAMPLE, _data(), title="T", store=None, printed_by="x")
    with_qr = pdf_render(SAMPLE, _data(), title="T", store=None, printed_by="x", qr="https://example.test/c/1/")
    # The QR code is drawn as vector squares next to the letterhead.
    plain_ops = PdfReader(io.BytesIO(plain)).pages[0].get_contents().get_data()  # type: ignore[union-attr]
    qr_reader = PdfReader(io.BytesIO(with_qr))
    qr_ops = qr_reader.pages[0].get_contents().get_data()  # type: ignore[union-attr]
    assert len(qr_ops) > len(plain_ops) + 2_000
    signed = PdfReader(
        io.BytesIO(pdf_render(SAMPLE, _data(), title="T", store=None, printed_by="x", images={"signature": _png()}))
    )
    objects = [item.get_object() for item in signed.pages[0]["/Resources"]["/XObject"].values()]
    assert [(o["/Subtype"], o["/Width"], o["/Height"]) for o in objects if o["/Subtype"] == "/Image"] == [
        ("/Image", 4, 2)
    ]
    with pytest.raises(ValueError, match="PNG or a JPEG"):
        pdf_render(SAMPLE, _data(), title="T", store=None, printed_by="x", images={"signature": b"GIF89a..."})
