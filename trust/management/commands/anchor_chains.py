"""`anchor_chains [codes…]`: anchor now (on demand) the chain heads each district touched since its last anchor."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from trust.anchors import anchor_create, anchors_create_all


class Command(BaseCommand):
    help = "Sign a Merkle root over the heads of the case chains each district touched since its last anchor."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("codes", nargs="*", help="division codes (all districts when none)")

    def handle(self, *args: Any, codes: list[str], **options: Any) -> None:
        made = [anchor_create(code) for code in codes] if codes else anchors_create_all()
        anchors = [a for a in made if a is not None]
        for anchor in anchors:
            self.stdout.write(f"{anchor}: {len(anchor.heads)} chain heads anchored")
        if not anchors:
            self.stdout.write("nothing touched since the last anchors")
