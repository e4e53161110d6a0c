"""Confirming a settlement list: the discounts within the confirming role's limits, the gap-free number, and
every refusal leaving the list as it was."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from aftersales.billing.models import DiscountLimit, Settlement, SettlementCharge, SettlementList, Surcharge
from aftersales.billing.services import ConfirmIn, discount_limit, settlement_confirm
from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.models import CalendarDay, Role
from aftersales.quality.tests.conftest import HOURS, Yard, reception, shop, yard
from aftersales.visits.models import Line

__all__ = ["HOURS", "reception", "shop", "yard"]

D = Decimal


def _state(found: SettlementList) -> tuple[object, ...]:
    row = SettlementList.all_objects.get(pk=found.pk)
    charges = SettlementCharge.objects.filter(settlement__settlement_list=found).order_by("pk")
    return (
        row.state,
        row.number,
        row.discount,
        row.rounding,
        row.amount,
        row.line_discounts,
        list(charges.values_list("amount", "discount")),
    )


def _number(yard: Yard, value: int) -> str:
    year = store_calendar(yard.store).local_date(timezone.now()).year
    return f"JS-SH01-{year}-{value:06d}"


def test_an_advisor_confirms_within_five_per_cent_and_the_list_takes_its_number(yard: Yard) -> None:
    order = yard.ready()
    found = SettlementList.all_objects.get(order=order)
    pads = Line.all_objects.get(order=order, position=3)
    data = ConfirmIn(discount=D("20.00"), rounding=D("0.40"), line_discounts={pads.pk: D("14.00")})
    confirmed = settlement_confirm(actor=yard.advisor, list_id=found.pk, data=data)
    # 688.00 less 14.00 on the brake pads' labour, 20.00 spread over the three lines by what is left of them
    # (200.00 / 88.00 / 386.00: 5.94 / 2.61 / 11.45, the fen over to the largest remainder) and the 0.40 rounding
    # off by what is left after that (0.12 / 0.05 / 0.23): 653.60; 34.00 given, 34.40 allowed.
    assert (confirmed.state, confirmed.number, str(confirmed.amount), confirmed.confirmed_by) == (
        "confirmed",
        _number(yard, 1),
        "653.60",
        yard.advisor,
    )
    charges = SettlementCharge.objects.filter(settlement__order=order).order_by("position")
    assert list(charges.values_list("gross", "discount", "rounding", "amount")) == [
        (D("200.00"), D("6.06"), D("0.12"), D("193.94")),
        (D("88.00"), D("2.66"), D("0.05"), D("85.34")),
        (D("400.00"), D("25.68"), D("0.23"), D("374.32")),
    ]
    assert list(Settlement.all_objects.filter(order=order).values_list("payer", "amount")) == [
        ("customer", D("653.60"))
    ]
    assert confirmed.line_discounts == {str(pads.pk): "14.00"}


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        (
            ConfirmIn(discount=D("34.41")),
            {"discount": ["Your discount limit is 5% of the customer's 688.00, 34.40: 34.41 is more. Ask a manager."]},
        ),
        (ConfirmIn(rounding=D("10.01")), {"rounding": ["You may round off at most 10.00."]}),
        (
            ConfirmIn(discount=D("-1"), rounding=D("0.001"), invoice_type="receipt"),
            {
                "discount": ["Enter an amount of at least 0 with at most two decimals."],
                "rounding": ["Enter an amount of at least 0 with at most two decimals."],
                "invoice_type": ["Choose one of the listed values."],
            },
        ),
        (
            ConfirmIn(discount=D("700.00")),
            {"discount": ["The order's discount and rounding off are at most what the customer pays (688.00)."]},
        ),
    ],
)
def test_a_discount_beyond_the_limit_or_wrong_is_refused_and_nothing_changes(
    yard: Yard, data: ConfirmIn, fields: dict[str, list[str]]
) -> None:
    found = SettlementList.all_objects.get(order=yard.ready())
    before = _state(found)
    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        settlement_confirm(actor=yard.advisor, list_id=found.pk, data=data)
    assert (refused.value.status, refused.value.fields) == (422, fields)
    assert _state(found) == before


def test_a_refusal_is_in_chinese_by_default(yard: Yard) -> None:
    found = SettlementList.all_objects.get(order=yard.ready())
    with pytest.raises(ApplicationError) as refused:
        settlement_confirm(actor=yard.advisor, list_id=found.pk, data=ConfirmIn(rounding=D("10.01")))
    assert refused.value.fields == {"rounding": ["抹零不能超过 10.00。"]}


def test_the_limits_are_the_roles_the_stores_own_row_wins(yard: Yard) -> None:
    world = yard.shop.reception.world
    store = yard.store
    assert discount_limit(yard.advisor, store.pk) == (D(5), D(10))
    assert discount_limit(world.user("manager"), store.pk) == (D(30), D(100))
    assert discount_limit(world.user("cashier"), store.pk) == (D(0), D(0))
    DiscountLimit.all_objects.create(store=store, role=Role.objects.get(code="advisor"), percent=D(12), rounding=D(5))
    assert discount_limit(yard.advisor, store.pk) == (D(12), D(5))
    found = SettlementList.all_objects.get(order=yard.ready())
    confirmed = settlement_confirm(actor=yard.advisor, list_id=found.pk, data=ConfirmIn(discount=D("82.56")))
    assert (str(confirmed.discount), str(confirmed.amount)) == ("82.56", "605.44")  # 12 % of 688.00


def test_who_may_not_confirm_and_a_list_confirmed_once(yard: Yard) -> None:
    found = SettlementList.all_objects.get(order=yard.ready())
    before = _state(found)
    with pytest.raises(PermissionDenied):
        settlement_confirm(actor=yard.shop.reception.world.user("cashier"), list_id=found.pk, data=ConfirmIn())
    assert _state(found) == before
    settlement_confirm(actor=yard.shop.reception.world.user("manager"), list_id=found.pk, data=ConfirmIn())
    with pytest.raises(ApplicationError) as again:
        settlement_confirm(actor=yard.advisor, list_id=found.pk, data=ConfirmIn())
    assert (again.value.status, again.value.code) == (409, "not_prepared")
    assert SettlementList.all_objects.get(pk=found.pk).number == _number(yard, 1)


def test_a_discount_on_a_line_not_charged_is_refused(yard: Yard) -> None:
    found = SettlementList.all_objects.get(order=yard.ready())
    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        settlement_confirm(actor=yard.advisor, list_id=found.pk, data=ConfirmIn(line_discounts={999_999: D(1)}))
    assert refused.value.fields == {"line_discounts.999999": ["Not a charged line of this order."]}


def test_a_line_given_free_is_zero_to_the_customer_and_charged_to_the_store_at_its_issued_cost(yard: Yard) -> None:
    order = yard.ready()
    found = SettlementList.all_objects.get(order=order)
    oil_filter = Line.all_objects.get(order=order, position=2)
    data = ConfirmIn(complimentary=frozenset({oil_filter.pk}))
    with translation.override("en"), pytest.raises(ApplicationError) as refused:  # 88.00 of 688.00: above 5 %
        settlement_confirm(actor=yard.advisor, list_id=found.pk, data=data)
    assert refused.value.fields == {
        "discount": ["Your discount limit is 5% of the customer's 688.00, 34.40: 88.00 is more. Ask a manager."]
    }
    manager = yard.shop.reception.world.user("manager")
    confirmed = settlement_confirm(actor=manager, list_id=found.pk, data=data)
    # The filter cost the store 30.00 when it was issued (1 × its moving average): the list shows both pieces.
    assert (str(confirmed.amount), confirmed.complimentary) == ("630.00", [oil_filter.pk])
    rows = Settlement.all_objects.filter(order=order).order_by("pk")
    assert [(row.payer, str(row.amount), row.state) for row in rows] == [
        ("customer", "600.00", "open"),
        ("store", "30.00", "closed"),
    ]
    free = SettlementCharge.objects.filter(settlement__order=order, line=oil_filter).order_by("settlement__payer")
    assert list(free.values_list("settlement__payer", "gross", "discount", "amount", "tax", "complimentary")) == [
        ("customer", D("88.00"), D("88.00"), D("0.00"), D("0.00"), True),
        ("store", D("30.00"), D("0.00"), D("30.00"), D("0.00"), True),
    ]


def test_a_free_labour_line_carries_no_surcharge(yard: Yard) -> None:
    order = yard.ready()
    Surcharge.all_objects.create(store=yard.store, kind="holiday", percent=D("20"))
    CalendarDay.objects.create(
        day=store_calendar(yard.store).local_date(order.visit.arrived_at), kind="holiday", name="测试节"
    )
    found = SettlementList.all_objects.get(order=order)
    oil = Line.all_objects.get(order=order, position=1)
    manager = yard.shop.reception.world.user("manager")
    confirmed = settlement_confirm(actor=manager, list_id=found.pk, data=ConfirmIn(complimentary=frozenset({oil.pk})))
    # The brake pads' labour carries its 20 % (80.00); the free oil change none: 88.00 + 400.00 + 80.00.
    assert str(confirmed.amount) == "568.00"
    surcharges = SettlementCharge.objects.filter(settlement__order=order).exclude(surcharge="")
    assert list(surcharges.values_list("line__position", "amount")) == [(3, D("80.00"))]
