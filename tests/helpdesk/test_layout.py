"""The helpdesk's layering: reads never import writes, the routing rules import no database code."""

from __future__ import annotations

import ast
from pathlib import Path

import helpdesk

ROOT = Path(helpdesk.__file__).parent


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def test_selectors_and_router_inputs_never_import_services():
    for name in ("selectors.py", "router_inputs.py"):
        assert not any(m.startswith("helpdesk.services") for m in imported_modules(ROOT / name)), name


def test_the_router_is_pure():
    modules = imported_modules(ROOT / "router.py")
    assert not any(m.startswith(("django", "helpdesk.models", "helpdesk.services", "accounts")) for m in modules)
