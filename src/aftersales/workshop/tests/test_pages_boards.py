"""The workshop's boards: the job board (by state and by technician, with re-dispatch by drag), the
customer lounge's screen, the advisor's open orders and the technicians' load of a day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from aftersales.core.models import User
from aftersales.visits.models import RepairOrder, Visit
from aftersales.workshop.models import Job, JobEvent
from aftersales.workshop.selectors import mask_plate
from aftersales.workshop.services import DispatchIn, dispatch, job_accept
from aftersales.workshop.tests.conftest import Shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client_for: Callable[[User], Client]) -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


def _columns(page: Any) -> list[tuple[str, list[tuple[int, bool, bool, bool]]]]:
    """Each column's code with its cards: (line id, late, waiting for parts, movable)."""
    return [
        (
            column["code"],
            [(i["card"].line_id, i["card"].late, i["card"].waiting_parts, i["movable"]) for i in column["cards"]],
        )
        for column in page.context["columns"]
    ]


def _workshop(shop: Shop) -> tuple[RepairOrder, Job]:
    """An order with its oil change dispatched to 王师傅 on the quick bay and accepted, its brakes not yet
    dispatched; then the promised time passed (the job's deadline was set before, still ahead)."""
    order = shop.order()
    oil = shop.line(order, 1)
    job = dispatch(
        actor=shop.foreman,
        order_id=order.pk,
        data=DispatchIn(line_id=oil.pk, technician_id=shop.junior.pk, bay_id=shop.quick.pk),
    )
    job_accept(actor=shop.junior, job_id=job.pk)
    Job.all_objects.filter(pk=job.pk).update(deadline=timezone.now() + timedelta(hours=2))
    Visit.all_objects.filter(pk=order.visit_id).update(promised_at=timezone.now() - timedelta(minutes=30))
    return order, job


def test_the_board_puts_cards_in_their_state_columns_late_ones_red(
    shop: Shop, english: Callable[[User], Client]
) -> None:
    order, job = _workshop(shop)
    oil, brakes = shop.line(order, 1), shop.line(order, 3)
    page = english(shop.foreman).get("/workshop/board/")
    assert page.status_code == 200
    assert _columns(page) == [
        ("dispatch", [(brakes.pk, True, True, False)]),
        ("assigned", []),
        ("accepted", [(oil.pk, False, True, True)]),
        ("in_progress", []),
        ("paused", []),
        ("done", []),
    ]
    assert [column["title"] for column in page.context["columns"]] == [
        "To dispatch",
        "Assigned",
        "Accepted",
        "In progress",
        "Paused",
        "Done today",
    ]
    html = page.content.decode()
    assert (
        f'<article class="card board-card shadow-sm late" id="card-{brakes.pk}" data-testid="card-{brakes.pk}">' in html
    )
    assert f'<a class="fw-semibold" href="/repair-orders/{order.pk}/">{order.number}</a>' in html
    assert f'href="/repair-orders/{order.pk}/dispatch/" data-testid="dispatch-link"' in html
    assert html.count('data-testid="late"') == 1
    assert html.count('data-testid="waiting-parts"') == 2
    card = page.context["columns"][2]["cards"][0]["card"]
    assert (card.plate, card.worker, card.bay, card.hours, card.job_id) == (
        "沪A12345",
        "王师傅",
        "Q01",
        Decimal("1.00"),
        job.pk,
    )


def test_an_advisor_sees_the_board_without_dispatch_links_or_moves(
    shop: Shop, english: Callable[[User], Client]
) -> None:
    _workshop(shop)
    page = english(shop.advisor).get("/workshop/board/?by=technician")
    assert page.status_code == 200
    assert [movable for _code, cards in _columns(page) for *_rest, movable in cards] == [False, False]
    html = page.content.decode()
    assert "data-technician=" not in html
    assert "dispatch-link" not in html
    assert "/workshop/board/redispatch/" not in html.replace('data-redispatch="/workshop/board/redispatch/"', "")


def test_the_board_filters_by_advisor_technician_and_bay(shop: Shop, english: Callable[[User], Client]) -> None:
    order, _job = _workshop(shop)
    oil, brakes = shop.line(order, 1), shop.line(order, 3)
    client = english(shop.foreman)

    def lines(query: str) -> list[int]:
        page = client.get(f"/workshop/board/?{query}")
        assert page.status_code == 200
        return [line for _code, cards in _columns(page) for line, *_rest in cards]

    assert lines(f"advisor={shop.advisor.pk}") == [brakes.pk, oil.pk]
    assert lines(f"technician={shop.junior.pk}") == [oil.pk]
    assert lines(f"technician={shop.senior.pk}") == []
    assert lines(f"bay={shop.quick.pk}") == [oil.pk]
    assert lines(f"bay={shop.lift.pk}") == []


def test_a_bad_filter_is_a_field_error_and_a_400(shop: Shop, english: Callable[[User], Client]) -> None:
    _workshop(shop)
    page = english(shop.foreman).get("/workshop/board/?technician=999999&by=sideways")
    assert page.status_code == 400
    assert page.context["form"].errors == {
        "technician": ["Select a valid choice. 999999 is not one of the available choices."],
        "by": ["Select a valid choice. sideways is not one of the available choices."],
    }
    assert page.context["columns"] == []
    assert 'data-testid="error-technician">Select a valid choice.' in page.content.decode()


def test_the_board_by_technician_has_a_column_per_technician(shop: Shop, english: Callable[[User], Client]) -> None:
    order, _job = _workshop(shop)
    oil, brakes = shop.line(order, 1), shop.line(order, 3)
    page = english(shop.foreman).get("/workshop/board/?by=technician")
    assert page.status_code == 200
    assert _columns(page) == [
        ("dispatch", [(brakes.pk, True, True, False)]),
        (f"technician-{shop.senior.pk}", []),
        (f"technician-{shop.junior.pk}", [(oil.pk, False, True, True)]),
        (f"technician-{shop.middle.pk}", []),
    ]
    assert [column["title"] for column in page.context["columns"]] == ["To dispatch", "李师傅", "王师傅", "维修技师"]
    html = page.content.decode()
    assert f'data-technician="{shop.senior.pk}"' in html
    assert 'src="/static/workshop/board.js"' in html
    assert 'hx-get="/workshop/board/?by=technician" hx-trigger="every 60s"' in html


def _brakes_job(shop: Shop) -> tuple[RepairOrder, Job]:
    order = shop.order()
    job = dispatch(
        actor=shop.foreman,
        order_id=order.pk,
        data=DispatchIn(line_id=shop.line(order, 3).pk, technician_id=shop.middle.pk, bay_id=shop.lift.pk),
    )
    return order, job


def _state(job: Job) -> tuple[Any, ...]:
    job.refresh_from_db()
    return (job.technician_id, job.state, job.bay_id, JobEvent.objects.filter(job=job).count())


def test_a_card_dropped_on_an_unqualified_technician_is_refused_and_nothing_changes(
    shop: Shop, english: Callable[[User], Client]
) -> None:
    _order, job = _brakes_job(shop)
    before = _state(job)
    response = english(shop.foreman).post(
        "/workshop/board/redispatch/",
        {"job": str(job.pk), "technician": str(shop.junior.pk), "by": "technician"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert response.context["redispatch"].errors == {"technician": ["王师傅 is not Intermediate or above."]}
    assert (
        '<div class="alert alert-danger" role="alert" data-testid="board-error">王师傅 is not Intermediate or above.</div>'
        in (response.content.decode())
    )
    assert next(template.name for template in response.templates) == "workshop/boards/_board.html"
    assert _state(job) == before == (shop.middle.pk, "assigned", shop.lift.pk, 1)


def test_a_card_dropped_on_a_qualified_technician_is_re_dispatched(
    shop: Shop, english: Callable[[User], Client]
) -> None:
    order, job = _brakes_job(shop)
    job_accept(actor=shop.middle, job_id=job.pk)
    response = english(shop.foreman).post(
        "/workshop/board/redispatch/",
        {"job": str(job.pk), "technician": str(shop.senior.pk), "by": "technician"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert _state(job) == (shop.senior.pk, "assigned", shop.lift.pk, 3)
    assert response.context["done"] == f"{order.number} · 更换前制动片 is re-dispatched to 李师傅."
    assert (f"technician-{shop.senior.pk}", [(job.line_id, False, True, True)]) in _columns(response)


def test_the_move_form_without_script_redirects_to_the_board(shop: Shop, english: Callable[[User], Client]) -> None:
    _order, job = _brakes_job(shop)
    response = english(shop.foreman).post(
        "/workshop/board/redispatch/", {"job": str(job.pk), "technician": str(shop.senior.pk), "by": "state"}
    )
    assert (response.status_code, response["Location"]) == (302, "/workshop/board/?by=state")
    assert _state(job)[:2] == (shop.senior.pk, "assigned")


def test_a_job_on_the_clock_is_not_moved(shop: Shop, english: Callable[[User], Client]) -> None:
    _order, job = _brakes_job(shop)
    Job.all_objects.filter(pk=job.pk).update(state=Job.State.IN_PROGRESS)
    before = _state(job)
    response = english(shop.foreman).post(
        "/workshop/board/redispatch/", {"job": str(job.pk), "technician": str(shop.senior.pk)}
    )
    assert response.status_code == 409
    assert response.context["redispatch"].errors == {"__all__": ["A job that is “In progress” is not re-dispatched."]}
    assert _state(job) == before


def test_only_the_foreman_re_dispatches(shop: Shop, english: Callable[[User], Client]) -> None:
    _order, job = _brakes_job(shop)
    before = _state(job)
    response = english(shop.advisor).post(
        "/workshop/board/redispatch/", {"job": str(job.pk), "technician": str(shop.senior.pk)}
    )
    assert response.status_code == 403
    assert _state(job) == before


# The session and the user, the store and its menu, the filter's choices (the board shows them too), and
# the selector's seven.
QUERIES = 16


def test_the_board_reads_the_same_number_of_queries_for_one_or_three_orders(
    shop: Shop, english: Callable[[User], Client], django_assert_num_queries: Any
) -> None:
    client = english(shop.foreman)
    _workshop(shop)
    assert client.get("/workshop/board/").status_code == 200  # the session warmed up
    with django_assert_num_queries(QUERIES):
        assert len(client.get("/workshop/board/").context["columns"][0]["cards"]) == 1
    for _more in range(2):
        shop.order()
    with django_assert_num_queries(QUERIES):
        assert len(client.get("/workshop/board/").context["columns"][0]["cards"]) == 5


def test_the_lounge_shows_masked_plates_stage_eta_and_progress(shop: Shop, english: Callable[[User], Client]) -> None:
    order, _job = _workshop(shop)
    promised = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=3)
    Visit.all_objects.filter(pk=order.visit_id).update(promised_at=promised)
    local = promised.astimezone(shop.store.zone)
    for path in ("/workshop/lounge/", "/workshop/lounge/rows/"):
        page = english(shop.advisor).get(path)
        assert page.status_code == 200
        assert [
            (row["progress"].masked, row["progress"].stage_label, row["eta"], row["percent"])
            for row in page.context["rows"]
        ] == [("沪A·**345", "Waiting for parts", local.replace(tzinfo=None), 50)]
        html = page.content.decode()
        assert '<td class="plate font-monospace text-nowrap" data-testid="plate">沪A·**345</td>' in html
        assert "沪A12345" not in html
        assert (
            f'data-testid="eta">{"" if local.date() == shop.reception.today() else local.strftime("%m-%d ")}{local:%H:%M}</td>'
            in html
        )
        assert 'aria-valuenow="2" aria-valuemin="0" aria-valuemax="4"' in html
    assert (
        'hx-get="/workshop/lounge/rows/" hx-trigger="every 30s"'
        in english(shop.advisor).get("/workshop/lounge/").content.decode()
    )
    assert mask_plate("沪A12345") == "沪A·**345"


def test_the_advisor_sees_their_open_orders_with_the_next_action(shop: Shop, english: Callable[[User], Client]) -> None:
    order, _job = _workshop(shop)
    page = english(shop.advisor).get("/workshop/orders/")
    assert page.status_code == 200
    assert [
        (
            row["order"].number,
            row["order"].next_action,
            row["order"].late,
            row["order"].waiting_parts,
            row["order"].waiting_approval,
            row["order"].off_site,
        )
        for row in page.context["rows"]
    ] == [(order.number, "Chase the parts and tell the customer the new time", True, True, False, False)]
    assert page.context["advisor"] == shop.advisor.full_name
    html = page.content.decode()
    assert f'<option value="{shop.advisor.pk}" selected>' in html
    assert (
        '<span class="badge text-bg-danger">Late</span> <span class="badge text-bg-warning">Waiting for parts</span>'
        in html
    )


def test_the_foreman_sees_everyones_orders_and_a_bad_advisor_is_a_400(
    shop: Shop, english: Callable[[User], Client]
) -> None:
    order, _job = _workshop(shop)
    client = english(shop.foreman)
    page = client.get("/workshop/orders/")
    assert (page.status_code, [row["order"].number for row in page.context["rows"]]) == (200, [order.number])
    assert page.context["advisor"] is None
    assert [
        row["order"].number for row in client.get(f"/workshop/orders/?advisor={shop.senior.pk}").context["rows"]
    ] == []
    bad = client.get("/workshop/orders/?advisor=everyone")
    assert bad.status_code == 400
    assert bad.context["form"].errors == {
        "advisor": ["Select a valid choice. everyone is not one of the available choices."]
    }
    assert bad.context["rows"] == []


def test_the_load_of_a_day_as_a_chart_and_a_table(shop: Shop, english: Callable[[User], Client]) -> None:
    _workshop(shop)
    _brakes_job(shop)
    page = english(shop.foreman).get("/workshop/load/")
    assert page.status_code == 200
    assert page.context["day"] == shop.reception.today()
    assert [(row.name, row.booked, row.shift, row.worked) for row in page.context["rows"]] == [
        ("李师傅", Decimal(0), Decimal("9.00"), Decimal("0.00")),
        ("王师傅", Decimal("1.00"), Decimal("9.00"), Decimal("0.00")),
        ("维修技师", Decimal("2.00"), Decimal("9.00"), Decimal("0.00")),
    ]
    assert page.context["chart"] == {
        "names": ["李师傅", "王师傅", "维修技师"],
        "series": [
            {"name": "Booked", "values": [0.0, 1.0, 2.0]},
            {"name": "On shift", "values": [9.0, 9.0, 9.0]},
            {"name": "Worked", "values": [0.0, 0.0, 0.0]},
        ],
    }
    html = page.content.decode()
    assert 'src="/static/vendor/echarts/echarts.min.js"' in html
    assert (
        f'<tr data-testid="load-{shop.junior.pk}">\n    <th scope="row">王师傅</th><td class="text-end">1.00</td>'
        '<td class="text-end">9.00</td><td class="text-end">0.00</td>'
    ) in html


def test_a_bad_day_on_the_load_is_a_field_error(shop: Shop, english: Callable[[User], Client]) -> None:
    client = english(shop.foreman)
    with translation.override("en"):
        for value, message in (
            ("2026-02-30", "Enter a valid date."),
            ("2100-01-01", "Enter a date from 2000-01-01 to 2099-12-31."),
        ):
            page = client.get(f"/workshop/load/?day={value}")
            assert page.status_code == 400
            assert page.context["form"].errors == {"day": [message]}
            assert page.context["rows"] == []
    other = client.get("/workshop/load/?day=2026-03-02")
    assert (other.status_code, other.context["day"].isoformat()) == (200, "2026-03-02")


def test_the_move_to_link_opens_the_one_move_form_and_a_bad_one_is_refused(
    shop: Shop, english: Callable[[User], Client]
) -> None:
    _order, job = _workshop(shop)
    client = english(shop.foreman)
    page = client.get("/workshop/board/").content.decode()
    assert page.count('data-testid="move-form"') == 0
    assert f'href="?by=state&amp;move={job.pk}#card-{job.line_id}" data-testid="move-link"' in page
    opened = client.get("/workshop/board/", {"by": "state", "move": str(job.pk)}).content.decode()
    assert opened.count('data-testid="move-form"') == 1
    assert f'<input type="hidden" name="job" value="{job.pk}">' in opened
    refused = client.get("/workshop/board/", {"move": "x"})
    assert (refused.status_code, refused.context["form"].errors) == (400, {"move": ["Enter a whole number."]})
