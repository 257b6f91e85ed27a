"""Values kept per catalogue generation (standards.generation): read once, read again when the catalogue changes,
whichever process changed it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from standards import generation, services
from standards.models import ItemImplementation, ItemVersion
from standards.search import catalogue_search
from standards.selectors import catalogue_counts, departments_with_items

if TYPE_CHECKING:
    from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

pytestmark = pytest.mark.django_db


def test_the_counts_are_read_once_per_generation(published_item: ItemVersion) -> None:
    first = catalogue_counts()
    assert first["items"] == ItemVersion.objects.filter(status=ItemVersion.Status.PUBLISHED).count()
    with CaptureQueriesContext(connection) as again:
        assert catalogue_counts() == first
        assert departments_with_items() == departments_with_items()
    assert len(again) == 1  # the departments' first read; the counts came from memory, no fingerprint yet


def test_an_implementation_stopped_elsewhere_is_seen_once_the_check_interval_passed(
    published_item: ItemVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process stops a district's implementation: the number of rows and the newest row stay the same, the
    audited change moves the fingerprint (it did not before: the search and the counts kept the old districts)."""
    before = catalogue_counts()["implementations"]
    item = published_item.item_id
    assert item in [hit.entry.item_id for hit in catalogue_search(query="", district="310101")]
    # Written as another process would: this process's commit hook (which rechecks at once) does not run.
    services.item_implementations_set(actor=None, item=published_item.item, accepting=["340104"], approving=["340104"])
    assert ItemImplementation.objects.filter(item=published_item.item).count() == 2
    assert catalogue_counts()["implementations"] == before  # within the check interval: kept
    monkeypatch.setattr(generation, "CHECK_INTERVAL", 0.0)  # the interval has passed: the next read compares
    assert catalogue_counts()["implementations"] == before - 1
    assert item not in [hit.entry.item_id for hit in catalogue_search(query="", district="310101")]


def test_a_write_in_this_process_is_seen_at_its_commit(
    published_item: ItemVersion, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    before = catalogue_counts()["implementations"]
    with django_capture_on_commit_callbacks(execute=True):
        services.item_implementations_set(
            actor=None, item=published_item.item, accepting=["340104"], approving=["340104"]
        )
    assert catalogue_counts()["implementations"] == before - 1
