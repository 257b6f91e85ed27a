"""Import is all-or-nothing: every bad file leaves the catalogue exactly as it was, with a report in Chinese."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pytest
from django.db import connection
from openpyxl import Workbook, load_workbook

from standards import importexport, services
from standards.importexport import (
    ITEM_COLUMNS,
    MATERIAL_COLUMNS,
    catalogue_import_apply,
    catalogue_import_upload,
)
from standards.models import CatalogueImport, ItemImplementation, ItemMaterial, ItemVersion, ServiceItem

pytestmark = pytest.mark.django_db


def catalogue_fingerprint() -> str:
    """A hash of every catalogue row: equal fingerprints mean an unchanged catalogue."""
    digest = hashlib.sha256()
    for model in (ServiceItem, ItemVersion, ItemMaterial, ItemImplementation):
        for row in model.objects.order_by("pk").values_list():
            digest.update(repr(row).encode())
    return digest.hexdigest()


def row(code: str = "IMP-0001", **overrides) -> dict:
    values = {column: "" for column in ITEM_COLUMNS}
    values.update(
        code=code, name=f"导入测试事项{code}", name_en="Imported item", item_type="public_service", sector="other",
        for_natural_person="是", for_legal_person="否", handling_kind="promised", limit_unit="working_days",
        statutory_limit="10", promised_limit="5", handling_forms="window;online", online_depth="3", onsite_visits="0",
        cross_province_mode="fully_online", fees="[]", faq="[]", accepting_districts="310101;340104",
        approving_districts="340104", effective_from="2026-01-01",
    )
    values.update(overrides)
    return values


def material(code: str = "IMP-0001", material_type: str = "ID_CARD", **overrides) -> dict:
    values = {column: "" for column in MATERIAL_COLUMNS}
    values.update(item_code=code, material_type=material_type, name="居民身份证", requirement="required", medium="either",
                  originals="1", copies="0", formats="pdf;jpg", max_size_mb="5", source="applicant", elicence_exempt="true")
    values.update(overrides)
    return values


def csv_bytes(columns, rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(items, materials, item_columns=ITEM_COLUMNS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "items"
    sheet.append(item_columns)
    for r in items:
        sheet.append([r.get(c, "") for c in item_columns])
    sheet = workbook.create_sheet("materials")
    sheet.append(MATERIAL_COLUMNS)
    for r in materials:
        sheet.append([r.get(c, "") for c in MATERIAL_COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload_csv(items, materials, item_columns=ITEM_COLUMNS):
    return catalogue_import_upload(
        actor=None, file_name="items.csv", content=csv_bytes(item_columns, items),
        materials_content=csv_bytes(MATERIAL_COLUMNS, materials),
    )


@pytest.fixture
def before(published_item, material_types):
    return catalogue_fingerprint()


def assert_rejected(job: CatalogueImport, before: str, *, row: int | None, column: str, words: str):
    assert job.status == CatalogueImport.Status.INVALID
    assert catalogue_fingerprint() == before
    matching = [e for e in job.errors if e["row"] == row and e["column"] == column]
    assert matching, job.errors
    with_language = job.errors
    assert words in matching[0]["message"], with_language


def test_a_clean_file_is_previewed_then_applied_as_new_items_and_versions(before, published_item, std_admin):
    items = [row("IMP-0001"), row("IMP-0002", name="导入测试事项二")]
    materials = [material("IMP-0001"), material("IMP-0002"), material("IMP-0002", "PHOTO", name="照片", elicence_exempt="")]
    job = upload_csv(items, materials)
    assert job.status == CatalogueImport.Status.READY, job.errors
    assert job.preview["new"] == 2 and job.preview["changed"] == 0
    assert catalogue_fingerprint() == before  # checking writes nothing
    counts = catalogue_import_apply(job=job, actor=std_admin)
    assert counts == {"new": 2, "changed": 0, "unchanged": 0}
    version = ItemVersion.objects.get(item__code="IMP-0002", status="published")
    assert [m.material_type.code for m in version.materials.all()] == ["ID_CARD", "PHOTO"]
    impl = {i.district.division_code: (i.can_accept, i.can_approve) for i in version.item.implementations.all()}
    assert impl == {"310101": (True, False), "340104": (True, True)}


def test_an_export_imports_back_as_unchanged_and_a_change_becomes_a_new_version(before, published_item, std_admin):
    job = catalogue_import_upload(actor=None, file_name="c9.xlsx", content=importexport.catalogue_export_xlsx())
    assert job.status == CatalogueImport.Status.READY, job.errors
    assert job.preview["unchanged"] == job.preview["rows"] >= 1 and job.preview["changed"] == 0
    workbook = load_workbook(io.BytesIO(importexport.catalogue_export_xlsx()))
    header = [c.value for c in workbook["items"][1]]
    workbook["items"].cell(row=2, column=header.index("promised_limit") + 1, value=3)
    workbook["items"].cell(row=2, column=header.index("effective_from") + 1, value="2026-02-01")
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = catalogue_import_upload(actor=std_admin, file_name="c9.xlsx", content=buffer.getvalue())
    assert job.preview["changed"] == 1, job.errors
    catalogue_import_apply(job=job, actor=std_admin)
    current = ItemVersion.objects.get(item=published_item.item, status="published")
    assert current.number == 2 and current.promised_limit == 3
    assert ItemVersion.objects.get(pk=published_item.pk).effective_to.isoformat() == "2026-01-31"


def test_wrong_columns_are_rejected(before):
    columns = [c for c in ITEM_COLUMNS if c != "promised_limit"] + ["remarks"]
    items = [{k: v for k, v in row().items() if k != "promised_limit"} | {"remarks": "x"}]
    job = upload_csv(items, [material()], item_columns=columns)
    assert_rejected(job, before, row=1, column="", words="promised_limit")
    assert "remarks" in job.errors[0]["message"]


def test_an_unknown_district_is_rejected(before):
    job = upload_csv([row(accepting_districts="310101;320602")], [material()])
    assert_rejected(job, before, row=2, column="accepting_districts", words="320602")


def test_a_promised_limit_above_the_statutory_one_is_rejected(before):
    job = upload_csv([row(), row("IMP-0002", statutory_limit="5", promised_limit="8")], [material(), material("IMP-0002")])
    assert_rejected(job, before, row=3, column="promised_limit", words="8")


def test_duplicated_codes_are_rejected(before):
    job = upload_csv([row(), row()], [material()])
    assert_rejected(job, before, row=3, column="code", words="IMP-0001")


def test_a_broken_encoding_is_rejected_with_its_line(before):
    content = csv_bytes(ITEM_COLUMNS, [row()]).decode().encode("gbk")
    job = catalogue_import_upload(
        actor=None, file_name="items.csv", content=content, materials_content=csv_bytes(MATERIAL_COLUMNS, [material()])
    )
    assert job.status == CatalogueImport.Status.INVALID and catalogue_fingerprint() == before
    assert job.errors[0]["row"] == 2 and "UTF-8" in job.errors[0]["message"]


def test_an_oversized_file_is_rejected(before):
    content = csv_bytes(ITEM_COLUMNS, [row()]) + b"#" * (importexport.MAX_IMPORT_BYTES + 10)
    job = catalogue_import_upload(actor=None, file_name="items.csv", content=content,
                                  materials_content=csv_bytes(MATERIAL_COLUMNS, [material()]))
    assert job.status == CatalogueImport.Status.INVALID and catalogue_fingerprint() == before
    assert "MB" in job.errors[0]["message"]


def test_a_file_that_only_pretends_to_be_xlsx_is_rejected(before):
    job = catalogue_import_upload(actor=None, file_name="c9.xlsx", content=b"PK\x03\x04 not really a zip")
    assert job.status == CatalogueImport.Status.INVALID and catalogue_fingerprint() == before


def test_one_bad_row_among_good_ones_changes_nothing_and_the_report_is_in_chinese(before, settings):
    items = [row("IMP-0001"), row("IMP-0002", item_type="许可"), row("IMP-0003")]
    materials = [material("IMP-0001"), material("IMP-0002"), material("IMP-0003", "NO_SUCH_TYPE")]
    job = xlsx_bytes(items, materials)
    from django.utils import translation

    with translation.override("zh-hans"):
        job = catalogue_import_upload(actor=None, file_name="c9.xlsx", content=job)
    assert job.status == CatalogueImport.Status.INVALID and catalogue_fingerprint() == before
    assert {(e["sheet"], e["row"], e["column"]) for e in job.errors} >= {
        ("items", 3, "item_type"), ("materials", 4, "material_type"),
    }
    assert any("不允许" in e["message"] or "未知" in e["message"] for e in job.errors), job.errors


def test_a_failure_half_way_through_rolls_everything_back(before, std_admin, monkeypatch):
    job = upload_csv([row("IMP-0001"), row("IMP-0002")], [material("IMP-0001"), material("IMP-0002")])
    assert job.status == CatalogueImport.Status.READY
    real_publish = services.item_version_publish
    calls = []

    def failing_publish(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_publish(**kwargs)

    monkeypatch.setattr(services, "item_version_publish", failing_publish)
    with pytest.raises(RuntimeError):
        catalogue_import_apply(job=job, actor=std_admin)
    assert catalogue_fingerprint() == before
    assert not ServiceItem.objects.filter(code="IMP-0001").exists()


def test_the_export_has_an_items_and_a_materials_sheet(published_item):
    workbook = load_workbook(io.BytesIO(importexport.catalogue_export_xlsx()))
    assert workbook.sheetnames == ["items", "materials"]
    items = list(workbook["items"].iter_rows(values_only=True))
    assert list(items[0]) == ITEM_COLUMNS and items[1][0] == "T-0001"
    assert json.loads(items[1][ITEM_COLUMNS.index("fees")])[0]["name"] == "工本费"
    csv_text = importexport.catalogue_export_csv(sheet="materials").decode("utf-8-sig")
    assert csv_text.splitlines()[0].split(",")[:2] == ["item_code", "material_type"]
    assert connection.vendor in ("sqlite", "postgresql")
