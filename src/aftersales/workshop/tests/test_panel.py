"""The repair order's page shows the workshop's piece: the jobs, the parts waited for, the way to dispatch."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aftersales.workshop.services import DispatchIn, dispatch
from aftersales.workshop.tests.conftest import Shop

pytestmark = pytest.mark.django_db


def test_the_order_page_shows_jobs_parts_waited_for_and_dispatch(shop: Shop, client_for) -> None:  # type: ignore[no-untyped-def]
    order = shop.order()
    dispatch(
        actor=shop.foreman, order_id=order.pk, data=DispatchIn(shop.line(order, 1).pk, technician_id=shop.junior.pk)
    )
    page = client_for(shop.foreman).get(reverse("visits:order", args=[order.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    panel = html[
        html.index('data-testid="workshop-panel"') : html.index(
            "</section>", html.index('data-testid="workshop-panel"')
        )
    ]
    assert reverse("workshop:dispatch", args=[order.pk]) in panel  # line 3 waits for dispatch
    assert "1. 更换机油 ·" in panel and "王师傅" in panel and "0.00 / 1.00 h" in panel
    assert 'data-testid="waiting-for-parts"' in panel and reverse("workshop:order_parts", args=[order.pk]) in panel
    advisor = client_for(shop.advisor).get(reverse("visits:order", args=[order.pk])).content.decode()
    assert 'data-testid="to-dispatch"' not in advisor  # the advisor sees the jobs, the foreman dispatches
    assert 'data-testid="workshop-panel"' in advisor
