from typing import Any

from django.core.management.base import BaseCommand

from vaxbook.registry.services import priority_groups_load


class Command(BaseCommand):
    help = "Load (or update) the priority groups of Resolution 21/NQ-CP and their names. Safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        created = priority_groups_load()
        self.stdout.write(f"priority groups: {created} created, the others' names and ranks brought up to date")
