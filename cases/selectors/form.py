"""The case's application form as people read it: each declared field with its value and who filled it in.

ID numbers are masked unless `full` (the applicant side reading its own form); the full number otherwise
goes through the audited reading (cases.services.case_id_number_reveal).
"""

from __future__ import annotations

from typing import Any

from accounts.identifiers import mask_id_number
from cases.models import Case, CaseFormValue
from standards.forms import FieldKind, choice_label, field_help, field_label, field_max_length


def _who(row: CaseFormValue) -> dict[str, Any]:
    user = row.filled_by
    return {
        "by": user.display_name or user.username,
        "by_clerk": user.is_clerk,
        "at": row.filled_at.isoformat(),
    }


def form_value_shown(field: dict[str, Any], row: CaseFormValue) -> dict[str, Any]:
    """One filled field as every member of a call may see it (an ID number masked), language-neutral:
    pushed to all the call's screens in the change event (helpdesk.services.drafts)."""
    value = row.value
    masked = bool(value) and field["kind"] == FieldKind.ID_NUMBER
    return {
        "value": mask_id_number(value) if masked else value,
        "masked": masked,
        "filled": _who(row) if value else None,
    }


def form_rows(case: Case, *, full: bool) -> list[dict[str, Any]]:
    """One row per declared field, in the declared order: label, kind, required, help, the value (masked
    where it is an ID number and not `full`), its shown text (a choice's label) and who filled it and when."""
    values = {v.key: v for v in case.form_values.filter(current=True).select_related("filled_by")}
    rows = []
    for field in case.item_version.application_form or []:
        row = values.get(field["key"])
        value = row.value if row is not None else ""
        masked = bool(value) and field["kind"] == FieldKind.ID_NUMBER and not full
        if masked:
            value = mask_id_number(value)
        rows.append(
            {
                "key": field["key"],
                "label": field_label(field),
                "kind": field["kind"],
                "required": bool(field.get("required")),
                "max_length": field_max_length(field),
                "help": field_help(field),
                "choices": [
                    {"value": c["value"], "label": choice_label(field, c["value"])} for c in field.get("choices") or []
                ],
                "value": value,
                # Shown masked: not offered for editing (a form would send the mask back).
                "masked": masked,
                "shown": choice_label(field, value) if field["kind"] == FieldKind.CHOICE else value,
                "filled": _who(row) if row is not None and row.value else None,
            }
        )
    return rows
