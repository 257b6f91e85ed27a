from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases import services
from govservice.errors import DomainError


class Command(BaseCommand):
    help = (
        "Import a year's holiday calendar from a CSV table (date, kind, name; kind: holiday/休 or "
        "makeup_workday/班). All or nothing; the years in the table replace what the calendar held for them, "
        "and provisional deadlines are counted again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="a UTF-8 CSV file")

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        try:
            report = services.holiday_calendar_import(text=text, actor=None)
        except DomainError as exc:
            rows = exc.fields.get("rows") or [exc.message]
            raise CommandError("nothing imported:\n  " + "\n  ".join(map(str, rows))) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"imported {', '.join(map(str, report.years))}: {report.holidays} holidays, "
                f"{report.makeup_workdays} make-up working days; {report.cases_recomputed} provisional cases recounted"
            )
        )
