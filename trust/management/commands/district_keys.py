"""`district_keys create [codes…]` (idempotent), `rotate <codes…>`, `registry [--out registry.json]`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from standards.models import District
from trust.keys import key_create, key_path, key_rotate, registry_dict


class Command(BaseCommand):
    help = "Create or rotate the districts' signing keys; write the alliance registry of public keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create", "rotate", "registry"])
        parser.add_argument("codes", nargs="*", help="division codes (create: all districts when none)")
        parser.add_argument("--out", help="registry: write to this file instead of standard output")

    def handle(self, *args: Any, action: str, codes: list[str], out: str | None = None, **options: Any) -> None:
        if action == "registry":
            text = json.dumps(registry_dict(), ensure_ascii=False, indent=1)
            if out:
                Path(out).write_text(text, encoding="utf-8")
                self.stdout.write(f"registry written to {out}")
            else:
                self.stdout.write(text)
            return
        known = set(District.objects.values_list("division_code", flat=True))
        unknown = sorted(set(codes) - known)
        if unknown:
            raise CommandError(f"unknown districts: {', '.join(unknown)}")
        if action == "rotate":
            if not codes:
                raise CommandError("name the districts whose key to rotate")
            for code in codes:
                key = key_rotate(code)
                self.stdout.write(f"{code}: rotated, new key {key.key_id} ({key_path(code)})")
            return
        for code in codes or sorted(known):
            key, created = key_create(code)
            self.stdout.write(f"{code}: {'created' if created else 'kept'} key {key.key_id} ({key_path(code)})")
