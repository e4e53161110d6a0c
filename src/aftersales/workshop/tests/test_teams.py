"""Teams: kept by the workshop's settings holders; a team's job is worked by its members on one clock."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from aftersales.core.errors import ApplicationError
from aftersales.core.models import AuditEntry
from aftersales.workshop.models import Team
from aftersales.workshop.services import ClockIn, DispatchIn, clock, dispatch
from aftersales.workshop.tests.conftest import Shop

pytestmark = pytest.mark.django_db


def test_a_team_is_added_with_its_members_and_works_one_clock(shop: Shop, client_for) -> None:  # type: ignore[no-untyped-def]
    manager = client_for(shop.reception.world.user("service_manager"))
    response = manager.post(
        reverse("workshop:team_add"),
        {
            "new-name": "机电一组",
            "new-leader": str(shop.senior.pk),
            "new-members": [str(shop.middle.pk)],
            "new-is_active": "on",
        },
    )
    assert response.status_code == 302
    team = Team.objects.get(store=shop.store)
    assert (team.name, team.leader_id, sorted(m.pk for m in team.members.all())) == (
        "机电一组",
        shop.senior.pk,
        sorted([shop.senior.pk, shop.middle.pk]),
    )
    assert AuditEntry.objects.filter(action="team_members", object_id=str(team.pk)).count() == 1
    page = manager.get(reverse("workshop:teams"))
    assert page.status_code == 200 and "机电一组" in page.content.decode()

    order = shop.order()
    job = dispatch(actor=shop.foreman, order_id=order.pk, data=DispatchIn(shop.line(order, 3).pk, team_id=team.pk))
    clock(actor=shop.middle, job_id=job.pk, data=ClockIn("on"))
    job.refresh_from_db()
    assert (job.state, job.clocked_by_id) == ("in_progress", shop.middle.pk)
    with pytest.raises(ApplicationError) as refused:
        clock(actor=shop.junior, job_id=job.pk, data=ClockIn("pause", reason="break"))
    assert refused.value.code == "not_assigned"


def test_bad_team_input_is_refused_on_the_field_and_writes_nothing(shop: Shop, client_for) -> None:  # type: ignore[no-untyped-def]
    manager = client_for(shop.reception.world.user("service_manager"))
    with translation.override("en"):
        response = manager.post(
            reverse("workshop:team_add"),
            {"new-name": "", "new-leader": str(shop.reception.advisor.pk), "new-is_active": "on"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"name", "leader"}
    assert not Team.objects.exists()
    technician = client_for(shop.middle)
    response = technician.post(
        reverse("workshop:team_add"), {"new-name": "x", "new-leader": str(shop.middle.pk), "new-is_active": "on"}
    )
    assert response.status_code == 403
    assert not Team.objects.exists()
