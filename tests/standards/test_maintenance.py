"""Catalogue maintenance beyond the admin: planned effective dates, same-day corrections with their reason, versions
compared side by side in full, and the import form's rules applied before a file is stored."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from standards import services
from standards.models import CatalogueChange, CatalogueImport, ItemVersion
from standards.selectors import item_version_in_force, today
from standards.text_diff import side_by_side

pytestmark = pytest.mark.django_db

LONG_BASIS = (
    "《中华人民共和国市场主体登记管理条例》第三十六条：市场主体应当将营业执照置于住所或者主要经营场所的醒目位置。"
)


def _published_today(published_item, std_admin, **fields) -> ItemVersion:
    draft = services.item_draft_create(actor=std_admin, item=published_item.item)
    services.item_draft_update(actor=std_admin, draft=draft, fields={"legal_basis_text": LONG_BASIS, **fields})
    return services.item_version_publish(actor=std_admin, draft=draft, effective_from=today())


def test_a_same_day_correction_needs_its_reason_then_replaces_the_version_from_that_day(published_item, std_admin):
    item = published_item.item
    first_fix = _published_today(published_item, std_admin)
    draft = services.item_draft_create(actor=std_admin, item=item)
    services.item_draft_update(actor=std_admin, draft=draft, fields={"promised_limit": 4})

    with pytest.raises(ValidationError) as error:
        services.item_version_publish(actor=std_admin, draft=draft, effective_from=today())
    assert "correction_reason" in error.value.message_dict
    assert ItemVersion.objects.get(pk=draft.pk).status == ItemVersion.Status.DRAFT

    services.item_version_publish(
        actor=std_admin, draft=draft, effective_from=today(), correction_reason="承诺时限录入错误"
    )
    corrected = ItemVersion.objects.get(pk=first_fix.pk)
    correction = ItemVersion.objects.get(pk=draft.pk)
    assert corrected.status == ItemVersion.Status.CORRECTED
    assert corrected.effective_from == corrected.effective_to == today()
    assert correction.status == ItemVersion.Status.PUBLISHED and correction.effective_from == today()
    assert correction.correction_reason == "承诺时限录入错误"
    in_force = item_version_in_force(item=item)
    assert in_force is not None and in_force.pk == correction.pk
    # The version before the first fix still ends the day before: no gap, no overlap.
    assert ItemVersion.objects.get(pk=published_item.pk).effective_to == today() - dt.timedelta(days=1)
    change = CatalogueChange.objects.filter(action=CatalogueChange.Action.PUBLISH, version=correction).get()
    assert "承诺时限录入错误" in change.summary
    assert change.changes["corrects"] == {"version": first_fix.number, "reason": "承诺时限录入错误"}


def test_a_version_in_force_since_an_earlier_day_cannot_be_corrected_in_the_past(published_item, std_admin):
    draft = services.item_draft_create(actor=std_admin, item=published_item.item)
    with pytest.raises(ValidationError) as error:
        services.item_version_publish(
            actor=std_admin, draft=draft, effective_from=dt.date(2025, 1, 1), correction_reason="改历史"
        )
    assert "effective_from" in error.value.message_dict
    assert ItemVersion.objects.get(pk=published_item.pk).status == ItemVersion.Status.PUBLISHED


def test_a_draft_carries_its_planned_date_and_reason_which_publishing_uses(published_item, std_admin):
    planned = today() + dt.timedelta(days=10)
    draft = services.item_draft_create(actor=std_admin, item=published_item.item)
    services.item_draft_update(actor=std_admin, draft=draft, fields={"effective_from": planned})
    change = CatalogueChange.objects.filter(action=CatalogueChange.Action.DRAFT_UPDATE, version=draft).get()
    assert [c["field"] for c in change.changes["fields"]] == ["effective_from"]
    version = services.item_version_publish(actor=std_admin, draft=draft)
    assert version.effective_from == planned
    assert version.correction_reason == ""  # a reason is kept only on a real same-day correction
    next_draft = services.item_draft_create(actor=std_admin, item=published_item.item)
    assert next_draft.effective_from is None  # the plan is not copied into the next draft


def test_side_by_side_marks_every_changed_character_and_escapes_the_rest():
    old, new = side_by_side("依据第三十六条<script>", "依据第三十七条<script>")
    assert old == "依据第三十<del>六</del>条&lt;script&gt;"
    assert new == "依据第三十<ins>七</ins>条&lt;script&gt;"
    old, new = side_by_side(["a"], ["a", "b"])
    assert "<ins>" in new and "<del>" not in old


def test_the_compare_page_shows_whole_texts_and_hides_drafts_from_the_public(client, published_item, std_admin):
    item = published_item.item
    _published_today(published_item, std_admin)
    draft = services.item_draft_create(actor=std_admin, item=item)
    services.item_draft_update(
        actor=std_admin, draft=draft, fields={"legal_basis_text": LONG_BASIS.replace("醒目位置", "显著位置")}
    )
    url = reverse("standards-item-diff", args=[item.code])

    page = client.get(url, {"from": 1, "to": 2})
    body = page.content.decode()
    assert page.status_code == 200
    assert "<ins>" + LONG_BASIS[-8:-1] in body or LONG_BASIS[20:60] in body  # the whole text, not 40 characters
    assert "…" not in body.split("std-text-diff")[1].split("</table>")[0]
    assert client.get(url, {"from": 2, "to": draft.number}).status_code == 404  # a draft is not public

    client.force_login(std_admin)
    page = client.get(url)  # by default: the version in force against the draft
    body = page.content.decode()
    assert page.status_code == 200
    assert "<del>醒目</del>" in body and "<ins>显著</ins>" in body


def test_the_item_page_links_the_side_by_side_comparison(client, published_item, std_admin):
    _published_today(published_item, std_admin)
    body = client.get(reverse("standards-item", args=[published_item.item.code])).content.decode()
    assert reverse("standards-item-diff", args=[published_item.item.code]) in body
    assert "std-text-diff" in body


def test_the_admin_draft_form_lets_a_maintainer_set_the_effective_date(client, published_item, std_admin):
    draft = services.item_draft_create(actor=std_admin, item=published_item.item)
    std_admin.is_staff = True
    std_admin.save()
    client.force_login(std_admin)
    page = client.get(reverse("admin:standards_itemversion_change", args=[draft.pk]))
    assert page.status_code == 200
    assert 'name="effective_from"' in page.content.decode()
    assert 'name="correction_reason"' in page.content.decode()


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"file": ("items.csv", b"code\n")}, "two files"),
        ({"file": ("c.xlsx", b"PK\x03\x04"), "materials_file": ("m.csv", b"x\n")}, "alone"),
    ],
)
def test_the_import_form_refuses_a_wrong_pair_of_files_before_storing_anything(client, std_admin, files, message):
    client.force_login(std_admin)
    data = {field: SimpleUploadedFile(name, content) for field, (name, content) in files.items()}
    with_english = {"django_language": "en"}
    client.cookies.load(with_english)
    page = client.post(reverse("standards-import"), data)
    assert page.status_code == 200
    assert message in page.content.decode()
    assert not CatalogueImport.objects.exists()


def test_the_import_page_states_its_rules_before_the_upload(client, std_admin):
    client.force_login(std_admin)
    client.cookies.load({"django_language": "en"})
    body = client.get(reverse("standards-import")).content.decode()
    assert body.index("import-rules") < body.index('id="import-form"')
    assert "effective_from" in body and "An items CSV alone is refused" in body
    assert "standards/import_form.js" in body


def test_the_api_publishes_a_same_day_correction_with_its_reason(published_item, std_admin):
    from rest_framework.test import APIClient

    code = published_item.item.code
    _published_today(published_item, std_admin)
    api = APIClient()
    api.force_authenticate(std_admin)
    assert api.post(f"/api/items/{code}/draft/").status_code == 201
    refused = api.post(f"/api/items/{code}/draft/publish/", {"effective_from": today().isoformat()}, format="json")
    assert refused.status_code == 400 and "correction_reason" in refused.json()["fields"]
    done = api.post(
        f"/api/items/{code}/draft/publish/",
        {"effective_from": today().isoformat(), "correction_reason": "错字"},
        format="json",
    )
    assert done.status_code == 200, done.json()
    assert done.json()["correction_reason"] == "错字" and done.json()["status"] == "published"
    listed = api.get(f"/api/items/{code}/versions/").json()
    statuses = {v["number"]: v["status"] for v in listed}
    assert statuses[2] == "corrected"
