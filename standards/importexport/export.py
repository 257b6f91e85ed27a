"""Export of the catalogue in force: the same sheets and columns as the import reads (columns.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

from standards.importexport.columns import ITEM_COLUMNS, MATERIAL_COLUMNS
from standards.models import ItemImplementation, ItemMaterial, ItemVersion
from standards.selectors import MATERIAL_CONTENT_FIELDS, VERSION_CONTENT_FIELDS, in_force_q, today


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
) -> tuple[list[list[Any]], list[list[Any]]]:
    """The versions in force (of some items, or all) as rows of the items and materials sheets (header first)."""
    on = today()
    in_force = ItemVersion.objects.filter(in_force_q(on)).select_related("item").order_by("item__code")
    if codes is not None:
        in_force = in_force.filter(item__code__in=codes)
    versions = list(in_force)
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
            _export_value(version.effective_from),
        ]
        items.append(row)
    version_codes = {v.pk: v.item.code for v in versions}
    materials = [MATERIAL_COLUMNS]
    if "materials" not in sheets:
        return items, materials
    in_force_materials = (
        ItemMaterial.objects.filter(version_id__in=list(version_codes))
        .select_related("material_type")
        .order_by("version__item__code", "position", "id")
        .iterator(chunk_size=2000)
    )
    materials.extend(
        [
            version_codes[material.version_id],
            material.material_type.code,
            *[_export_value(getattr(material, f)) for f in MATERIAL_CONTENT_FIELDS],
        ]
        for material in in_force_materials
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
