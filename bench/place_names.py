"""Benchmark: how many of the 2025 wards a roster reads by name, and from an address (issue 3).

Loads the places into the database at DATABASE_URL (default a scratch SQLite file; migrated first by
`harness.django_setup`) when it holds none, builds `places.selectors.place_names` once, and for every 2025 ward asks:

- its official name in its province's scope (`PlaceNames.wards`, a "Phường/xã" column beside the province);
- an address naming it with its province, "Số <n>, Tổ <n>, <ward>, <province>" (`PlaceNames.address_ward`,
  a row whose ward cell is empty);
- the same address beside the row's province code (no province in the text).

Each line says how many are read as that ward, not read (several, or none), and read as another ward
(must be 0), with the microseconds per look-up.

    .venv/bin/python bench/place_names.py
"""

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness

DEFAULT_URL = "sqlite:////tmp/vaxbook_bench_place_names.sqlite3"


def main() -> None:
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    print("machine:", harness.machine())
    print("database:", url)
    harness.django_setup(url)
    from vaxbook.places.models import AdminUnit
    from vaxbook.places.rules import NamedUnit
    from vaxbook.places.selectors import place_names
    from vaxbook.places.services import places_load

    if not AdminUnit.objects.filter(level=AdminUnit.Level.WARD).exists():
        places_load()
    started = time.perf_counter()
    names = place_names()
    print(f"place_names(): {time.perf_counter() - started:.2f} s")
    wards = list(AdminUnit.objects.filter(level=AdminUnit.Level.WARD).select_related("parent").order_by("code"))

    def count(label: str, read: Callable[[AdminUnit], NamedUnit | None]) -> None:
        right = none = wrong = 0
        started = time.perf_counter()
        for ward in wards:
            unit = read(ward)
            if unit is None:
                none += 1
            elif unit.code == ward.code:
                right += 1
            else:
                wrong += 1
        each = (time.perf_counter() - started) / len(wards) * 1e6
        print(f"{label:<44} read {right:,} · not read {none:,} · another ward {wrong} · {each:.1f} µs each")
        assert wrong == 0, "a ward read as another"

    def by_name(ward: AdminUnit) -> NamedUnit | None:
        found = names.wards(ward.name, (ward.parent.code,))
        return found[0] if len(found) == 1 else None

    print(f"{len(wards):,} wards of 2025")
    count("by name, in its province", by_name)
    count(
        "from an address ending with its province",
        lambda w: names.address_ward(f"Số {w.pk}, Tổ {w.pk % 9}, {w.name}, {w.parent.name}"),
    )
    count(
        "from an address, beside the province's code",
        lambda w: names.address_ward(f"Số {w.pk}, Tổ {w.pk % 9}, {w.name}", (w.parent.code,)),
    )


if __name__ == "__main__":
    main()
