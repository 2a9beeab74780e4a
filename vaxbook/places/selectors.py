"""Reads for places. Administrative units are public reference data; facilities are scoped to the user."""

from typing import Any
from uuid import UUID

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from vaxbook.accounts.selectors import user_scope
from vaxbook.common.errors import NotFound
from vaxbook.places.models import AdminUnit, Facility
from vaxbook.places.rules import NamedUnit, PlaceNames, _fold, code_candidates, normalize_code

Level = AdminUnit.Level

_LEVEL_RANK = Case(
    *(When(level=level, then=Value(rank)) for rank, level in enumerate(Level.values)),
    default=Value(len(Level.values)),
    output_field=IntegerField(),
)


def provinces_list() -> QuerySet[AdminUnit]:
    """The 34 provinces (2025), by code."""
    return AdminUnit.objects.filter(level=Level.PROVINCE).order_by("code")


def place_names() -> PlaceNames:
    """The provinces and wards by name (`PlaceNames`), for a roster that names them instead of giving their
    codes: every 2025 unit, and the names before 2025 (with their districts) with what they became. Four
    queries, about 25,000 small rows: read once per import that needs it."""
    provinces = [
        NamedUnit(code, name)
        for code, name in AdminUnit.objects.filter(level=Level.PROVINCE).values_list("code", "name")
    ]
    wards = [
        NamedUnit(code, name, province)
        for code, name, province in AdminUnit.objects.filter(level=Level.WARD).values_list(
            "code", "name", "parent__code"
        )
    ]
    links = AdminUnit.successors.through.objects.filter(
        from_adminunit__level__in=(Level.LEGACY_PROVINCE, Level.LEGACY_WARD)
    ).values_list("from_adminunit_id", "to_adminunit__code")
    became: dict[int, list[str]] = {}
    for unit_id, code in links:
        became.setdefault(unit_id, []).append(code)
    legacy = AdminUnit.objects.filter(
        level__in=(Level.LEGACY_PROVINCE, Level.LEGACY_DISTRICT, Level.LEGACY_WARD)
    ).values_list("id", "level", "code", "name", "parent__code")
    legacy_provinces, legacy_districts, legacy_wards = [], [], []
    for unit_id, level, code, name, parent in legacy:
        if level == Level.LEGACY_PROVINCE:
            legacy_provinces.append((code, name, became.get(unit_id, ())))
        elif level == Level.LEGACY_DISTRICT:
            legacy_districts.append((code, name))
        else:
            legacy_wards.append((name, parent or "", became.get(unit_id, ()), code))
    return PlaceNames(provinces, wards, legacy_provinces, legacy_wards, legacy_districts)


def admin_unit_get(*, level: str, code: str) -> AdminUnit | None:
    """The unit with this official code at this level (codes repeat across levels), or None."""
    code = normalize_code(code, level=level)
    if "\x00" in code:  # no code has one, and the database would refuse to compare it
        return None
    return AdminUnit.objects.filter(level=level, code=code).first()


def wards_for_province(*, province_code: str) -> QuerySet[AdminUnit]:
    """The 2025 wards of a 2025 province, by code; NotFound (`province_unknown`) for an unknown province."""
    province = admin_unit_get(level=Level.PROVINCE, code=province_code)
    if province is None:
        raise NotFound.single("province", "province_unknown", _("Unknown province code."))
    return AdminUnit.objects.filter(level=Level.WARD, parent=province).order_by("code")


def admin_units_search(*, q: str, level: str | None = None, limit: int = 20) -> list[AdminUnit]:
    """Units whose code is `q` (zero padding optional), or whose name contains `q` with or without diacritics.

    Best first: exact code, exact name, name starting with `q`, a word starting with `q`, anywhere.
    Within a rank, 2025 units before legacy ones, then by name.
    """
    folded = _fold(q)
    if not folded:
        return []
    codes = code_candidates(q)
    match = Q(search_name__contains=folded)
    if codes:
        match |= Q(code__in=codes)
    units = AdminUnit.objects.filter(match)
    if level:
        units = units.filter(level=level)
    rank = Case(
        When(code__in=codes or {""}, then=Value(0)),
        When(search_name=folded, then=Value(1)),
        When(search_name__startswith=folded, then=Value(2)),
        When(search_name__contains=f" {folded}", then=Value(3)),
        default=Value(4),
        output_field=IntegerField(),
    )
    units = units.annotate(rank=rank, level_rank=_LEVEL_RANK).select_related("parent")
    return list(units.order_by("rank", "level_rank", "search_name", "code")[: max(0, min(limit, 100))])


def ward_successors(*, legacy_ward_code: str) -> list[AdminUnit]:
    """The 2025 wards that a legacy (before 2025) ward became; several when it was split. Empty if unknown."""
    return list(
        AdminUnit.objects.filter(
            level=Level.WARD,
            predecessors__level=Level.LEGACY_WARD,
            predecessors__code=normalize_code(legacy_ward_code, level=Level.LEGACY_WARD),
        ).order_by("code")
    )


def ward_successor(*, legacy_ward_code: str) -> AdminUnit | None:
    """The one 2025 ward a legacy ward became; None if unknown or split among several (see `ward_successors`)."""
    successors = ward_successors(legacy_ward_code=legacy_ward_code)
    return successors[0] if len(successors) == 1 else None


def facilities_for_user(*, user: Any) -> QuerySet[Facility]:
    """Facilities the user may see: all for a national admin; in their area (the unit or its wards) for an
    area officer; their own for facility staff; none otherwise."""
    scope = user_scope(user=user)
    facilities = Facility.objects.select_related("admin_unit")
    if scope.national:
        return facilities.all()
    visible = Q(pk__in=[])
    if scope.area_unit_ids:
        visible |= Q(admin_unit_id__in=scope.area_unit_ids) | Q(admin_unit__parent_id__in=scope.area_unit_ids)
    if scope.facility_ids:
        visible |= Q(pk__in=scope.facility_ids)
    if not (scope.area_unit_ids or scope.facility_ids):
        return facilities.none()
    return facilities.filter(visible)


def facility_get_for_user(*, user: Any, public_id: UUID | str) -> Facility:
    """One facility in the user's scope; NotFound (`facility_not_found`) otherwise, visible or not."""
    try:
        uuid = UUID(str(public_id))
    except ValueError:
        uuid = None
    facility = facilities_for_user(user=user).filter(public_id=uuid).first() if uuid else None
    if facility is None:
        raise NotFound.single("facility", "facility_not_found", _("Facility not found."))
    return facility
