from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from vaxbook.clinic.services import reminders_queue_for_day


class Command(BaseCommand):
    help = "Queue SMS reminders for the sessions of a day (tomorrow by default). Run it daily from cron."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: tomorrow)")

    def handle(self, *args: Any, **options: Any) -> None:
        day = options["date"] or timezone.localdate() + timedelta(days=1)
        total = reminders_queue_for_day(day=day)
        self.stdout.write(f"{total} reminders queued for {day.isoformat()}")
