"""Checking the tables row by row: the report of every problem, and the preview of a clean file.

Nothing is written here. A row is checked against the column declarations (columns.py) and
the reference data (districts, material types); then the clean rows are compared with the
versions in force to tell new, changed and unchanged items apart.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from standards.consistency import version_problems
from standards.forms import validate_application_form
from standards.importexport.columns import (
    BOOL_FIELDS,
    CHOICES,
    DEFAULTS,
    FALSE_WORDS,
    INT_FIELDS,
    ITEM_COLUMNS,
    JSON_FIELDS,
    LIST_CHOICES,
    LIST_FIELDS,
    MATERIAL_COLUMNS,
    OPTIONAL_ITEM,
    OPTIONAL_MATERIAL,
    TRUE_WORDS,
    ImportError_,
)
from standards.importexport.reading import read_tables
from standards.models import District, ItemMaterial, ItemVersion, MaterialType, ServiceItem, promise_exceeds_statute
from standards.selectors import MATERIAL_CONTENT_FIELDS, VERSION_CONTENT_FIELDS, in_force_q, today


@dataclass
class ParsedItem:
    """A clean item row with its materials, as the services take them."""

    row: int
    code: str
    fields: dict[str, Any]
    accepting: list[str]
    approving: list[str]
    effective_from: dt.date | None
    materials: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Checked:
    """The outcome of a check: the clean items, the report (empty when clean) and the preview."""

    items: list[ParsedItem]
    errors: list[ImportError_]
    preview: dict[str, Any]


def _check_header(
    sheet: str, rows: list[list[str]], expected: list[str], errors: list[ImportError_]
) -> list[str] | None:
    if not rows:
        errors.append(ImportError_(sheet, None, "", _("The sheet is empty: the first row must name the columns.")))
        return None
    header = [h.strip() for h in rows[0]]
    while header and header[-1] == "":
        header.pop()
    missing = [c for c in expected if c not in header]
    unknown = [c for c in header if c not in expected]
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if missing or unknown or duplicated:
        parts = []
        if missing:
            parts.append(_("missing columns: %(cols)s") % {"cols": ", ".join(missing)})
        if unknown:
            parts.append(_("unknown columns: %(cols)s") % {"cols": ", ".join(unknown)})
        if duplicated:
            parts.append(_("columns named twice: %(cols)s") % {"cols": ", ".join(duplicated)})
        errors.append(
            ImportError_(
                sheet,
                1,
                "",
                _("Wrong columns (%(problems)s). Start from an exported file to get the right columns.")
                % {"problems": "; ".join(parts)},
            )
        )
        return None
    return header


def _parse_value(column: str, raw: str, sheet: str, row: int, errors: list[ImportError_], optional: set[str]) -> Any:
    raw = (raw or "").strip()
    if raw == "" and column not in optional and column not in BOOL_FIELDS and column not in LIST_FIELDS:
        errors.append(ImportError_(sheet, row, column, _("This cell must not be empty.")))
        return None
    if column in BOOL_FIELDS:
        word = raw.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        errors.append(
            ImportError_(sheet, row, column, _('"%(value)s" is not yes/no (use 是/否 or true/false).') % {"value": raw})
        )
        return None
    if column in INT_FIELDS:
        if raw == "":
            return None
        try:
            value = int(raw)
        except ValueError:
            errors.append(ImportError_(sheet, row, column, _('"%(value)s" is not a whole number.') % {"value": raw}))
            return None
        if value < 0:
            errors.append(ImportError_(sheet, row, column, _("The number cannot be negative.")))
            return None
        return value
    if column in JSON_FIELDS:
        if raw == "":
            return []
        try:
            value = json.loads(raw)
        except ValueError:
            errors.append(
                ImportError_(
                    sheet, row, column, _('This cell must hold a JSON list, e.g. [] or [{"q": "…", "a": "…"}].')
                )
            )
            return None
        if not isinstance(value, list):
            errors.append(ImportError_(sheet, row, column, _("This cell must hold a JSON list.")))
            return None
        if column == "application_form":
            try:
                validate_application_form(value)
            except ValidationError as error:
                errors.extend(ImportError_(sheet, row, column, message) for message in error.messages)
                return None
        return value
    if column in LIST_FIELDS:
        values = [v.strip() for v in raw.replace("；", ";").replace(",", ";").split(";") if v.strip()]
        allowed = LIST_CHOICES.get(column)
        if allowed:
            wrong = [v for v in values if v not in allowed]
            if wrong:
                errors.append(
                    ImportError_(
                        sheet,
                        row,
                        column,
                        _("Unknown values %(wrong)s; allowed: %(allowed)s.")
                        % {"wrong": ", ".join(wrong), "allowed": ", ".join(allowed)},
                    )
                )
                return None
        return values
    if column == "effective_from":
        if raw == "":
            return None
        try:
            return dt.date.fromisoformat(raw[:10])
        except ValueError:
            errors.append(
                ImportError_(sheet, row, column, _('"%(value)s" is not a date (YYYY-MM-DD).') % {"value": raw})
            )
            return None
    if raw == "":
        # An empty optional choice takes its default (cross_province_mode: none, i.e. handled locally).
        return "" if column not in CHOICES or "" in CHOICES[column] else None
    if column in CHOICES and raw not in CHOICES[column]:
        errors.append(
            ImportError_(
                sheet,
                row,
                column,
                _('"%(value)s" is not allowed; use one of: %(allowed)s.')
                % {"value": raw, "allowed": ", ".join(v for v in CHOICES[column] if v)},
            )
        )
        return None
    return raw


def check_tables(tables: dict[str, list[list[str]]]) -> Checked:
    errors: list[ImportError_] = []
    item_header = _check_header("items", tables["items"], ITEM_COLUMNS, errors)
    material_header = _check_header("materials", tables["materials"], MATERIAL_COLUMNS, errors)
    if item_header is None or material_header is None:
        return Checked([], errors, {})
    districts = set(District.objects.values_list("division_code", flat=True))
    material_types = {t.code: t for t in MaterialType.objects.all()}
    items: dict[str, ParsedItem] = {}
    for row_number, row in enumerate(tables["items"][1:], start=2):
        if not any((c or "").strip() for c in row):
            continue
        cells = dict(zip(item_header, [*row, *[""] * (len(item_header) - len(row))], strict=False))
        before = len(errors)
        values = {
            column: _parse_value(column, cells.get(column, ""), "items", row_number, errors, OPTIONAL_ITEM)
            for column in ITEM_COLUMNS
        }
        code = values["code"] or ""
        if code and (len(code) > 40 or not all(ch.isalnum() or ch == "-" for ch in code)):
            errors.append(
                ImportError_("items", row_number, "code", _("A code has up to 40 letters, digits or hyphens."))
            )
        if code in items:
            errors.append(
                ImportError_(
                    "items",
                    row_number,
                    "code",
                    _("Code %(code)s is duplicated: row %(first)s has it already.")
                    % {"code": code, "first": items[code].row},
                )
            )
            continue
        statutory, promised = values.get("statutory_limit"), values.get("promised_limit")
        if promise_exceeds_statute(statutory, promised):
            errors.append(
                ImportError_(
                    "items",
                    row_number,
                    "promised_limit",
                    _("The promised time limit (%(promised)s) exceeds the statutory one (%(statutory)s).")
                    % {"promised": promised, "statutory": statutory},
                )
            )
        for column in ("accepting_districts", "approving_districts"):
            unknown = [c for c in values.get(column) or [] if c not in districts]
            if unknown:
                errors.append(
                    ImportError_(
                        "items",
                        row_number,
                        column,
                        _("Unknown district %(codes)s: use the six-digit division codes of the nine C9 districts.")
                        % {"codes": ", ".join(unknown)},
                    )
                )
        if values.get("accepting_districts") == [] and values.get("approving_districts") == []:
            errors.append(
                ImportError_(
                    "items",
                    row_number,
                    "accepting_districts",
                    _("Name at least one district that accepts or approves the item."),
                )
            )
        if values.get("accepting_districts") and not values.get("approving_districts"):
            errors.append(
                ImportError_(
                    "items",
                    row_number,
                    "approving_districts",
                    _("An item approved nowhere cannot be accepted: name the district that approves it."),
                )
            )
        for name in (
            "name",
            "name_en",
            "result_name",
            "result_sample",
            "topic",
            "legal_basis_law",
            "legal_basis_article",
        ):
            limit = _max_length(ItemVersion, name)
            if values.get(name) and len(values[name]) > limit:
                errors.append(
                    ImportError_("items", row_number, name, _("Longer than %(limit)s characters.") % {"limit": limit})
                )
        if len(errors) > before or not code:
            items[code or f"#row{row_number}"] = ParsedItem(row_number, code, {}, [], [], None)
            continue
        fields = {f: values[f] if values[f] is not None else DEFAULTS.get(f, values[f]) for f in VERSION_CONTENT_FIELDS}
        items[code] = ParsedItem(
            row=row_number,
            code=code,
            fields=fields,
            accepting=values["accepting_districts"] or [],
            approving=values["approving_districts"] or [],
            effective_from=values["effective_from"],
        )
    for row_number, row in enumerate(tables["materials"][1:], start=2):
        if not any((c or "").strip() for c in row):
            continue
        cells = dict(zip(material_header, [*row, *[""] * (len(material_header) - len(row))], strict=False))
        before = len(errors)
        values = {
            column: _parse_value(column, cells.get(column, ""), "materials", row_number, errors, OPTIONAL_MATERIAL)
            for column in MATERIAL_COLUMNS
        }
        item = items.get(values["item_code"] or "")
        if values["item_code"] and item is None:
            errors.append(
                ImportError_(
                    "materials",
                    row_number,
                    "item_code",
                    _("Item %(code)s is not in the items sheet.") % {"code": values["item_code"]},
                )
            )
        if values["material_type"] and values["material_type"] not in material_types:
            errors.append(
                ImportError_(
                    "materials",
                    row_number,
                    "material_type",
                    _("Unknown material type %(code)s.") % {"code": values["material_type"]},
                )
            )
        if version_problems({}, [values]):  # an electronic licence stands in: no paper copies
            errors.append(
                ImportError_(
                    "materials",
                    row_number,
                    "copies",
                    _("A material an electronic licence stands in for needs no paper copies."),
                )
            )
        if values.get("requirement") == ItemMaterial.Requirement.CONDITIONAL and not values.get("condition"):
            errors.append(
                ImportError_(
                    "materials", row_number, "condition", _("A conditional material must state its condition.")
                )
            )
        if item is not None and any(m["material_type"] == values["material_type"] for m in item.materials):
            errors.append(
                ImportError_(
                    "materials",
                    row_number,
                    "material_type",
                    _("Material type %(code)s is listed twice for item %(item)s.")
                    % {"code": values["material_type"], "item": item.code},
                )
            )
        if len(errors) > before or item is None:
            continue
        material = {
            f: values[f] if values[f] is not None else DEFAULTS.get(f, values[f]) for f in MATERIAL_CONTENT_FIELDS
        }
        material["material_type"] = values["material_type"]
        if not material.get("name"):
            material["name"] = material_types[values["material_type"]].name
        material["condition"] = material.get("condition") or ""
        for text_field in ("name_en", "issuing_body", "acceptance_standard"):
            material[text_field] = material.get(text_field) or ""
        if material.get("position") is None:
            material["position"] = len(item.materials) + 1
        item.materials.append(material)
    errors.extend(
        ImportError_(
            "items", item.row, "code", _("Item %(code)s has no row in the materials sheet.") % {"code": item.code}
        )
        for item in items.values()
        if item.fields and not item.materials
    )
    valid = [i for i in items.values() if i.fields]
    preview = _preview(valid, errors)
    errors.sort(key=lambda e: ({"file": 0, "items": 1, "materials": 2}.get(e.sheet, 3), e.row or 0))
    return Checked(valid, errors, preview)


def _max_length(model: type[models.Model], name: str) -> int:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or field.max_length is None:
        raise TypeError(f"{model.__name__}.{name} is not a text field with a max_length")
    return field.max_length


def _snapshot_fields(fields: dict[str, Any]) -> dict[str, Any]:
    return {f: fields.get(f) for f in VERSION_CONTENT_FIELDS}


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


def _material_key(m: dict[str, Any]) -> tuple[Any, ...]:
    return (m.get("material_type"), *(_hashable(m.get(f)) for f in MATERIAL_CONTENT_FIELDS))


def _preview(items: list[ParsedItem], errors: list[ImportError_]) -> dict[str, Any]:
    """Classify rows as new, changed or unchanged against the versions in force (and catch date conflicts)."""
    on = today()
    codes = [i.code for i in items]
    existing = {item.code: item for item in ServiceItem.objects.filter(code__in=codes)} if codes else {}
    in_force = {}
    latest_dates: dict[int, dt.date] = {}
    drafts: set[int] = set()
    if existing:
        ids = [i.pk for i in existing.values()]
        for chunk in range(0, len(ids), 900):  # SQLite caps bound parameters
            for version in ItemVersion.objects.filter(in_force_q(on), item_id__in=ids[chunk : chunk + 900]).values(
                "id", "item_id", *VERSION_CONTENT_FIELDS
            ):
                in_force[version["item_id"]] = version
        version_materials: dict[int, list[tuple[Any, ...]]] = {}
        version_ids = [v["id"] for v in in_force.values()]
        for chunk in range(0, len(version_ids), 900):
            for values in ItemMaterial.objects.filter(version_id__in=version_ids[chunk : chunk + 900]).values(
                "version_id", "material_type__code", *MATERIAL_CONTENT_FIELDS
            ):
                values["material_type"] = values.pop("material_type__code")
                version_materials.setdefault(values.pop("version_id"), []).append(_material_key(values))
        for item_id, date in (
            ItemVersion.objects.filter(item_id__in=ids)
            .exclude(status=ItemVersion.Status.DRAFT)
            .values_list("item_id", "effective_from")
        ):
            if date and (item_id not in latest_dates or date > latest_dates[item_id]):
                latest_dates[item_id] = date
        drafts = set(
            ItemVersion.objects.filter(item_id__in=ids, status=ItemVersion.Status.DRAFT).values_list(
                "item_id", flat=True
            )
        )
    new, changed, unchanged = [], [], []
    for parsed in items:
        item = existing.get(parsed.code)
        if item is None:
            new.append(parsed.code)
            parsed.fields["_state"] = "new"
            continue
        version = in_force.get(item.pk)
        same = False
        if version is not None:
            current = {f: version[f] for f in VERSION_CONTENT_FIELDS}
            current_materials = sorted(version_materials.get(version["id"], []), key=repr)
            same = current == _snapshot_fields(parsed.fields) and current_materials == sorted(
                (_material_key(m) for m in parsed.materials), key=repr
            )
        if same:
            unchanged.append(parsed.code)
            parsed.fields["_state"] = "unchanged"
            continue
        if item.pk in drafts:
            errors.append(
                ImportError_(
                    "items",
                    parsed.row,
                    "code",
                    _("Item %(code)s has an unpublished draft: publish or discard it first.") % {"code": parsed.code},
                )
            )
        start = parsed.effective_from or on
        latest = latest_dates.get(item.pk)
        if latest and start <= latest:
            errors.append(
                ImportError_(
                    "items",
                    parsed.row,
                    "effective_from",
                    _("The new version of %(code)s must take effect after %(date)s (the current version's start).")
                    % {"code": parsed.code, "date": latest.isoformat()},
                )
            )
        changed.append(parsed.code)
        parsed.fields["_state"] = "changed"
    return {
        "new": len(new),
        "changed": len(changed),
        "unchanged": len(unchanged),
        "new_codes": new[:50],
        "changed_codes": changed[:50],
        "rows": len(items),
    }


def catalogue_import_check(*, file_name: str, content: bytes, materials_content: bytes | None = None) -> Checked:
    errors: list[ImportError_] = []
    tables = read_tables(file_name=file_name, content=content, materials_content=materials_content, errors=errors)
    if tables is None:
        return Checked([], errors, {})
    return check_tables(tables)
