"""`case_package <reference> <out.zip> [--holder code]`: export a case for the offline verifier (c9verify)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.models import Case
from trust.package import case_package


class Command(BaseCommand):
    help = "Export a case as one zip file: manifest, signed records, event chain, anchors, documents."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("reference")
        parser.add_argument("out")
        parser.add_argument("--holder", help="whose anchor store to read (default: the approving district)")

    def handle(self, *args: Any, reference: str, out: str, holder: str | None = None, **options: Any) -> None:
        case = Case.objects.select_related("approving_district").filter(reference=reference).first()
        if case is None:
            raise CommandError(f"no case {reference}")
        Path(out).write_bytes(case_package(case, holder=holder or case.approving_district.division_code))
        self.stdout.write(f"{reference}: package written to {out}")
