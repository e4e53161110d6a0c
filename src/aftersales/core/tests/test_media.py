"""The media service's storage and upload checks (the archive's ID copies are its first user)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from aftersales.core.media import LocalStorage, describe_content, store_upload


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
