from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from seed.demo_accounts import DEMO_PASSWORD, demo_accounts_load
from seed.demo_cases import demo_cases_load
from seed.demo_replies import demo_replies_load
from standards.districts import seed_districts
from standards.models import District, Province, ServiceWindow


class Command(BaseCommand):
    help = "Load the districts, windows, the item catalogue and the demo accounts. Safe to re-run."

    def handle(self, *args: Any, **options: Any) -> None:
        seed_districts(Province, District, ServiceWindow)
        call_command("load_catalogue", verbosity=options["verbosity"])
        rows = demo_accounts_load()
        self.stdout.write(self.style.SUCCESS(f"Demo accounts (password for all: {DEMO_PASSWORD}):"))
        for username, role, where in rows:
            self.stdout.write(f"  {username:<18} {role:<12} {where}")
        replies = demo_replies_load()
        if replies:
            self.stdout.write(self.style.SUCCESS(f"Canned replies (常用语) added: {replies}"))
        cases = demo_cases_load()
        if cases:
            self.stdout.write(self.style.SUCCESS("Demo cases:"))
            for reference, item, state in cases:
                self.stdout.write(f"  {reference}  {state:<12} {item}")
