"""`manage.py load_demo`: the demo data of `make demo` (run after `load_places`); idempotent."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vaxbook.common.demo import DemoError, demo_load
from vaxbook.common.errors import DomainError


class Command(BaseCommand):
    help = "Load the demo: Đồng Nai's facilities, two organizations, six staff logins and about 2,000 persons."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--persons", type=int, default=2000, help="How many persons (default 2000).")
        parser.add_argument("--households", type=int, default=700, help="How many households (default 700).")
        parser.add_argument("--seed", type=int, default=2021, help="The random seed (default 2021).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            demo_load(
                stdout=self.stdout, persons=options["persons"], households=options["households"], seed=options["seed"]
            )
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        except DomainError as exc:
            raise CommandError("; ".join(f"{e.field}: {e.code} ({e.message})" for e in exc.errors)) from exc
