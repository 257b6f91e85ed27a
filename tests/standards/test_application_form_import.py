"""The importer carries an item version's application form (a JSON list in its column) and refuses a malformed one
before anything is written."""

from __future__ import annotations

import json

import pytest

from standards.importexport import catalogue_import_apply
from standards.models import CatalogueImport, ItemVersion
from tests.standards.test_import import catalogue_fingerprint, material, row, upload_csv

pytestmark = pytest.mark.django_db

FORM = [
    {"key": "name", "label": "姓名", "label_en": "Name", "kind": "text", "required": True},
    {"key": "phone", "label": "联系电话", "kind": "phone"},
]


def test_a_form_in_the_file_becomes_the_versions_form(published_item, material_types, std_admin) -> None:
    items = [row("IMP-0101", application_form=json.dumps(FORM, ensure_ascii=False), application_form_source="待核实")]
    job = upload_csv(items, [material("IMP-0101")])
    assert job.status == CatalogueImport.Status.READY, job.errors
    catalogue_import_apply(job=job, actor=std_admin)
    version = ItemVersion.objects.get(item__code="IMP-0101", status="published")
    assert version.application_form == FORM and version.application_form_source == "待核实"


def test_a_malformed_form_is_refused_with_the_row_and_nothing_changes(published_item, material_types) -> None:
    before = catalogue_fingerprint()
    bad = [{"key": "name", "label": "姓名", "kind": "colour"}]
    job = upload_csv([row("IMP-0102", application_form=json.dumps(bad))], [material("IMP-0102")])
    assert job.status == CatalogueImport.Status.INVALID
    assert any(e["column"] == "application_form" and e["row"] == 2 for e in job.errors), job.errors
    assert catalogue_fingerprint() == before
