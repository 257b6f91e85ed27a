"""Side-by-side differences of two versions' texts, whole and marked character by character.

A maintainer comparing a corrected legal basis or guide must see every character that changed, not two
shortened texts that look alike: `side_by_side` marks what the old text lost (<del>) and what the new one
gained (<ins>), escaping everything else. Lists and objects (process steps, FAQ) are compared as indented JSON.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

__all__ = ["as_text", "side_by_side", "version_text_diff"]


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True)


def side_by_side(old: Any, new: Any) -> tuple[SafeString, SafeString]:
    """The old and the new text as HTML, with the removed characters in <del> and the added ones in <ins>."""
    a, b = as_text(old), as_text(new)
    left: list[str] = []
    right: list[str] = []
    # No junk heuristic: in Chinese text every character matters, and common ones must not be skipped.
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            left.append(escape(a[i1:i2]))
            right.append(escape(b[j1:j2]))
            continue
        if i2 > i1:
            left.append(f"<del>{escape(a[i1:i2])}</del>")
        if j2 > j1:
            right.append(f"<ins>{escape(b[j1:j2])}</ins>")
    return mark_safe("".join(left)), mark_safe("".join(right))  # noqa: S308 (every piece is escaped above)


def version_text_diff(diff: dict[str, Any]) -> list[dict[str, Any]]:
    """The changed fields and time limits of a `selectors.version_diff`, each with its full old and new text marked."""
    rows = []
    for change in [*diff.get("limits", []), *diff.get("fields", [])]:
        old, new = side_by_side(change["from"], change["to"])
        rows.append({"field": change["field"], "label": change["label"], "old": old, "new": new})
    if diff.get("fees"):
        old, new = side_by_side(diff["fees"]["from"], diff["fees"]["to"])
        rows.append({"field": "fees", "label": _("fees"), "old": old, "new": new})
    return rows
