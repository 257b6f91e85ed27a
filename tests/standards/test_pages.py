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


def test_a_revised_item_page_says_what_changed_since_the_previous_version(
    catalogue, client: Client, std_admin, django_capture_on_commit_callbacks
):
    from standards import services
    from standards.selectors import today

    version = ItemVersion.objects.filter(status="published", name="购房提取住房公积金").select_related("item").get()
    with django_capture_on_commit_callbacks(execute=True):
        draft = services.item_draft_create(actor=std_admin, item=version.item)
        services.item_draft_update(actor=std_admin, draft=draft, fields={"promised_limit": 5})
        services.item_version_publish(actor=std_admin, draft=draft, effective_from=today())
    html = client.get(f"/items/{version.item.code}/").content.decode()
    assert "第 1 版到第 2 版的变化" in html
    # The old and the new limit side by side, the new one marked.
    assert "承诺办结时限" in html and "std-text-diff" in html and "<ins>" in html


def test_unverified_values_show_as_such_on_the_item_page(catalogue, client: Client):
    version = ItemVersion.objects.filter(status="published", name="无犯罪记录证明开具").select_related("item").get()
    html = client.get(f"/items/{version.item.code}/").content.decode()
    assert 'id="unverified-note"' in html
    assert html.count("待核实") >= 3  # article, promised limit, acceptance conditions
    assert "推定" in html  # where the implementation rows come from
    assert "办理流程" in html and "办公时间" in html and "咨询电话" in html and "投诉电话" in html


def test_the_export_is_for_maintainers(catalogue, client: Client, citizen, std_admin):
    assert client.get("/items/export.csv", {"sheet": "items"}).status_code == 302  # to the login page
    client.force_login(citizen)
    assert client.get("/items/export.csv", {"sheet": "items"}).status_code == 403
    client.force_login(std_admin)
    response = client.get("/items/export.csv", {"sheet": "items"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("code,name,name_en") and len(lines) > 100
