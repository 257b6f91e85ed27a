"""The application form (申请表) of an item version, declared with its standard.

`ItemVersion.application_form` is a list of field declarations, validated here (model validation, so the
admin, the API, the importer and the seed all go through it). A JSON list on the version rather than a
model of its own: it is copied into a new draft, frozen by publication, diffed and exported exactly like
the version's other content (fees, FAQ, process steps), with nothing more to keep in step. The values a
case gives are validated per kind by cases.services.form.

A field: {"key": "name", "label": "姓名", "label_en": "Name", "kind": "text", "required": true,
"max_length": 50, "help": "…", "help_en": "…", "choices": [{"value": "a", "label": "…", "label_en": "…"}]}
(`choices` for the kind "choice" only; `max_length` defaults by kind).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _


class FieldKind(models.TextChoices):
    TEXT = "text", gettext_lazy("Text")
    LONG_TEXT = "long_text", gettext_lazy("Long text")
    DATE = "date", gettext_lazy("Date")
    NUMBER = "number", gettext_lazy("Number")
    CHOICE = "choice", gettext_lazy("Choice")
    PHONE = "phone", gettext_lazy("Phone number")
    ID_NUMBER = "id_number", gettext_lazy("Resident ID number")
    ADDRESS = "address", gettext_lazy("Address")


# The longest value a kind takes when the declaration names no max_length, and the most it may name.
DEFAULT_MAX_LENGTH = {
    FieldKind.TEXT: 100,
    FieldKind.LONG_TEXT: 1000,
    FieldKind.DATE: 10,
    FieldKind.NUMBER: 20,
    FieldKind.CHOICE: 40,
    FieldKind.PHONE: 20,
    FieldKind.ID_NUMBER: 18,
    FieldKind.ADDRESS: 200,
}
MAX_LENGTH_LIMIT = 2000
MAX_FIELDS = 60
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_KNOWN = {"key", "label", "label_en", "kind", "required", "max_length", "help", "help_en", "choices"}


def validate_application_form(value: Any) -> None:
    """Model validator of `ItemVersion.application_form`: every problem named with its field's position."""
    if value in (None, ""):
        return
    if not isinstance(value, list):
        raise ValidationError(_("The application form is a list of fields."))
    if len(value) > MAX_FIELDS:
        raise ValidationError(_("An application form has at most %(n)s fields.") % {"n": MAX_FIELDS})
    problems: list[str] = []
    keys: set[str] = set()
    for number, field in enumerate(value, start=1):
        problems.extend(f"#{number}: {p}" for p in _field_problems(field, keys))
    if problems:
        raise ValidationError(problems)


def _field_problems(field: Any, keys: set[str]) -> list[str]:
    if not isinstance(field, dict):
        return [_("a field is an object with a key, labels and a kind.")]
    problems = []
    unknown = sorted(set(field) - _KNOWN)
    if unknown:
        problems.append(_("unknown attributes: %(names)s") % {"names": ", ".join(unknown)})
    key = field.get("key")
    if not isinstance(key, str) or not _KEY.match(key):
        problems.append(_("the key is lower-case letters, digits and _ (at most 40), starting with a letter."))
    elif key in keys:
        problems.append(_("the key %(key)s appears twice.") % {"key": key})
    else:
        keys.add(key)
    problems.extend(
        _("%(name)s is a text of at most 300 characters.") % {"name": name}
        for name in ("label", "label_en", "help", "help_en")
        if not isinstance(field.get(name, ""), str) or len(field.get(name, "")) > 300
    )
    if not str(field.get("label") or "").strip():
        problems.append(_("the field needs a Chinese label."))
    kind = field.get("kind")
    if kind not in FieldKind.values:
        problems.append(_("the kind is one of: %(kinds)s") % {"kinds": ", ".join(FieldKind.values)})
    if not isinstance(field.get("required", False), bool):
        problems.append(_("required is true or false."))
    max_length = field.get("max_length")
    if max_length is not None and (
        not isinstance(max_length, int) or isinstance(max_length, bool) or not 1 <= max_length <= MAX_LENGTH_LIMIT
    ):
        problems.append(_("max_length is a whole number from 1 to %(n)s.") % {"n": MAX_LENGTH_LIMIT})
    choices = field.get("choices")
    if kind == FieldKind.CHOICE:
        if not isinstance(choices, list) or not choices:
            problems.append(_("a choice field lists its choices."))
        else:
            values = [c.get("value") if isinstance(c, dict) else None for c in choices]
            bad_value = any(not isinstance(v, str) or not v or len(v) > 40 for v in values)
            unlabelled = any(not isinstance(c, dict) or not str(c.get("label") or "").strip() for c in choices)
            if bad_value or unlabelled or len(set(values)) != len(values):
                problems.append(_("each choice has its own value (at most 40 characters) and a label."))
    elif choices is not None:
        problems.append(_("only a choice field lists choices."))
    return problems


def field_max_length(field: dict[str, Any]) -> int:
    return int(field.get("max_length") or DEFAULT_MAX_LENGTH.get(field["kind"], 100))


def _english() -> bool:
    return (get_language() or "").startswith("en")


def field_label(field: dict[str, Any]) -> str:
    return str(field.get("label_en") or field["label"]) if _english() else str(field["label"])


def field_help(field: dict[str, Any]) -> str:
    return str(field.get("help_en") or field.get("help") or "") if _english() else str(field.get("help") or "")


def choice_label(field: dict[str, Any], value: str) -> str:
    for choice in field.get("choices") or []:
        if choice.get("value") == value:
            return str(choice.get("label_en") or choice["label"]) if _english() else str(choice["label"])
    return value


def form_summary(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The declared fields as the item's page lists them: label, kind, required, help, the choices' labels."""
    return [
        {
            "key": field["key"],
            "label": field_label(field),
            "kind": FieldKind(field["kind"]).label,
            "required": bool(field.get("required")),
            "help": field_help(field),
            "choices": [choice_label(field, c["value"]) for c in field.get("choices") or []],
        }
        for field in fields or []
    ]
