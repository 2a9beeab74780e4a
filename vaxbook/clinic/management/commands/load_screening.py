from typing import Any

from django.core.management.base import BaseCommand

from vaxbook.clinic.services import screening_questions_load


class Command(BaseCommand):
    help = "Load (or update) the Ministry of Health's pre-vaccination screening checklist. Safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        created, updated = screening_questions_load()
        self.stdout.write(f"screening questions: {created} created, {updated} updated")
