"""Writes for places: loading the administrative units from `vietnam-provinces`, and creating facilities."""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from vaxbook.common.audit import audit_log
from vaxbook.common.errors import Conflict, DomainError, ErrorItem
from vaxbook.places.models import AdminUnit, Facility
from vaxbook.places.rules import _fold, normalize_code

Level = AdminUnit.Level

# Parents before children, so a child's parent id is known when it is written.
LEVEL_ORDER: tuple[str, ...] = (
    Level.PROVINCE,
    Level.WARD,
    Level.LEGACY_PROVINCE,
    Level.LEGACY_DISTRICT,
    Level.LEGACY_WARD,
)
_BATCH = 1000

Key = tuple[str, str]  # (level, code)


class Writer(Protocol):
    """Where progress lines go: a text stream, or a management command's stdout."""

    def write(self, msg: str, /) -> Any: ...


@dataclass(frozen=True, slots=True)
class _UnitRow:
    level: str
    code: str
    name: str
    parent: Key | None


def _code(member: Enum) -> str:
    """The official code as the package spells it in its enum names: P_01 → "01", W_00004 → "00004"."""
    return member.name.split("_", 1)[1]


def _package_units(province_codes: set[str] | None) -> tuple[list[_UnitRow], set[tuple[Key, Key]]]:
    """The units and the legacy → 2025 links from the package, limited to `province_codes` (2025) if given."""
    from vietnam_provinces import Province, Ward
    from vietnam_provinces.legacy import District as LegacyDistrict
    from vietnam_provinces.legacy import Province as LegacyProvince
    from vietnam_provinces.legacy import Ward as LegacyWard

    provinces = [_UnitRow(Level.PROVINCE, _code(p.code), p.name, None) for p in Province.iter_all()]
    wards = [
        _UnitRow(Level.WARD, _code(w.code), w.name, (Level.PROVINCE, _code(w.province_code))) for w in Ward.iter_all()
    ]
    legacy_provinces = [_UnitRow(Level.LEGACY_PROVINCE, _code(p.code), p.name, None) for p in LegacyProvince.iter_all()]
    legacy_districts = [
        _UnitRow(Level.LEGACY_DISTRICT, _code(d.code), d.name, (Level.LEGACY_PROVINCE, _code(d.province_code)))
        for d in LegacyDistrict.iter_all()
    ]
    legacy_wards = [
        _UnitRow(Level.LEGACY_WARD, _code(w.code), w.name, (Level.LEGACY_DISTRICT, _code(w.district_code)))
        for w in LegacyWard.iter_all()
    ]
    links: set[tuple[Key, Key]] = set()
    for p in LegacyProvince.iter_all():
        for new_province in Province.search_from_legacy(code=p.code.value):
            links.add(((Level.LEGACY_PROVINCE, _code(p.code)), (Level.PROVINCE, _code(new_province.province.code))))
    for w in LegacyWard.iter_all():
        for new_ward in Ward.search_from_legacy(code=w.code.value):
            links.add(((Level.LEGACY_WARD, _code(w.code)), (Level.WARD, _code(new_ward.ward.code))))

    rows = provinces + wards + legacy_provinces + legacy_districts + legacy_wards
    if province_codes is None:
        return rows, links

    # One or more 2025 provinces: their wards, the legacy provinces merged into them (with all their
    # districts and wards), and any other legacy ward mapped into one of their wards (with its parents).
    by_key = {(r.level, r.code): r for r in rows}
    keep: set[Key] = {(Level.PROVINCE, c) for c in province_codes}
    keep |= {(r.level, r.code) for r in wards if r.parent in keep}
    kept_legacy_provinces = {a for a, b in links if a[0] == Level.LEGACY_PROVINCE and b in keep}
    keep |= kept_legacy_provinces
    kept_districts = {(r.level, r.code) for r in legacy_districts if r.parent in kept_legacy_provinces}
    keep |= kept_districts
    keep |= {(r.level, r.code) for r in legacy_wards if r.parent in kept_districts}
    for a, b in links:
        if a[0] == Level.LEGACY_WARD and b in keep:
            key: Key | None = a
            while key is not None and key not in keep:  # the ward, its district, its legacy province
                keep.add(key)
                key = by_key[key].parent
    return [r for r in rows if (r.level, r.code) in keep], {(a, b) for a, b in links if a in keep and b in keep}


def _province_codes_checked(province_codes: Iterable[str]) -> set[str]:
    from vietnam_provinces import Province

    known = {_code(p.code) for p in Province.iter_all()}
    wanted = {normalize_code(c, level=Level.PROVINCE) for c in province_codes}
    unknown = sorted(wanted - known)
    if unknown:
        raise DomainError(
            [
                ErrorItem("province_codes", "province_unknown", _("Unknown province code: %(code)s") % {"code": c})
                for c in unknown
            ]
        )
    return wanted


def _say(stdout: Writer | None, line: Any) -> None:
    if stdout is not None:
        stdout.write(f"{line}\n")


@transaction.atomic
def places_load(*, stdout: Writer | None = None, province_codes: set[str] | None = None) -> dict[str, int]:
    """Load (or bring up to date) the administrative units and the legacy → 2025 mapping.

    Upserts by (level, code) with a diff in memory: a second run with the same package writes nothing.
    Units that the package no longer lists are kept (people and facilities may point at them).
    `province_codes` (2025 codes, e.g. {"75"}) limits the load to those provinces, their wards and the
    legacy units merged into them. Returns counts: units per level in the load, `successors` (links),
    `created`, `updated`, `successors_created`, `successors_removed`.
    """
    wanted = _province_codes_checked(province_codes) if province_codes is not None else None
    rows, links = _package_units(wanted)

    counts: dict[str, int] = {str(level): 0 for level in LEVEL_ORDER}
    counts.update(successors=len(links), created=0, updated=0, successors_created=0, successors_removed=0)
    ids: dict[Key, int] = {}
    for level in LEVEL_ORDER:
        existing = {
            code: (pk, name, search_name, parent_id)
            for pk, code, name, search_name, parent_id in AdminUnit.objects.filter(level=level).values_list(
                "pk", "code", "name", "search_name", "parent_id"
            )
        }
        ids.update({(level, code): values[0] for code, values in existing.items()})
        to_create: list[AdminUnit] = []
        to_update: list[AdminUnit] = []
        for row in (r for r in rows if r.level == level):
            counts[level] += 1
            parent_id = ids[row.parent] if row.parent is not None else None
            search_name = _fold(row.name)
            current = existing.get(row.code)
            if current is None:
                to_create.append(
                    AdminUnit(level=level, code=row.code, name=row.name, search_name=search_name, parent_id=parent_id)
                )
            elif current[1:] != (row.name, search_name, parent_id):
                to_update.append(
                    AdminUnit(
                        pk=current[0],
                        level=level,
                        code=row.code,
                        name=row.name,
                        search_name=search_name,
                        parent_id=parent_id,
                    )
                )
        if to_create:
            AdminUnit.objects.bulk_create(to_create, batch_size=_BATCH)
            ids.update(
                {(level, code): pk for code, pk in AdminUnit.objects.filter(level=level).values_list("code", "pk")}
            )
        if to_update:
            AdminUnit.objects.bulk_update(to_update, ["name", "search_name", "parent"], batch_size=_BATCH)
        counts["created"] += len(to_create)
        counts["updated"] += len(to_update)
        _say(
            stdout,
            _("%(level)s: %(count)d (created %(created)d, updated %(updated)d)")
            % {"level": level, "count": counts[level], "created": len(to_create), "updated": len(to_update)},
        )

    through: Any = AdminUnit.successors.through
    wanted_links = {(ids[a], ids[b]) for a, b in links}
    loaded_ids = {ids[(r.level, r.code)] for r in rows}
    existing_links = {
        (src, dst): pk for pk, src, dst in through.objects.values_list("pk", "from_adminunit_id", "to_adminunit_id")
    }
    new_links = [
        through(from_adminunit_id=src, to_adminunit_id=dst) for src, dst in wanted_links - existing_links.keys()
    ]
    # A link is stale only when both its ends are in this load and the package no longer has it.
    stale = [
        pk
        for (src, dst), pk in existing_links.items()
        if src in loaded_ids and dst in loaded_ids and (src, dst) not in wanted_links
    ]
    through.objects.bulk_create(new_links, batch_size=_BATCH, ignore_conflicts=True)
    for start in range(0, len(stale), _BATCH):
        through.objects.filter(pk__in=stale[start : start + _BATCH]).delete()
    counts["successors_created"] = len(new_links)
    counts["successors_removed"] = len(stale)
    _say(
        stdout,
        _("successors: %(count)d (created %(created)d, removed %(removed)d)")
        % {"count": len(links), "created": len(new_links), "removed": len(stale)},
    )

    changed = counts["created"] + counts["updated"] + counts["successors_created"] + counts["successors_removed"]
    first_province = next((r for r in rows if r.level == Level.PROVINCE), None)
    if changed and first_province is not None:
        subject = AdminUnit.objects.get(pk=ids[(Level.PROVINCE, first_province.code)])
        data: dict[str, Any] = dict(counts)
        if wanted is not None:
            data["province_codes"] = sorted(wanted)
        audit_log(actor=None, action="places.loaded", subject=subject, data=data)
    return counts


def _resolve_unit(value: AdminUnit | str, *, field: str, levels: tuple[str, ...]) -> AdminUnit:
    """An AdminUnit given itself or its code (tried at each of `levels`); 2025 units only."""
    if isinstance(value, AdminUnit):
        unit: AdminUnit | None = value
    else:
        unit = None
        for level in levels:
            unit = AdminUnit.objects.filter(level=level, code=normalize_code(value, level=level)).first()
            if unit is not None:
                break
    if unit is None or unit.pk is None:
        raise DomainError.single(
            field, "admin_unit_unknown", _("Unknown administrative unit: %(code)s") % {"code": value}
        )
    if unit.level not in levels:
        raise DomainError.single(
            field, "admin_unit_legacy", _("Use an administrative unit of the current (2025) organization.")
        )
    return unit


def facility_create(
    *,
    actor: Any,
    code: str,
    name: str,
    kind: str,
    admin_unit: AdminUnit | str,
    address_line: str = "",
    catchment: Iterable[AdminUnit | str] = (),
) -> Facility:
    """Create a vaccination unit in a 2025 ward (or province), with the wards it serves.

    `admin_unit` and the `catchment` wards may be given as units or as their codes.
    Refusals: `facility_code_taken` (409), `admin_unit_unknown`, `admin_unit_legacy`, `required`,
    `invalid_choice`.
    """
    code = (code or "").strip()
    name = " ".join((name or "").split())
    problems: list[ErrorItem] = []
    if not code:
        problems.append(ErrorItem("code", "required", _("Enter the facility code.")))
    if not name:
        problems.append(ErrorItem("name", "required", _("Enter the facility name.")))
    if kind not in Facility.Kind.values:
        problems.append(ErrorItem("kind", "invalid_choice", _("Choose a kind of facility from the list.")))
    if problems:
        raise DomainError(problems)
    unit = _resolve_unit(admin_unit, field="admin_unit", levels=(Level.WARD, Level.PROVINCE))
    wards = [_resolve_unit(w, field="catchment", levels=(Level.WARD,)) for w in catchment]
    if Facility.objects.filter(code=code).exists():
        raise Conflict.single("code", "facility_code_taken", _("This facility code is already in use."))
    try:
        with transaction.atomic():
            facility = Facility.objects.create(
                code=code, name=name, kind=kind, admin_unit=unit, address_line=(address_line or "").strip()
            )
            if wards:
                facility.catchment.add(*wards)
            audit_log(
                actor=actor,
                action="places.facility.created",
                subject=facility,
                data={
                    "code": code,
                    "name": name,
                    "kind": kind,
                    "admin_unit": unit.code,
                    "catchment": sorted(w.code for w in wards),
                },
            )
    except IntegrityError:
        raise Conflict.single("code", "facility_code_taken", _("This facility code is already in use.")) from None
    return facility
