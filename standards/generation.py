"""The catalogue's generation in this process: a number that moves when the catalogue in force changes.

Values derived from the whole catalogue (the search index, the home page's counts) are kept per generation
instead of being read again on every request. The generation is compared with the database through a cheap
fingerprint at most every CHECK_INTERVAL seconds; a write in this process rechecks at its commit
(`catalogue_changed`), other processes notice within CHECK_INTERVAL seconds, and the day is part of the
fingerprint (versions with a future effective date come into force at midnight).

The fingerprint reads the newest audited catalogue change (every write through the services, the admin and the
import is audited in its own transaction, implementations included), and the counts and newest rows of the
versions and implementations (the seed loader writes without an audit row).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.db.models import Count, Max
from django.utils import timezone

from standards.models import CatalogueChange, ItemImplementation, ItemVersion

CHECK_INTERVAL = 2.0  # seconds between fingerprint checks

T = TypeVar("T")


def catalogue_fingerprint() -> tuple[Any, ...]:
    versions = ItemVersion.objects.exclude(status=ItemVersion.Status.DRAFT).aggregate(
        n=Count("id"), last=Max("published_at"), top=Max("id")
    )
    implementations = ItemImplementation.objects.aggregate(n=Count("id"), top=Max("id"))
    change = CatalogueChange.objects.aggregate(top=Max("id"))["top"]
    return (
        timezone.localdate(),
        versions["n"],
        versions["last"],
        versions["top"],
        implementations["n"],
        implementations["top"],
        change,
    )


class CatalogueWatch:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fingerprint: tuple[Any, ...] | None = None
        self._checked_at = 0.0
        self._generation = 0

    def recheck(self) -> None:
        """Compare the fingerprint on the next read (the generation moves only if the catalogue changed)."""
        self._checked_at = 0.0

    def current(self) -> int:
        if self._fingerprint is not None and time.monotonic() - self._checked_at < CHECK_INTERVAL:
            return self._generation
        with self._lock:
            if self._fingerprint is None or time.monotonic() - self._checked_at >= CHECK_INTERVAL:
                fingerprint = catalogue_fingerprint()
                if fingerprint != self._fingerprint:
                    self._fingerprint = fingerprint
                    self._generation += 1
                self._checked_at = time.monotonic()
            return self._generation


catalogue_watch = CatalogueWatch()


def catalogue_changed() -> None:
    """A catalogue write committed in this process: the next read compares the fingerprint."""
    catalogue_watch.recheck()


def per_catalogue(function: Callable[..., T]) -> Callable[..., T]:
    """Keep a selector's result per catalogue generation and keyword arguments (callers must not change it)."""
    kept: dict[tuple[Any, ...], T] = {}
    lock = threading.Lock()

    @wraps(function)
    def wrapper(**kwargs: Any) -> T:
        generation = catalogue_watch.current()
        key = (generation, *sorted(kwargs.items()))
        try:
            return kept[key]
        except KeyError:
            pass
        value = function(**kwargs)
        with lock:
            if any(old[0] != generation for old in kept):
                kept.clear()
            kept[key] = value
        return value

    return wrapper
