"""A clean import applied by a real Celery worker, with progress the maintainer's page can poll.

Runs last among the catalogue tests: it is transactional and so empties the database afterwards.
"""

from __future__ import annotations

import time

import pytest
from django.test import Client

from standards.importexport import ITEM_COLUMNS, MATERIAL_COLUMNS, catalogue_import_queue, catalogue_import_upload
from standards.models import CatalogueChange, CatalogueImport, ItemVersion

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_worker_applies_a_checked_import_and_reports_progress(live_stack, material_types, std_admin):
    from tests.standards.test_import import csv_bytes, material, row

    codes = [f"W-{n:04d}" for n in range(45)]
    job = catalogue_import_upload(
        actor=std_admin,
        file_name="items.csv",
        content=csv_bytes(ITEM_COLUMNS, [row(code, name=f"联办测试事项{code}") for code in codes]),
        materials_content=csv_bytes(MATERIAL_COLUMNS, [material(code) for code in codes]),
    )
    assert job.status == CatalogueImport.Status.READY, job.errors
    assert catalogue_import_queue(actor=std_admin, job=job)
    assert not catalogue_import_queue(actor=std_admin, job=job)  # a second click queues nothing
    client = Client()
    client.force_login(std_admin)
    deadline = time.monotonic() + 90
    progress = {}
    while time.monotonic() < deadline:
        progress = client.get(f"/items/import/{job.pk}/progress/").json()
        if progress["finished"]:
            break
        time.sleep(0.3)
    assert progress["status"] == "done", progress
    assert progress["percent"] == 100
    assert ItemVersion.objects.filter(item__code__in=codes, status="published").count() == 45
    assert CatalogueChange.objects.filter(action="import", actor=std_admin).exists()


@pytest.mark.browser
def test_a_citizen_finds_an_item_by_pinyin_and_reads_its_materials(live_stack, browser, published_item):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live_stack.url("/items/"))
    box = page.get_by_role("combobox", name="搜索事项")  # the search box, with suggestions while typing
    box.press_sequentially("yyzz", delay=50)
    suggestion = page.get_by_role("listbox").get_by_role("option").first
    suggestion.wait_for()
    assert "测试事项营业执照遗失补领" in suggestion.inner_text()
    page.get_by_role("button", name="搜索").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="测试事项营业执照遗失补领").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "测试事项营业执照遗失补领"
    assert page.locator("#materials tbody tr").count() == 3
    districts = page.locator("#implementations").inner_text()
    assert "黄浦区" in districts and "蜀山区" in districts and "流转审批地" in districts
    page.close()
