"""Fixtures of the catalogue tests: the full standard catalogue (loaded once), a small hand-made item, users
(made by the shared tests/factories.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accounts.models import User
from standards import services
from standards.models import ItemVersion, ServiceItem
from tests import factories as f


def _catalogue_missing() -> bool:
    from seed.catalogue_data import ITEMS
    from standards.models import SearchSynonym

    return (
        ServiceItem.objects.filter(code__in=[row["code"] for row in ITEMS]).count() < len(ITEMS)
        or not SearchSynonym.objects.exists()
    )


@pytest.fixture(scope="session")
def _catalogue_once(django_db_setup, django_db_blocker):
    """Load the seed catalogue into the test database once (committed; tests roll back their own changes)."""
    from seed.catalogue import catalogue_load

    with django_db_blocker.unblock():
        if _catalogue_missing():
            catalogue_load()
    return True


@pytest.fixture
def catalogue(_catalogue_once, db):
    """The full catalogue. A transactional test elsewhere may have flushed it: then load it again."""
    from seed.catalogue import catalogue_load
    from standards.search import search_index

    if _catalogue_missing():
        catalogue_load()
    search_index.invalidate()
    return ServiceItem.objects


@pytest.fixture
def std_admin(db) -> User:
    """A standards administrator (no password: the tests sign in with force_login)."""
    return f.make_user(User.Role.STANDARDS_ADMIN)


@pytest.fixture
def citizen(db) -> User:
    return f.make_user(User.Role.CITIZEN)


FIELDS: dict[str, Any] = dict(
    name="测试事项营业执照遗失补领",
    name_en="Test item",
    item_type="licensing",
    sector="market",
    for_natural_person=False,
    for_legal_person=True,
    statutory_limit=20,
    promised_limit=5,
    handling_forms=["window", "online"],
    cross_province_mode="fully_online",
    fees=[{"name": "工本费", "standard": "10元"}],
)
MATERIALS: list[dict[str, Any]] = [
    {"material_type": "APPLICATION_FORM", "name": "申请表"},
    {"material_type": "BUSINESS_LICENCE", "name": "营业执照", "copies": 1},
    {"material_type": "LOSS_STATEMENT", "name": "遗失声明"},
]


@pytest.fixture
def material_types(db):
    from seed.catalogue_data import MATERIAL_TYPES
    from standards.models import MaterialType

    for code, name, name_en, elicence in MATERIAL_TYPES:
        MaterialType.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "elicence_name": elicence}
        )


@pytest.fixture
def published_item(material_types, std_admin):
    """An item 'T-0001' whose version 1 is in force since 2025-01-01."""
    draft = services.item_create(
        actor=std_admin, code="T-0001", fields=dict(FIELDS), materials=[dict(m) for m in MATERIALS]
    )
    services.item_version_publish(actor=std_admin, draft=draft, effective_from=dt.date(2025, 1, 1))
    from standards.departments import department_for
    from standards.districts import ENTERPRISE_WINDOW, ZONE_WINDOW, window_code
    from standards.models import District, ItemImplementation, ServiceWindow

    for code, approves in (("310101", False), ("340104", True)):
        district = District.objects.get(division_code=code)
        department = department_for(district=district, sector="market")
        ItemImplementation.objects.create(
            item=draft.item,
            district=district,
            department=department,
            window=ServiceWindow.objects.get(code=window_code(code, ENTERPRISE_WINDOW if approves else ZONE_WINDOW)),
            implementation_code=f"T-0001-{code}",
            can_accept=True,
            can_approve=approves,
        )
    return ItemVersion.objects.get(pk=draft.pk)
