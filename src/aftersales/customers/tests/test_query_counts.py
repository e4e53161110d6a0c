"""Pinned query counts of the archive's lists: the same number of queries for 3 rows as for 12, and
exactly the number written here (a change that adds a query per row, or one per page, fails)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from aftersales.conftest import World
from aftersales.core.models import User
from aftersales.core.services import token_create
from aftersales.customers.tests.factories import CustomerFactory, VehicleFactory

# path, who asks, how (a browser session or an API token), and the queries it costs:
# pages: session, user, access and menu (about 8) and their content; API: token and user (3) and content.
# The duplicate groups (on the review page's KPIs and the duplicates report) read shared plates too (one).
# A store's staff where the group's stores are separate companies: the visibility rule reads the stores'
# companies (one), and the API the actor's stores (two more: the pages have read them already).
LISTS = {
    "list page": ("/customers/", "advisor", "session", 13),  # with the plate and model columns
    "list API": ("/api/v1/customers", "advisor", "token", 6),
    "review queue page": ("/customers/quality/review/", "crm", "session", 19),
    "review queue API": ("/api/v1/customers/review-queue", "crm", "token", 7),
    "duplicates page": ("/customers/quality/duplicates/", "crm", "session", 15),
    "duplicates API": ("/api/v1/customers/duplicates", "crm", "token", 9),
}


NAMES = "一二三四五六七八九十甲乙丙丁戊己庚辛壬癸"


def _archive(rows: int, *, first: int = 0) -> None:
    """``rows`` customers sharing a mobile two by two (duplicates), each with a vehicle of its own plate."""
    for index in range(rows):
        customer = CustomerFactory(
            name="冯" + NAMES[index], mobiles=[f"1390000{index // 2:04d}"], province="上海市", city="上海市"
        )
        VehicleFactory(owner=customer, plate=f"沪B{first + index:04d}A")


@pytest.mark.parametrize("name", list(LISTS))
def test_a_list_costs_the_same_queries_whatever_its_length(
    world: World, client_for: Callable[[User], Client], name: str
) -> None:
    path, role, how, expected = LISTS[name]
    user = world.user(role)
    if how == "session":
        client, headers = client_for(user), {}
    else:
        _token, raw = token_create(user=user, name="counts")
        client, headers = Client(), {"authorization": f"Bearer {raw}"}

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, headers=headers)
        assert response.status_code == 200, response.content[:300]
        return len(captured), len(response.content)

    _archive(3)
    queries()  # a token's first use of the minute records it; a session's first page picks its store
    few, few_bytes = queries()
    _archive(9, first=3)
    many, many_bytes = queries()
    assert many_bytes > few_bytes  # the longer list was really listed
    assert (few, many) == (expected, expected)
