"""The portal pages: search with filters, an item's page in Chinese, maintainers' import pages."""

from __future__ import annotations

import pytest
from django.test import Client

from standards.models import ItemVersion

pytestmark = pytest.mark.django_db


def test_the_search_page_finds_items_and_keeps_the_filters(catalogue, client: Client):
    page = client.get("/items/", {"q": "gjj", "district": "310101"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "公积金" in html and "事项目录" in html
    assert 'value="310101" selected' in html
    assert "共找到" in html


def test_the_item_page_shows_the_version_in_force_with_materials_and_districts(catalogue, client: Client):
    version = ItemVersion.objects.filter(status="published", name="购房提取住房公积金").select_related("item").get()
    page = client.get(f"/items/{version.item.code}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "购房提取住房公积金" in html
    for material in version.materials.all():
        assert material.name in html
    assert html.count("可受理") == 9  # every district accepts
    assert "常见问题" in html and "承诺办结时限" in html
    assert client.get("/items/NO-SUCH-CODE/").status_code == 404


def test_the_import_pages_are_for_standards_administrators_only(client: Client, citizen, std_admin):
    client.force_login(citizen)
    assert client.get("/items/import/").status_code == 403
    client.force_login(std_admin)
    assert client.get("/items/import/").status_code == 200
    bad = client.post("/items/import/", {"file": _upload("broken.xlsx", b"PK\x03\x04broken")})
    assert bad.status_code == 302
    detail = client.get(bad["Location"]).content.decode()
    assert "无法打开该 XLSX 文件" in detail


def _upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_a_revised_item_page_says_what_changed_since_the_previous_version(catalogue, client: Client):
    version = ItemVersion.objects.filter(status="published", number=2).select_related("item").first()
    assert version is not None
    html = client.get(f"/items/{version.item.code}/").content.decode()
    assert "第 1 版到第 2 版的变化" in html
    assert "承诺办结时限" in html and "→" in html


def test_the_export_is_for_maintainers(catalogue, client: Client, citizen, std_admin):
    assert client.get("/items/export.csv", {"sheet": "items"}).status_code == 302  # to the login page
    client.force_login(citizen)
    assert client.get("/items/export.csv", {"sheet": "items"}).status_code == 403
    client.force_login(std_admin)
    response = client.get("/items/export.csv", {"sheet": "items"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("code,name,name_en") and len(lines) > 3000
