"""Reading an upload into tables of text cells: XLSX or two CSV files, encodings, size limits.

Nothing is interpreted here beyond turning cells into text; a file that cannot be read adds
an error (sheet "file" or the sheet concerned) to the report and yields no tables.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import filetype
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from standards.importexport.columns import SHEET_NAMES, ImportError_

MAX_IMPORT_BYTES = 20 * 1024 * 1024  # the whole catalogue as CSV is about 6 MB


def read_upload(upload: UploadedFile) -> bytes:
    """Read at most one byte more than the limit, so an oversized file is caught without reading it all."""
    content: bytes = upload.read(MAX_IMPORT_BYTES + 1)
    return content


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
    return list(csv.reader(io.StringIO(text)))


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


def upload_pair_problem(*, file_name: str, has_materials: bool) -> str:
    """What is wrong with the pair of files chosen, judged by their names before anything is read ('' when fine):
    an items CSV goes with its materials CSV; a workbook carries both sheets and goes alone."""
    name = file_name.lower()
    if name.endswith(".csv") and not has_materials:
        return _("A CSV import needs two files: the items CSV and the materials CSV.")
    if name.endswith(".xlsx") and has_materials:
        return _("A workbook holds both sheets: upload it alone, without a materials CSV.")
    return ""


def looks_like_xlsx(content: bytes) -> bool:
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
    if looks_like_xlsx(content):
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
