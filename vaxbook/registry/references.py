"""Reference look-ups for registration (wards, provinces, priority groups), with a short cache.

Every registration resolves the same few hundred codes; reading them from the database on each
request costs three queries. They change rarely (a places load, an admin edit): the cache keeps found
objects for REFERENCE_CACHE_SECONDS in each process and is cleared by any save or delete of those
models in that process. A code not found is never cached, so a new unit is seen at once.
"""

import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings

_cache: dict[tuple[str, str], tuple[float, Any]] = {}


def cached_many(kind: str, codes: Iterable[str], load: Callable[[set[str]], dict[str, Any]]) -> dict[str, Any]:
    """{code: object} for the codes that exist; `load` reads the ones not cached."""
    ttl = getattr(settings, "REFERENCE_CACHE_SECONDS", 0)
    now = time.monotonic()
    found: dict[str, Any] = {}
    missing: set[str] = set()
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
