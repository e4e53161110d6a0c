"""Archive API, messages: send a customer the message of an event through the outbox."""

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router
from ninja.responses import Status

from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema
from aftersales.core.routing import acting_store, operation, request_user
from aftersales.customers import services
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
    )
    return Status(201, [message_out(message) for message in sent])
