"""Import and export of the catalogue as XLSX (sheets "items" and "materials") or two CSV files.

An import is all-or-nothing. Every row is checked first and a row-by-row error report is
returned when anything is wrong; nothing is written then. A clean file is applied by a
Celery worker in one transaction (a failure half-way rolls everything back), writing its
progress to the cache so that the maintainer's page can show it while it runs.

Each item row becomes a new published version when its content differs from the version
in force (through the same services as manual edits, so versions never overlap and every
change is audited); identical rows change nothing.

One module per job:

- `columns`: the sheets and their columns (names, kinds of cell, allowed values, defaults);
- `reading`: an upload into tables of text cells (XLSX, CSV encodings, size limits);
- `checking`: the row-by-row report and the preview (new, changed, unchanged);
- `jobs`: the stored upload, the queue, the worker's apply and its progress;
- `export`: the catalogue in force as the same sheets.

Callers (views, tasks, tests) import the public functions from here.
"""

from __future__ import annotations

from standards.importexport.checking import Checked, ParsedItem, catalogue_import_check, check_tables
from standards.importexport.columns import ITEM_COLUMNS, MATERIAL_COLUMNS, ImportError_, column_label
from standards.importexport.export import catalogue_export_csv, catalogue_export_xlsx, catalogue_rows
from standards.importexport.jobs import (
    catalogue_import_apply,
    catalogue_import_mark,
    catalogue_import_queue,
    catalogue_import_upload,
    import_progress,
)
from standards.importexport.reading import MAX_IMPORT_BYTES, read_tables, read_upload, upload_pair_problem

__all__ = [
    "ITEM_COLUMNS",
    "MATERIAL_COLUMNS",
    "MAX_IMPORT_BYTES",
    "Checked",
    "ImportError_",
    "ParsedItem",
    "catalogue_export_csv",
    "catalogue_export_xlsx",
    "catalogue_import_apply",
    "catalogue_import_check",
    "catalogue_import_mark",
    "catalogue_import_queue",
    "catalogue_import_upload",
    "catalogue_rows",
    "check_tables",
    "column_label",
    "import_progress",
    "read_tables",
    "read_upload",
    "upload_pair_problem",
]
