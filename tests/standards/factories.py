"""A small factory for tests: a published item with materials and implementations, in one call.

    from tests.standards.factories import published_item_make
    version = published_item_make(code="T-CASE-1", accepting=["310101"], approving=["340104"])

Goes through the services (so versions, audit rows and the search index behave as in production).
Materials are created on the draft, before publishing: a published version's materials never change.
"""

from __future__ import annotations

import datetime as dt

from seed.catalogue_data import MATERIAL_TYPES
from standards import services
from standards.models import ItemVersion, MaterialType


def material_types_ensure() -> None:
    existing = set(MaterialType.objects.values_list("code", flat=True))
    MaterialType.objects.bulk_create(
        [
            MaterialType(code=code, name=name, name_en=name_en, elicence_name=elicence)
            for code, name, name_en, elicence in MATERIAL_TYPES
            if code not in existing
        ]
    )


def published_item_make(
    *,
    code: str,
    name: str = "异地就医登记备案（测试）",
    accepting: list[str] | None = None,
    approving: list[str] | None = None,
    materials: list[str] | None = None,
    effective_from: dt.date = dt.date(2024, 1, 1),
    actor=None,
    **fields,
) -> ItemVersion:
    """A published item in force since `effective_from`, accepted and approved where asked (default: 黄浦 / 蜀山)."""
    material_types_ensure()
    values = {
        "name": name,
        "name_en": "Test item",
        "item_type": "public_service",
        "sector": "medical_insurance",
        "statutory_limit": 10,
        "promised_limit": 5,
        "handling_forms": ["window", "online", "assisted"],
        "cross_province_mode": "accept_on_behalf",
        **fields,
    }
    draft = services.item_create(
        actor=actor,
        code=code,
        fields=values,
        materials=[
            {"material_type": m} for m in (materials or ["APPLICATION_FORM", "ID_CARD", "SOCIAL_SECURITY_CARD"])
        ],
    )
    services.item_version_publish(actor=actor, draft=draft, effective_from=effective_from)
    services.item_implementations_set(
        actor=actor,
        item=draft.item,
        accepting=accepting if accepting is not None else ["310101", "340104"],
        approving=approving if approving is not None else ["340104"],
    )
    return ItemVersion.objects.select_related("item").get(pk=draft.pk)
