from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vaxbook.registry.services import persons_recheck


class Command(BaseCommand):
    help = (
        "Judge every stored person again by today's identity rules (after a rule was added, or as children "
        "turn 14) and save their data status and problems where they changed. Values are never changed. "
        "Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=2000, help="persons read at a time (default 2000)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        result = persons_recheck(batch_size=options["batch_size"])
        statuses = ", ".join(f"{status} {n}" for status, n in sorted(result.by_status.items())) or "none"
        self.stdout.write(f"persons checked: {result.checked}; changed: {result.changed} (now {statuses})")
