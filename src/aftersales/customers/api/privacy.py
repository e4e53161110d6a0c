"""Privacy API: document copies (with consent), personal-information export, consent withdrawal,
anonymisation."""

from datetime import datetime
from typing import Any, Literal

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from aftersales.core import inputs
from aftersales.core.access import can
from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema, file_answer
from aftersales.core.errors import ApplicationError
from aftersales.core.routing import acting_store, operation, request_user
from aftersales.customers import selectors, services
from aftersales.customers.models import Customer, CustomerDocument

router = Router(tags=["privacy"])
OPENAPI_ID_PREFIX = "aftersales.customers.api_privacy"  # operation ids as published before the api/ package

DocumentKind = Literal["id_card", "driving_licence", "vehicle_licence", "business_licence"]

_FILE_TYPES = ("image/jpeg", "image/png", "application/pdf")


class CustomerDocumentOut(Schema):
    id: int
    kind: str
    can_open: bool = Field(
        description="Whether you may open it: its customer's home store and the store that took it may; "
        "other stores see that it exists, without its file name and checksum."
    )
    file_name: str = Field(description="Empty when you may not open it.")
    content_type: str
    size: int
    sha256: str = Field(description="Empty when you may not open it.")
    media_id: int | None = Field(
        description="The kept file, served at /api/v1/media/{media_id} (and /thumbnail for a photo); "
        "null when you may not open it."
    )
    width: int | None = Field(description="A photo's size in pixels, as kept (upright); null for a PDF.")
    height: int | None
    has_thumbnail: bool
    vehicle_id: int | None
    store: str = Field(description="Code of the store that took the copy.")
    consent_at: datetime
    uploaded_at: datetime
    uploaded_by: str | None


def _document_out(document: CustomerDocument, *, can_open: bool) -> dict[str, Any]:
    return {
        "id": document.pk,
        "kind": document.kind,
        "can_open": can_open,
        "file_name": document.media.file_name if can_open else "",
        "content_type": document.media.content_type,
        "size": document.media.size,
        "sha256": document.media.sha256 if can_open else "",
        "media_id": document.media_id if can_open else None,
        "width": document.media.width,
        "height": document.media.height,
        "has_thumbnail": document.media.thumbnail_name is not None,
        "vehicle_id": document.vehicle_id,
        "store": document.store.code,
        "consent_at": document.consent_at,
        "uploaded_at": document.uploaded_at,
        "uploaded_by": document.uploaded_by.username if document.uploaded_by else None,
    }


@router.get("/customers/{id:customer_id}/documents", response={200: list[CustomerDocumentOut], **ERRORS})
@operation("customers.view_personal")
def customer_document_list(request: HttpRequest, customer_id: int) -> list[dict[str, Any]]:
    customer = selectors.customer_privacy_lookup(customer_id)
    copies = selectors.id_copies_of(customer)
    user = request_user(request)
    return [_document_out(document, can_open=selectors.document_allowed(user, document, "open")) for document in copies]


class DocumentUploadIn(InputSchema):
    kind: DocumentKind
    vehicle_id: int | None = None


@router.post("/customers/{id:customer_id}/documents", response={201: CustomerDocumentOut, **ERRORS})
@operation("customers.edit")
def customer_document_upload(
    request: HttpRequest, customer_id: int, payload: Form[DocumentUploadIn], file: File[UploadedFile]
) -> Status[dict[str, Any]]:
    """Upload a JPEG, PNG or PDF copy (at most 10 MB); the customer's data-processing consent must be recorded."""
    customer = selectors.customer_privacy_lookup(customer_id)
    kind, vehicle_id = payload.kind, payload.vehicle_id
    vehicle = None
    if vehicle_id is not None:
        vehicle = selectors.vehicle_find(vehicle_id)
        if vehicle is None:
            raise ApplicationError(_("No such vehicle."), field="vehicle_id", status=422)
    user = request_user(request)
    # The store that takes the copy (and may open it later): the customer's own when the uploader works
    # there; otherwise the uploader's (a token has no active store to say which).
    home = customer.home_store
    taker = (
        home if can(user, "customers.edit", store_id=home.pk) else acting_store(request, permission="customers.edit")
    )
    document = services.document_upload(
        actor=user,
        store=taker,
        customer=customer,
        kind=kind,
        uploaded_file=file,
        vehicle=vehicle,
    )
    return Status(201, _document_out(document, can_open=True))


@router.get(
    "/customers/{id:customer_id}/documents/{id:document_id}",
    response={200: None, **ERRORS},
    openapi_extra=file_answer("The document file, shown inline; every download is audited.", *_FILE_TYPES),
)
@operation("customers.view_personal")
def customer_document_download(request: HttpRequest, customer_id: int, document_id: int) -> FileResponse:
    document = selectors.document_access(
        actor=request_user(request), customer_id=customer_id, document_id=document_id, purpose="open"
    )
    return services.document_response(document, actor=request_user(request))


@router.delete("/customers/{id:customer_id}/documents/{id:document_id}", response={204: None, **ERRORS})
@operation("customers.edit")
def customer_document_delete(request: HttpRequest, customer_id: int, document_id: int) -> Status[None]:
    services.document_delete(actor=request_user(request), customer_id=customer_id, document_id=document_id)
    return Status(204, None)


class PiExportQuery(InputSchema):
    format: Literal["json", "xlsx", "pdf"] = "json"


@router.get(
    "/customers/{id:customer_id}/pi-export",
    response={200: None, **ERRORS},
    openapi_extra={
        "responses": {
            200: {
                "description": "Everything stored about the person: JSON, an Excel workbook with a sheet per "
                "section, or a printed PDF with a table per section. Audited.",
                "content": {
                    "application/json": {"schema": {"type": "object"}},
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                        "schema": {"type": "string", "format": "binary"}
                    },
                    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                },
            }
        }
    },
)
@operation("customers.privacy")
def customer_pi_export(request: HttpRequest, customer_id: int, query: Query[PiExportQuery]) -> HttpResponse:
    customer = selectors.customer_privacy_lookup(customer_id)
    export = services.pi_export_file(actor=request_user(request), customer=customer, file_format=query.format)
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.file_name}"'
    response["Cache-Control"] = "private, no-store"
    return response


class CustomerAnonymiseIn(InputSchema):
    reason: str = Field(min_length=1, max_length=selectors.REASON_MAX_LENGTH, json_schema_extra=inputs.MULTILINE)


class CustomerAnonymisedOut(Schema):
    id: int
    number: str
    name: str
    anonymised_at: datetime


@router.post("/customers/{id:customer_id}/anonymise", response={200: CustomerAnonymisedOut, **ERRORS})
@operation("customers.privacy")
def customer_anonymise(request: HttpRequest, customer_id: int, payload: CustomerAnonymiseIn) -> Customer:
    """Remove the person's personal data; refused (422) when already done or while a legal hold applies.
    Only the customer's home store (and group roles) may."""
    return services.customer_anonymise(actor=request_user(request), customer_id=customer_id, reason=payload.reason)


class CustomerConsentWithdrawIn(InputSchema):
    which: Literal["marketing", "data", "sharing"]


class CustomerConsentOut(Schema):
    marketing_consent: bool
    marketing_consent_at: datetime | None
    data_consent: bool
    data_consent_at: datetime | None
    sharing_consent: bool
    sharing_consent_at: datetime | None
    documents: int = Field(description="Document copies still kept (none without data-processing consent).")


@router.post("/customers/{id:customer_id}/consent/withdraw", response={200: CustomerConsentOut, **ERRORS})
@operation("customers.privacy")
def customer_consent_withdraw(
    request: HttpRequest, customer_id: int, payload: CustomerConsentWithdrawIn
) -> dict[str, Any]:
    """Record the withdrawal of a consent; withdrawing data-processing consent deletes the document copies,
    withdrawing the consent to sharing hides the customer from the group's other companies from then on.
    Only the customer's home store (and group roles) may."""
    customer = services.consent_withdraw(actor=request_user(request), customer_id=customer_id, which=payload.which)
    return {
        "marketing_consent": customer.marketing_consent,
        "marketing_consent_at": customer.marketing_consent_at,
        "data_consent": customer.data_consent,
        "data_consent_at": customer.data_consent_at,
        "sharing_consent": customer.sharing_consent,
        "sharing_consent_at": customer.sharing_consent_at,
        "documents": selectors.id_copy_count(customer),
    }
