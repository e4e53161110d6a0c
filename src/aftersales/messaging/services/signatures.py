"""Signatures drawn on a pad: kept as PNG images by the media service, with who signed, when, and the
hash of what they signed."""

from __future__ import annotations

import base64
import binascii
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _

from aftersales.core.access import authorize_for
from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError
from aftersales.core.media import Accept, MediaOwner, media_attach, media_upload
from aftersales.core.models import MediaFile, Store, User
from aftersales.messaging.models import CustomerLink, Signature

SIGNATURE_MAX_BYTES = 1024 * 1024
_DATA_URL = re.compile(r"data:image/png;base64,([A-Za-z0-9+/]+={0,2})")


def _not_an_image(_head: bytes = b"") -> ApplicationError:
    return ApplicationError(
        _("The signature is not an image: sign in the box again."), code="file_type", field="signature", status=422
    )


SIGNATURES = Accept(
    content_types=frozenset({"image/png"}),
    max_bytes=SIGNATURE_MAX_BYTES,
    too_large=lambda size: ApplicationError(
        _("The signature image is too large."), code="too_large", field="signature", status=422
    ),
    wrong_type=_not_an_image,
    max_pixels=4_000_000,  # a pad is a few hundred pixels a side: anything larger is not one
)


def signature_store(
    *,
    data_url: str,
    store: Store,
    signer_type: str,
    signer_name: str,
    object_type: str,
    object_id: int,
    what: str,
    snapshot_hash: str,
    user: User | None = None,
    link: CustomerLink | None = None,
    client_ip: str = "",
    audited: bool = True,
) -> Signature:
    """Keep a signature sent by a pad as ``data:image/png;base64,…``; refused (422 on ``signature``,
    nothing kept) when empty or not a PNG image. Call inside the transaction of what it confirms; its
    audit entry is that record's when ``audited`` is False (the record keeps the signature's id)."""
    if not (data_url or "").strip():
        raise ApplicationError(_("Sign in the box."), code="required", field="signature", status=422)
    match = _DATA_URL.fullmatch(data_url.strip())
    if match is None:
        raise _not_an_image()
    try:
        raw = base64.b64decode(match.group(1), validate=True)
    except (binascii.Error, ValueError):
        raise _not_an_image() from None
    upload = SimpleUploadedFile("signature.png", raw, content_type="image/png")
    try:
        with media_upload(
            upload,
            accept=SIGNATURES,
            owner_type=Signature.OWNER_TYPE,
            area=Signature.STORAGE_AREA,
            store=store,
            actor=user,
        ) as media:
            signature = Signature.objects.create(
                store=store,
                media=media,
                signer_type=signer_type,
                signer_name=signer_name[:100],
                user=user,
                link=link,
                object_type=object_type,
                object_id=object_id,
                what=what[:60],
                snapshot_hash=snapshot_hash,
                client_ip=client_ip[:45],
            )
            media_attach(media, signature.pk)
    except ApplicationError as error:
        if error.fields.get("file"):  # the media service names its field "file": here it is the pad
            raise ApplicationError(error.fields["file"][0], code=error.code, field="signature", status=422) from None
        raise
    if not audited:  # the record it confirms is audited with the signature's id, in the same transaction
        return signature
    audit_append(
        action="create",
        actor=user,
        store_id=store.pk,
        object_type=object_type,
        object_id=str(object_id),
        object_repr=f"{what} #{signature.pk}",
        changes={"signature": signature.pk, "what": what, "snapshot": snapshot_hash, "signer": signer_type},
    )
    return signature


def _signature_authorize(actor: User, media: MediaFile) -> None:
    authorize_for(actor, "messages.view", store_ids=[media.store_id])


SIGNATURE_OWNER = MediaOwner(authorize=_signature_authorize)
