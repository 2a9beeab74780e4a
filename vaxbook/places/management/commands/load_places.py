"""`manage.py load_places [--only-province CODE ...]`: load the administrative units and the legacy mapping."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from vaxbook.common.errors import DomainError
from vaxbook.places.services import places_load


class Command(BaseCommand):
    help = "Load the 2025 provinces and wards, the legacy provinces, districts and wards, and the mapping."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--only-province",
            action="append",
            metavar="CODE",
            help="Load only this 2025 province (e.g. 75), with its wards and the legacy units merged into it. "
            "Repeat for several.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        only = options.get("only_province")
        try:
            counts = places_load(stdout=self.stdout, province_codes=set(only) if only else None)
        except DomainError as exc:
            raise CommandError("; ".join(str(e.message) for e in exc.errors)) from exc
        elapsed = time.perf_counter() - started
        self.stdout.write(" ".join(f"{key}={value}" for key, value in counts.items()))
        self.stdout.write(self.style.SUCCESS(_("Places loaded in %(seconds).2f s.") % {"seconds": elapsed}))
