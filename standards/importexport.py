"""Import and export of the catalogue as XLSX (sheets "items" and "materials") or two CSV files.

An import is all-or-nothing. Every row is checked first and a row-by-row error report is
returned when anything is wrong; nothing is written then. A clean file is applied by a
Celery worker in one transaction (a failure half-way rolls everything back), writing its
progress to the cache so that the maintainer's page can show it while it runs.

Each item row becomes a new published version when its content differs from the version
in force (through the same services as manual edits, so versions never overlap and every
change is audited); identical rows change nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass, field
from typing import Any

import filetype
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from standards import services
from standards.models import (
    CatalogueChange,
    CatalogueImport,
    Department,
    District,
    ItemImplementation,
    ItemMaterial,
    ItemVersion,
    MaterialType,
    Sector,
    ServiceItem,
    ServiceWindow,
)
from standards.selectors import (
    MATERIAL_CONTENT_FIELDS,
    VERSION_CONTENT_FIELDS,
    in_force_q,
    today,
)

MAX_IMPORT_BYTES = 20 * 1024 * 1024  # the whole catalogue as CSV is about 6 MB
PROGRESS_EVERY = 20

ITEM_COLUMNS = [
    "code",
    *VERSION_CONTENT_FIELDS,
    "accepting_districts",
    "approving_districts",
    "effective_from",
]
MATERIAL_COLUMNS = ["item_code", "material_type", *MATERIAL_CONTENT_FIELDS]
LIST_FIELDS = {
    "handling_forms",
    "life_events",
    "growth_stages",
    "formats",
    "accepting_districts",
    "approving_districts",
}
JSON_FIELDS = {"fees", "faq"}
BOOL_FIELDS = {
    "for_natural_person",
    "for_legal_person",
    "appointment_available",
    "courier_delivery",
    "online_payment",
    "result_is_licence",
    "result_elicence",
    "elicence_exempt",
}
INT_FIELDS = {
    "statutory_limit",
    "promised_limit",
    "online_depth",
    "onsite_visits",
    "position",
    "originals",
    "copies",
    "max_size_mb",
}
OPTIONAL_ITEM = {
    "name_en",
    "topic",
    "legal_basis_law",
    "legal_basis_article",
    "legal_basis_text",
    "acceptance_conditions",
    "cross_province_mode",
    "fees",
    "result_name",
    "assistance_guide",
    "faq",
    "life_events",
    "growth_stages",
    "approving_districts",
    "effective_from",
    "handling_forms",
    "online_depth",
    "onsite_visits",
    "appointment_available",
    "courier_delivery",
    "online_payment",
    "result_is_licence",
    "result_elicence",
    "for_natural_person",
    "for_legal_person",
    "handling_kind",
    "limit_unit",
}
OPTIONAL_MATERIAL = {
    "name_en",
    "position",
    "condition",
    "issuing_body",
    "acceptance_standard",
    "formats",
    "copies",
    "originals",
    "max_size_mb",
    "medium",
    "source",
    "elicence_exempt",
    "requirement",
    "name",
}
CHOICES = {
    "item_type": ItemVersion.ItemType.values,
    "sector": Sector.values,
    "handling_kind": ItemVersion.HandlingKind.values,
    "limit_unit": ItemVersion.LimitUnit.values,
    "cross_province_mode": ["", *ItemVersion.CrossProvinceMode.values],
    "requirement": ItemMaterial.Requirement.values,
    "medium": ItemMaterial.Medium.values,
    "source": ItemMaterial.Source.values,
}
LIST_CHOICES = {
    "handling_forms": ["window", "self_service", "online", "assisted"],
    "growth_stages": ["startup", "growth", "expansion", "mature"],
}
SHEET_NAMES = {"items": ("items", "事项"), "materials": ("materials", "材料")}
SHEET_LABELS = {
    "items": gettext_lazy("items sheet"),
    "materials": gettext_lazy("materials sheet"),
    "file": gettext_lazy("file"),
}
TRUE_WORDS = {"1", "true", "yes", "y", "是", "t"}
FALSE_WORDS = {"0", "false", "no", "n", "否", "f", ""}


def column_label(column: str) -> str:
    for model in (ItemVersion, ItemMaterial):
        try:
            return str(model._meta.get_field(column).verbose_name)
        except Exception:  # noqa: BLE001 - not a field of this model
            continue
    return {
        "code": _("basic code"),
        "item_code": _("item code"),
        "material_type": _("material type"),
        "accepting_districts": _("accepting districts"),
        "approving_districts": _("approving districts"),
        "effective_from": _("effective from"),
    }.get(column, column)


@dataclass
class ImportError_:
    sheet: str
    row: int | None
    column: str
    message: str

    def as_dict(self) -> dict:
        return {
            "sheet": self.sheet,
            "sheet_label": str(SHEET_LABELS.get(self.sheet, self.sheet)),
            "row": self.row,
            "column": self.column,
            "column_label": column_label(self.column) if self.column else "",
            "message": self.message,
        }


@dataclass
class ParsedItem:
    row: int
    code: str
    fields: dict[str, Any]
    accepting: list[str]
    approving: list[str]
    effective_from: dt.date | None
    materials: list[dict] = field(default_factory=list)


@dataclass
class Checked:
    items: list[ParsedItem]
    errors: list[ImportError_]
    preview: dict


# --- reading files ---------------------------------------------------------------------------


def read_upload(upload) -> bytes:
    """Read at most one byte more than the limit, so an oversized file is caught without reading it all."""
    return upload.read(MAX_IMPORT_BYTES + 1)


def _decode_csv(content: bytes, sheet: str, errors: list[ImportError_]) -> list[list[str]] | None:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        errors.append(
            ImportError_(
                sheet,
                line,
                "",
                _(
                    "Line %(line)s holds bytes that are not UTF-8: the file's encoding is broken or "
                    'it was saved as GBK. Save it again as "CSV UTF-8" and re-import.'
                )
                % {"line": line},
            )
        )
        return None
    if "\x00" in text:
        errors.append(ImportError_(sheet, None, "", _("The file contains NUL characters: it is not a text CSV file.")))
        return None
    return [row for row in csv.reader(io.StringIO(text))]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(content: bytes, errors: list[ImportError_]) -> dict[str, list[list[str]]] | None:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many types for a damaged file
        errors.append(
            ImportError_("file", None, "", _("The XLSX file cannot be opened: it is damaged or not an Excel workbook."))
        )
        return None
    sheets: dict[str, list[list[str]]] = {}
    for key, names in SHEET_NAMES.items():
        sheet = next((workbook[n] for n in names if n in workbook.sheetnames), None)
        if sheet is None:
            errors.append(
                ImportError_("file", None, "", _('The workbook has no sheet named "%(name)s".') % {"name": names[0]})
            )
            continue
        sheets[key] = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    workbook.close()
    return sheets if len(sheets) == 2 else None


def _looks_like_xlsx(content: bytes) -> bool:
    return content[:4] == b"PK\x03\x04"


def read_tables(
    *, file_name: str, content: bytes, materials_content: bytes | None, errors: list[ImportError_]
) -> dict[str, list[list[str]]] | None:
    for sheet, blob in (("items", content), ("materials", materials_content)):
        if blob is not None and len(blob) > MAX_IMPORT_BYTES:
            errors.append(
                ImportError_(
                    sheet,
                    None,
                    "",
                    _("The file is larger than %(mb)s MB: split the catalogue into smaller files.")
                    % {"mb": MAX_IMPORT_BYTES // (1024 * 1024)},
                )
            )
            return None
    if not content:
        errors.append(ImportError_("file", None, "", _("The file is empty.")))
        return None
    for sheet, blob in (("items", content), ("materials", materials_content)):
        # Judge the upload by its content, not its name: a PDF or a picture renamed .csv is refused here.
        kind = filetype.guess(blob[:8192]) if blob else None
        if kind is not None and kind.extension not in ("xlsx", "zip"):
            errors.append(
                ImportError_(
                    sheet,
                    None,
                    "",
                    _("This file is a %(kind)s document, not an XLSX workbook or a CSV file.")
                    % {"kind": kind.extension.upper()},
                )
            )
            return None
    if _looks_like_xlsx(content):
        return _read_xlsx(content, errors)
    if file_name.lower().endswith((".xlsx", ".xls")):
        errors.append(
            ImportError_("file", None, "", _("The file is named like a workbook but its content is not XLSX."))
        )
        return None
    items = _decode_csv(content, "items", errors)
    if materials_content is None:
        errors.append(
            ImportError_("materials", None, "", _("A CSV import needs two files: the items CSV and the materials CSV."))
        )
        return None
    materials = _decode_csv(materials_content, "materials", errors)
    if items is None or materials is None:
        return None
    return {"items": items, "materials": materials}


# --- checking rows ---------------------------------------------------------------------------


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


DEFAULTS = {
    "handling_kind": ItemVersion.HandlingKind.PROMISED,
    "limit_unit": ItemVersion.LimitUnit.WORKING_DAYS,
    "online_depth": 1,
    "onsite_visits": 1,
    "requirement": ItemMaterial.Requirement.REQUIRED,
    "medium": ItemMaterial.Medium.EITHER,
    "source": ItemMaterial.Source.APPLICANT,
    "originals": 1,
    "copies": 0,
    "max_size_mb": 10,
}


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
        if statutory is not None and promised is not None and promised > statutory:
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
        for name in ("name", "name_en", "result_name", "topic", "legal_basis_law", "legal_basis_article"):
            limit = ItemVersion._meta.get_field(name).max_length
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
    for item in items.values():
        if item.fields and not item.materials:
            errors.append(
                ImportError_(
                    "items",
                    item.row,
                    "code",
                    _("Item %(code)s has no row in the materials sheet.") % {"code": item.code},
                )
            )
    valid = [i for i in items.values() if i.fields]
    preview = _preview(valid, errors)
    errors.sort(key=lambda e: ({"file": 0, "items": 1, "materials": 2}.get(e.sheet, 3), e.row or 0))
    return Checked(valid, errors, preview)


def _snapshot_fields(fields: dict) -> dict:
    return {f: fields.get(f) for f in VERSION_CONTENT_FIELDS}


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


def _material_key(m: dict) -> tuple:
    return (m.get("material_type"), *(_hashable(m.get(f)) for f in MATERIAL_CONTENT_FIELDS))


def _preview(items: list[ParsedItem], errors: list[ImportError_]) -> dict:
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
        version_materials: dict[int, list[tuple]] = {}
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


# --- the upload, the queue, the worker ---------------------------------------------------------


def catalogue_import_check(*, file_name: str, content: bytes, materials_content: bytes | None = None) -> Checked:
    errors: list[ImportError_] = []
    tables = read_tables(file_name=file_name, content=content, materials_content=materials_content, errors=errors)
    if tables is None:
        return Checked([], errors, {})
    return check_tables(tables)


def catalogue_import_upload(
    *, actor: User | None, file_name: str, content: bytes, materials_content: bytes | None = None
) -> CatalogueImport:
    """Store an uploaded file with its check: a preview when clean, the row-by-row errors otherwise."""
    checked = catalogue_import_check(file_name=file_name, content=content, materials_content=materials_content)
    oversized = len(content) > MAX_IMPORT_BYTES or len(materials_content or b"") > MAX_IMPORT_BYTES
    return CatalogueImport.objects.create(
        created_by=actor if actor is not None and actor.is_authenticated else None,
        file_name=file_name[:200],
        file_format="xlsx" if _looks_like_xlsx(content) else "csv",
        content=b"" if oversized else content,
        materials_content=None if oversized else materials_content,
        status=CatalogueImport.Status.INVALID if checked.errors else CatalogueImport.Status.READY,
        errors=[e.as_dict() for e in checked.errors[:500]],
        preview={**checked.preview, "error_count": len(checked.errors)},
        total_rows=len(checked.items),
    )


def catalogue_import_queue(*, actor: User | None, job: CatalogueImport) -> bool:
    """Hand a checked file to a worker. Compare-and-set, so a double click queues it once."""
    from standards.tasks import catalogue_import_apply_task

    with transaction.atomic():
        queued = CatalogueImport.objects.filter(pk=job.pk, status=CatalogueImport.Status.READY).update(
            status=CatalogueImport.Status.QUEUED
        )
        if queued:
            cache.set(_progress_key(job.pk), 0, timeout=3600)
            catalogue_import_apply_task.delay_on_commit(job.pk)
    return bool(queued)


def _progress_key(job_id: int) -> str:
    return f"standards:import:{job_id}:progress"


def import_progress(job: CatalogueImport) -> dict:
    job.refresh_from_db(fields=["status", "processed_rows", "total_rows", "finished_at"])
    processed = job.processed_rows
    if job.status in (CatalogueImport.Status.QUEUED, CatalogueImport.Status.APPLYING):
        try:
            processed = int(cache.get(_progress_key(job.pk)) or 0)
        except Exception:  # noqa: BLE001 - progress is a nicety; the status is in the database
            processed = 0
    total = job.total_rows or 0
    return {
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "processed": processed,
        "total": total,
        "percent": int(100 * processed / total) if total else (100 if job.status == CatalogueImport.Status.DONE else 0),
        "finished": job.status
        in (CatalogueImport.Status.DONE, CatalogueImport.Status.FAILED, CatalogueImport.Status.INVALID),
    }


def catalogue_import_apply(*, job: CatalogueImport, actor: User | None = None) -> dict:
    """Apply a checked file in one transaction: new items, new versions for changed ones. All or nothing."""
    checked = catalogue_import_check(
        file_name=job.file_name,
        content=bytes(job.content),
        materials_content=bytes(job.materials_content) if job.materials_content is not None else None,
    )
    if checked.errors:
        raise ValidationError([e.message for e in checked.errors[:20]])
    lookups = {
        "districts": {d.division_code: d for d in District.objects.all()},
        "departments": {(d.district.division_code, d.sector): d for d in Department.objects.select_related("district")},
        "windows": {w.code: w for w in ServiceWindow.objects.all()},
    }
    counts = {"new": 0, "changed": 0, "unchanged": 0}
    with transaction.atomic():
        for done, parsed in enumerate(checked.items, start=1):
            state = parsed.fields.pop("_state", "changed")
            counts[state] += 1
            if state == "new":
                draft = services.item_create(
                    actor=actor, code=parsed.code, fields=parsed.fields, materials=parsed.materials
                )
                services.item_version_publish(actor=actor, draft=draft, effective_from=parsed.effective_from)
            elif state == "changed":
                item = ServiceItem.objects.get(code=parsed.code)
                draft = services.item_draft_create(actor=actor, item=item)
                services.item_draft_update(actor=actor, draft=draft, fields=parsed.fields, materials=parsed.materials)
                services.item_version_publish(actor=actor, draft=draft, effective_from=parsed.effective_from)
            item = ServiceItem.objects.get(code=parsed.code)
            services.item_implementations_set(
                actor=actor,
                item=item,
                sector=parsed.fields["sector"],
                accepting=parsed.accepting,
                approving=parsed.approving,
                lookups=lookups,
            )
            if done % PROGRESS_EVERY == 0:
                try:
                    cache.set(_progress_key(job.pk), done, timeout=3600)
                except Exception:  # noqa: BLE001 - progress must never break the import
                    pass
        services.catalogue_change_record(
            actor=actor,
            action=CatalogueChange.Action.IMPORT,
            summary=_("Import of %(file)s: %(new)s new, %(changed)s changed, %(unchanged)s unchanged")
            % {"file": job.file_name, **counts},
            changes={"import": job.pk, **counts},
        )
    return counts


# --- export ----------------------------------------------------------------------------------


def _export_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and (not value or not isinstance(value[0], dict)):
        return ";".join(str(v) for v in value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def catalogue_rows(
    *, codes: list[str] | None = None, sheets: tuple[str, ...] = ("items", "materials")
) -> tuple[list[list], list[list]]:
    """The versions in force (of some items, or all) as rows of the items and materials sheets (header first)."""
    on = today()
    versions = ItemVersion.objects.filter(in_force_q(on)).select_related("item").order_by("item__code")
    if codes is not None:
        versions = versions.filter(item__code__in=codes)
    versions = list(versions)
    implementations: dict[int, list[tuple[str, bool, bool]]] = {}
    rows = ItemImplementation.objects.filter(active=True)
    if codes is not None:
        rows = rows.filter(item_id__in=[v.item_id for v in versions])
    for item_id, code, accepts, approves in rows.values_list(
        "item_id", "district__division_code", "can_accept", "can_approve"
    ):
        implementations.setdefault(item_id, []).append((code, accepts, approves))
    items = [ITEM_COLUMNS]
    for version in versions:
        impl = sorted(implementations.get(version.item_id, []))
        row = [version.item.code, *[_export_value(getattr(version, f)) for f in VERSION_CONTENT_FIELDS]]
        row += [
            ";".join(c for c, a, _p in impl if a),
            ";".join(c for c, _a, p in impl if p),
            version.effective_from.isoformat(),
        ]
        items.append(row)
    version_codes = {v.pk: v.item.code for v in versions}
    materials = [MATERIAL_COLUMNS]
    if "materials" not in sheets:
        return items, materials
    for material in (
        ItemMaterial.objects.filter(version_id__in=list(version_codes))
        .select_related("material_type")
        .order_by("version__item__code", "position", "id")
        .iterator(chunk_size=2000)
    ):
        materials.append(
            [
                version_codes[material.version_id],
                material.material_type.code,
                *[_export_value(getattr(material, f)) for f in MATERIAL_CONTENT_FIELDS],
            ]
        )
    return items, materials


def catalogue_export_xlsx(*, codes: list[str] | None = None) -> bytes:
    from openpyxl import Workbook

    items, materials = catalogue_rows(codes=codes)
    workbook = Workbook(write_only=True)
    for title, rows in (("items", items), ("materials", materials)):
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def catalogue_export_csv(*, sheet: str, codes: list[str] | None = None) -> bytes:
    items, materials = catalogue_rows(codes=codes, sheets=(sheet,))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(items if sheet == "items" else materials)
    # UTF-8 with a byte-order mark: Excel on Windows opens it as UTF-8, not GBK.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def catalogue_import_mark(
    *, job_id: int, status: str, processed: int | None = None, errors: list | None = None
) -> None:
    values: dict[str, Any] = {"status": status}
    if processed is not None:
        values["processed_rows"] = processed
    if errors is not None:
        values["errors"] = errors
    if status in (CatalogueImport.Status.DONE, CatalogueImport.Status.FAILED):
        values["finished_at"] = timezone.now()
    CatalogueImport.objects.filter(pk=job_id).update(**values)
