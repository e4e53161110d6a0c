"""Document copies: consent, size and type checks, storage outside the web root, audited serving."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from PIL import Image

from aftersales.conftest import World
from aftersales.core.errors import ApplicationError
from aftersales.core.models import AuditEntry, MediaFile, User
from aftersales.core.tests.factories import image_bytes, png_header_only
from aftersales.customers import services
from aftersales.customers.models import Customer, CustomerDocument

PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")
PDF = b"%PDF-1.7\n" + b"pdf-body " * 10
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
MB = 1024 * 1024
EN = {"accept-language": "en"}


@pytest.fixture(autouse=True)
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path


def stored_files(data_dir: Path) -> list[str]:
    folder = data_dir / "documents"
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def make_customer(world: World, *, consent: bool = True, **data: Any) -> Customer:
    fields: dict[str, Any] = {"name": "张三", "mobiles": ["13812345678"], **data}
    if consent:
        fields |= {"data_consent": True, "data_consent_channel": "paper"}
    return services.customer_create(actor=world.user("advisor"), store=world.sh, data=fields, confirm_duplicates=True)


def make_document(
    world: World, customer: Customer, content: bytes = PNG, name: str = "身份证 正面.png"
) -> CustomerDocument:
    return services.document_upload(
        actor=world.user("advisor"),
        store=world.sh,
        customer=customer,
        kind="id_card",
        uploaded_file=SimpleUploadedFile(name, content, content_type="image/png"),
    )


def upload(client: Client, customer: Customer, content: bytes, name: str = "id.png", kind: str = "id_card") -> Any:
    return client.post(
        f"/api/v1/customers/{customer.pk}/documents",
        {"kind": kind, "file": SimpleUploadedFile(name, content, content_type="image/jpeg")},
        headers=EN,
    )


@pytest.fixture
def advisor(world: World, client_for: Callable[[User], Client]) -> Client:
    return client_for(world.user("advisor"))


def test_upload_with_consent_is_stored_outside_the_web_root_and_audited(
    world: World, advisor: Client, data_dir: Path
) -> None:
    customer = make_customer(world)

    response = upload(advisor, customer, PNG, name="C:\\Users\\张三\\身份证 正面.PNG", kind="id_card")

    assert response.status_code == 201, response.json()
    document = CustomerDocument.objects.get()
    body = response.json()
    assert body == {
        "id": document.pk,
        "kind": "id_card",
        "can_open": True,
        "file_name": "身份证 正面.png",
        "content_type": "image/png",
        "size": len(PNG),
        "sha256": hashlib.sha256(PNG).hexdigest(),
        "media_id": document.media_id,
        "width": 48,
        "height": 32,
        "has_thumbnail": True,
        "vehicle_id": None,
        "store": "SH01",
        "consent_at": body["consent_at"],
        "uploaded_at": body["uploaded_at"],
        "uploaded_by": "advisor_sh",
    }
    assert document.consent_at == customer.data_consent_at
    media = document.media
    assert (media.owner_type, media.owner_id, media.store_id, media.area) == (
        "customers.customerdocument",
        document.pk,
        world.sh.pk,
        "documents",
    )
    assert re.fullmatch(r"[0-9a-f]{40}", media.storage_name)
    assert stored_files(data_dir) == sorted([media.storage_name, media.thumbnail_name])
    # A clean PNG is kept byte for byte (written again losslessly, without metadata).
    assert (data_dir / "documents" / media.storage_name).read_bytes() == PNG
    entry = AuditEntry.objects.get(object_type="customers.customerdocument")
    assert (entry.action, entry.actor_username, entry.store_id, entry.object_id) == (
        "create",
        "advisor_sh",
        world.sh.pk,
        str(document.pk),
    )
    assert entry.changes == {
        "customer_id": [None, customer.pk],
        "kind": [None, "id_card"],
        "content_type": [None, "image/png"],
        "size": [None, len(PNG)],
        "sha256": [None, document.media.sha256],
    }


@pytest.mark.parametrize(
    ("content", "name", "content_type", "file_name"),
    [
        (JPEG, "scan.jpeg", "image/jpeg", "scan.jpeg"),
        (JPEG, "scan.pdf", "image/jpeg", "scan.jpg"),
        (PNG, "行驶证", "image/png", "行驶证.png"),
        (PDF, "licence.PDF", "application/pdf", "licence.pdf"),
        (PNG, "../../etc/passwd\x00<script>.png", "image/png", "passwd_script_.png"),
        (PNG, "...", "image/png", "document.png"),
    ],
)
def test_type_comes_from_the_content_and_the_name_is_made_safe(
    world: World, advisor: Client, content: bytes, name: str, content_type: str, file_name: str
) -> None:
    customer = make_customer(world)
    response = upload(advisor, customer, content, name=name, kind="vehicle_licence")
    assert response.status_code == 201, response.json()
    assert (response.json()["content_type"], response.json()["file_name"]) == (content_type, file_name)


def test_upload_without_consent_is_refused_and_stores_nothing(world: World, advisor: Client, data_dir: Path) -> None:
    customer = make_customer(world, consent=False)
    response = upload(advisor, customer, PNG)
    assert response.status_code == 422
    assert response.json() == {
        "code": "no_consent",
        "detail": "Data-processing consent must be recorded before documents can be stored for this customer.",
        "fields": {
            "file": ["Data-processing consent must be recorded before documents can be stored for this customer."]
        },
    }
    assert not CustomerDocument.objects.exists()
    assert stored_files(data_dir) == []
    assert not AuditEntry.objects.filter(object_type="customers.customerdocument").exists()


@pytest.mark.parametrize(
    ("content", "found"),
    [
        (EXE, "a Windows program (EXE/DLL)"),
        (b"<html><script>alert(1)</script></html>", "HTML, XML or SVG text"),
        (b"GIF89a" + b"\x00" * 20, "a GIF image"),
        (b"\x01\x02\x03\x04\x05\x06\x07\x08\x09", "unrecognised data starting with 01 02 03 04 05 06 07 08"),
    ],
)
def test_a_file_that_is_not_jpeg_png_or_pdf_is_refused_whatever_its_name(
    world: World, advisor: Client, data_dir: Path, content: bytes, found: str
) -> None:
    customer = make_customer(world)
    response = upload(advisor, customer, content, name="photo.jpg")
    assert response.status_code == 422
    message = f"This is not a JPEG, PNG or PDF file: its content is {found}."
    assert response.json() == {"code": "file_type", "detail": message, "fields": {"file": [message]}}
    assert not CustomerDocument.objects.exists()
    assert stored_files(data_dir) == []


@pytest.mark.parametrize(
    ("name", "content", "code", "message"),
    [
        (
            "logo.png",
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "file_type",
            "This is not a JPEG, PNG or PDF file: its content is HTML, XML or SVG text.",
        ),
        (
            "id.png",
            png_header_only(30000, 30000),
            "too_many_pixels",
            "The photo has more than 120 megapixels; take it at a lower resolution.",
        ),
        (
            "id.jpg",
            b"\xff\xd8\xff\xe0" + b"\x00" * 2000,
            "file_damaged",
            "This photo cannot be read: the file is damaged or incomplete.",
        ),
    ],
)
def test_a_photo_that_cannot_be_kept_safely_is_refused_and_nothing_is_written(
    world: World, advisor: Client, data_dir: Path, name: str, content: bytes, code: str, message: str
) -> None:
    customer = make_customer(world)
    response = upload(advisor, customer, content, name=name)
    assert (response.status_code, response.json()) == (
        422,
        {"code": code, "detail": message, "fields": {"file": [message]}},
    )
    assert (CustomerDocument.objects.count(), MediaFile.objects.count(), stored_files(data_dir)) == (0, 0, [])
    assert not AuditEntry.objects.filter(object_type="customers.customerdocument").exists()


@pytest.mark.parametrize(("size", "shown"), [(11 * MB, "11.0"), (50 * MB, "50.0")])
def test_a_file_over_10_mb_is_refused_with_a_clear_message(
    world: World, advisor: Client, data_dir: Path, size: int, shown: str
) -> None:
    customer = make_customer(world)
    response = upload(advisor, customer, JPEG + b"\x00" * (size - len(JPEG)), name="big.jpg")
    assert response.status_code == 422
    message = f"The file is {shown} MB; a document may be at most 10 MB."
    assert response.json() == {"code": "too_large", "detail": message, "fields": {"file": [message]}}
    assert not CustomerDocument.objects.exists()
    assert stored_files(data_dir) == []


def test_a_file_of_exactly_10_mb_is_accepted(world: World, advisor: Client) -> None:
    customer = make_customer(world)
    response = upload(advisor, customer, PDF + b"\x00" * (10 * MB - len(PDF)), name="scan.pdf")
    assert response.status_code == 201
    assert response.json()["size"] == 10 * MB


def test_the_service_counts_the_bytes_it_reads_not_the_declared_size(world: World, data_dir: Path) -> None:
    customer = make_customer(world)
    lying = SimpleUploadedFile("x.jpg", JPEG + b"\x00" * (11 * MB), content_type="image/jpeg")
    lying.size = 100
    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        services.document_upload(
            actor=world.user("advisor"), store=world.sh, customer=customer, kind="id_card", uploaded_file=lying
        )
    assert (refused.value.code, refused.value.fields) == (
        "too_large",
        {"file": ["The file is 11.0 MB; a document may be at most 10 MB."]},
    )
    assert stored_files(data_dir) == []


def test_a_body_over_the_upload_limit_is_cut_off_before_the_view(world: World, advisor: Client, settings: Any) -> None:
    settings.UPLOAD_BODY_LIMIT_BYTES = 1 * MB
    customer = make_customer(world)
    response = upload(advisor, customer, JPEG + b"\x00" * (2 * MB), name="big.jpg")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not CustomerDocument.objects.exists()


def test_unknown_kind_and_missing_file_are_field_errors(world: World, advisor: Client) -> None:
    customer = make_customer(world)
    response = upload(advisor, customer, PNG, kind="passport")
    assert response.status_code == 422
    assert response.json()["fields"] == {
        "kind": ["Choose one of: id_card, driving_licence, vehicle_licence or business_licence."]
    }
    missing = advisor.post(f"/api/v1/customers/{customer.pk}/documents", {"kind": "id_card"}, headers=EN)
    assert missing.status_code == 422
    assert missing.json()["fields"] == {"file": ["This field is required."]}
    assert not CustomerDocument.objects.exists()


def test_frontdesk_may_upload_but_technician_may_not(world: World, client_for: Callable[[User], Client]) -> None:
    customer = make_customer(world)
    assert upload(client_for(world.user("frontdesk")), customer, PNG).status_code == 201
    assert upload(client_for(world.user("technician")), customer, PNG).status_code == 403
    assert CustomerDocument.objects.count() == 1


def test_download_is_inline_not_sniffed_not_cached_and_audited(world: World, advisor: Client) -> None:
    customer = make_customer(world)
    document = make_document(world, customer)

    response = advisor.get(f"/api/v1/customers/{customer.pk}/documents/{document.pk}")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG  # type: ignore[attr-defined]
    assert response["Content-Type"] == "image/png"
    assert (
        response["Content-Disposition"]
        == "inline; filename*=utf-8''%E8%BA%AB%E4%BB%BD%E8%AF%81%20%E6%AD%A3%E9%9D%A2.png"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    entry = AuditEntry.objects.get(action="reveal")
    assert (entry.actor_username, entry.object_type, entry.object_id, entry.store_id, entry.changes) == (
        "advisor_sh",
        "customers.customer",
        str(customer.pk),
        world.sh.pk,
        {"document": document.pk},
    )


@pytest.mark.parametrize("role", ["technician", "frontdesk", "parts"])
def test_roles_without_view_personal_cannot_download_or_list(
    world: World, client_for: Callable[[User], Client], role: str
) -> None:
    customer = make_customer(world)
    document = make_document(world, customer)
    client = client_for(world.user(role))
    assert client.get(f"/api/v1/customers/{customer.pk}/documents/{document.pk}").status_code == 403
    assert client.get(f"/api/v1/customers/{customer.pk}/documents").status_code == 403
    assert client.get(f"/customers/privacy/{customer.pk}/documents/{document.pk}/").status_code == 403
    assert client.get(f"/customers/privacy/{customer.pk}/documents/").status_code == 403
    assert not AuditEntry.objects.filter(action="reveal").exists()
    assert AuditEntry.objects.filter(action="permission_denied", actor_username=f"{role}_sh").count() == 4


def test_anonymous_gets_401_from_the_api_and_the_login_page_from_pages(world: World) -> None:
    customer = make_customer(world)
    document = make_document(world, customer)
    client = Client()
    assert client.get(f"/api/v1/customers/{customer.pk}/documents/{document.pk}").status_code == 401
    assert client.get(f"/api/v1/customers/{customer.pk}/documents").status_code == 401
    assert upload(client, customer, PNG).status_code == 401
    page = client.get(f"/customers/privacy/{customer.pk}/documents/{document.pk}/")
    assert page.status_code == 302 and page["Location"].startswith("/login/?next=")
    assert CustomerDocument.objects.count() == 1
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_a_document_is_only_found_under_its_own_customer(world: World, advisor: Client) -> None:
    customer, other = make_customer(world), make_customer(world, name="李四")
    document = make_document(world, customer)
    assert advisor.get(f"/api/v1/customers/{other.pk}/documents/{document.pk}").status_code == 404
    assert advisor.delete(f"/api/v1/customers/{other.pk}/documents/{document.pk}").status_code == 404
    assert advisor.get(f"/customers/privacy/{other.pk}/documents/{document.pk}/").status_code == 404
    assert advisor.get("/api/v1/customers/999999/documents").status_code == 404
    assert CustomerDocument.objects.count() == 1


def test_a_missing_file_answers_404_and_reveals_nothing(world: World, advisor: Client, data_dir: Path) -> None:
    customer = make_customer(world)
    document = make_document(world, customer)
    (data_dir / "documents" / document.media.storage_name).unlink()
    assert advisor.get(f"/api/v1/customers/{customer.pk}/documents/{document.pk}").status_code == 404
    assert advisor.get(f"/customers/privacy/{customer.pk}/documents/{document.pk}/").status_code == 404
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_list_documents_without_n_plus_1(world: World, advisor: Client) -> None:
    customer = make_customer(world)
    first = make_document(world, customer)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = advisor.get(f"/api/v1/customers/{customer.pk}/documents")
        assert response.status_code == 200
        return len(queries)

    one = count()
    second = make_document(world, customer, PDF, "驾驶证.pdf")
    third = services.document_upload(
        actor=world.user("crm"),
        store=world.sh,
        customer=customer,
        kind="driving_licence",
        uploaded_file=SimpleUploadedFile("c.jpg", JPEG),
    )
    assert count() == one
    listed = advisor.get(f"/api/v1/customers/{customer.pk}/documents").json()
    assert [(d["id"], d["kind"], d["file_name"], d["uploaded_by"]) for d in listed] == [
        (first.pk, "id_card", "身份证 正面.png", "advisor_sh"),
        (second.pk, "id_card", "驾驶证.pdf", "advisor_sh"),
        (third.pk, "driving_licence", "c.jpg", "crm_sh"),
    ]


def test_delete_removes_the_row_and_after_commit_the_file(
    world: World, advisor: Client, data_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    customer = make_customer(world)
    document = make_document(world, customer)
    with django_capture_on_commit_callbacks(execute=True):
        response = advisor.delete(f"/api/v1/customers/{customer.pk}/documents/{document.pk}")
    assert response.status_code == 204
    assert not CustomerDocument.objects.exists()
    assert stored_files(data_dir) == []
    entry = AuditEntry.objects.get(object_type="customers.customerdocument", action="delete")
    assert entry.actor_username == "advisor_sh"
    assert entry.changes == {
        "customer_id": [customer.pk, None],
        "kind": ["id_card", None],
        "content_type": ["image/png", None],
        "size": [len(PNG), None],
        "sha256": [document.media.sha256, None],
    }


def test_technician_cannot_delete(world: World, client_for: Callable[[User], Client], data_dir: Path) -> None:
    customer = make_customer(world)
    document = make_document(world, customer)
    client = client_for(world.user("technician"))
    assert client.delete(f"/api/v1/customers/{customer.pk}/documents/{document.pk}").status_code == 403
    assert client.post(f"/customers/privacy/{customer.pk}/documents/{document.pk}/delete/").status_code == 403
    assert CustomerDocument.objects.count() == 1
    assert stored_files(data_dir) == sorted([document.media.storage_name, document.media.thumbnail_name])


def test_upload_to_a_linked_vehicle_only(world: World, advisor: Client) -> None:
    customer, other = make_customer(world), make_customer(world, name="李四")
    vehicle = services.vehicle_create(actor=world.user("advisor"), owner=other, data={"vin": "1M8GDM9AXKP042788"})
    response = advisor.post(
        f"/api/v1/customers/{customer.pk}/documents",
        {"kind": "vehicle_licence", "vehicle_id": vehicle.pk, "file": SimpleUploadedFile("v.png", PNG)},
        headers=EN,
    )
    assert (response.status_code, response.json()["fields"]) == (
        422,
        {"vehicle_id": ["This vehicle is not currently linked to the customer."]},
    )
    response = advisor.post(
        f"/api/v1/customers/{other.pk}/documents",
        {"kind": "vehicle_licence", "vehicle_id": vehicle.pk, "file": SimpleUploadedFile("v.png", PNG)},
    )
    assert (response.status_code, response.json()["vehicle_id"]) == (201, vehicle.pk)


# --- pages --------------------------------------------------------------------------------------


def page_url(customer: Customer) -> str:
    return f"/customers/privacy/{customer.pk}/documents/"


def test_documents_page_lists_and_uploads(world: World, advisor: Client, data_dir: Path) -> None:
    customer = make_customer(world)
    make_document(world, customer)
    response = advisor.get(page_url(customer), headers=EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "身份证 正面.png" in html and 'data-testid="upload-form"' in html

    response = advisor.post(
        page_url(customer), {"kind": "driving_licence", "file": SimpleUploadedFile("驾驶证.jpg", JPEG)}, headers=EN
    )

    assert (response.status_code, response["Location"]) == (302, page_url(customer))
    assert list(CustomerDocument.objects.order_by("pk").values_list("kind", "media__file_name")) == [
        ("id_card", "身份证 正面.png"),
        ("driving_licence", "驾驶证.jpg"),
    ]
    assert len(stored_files(data_dir)) == 4  # two photos, each with its thumbnail


@pytest.mark.parametrize(
    ("consent", "content", "message"),
    [
        (True, EXE, "This is not a JPEG, PNG or PDF file: its content is a Windows program (EXE/DLL)."),
        (True, JPEG + b"\x00" * (11 * MB), "The file is 11.0 MB; a document may be at most 10 MB."),
        (False, PNG, "Data-processing consent must be recorded before documents can be stored for this customer."),
    ],
)
def test_documents_page_shows_the_refusal_next_to_the_file_field(
    world: World, advisor: Client, data_dir: Path, consent: bool, content: bytes, message: str
) -> None:
    customer = make_customer(world, consent=consent)
    response = advisor.post(
        page_url(customer), {"kind": "id_card", "file": SimpleUploadedFile("photo.jpg", content)}, headers=EN
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {"file": [message]}
    assert (
        f'<div class="invalid-feedback d-block" data-testid="error-file">{message}</div>' in response.content.decode()
    )
    assert not CustomerDocument.objects.exists()
    assert stored_files(data_dir) == []


def test_documents_page_upload_needs_the_edit_right(world: World, client_for: Callable[[User], Client]) -> None:
    customer = make_customer(world)
    finance = client_for(world.user("finance"))
    assert finance.get(page_url(customer)).status_code == 200
    response = finance.post(page_url(customer), {"kind": "id_card", "file": SimpleUploadedFile("a.png", PNG)})
    assert response.status_code == 403
    assert not CustomerDocument.objects.exists()


def test_document_page_serves_and_delete_page_deletes(
    world: World, advisor: Client, data_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    customer = make_customer(world)
    document = make_document(world, customer, PDF, "驾驶证.pdf")
    response = advisor.get(f"{page_url(customer)}{document.pk}/")
    assert (response.status_code, response["Content-Type"], response["Cache-Control"]) == (
        200,
        "application/pdf",
        "private, no-store",
    )
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    assert [entry.changes for entry in AuditEntry.objects.filter(action="reveal")] == [{"document": document.pk}]
    assert advisor.get(f"{page_url(customer)}{document.pk}/delete/").status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = advisor.post(f"{page_url(customer)}{document.pk}/delete/")
    assert (response.status_code, response["Location"]) == (302, page_url(customer))
    assert not CustomerDocument.objects.exists()
    assert stored_files(data_dir) == []


def _phone_photo() -> bytes:
    """A photo of an ID card as a phone takes it: turned (EXIF orientation 6), with the phone's make and
    where it was taken (GPS) in its EXIF."""
    image = Image.new("RGB", (800, 500), (40, 90, 160))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825)[2] = (31.0, 14.0, 0.0)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_a_copy_taken_with_the_camera_is_kept_upright_without_its_location_and_shown_by_thumbnail(
    world: World, advisor: Client, client_for: Callable[[User], Client], data_dir: Path
) -> None:
    customer = make_customer(world)
    page = advisor.get(page_url(customer)).content.decode()
    # The upload form offers the back camera as well as a file chooser, under the same field name.
    assert 'name="file" id="id_file_camera" accept="image/jpeg,image/png" capture="environment"' in page

    response = advisor.post(
        page_url(customer), {"kind": "id_card", "file": SimpleUploadedFile("image.jpg", _phone_photo())}
    )

    assert response.status_code == 302
    document = CustomerDocument.objects.select_related("media").get()
    media = document.media
    kept = (data_dir / "documents" / media.storage_name).read_bytes()
    assert b"PhoneMaker" not in kept and dict(Image.open(io.BytesIO(kept)).getexif()) == {}
    assert (media.width, media.height, media.size) == (500, 800, len(kept))
    page = advisor.get(page_url(customer)).content.decode()
    assert f'<img src="/media/{media.pk}/thumbnail/"' in page and "500 × 800" in page

    thumbnail = advisor.get(f"/media/{media.pk}/thumbnail/")
    assert Image.open(io.BytesIO(b"".join(thumbnail.streaming_content))).size == (200, 320)  # type: ignore[attr-defined]
    full = advisor.get(f"/api/v1/media/{media.pk}")
    assert b"".join(full.streaming_content) == kept  # type: ignore[attr-defined]
    # Every look at the copy, thumbnail included, is a reveal of the customer's personal data.
    assert list(AuditEntry.objects.filter(action="reveal").values_list("actor_username", "changes")) == [
        ("advisor_sh", {"document": document.pk}),
        ("advisor_sh", {"document": document.pk}),
    ]
    # Those who may not open the copy get nothing through the media view either.
    assert client_for(world.user("technician")).get(f"/media/{media.pk}/thumbnail/").status_code == 403
    assert client_for(world.user("advisor", "sz")).get(f"/api/v1/media/{media.pk}").status_code == 403
    assert AuditEntry.objects.filter(action="reveal").count() == 2
    assert AuditEntry.objects.filter(action="permission_denied").count() == 2
