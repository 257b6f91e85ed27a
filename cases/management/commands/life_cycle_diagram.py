"""Print the case life cycle as Markdown (a Mermaid diagram and tables), generated from cases/life_cycle.py."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cases.life_cycle import diagram_markdown


class Command(BaseCommand):
    help = "Print the case life cycle (Mermaid stateDiagram-v2 and the steps) from its declaration: docs/life_cycle.md."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(diagram_markdown(), ending="")
