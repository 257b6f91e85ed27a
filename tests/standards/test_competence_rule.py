"""The competent approving district's rule is part of an item version's standard: in the API, the import/export
columns and the seed catalogue."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from standards import importexport
from standards.importexport import ITEM_COLUMNS, catalogue_import_upload
from standards.models import CatalogueImport, ItemVersion
from tests.standards.test_import import csv_bytes, material, row, upload_csv

pytestmark = pytest.mark.django_db


def test_the_api_shows_and_a_standards_admin_edits_the_rule(published_item, std_admin):
    code = published_item.item.code
    shown = APIClient().get(f"/api/items/{code}/").json()["in_force"]
    assert shown["competent_district_rule"] == "applicant_choice"
    client = APIClient()
    client.force_authenticate(std_admin)
    client.post(f"/api/items/{code}/draft/")
    bad = client.patch(f"/api/items/{code}/draft/", {"competent_district_rule": "first_listed"}, format="json")
    assert bad.status_code == 400 and "competent_district_rule" in bad.json()["fields"]
    edited = client.patch(f"/api/items/{code}/draft/", {"competent_district_rule": "household"}, format="json")
    assert edited.status_code == 200 and edited.json()["competent_district_rule"] == "household"


def test_the_export_has_the_rule_and_an_import_sets_or_refuses_it(published_item, material_types):
    workbook = load_workbook(io.BytesIO(importexport.catalogue_export_xlsx(codes=[published_item.item.code])))
    header = [c.value for c in workbook["items"][1]]
    assert "competent_district_rule" in header
    assert workbook["items"].cell(row=2, column=header.index("competent_district_rule") + 1).value == (
        "applicant_choice"
    )
    job = upload_csv([row("IMP-0001", competent_district_rule="social_insurance")], [material("IMP-0001")])
    assert job.status == CatalogueImport.Status.READY, job.errors
    wrong = catalogue_import_upload(
        actor=None,
        file_name="items.csv",
        content=csv_bytes(ITEM_COLUMNS, [row("IMP-0002", competent_district_rule="first_listed")]),
        materials_content=csv_bytes(importexport.MATERIAL_COLUMNS, [material("IMP-0002")]),
    )
    assert wrong.status == CatalogueImport.Status.INVALID
    assert any(e["column"] == "competent_district_rule" for e in wrong.errors)
    # An empty cell takes the default: the applicant's choice.
    assert upload_csv([row("IMP-0003")], [material("IMP-0003")]).status == CatalogueImport.Status.READY


def test_the_seed_catalogue_names_a_rule_by_the_kind_of_item(catalogue):
    published = ItemVersion.objects.filter(status="published")
    assert (
        not published.filter(for_legal_person=True, for_natural_person=False)
        .exclude(competent_district_rule="registered")
        .exists()
    )
    insured = published.filter(for_legal_person=False, sector__in=["hr_social", "medical_insurance", "housing_fund"])
    assert insured.exists() and not insured.exclude(competent_district_rule="social_insurance").exists()
    household = published.filter(for_legal_person=False, sector="public_security")
    assert household.exists() and not household.exclude(competent_district_rule="household").exists()
    assert published.filter(competent_district_rule="applicant_choice").exists()
