"""Approvals per line (RO-2): one act of the customer (in person with a signature, or by phone), the
insurer's loss assessment, the manufacturer's pre-authorisation, the provider's authorisation, a manager
or QC, over lines of an order; each line checked against its pay type, the price frozen."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router
from ninja.responses import Status

from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema
from aftersales.core.routing import operation, request_user
from aftersales.visits import services
from aftersales.visits.api.common import (
    STATE_ERRORS,
    ApprovalKind,
    ApprovalOut,
    Money,
    RecordId,
    approvals_out,
    approvals_written,
)
from aftersales.visits.services.approvals import RECORDERS

router = Router(tags=["repair orders"])


class ApprovalDecisionIn(InputSchema):
    line: RecordId = Field(description="A proposed line of the order.")
    approve: bool
    reason: str = Field(default="", max_length=200, description="Why the work is declined (required then).")
    assessed_amount: Money | None = Field(default=None, description="The insurer's amount for this line.")


class ApprovalIn(InputSchema):
    kind: ApprovalKind
    decisions: list[ApprovalDecisionIn] = Field(min_length=1, max_length=200)
    person: str = Field(default="", max_length=60, description="The customer, the assessor, or the contact.")
    note: str = Field(default="", max_length=300)
    signature: str = Field(
        default="", max_length=1_400_100, description="In person: the pad's drawing, data:image/png;base64,…"
    )
    insurer: str = Field(default="", max_length=100)
    claim_number: str = Field(default="", max_length=40)
    deductible: Money | None = Field(default=None, description="The customer's share of the whole assessment.")
    provider: str = Field(default="", max_length=100)
    contract_number: str = Field(default="", max_length=40)
    authorisation_number: str = Field(default="", max_length=40)
    not_required: bool = Field(default=False, description="The manufacturer does not pre-authorise this work.")


@router.post("/repair-orders/{id:order_id}/approvals", response={201: list[ApprovalOut], **STATE_ERRORS})
@operation(RECORDERS)  # any kind's recorder; the kind's own permission is the service's check
def repair_order_approve(request: HttpRequest, order_id: int, payload: ApprovalIn) -> Status[list[dict[str, Any]]]:
    """Record one approval act over proposed lines, each approved or declined: a line is approved by the
    kind its pay type names (an insurance line by the insurer's assessment, 422 naming the line), the kind
    needs its permission (403); nothing is written on any error."""
    user = request_user(request)
    services.repair_order_access(actor=user, order_id=order_id)
    approvals = services.approvals_record(
        actor=user,
        order_id=order_id,
        data=services.ApprovalIn(
            kind=payload.kind,
            decisions=[
                services.Decision(line_id=d.line, approve=d.approve, reason=d.reason, assessed_amount=d.assessed_amount)
                for d in payload.decisions
            ],
            person=payload.person,
            note=payload.note,
            signature=payload.signature,
            insurer=payload.insurer,
            claim_number=payload.claim_number,
            deductible=payload.deductible,
            provider=payload.provider,
            contract_number=payload.contract_number,
            authorisation_number=payload.authorisation_number,
            not_required=payload.not_required,
        ),
    )
    return Status(201, approvals_written(approvals))


@router.get("/repair-orders/{id:order_id}/approvals", response={200: list[ApprovalOut], **ERRORS})
@operation("visits.view")
def repair_order_approvals(request: HttpRequest, order_id: int) -> list[dict[str, Any]]:
    """Every approval of the order's lines, in the order they were recorded."""
    services.repair_order_access(actor=request_user(request), order_id=order_id)
    return approvals_out(order_id)
