"""The media service's storage and upload checks (the archive's ID copies are its first user)."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from PIL import Image

from aftersales.conftest import World
from aftersales.core.errors import ApplicationError
from aftersales.core.media import (
    PAPERS,
    PHOTOS,
    LocalStorage,
    MediaOwner,
    describe_content,
    files,
    media_attach,
    media_delete,
    media_owner_register,
    media_upload,
    photo_store,
    store_upload,
)
from aftersales.core.models import MediaFile, User
from aftersales.core.tests.factories import image_bytes, png_header_only


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
            png_header_only(30000, 30000),
            "The photo has more than 120 megapixels; take it at a lower resolution.",
        ),
        (
            "tall.png",
            png_header_only(12000, 11000),
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


# --- kept files as records: MediaFile, the owner's rule, the one authorised view -----------------------

THING = "tests.thing"  # an owning record type of these tests: anyone of store SH01 may see its files
opened_by: list[tuple[str, int]] = []


def _thing_authorize(actor: User, media: MediaFile) -> None:
    if media.owner_id == 404:
        raise ApplicationError("Not found.", code="not_found", status=404)
    if media.store.code != "SH01" or not actor.memberships.filter(store=media.store).exists():
        raise PermissionDenied("Not yours.")


@pytest.fixture
def thing_owner(settings: Any, tmp_path: Path) -> Iterator[None]:
    settings.DATA_DIR = tmp_path
    opened_by.clear()
    media_owner_register(
        THING, MediaOwner(_thing_authorize, lambda actor, media: opened_by.append((actor.username, media.pk)))
    )
    yield
    files._OWNERS.pop(THING)


def _kept(area_dir: Path) -> list[str]:
    return sorted(path.name for path in area_dir.iterdir()) if area_dir.exists() else []


def test_a_kept_photo_is_a_record_of_its_owner_and_store(world: World, thing_owner: None, tmp_path: Path) -> None:
    sent = _jpeg_with_exif(640, 480, orientation=1)
    with media_upload(
        SimpleUploadedFile("../../车损 左前.JPG", sent),
        accept=PHOTOS,
        owner_type=THING,
        area="things",
        store=world.sh,
        actor=world.user("advisor"),
    ) as media:
        media_attach(media, 7)
    media.refresh_from_db()
    assert (media.owner_type, media.owner_id, media.store_id, media.area, media.file_name) == (
        THING,
        7,
        world.sh.pk,
        "things",
        "车损 左前.jpg",
    )
    assert (media.content_type, media.width, media.height, media.uploaded_by) == (
        "image/jpeg",
        640,
        480,
        world.user("advisor"),
    )
    kept = (tmp_path / "things" / media.storage_name).read_bytes()
    assert (media.size, media.sha256) == (len(kept), hashlib.sha256(kept).hexdigest())
    assert b"PhoneMaker" not in kept
    assert media.thumbnail_size == (tmp_path / "things" / str(media.thumbnail_name)).stat().st_size
    assert _kept(tmp_path / "things") == sorted([media.storage_name, str(media.thumbnail_name)])


def test_when_the_owner_is_not_created_nothing_is_kept(world: World, thing_owner: None, tmp_path: Path) -> None:
    with (
        pytest.raises(ZeroDivisionError),
        media_upload(
            SimpleUploadedFile("a.png", image_bytes("PNG")),
            accept=PHOTOS,
            owner_type=THING,
            area="things",
            store=world.sh,
            actor=None,
        ),
    ):
        1 / 0  # noqa: B018  # the owning row fails
    assert (MediaFile.objects.count(), _kept(tmp_path / "things")) == (0, [])
    with (
        pytest.raises(LookupError, match=r"No media owner registered as 'nobody\.owns'"),
        media_upload(
            SimpleUploadedFile("a.png", image_bytes("PNG")),
            accept=PHOTOS,
            owner_type="nobody.owns",
            area="things",
            store=world.sh,
            actor=None,
        ),
    ):
        pass  # pragma: no cover
    assert (MediaFile.objects.count(), _kept(tmp_path / "things")) == (0, [])


def test_a_pdf_is_refused_as_a_photo_and_kept_as_a_paper(world: World, thing_owner: None, tmp_path: Path) -> None:
    translation.activate("en")
    pdf = b"%PDF-1.7\n" + b"scan " * 20
    with (
        pytest.raises(ApplicationError) as refused,
        media_upload(
            SimpleUploadedFile("scan.pdf", pdf),
            accept=PHOTOS,
            owner_type=THING,
            area="things",
            store=world.sh,
            actor=None,
        ),
    ):
        pass  # pragma: no cover
    assert refused.value.fields == {"file": ["This is not a JPEG or PNG photo: its content is a PDF document."]}
    with media_upload(
        SimpleUploadedFile("scan.jpg", pdf),
        accept=PAPERS,
        owner_type=THING,
        area="things",
        store=world.sh,
        actor=None,
    ) as media:
        media_attach(media, 8)
    assert (media.file_name, media.content_type, media.size, media.width, media.thumbnail_name) == (
        "scan.pdf",
        "application/pdf",
        len(pdf),
        None,
        None,
    )
    assert (tmp_path / "things" / media.storage_name).read_bytes() == pdf


def _thing(world: World, owner_id: int = 7, store: str = "sh") -> MediaFile:
    with media_upload(
        SimpleUploadedFile("p.png", image_bytes("PNG", width=640, height=200)),
        accept=PHOTOS,
        owner_type=THING,
        area="things",
        store=getattr(world, store),
        actor=None,
    ) as media:
        media_attach(media, owner_id)
    return media


def test_the_authorised_view_serves_a_file_and_its_thumbnail_by_the_owners_rule(
    world: World, thing_owner: None, client_for: Callable[[User], Client]
) -> None:
    media = _thing(world)
    advisor = client_for(world.user("advisor"))
    for url in (f"/media/{media.pk}/", f"/api/v1/media/{media.pk}"):
        response = advisor.get(url)
        assert (response.status_code, response["Content-Type"]) == (200, "image/png")
        assert (response["X-Content-Type-Options"], response["Cache-Control"]) == ("nosniff", "private, no-store")
        assert b"".join(response.streaming_content) == image_bytes("PNG", width=640, height=200)
    for url in (f"/media/{media.pk}/thumbnail/", f"/api/v1/media/{media.pk}/thumbnail"):
        response = advisor.get(url)
        assert (response.status_code, response["Content-Type"]) == (200, "image/jpeg")
        assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (320, 100)
    assert opened_by == [("advisor_sh", media.pk)] * 4
    # Another store's staff: the owner's rule refuses; nothing is served or recorded as opened.
    other = client_for(world.user("advisor", "sz"))
    assert other.get(f"/media/{media.pk}/").status_code == 403
    assert other.get(f"/api/v1/media/{media.pk}/thumbnail").status_code == 403
    assert len(opened_by) == 4
    assert client_for(world.user("advisor")).get(f"/media/{media.pk}/", follow=False).status_code == 200


def test_unknown_unattached_unowned_and_missing_files_are_not_found(
    world: World, thing_owner: None, client_for: Callable[[User], Client], tmp_path: Path
) -> None:
    advisor = client_for(world.user("advisor"))
    gone = _thing(world)
    (tmp_path / "things" / gone.storage_name).unlink()
    hidden = _thing(world, owner_id=404)
    with media_upload(
        SimpleUploadedFile("p.png", image_bytes("PNG")),
        accept=PHOTOS,
        owner_type=THING,
        area="things",
        store=world.sh,
        actor=None,
    ) as unattached:
        pass
    orphan = _thing(world)
    MediaFile.objects.filter(pk=orphan.pk).update(owner_type="gone.app")  # an owner type nobody registers now
    for media_id in (999999, gone.pk, hidden.pk, unattached.pk, orphan.pk):
        assert advisor.get(f"/media/{media_id}/").status_code == 404, media_id
        assert advisor.get(f"/api/v1/media/{media_id}").status_code == 404, media_id
    assert advisor.get(f"/media/{gone.pk}/thumbnail/").status_code == 200  # the thumbnail is still there
    assert opened_by == [("advisor_sh", gone.pk)]
    assert client_for(world.user("advisor")).get("/media/abc/").status_code == 404
    anonymous = Client()
    assert anonymous.get(f"/media/{gone.pk}/thumbnail/").status_code == 302
    assert anonymous.get(f"/api/v1/media/{gone.pk}/thumbnail").status_code == 401


def test_deleting_a_kept_file_removes_its_files_once_committed(
    world: World, thing_owner: None, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    media = _thing(world)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        media_delete(media)
    assert not MediaFile.objects.exists()
    assert len(_kept(tmp_path / "things")) == 2  # not before the commit
    for callback in callbacks:
        callback()
    assert _kept(tmp_path / "things") == []
