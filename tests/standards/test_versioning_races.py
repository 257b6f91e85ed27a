"""Two maintainers at once (PostgreSQL row locks): one draft per item, one publish of it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from standards import services
from standards.models import ItemVersion
from tests.races import run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif("postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="row locks need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def test_two_maintainers_starting_a_draft_at_once_get_one_draft(published_item, std_admin):
    item = published_item.item
    outcomes = run_together(
        lambda: services.item_draft_create(actor=std_admin, item=item),
        lambda: services.item_draft_create(actor=std_admin, item=item),
        expected=(ValidationError,),
    )
    assert sum(isinstance(o, ItemVersion) for o in outcomes) == 1
    assert sum(isinstance(o, ValidationError) for o in outcomes) == 1
    assert ItemVersion.objects.filter(item=item, status="draft").count() == 1


def test_a_draft_published_twice_at_once_is_published_once(published_item, std_admin):
    draft = services.item_draft_create(actor=std_admin, item=published_item.item)
    outcomes = run_together(
        lambda: services.item_version_publish(actor=std_admin, draft=draft, effective_from=dt.date(2026, 5, 1)),
        lambda: services.item_version_publish(actor=std_admin, draft=draft, effective_from=dt.date(2026, 6, 1)),
        expected=(ValidationError,),
    )
    assert sum(isinstance(o, ItemVersion) for o in outcomes) == 1
    assert sum(isinstance(o, ValidationError) for o in outcomes) == 1
    versions = list(ItemVersion.objects.filter(item=published_item.item).order_by("number"))
    assert [v.status for v in versions] == ["superseded", "published"]
    assert versions[1].effective_from is not None
    assert versions[0].effective_to == versions[1].effective_from - dt.timedelta(days=1)
