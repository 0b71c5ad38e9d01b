"""Count the dashboard's days for a period (days already counted are kept unless --force)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dashboard.services import daily_counts_backfill, local_today


class Command(BaseCommand):
    help = "Count the dashboard's days for a period: --days 90 (up to today), or --from and --to (YYYY-MM-DD)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=90, help="Days up to today (default 90)")
        parser.add_argument("--from", dest="first", help="First day, YYYY-MM-DD")
        parser.add_argument("--to", dest="last", help="Last day, YYYY-MM-DD (default today)")
        parser.add_argument("--force", action="store_true", help="Recount days already counted")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            last = date.fromisoformat(options["last"]) if options["last"] else local_today()
            first = (
                date.fromisoformat(options["first"]) if options["first"] else last - timedelta(days=options["days"] - 1)
            )
        except ValueError as error:
            raise CommandError(f"not a date: {error}") from error
        if first > last:
            raise CommandError("--from is after --to")
        done = daily_counts_backfill(first=first, last=last, force=options["force"])
        self.stdout.write(f"{len(done)} day(s) counted from {first} to {last}, {sum(d.rows for d in done)} row(s)")
