"""The catalogue API: public reading, writing for standards administrators only, audited; a valid schema."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from standards.models import CatalogueChange, ItemVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def anonymous():
    return APIClient()


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_anyone_can_search_and_read_an_item_with_materials_and_implementations(catalogue, anonymous):
    response = anonymous.get("/api/items/", {"q": "yyzz"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] >= 1 and "营业执照" in body["results"][0]["name"]
    code = body["results"][0]["code"]
    detail = anonymous.get(f"/api/items/{code}/").json()
    assert detail["in_force"]["materials"][0]["material_type"]
    assert len(detail["implementations"]) == 9
    assert {i["district"] for i in detail["implementations"]} >= {"310101", "340104"}
    filtered = anonymous.get(
        "/api/items/", {"q": "公积金", "cross_province_mode": "fully_online", "page_size": 100}
    ).json()
    assert filtered["count"] > 0 and all(r["cross_province_mode"] == "fully_online" for r in filtered["results"])
    assert anonymous.get("/api/items/", {"item_type": "nonsense"}).status_code == 400


def test_districts_and_windows_are_public(anonymous):
    districts = anonymous.get("/api/districts/").json()
    assert [d["division_code"] for d in districts][:1] == ["310101"]
    huangpu = anonymous.get("/api/districts/310101/").json()
    assert any("九江路128号" in w["address"] for w in huangpu["windows"])


def test_versions_and_diffs_are_served(published_item, std_admin, anonymous):
    from standards import services

    code = published_item.item.code
    draft = services.item_draft_create(actor=std_admin, item=published_item.item)
    services.item_draft_update(actor=std_admin, draft=draft, fields={"promised_limit": 3})
    services.item_version_publish(actor=std_admin, draft=draft, effective_from=dt.date(2025, 7, 1))
    versions = anonymous.get(f"/api/items/{code}/versions/").json()
    assert [v["number"] for v in versions] == [2, 1]
    diff = anonymous.get(f"/api/items/{code}/diff/", {"from": 1, "to": 2}).json()
    assert diff["changed"] and diff["limits"][0]["field"] == "promised_limit"
    old = anonymous.get(f"/api/items/{code}/versions/1/").json()
    assert old["status"] == "superseded" and old["effective_to"] == "2025-06-30"


def test_a_citizen_and_an_anonymous_visitor_cannot_write(published_item, citizen, anonymous):
    code = published_item.item.code
    assert anonymous.post(f"/api/items/{code}/draft/").status_code in (401, 403)
    citizen_client = client_for(citizen)
    assert citizen_client.post(f"/api/items/{code}/draft/").status_code == 403
    assert citizen_client.post("/api/items/", {"code": "X-1"}, format="json").status_code == 403
    assert citizen_client.post(f"/api/items/{code}/draft/publish/", {}, format="json").status_code == 403
    assert citizen_client.get(f"/api/items/{code}/changes/").status_code == 403
    assert not ItemVersion.objects.filter(item__code=code, status="draft").exists()


def test_a_standards_admin_drafts_edits_and_publishes_and_each_step_is_audited(published_item, std_admin):
    client = client_for(std_admin)
    code = published_item.item.code
    created = client.post(f"/api/items/{code}/draft/")
    assert created.status_code == 201 and created.json()["number"] == 2
    too_long = client.patch(f"/api/items/{code}/draft/", {"promised_limit": 99}, format="json")
    assert too_long.status_code == 400 and "promised_limit" in too_long.json()["fields"]
    edited = client.patch(
        f"/api/items/{code}/draft/",
        {
            "promised_limit": 2,
            "materials": [
                {"material_type": "APPLICATION_FORM", "name": "申请表"},
                {"material_type": "BUSINESS_LICENCE", "name": "营业执照"},
            ],
        },
        format="json",
    )
    assert edited.status_code == 200, edited.content
    assert [m["material_type"] for m in edited.json()["materials"]] == ["APPLICATION_FORM", "BUSINESS_LICENCE"]
    published = client.post(f"/api/items/{code}/draft/publish/", {"effective_from": "2026-06-01"}, format="json")
    assert published.status_code == 200 and published.json()["status"] == "published"
    diff = client.get(f"/api/items/{code}/diff/", {"from": 1, "to": 2}).json()
    assert [m["material_type"] for m in diff["materials"]["removed"]] == ["LOSS_STATEMENT"]
    changes = client.get(f"/api/items/{code}/changes/").json()["results"]
    assert [c["action"] for c in changes][:3] == ["publish", "draft_update", "draft_create"]
    assert all(c["actor"] == std_admin.username for c in changes)
    assert CatalogueChange.objects.filter(item__code=code, actor=std_admin, action="publish").count() == 2


def test_a_standards_admin_creates_a_new_item_as_a_draft(material_types, std_admin):
    client = client_for(std_admin)
    response = client.post(
        "/api/items/",
        {
            "code": "C9-NEW-1",
            "name": "长三角测试新事项",
            "item_type": "public_service",
            "sector": "other",
            "statutory_limit": 10,
            "promised_limit": 3,
            "materials": [{"material_type": "ID_CARD", "name": "居民身份证"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "draft"
    assert CatalogueChange.objects.filter(item__code="C9-NEW-1", action="item_create", actor=std_admin).exists()


def test_the_openapi_schema_validates():
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_a_standards_admin_sets_where_an_item_is_accepted_and_approved(published_item, std_admin, citizen):
    code = published_item.item.code
    body = {"accepting": ["310101", "330102", "340104"], "approving": ["340104"]}
    assert client_for(citizen).put(f"/api/items/{code}/implementations/", body, format="json").status_code == 403
    response = client_for(std_admin).put(f"/api/items/{code}/implementations/", body, format="json")
    assert response.status_code == 200, response.content
    rows = {r["district"]: (r["can_accept"], r["can_approve"], r["active"]) for r in response.json()}
    assert rows == {"310101": (True, False, True), "330102": (True, False, True), "340104": (True, True, True)}
    change = CatalogueChange.objects.get(item__code=code, action="implementation")
    assert change.actor == std_admin and change.changes["added"] == ["330102"]
    unknown = client_for(std_admin).put(
        f"/api/items/{code}/implementations/", {"accepting": ["320602"], "approving": []}, format="json"
    )
    assert unknown.status_code == 400


def test_a_search_answer_follows_a_publish_at_once(catalogue, std_admin, anonymous, django_capture_on_commit_callbacks):
    assert anonymous.get("/api/items/", {"q": "营业执照遗失补领"}).json()["results"][0]["name"] == "营业执照遗失补领"
    assert anonymous.get("/api/items/", {"q": "营业执照遗失网上补领"}).json()["count"] == 0
    code = anonymous.get("/api/items/", {"q": "营业执照遗失补领"}).json()["results"][0]["code"]
    admin = client_for(std_admin)
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(f"/api/items/{code}/draft/")
        admin.patch(f"/api/items/{code}/draft/", {"name": "营业执照遗失网上补领"}, format="json")
        admin.post(f"/api/items/{code}/draft/publish/", {}, format="json")
    found = anonymous.get("/api/items/", {"q": "营业执照遗失网上补领"}).json()
    assert found["count"] == 1 and found["results"][0]["version"] == 2


def test_a_refused_write_answers_the_one_error_shape(published_item, std_admin):
    client = client_for(std_admin)
    code = published_item.item.code
    no_draft = client.get(f"/api/items/{code}/draft/")
    assert no_draft.status_code == 404 and no_draft.json()["code"] == "not_found"
    nothing_to_publish = client.post(f"/api/items/{code}/draft/publish/", {}, format="json")
    assert nothing_to_publish.status_code == 400
    assert nothing_to_publish.json() == {
        "code": "no_draft",
        "detail": "This item has no draft to publish.",
        "fields": {},
    }
    assert client.post(f"/api/items/{code}/draft/").status_code == 201
    twice = client.post(f"/api/items/{code}/draft/")  # the service refuses a second draft
    assert twice.status_code == 400
    assert set(twice.json()) == {"code", "detail", "fields"} and twice.json()["code"] == "invalid"
    assert twice.json()["detail"] == "该事项已有草稿：请先编辑或放弃该草稿。"  # Chinese unless English is chosen
    too_early = client.post(f"/api/items/{code}/draft/publish/", {"effective_from": "2024-01-01"}, format="json")
    assert too_early.status_code == 400 and "effective_from" in too_early.json()["fields"]
