"""Parts for a job: the technician asks the parts desk for an approved part line's part, the parts desk
issues it against the line's reservation (the scanned number must be the line's part), the technician
confirms receiving it."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router
from ninja.responses import Status

from aftersales.core.apikit import InputSchema
from aftersales.core.routing import operation, request_user
from aftersales.workshop import services
from aftersales.workshop.api.common import STATE_ERRORS, PartsRequestOut, RecordId, request_answer

router = Router(tags=["workshop"])


class PartsRequestIn(InputSchema):
    line: RecordId = Field(description="An approved part line of the job's order.")
    note: str = Field(default="", max_length=200)


@router.post("/jobs/{id:job_id}/parts-requests", response={201: PartsRequestOut, **STATE_ERRORS})
@operation("workshop.work")
def job_parts_request(request: HttpRequest, job_id: int, payload: PartsRequestIn) -> Status[dict[str, Any]]:
    """Ask the parts desk for a part line's part (one open request per line: 409 ``requested``); a line
    not approved is 409 on ``line``."""
    user = request_user(request)
    job = services.job_access(actor=user, job_id=job_id, permission="workshop.work")
    row = services.parts_request(actor=user, order_id=job.order_id, line_id=payload.line, note=payload.note)
    return Status(201, request_answer(row.pk))


class PartsIssueIn(InputSchema):
    part_number: str = Field(max_length=40, description="As scanned or typed: it must be the line's part.")


@router.post("/parts-requests/{id:request_id}/issue", response={200: PartsRequestOut, **STATE_ERRORS})
@operation("workshop.parts")
def parts_request_issue(request: HttpRequest, request_id: int, payload: PartsIssueIn) -> dict[str, Any]:
    """Issue a requested part at the parts desk (``workshop.parts`` with ``stock.move``), from the line's
    reservation, to the technician who asked; the part line is done."""
    services.parts_request_issue(actor=request_user(request), request_id=request_id, part_number=payload.part_number)
    return request_answer(request_id)


@router.post("/parts-requests/{id:request_id}/receive", response={200: PartsRequestOut, **STATE_ERRORS})
@operation("workshop.work")
def parts_request_receive(request: HttpRequest, request_id: int) -> dict[str, Any]:
    """The technician who asked confirms receiving the issued part (another's: 403)."""
    services.parts_request_receive(actor=request_user(request), request_id=request_id)
    return request_answer(request_id)
