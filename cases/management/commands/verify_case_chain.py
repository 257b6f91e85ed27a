from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.chain import chain_verify
from cases.models import Case


class Command(BaseCommand):
    help = "Verify a case's hash-chained event log from its first event. Exit status 1 when it is broken."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("reference", help="the case's reference number, e.g. C9310101202611260A1B2C")

    def handle(self, *args: Any, reference: str, **options: Any) -> None:
        case = Case.objects.filter(reference=reference).first()
        if case is None:
            raise CommandError(f"no case {reference}")
        report = chain_verify(case=case)
        if not report.ok:
            raise CommandError(f"{reference}: chain BROKEN at event {report.broken_at}: {report.problem}")
        last = case.events.order_by("-seq").values_list("hash", flat=True).first()
        self.stdout.write(self.style.SUCCESS(f"{reference}: {report.events} events, chain OK, head {last}"))
