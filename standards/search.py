"""Catalogue search: an in-memory index of the versions in force.

Why in memory: 3000 rows fit easily, and neither SQLite FTS5 (a run of Chinese characters
is one token; trigrams miss two-character words) nor PostgreSQL pg_trgm (drops non-ASCII
in the C locale) finds "公积金" inside a name. Plain substring matching in Python gives the
same answers on both databases and takes a few milliseconds (bench/search_bench.py).

The index is built lazily once per process and rebuilt when the catalogue changes: a
publish in this process invalidates it at commit; other processes notice within
CHECK_INTERVAL seconds through a cheap fingerprint query (and at midnight, when
versions with a future effective date come into force).
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_right
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max

from standards.models import ItemImplementation, ItemMaterial, ItemVersion
from standards.selectors import in_force_q, today
from standards.text import normalise, pinyin_initials
from standards.vocabulary import ServiceObject

CHECK_INTERVAL = 2.0  # seconds between fingerprint checks
CACHE_SIZE = 256  # recent (query, filters) results kept per index generation

RANK_EXACT, RANK_PREFIX, RANK_SUBSTRING, RANK_GUIDE = 0, 1, 2, 3
RANK_LABELS = {RANK_EXACT: "exact", RANK_PREFIX: "prefix", RANK_SUBSTRING: "substring", RANK_GUIDE: "guide"}

FILTERS = (
    "district",
    "approving_district",
    "department",
    "item_type",
    "sector",
    "handling_form",
    "cross_province_mode",
    "growth_stage",
    "life_event",
    "service_object",
)


@dataclass(slots=True)
class Entry:
    item_id: int
    version_id: int
    code: str
    name: str
    name_n: str
    name_en_n: str
    initials: str
    guide_n: str
    summary: dict[str, Any]
    accepting: frozenset[str] = field(default_factory=frozenset)
    approving: frozenset[str] = field(default_factory=frozenset)
    departments: frozenset[int] = field(default_factory=frozenset)
    item_type: str = ""
    sector: str = ""
    handling_forms: frozenset[str] = field(default_factory=frozenset)
    cross_province_mode: str = ""
    growth_stages: frozenset[str] = field(default_factory=frozenset)
    life_events: frozenset[str] = field(default_factory=frozenset)
    objects: frozenset[str] = field(default_factory=frozenset)


@dataclass(slots=True)
class SearchResult:
    entry: Entry
    rank: int

    @property
    def match(self) -> str:
        return RANK_LABELS[self.rank]


def _fingerprint() -> tuple[Any, ...]:
    stats = ItemVersion.objects.exclude(status=ItemVersion.Status.DRAFT).aggregate(
        n=Count("id"), last=Max("published_at"), top=Max("id")
    )
    implementations = ItemImplementation.objects.aggregate(n=Count("id"), top=Max("id"))
    return (today(), stats["n"], stats["last"], stats["top"], implementations["n"], implementations["top"])


def _build() -> list[Entry]:
    on = today()
    versions = list(
        ItemVersion.objects.filter(in_force_q(on))
        .order_by("item__code", "-effective_from")
        .values(
            "id",
            "item_id",
            "item__code",
            "number",
            "name",
            "name_en",
            "name_initials",
            "item_type",
            "sector",
            "topic",
            "handling_kind",
            "limit_unit",
            "statutory_limit",
            "promised_limit",
            "handling_forms",
            "cross_province_mode",
            "onsite_visits",
            "online_depth",
            "for_natural_person",
            "for_legal_person",
            "growth_stages",
            "life_events",
            "assistance_guide",
            "acceptance_conditions",
            "result_name",
            "effective_from",
            "fees",
        )
    )
    # Python's order, not the database collation's: PostgreSQL and SQLite sort "T-0001" differently.
    versions.sort(key=lambda v: (v["item__code"], -(v["effective_from"].toordinal() if v["effective_from"] else 0)))
    version_ids = [v["id"] for v in versions]
    material_names: dict[int, list[str]] = {}
    for chunk in range(0, len(version_ids), 900):  # SQLite caps bound parameters
        for version_id, name in ItemMaterial.objects.filter(
            version_id__in=version_ids[chunk : chunk + 900]
        ).values_list("version_id", "name"):
            material_names.setdefault(version_id, []).append(name)
    implementations: dict[int, list[tuple[Any, ...]]] = {}
    for row in ItemImplementation.objects.filter(active=True).values_list(
        "item_id", "district__division_code", "department_id", "can_accept", "can_approve"
    ):
        implementations.setdefault(row[0], []).append(row[1:])
    entries, seen = [], set()
    for v in versions:
        if v["item_id"] in seen:
            continue
        seen.add(v["item_id"])
        impl = implementations.get(v["item_id"], [])
        accepting = frozenset(code for code, _dep, acc, _app in impl if acc)
        approving = frozenset(code for code, _dep, _acc, app in impl if app)
        guide = " ".join(
            [
                v["topic"],
                v["assistance_guide"],
                v["acceptance_conditions"],
                v["result_name"],
                *material_names.get(v["id"], []),
            ]
        )
        objects = set()
        if v["for_natural_person"]:
            objects.add(ServiceObject.PERSON.value)
        if v["for_legal_person"]:
            objects.add(ServiceObject.LEGAL_PERSON.value)
        entries.append(
            Entry(
                item_id=v["item_id"],
                version_id=v["id"],
                code=v["item__code"].lower(),
                name=v["name"],
                name_n=normalise(v["name"]),
                name_en_n=" " + (v["name_en"] or "").lower(),
                initials=v["name_initials"] or pinyin_initials(v["name"]),
                guide_n=normalise(guide),
                summary={
                    "code": v["item__code"],
                    "version": v["number"],
                    "name": v["name"],
                    "name_en": v["name_en"],
                    "item_type": v["item_type"],
                    "sector": v["sector"],
                    "topic": v["topic"],
                    "handling_kind": v["handling_kind"],
                    "limit_unit": v["limit_unit"],
                    "statutory_limit": v["statutory_limit"],
                    "promised_limit": v["promised_limit"],
                    "handling_forms": list(v["handling_forms"] or []),
                    "cross_province_mode": v["cross_province_mode"],
                    "onsite_visits": v["onsite_visits"],
                    "online_depth": v["online_depth"],
                    "has_fees": bool(v["fees"]),
                    "effective_from": v["effective_from"].isoformat() if v["effective_from"] else None,
                    "growth_stages": list(v["growth_stages"] or []),
                    "life_events": list(v["life_events"] or []),
                    "accepting_districts": sorted(accepting),
                    "approving_districts": sorted(approving),
                },
                accepting=accepting,
                approving=approving,
                departments=frozenset(dep for _code, dep, _acc, _app in impl),
                item_type=v["item_type"],
                sector=v["sector"],
                handling_forms=frozenset(v["handling_forms"] or []),
                cross_province_mode=v["cross_province_mode"],
                growth_stages=frozenset(v["growth_stages"] or []),
                life_events=frozenset(v["life_events"] or []),
                objects=frozenset(objects),
            )
        )
    return entries


class Blob:
    """Strings joined by a separator, searched with the C-speed `str.find` instead of a Python loop."""

    SEP = "\x00"

    def __init__(self, values: list[str]) -> None:
        self.text = self.SEP + self.SEP.join(values) + self.SEP
        self.starts: list[int] = []
        position = 1
        for value in values:
            self.starts.append(position)
            position += len(value) + 1

    def hits(self, term: str) -> dict[int, bool]:
        """Entry index -> whether the term starts that entry's string, for every entry containing the term."""
        found: dict[int, bool] = {}
        starts, find = self.starts, self.text.find
        last = len(starts) - 1
        at = find(term)
        while at != -1:
            index = bisect_right(starts, at) - 1
            # A term can only start an entry at its first occurrence: skip to the next entry.
            found[index] = at == starts[index]
            if index == last:
                break
            at = find(term, starts[index + 1])
        return found


class Prepared:
    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        self.names = Blob([e.name_n for e in entries])
        self.codes = Blob([e.code for e in entries])
        self.initials = Blob([e.initials for e in entries])
        self.names_en = Blob([e.name_en_n for e in entries])
        self.guides = Blob([e.guide_n for e in entries])
        # Ties between equal ranks: shorter name first, then code; precomputed as one integer per entry.
        self.by_order = sorted(range(len(entries)), key=lambda i: (len(entries[i].name), entries[i].code))
        self.order = [0] * len(entries)
        for position, index in enumerate(self.by_order):
            self.order[index] = position
        self.facets: dict[str, dict[str, set[int]]] = {name: {} for name in FILTERS}
        for index, e in enumerate(entries):
            values = {
                "district": e.accepting,
                "approving_district": e.approving,
                "department": [str(d) for d in e.departments],
                "item_type": [e.item_type],
                "sector": [e.sector],
                "handling_form": e.handling_forms,
                "cross_province_mode": [e.cross_province_mode],
                "growth_stage": e.growth_stages,
                "life_event": e.life_events,
                "service_object": e.objects,
            }
            for name, keys in values.items():
                for key in keys:
                    self.facets[name].setdefault(key, set()).add(index)

    def candidates(self, filters: dict[str, str]) -> set[int] | None:
        chosen: set[int] | None = None
        for name, value in filters.items():
            if not value or name not in self.facets:
                continue
            matching = self.facets[name].get(str(value), set())
            chosen = set(matching) if chosen is None else chosen & matching
        return chosen

    def rank_term(self, term: str) -> dict[int, int]:
        ranks: dict[int, int] = {}
        entries = self.entries

        def offer(index: int, rank: int) -> None:
            if rank < ranks.get(index, 99):
                ranks[index] = rank

        for index, at_start in self.names.hits(term).items():
            if at_start and entries[index].name_n == term:
                offer(index, RANK_EXACT)
            else:
                offer(index, RANK_PREFIX if at_start else RANK_SUBSTRING)
        for index, at_start in self.codes.hits(term).items():
            if at_start:
                offer(index, RANK_EXACT if entries[index].code == term else RANK_PREFIX)
        if term.isascii() and term.isalpha():
            for index, at_start in self.initials.hits(term).items():
                offer(index, RANK_PREFIX if at_start else RANK_SUBSTRING)
            if len(term) >= 3:
                for index in self.names_en.hits(" " + term):
                    offer(index, RANK_SUBSTRING)
        if len(term) >= 2:
            for index in self.guides.hits(term):
                offer(index, RANK_GUIDE)
        return ranks

    def search(self, query: str, filters: dict[str, str]) -> list[SearchResult]:
        chosen = self.candidates(filters)
        terms = [t for t in (normalise(part) for part in (query or "").split()) if t]
        if not terms:
            indexes = range(len(self.entries)) if chosen is None else sorted(chosen)
            return [SearchResult(self.entries[i], RANK_SUBSTRING) for i in indexes]  # catalogue order (by code)
        combined = self.rank_term(terms[0])
        for term in terms[1:]:
            ranks = self.rank_term(term)
            combined = {i: max(r, ranks[i]) for i, r in combined.items() if i in ranks}
        if chosen is not None:
            combined = {i: r for i, r in combined.items() if i in chosen}
        order, by_order, entries = self.order, self.by_order, self.entries
        keys = sorted((rank << 20) | order[i] for i, rank in combined.items())
        return [SearchResult(entries[by_order[key & 0xFFFFF]], key >> 20) for key in keys]


class SearchIndex:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._prepared: Prepared | None = None
        self._fingerprint: tuple[Any, ...] | None = None
        self._checked_at = 0.0
        # (query, filters) -> (the index searched, its results): stale once the index is rebuilt.
        self._cache: OrderedDict[tuple[str, tuple[tuple[str, str], ...]], tuple[Prepared, list[SearchResult]]] = (
            OrderedDict()
        )
        self.builds = 0

    def invalidate(self) -> None:
        """Compare the fingerprint on the next search (rebuilds only if the catalogue changed)."""
        self._checked_at = 0.0

    def prepared(self) -> Prepared:
        now = time.monotonic()
        if self._prepared is not None and now - self._checked_at < CHECK_INTERVAL:
            return self._prepared
        with self._lock:
            now = time.monotonic()
            if self._prepared is not None and now - self._checked_at < CHECK_INTERVAL:
                return self._prepared
            fingerprint = _fingerprint()
            if self._prepared is None or fingerprint != self._fingerprint:
                self._prepared = Prepared(_build())
                self._fingerprint = fingerprint
                self._cache.clear()
                self.builds += 1
            self._checked_at = time.monotonic()
            return self._prepared

    def entries(self) -> list[Entry]:
        return self.prepared().entries

    def generation(self) -> int:
        """A number that changes whenever the index is rebuilt (for caches of rendered results)."""
        self.prepared()
        return self.builds

    def search(self, query: str = "", **filters: str) -> list[SearchResult]:
        prepared = self.prepared()
        key = (query, tuple(sorted((k, str(v)) for k, v in filters.items() if v)))
        cached = self._cache.get(key)
        if cached is not None and cached[0] is prepared:
            return cached[1]
        results = prepared.search(query, filters)
        self._cache[key] = (prepared, results)
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return results


search_index = SearchIndex()


def search_index_invalidate() -> None:
    search_index.invalidate()


def catalogue_search(*, query: str = "", **filters: str) -> list[SearchResult]:
    """Items in force matching the query and filters, best match first."""
    return search_index.search(query, **{k: v for k, v in filters.items() if k in FILTERS and v})
