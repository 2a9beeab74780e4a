"""Benchmark: the full places load (34 provinces, 3,321 wards, the legacy 63/696/10,051 and the mapping).

Runs `places_load` twice on the database at DATABASE_URL (migrated first; use an empty scratch database)
and prints the seconds of the first load and of the second, idempotent one, with the counts.

    DATABASE_URL=postgres://root@127.0.0.1:5432/vaxbook_bench_places .venv/bin/python bench/places.py
    DATABASE_URL=sqlite:////tmp/vaxbook_bench_places.sqlite3 .venv/bin/python bench/places.py
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from vaxbook.places.models import AdminUnit  # noqa: E402
from vaxbook.places.services import places_load  # noqa: E402


def main() -> None:
    db = settings.DATABASES["default"]
    print(f"database: {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}")
    call_command("migrate", verbosity=0)
    if AdminUnit.objects.exists():
        print("note: the database already holds administrative units; the first load is not from empty.")

    started = time.perf_counter()
    first = places_load()
    first_s = time.perf_counter() - started

    started = time.perf_counter()
    second = places_load()
    second_s = time.perf_counter() - started

    print(f"first load:  {first_s:6.2f} s  {first}")
    print(f"second load: {second_s:6.2f} s  {second}")
    assert second["created"] == second["updated"] == second["successors_created"] == 0, "second load wrote rows"


if __name__ == "__main__":
    main()
