"""Quality evaluations (QC-4): a random, reproducible sample of the store's orders delivered in the period;
each sampled order reviewed beside the customer's own rating; findings with corrective actions, their owner
told in-app, tracked to closure; the evaluation closed only when all is done, and nothing changes after; the
schedule opening one internal evaluation per due store, once; and the same through the API."""

from __future__ import annotations

import random
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from aftersales.core.errors import ApplicationError
from aftersales.core.models import AuditEntry, DocumentSequence, User
from aftersales.messaging.models import Message
from aftersales.quality.models import AuditFinding, AuditSample, Delivery, QualityAudit, QualitySettings
from aftersales.quality.services import (
    AuditFindingIn,
    AuditIn,
    audit_close,
    audit_open,
    audits_plan,
    finding_action,
    finding_add,
    finding_close,
    sample_review,
)
from aftersales.quality.services.audits import delivered_ids, finding_owners, sample_draw
from aftersales.visits.models import RepairOrder, Visit

from .conftest import Yard

pytestmark = pytest.mark.django_db

Capture = Callable[..., AbstractContextManager[Any]]


# --- building delivered orders cheaply ------------------------------------------------------------------


def today(yard: Yard) -> date:
    return timezone.now().astimezone(yard.store.zone).date()


def order_like(original: RepairOrder, number: str, **changes: Any) -> RepairOrder:
    """Another order as ``original`` (on its visit unless told): only its number, state, store, visit differ."""
    values: dict[str, Any] = {
        "store": original.store,
        "state": "delivered",
        "visit": original.visit,
        "customer": original.customer,
        "vehicle": original.vehicle,
        "advisor": original.advisor,
        "customer_statement": "保养",
        "mileage_in": original.mileage_in,
        "signed_name": "张伟",
        "signature": original.signature,
        "signed_at": timezone.now(),
        "signed_hash": "0" * 64,
    }
    values.update(changes)
    return RepairOrder.all_objects.create(number=number, **values)


def visit_left(visit: Visit, number: str, left_at: datetime) -> Visit:
    """Another visit of the car, without a delivery record: it left at ``left_at``."""
    copy = Visit.all_objects.get(pk=visit.pk)
    copy.pk = None
    copy._state.adding = True
    copy.number, copy.state, copy.left_at = number, "delivered", left_at
    copy.save()
    return copy


def delivered(yard: Yard) -> RepairOrder:
    """The yard's order taken all the way: delivered today, rated 5 with a comment."""
    delivery = yard.delivered()
    Delivery.objects.filter(pk=delivery.pk).update(comment="服务很好，等待时间略长")
    return RepairOrder.all_objects.get(visit=delivery.visit)


def audit_in(yard: Yard, **changes: Any) -> AuditIn:
    data = AuditIn(
        kind="internal",
        auditor="质量部 李静",
        standard="售后服务流程标准（接待、维修、总检、交车）",
        period_from=today(yard) - timedelta(days=29),
        period_to=today(yard),
        sample_size=10,
    )
    for name, value in changes.items():
        setattr(data, name, value)
    return data


def refused(call: Callable[[], Any]) -> ApplicationError:
    with pytest.raises(ApplicationError) as error, translation.override("en"):
        call()
    return error.value


def written() -> tuple[Any, ...]:
    return (
        list(QualityAudit.all_objects.order_by("pk").values_list("pk", "state", "summary")),
        list(AuditSample.objects.order_by("pk").values_list("pk", "result", "score", "note")),
        list(AuditFinding.objects.order_by("pk").values_list("pk", "state", "action_taken", "verification")),
        DocumentSequence.objects.filter(doc_type="QA").count(),
        AuditEntry.objects.count(),
        Message.objects.count(),
    )


# --- the draw -------------------------------------------------------------------------------------------


def test_the_draw_is_random_reproducible_and_takes_only_the_stores_orders_delivered_in_the_period(
    yard: Yard,
) -> None:
    first = delivered(yard)
    now = timezone.now()
    # Delivered in the period: the yard's order, two more on its visit (one closed since), and one whose visit
    # has no delivery record but left today.
    second = order_like(first, "RO-T-2")
    third = order_like(first, "RO-T-3", state="closed")
    left = order_like(first, "RO-T-4", visit=visit_left(first.visit, "V-T-4", now))
    # Not drawn: left before the period, still waiting for pick-up, cancelled, of the other store.
    order_like(first, "RO-T-5", visit=visit_left(first.visit, "V-T-5", now - timedelta(days=40)))
    order_like(first, "RO-T-6", state="ready")
    order_like(first, "RO-T-7", state="cancelled")
    order_like(first, "RO-T-8", store=yard.shop.reception.world.sz)
    available = sorted([first.pk, second.pk, third.pk, left.pk])
    assert delivered_ids(yard.store, today(yard) - timedelta(days=29), today(yard)) == available
    entries = AuditEntry.objects.count()

    audit = audit_open(actor=yard.qc, store_id=yard.store.pk, data=audit_in(yard, sample_size=3))

    year = today(yard).year
    assert (audit.number, audit.kind, audit.state, audit.sample_size, audit.created_by, len(audit.seed)) == (
        f"QA-SH01-{year}-000001",
        "internal",
        "open",
        3,
        yard.qc,
        16,
    )
    drawn = list(AuditSample.objects.filter(audit=audit).order_by("position").values_list("position", "order_id"))
    # Anyone draws it again from the stored seed: the sorted ids of the orders delivered in the period.
    again = random.Random(audit.seed).sample(available, 3)
    assert drawn == [(1, again[0]), (2, again[1]), (3, again[2])]
    assert sample_draw(list(reversed(available)), 3, audit.seed) == again
    [entry] = AuditEntry.objects.order_by("pk")[entries:]
    assert (entry.action, entry.object_type, entry.object_repr, entry.actor) == (
        "create",
        "quality.qualityaudit",
        audit.number,
        yard.qc,
    )

    # Fewer delivered than asked: every one of them, the size asked kept.
    everything = audit_open(actor=yard.qc, store_id=yard.store.pk, data=audit_in(yard, kind="third_party"))
    assert (everything.number, everything.sample_size) == (f"QA-SH01-{year}-000002", 10)
    assert sorted(AuditSample.objects.filter(audit=everything).values_list("order_id", flat=True)) == available


def test_refusals_name_the_field_and_write_nothing(yard: Yard) -> None:
    before = written()
    error = refused(
        lambda: audit_open(
            actor=yard.qc,
            store_id=yard.store.pk,
            data=audit_in(
                yard,
                kind="external",
                auditor="  ",
                standard="标" * 201,
                period_from=today(yard),
                period_to=today(yard) - timedelta(days=1),
                sample_size=201,
            ),
        )
    )
    assert (error.status, error.fields) == (
        422,
        {
            "kind": ["Choose internal or third party."],
            "auditor": ["Say who carries out the evaluation: a name or an organisation."],
            "standard": ["At most 200 characters."],
            "period_to": ["The end date must not be before the start date."],
            "sample_size": ["Sample from 1 to 200 orders."],
        },
    )
    error = refused(
        lambda: audit_open(
            actor=yard.qc,
            store_id=yard.store.pk,
            data=audit_in(yard, period_from=date(1999, 12, 31), period_to=today(yard) + timedelta(days=1)),
        )
    )
    assert error.fields == {
        "period_from": ["Choose a day from 2000 to 2099."],
        "period_to": ["The period cannot end after today."],
    }
    error = refused(lambda: audit_open(actor=yard.qc, store_id=yard.store.pk, data=audit_in(yard, sample_size=0)))
    assert error.fields == {"sample_size": ["Sample from 1 to 200 orders."]}
    # Nothing delivered in the period.
    error = refused(lambda: audit_open(actor=yard.qc, store_id=yard.store.pk, data=audit_in(yard)))
    assert (error.status, error.code, error.fields) == (
        422,
        "empty",
        {"period_from": ["No order was delivered in the period: choose another."]},
    )
    # The advisor does not evaluate quality.
    error = refused(lambda: audit_open(actor=yard.advisor, store_id=yard.store.pk, data=audit_in(yard)))
    assert (error.status, error.fields) == (403, {"store": ["You may not do this in that store."]})
    assert written() == before


# --- reviewing, findings, closing ----------------------------------------------------------------------


def test_an_evaluation_is_reviewed_its_findings_corrected_and_closed(
    yard: Yard, django_capture_on_commit_callbacks: Capture
) -> None:
    first = delivered(yard)
    order_like(first, "RO-T-2")
    world = yard.shop.reception.world
    audit = audit_open(actor=yard.qc, store_id=yard.store.pk, data=audit_in(yard, sample_size=2))
    one, two = AuditSample.objects.filter(audit=audit).order_by("position")
    other = audit_open(actor=yard.qc, store_id=yard.store.pk, data=audit_in(yard, sample_size=1))
    owner = yard.advisor
    User.objects.filter(pk=owner.pk).update(preferred_language="en")
    owner.refresh_from_db()
    technician = world.user("technician")
    before = written()

    # The review: a finding says what; a score is 1 to 5; a sample of another evaluation is not found.
    error = refused(lambda: sample_review(actor=yard.qc, sample_id=one.pk, result="finding", score=6, note=" "))
    assert (error.status, error.fields) == (422, {"score": ["Score from 1 to 5."], "note": ["Say what was found."]})
    error = refused(lambda: sample_review(actor=yard.qc, sample_id=one.pk, result="maybe"))
    assert error.fields == {"result": ["Choose whether it meets the standard or a finding is raised."]}
    assert refused(lambda: sample_review(actor=yard.advisor, sample_id=one.pk, result="pass")).status == 403
    assert (
        refused(lambda: sample_review(actor=yard.qc, audit_id=other.pk, sample_id=one.pk, result="pass")).status == 404
    )
    assert refused(lambda: sample_review(actor=world.user("qc", "sz"), sample_id=one.pk, result="pass")).status == 404
    # Closing waits for the reviews and a conclusion.
    assert refused(lambda: audit_close(actor=yard.qc, audit_id=audit.pk, summary=" ")).fields == {
        "summary": ["Write the evaluation's conclusion."]
    }
    error = refused(lambda: audit_close(actor=yard.qc, audit_id=audit.pk, summary="整体良好"))
    assert (error.status, error.detail) == (
        409,
        "2 sampled orders are not reviewed yet. The evaluation closes after them.",
    )
    # A finding: its owner is active staff of the store, its due day not past, its sample of this evaluation.
    bad = AuditFindingIn(
        severity="fatal",
        description="",
        corrective_action="x" * 501,
        owner_id=world.user("advisor", "sz").pk,
        due_on=today(yard) - timedelta(days=1),
        sample_id=AuditSample.objects.get(audit=other).pk,
    )
    error = refused(lambda: finding_add(actor=yard.qc, audit_id=audit.pk, data=bad))
    assert (error.status, error.fields) == (
        422,
        {
            "severity": ["Choose minor, major or critical."],
            "description": ["Say what was found."],
            "corrective_action": ["At most 500 characters."],
            "sample": ["Choose an order of this evaluation's sample."],
            "owner": ["Choose who owns the corrective action: an active member of this store's staff."],
            "due_on": ["The due day cannot be in the past."],
        },
    )
    outsider = AuditFindingIn("minor", "x", "y", owner_id=world.users["outsider"].pk, due_on=today(yard))
    assert refused(lambda: finding_add(actor=yard.qc, audit_id=audit.pk, data=outsider)).fields == {
        "owner": ["Choose who owns the corrective action: an active member of this store's staff."]
    }
    good = AuditFindingIn(
        severity="major",
        description="交车时未向客户解释旧件处理",
        corrective_action="交车流程培训，交车单增加旧件确认栏",
        owner_id=owner.pk,
        due_on=today(yard) + timedelta(days=14),
        sample_id=two.pk,
    )
    assert refused(lambda: finding_add(actor=yard.advisor, audit_id=audit.pk, data=good)).status == 403
    assert written() == before

    reviewed = sample_review(actor=yard.qc, sample_id=one.pk, result="pass", score=5, note="")
    assert (reviewed.result, reviewed.score, reviewed.reviewed_by) == ("pass", 5, yard.qc)
    sample_review(actor=yard.qc, audit_id=audit.pk, sample_id=two.pk, result="finding", score=3, note="旧件未说明")
    with django_capture_on_commit_callbacks(execute=True):
        finding = finding_add(actor=yard.qc, audit_id=audit.pk, data=good)
    assert (finding.state, finding.owner, finding.sample_id, finding.created_by) == ("open", owner, two.pk, yard.qc)
    # The owner is told in-app, in their language.
    [message] = Message.objects.filter(event="quality_finding")
    due = (today(yard) + timedelta(days=14)).isoformat()
    assert (message.user, message.channel, message.subject, message.body) == (
        owner,
        "inapp",
        f"Quality evaluation finding for you: {audit.number} (Major)",
        f"Quality evaluation {audit.number} found: 交车时未向客户解释旧件处理. Corrective action: "
        f"交车流程培训，交车单增加旧件确认栏. Please correct it by {due} and record the action taken.",
    )

    # The action: by its owner (or who evaluates quality), once; then the verification closes it.
    before = written()
    error = refused(lambda: finding_close(actor=yard.qc, finding_id=finding.pk, verification="抽查 5 单"))
    assert (error.status, error.detail) == (409, "Record the action taken before the finding is closed.")
    assert refused(lambda: finding_action(actor=technician, finding_id=finding.pk, action_taken="已培训")).status == 403
    assert refused(lambda: finding_action(actor=owner, finding_id=finding.pk, action_taken=" ")).fields == {
        "action_taken": ["Say what was done."]
    }
    error = refused(lambda: audit_close(actor=yard.qc, audit_id=audit.pk, summary="整体良好"))
    assert error.detail == "1 finding is not closed yet. The evaluation closes after them."
    assert written() == before
    actioned = finding_action(actor=owner, finding_id=finding.pk, action_taken="已组织交车流程培训，交车单已改版")
    assert (actioned.state, actioned.actioned_by) == ("actioned", owner)
    assert refused(lambda: finding_action(actor=yard.qc, finding_id=finding.pk, action_taken="再次")).status == 409
    assert refused(lambda: finding_close(actor=owner, finding_id=finding.pk, verification="自查")).status == 403
    assert refused(lambda: finding_close(actor=yard.qc, finding_id=finding.pk, verification="")).fields == {
        "verification": ["Say how the corrective action was verified."]
    }
    closed = finding_close(actor=yard.qc, finding_id=finding.pk, verification="抽查 5 单交车记录，均已确认旧件")
    assert (closed.state, closed.closed_by) == ("closed", yard.qc)

    done = audit_close(actor=yard.qc, audit_id=audit.pk, summary="  整体符合标准；交车环节 1 项已整改  ")
    assert (done.state, done.summary, done.closed_by) == ("closed", "整体符合标准；交车环节 1 项已整改", yard.qc)
    assert list(
        AuditEntry.objects.filter(object_type="quality.qualityaudit", object_id=str(audit.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    ) == [
        "create",
        "audit_sample_review",
        "audit_sample_review",
        "audit_finding_add",
        "audit_finding_action",
        "audit_finding_close",
        "update",
    ]

    # Closed: nothing on it changes.
    before = written()
    closed_message = f"Evaluation {audit.number} is closed: nothing on it changes."
    for call in (
        lambda: sample_review(actor=yard.qc, sample_id=one.pk, result="finding", note="再看"),
        lambda: finding_add(actor=yard.qc, audit_id=audit.pk, data=good),
        lambda: audit_close(actor=yard.qc, audit_id=audit.pk, summary="再关"),
    ):
        error = refused(call)
        assert (error.status, error.detail) == (409, closed_message)
    assert written() == before


def test_the_owners_are_the_stores_active_staff_who_may_see_quality(yard: Yard) -> None:
    world = yard.shop.reception.world
    owners = finding_owners(yard.store.pk)
    assert world.user("advisor") in owners and world.user("qc") in owners
    assert world.user("advisor", "sz") not in owners and world.users["outsider"] not in owners
    User.objects.filter(pk=world.user("washer").pk).update(is_active=False)
    assert world.user("washer") not in finding_owners(yard.store.pk)


# --- the schedule ---------------------------------------------------------------------------------------


def test_the_schedule_opens_one_internal_evaluation_per_due_store_once(yard: Yard) -> None:
    first = delivered(yard)
    world = yard.shop.reception.world
    # A third-party evaluation does not stand for the internal one.
    audit_open(actor=yard.qc, store_id=yard.store.pk, data=audit_in(yard, kind="third_party"))
    # Planned tomorrow morning: the last 30 days up to yesterday (today) are sampled.
    tomorrow = timezone.now() + timedelta(days=1)

    with translation.override("en"):
        assert audits_plan(now=tomorrow) == 1  # SZ01 delivered nothing: left for another day
    planned = QualityAudit.all_objects.get(kind="internal")
    assert (
        planned.store,
        planned.auditor,
        planned.standard,
        planned.created_by,
        planned.period_from,
        planned.period_to,
        planned.sample_size,
    ) == (
        yard.store,
        "System sample",
        "The store's after-sales service process: reception, repair, final inspection, delivery",
        None,
        today(yard) - timedelta(days=29),
        today(yard),
        10,
    )
    assert list(AuditSample.objects.filter(audit=planned).values_list("order_id", flat=True)) == [first.pk]
    assert audits_plan(now=tomorrow) == 0  # idempotent

    # SZ01 delivers an order and samples 3 every 7 days; SH01 is not due again.
    order_like(first, "RO-SZ-1", store=world.sz)
    QualitySettings.objects.create(store=world.sz, audit_every_days=7, audit_sample_size=3)
    assert audits_plan(now=tomorrow) == 1
    in_sz = QualityAudit.all_objects.get(store=world.sz)
    assert (in_sz.period_from, in_sz.period_to, in_sz.sample_size, in_sz.number) == (
        today(yard) - timedelta(days=6),
        today(yard),
        3,
        f"QA-SZ01-{today(yard).year}-000001",
    )
    assert audits_plan(now=tomorrow) == 0

    # A month on, SH01 is due again; SZ01 stopped its evaluations (0: by hand only).
    QualitySettings.objects.filter(store=world.sz).update(audit_every_days=0)
    QualityAudit.all_objects.update(created_at=timezone.now() - timedelta(days=31))
    assert audits_plan(now=tomorrow) == 1
    assert list(QualityAudit.all_objects.filter(kind="internal").values_list("store__code", flat=True)) == [
        "SH01",
        "SZ01",
        "SH01",
    ]


# --- the API --------------------------------------------------------------------------------------------


def client(user: User) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


def post(c: Client, path: str, body: dict[str, Any]) -> Any:
    return c.post(f"/api/v1{path}", body, content_type="application/json")


def test_the_api_opens_reviews_corrects_and_closes_an_evaluation(yard: Yard) -> None:
    order = delivered(yard)
    qc, advisor = client(yard.qc), client(yard.advisor)
    world = yard.shop.reception.world
    day = today(yard).isoformat()
    body = {
        "store": "SH01",
        "kind": "third_party",
        "auditor": "中汽质量认证中心",
        "standard": "GB/T 16739.2 汽车维修业经营业务条件",
        "period_from": (today(yard) - timedelta(days=6)).isoformat(),
        "period_to": day,
        "sample_size": 5,
    }
    assert post(advisor, "/quality-audits", body).status_code == 403
    empty = post(qc, "/quality-audits", {**body, "period_to": (today(yard) - timedelta(days=1)).isoformat()})
    assert (empty.status_code, empty.json()["fields"]) == (
        422,
        {"period_from": ["No order was delivered in the period: choose another."]},
    )
    assert not QualityAudit.all_objects.exists()

    response = post(qc, "/quality-audits", body)
    assert response.status_code == 201
    answer = response.json()
    audit = QualityAudit.all_objects.get()
    [sample] = AuditSample.objects.filter(audit=audit)
    assert {key: answer[key] for key in ("number", "kind", "auditor", "sample_size", "drawn", "seed", "state")} == {
        "number": audit.number,
        "kind": "third_party",
        "auditor": "中汽质量认证中心",
        "sample_size": 5,
        "drawn": 1,
        "seed": audit.seed,
        "state": "open",
    }
    assert answer["samples"] == [
        {
            "id": sample.pk,
            "position": 1,
            "order": order.pk,
            "order_number": order.number,
            "plate": "沪A12345",
            "delivered_on": day,
            "advisor": yard.advisor.pk,
            "advisor_name": str(yard.advisor),
            "rating": 5,
            "comment": "服务很好，等待时间略长",
            "result": "",
            "score": None,
            "note": "",
            "reviewed_by": None,
            "reviewed_by_name": None,
            "reviewed_at": None,
        }
    ]
    assert answer["findings"] == []
    listed = advisor.get("/api/v1/quality-audits", {"store": "SH01"}).json()
    assert [(row["number"], row["drawn"], row["reviewed"], row["open_findings"]) for row in listed] == [
        (audit.number, 1, 0, 0)
    ]
    assert advisor.get("/api/v1/quality-audits", {"store": "SH01", "state": "closed"}).json() == []
    # Another store's staff do not find it.
    assert client(world.user("advisor", "sz")).get(f"/api/v1/quality-audits/{audit.pk}").status_code == 404

    base = f"/quality-audits/{audit.pk}"
    bad = post(qc, f"{base}/samples/{sample.pk}/review", {"result": "finding", "score": 2})
    assert (bad.status_code, bad.json()["fields"]) == (422, {"note": ["Say what was found."]})
    reviewed = post(qc, f"{base}/samples/{sample.pk}/review", {"result": "finding", "score": 2, "note": "等待超时"})
    assert (reviewed.status_code, reviewed.json()["reviewed"], reviewed.json()["samples"][0]["result"]) == (
        200,
        1,
        "finding",
    )
    finding_body = {
        "sample": sample.pk,
        "severity": "minor",
        "description": "交车等待 40 分钟",
        "corrective_action": "交车前提前通知客户并备好结算单",
        "owner": yard.advisor.pk,
        "due_on": (today(yard) + timedelta(days=7)).isoformat(),
    }
    bad = post(qc, f"{base}/findings", {**finding_body, "owner": world.user("advisor", "sz").pk})
    assert (bad.status_code, bad.json()["fields"]) == (
        422,
        {"owner": ["Choose who owns the corrective action: an active member of this store's staff."]},
    )
    added = post(qc, f"{base}/findings", finding_body)
    assert added.status_code == 201
    [finding] = added.json()["findings"]
    assert (finding["owner"], finding["order_number"], finding["state"], finding["overdue"]) == (
        yard.advisor.pk,
        order.number,
        "open",
        False,
    )
    action = f"{base}/findings/{finding['id']}/action"
    assert post(client(world.user("technician")), action, {"action_taken": "x"}).status_code == 403
    done = post(advisor, action, {"action_taken": "已调整交车流程"})
    assert (done.status_code, done.json()["findings"][0]["state"]) == (200, "actioned")
    closing = post(qc, f"{base}/findings/{finding['id']}/close", {"verification": "抽查一周交车时长"})
    assert closing.json()["findings"][0]["state"] == "closed"
    closed = post(qc, f"{base}/close", {"summary": "交车时效待提升，已整改"})
    assert (closed.status_code, closed.json()["state"], closed.json()["closed_by"]) == (200, "closed", yard.qc.pk)
    again = post(qc, f"{base}/samples/{sample.pk}/review", {"result": "pass"})
    assert (again.status_code, again.json()["detail"]) == (
        409,
        f"Evaluation {audit.number} is closed: nothing on it changes.",
    )
    assert post(qc, f"/quality-audits/{audit.pk + 1000}/close", {"summary": "x"}).status_code == 404

    # The list reads every evaluation's progress in one query, however many there are.
    with CaptureQueriesContext(connection) as one:
        assert len(advisor.get("/api/v1/quality-audits", {"store": "SH01"}).json()) == 1
    for _n in range(2):
        assert post(qc, "/quality-audits", body).status_code == 201
    with CaptureQueriesContext(connection) as three:
        assert len(advisor.get("/api/v1/quality-audits", {"store": "SH01"}).json()) == 3
    assert len(three.captured_queries) == len(one.captured_queries)


def test_the_settings_keep_how_often_and_how_many(yard: Yard) -> None:
    qc_settings = client(yard.shop.reception.world.user("service_manager"))
    got = qc_settings.get("/api/v1/quality/settings", {"store": "SH01"}).json()
    assert (got["audit_every_days"], got["audit_sample_size"]) == (30, 10)
    body = {
        "store": "SH01",
        "final_checks": got["final_checks"],
        "wash_checks": got["wash_checks"],
        "delivery_checks": got["delivery_checks"],
        "comeback_days": 30,
        "audit_every_days": 367,
        "audit_sample_size": 0,
    }
    bad = qc_settings.put("/api/v1/quality/settings", body, content_type="application/json")
    assert (bad.status_code, bad.json()["fields"]) == (
        422,
        {
            "audit_every_days": ["Enter days from 0 (by hand only) to 366."],
            "audit_sample_size": ["Sample from 1 to 200 orders."],
        },
    )
    assert not QualitySettings.objects.exists()
    good = qc_settings.put(
        "/api/v1/quality/settings",
        {**body, "audit_every_days": 0, "audit_sample_size": 25},
        content_type="application/json",
    )
    assert (good.status_code, good.json()["audit_every_days"], good.json()["audit_sample_size"]) == (200, 0, 25)
    # Left out: unchanged.
    kept = qc_settings.put(
        "/api/v1/quality/settings",
        {key: value for key, value in body.items() if not key.startswith("audit_")},
        content_type="application/json",
    )
    assert (kept.json()["audit_every_days"], kept.json()["audit_sample_size"]) == (0, 25)
