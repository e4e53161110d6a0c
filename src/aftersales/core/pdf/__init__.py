"""Printed documents: one service renders any business document from a template to PDF.

A document is a Typst template of its area (``<area>/templates/<area>/print/<name>.typ``) and its data. The
service lays it out on A4 or an 80 mm receipt roll with the store's letterhead (its legal entity's
name, the store's address and phone, the repair business filing number), a QR code, page numbers
and optional images (a signature, a photo), and sets Chinese text in the Noto Sans CJK SC font that
ships in ``fonts/`` under the SIL Open Font License (see ``fonts/SOURCE.md``): the PDF embeds the
characters it uses, a subset, and no system font or library is needed.

Typst (the ``typst`` wheel, its compiler in Rust) lays out a multi-page document in tens of
milliseconds; the pure-Python libraries took seconds to subset a CJK font of this size. The data goes
to the template as JSON (``data``), never spliced into its markup, so no value can act as markup.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import segno
import typst
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aftersales.core.models import Store

FONT_DIR = Path(__file__).parent / "fonts"
FONT_FAMILY = "Noto Sans CJK SC"
LIBRARY = Path(__file__).parent / "typst" / "lib.typ"

Paper = Literal["a4", "receipt80"]

# Images a document may carry, by their first bytes.
_IMAGE_TYPES = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg"}


class PdfError(Exception):
    """A template that does not compile: a defect of the template, never of the user's input."""


@dataclass(frozen=True)
class Letterhead:
    company: str  # the legal entity's name, else the store's
    store: str
    address: str
    phone: str
    filing: str  # "Repair filing: ..." as printed, or ""


def letterhead(store: Store | None) -> Letterhead:
    """The letterhead of ``store``'s documents, from its legal entity."""
    if store is None:
        return Letterhead("", "", "", "", "")
    entity = store.legal_entity
    filing = entity.repair_filing_no if entity is not None else ""
    return Letterhead(
        company=entity.name if entity is not None else store.name,
        store=store.name if entity is not None else "",
        address=store.address,
        phone=store.phone,
        filing=_("Repair filing no. %(number)s") % {"number": filing} if filing else "",
    )


def _image_file(content: bytes) -> str:
    for magic, extension in _IMAGE_TYPES.items():
        if content.startswith(magic):
            return extension
    raise ValueError("A printed image is a PNG or a JPEG.")


def pdf_render(
    template: Path,
    data: Mapping[str, Any],
    *,
    title: str,
    store: Store | None,
    printed_by: str,
    paper: Paper = "a4",
    qr: str | None = None,
    images: Mapping[str, bytes] | None = None,
) -> bytes:
    """``template`` filled with ``data`` as a PDF.

    ``qr``: the text of a QR code printed by the letterhead (a link to the record); ``images``: named
    PNG or JPEG images the template places (``image-of("signature")``). Texts the layout prints
    (page numbers, "printed by") are in the active language.
    """
    now = timezone.localtime()
    language = translation.get_language() or "zh-hans"
    chinese = language.startswith("zh")
    meta: dict[str, Any] = {
        "title": title,
        "paper": paper,
        "lang": "zh" if chinese else "en",
        "region": "cn" if chinese else "gb",
        "letterhead": asdict(letterhead(store)),
        "qr": None,
        "images": {},
        "labels": {
            "page": _("Page {page} of {pages}"),
            "printed": _("Printed %(time)s by %(name)s") % {"time": now.strftime("%Y-%m-%d %H:%M"), "name": printed_by},
        },
    }
    with tempfile.TemporaryDirectory(prefix="aftersales-pdf-") as folder:
        root = Path(folder)
        (root / "lib.typ").write_text(LIBRARY.read_text(encoding="utf-8"), encoding="utf-8")
        (root / "main.typ").write_text(template.read_text(encoding="utf-8"), encoding="utf-8")
        if qr:
            segno.make(qr, error="m").save(str(root / "qr.svg"), kind="svg", border=0)
            meta["qr"] = "qr.svg"
        for name, content in (images or {}).items():
            file_name = f"image-{len(meta['images'])}.{_image_file(content)}"
            (root / file_name).write_bytes(content)
            meta["images"][name] = file_name
        (root / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        (root / "data.json").write_text(json.dumps(data, ensure_ascii=False, default=str), encoding="utf-8")
        try:
            return typst.compile(
                str(root / "main.typ"),
                root=str(root),
                font_paths=[str(FONT_DIR)],
                ignore_system_fonts=True,
                timestamp=int(now.timestamp()),
                # Untagged: poppler (pdftotext, many viewers) reads typst's structure tags as broken.
                pdf_tags=False,
            )
        except typst.TypstError as error:
            raise PdfError(f"{template.name}: {error}") from error
