"""Drafts, publishing without overlap, immutability, diffs and the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from standards import services
from standards.models import CatalogueChange, ItemMaterial, ItemVersion, ServiceItem
from standards.selectors import item_version_in_force, version_diff

pytestmark = pytest.mark.django_db


def number_in_force(item: ServiceItem, on: dt.date) -> int | None:
    version = item_version_in_force(item=item, on=on)
    return version.number if version is not None else None


def test_it_starts_a_draft_as_a_copy_of_the_version_in_force(published_item, std_admin):
    draft = services.item_draft_create(actor=std_admin, item=published_item.item)
    assert draft.number == 2 and draft.status == ItemVersion.Status.DRAFT
    assert draft.name == published_item.name and draft.fees == published_item.fees
    copied = list(draft.materials.values_list("material_type__code", "copies"))
    assert copied == list(published_item.materials.values_list("material_type__code", "copies"))
    with pytest.raises(ValidationError):
        services.item_draft_create(actor=std_admin, item=published_item.item)  # one draft at a time


def test_publishing_ends_the_previous_version_the_day_before_with_no_overlap(published_item, std_admin):
    item = published_item.item
    draft = services.item_draft_create(actor=std_admin, item=item)
    services.item_draft_update(actor=std_admin, draft=draft, fields={"promised_limit": 3})
    services.item_version_publish(actor=std_admin, draft=draft, effective_from=dt.date(2026, 3, 1))
    old = ItemVersion.objects.get(pk=published_item.pk)
    new = ItemVersion.objects.get(pk=draft.pk)
    assert old.status == ItemVersion.Status.SUPERSEDED
    assert old.effective_to == dt.date(2026, 2, 28)
    assert new.status == ItemVersion.Status.PUBLISHED and new.effective_from == dt.date(2026, 3, 1)
    assert new.effective_to is None
    assert number_in_force(item, dt.date(2026, 2, 28)) == 1
    assert number_in_force(item, dt.date(2026, 3, 1)) == 2
    assert item_version_in_force(item=item, on=dt.date(2024, 12, 31)) is None


def test_it_refuses_an_effective_date_that_would_rewrite_history(published_item, std_admin):
    draft = services.item_draft_create(actor=std_admin, item=published_item.item)
    with pytest.raises(ValidationError) as error:
        services.item_version_publish(actor=std_admin, draft=draft, effective_from=dt.date(2025, 1, 1))
    assert "effective_from" in error.value.message_dict
    assert ItemVersion.objects.get(pk=draft.pk).status == ItemVersion.Status.DRAFT


def test_a_published_version_cannot_change_in_the_service_the_model_or_its_materials(published_item, std_admin):
    with pytest.raises(ValidationError):
        services.item_draft_update(actor=std_admin, draft=published_item, fields={"name": "改名"})
    published_item.name = "改名"
    with pytest.raises(ValidationError):
        published_item.save()
    material = published_item.materials.first()
    material.copies = 5
    with pytest.raises(ValidationError):
        material.save()
    with pytest.raises(ValidationError):
        material.delete()
    with pytest.raises(ValidationError):
        ItemVersion.objects.get(pk=published_item.pk).delete()
    assert ItemVersion.objects.get(pk=published_item.pk).name != "改名"


def test_promised_limit_above_statutory_is_refused_everywhere(published_item, std_admin):
    draft = services.item_draft_create(actor=std_admin, item=published_item.item)
    with pytest.raises(ValidationError) as error:
        services.item_draft_update(actor=std_admin, draft=draft, fields={"promised_limit": 30})
    assert "promised_limit" in error.value.message_dict
    draft.refresh_from_db()
    draft.promised_limit = 21
    with pytest.raises(ValidationError):
        draft.save()
    assert ItemVersion.objects.get(pk=draft.pk).promised_limit == 5


def test_the_diff_lists_changed_limits_fees_fields_and_materials_by_type(published_item, std_admin):
    draft = services.item_draft_create(actor=std_admin, item=published_item.item)
    materials: list[dict[str, Any]] = [
        {"material_type": "APPLICATION_FORM", "name": "申请表"},
        {"material_type": "BUSINESS_LICENCE", "name": "营业执照", "copies": 0},  # changed
        {"material_type": "COMMITMENT", "name": "告知承诺书"},  # added; LOSS_STATEMENT removed
    ]
    services.item_draft_update(
        actor=std_admin,
        draft=draft,
        fields={"promised_limit": 2, "fees": [], "topic": "企业开办"},
        materials=materials,
    )
    diff = version_diff(published_item, ItemVersion.objects.get(pk=draft.pk))
    assert diff["changed"]
    assert [c["field"] for c in diff["limits"]] == ["promised_limit"]
    assert diff["limits"][0]["from"] == 5 and diff["limits"][0]["to"] == 2
    assert diff["fees"] == {"from": [{"name": "工本费", "standard": "10元"}], "to": []}
    assert [c["field"] for c in diff["fields"]] == ["topic"]
    assert [m["material_type"] for m in diff["materials"]["added"]] == ["COMMITMENT"]
    assert [m["material_type"] for m in diff["materials"]["removed"]] == ["LOSS_STATEMENT"]
    changed = diff["materials"]["changed"]
    assert [m["material_type"] for m in changed] == ["BUSINESS_LICENCE"]
    assert changed[0]["changes"][0]["field"] == "copies"
    assert not version_diff(published_item, published_item)["changed"]


def test_every_write_is_audited_with_who_and_what(published_item, std_admin):
    item = published_item.item
    draft = services.item_draft_create(actor=std_admin, item=item)
    services.item_draft_update(actor=std_admin, draft=draft, fields={"statutory_limit": 15})
    services.item_version_publish(actor=std_admin, draft=draft, effective_from=dt.date(2026, 1, 5))
    actions = list(CatalogueChange.objects.filter(item=item).order_by("id").values_list("action", "actor__username"))
    assert actions == [
        ("item_create", std_admin.username),
        ("publish", std_admin.username),
        ("draft_create", std_admin.username),
        ("draft_update", std_admin.username),
        ("publish", std_admin.username),
    ]
    update = CatalogueChange.objects.get(item=item, action="draft_update")
    assert update.changes["fields"][0]["field"] == "statutory_limit"
    assert update.changes["fields"][0]["from"] == 20 and update.changes["fields"][0]["to"] == 15
    publish = CatalogueChange.objects.filter(item=item, action="publish").latest("id")
    assert publish.changes["limits"][0]["field"] == "statutory_limit"


def test_a_conditional_material_needs_its_condition(published_item, std_admin):
    draft = services.item_draft_create(actor=std_admin, item=published_item.item)
    with pytest.raises(ValidationError):
        services.item_draft_update(
            actor=std_admin,
            draft=draft,
            fields={},
            materials=[
                {
                    "material_type": "AGENT_AUTH",
                    "name": "授权委托书",
                    "requirement": ItemMaterial.Requirement.CONDITIONAL,
                }
            ],
        )


def test_an_item_created_published_and_implemented_through_the_services_is_in_force_here_and_there(
    material_types, std_admin
):
    draft = services.item_create(
        actor=std_admin,
        code="T-SERVICES-1",
        fields={
            "name": "异地就医登记备案（测试）",
            "name_en": "Test item",
            "item_type": "public_service",
            "sector": "medical_insurance",
            "statutory_limit": 10,
            "promised_limit": 5,
            "handling_forms": ["window", "online", "assisted"],
            "cross_province_mode": "accept_on_behalf",
        },
        materials=[{"material_type": m} for m in ("APPLICATION_FORM", "ID_CARD", "SOCIAL_SECURITY_CARD")],
    )
    services.item_version_publish(actor=std_admin, draft=draft, effective_from=dt.date(2024, 1, 1))
    services.item_implementations_set(
        actor=std_admin, item=draft.item, accepting=["310101", "340104"], approving=["340104"]
    )
    version = ItemVersion.objects.select_related("item").get(pk=draft.pk)
    assert version.status == ItemVersion.Status.PUBLISHED
    assert item_version_in_force(version.item) == version
    flags = {i.district.division_code: (i.can_accept, i.can_approve) for i in version.item.implementations.all()}
    assert flags == {"310101": (True, False), "340104": (True, True)}
    assert version.materials.count() == 3
