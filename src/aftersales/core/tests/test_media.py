"""The media service's storage and upload checks (the archive's ID copies are its first user)."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from aftersales.core.errors import ApplicationError
from aftersales.core.media import LocalStorage, describe_content, photo_store, store_upload


class _Refused(Exception):
    pass


def _refuse_large(size: int) -> Exception:
    return _Refused(f"too large: {size}")


def _only_png(head: bytes) -> str:
    if not head.startswith(b"\x89PNG\r\n\x1a\n"):
        raise _Refused(f"not a PNG: {describe_content(head)}")
    return "image/png"


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


def test_local_storage_keeps_reads_and_deletes_under_generated_names(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "files")
    name = storage.write([b"abc", b"def"])
    assert len(name) == 40 and set(name) <= set("0123456789abcdef")
    with storage.open(name) as handle:
        assert handle.read() == b"abcdef"
    for wrong in ("../secret", "ABC", name + "/x", ""):
        with pytest.raises(FileNotFoundError):
            storage.open(wrong)
    storage.delete(name)
    storage.delete(name)  # twice: no error
    assert list((tmp_path / "files").iterdir()) == []


def test_an_upload_is_counted_and_typed_as_it_is_read_and_nothing_stays_of_a_refusal(tmp_path: Path) -> None:
    translation.activate("en")  # the default language fixture restores it
    storage = LocalStorage(tmp_path / "files")
    stored = store_upload(
        SimpleUploadedFile("a.png", PNG),
        storage=storage,
        max_bytes=200,
        too_large=_refuse_large,
        checked_type=_only_png,
    )
    assert (stored.content_type, stored.size) == ("image/png", len(PNG))
    exe = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00" + b"\x00" * 100)
    with pytest.raises(_Refused, match="not a PNG: a Windows program"):
        store_upload(exe, storage=storage, max_bytes=200, too_large=_refuse_large, checked_type=_only_png)
    svg = SimpleUploadedFile("logo.png", b"<svg onload='alert(1)'>" + b" " * 100)
    with pytest.raises(_Refused, match="not a PNG: HTML, XML or SVG text"):
        store_upload(svg, storage=storage, max_bytes=200, too_large=_refuse_large, checked_type=_only_png)
    lying = SimpleUploadedFile("big.png", PNG + b"\x00" * 500)
    lying.size = 10
    with pytest.raises(_Refused, match="too large: 608"):
        store_upload(lying, storage=storage, max_bytes=200, too_large=_refuse_large, checked_type=_only_png)
    assert [path.name for path in (tmp_path / "files").iterdir()] == [stored.storage_name]


def _jpeg_with_exif(width: int, height: int, orientation: int) -> bytes:
    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "PhoneMaker"  # Make
    exif.get_ifd(0x8825)[2] = (31.0, 14.0, 0.0)  # GPS latitude: where it was taken
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a size in its header and has no real image data (a decompression bomb's header)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))


def test_a_photo_is_kept_upright_without_exif_and_with_a_thumbnail(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "photos")
    sent = _jpeg_with_exif(800, 400, orientation=6)  # taken with the phone turned: show rotated 90°
    assert Image.open(io.BytesIO(sent)).getexif()[0x010F] == "PhoneMaker"
    photo = photo_store(SimpleUploadedFile("IMG_0001.jpg", sent), storage=storage)
    assert (photo.width, photo.height, photo.image.content_type) == (400, 800, "image/jpeg")
    with storage.open(photo.image.storage_name) as handle:
        kept = Image.open(handle)
        kept.load()
    assert kept.size == (400, 800)
    assert dict(kept.getexif()) == {}
    assert b"PhoneMaker" not in (tmp_path / "photos" / photo.image.storage_name).read_bytes()
    with storage.open(photo.thumbnail.storage_name) as handle:
        assert Image.open(handle).size == (160, 320)
    # Only the photo and its thumbnail stay: the upload as sent is gone.
    assert sorted(path.name for path in (tmp_path / "photos").iterdir()) == sorted(
        [photo.image.storage_name, photo.thumbnail.storage_name]
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "photo.jpg",
            b"MZ\x90\x00" + b"\x00" * 2000,
            "This is not a JPEG or PNG photo: its content is a Windows program",
        ),
        ("photo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "HTML, XML or SVG"),
        (
            "photo.jpg",
            b"\xff\xd8\xff\xe0" + b"\x00" * (60 * 1024 * 1024),
            "The photo is 60.0 MB; a photo may be at most 20 MB.",
        ),
        (
            "bomb.png",
            _png_header_only(30000, 30000),
            "The photo has more than 120 megapixels; take it at a lower resolution.",
        ),
        (
            "tall.png",
            _png_header_only(12000, 11000),
            "The photo has more than 120 megapixels; take it at a lower resolution.",
        ),
        (
            "cut.jpg",
            b"\xff\xd8\xff\xe0" + b"\x00" * 2000,
            "This photo cannot be read: the file is damaged or incomplete.",
        ),
    ],
)
# Pillow warns of an image between the limit and twice it, which the service then refuses.
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_bad_photo_is_refused_and_nothing_is_kept(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    translation.activate("en")  # the default language fixture restores it
    storage = LocalStorage(tmp_path / "photos")
    with pytest.raises(ApplicationError) as refused:
        photo_store(SimpleUploadedFile(name, content), storage=storage)
    assert message in refused.value.fields["file"][0]
    assert refused.value.status == 422
    assert not (tmp_path / "photos").exists() or list((tmp_path / "photos").iterdir()) == []
