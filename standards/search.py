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
from collections import OrderedDict
from dataclasses import dataclass, field

from django.db.models import Count, Max

from standards.models import ItemImplementation, ItemMaterial, ItemVersion
from standards.selectors import in_force_q, today
from standards.text import normalise, pinyin_initials

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
    summary: dict
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


@dataclass
class SearchResult:
    entry: Entry
    rank: int

    @property
    def match(self) -> str:
        return RANK_LABELS[self.rank]


def _fingerprint() -> tuple:
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
            "id", "item_id", "item__code", "number", "name", "name_en", "name_initials", "item_type", "sector",
            "topic", "handling_kind", "limit_unit", "statutory_limit", "promised_limit", "handling_forms",
            "cross_province_mode", "onsite_visits", "online_depth", "for_natural_person", "for_legal_person",
            "growth_stages", "life_events", "assistance_guide", "acceptance_conditions", "result_name",
            "effective_from", "fees",
        )
    )
    version_ids = [v["id"] for v in versions]
    material_names: dict[int, list[str]] = {}
    for chunk in range(0, len(version_ids), 900):  # SQLite caps bound parameters
        for version_id, name in ItemMaterial.objects.filter(version_id__in=version_ids[chunk : chunk + 900]).values_list(
            "version_id", "name"
        ):
            material_names.setdefault(version_id, []).append(name)
    implementations: dict[int, list[tuple]] = {}
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
            [v["topic"], v["assistance_guide"], v["acceptance_conditions"], v["result_name"], *material_names.get(v["id"], [])]
        )
        objects = set()
        if v["for_natural_person"]:
            objects.add("person")
        if v["for_legal_person"]:
            objects.add("legal_person")
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


class SearchIndex:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[Entry] | None = None
        self._fingerprint: tuple | None = None
        self._checked_at = 0.0
        self._cache: OrderedDict = OrderedDict()
        self.builds = 0

    def invalidate(self) -> None:
        self._checked_at = 0.0
        self._fingerprint = None

    def entries(self) -> list[Entry]:
        now = time.monotonic()
        if self._entries is not None and now - self._checked_at < CHECK_INTERVAL:
            return self._entries
        with self._lock:
            now = time.monotonic()
            if self._entries is not None and now - self._checked_at < CHECK_INTERVAL:
                return self._entries
            fingerprint = _fingerprint()
            if self._entries is None or fingerprint != self._fingerprint:
                self._entries = _build()
                self._fingerprint = fingerprint
                self._cache.clear()
                self.builds += 1
            self._checked_at = time.monotonic()
            return self._entries

    def search(self, query: str = "", **filters: str) -> list[SearchResult]:
        entries = self.entries()
        key = (query, tuple(sorted((k, v) for k, v in filters.items() if v)))
        cached = self._cache.get(key)
        if cached is not None and cached[0] is entries:
            return cached[1]
        results = _search(entries, query, filters)
        self._cache[key] = (entries, results)
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return results


def _filter(entries: list[Entry], filters: dict[str, str]) -> list[Entry]:
    tests = []
    if filters.get("district"):
        value = filters["district"]
        tests.append(lambda e: value in e.accepting)
    if filters.get("approving_district"):
        value_ap = filters["approving_district"]
        tests.append(lambda e: value_ap in e.approving)
    if filters.get("department"):
        try:
            department = int(filters["department"])
        except (TypeError, ValueError):
            return []
        tests.append(lambda e: department in e.departments)
    for name, attr in (("item_type", "item_type"), ("sector", "sector"), ("cross_province_mode", "cross_province_mode")):
        if filters.get(name):
            wanted = filters[name]
            tests.append(lambda e, attr=attr, wanted=wanted: getattr(e, attr) == wanted)
    for name, attr in (
        ("handling_form", "handling_forms"),
        ("growth_stage", "growth_stages"),
        ("life_event", "life_events"),
        ("service_object", "objects"),
    ):
        if filters.get(name):
            wanted = filters[name]
            tests.append(lambda e, attr=attr, wanted=wanted: wanted in getattr(e, attr))
    if not tests:
        return entries
    return [e for e in entries if all(test(e) for test in tests)]


def _rank(entry: Entry, term: str) -> int | None:
    if term == entry.name_n or term == entry.code:
        return RANK_EXACT
    if entry.name_n.startswith(term) or entry.code.startswith(term):
        return RANK_PREFIX
    if term in entry.name_n:
        return RANK_SUBSTRING
    if term.isascii():
        if entry.initials.startswith(term):
            return RANK_PREFIX
        if term in entry.initials or (len(term) >= 3 and f" {term}" in entry.name_en_n):
            return RANK_SUBSTRING
    if len(term) >= 2 and term in entry.guide_n:
        return RANK_GUIDE
    return None


def _search(entries: list[Entry], query: str, filters: dict[str, str]) -> list[SearchResult]:
    candidates = _filter(entries, filters)
    terms = [t for t in (normalise(part) for part in (query or "").split()) if t]
    if not terms:
        return [SearchResult(e, RANK_SUBSTRING) for e in candidates]
    results = []
    for entry in candidates:
        worst = RANK_EXACT
        for term in terms:
            rank = _rank(entry, term)
            if rank is None:
                break
            worst = max(worst, rank)
        else:
            results.append(SearchResult(entry, worst))
    results.sort(key=lambda r: (r.rank, len(r.entry.name), r.entry.code))
    return results


search_index = SearchIndex()


def search_index_invalidate() -> None:
    search_index.invalidate()


def catalogue_search(*, query: str = "", **filters: str) -> list[SearchResult]:
    """Items in force matching the query and filters, best match first."""
    return search_index.search(query, **{k: v for k, v in filters.items() if k in FILTERS and v})
