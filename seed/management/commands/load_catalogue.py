from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from seed.catalogue import catalogue_load
from standards.models import SearchSynonym
from standards.selectors import catalogue_counts


class Command(BaseCommand):
    help = (
        "Load the standard catalogue of C9 service items (real items only, with their district implementations). "
        "Every row is checked first; a broken row stops the load with its name. Deterministic; safe to re-run."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        created = catalogue_load()
        elapsed = time.monotonic() - started
        if not any(created.values()):
            self.stdout.write(f"Catalogue already loaded: nothing to do ({elapsed:.1f} s).")
        else:
            summary = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in created.items())
            self.stdout.write(self.style.SUCCESS(f"Catalogue loaded in {elapsed:.1f} s: {summary}."))
        counts = catalogue_counts()
        roles = counts["implementations_by_role"]
        self.stdout.write(
            f"Catalogue in force: {counts['items']} distinct standardised items; "
            f"{counts['implementations']} district implementations over {counts['districts']} districts "
            f"(accept and approve {roles['both']}, accept only {roles['accepts']}, approve only {roles['approves']}); "
            f"待核实 (to be verified): {counts['values_unverified']} of {counts['values_checked']} checked values "
            f"({counts['unverified_share']:.0%})."
        )
        self.stdout.write(f"Search synonyms: {SearchSynonym.objects.count()} pairs.")
