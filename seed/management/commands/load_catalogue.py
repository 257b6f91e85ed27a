from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from seed.catalogue import catalogue_load


class Command(BaseCommand):
    help = (
        "Load the standard catalogue of C9 service items (≈3300 items, nine districts). Deterministic; safe to re-run."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        created = catalogue_load()
        elapsed = time.monotonic() - started
        if created["items"] == 0 and created["departments"] == 0 and created["material_types"] == 0:
            self.stdout.write(f"Catalogue already loaded: nothing to do ({elapsed:.1f} s).")
            return
        summary = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in created.items())
        self.stdout.write(self.style.SUCCESS(f"Catalogue loaded in {elapsed:.1f} s: {summary}."))
