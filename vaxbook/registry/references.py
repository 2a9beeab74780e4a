"""Reference look-ups for registration (wards, provinces, priority groups), with a short cache.

Every registration resolves the same few hundred codes; reading them from the database on each
request costs three queries. They change rarely (a places load, an admin edit): the cache keeps found
objects for REFERENCE_CACHE_SECONDS in each process and is cleared by any save or delete of those
models in that process. A code not found is never cached, so a new unit is seen at once.
"""

import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from django.conf import settings

_cache: dict[tuple[str, Hashable], tuple[float, Any]] = {}


def cached_many(kind: str, codes: Iterable[Any], load: Callable[[set[Any]], dict[Any, Any]]) -> dict[Any, Any]:
    """{code: object} for the codes that exist; `load` reads the ones not cached."""
    ttl = getattr(settings, "REFERENCE_CACHE_SECONDS", 0)
    now = time.monotonic()
    found: dict[str, Any] = {}
    missing: set[Any] = set()
    for code in codes:
        hit = _cache.get((kind, code))
        if hit is not None and hit[0] > now:
            found[code] = hit[1]
        else:
            missing.add(code)
    if missing:
        loaded = load(missing)
        if ttl > 0:
            for code, obj in loaded.items():
                _cache[(kind, code)] = (now + ttl, obj)
        found.update(loaded)
    return found


def clear(**_kwargs: Any) -> None:
    _cache.clear()


def _in_bulk(model: Any) -> Callable[[set[Any]], dict[Any, Any]]:
    return lambda ids: model.objects.in_bulk(ids)


def attach_person_references(persons: Iterable[Any]) -> None:
    """Give persons read without joins their ward, province and priority group, from the cache.

    The hot look-ups of the desk read a person by one key and nothing else (see common/rows.py); the
    three small tables they point at come from here, as if the queryset had `select_related` them.
    """
    from vaxbook.places.models import AdminUnit
    from vaxbook.registry.models import Person, PriorityGroup

    persons = list(persons)
    units = cached_many("unit_id", {i for p in persons for i in (p.ward_id, p.province_id) if i}, _in_bulk(AdminUnit))
    group_ids = {p.priority_group_id for p in persons if p.priority_group_id}
    groups = cached_many("group_id", group_ids, _in_bulk(PriorityGroup))
    ward, province, group = (Person._meta.get_field(n) for n in ("ward", "province", "priority_group"))
    for p in persons:
        ward.set_cached_value(p, units.get(p.ward_id))  # type: ignore[union-attr]
        province.set_cached_value(p, units.get(p.province_id))  # type: ignore[union-attr]
        group.set_cached_value(p, groups.get(p.priority_group_id))  # type: ignore[union-attr]
