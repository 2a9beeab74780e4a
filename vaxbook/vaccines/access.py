"""Who may act on a facility's stock, sessions and doses.

Facility staff act for their own facility, with the roles a use case names; area and province
officers oversee the facilities in their unit (the unit itself or up to two levels below it);
a national admin oversees everything.
"""

from typing import Any

from django.db.models import Q

from vaxbook.accounts.models import Role
from vaxbook.accounts.selectors import Scope, user_scope
from vaxbook.places.models import AdminUnit, Facility
from vaxbook.vaccines.errors import FacilityForbidden, RoleForbidden

FACILITY_STAFF = (Role.FACILITY_MANAGER, Role.VACCINATOR, Role.DATA_CLERK)
STOCK_ROLES = FACILITY_STAFF
RECEIVE_ROLES = (Role.FACILITY_MANAGER, Role.DATA_CLERK)


def facility_unit_ids(facility: Facility) -> frozenset[int]:
    """The facility's administrative unit and its ancestors (cached on the facility object)."""
    cached = getattr(facility, "_vaxbook_unit_ids", None)
    if cached is not None:
        return cached
    row = (
        AdminUnit.objects.filter(pk=facility.admin_unit_id).values_list("id", "parent_id", "parent__parent_id").first()
    )
    ids = frozenset(i for i in (row or ()) if i is not None)
    facility._vaxbook_unit_ids = ids  # type: ignore[attr-defined]
    return ids


def oversees_facility(scope: Scope, facility: Facility) -> bool:
    """A national admin, or an officer whose unit contains the facility."""
    if scope.national:
        return True
    return bool(scope.area_unit_ids) and bool(scope.area_unit_ids & facility_unit_ids(facility))


def may_see_facility(scope: Scope, facility: Facility) -> bool:
    return facility.pk in scope.facility_ids or oversees_facility(scope, facility)


def require_facility_role(*, user: Any, facility: Facility, roles: tuple[str, ...] = FACILITY_STAFF) -> Scope:
    """The user's scope, or a refusal: `facility_forbidden` (not their facility), `role_forbidden`."""
    scope = user_scope(user=user)
    if scope.national:
        return scope
    if facility.pk not in scope.facility_ids:
        # An officer overseeing the facility is known there, but does not do its work.
        raise RoleForbidden() if oversees_facility(scope, facility) else FacilityForbidden()
    if not scope.can_work_at(facility.pk, *roles):
        raise RoleForbidden()
    return scope


def require_facility_view(*, user: Any, facility: Facility) -> Scope:
    scope = user_scope(user=user)
    if not may_see_facility(scope, facility):
        raise FacilityForbidden()
    return scope


def facilities_q(scope: Scope, prefix: str = "") -> Q | None:
    """A filter for the facilities the scope may see (None: all). `prefix` is a path to the facility."""
    if scope.national:
        return None
    q = Q(**{f"{prefix}pk__in": list(scope.facility_ids)})
    if scope.area_unit_ids:
        areas = list(scope.area_unit_ids)
        q |= (
            Q(**{f"{prefix}admin_unit__in": areas})
            | Q(**{f"{prefix}admin_unit__parent__in": areas})
            | Q(**{f"{prefix}admin_unit__parent__parent__in": areas})
        )
    return q
