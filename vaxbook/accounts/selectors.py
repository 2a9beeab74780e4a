"""What a user may see: the scope of their active memberships, computed once per request."""

from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connection

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

    @property
    def is_citizen(self) -> bool:
        """A citizen with their own record, and no staff role: they act for themselves and their family."""
        return self.person_id is not None and not self.is_staff_member

    @property
    def is_organization_only(self) -> bool:
        """An organization's representative and nothing more (no facility, area or national role)."""
        return bool(self.organization_ids) and not (self.national or self.area_unit_ids or self.facility_ids)

    @property
    def reviews_records(self) -> bool:
        """Staff who keep the registry's records and review them (suspected duplicates, roster
        conflicts): national, area and facility roles, not an organization's representative."""
        return bool(self.national or self.area_unit_ids or self.facility_ids)

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


# How long a computed scope is kept in the shared cache. A membership change bumps the user's
# scope_version (accounts/signals.py), which is part of the key, so this only bounds memory.
SCOPE_CACHE_SECONDS = 3600


def _scope_cache_key(user: Any) -> str | None:
    """The shared-cache key of a user loaded fresh for this request (see `mark_scope_cacheable`)."""
    if not user.__dict__.get("_vaxbook_scope_cacheable"):
        return None
    version = user.__dict__.get("scope_version")
    joined = user.__dict__.get("date_joined")
    if version is None or joined is None:
        return None
    # pk, public id and date_joined: a user in another test (or a recreated database) never matches.
    return f"vaxbook:scope:{user.pk}:{user.public_id}:{joined.timestamp()}:{version}"


# In front of the shared cache, each process keeps the scopes it has read or computed, under the same
# keys: a key carries the user's scope_version, so an entry is never stale, and an API request is
# spared the shared cache's round trip (Redis in production) and its unpickling. Bounded: emptied when full.
_LOCAL_SCOPES: dict[str, Scope] = {}
_LOCAL_SCOPES_MAX = 10_000


def _remember(key: str, scope: Scope) -> None:
    if len(_LOCAL_SCOPES) >= _LOCAL_SCOPES_MAX:
        _LOCAL_SCOPES.clear()
    _LOCAL_SCOPES[key] = scope


def mark_scope_cacheable(user: Any) -> None:
    """Say that `user` was just read from its row (its scope_version is current): its scope may be
    taken from, and kept in, the shared cache. Objects kept in memory elsewhere are not marked."""
    user._vaxbook_scope_cacheable = True


def registry_visible(*, user: Any) -> bool:
    """Whether the portal offers `user` the registry: a superuser, or any staff role (an organization's
    representative sees its roster's persons there); the home page's tile and the menu ask here."""
    return bool(getattr(user, "is_superuser", False)) or user_scope(user=user).is_staff_member


def user_scope(*, user: Any) -> Scope:
    """The user's scope; cached on the user object for the request, and for a user read fresh by the
    API's authentication, in the shared cache under its scope_version."""
    cached = getattr(user, "_vaxbook_scope", None)
    if cached is not None:
        return cached
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", True):
        return Scope()  # a deactivated account may do nothing, wherever it is asked (a queued job, too)
    key = _scope_cache_key(user)
    if key is not None:
        person_id = getattr(user, "person_id", None)
        local = _LOCAL_SCOPES.get(key)
        if local is not None and local.person_id == person_id:
            user._vaxbook_scope = local
            return local
        shared = cache.get(key)
        if isinstance(shared, Scope) and shared.person_id == person_id:
            _remember(key, shared)
            user._vaxbook_scope = shared
            return shared
    scope = _compute_scope(user)
    # Only outside a transaction: a version bumped by a write that may still roll back is not shared.
    if key is not None and not connection.in_atomic_block:
        cache.set(key, scope, SCOPE_CACHE_SECONDS)
        _remember(key, scope)
    user._vaxbook_scope = scope
    return scope


def _compute_scope(user: Any) -> Scope:
    rows = Membership.objects.filter(user=user, active=True).values_list(
        "role", "admin_unit_id", "facility_id", "organization_id"
    )
    areas, facilities, orgs, roles = set(), set(), set(), set()
    facility_roles: dict[int, set[str]] = {}
    national = False
    for role, admin_unit_id, facility_id, organization_id in rows:
        roles.add(role)
        if role == Role.NATIONAL_ADMIN:
            national = True
        elif role in AREA_ROLES and admin_unit_id:
            areas.add(admin_unit_id)
        elif role in FACILITY_ROLES and facility_id:
            facilities.add(facility_id)
            facility_roles.setdefault(facility_id, set()).add(role)
        elif role == Role.ORG_REPRESENTATIVE and organization_id:
            orgs.add(organization_id)
    return Scope(
        national=national,
        area_unit_ids=frozenset(areas),
        facility_ids=frozenset(facilities),
        organization_ids=frozenset(orgs),
        person_id=getattr(user, "person_id", None),
        roles=frozenset(roles),
        facility_roles={k: frozenset(v) for k, v in facility_roles.items()},
    )
