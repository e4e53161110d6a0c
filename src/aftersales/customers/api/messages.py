"""Archive API, messages and links: send a customer a message, a link to review their record, and review
the contact details they corrected."""

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from aftersales.core.access import can
from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema
from aftersales.core.routing import acting_store, operation, request_user
from aftersales.customers import selectors, services
from aftersales.messaging.api import MessageOut, message_out

router = Router(tags=["messages"])


class CustomerMessageIn(InputSchema):
    event: str = Field(max_length=40, description="The event whose active templates are sent (one per channel).")
    variables: dict[Annotated[str, Field(max_length=40)], Annotated[str, Field(max_length=200)]] = Field(
        default_factory=dict, max_length=30, description="Every variable the event's templates declare, and no other."
    )


@router.post("/customers/{id:customer_id}/messages", response={201: list[MessageOut], **ERRORS})
@operation("messages.send")
def customer_message_send(request: HttpRequest, customer_id: int, payload: CustomerMessageIn) -> Status[list[Any]]:
    """Put the event's message to the customer in the outbox: a service message goes to their mobile (and
    e-mail); a marketing one is held without their consent or after an opt-out; one that is not urgent
    waits for the end of the store's quiet hours. Each row says what became of it."""
    sent = services.customer_message_send(
        actor=request_user(request),
        store=acting_store(request, permission="messages.send"),
        customer_id=customer_id,
        event=payload.event,
        variables=payload.variables,
        base_url=request.build_absolute_uri("/"),
    )
    personal = can(request_user(request), "customers.view_personal")
    return Status(201, [message_out(message, personal=personal) for message in sent])


class ReviewLinkOut(Schema):
    url: str = Field(description="The link to send the customer (shown once: only a digest of its token is kept).")
    expires_at: datetime


@router.post("/customers/{id:customer_id}/review-link", response={201: ReviewLinkOut, **ERRORS})
@operation("customers.edit")
def customer_review_link(request: HttpRequest, customer_id: int) -> Status[dict[str, Any]]:
    """A link for the customer to see their archive card and correct their mobile or e-mail (valid 7 days,
    once); sent by SMS when the ``archive_review_link`` template is active. Earlier open links go."""
    link, url = services.review_link_send(
        actor=request_user(request),
        store=acting_store(request, permission="customers.edit"),
        customer_id=customer_id,
        base_url=request.build_absolute_uri("/"),
    )
    return Status(201, {"url": url, "expires_at": link.expires_at})


class CorrectionOut(Schema):
    id: int
    customer_id: int
    customer_number: str
    mobile: str
    email: str
    note: str
    status: str
    created_at: datetime


def _correction_out(correction: Any) -> dict[str, Any]:
    return {
        "id": correction.pk,
        "customer_id": correction.customer_id,
        "customer_number": correction.customer.number,
        "mobile": correction.mobile,
        "email": correction.email,
        "note": correction.note,
        "status": correction.status,
        "created_at": correction.created_at,
    }


@router.get("/customers/corrections", response={200: list[CorrectionOut], **ERRORS})
@operation("customers.edit")
def correction_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Contact details customers corrected through their links, still to review (of the customers you see)."""
    return [_correction_out(row) for row in selectors.corrections_pending(store_id=None)[:500]]


class CorrectionDecisionIn(InputSchema):
    approve: bool
    note: str = Field(default="", max_length=500)


@router.post("/customers/corrections/{id:correction_id}/decision", response={200: CorrectionOut, **ERRORS})
@operation("customers.edit")
def correction_decision(request: HttpRequest, correction_id: int, payload: CorrectionDecisionIn) -> dict[str, Any]:
    """Approve (the mobile becomes the primary one, the e-mail replaces the old) or reject a correction."""
    correction = services.correction_decide(
        actor=request_user(request), correction_id=correction_id, approve=payload.approve, note=payload.note
    )
    return _correction_out(correction)


class ConsentSignatureIn(InputSchema):
    signature: str = Field(
        max_length=1_400_100, description="The pad's drawing: data:image/png;base64,… (at most 1 MB of image)."
    )
    marketing: bool = False
    sharing: bool = Field(default=False, description="Consent to sharing within the group (PIPL Art. 23).")


class ConsentSignatureOut(Schema):
    data_consent: bool
    marketing_consent: bool
    sharing_consent: bool
    version: int


@router.post("/customers/{id:customer_id}/consent-signature", response={200: ConsentSignatureOut, **ERRORS})
@operation("customers.edit")
def customer_consent_signature(request: HttpRequest, customer_id: int, payload: ConsentSignatureIn) -> Any:
    """The consent form signed on a staff tablet: data processing, and marketing and sharing as ticked; the
    signature is kept (media service) with the hash of the form as signed."""
    return services.consent_sign(
        actor=request_user(request),
        store=acting_store(request, permission="customers.edit"),
        customer_id=customer_id,
        signature=payload.signature,
        marketing=payload.marketing,
        sharing=payload.sharing,
    )
