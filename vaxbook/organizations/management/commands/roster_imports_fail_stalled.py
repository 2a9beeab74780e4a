"""Mark failed the roster imports whose worker stopped (run it from cron, e.g. every 10 minutes)."""

from typing import Any

from django.core.management.base import BaseCommand

from vaxbook.organizations.conf import limit
from vaxbook.organizations.selectors import roster_imports_waiting_long
from vaxbook.organizations.services import roster_imports_fail_stalled


class Command(BaseCommand):
    help = (
        "Mark failed (import_interrupted) the running roster imports that have not moved for "
        "ROSTER_IMPORT_STALL_MINUTES; say on stderr how many queued ones no worker has taken for as long."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        marked = roster_imports_fail_stalled()
        self.stdout.write(f"{marked} stalled roster import(s) marked interrupted")
        waiting = roster_imports_waiting_long()
        if waiting:  # on stderr, which cron mails: nothing will take them until a worker runs
            minutes = limit("ROSTER_IMPORT_STALL_MINUTES")
            self.stderr.write(
                f"{waiting} roster import(s) queued for more than {minutes} minutes: is a worker running?"
            )
