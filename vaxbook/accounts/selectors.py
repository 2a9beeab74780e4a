"""What a user may see: the scope of their active memberships, computed once per request."""

from dataclasses import dataclass, field
from typing import Any

from vaxbook.accounts.models import AREA_ROLES, FACILITY_ROLES, Membership, Role


@dataclass(frozen=True)
class Scope:
    national: bool = False
    area_unit_ids: frozenset[int] = field(default_factory=frozenset)  # admin units (province or ward)
    facility_ids: frozenset[int] = field(default_factory=frozenset)
    organization_ids: frozenset[int] = field(default_factory=frozenset)
    person_id: int | None = None  # a citizen's own person record
    roles: frozenset[str] = field(default_factory=frozenset)
    facility_roles: dict[int, frozenset[str]] = field(default_factory=dict)

    @property
    def is_staff_member(self) -> bool:
        return bool(self.national or self.area_unit_ids or self.facility_ids or self.organization_ids)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def can_work_at(self, facility_id: int, *roles: str) -> bool:
        if self.national:
            return True
        held = self.facility_roles.get(facility_id, frozenset())
        return bool(held) and (not roles or bool(held.intersection(roles)))


def memberships_for_user(*, user: Any) -> list[Membership]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        Membership.objects.filter(user=user, active=True).select_related("facility", "organization", "admin_unit")
    )


def user_scope(*, user: Any) -> Scope:
    """The user's scope; cached on the user object for the request."""
    cached = getattr(user, "_vaxbook_scope", None)
    if cached is not None:
        return cached
    if not getattr(user, "is_authenticated", False):
        return Scope()
    memberships = memberships_for_user(user=user)
    areas, facilities, orgs, roles = set(), set(), set(), set()
    facility_roles: dict[int, set[str]] = {}
    national = False
    for m in memberships:
        roles.add(m.role)
        if m.role == Role.NATIONAL_ADMIN:
            national = True
        elif m.role in AREA_ROLES and m.admin_unit_id:
            areas.add(m.admin_unit_id)
        elif m.role in FACILITY_ROLES and m.facility_id:
            facilities.add(m.facility_id)
            facility_roles.setdefault(m.facility_id, set()).add(m.role)
        elif m.role == Role.ORG_REPRESENTATIVE and m.organization_id:
            orgs.add(m.organization_id)
    scope = Scope(
        national=national,
        area_unit_ids=frozenset(areas),
        facility_ids=frozenset(facilities),
        organization_ids=frozenset(orgs),
        person_id=getattr(user, "person_id", None),
        roles=frozenset(roles),
        facility_roles={k: frozenset(v) for k, v in facility_roles.items()},
    )
    user._vaxbook_scope = scope
    return scope
