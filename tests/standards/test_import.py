"""Import is all-or-nothing: every bad file leaves the catalogue exactly as it was, with a report in Chinese."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json

import pytest
from django.db import connection
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

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
    values = dict.fromkeys(ITEM_COLUMNS, "")
    values.update(
        code=code,
        name=f"导入测试事项{code}",
        name_en="Imported item",
        item_type="public_service",
        sector="other",
        for_natural_person="是",
        for_legal_person="否",
        handling_kind="promised",
        limit_unit="working_days",
        statutory_limit="10",
        promised_limit="5",
        handling_forms="window;online",
        online_depth="3",
        onsite_visits="0",
        cross_province_mode="fully_online",
        fees="[]",
        faq="[]",
        accepting_districts="310101;340104",
        approving_districts="340104",
        effective_from="2026-01-01",
    )
    values.update(overrides)
    return values


def material(code: str = "IMP-0001", material_type: str = "ID_CARD", **overrides) -> dict:
    values = dict.fromkeys(MATERIAL_COLUMNS, "")
    values.update(
        item_code=code,
        material_type=material_type,
        name="居民身份证",
        requirement="required",
        medium="either",
        originals="1",
        copies="0",
        formats="pdf;jpg",
        max_size_mb="5",
        source="applicant",
        elicence_exempt="true",
    )
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
    assert isinstance(sheet, Worksheet)
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
        actor=None,
        file_name="items.csv",
        content=csv_bytes(item_columns, items),
        materials_content=csv_bytes(MATERIAL_COLUMNS, materials),
    )


@pytest.fixture
def before(published_item, material_types):
    return catalogue_fingerprint()


def test_a_clean_file_is_previewed_then_applied_as_new_items_and_versions(published_item, material_types, std_admin):
    items = [row("IMP-0001"), row("IMP-0002", name="导入测试事项二")]
    materials = [
        material("IMP-0001"),
        material("IMP-0002"),
        material("IMP-0002", "PHOTO", name="照片", elicence_exempt=""),
    ]
    job = upload_csv(items, materials)
    assert job.status == CatalogueImport.Status.READY, job.errors
    assert job.preview["new"] == 2 and job.preview["changed"] == 0
    assert not ServiceItem.objects.filter(code__startswith="IMP-").exists()  # checking writes nothing
    counts = catalogue_import_apply(job=job, actor=std_admin)
    assert counts == {"new": 2, "changed": 0, "unchanged": 0}
    version = ItemVersion.objects.get(item__code="IMP-0002", status="published")
    assert [m.material_type.code for m in version.materials.all()] == ["ID_CARD", "PHOTO"]
    impl = {i.district.division_code: (i.can_accept, i.can_approve) for i in version.item.implementations.all()}
    assert impl == {"310101": (True, False), "340104": (True, True)}


def test_an_export_imports_back_as_unchanged_and_a_change_becomes_a_new_version(published_item, std_admin):
    exported = importexport.catalogue_export_xlsx(codes=["T-0001"])
    job = catalogue_import_upload(actor=None, file_name="c9.xlsx", content=exported)
    assert job.status == CatalogueImport.Status.READY, job.errors
    assert job.preview["unchanged"] == job.preview["rows"] == 1 and job.preview["changed"] == 0
    workbook = load_workbook(io.BytesIO(exported))
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
    assert ItemVersion.objects.get(pk=published_item.pk).effective_to == dt.date(2026, 1, 31)


def bad_files() -> dict[str, tuple[dict, tuple[int | None, str, str]]]:
    """Each bad file: the upload's arguments and the (row, column, words) the report must contain."""
    good_materials = csv_bytes(MATERIAL_COLUMNS, [material()])
    wrong_columns = [c for c in ITEM_COLUMNS if c != "promised_limit"] + ["remarks"]
    return {
        "wrong columns": (
            dict(
                file_name="items.csv",
                materials_content=good_materials,
                content=csv_bytes(
                    wrong_columns, [{k: v for k, v in row().items() if k != "promised_limit"} | {"remarks": "x"}]
                ),
            ),
            (1, "", "缺少列：promised_limit"),
        ),
        "unknown district": (
            dict(
                file_name="items.csv",
                materials_content=good_materials,
                content=csv_bytes(ITEM_COLUMNS, [row(accepting_districts="310101;320602")]),
            ),
            (2, "accepting_districts", "未知的区划 320602"),
        ),
        "promised above statutory": (
            dict(
                file_name="items.csv",
                materials_content=csv_bytes(MATERIAL_COLUMNS, [material(), material("IMP-0002")]),
                content=csv_bytes(ITEM_COLUMNS, [row(), row("IMP-0002", statutory_limit="5", promised_limit="8")]),
            ),
            (3, "promised_limit", "承诺办结时限（8）超过了法定办结时限（5）"),
        ),
        "accepted but approved nowhere": (
            dict(
                file_name="items.csv",
                materials_content=good_materials,
                content=csv_bytes(ITEM_COLUMNS, [row(approving_districts="")]),
            ),
            (2, "approving_districts", "无审批地的事项不能受理"),
        ),
        "paper copies of an electronic licence": (
            dict(
                file_name="items.csv",
                materials_content=csv_bytes(MATERIAL_COLUMNS, [material(source="elicence", copies="2")]),
                content=csv_bytes(ITEM_COLUMNS, [row()]),
            ),
            (2, "copies", "电子证照"),
        ),
        "duplicated codes": (
            dict(
                file_name="items.csv", materials_content=good_materials, content=csv_bytes(ITEM_COLUMNS, [row(), row()])
            ),
            (3, "code", "编码 IMP-0001 重复：第 2 行"),
        ),
        "broken encoding": (
            dict(
                file_name="items.csv",
                materials_content=good_materials,
                content=csv_bytes(ITEM_COLUMNS, [row()]).decode().encode("gbk"),
            ),
            (2, "", "UTF-8"),
        ),
        "oversized file": (
            dict(
                file_name="items.csv",
                materials_content=good_materials,
                content=csv_bytes(ITEM_COLUMNS, [row()]) + b"#" * (importexport.MAX_IMPORT_BYTES + 10),
            ),
            (None, "", "MB"),
        ),
        "not really xlsx": (
            dict(file_name="c9.xlsx", content=b"PK\x03\x04 not really a zip"),
            (None, "", "无法打开该 XLSX 文件"),
        ),
        "a PDF renamed to .csv": (
            dict(file_name="items.csv", content=b"%PDF-1.4\n%binary", materials_content=good_materials),
            (None, "", "PDF"),
        ),
        "unknown material type and item type": (
            dict(
                file_name="c9.xlsx",
                content=xlsx_bytes(
                    [row("IMP-0001"), row("IMP-0002", item_type="许可"), row("IMP-0003")],
                    [material("IMP-0001"), material("IMP-0002"), material("IMP-0003", "NO_SUCH_TYPE")],
                ),
            ),
            (3, "item_type", "“许可”不允许"),
        ),
    }


def test_every_kind_of_bad_file_is_rejected_row_by_row_and_changes_nothing(before):
    from django.utils import translation

    for case, (upload, (row_number, column, words)) in bad_files().items():
        with translation.override("zh-hans"):
            job = catalogue_import_upload(actor=None, **upload)
        assert job.status == CatalogueImport.Status.INVALID, case
        matching = [e for e in job.errors if e["row"] == row_number and e["column"] == column]
        assert matching, (case, job.errors)
        assert any(words in e["message"] for e in matching), (case, matching)
    assert catalogue_fingerprint() == before  # not one row of the catalogue changed


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
    workbook = load_workbook(io.BytesIO(importexport.catalogue_export_xlsx(codes=["T-0001"])))
    assert workbook.sheetnames == ["items", "materials"]
    items = list(workbook["items"].iter_rows(values_only=True))
    assert list(items[0]) == ITEM_COLUMNS and items[1][0] == "T-0001"
    assert json.loads(str(items[1][ITEM_COLUMNS.index("fees")]))[0]["name"] == "工本费"
    csv_text = importexport.catalogue_export_csv(sheet="materials", codes=["T-0001"]).decode("utf-8-sig")
    assert csv_text.splitlines()[0].split(",")[:2] == ["item_code", "material_type"]
    assert connection.vendor in ("sqlite", "postgresql")
