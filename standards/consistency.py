"""Consistency rules of a catalogue row, declared once: the seed loader refuses a row that breaks one.

Pure functions over plain values (no database), so that a loader or an import can check a row
before writing anything and name the row in its message:

- the promised time limit never exceeds the statutory one;
- a material an electronic licence stands in for needs no paper copies;
- an item approved nowhere cannot be accepted anywhere;
- item codes are unique and well formed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from standards.models import ItemMaterial, promise_exceeds_statute


class CatalogueDataError(ValueError):
    """A catalogue row breaks a consistency rule; the message names the row."""


def version_problems(fields: Mapping[str, Any], materials: Iterable[Mapping[str, Any]]) -> list[str]:
    problems = []
    statutory, promised = fields.get("statutory_limit"), fields.get("promised_limit")
    if promise_exceeds_statute(statutory, promised):
        problems.append(f"promised time limit {promised} exceeds the statutory {statutory}")
    for material in materials:
        electronic = (
            material.get("source") == ItemMaterial.Source.ELICENCE
            or material.get("elicence_exempt")
            or material.get("medium") == ItemMaterial.Medium.ELECTRONIC
        )
        if electronic and material.get("copies", 0):
            problems.append(
                f"material {material.get('material_type')} ({material.get('name')}) is an electronic licence "
                f"but asks for {material['copies']} paper copies"
            )
    return problems


def implementation_problems(roles: Iterable[tuple[str, bool, bool]]) -> list[str]:
    """(division code, accepts, approves) rows of one item."""
    rows = list(roles)
    problems = [
        f"district {code} neither accepts nor approves" for code, accepts, approves in rows if not accepts | approves
    ]
    if any(accepts for _code, accepts, _approves in rows) and not any(approves for *_rest, approves in rows):
        problems.append("accepted but approved nowhere")
    return problems


def code_problems(codes: Iterable[str], pattern: str) -> list[str]:
    codes = list(codes)
    rule = re.compile(pattern)
    problems = [f"code {code!r} does not match {pattern}" for code in codes if not rule.match(code)]
    problems += [f"code {code!r} is used {n} times" for code, n in Counter(codes).items() if n > 1]
    return problems


def require(row: str, problems: list[str]) -> None:
    """Fail loudly, naming the row, when a rule is broken."""
    if problems:
        raise CatalogueDataError(f"{row}: " + "; ".join(problems))
