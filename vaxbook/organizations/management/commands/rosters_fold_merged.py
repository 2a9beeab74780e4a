"""Move the rosters of records merged before rosters followed a merge (run once after upgrading)."""

from typing import Any

from django.core.management.base import BaseCommand

from vaxbook.organizations.services import rosters_fold_merged


class Command(BaseCommand):
    help = (
        "Move the roster entries and open roster conflicts still held by merged records to the records they "
        "were merged into, as a merge does now. A second run moves nothing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        folded = rosters_fold_merged()
        self.stdout.write(f"{folded} merged record(s) folded into their survivors' rosters")
