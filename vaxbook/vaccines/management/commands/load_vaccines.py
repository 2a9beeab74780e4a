from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from vaxbook.clinic.services import screening_questions_load
from vaxbook.vaccines.services import vaccines_load


class Command(BaseCommand):
    help = "Load (or update) the vaccine catalogue and the screening checklist. Safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-screening", action="store_true", help="Load the vaccines only.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = vaccines_load()
        self.stdout.write(f"vaccines: {result.created} created, {result.updated} updated, {result.unchanged} unchanged")
        if not options["no_screening"]:
            created, updated = screening_questions_load()
            self.stdout.write(f"screening questions: {created} created, {updated} updated")
