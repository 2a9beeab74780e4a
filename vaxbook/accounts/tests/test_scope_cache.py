"""The scope shared through the cache: reused without a query, and a membership change is seen at once."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from vaxbook.accounts.backends import LockoutModelBackend
from vaxbook.accounts.models import Membership, Role
from vaxbook.accounts.selectors import mark_scope_cacheable, user_scope
from vaxbook.accounts.services import membership_grant, membership_revoke, token_authenticate, token_create
from vaxbook.common import testing as t

# Transactional: the scope is put in the shared cache only outside a transaction, as in a server.
pytestmark = pytest.mark.django_db(transaction=True)


def _request_user(raw: str) -> Any:
    """The user as the API's authentication reads it for one request."""
    user = token_authenticate(raw=raw)
    assert user is not None
    mark_scope_cacheable(user)
    return user


@pytest.fixture
def vaccinator(facility_a: Any) -> tuple[Any, str]:
    user = t.make_member(Role.VACCINATOR, facility=facility_a)
    raw, _expires = token_create(user=user)
    return user, raw


def test_a_computed_scope_is_reused_without_a_query(
    vaccinator: tuple[Any, str], facility_a: Any, django_assert_num_queries: Any
) -> None:
    _user, raw = vaccinator
    first = user_scope(user=_request_user(raw))
    assert first.facility_ids == {facility_a.pk}
    again = _request_user(raw)
    with django_assert_num_queries(0):
        assert user_scope(user=again) == first


def test_a_scope_is_kept_in_the_process_in_front_of_the_shared_cache(
    vaccinator: tuple[Any, str], facility_a: Any, django_assert_num_queries: Any
) -> None:
    """Another request of the same process needs neither the database nor the shared cache (Redis in
    production); the process's copy is under the same key, so a membership change misses it too."""
    from django.core.cache import cache

    user, raw = vaccinator
    first = user_scope(user=_request_user(raw))
    cache.clear()
    again = _request_user(raw)
    with django_assert_num_queries(0):
        assert user_scope(user=again) is first
    membership_grant(actor=None, user=user, role=Role.DATA_CLERK, facility=facility_a)
    assert user_scope(user=_request_user(raw)).facility_roles[facility_a.pk] == {Role.VACCINATOR, Role.DATA_CLERK}


def test_a_membership_granted_revoked_or_deleted_is_seen_at_once(
    vaccinator: tuple[Any, str], facility_a: Any, facility_b: Any
) -> None:
    user, raw = vaccinator
    assert user_scope(user=_request_user(raw)).facility_ids == {facility_a.pk}
    granted = membership_grant(actor=None, user=user, role=Role.DATA_CLERK, facility=facility_b)
    scope = user_scope(user=_request_user(raw))
    assert scope.facility_ids == {facility_a.pk, facility_b.pk}
    assert scope.facility_roles[facility_b.pk] == {Role.DATA_CLERK}
    membership_revoke(actor=None, membership=Membership.objects.get(user=user, facility=facility_a))
    assert user_scope(user=_request_user(raw)).facility_ids == {facility_b.pk}
    granted.delete()
    scope = user_scope(user=_request_user(raw))
    assert not scope.facility_ids and not scope.is_staff_member


def test_a_membership_change_in_admin_save_is_seen_at_once(vaccinator: tuple[Any, str], facility_a: Any) -> None:
    user, raw = vaccinator
    assert user_scope(user=_request_user(raw)).can_work_at(facility_a.pk, Role.VACCINATOR)
    membership = Membership.objects.get(user=user)
    membership.role = Role.DATA_CLERK
    membership.save()
    scope = user_scope(user=_request_user(raw))
    assert not scope.can_work_at(facility_a.pk, Role.VACCINATOR)
    assert scope.can_work_at(facility_a.pk, Role.DATA_CLERK)


def test_a_user_not_read_for_the_request_is_computed_from_the_database(
    vaccinator: tuple[Any, str], facility_a: Any, facility_b: Any
) -> None:
    user, raw = vaccinator
    user_scope(user=_request_user(raw))  # cached under the current version
    Membership.objects.create(user=user, role=Role.DATA_CLERK, facility=facility_b)
    # `user` is an object kept in memory with an old scope_version: it is not marked, so not cached.
    assert user_scope(user=user).facility_ids == {facility_a.pk, facility_b.pk}


def test_a_scope_computed_inside_a_transaction_is_not_shared(
    vaccinator: tuple[Any, str], facility_b: Any, django_assert_num_queries: Any
) -> None:
    user, raw = vaccinator

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        Membership.objects.create(user=user, role=Role.DATA_CLERK, facility=facility_b)
        inside = user_scope(user=_request_user(raw))
        assert facility_b.pk in inside.facility_ids
        raise Rollback
    # The version bumped inside went back with the rollback: the next change reuses its number.
    Membership.objects.create(user=user, role=Role.FACILITY_MANAGER, facility=facility_b)
    scope = user_scope(user=_request_user(raw))
    assert scope.facility_roles[facility_b.pk] == {Role.FACILITY_MANAGER}


def test_keys_differ_between_users_with_the_same_pk(vaccinator: tuple[Any, str]) -> None:
    """Another test's (or a recreated database's) user with the same pk never reads this one's scope."""
    from vaxbook.accounts.selectors import _scope_cache_key

    user, raw = vaccinator
    fresh = _request_user(raw)
    look_alike = _request_user(raw)
    look_alike.public_id = uuid.uuid4()
    assert _scope_cache_key(fresh) != _scope_cache_key(look_alike)
    look_alike.public_id = fresh.public_id
    look_alike.date_joined = fresh.date_joined + timedelta(seconds=1)
    assert _scope_cache_key(fresh) != _scope_cache_key(look_alike)
    assert _scope_cache_key(user) is None  # not read for a request: not shared


def test_a_signed_in_session_user_shares_the_cached_scope_and_sees_a_change_at_once(
    vaccinator: tuple[Any, str], facility_a: Any, facility_b: Any
) -> None:
    user, _raw = vaccinator
    backend = LockoutModelBackend()  # what the session middleware reads the user with, on each request
    assert user_scope(user=backend.get_user(user.pk)).facility_ids == {facility_a.pk}
    again = backend.get_user(user.pk)
    with CaptureQueriesContext(connection) as ctx:
        assert user_scope(user=again).facility_ids == {facility_a.pk}
    assert not ctx.captured_queries
    membership_grant(actor=None, user=user, role=Role.DATA_CLERK, facility=facility_b)
    assert user_scope(user=backend.get_user(user.pk)).facility_ids == {facility_a.pk, facility_b.pk}
