"""Messaging API: the outbox and decisions on unknown messages, templates, the user's in-app messages."""

import hmac
import json
from datetime import datetime
from typing import Annotated, Any, Literal

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import TypeAdapter, ValidationError

from aftersales.core.access import can, stores_with
from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema, ListQuery, Page, paginate
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Store, User
from aftersales.core.routing import operation, request_user
from aftersales.messaging import selectors, services

router = Router(tags=["messages"])

StatusName = Literal["queued", "held", "sending", "sent", "delivered", "failed", "unknown", "cancelled"]
ChannelName = Literal["sms", "email", "inapp"]


class AttachmentOut(Schema):
    name: str
    content_type: str
    size: int = Field(description="In bytes.")


class MessageOut(Schema):
    id: int
    store: str
    event: str
    channel: str
    message_class: str
    status: str
    hold_reason: str = Field(description="Why it is held: quiet_hours (sent when they end), no_consent, opted_out.")
    not_before: datetime | None
    recipient_type: str
    recipient_id: int | None
    recipient_name: str
    address: str
    subject: str
    body: str
    attachments: list[AttachmentOut] = Field(description="E-mail only: the files it carries (as attached).")
    attempts: int
    provider: str
    provider_message_id: str
    error: str
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None


def message_out(message: Any, *, personal: bool = False) -> dict[str, Any]:
    """A message as the API shows it: the address masked unless ``personal``, link tokens hidden."""
    data = {name: getattr(message, name) for name in MessageOut.model_fields if name != "store"}
    data["store"] = message.store.code
    data["address"], data["body"] = selectors.message_shown(message, personal=personal)
    data["attachments"] = [
        {"name": file["name"], "content_type": file["content_type"], "size": file["size"]}
        for file in message.attachments
    ]
    return data


class OutboxQuery(ListQuery):
    status: StatusName | None = None
    channel: ChannelName | None = None


@router.get("/messages", response={200: Page[MessageOut], **ERRORS})
@operation("messages.view")
def message_list(request: HttpRequest, query: Query[OutboxQuery]) -> dict[str, Any]:
    """The outbox of the stores you may see it in, newest first; ``status=unknown`` lists the messages
    whose delivery nobody can tell, for a person to decide."""
    messages = selectors.outbox(
        store_ids=stores_with(request_user(request), "messages.view"), status=query.status, channel=query.channel
    )
    page = paginate(messages, query, ordering_fields=("created_at",), default_ordering=("-created_at", "-pk"))
    personal = can(request_user(request), "customers.view_personal")
    page["items"] = [message_out(message, personal=personal) for message in page["items"]]
    return page


class DecisionIn(InputSchema):
    decision: Literal["resend", "mark_sent", "cancel"] = Field(
        description="resend: send it again (unknown or failed); mark_sent: the customer got it (unknown only); "
        "cancel: leave it unsent."
    )


@router.post("/messages/{id:message_id}/decision", response={200: MessageOut, **ERRORS})
@operation("messages.manage")
def message_decision(request: HttpRequest, message_id: int, payload: DecisionIn) -> dict[str, Any]:
    actor = request_user(request)
    selectors.message_in_stores(message_id, stores_with(actor, "messages.manage"))
    message = services.message_decide(actor=actor, message_id=message_id, decision=payload.decision)
    personal = can(actor, "customers.view_personal")
    return message_out(selectors.message_in_stores(message.pk, None), personal=personal)


class TemplateIO(Schema):
    event: str = Field(max_length=40)
    channel: ChannelName
    message_class: Literal["service", "marketing"]
    urgent: bool = False
    variables: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=30)
    subject_zh: str = Field(default="", max_length=200)
    subject_en: str = Field(default="", max_length=200)
    body_zh: str = Field(max_length=2000)
    body_en: str = Field(default="", max_length=2000)
    sms_sign_name: str = Field(default="", max_length=40)
    sms_template_code: str = Field(default="", max_length=40)
    is_active: bool = True


class TemplateOut(TemplateIO):
    id: int
    version: int


class TemplateIn(InputSchema, TemplateIO):
    pass


class TemplatePatch(InputSchema):
    urgent: bool | None = None
    variables: list[Annotated[str, Field(max_length=40)]] | None = Field(default=None, max_length=30)
    subject_zh: str | None = Field(default=None, max_length=200)
    subject_en: str | None = Field(default=None, max_length=200)
    body_zh: str | None = Field(default=None, max_length=2000)
    body_en: str | None = Field(default=None, max_length=2000)
    sms_sign_name: str | None = Field(default=None, max_length=40)
    sms_template_code: str | None = Field(default=None, max_length=40)
    is_active: bool | None = None


@router.get("/message-templates", response={200: list[TemplateOut], **ERRORS})
@operation("messages.view")
def template_list(request: HttpRequest) -> list[Any]:
    return list(selectors.templates())


@router.post("/message-templates", response={201: TemplateOut, **ERRORS})
@operation("messages.manage")
def template_create(request: HttpRequest, payload: TemplateIn) -> Status[Any]:
    """A template for an event and channel; every ``{placeholder}`` of its texts must be a declared variable."""
    return Status(201, services.template_save(actor=request_user(request), data=payload.model_dump()))


@router.patch("/message-templates/{id:template_id}", response={200: TemplateOut, **ERRORS})
@operation("messages.manage")
def template_update(request: HttpRequest, template_id: int, payload: TemplatePatch) -> Any:
    data = payload.model_dump(exclude_unset=True)
    return services.template_save(actor=request_user(request), data=data, template_id=template_id)


class NotificationOut(Schema):
    id: int
    event: str
    subject: str
    body: str
    created_at: datetime
    read_at: datetime | None


class NotificationsOut(Schema):
    unread: int
    items: list[NotificationOut]


@router.get("/notifications", response={200: NotificationsOut, **ERRORS})
@operation()
def notification_list(request: HttpRequest) -> dict[str, Any]:
    """Your in-app messages (the newest 50) and how many are unread."""
    user = request_user(request)
    return {"unread": selectors.unread_count(user), "items": list(selectors.notifications(user)[:50])}


class ReadIn(InputSchema):
    id: int | None = Field(default=None, description="The message to mark read; none: all of yours.")


class ReadOut(Schema):
    marked: int
    unread: int


@router.post("/notifications/read", response={200: ReadOut, **ERRORS})
@operation()
def notification_mark_read(request: HttpRequest, payload: ReadIn) -> dict[str, int]:
    user = request_user(request)
    marked = services.notification_read(user=user, message_id=payload.id)
    return {"marked": marked, "unread": selectors.unread_count(user)}


class TaskOut(Schema):
    id: int
    store: str
    subject: str
    about_type: str
    about_id: int | None
    about_label: str
    assignee: str | None = Field(description="The username of the person; null when the task is the role's.")
    assignee_role: str
    due_at: datetime | None
    status: str
    outcome: str
    created_at: datetime
    closed_at: datetime | None


def task_out(task: Any) -> dict[str, Any]:
    data = {name: getattr(task, name) for name in TaskOut.model_fields if name not in {"store", "assignee"}}
    data["store"] = task.store.code
    data["assignee"] = task.assignee.username if task.assignee else None
    return data


@router.get("/tasks", response={200: list[TaskOut], **ERRORS}, tags=["tasks"])
@operation()
def task_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Your open tasks in every store you work in (yours and your roles'), soonest due first."""
    return [task_out(task) for task in selectors.tasks_of(request_user(request), store_id=None)[:500]]


class TaskIn(InputSchema):
    store_id: int
    subject: str = Field(max_length=200)
    assignee_id: int | None = Field(default=None, description="The person; or give assignee_role.")
    assignee_role: str = Field(default="", max_length=30, description="A role code, e.g. crm.")
    due_at: datetime | None = None
    due_in_working_days: int | None = Field(
        default=None, ge=0, le=60, description="Due at the store's closing time that many working days on."
    )


@router.post("/tasks", response={201: TaskOut, **ERRORS}, tags=["tasks"])
@operation("messages.manage")
def task_create(request: HttpRequest, payload: TaskIn) -> Status[dict[str, Any]]:
    """Give a task to a person or a role in a store where you manage messages and tasks."""
    actor = request_user(request)
    allowed = stores_with(actor, "messages.manage")
    store = Store.all_objects.filter(pk=payload.store_id).first()
    if store is None or (allowed is not None and store.pk not in allowed):
        raise ApplicationError(_("No such store."), field="store_id", status=422)
    assignee = None
    if payload.assignee_id is not None:
        assignee = User.objects.filter(pk=payload.assignee_id, is_active=True).first()
        if assignee is None:
            raise ApplicationError(_("No such staff member."), field="assignee_id", status=422)
    task = services.task_create(
        store=store,
        subject=payload.subject,
        actor=actor,
        assignee=assignee,
        role=payload.assignee_role,
        due_at=payload.due_at,
        due_in_working_days=payload.due_in_working_days,
    )
    return Status(201, task_out(task))


class TaskCloseIn(InputSchema):
    done: bool = Field(description="true: done; false: cancelled.")
    outcome: str = Field(max_length=2000)


@router.post("/tasks/{id:task_id}/close", response={200: TaskOut, **ERRORS}, tags=["tasks"])
@operation()
def task_close(request: HttpRequest, task_id: int, payload: TaskCloseIn) -> dict[str, Any]:
    task = services.task_close(actor=request_user(request), task_id=task_id, done=payload.done, outcome=payload.outcome)
    return task_out(task)


class PushAnswer(Schema):
    code: int = Field(description="0: taken (Aliyun's expected answer).")
    msg: str


def _callback_allowed(token: str) -> None:
    expected = settings.ALIYUN_SMS_CALLBACK_TOKEN
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        raise ApplicationError(_("Not found."), code="not_found", status=404)


class SmsReportIn(Schema):
    out_id: str = Field(default="", max_length=64)
    biz_id: str = Field(default="", max_length=100)
    phone_number: str = Field(default="", max_length=20)
    success: bool = False
    err_code: str = Field(default="", max_length=50)
    err_msg: str = Field(default="", max_length=200)


class SmsReplyIn(Schema):
    phone_number: str = Field(max_length=20)
    content: str = Field(default="", max_length=500)
    sign_name: str = Field(default="", max_length=40)


def _pushed(request: HttpRequest, token: str, item: type[Schema]) -> list[dict[str, Any]]:
    """The items of one of Aliyun's HTTP batch pushes (a JSON array; a lone object is a batch of one),
    once the URL's secret token is right (else 404, before the body is read)."""
    _callback_allowed(token)
    try:
        body = json.loads(request.body or b"[]")
    except ValueError:
        body = None
    if isinstance(body, dict):
        body = [body]
    adapter: TypeAdapter[list[Schema]] = TypeAdapter(list[item])  # type: ignore[valid-type]
    try:
        items = adapter.validate_python(body)
    except ValidationError:
        raise ApplicationError(_("The push is not a list of Aliyun SMS items."), status=422) from None
    return [entry.model_dump() for entry in items[:1000]]


def _push_body(item: type[Schema]) -> dict[str, Any]:
    schema = item.model_json_schema()
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "array", "maxItems": 1000, "items": schema}}},
        }
    }


@router.post(
    "/messaging/aliyun/{str:token}/report",
    auth=None,
    response={200: PushAnswer, **ERRORS},
    openapi_extra=_push_body(SmsReportIn),
)
@operation(public=True)
def aliyun_report(request: HttpRequest, token: str) -> dict[str, Any]:
    """Aliyun SMS delivery receipts (its HTTP batch push of ``SmsReport``), at the URL with the configured
    secret token: a message becomes delivered, or failed with the operator's code."""
    services.sms_reports_apply(_pushed(request, token, SmsReportIn))
    return {"code": 0, "msg": "成功"}


@router.post(
    "/messaging/aliyun/{str:token}/reply",
    auth=None,
    response={200: PushAnswer, **ERRORS},
    openapi_extra=_push_body(SmsReplyIn),
)
@operation(public=True)
def aliyun_reply(request: HttpRequest, token: str) -> dict[str, Any]:
    """Customers' SMS replies (Aliyun's HTTP batch push of ``SmsUp``): 退订 (TD) opts out at once."""
    services.sms_replies_apply(_pushed(request, token, SmsReplyIn))
    return {"code": 0, "msg": "成功"}
