"""The admin for maintainers: search, a draft -> publish action, published versions read-only, history with diffs."""

from __future__ import annotations

import pytest
from django.test import Client

from standards import services
from standards.models import CatalogueChange, ItemVersion
from tests.standards.conftest import FIELDS

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(std_admin) -> Client:
    std_admin.is_staff = True
    std_admin.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(std_admin)
    return client


def test_a_standards_admin_searches_versions_by_pinyin_initials(published_item, admin_client):
    page = admin_client.get("/admin/standards/itemversion/", {"q": "cssx"})  # 测试事项
    assert page.status_code == 200
    assert "T-0001" in page.content.decode()


def test_the_publish_action_publishes_a_draft_and_audits_it(published_item, admin_client, std_admin):
    draft = services.item_draft_create(actor=std_admin, item=published_item.item)
    response = admin_client.post(
        "/admin/standards/itemversion/", {"action": "publish_drafts", "_selected_action": [draft.pk]}, follow=True
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.status == ItemVersion.Status.PUBLISHED
    assert CatalogueChange.objects.filter(version=draft, action="publish", actor=std_admin).exists()
    history = admin_client.get(f"/admin/standards/itemversion/{draft.pk}/change/").content.decode()
    assert "v1 → v2" in history


def test_a_published_version_is_read_only_in_the_admin(published_item, admin_client):
    url = f"/admin/standards/itemversion/{published_item.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert 'name="_save"' not in page
    assert admin_client.post(url, {"name": "改名"}).status_code == 403
    assert ItemVersion.objects.get(pk=published_item.pk).name == published_item.name


def test_a_citizen_cannot_open_the_catalogue_admin(published_item, citizen):
    client = Client()
    client.force_login(citizen)
    assert client.get("/admin/standards/itemversion/").status_code == 302  # to the admin login


def test_reference_data_edited_in_the_admin_is_audited(admin_client, std_admin, material_types):
    from standards.models import MaterialType

    material = MaterialType.objects.get(code="ID_CARD")
    response = admin_client.post(
        f"/admin/standards/materialtype/{material.pk}/change/",
        {"code": "ID_CARD", "name": "居民身份证", "name_en": "Resident ID card", "elicence_name": "居民身份证电子证照"},
    )
    assert response.status_code == 302
    change = CatalogueChange.objects.get(action="reference")
    assert change.actor == std_admin and "name_en" in change.changes["fields"]
    assert admin_client.get("/admin/standards/serviceitem/add/").status_code == 403


def test_the_item_list_names_each_item_by_its_latest_version_in_statements_that_do_not_grow(
    published_item, admin_client, std_admin
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.item_draft_create(actor=std_admin, item=published_item.item)  # a draft's name is not listed
    admin_client.get("/admin/standards/serviceitem/")
    with CaptureQueriesContext(connection) as one:
        page = admin_client.get("/admin/standards/serviceitem/").content.decode()
    assert "测试事项" in page
    for n in range(5):
        services.item_create(actor=std_admin, code=f"T-01{n:02d}", fields=dict(FIELDS), materials=[])
    with CaptureQueriesContext(connection) as six:
        page = admin_client.get("/admin/standards/serviceitem/").content.decode()
    assert len(six) == len(one)  # not one statement per listed item
    assert "T-0104" in page
    searched = admin_client.get("/admin/standards/serviceitem/", {"q": "测试事项"}).content.decode()
    assert searched.count('href="/admin/standards/serviceitem/') >= 1
    assert searched.count(">T-0001<") == 1  # listed once though two of its versions match
