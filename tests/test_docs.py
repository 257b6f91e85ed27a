"""The docs name the code as it is: the module tables of docs/architecture.md, and every path the docs mention."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARCHITECTURE = ROOT / "docs" / "architecture.md"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# The directories the tables of docs/architecture.md describe, one row each.
TABLE_DIRS = {
    "govservice",
    "accounts",
    "standards",
    "cases",
    "helpdesk",
    "notices",
    "dashboard",
    "seed",
    "trust",
    "c9verify",
    "tests",
    "bench",
}

# A backticked module or package name: `models.py`, `services/`, `services/audit.py`, `management/commands/`.
MODULE = re.compile(r"`((?:\w+/)*(?:\w+\.py|\w+/))`")
# A table row whose first cell is one of those directories, e.g. "| `cases/` | … | … |".
ROW = re.compile(r"^\| `(\w+)/` \|(.*)\|$")
# Not modules one describes: package markers, the app config, migrations, the test files themselves.
UNNAMED = re.compile(r"^(__init__\.py|apps\.py|test_\w*\.py|migrations/|__pycache__/|\..*)$")


def table_rows() -> dict[str, list[str]]:
    """Each described directory with the names in its row's last cell (its modules)."""
    rows: dict[str, list[str]] = {}
    for line in ARCHITECTURE.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match and match.group(1) in TABLE_DIRS:
            modules_cell = match.group(2).rsplit("|", 1)[-1]
            rows[match.group(1)] = MODULE.findall(modules_cell)
    return rows


def entries(directory: Path) -> set[str]:
    """The modules (`x.py`) and packages or directories (`x/`) directly in `directory` worth naming."""
    names = {f"{p.name}/" if p.is_dir() else p.name for p in directory.iterdir() if p.is_dir() or p.suffix == ".py"}
    return {name for name in names if not UNNAMED.match(name)}


def test_the_architecture_tables_have_a_row_for_each_app_and_the_code_outside_them() -> None:
    rows = table_rows()
    assert set(rows) == TABLE_DIRS
    assert all(rows.values()), [name for name, modules in rows.items() if not modules]
    assert sum(len(modules) for modules in rows.values()) > 100


@pytest.mark.parametrize("directory", sorted(TABLE_DIRS))
def test_every_module_named_in_the_architecture_tables_exists(directory: str) -> None:
    missing = [name for name in table_rows()[directory] if not (ROOT / directory / name).exists()]
    assert not missing, f"docs/architecture.md names modules of {directory}/ that do not exist: {missing}"


@pytest.mark.parametrize("directory", sorted(TABLE_DIRS))
def test_every_module_is_named_in_the_architecture_tables(directory: str) -> None:
    """A new module (or one of a package whose modules the row lists) gets its line in the table."""
    named = set(table_rows()[directory])
    # `management/commands/` names `management/` too.
    named |= {name.split("/", 1)[0] + "/" for name in named if "/" in name.rstrip("/")}
    base = ROOT / directory
    expected = entries(base)
    # Packages the row describes module by module (e.g. `services/transitions.py`): all their modules.
    for package in {name.split("/", 1)[0] for name in named if name.endswith(".py") and "/" in name}:
        expected |= {f"{package}/{name}" for name in entries(base / package) if name.endswith(".py")}
    unnamed = sorted(expected - named)
    assert not unnamed, f"docs/architecture.md does not name these in the row of {directory}/: {unnamed}"


def test_every_repository_path_the_docs_name_exists() -> None:
    """`cases/life_cycle.py`, `standards/importexport/`, `tests/worker_hooks.py` … in the README and docs/."""
    # Not var/: what the code writes at run time (databases, sockets) is not in the repository.
    top = "|".join(sorted(p.name for p in ROOT.iterdir() if p.is_dir() and p.name not in {"var"} and p.name[0] != "."))
    # A file (with its extension) or a directory (with its slash).
    path = re.compile(rf"`((?:{top})/(?:[\w.-]+/)*(?:[\w-]+\.\w+)?)`")
    named = {(doc.name, match) for doc in DOCS for match in path.findall(doc.read_text(encoding="utf-8"))}
    assert len(named) > 50
    missing = sorted((doc, name) for doc, name in named if not (ROOT / name).exists())
    assert not missing, f"the docs name paths that do not exist: {missing}"
