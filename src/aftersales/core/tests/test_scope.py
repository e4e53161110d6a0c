"""The request's scope reads the actor's memberships once and answers every question of access from them."""

from contextlib import AbstractContextManager
from typing import Any, Protocol

from aftersales.conftest import World
from aftersales.core.models import Role, StaffMembership, User
from aftersales.core.permissions import PERMISSIONS
from aftersales.core.scope import scope_of
from aftersales.core.tests.factories import DealerGroupFactory, StoreFactory


class Counted(Protocol):
    def __call__(self, num: int) -> AbstractContextManager[Any]: ...


def test_stores_permissions_and_groups_come_from_one_read_of_the_memberships(
    world: World, django_assert_num_queries: Counted
) -> None:
    advisor = world.user("advisor")
    foreman = Role.objects.get(code="foreman")
    StaffMembership.objects.create(user=advisor, store=world.sz, role=foreman)
    other = StoreFactory.create(group=DealerGroupFactory.create(code="G2"), code="BJ01", is_active=False)
    StaffMembership.objects.create(user=advisor, store=other, role=foreman)  # a closed store: not counted
    with scope_of(advisor) as scope, django_assert_num_queries(1):
        assert scope.store_ids == frozenset({world.sh.pk, world.sz.pk})
        assert (
            "staff.view" in scope.permissions_in(world.sh.pk),
            "staff.view" in scope.permissions_in(world.sz.pk),
        ) == (
            False,
            True,
        )
        assert "staff.view" in scope.permissions_in(None)  # in any store
        assert scope.permissions_in(other.pk) == frozenset()
        assert scope.group_ids == [world.sh.group_id]


def test_a_group_wide_role_sees_every_store_and_group(world: World, django_assert_num_queries: Counted) -> None:
    with scope_of(world.user("auditor")) as scope, django_assert_num_queries(1):
        assert (scope.store_ids, scope.group_ids) == (None, None)
        assert "audit.view" in scope.permissions_in(world.sz.pk)


def test_a_superuser_and_no_user_read_nothing(world: World, django_assert_num_queries: Counted) -> None:
    root = User.objects.create(username="root", is_superuser=True)
    with scope_of(root) as scope, django_assert_num_queries(0):
        assert (scope.store_ids, scope.group_ids, scope.permissions_in(world.sh.pk)) == (
            None,
            None,
            frozenset(PERMISSIONS),
        )
    with scope_of(None) as scope, django_assert_num_queries(0):
        assert (scope.store_ids, scope.group_ids, scope.permissions_in(world.sh.pk)) == (frozenset(), [], frozenset())
