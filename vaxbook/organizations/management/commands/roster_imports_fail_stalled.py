"""Mark failed the roster imports whose worker stopped (run it from cron, e.g. every 10 minutes)."""

from typing import Any

from django.core.management.base import BaseCommand

from vaxbook.organizations.services import roster_imports_fail_stalled


class Command(BaseCommand):
    help = (
        "Mark failed (import_interrupted) the running roster imports that have not moved for "
        "ROSTER_IMPORT_STALL_MINUTES."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        marked = roster_imports_fail_stalled()
        self.stdout.write(f"{marked} stalled roster import(s) marked interrupted")
