"""The quality evaluation pages: the list (by state, overdue corrective actions in red), opening one, an
evaluation's page (its sample linked to the orders, beside the customers' ratings; the review; findings, their
action and verification; the conclusion that closes it) and the store's evaluation rules; bad input shows
its field's error and writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils.html import escape

from aftersales.core.models import User
from aftersales.quality.models import AuditFinding, AuditSample, QualityAudit, QualitySettings
from aftersales.quality.services import AuditFindingIn, audit_open, finding_add

from .conftest import Yard
from .test_audits import audit_in, delivered, today, written

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client_for: Callable[[User], Client]) -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


def opened(yard: Yard) -> QualityAudit:
    """The yard's order delivered and an evaluation of it opened by the QC inspector."""
    delivered(yard)
    return audit_open(actor=yard.qc, store_id=yard.store.pk, data=audit_in(yard, sample_size=3))


def test_the_list_shows_each_evaluation_its_progress_and_overdue_actions(
    yard: Yard, english: Callable[[User], Client]
) -> None:
    audit = opened(yard)
    finding = finding_add(
        actor=yard.qc,
        audit_id=audit.pk,
        data=AuditFindingIn("minor", "接待未递送名片", "接待话术培训", yard.advisor.pk, today(yard)),
    )
    AuditFinding.objects.filter(pk=finding.pk).update(due_on=today(yard) - timedelta(days=1))
    page = english(yard.advisor).get("/quality/audits/")
    assert page.status_code == 200
    assert [row["audit"] for row in page.context["rows"]] == [audit]
    html = page.content.decode()
    assert f'<tr data-testid="audit-{audit.pk}" class="table-danger">' in html
    assert (
        f'<a class="font-monospace" href="/quality/audits/{audit.pk}/" data-testid="number">{audit.number}</a>' in html
    )
    assert '<td data-testid="reviewed">0 / 1</td>' in html
    assert (
        '<td data-testid="findings">1 <span class="badge text-bg-danger" data-testid="overdue">1 overdue</span></td>'
        in html
    )
    assert 'data-testid="new"' not in html  # the advisor sees, does not evaluate
    assert 'href="/quality/audits/new/" data-testid="new"' in english(yard.qc).get("/quality/audits/").content.decode()
    closed = english(yard.advisor).get("/quality/audits/?state=closed")
    assert (closed.context["rows"], 'data-testid="empty">No evaluations here.</td>' in closed.content.decode()) == (
        [],
        True,
    )
    bad = english(yard.advisor).get("/quality/audits/?state=lost")
    assert bad.status_code == 400
    assert (
        '<div class="alert alert-danger" data-testid="error-state">Select a valid choice. lost is not one of the '
        "available choices.</div>" in bad.content.decode()
    )
    desk = english(yard.advisor).get("/quality/").content.decode()
    assert 'href="/quality/audits/" data-testid="audits"' in desk


def test_an_evaluation_is_opened_from_its_form(yard: Yard, english: Callable[[User], Client]) -> None:
    client = english(yard.qc)
    page = client.get("/quality/audits/new/")
    assert page.status_code == 200
    form = page.context["form"]
    assert (
        form["kind"].value(),
        form["period_from"].value(),
        form["period_to"].value(),
        form["sample_size"].value(),
    ) == (
        "internal",
        today(yard) - timedelta(days=29),
        today(yard),
        10,
    )
    html = page.content.decode()
    assert 'name="auditor" maxlength="100"' in html and 'name="standard" maxlength="200"' in html
    assert english(yard.advisor).get("/quality/audits/new/").status_code == 403
    data = {
        "kind": "internal",
        "auditor": "质量部 李静",
        "standard": "售后服务流程标准",
        "period_from": (today(yard) - timedelta(days=6)).isoformat(),
        "period_to": today(yard).isoformat(),
        "sample_size": "5",
    }
    before = written()
    nothing = client.post("/quality/audits/new/", data)
    assert (nothing.status_code, nothing.context["form"].errors) == (
        400,
        {"period_from": ["No order was delivered in the period: choose another."]},
    )
    assert 'data-testid="error-period_from">No order was delivered in the period: choose another.</div>' in (
        nothing.content.decode()
    )
    bad = client.post(
        "/quality/audits/new/",
        {**data, "auditor": " ", "period_from": today(yard).isoformat(), "period_to": "2026-01-01", "kind": "friend"},
    )
    assert (bad.status_code, bad.context["form"].errors) == (
        400,
        {"kind": ["Select a valid choice. friend is not one of the available choices."]},
    )
    bad = client.post("/quality/audits/new/", {**data, "auditor": " ", "sample_size": "0"})
    assert bad.context["form"].errors == {
        "auditor": ["Say who carries out the evaluation: a name or an organisation."],
        "sample_size": ["Sample from 1 to 200 orders."],
    }
    assert 'data-testid="error-auditor">Say who carries out the evaluation: a name or an organisation.</div>' in (
        bad.content.decode()
    )
    assert written() == before

    order = delivered(yard)
    response = client.post("/quality/audits/new/", data, follow=True)
    audit = QualityAudit.all_objects.get()
    assert response.redirect_chain == [(f"/quality/audits/{audit.pk}/", 302)]
    html = response.content.decode()
    assert (
        f'<div class="alert alert-success">Evaluation {audit.number} is open: 1 order is drawn for review.</div>'
        in html
    )
    assert (
        '<div class="alert alert-warning">Only 1 order was delivered in the period: it is in the sample.</div>' in html
    )
    assert list(AuditSample.objects.filter(audit=audit).values_list("order_id", flat=True)) == [order.pk]


def test_the_evaluation_page_reviews_records_findings_and_closes(yard: Yard, english: Callable[[User], Client]) -> None:
    audit = opened(yard)
    sample = AuditSample.objects.select_related("order").get(audit=audit)
    order = sample.order
    qc, advisor = english(yard.qc), english(yard.advisor)
    url = f"/quality/audits/{audit.pk}/"
    page = qc.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<a class="font-monospace" href="/repair-orders/{order.pk}/" data-testid="order">{order.number}</a>' in html
    assert (
        '<span data-testid="rating">5/5</span><div class="small" data-testid="comment">“服务很好，等待时间略长”</div>'
        in html
    )
    assert f'<td class="text-nowrap" data-testid="delivered">{today(yard).isoformat()}</td>' in html
    assert (
        f'data-testid="seed">Drawn at random with the seed {audit.seed}: the same seed draws the same sample again.'
        in html
    )
    assert f'action="/quality/audits/{audit.pk}/samples/{sample.pk}/review/"' in html
    assert 'name="note" maxlength="500"' in html
    assert f"/samples/{sample.pk}/review/" not in advisor.get(url).content.decode()  # sees, does not review

    # The review.
    review = f"{url}samples/{sample.pk}/review/"
    assert advisor.post(review, {"result": "pass"}).status_code == 403  # (the refusal is in the audit trail)
    before = written()
    bad = qc.post(review, {"result": "finding", "score": "2", "note": ""})
    assert (bad.status_code, bad.context["bound"].errors) == (400, {"note": ["Say what was found."]})
    assert 'data-testid="error-note">Say what was found.</div>' in bad.content.decode()
    assert written() == before
    done = qc.post(review, {"result": "finding", "score": "2", "note": "交车等待 40 分钟"})
    assert (done.status_code, done["Location"]) == (302, f"{url}#sample-{sample.pk}")
    sample.refresh_from_db()
    assert (sample.result, sample.score, sample.note, sample.reviewed_by) == ("finding", 2, "交车等待 40 分钟", yard.qc)

    # A finding.
    add = f"{url}findings/"
    data = {
        "sample": str(sample.pk),
        "severity": "major",
        "description": "交车等待超时",
        "corrective_action": "提前备好结算单",
        "owner": str(yard.advisor.pk),
        "due_on": (today(yard) + timedelta(days=7)).isoformat(),
    }
    bad = qc.post(add, {**data, "owner": "", "due_on": (today(yard) - timedelta(days=1)).isoformat()})
    assert (bad.status_code, bad.context["bound"].errors) == (
        400,
        {
            "owner": ["Choose who owns the corrective action: an active member of this store's staff."],
            "due_on": ["The due day cannot be in the past."],
        },
    )
    assert 'data-testid="error-due_on">The due day cannot be in the past.</div>' in bad.content.decode()
    response = qc.post(add, data)
    finding = AuditFinding.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"{url}#finding-{finding.pk}")
    assert (finding.severity, finding.owner, finding.sample_id) == ("major", yard.advisor, sample.pk)

    # The owner records the action; who does not own it and does not evaluate may not.
    action = f"{url}findings/{finding.pk}/action/"
    html = advisor.get(url).content.decode()
    assert f'action="{action}"' in html and f"findings/{finding.pk}/close/" not in html
    assert english(yard.shop.reception.world.user("technician")).post(action, {"action_taken": "x"}).status_code == 403
    bad = advisor.post(action, {"action_taken": " "})
    assert (bad.status_code, bad.context["bound"].errors) == (400, {"action_taken": ["Say what was done."]})
    assert advisor.post(action, {"action_taken": "已提前通知客户并备单"}).status_code == 302
    verify = f"{url}findings/{finding.pk}/close/"
    assert f'action="{verify}"' in qc.get(url).content.decode()
    assert qc.post(verify, {"verification": "抽查一周交车记录"}).status_code == 302
    finding.refresh_from_db()
    assert (finding.state, finding.action_taken, finding.verification) == (
        "closed",
        "已提前通知客户并备单",
        "抽查一周交车记录",
    )

    # The conclusion closes it; then nothing on it changes.
    close = f"{url}close/"
    bad = qc.post(close, {"summary": ""})
    assert (bad.status_code, bad.context["bound"].errors) == (400, {"summary": ["Write the evaluation's conclusion."]})
    assert qc.post(close, {"summary": "交车时效待提升，已整改"}).status_code == 302
    audit.refresh_from_db()
    assert (audit.state, audit.summary) == ("closed", "交车时效待提升，已整改")
    html = qc.get(url).content.decode()
    assert "<form" not in html.split('data-testid="facts"')[1]
    assert (
        '<dd class="col-sm-9" data-testid="summary" style="white-space: pre-line">交车时效待提升，已整改</dd>' in html
    )
    late = qc.post(review, {"result": "pass"})
    assert late.status_code == 409
    assert (
        f'data-testid="error-top"><i class="bi bi-exclamation-octagon"></i> '
        f"{escape(f'Evaluation {audit.number} is closed: nothing on it changes.')}</div>" in late.content.decode()
    )


def test_another_stores_evaluation_is_not_found(yard: Yard, english: Callable[[User], Client]) -> None:
    audit = opened(yard)
    client = english(yard.shop.reception.world.user("qc", "sz"))
    assert client.get(f"/quality/audits/{audit.pk}/").status_code == 404
    assert client.post(f"/quality/audits/{audit.pk}/close/", {"summary": "x"}).status_code == 404


def _settings_data(client: Client, **changes: Any) -> dict[str, Any]:
    form = client.get("/quality/settings/").context["form"]
    data = {name: form[name].value() for name in ("final_checks", "wash_checks", "delivery_checks", "comeback_days")}
    data |= {"audit_every_days": "14", "audit_sample_size": "20"}
    data.update(changes)
    return data


def test_the_settings_page_keeps_how_often_and_how_many(yard: Yard, english: Callable[[User], Client]) -> None:
    client = english(yard.shop.reception.world.user("service_manager"))
    page = client.get("/quality/settings/")
    assert (page.context["form"]["audit_every_days"].value(), page.context["form"]["audit_sample_size"].value()) == (
        30,
        10,
    )
    html = page.content.decode()
    assert '<input type="number" name="audit_every_days" value="30" min="0" max="366"' in html
    bad = client.post("/quality/settings/", _settings_data(client, audit_every_days="400", audit_sample_size="0"))
    assert (bad.status_code, bad.context["form"].errors) == (
        400,
        {
            "audit_every_days": ["Enter days from 0 (by hand only) to 366."],
            "audit_sample_size": ["Sample from 1 to 200 orders."],
        },
    )
    assert 'data-testid="error-audit_every_days">Enter days from 0 (by hand only) to 366.</div>' in bad.content.decode()
    assert not QualitySettings.all_objects.exists()
    assert client.post("/quality/settings/", _settings_data(client)).status_code == 302
    rules = QualitySettings.all_objects.get(store=yard.store)
    assert (rules.audit_every_days, rules.audit_sample_size, rules.comeback_days) == (14, 20, 30)
