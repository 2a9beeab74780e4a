"""The scope of each member of the cast (conftest.py), computed from their active memberships."""

from typing import Any

from django.contrib.auth.models import AnonymousUser

from vaxbook.accounts.models import Membership, Role, User
from vaxbook.accounts.selectors import Scope, memberships_for_user, user_scope


def fresh(user: User) -> User:
    """The user without the scope cached on the object."""
    return User.objects.get(pk=user.pk)


def test_a_national_admin_sees_everything(admin_user: User) -> None:
    scope = user_scope(user=fresh(admin_user))
    assert scope.national
    assert scope.roles == {Role.NATIONAL_ADMIN}
    assert scope.is_staff_member
    assert scope.can_work_at(12345)


def test_a_province_officer_oversees_the_province(officer: User, province: Any) -> None:
    scope = user_scope(user=fresh(officer))
    assert not scope.national
    assert scope.area_unit_ids == {province.pk}
    assert scope.facility_ids == frozenset()
    assert scope.has_role(Role.PROVINCE_OFFICER)
    assert scope.is_staff_member


def test_a_data_clerk_works_at_their_facility_only(clerk_a: User, facility_a: Any, facility_b: Any) -> None:
    scope = user_scope(user=fresh(clerk_a))
    assert scope.facility_ids == {facility_a.pk}
    assert scope.facility_roles == {facility_a.pk: frozenset({Role.DATA_CLERK})}
    assert scope.can_work_at(facility_a.pk)
    assert scope.can_work_at(facility_a.pk, Role.DATA_CLERK)
    assert not scope.can_work_at(facility_a.pk, Role.VACCINATOR)
    assert not scope.can_work_at(facility_b.pk)


def test_a_vaccinator_may_vaccinate_at_their_facility(vaccinator_a: User, facility_a: Any) -> None:
    scope = user_scope(user=fresh(vaccinator_a))
    assert scope.can_work_at(facility_a.pk, Role.VACCINATOR)
    assert not scope.has_role(Role.DATA_CLERK)


def test_clerk_b_is_scoped_to_facility_b(clerk_b: User, facility_a: Any, facility_b: Any) -> None:
    scope = user_scope(user=fresh(clerk_b))
    assert scope.facility_ids == {facility_b.pk}
    assert not scope.can_work_at(facility_a.pk)


def test_a_deactivated_account_has_an_empty_scope_whatever_its_memberships(clerk_b: User) -> None:
    """Its memberships stay (for the record), but it may do nothing: not at a desk, not in a queued job."""
    clerk_b.is_active = False
    clerk_b.save(update_fields=["is_active"])
    assert user_scope(user=fresh(clerk_b)) == Scope()
    assert Membership.objects.filter(user=clerk_b, active=True).exists()


def test_an_organization_representative_speaks_for_their_organization(rep: User, org: Any) -> None:
    scope = user_scope(user=fresh(rep))
    assert scope.organization_ids == {org.pk}
    assert scope.facility_ids == frozenset() and scope.area_unit_ids == frozenset()
    assert scope.is_staff_member


def test_a_citizen_has_only_their_own_record(citizen: User) -> None:
    scope = user_scope(user=fresh(citizen))
    assert scope.person_id == citizen.person_id
    assert not scope.is_staff_member
    assert scope.roles == frozenset()


def test_an_anonymous_visitor_has_no_scope(db: Any) -> None:
    assert user_scope(user=AnonymousUser()) == Scope()
    assert memberships_for_user(user=AnonymousUser()) == []


def test_several_memberships_add_up(clerk_a: User, facility_b: Any, province: Any) -> None:
    Membership.objects.create(user=clerk_a, role=Role.VACCINATOR, facility=facility_b)
    Membership.objects.create(user=clerk_a, role=Role.AREA_OFFICER, admin_unit=province)
    scope = user_scope(user=fresh(clerk_a))
    assert scope.facility_ids == {clerk_a.memberships.get(role=Role.DATA_CLERK).facility_id, facility_b.pk}
    assert scope.can_work_at(facility_b.pk, Role.VACCINATOR)
    assert scope.area_unit_ids == {province.pk}


def test_a_revoked_membership_no_longer_counts(clerk_a: User) -> None:
    Membership.objects.filter(user=clerk_a).update(active=False)
    scope = user_scope(user=fresh(clerk_a))
    assert scope.facility_ids == frozenset()
    assert memberships_for_user(user=clerk_a) == []


def test_the_scope_is_computed_once_per_user_object(clerk_a: User, django_assert_num_queries: Any) -> None:
    user = fresh(clerk_a)
    with django_assert_num_queries(1):
        first = user_scope(user=user)
        assert user_scope(user=user) is first
