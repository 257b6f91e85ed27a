"""Catalogue search: an in-memory index of the versions in force, searched the way people ask.

Why in memory: a few thousand rows fit easily, and neither SQLite FTS5 (a run of Chinese characters
is one token; trigrams miss two-character words) nor PostgreSQL pg_trgm (drops non-ASCII
in the C locale) finds "公积金" inside a name. Substring matching in Python gives the
same answers on both databases and takes a few milliseconds (bench/search_bench.py).

A query becomes concepts: words of the synonym dictionary (SearchSynonym, longest first) and the
segmenter's words for the rest (standards.text.segment), each with its synonyms as alternatives.
Every concept must match somewhere (a word found in no item at all is dropped, so "驾照丢了怎么办"
still finds the driving licence); the words match in any order. ASCII words also match the names'
pinyin initials and full pinyin, one missing, extra or swapped letter allowed when nothing matches
exactly. Rank by where the worst concept matched: the whole name, the start of the name, inside the
name, the keywords (topic, result), and last the guide text (conditions, assistance guide,
materials) — guide-only hits come after all others and at most GUIDE_LIMIT of them.

The index is built lazily once per process and rebuilt when the catalogue's generation moves
(standards.generation: a write in this process rechecks at its commit, other processes notice within
a few seconds, and versions with a future effective date come into force at midnight). The synonyms
are checked on every search (one aggregate query), so a pair added in the admin applies to the next search everywhere.
"""

from __future__ import annotations

import gc
import threading
from bisect import bisect_right
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from standards.generation import catalogue_changed, catalogue_watch
from standards.models import UNVERIFIED, ItemImplementation, ItemMaterial, ItemVersion, SearchSynonym
from standards.selectors import in_force_q, today
from standards.text import STOPWORDS, normalise, one_letter_off, pinyin_full, pinyin_initials, segment
from standards.vocabulary import ServiceObject

CACHE_SIZE = 256  # recent (query, filters) results kept per index generation
# An index of this many entries or more is moved out of the cyclic garbage collector's reach once built (gc.freeze):
# its hundreds of thousands of long-lived objects were otherwise walked by every full collection, and with 3000 items
# one page request in twenty took 150-230 ms more (the home page's p95 257 ms against a p50 of 61 ms). Frozen
# objects are still freed by reference counting when a rebuild drops them. Small indexes (tests) are left alone.
FREEZE_MIN_ENTRIES = 500

GUIDE_LIMIT = 10  # guide-text-only hits shown after all the others, at most
SUGGESTIONS = 8

RANK_EXACT, RANK_PREFIX, RANK_SUBSTRING, RANK_KEYWORD, RANK_GUIDE = 0, 1, 2, 3, 4
# Sort scores: a word as typed before its synonyms inside the name, and names before keywords before guide text.
SCORES = {
    (RANK_EXACT, False): 0,
    (RANK_PREFIX, False): 2,
    (RANK_SUBSTRING, False): 4,
    (RANK_EXACT, True): 6,
    (RANK_PREFIX, True): 6,
    (RANK_SUBSTRING, True): 8,
    (RANK_KEYWORD, False): 10,
    (RANK_KEYWORD, True): 12,
    (RANK_GUIDE, False): 14,
    (RANK_GUIDE, True): 16,
}
WHOLE_QUERY_INSIDE = 3  # the query as typed, in one piece inside a name: before words found apart
SCORE_RANKS = {score: rank for (rank, _synonym), score in SCORES.items()} | {WHOLE_QUERY_INSIDE: RANK_SUBSTRING}
RANK_LABELS = {
    RANK_EXACT: "exact",
    RANK_PREFIX: "prefix",
    RANK_SUBSTRING: "substring",
    RANK_KEYWORD: "keyword",
    RANK_GUIDE: "guide",
}

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
    pinyin: str
    keywords_n: str
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


def _known(*texts: str) -> list[str]:
    """Texts without the 待核实 placeholder (a search for 待核实 should not find every item)."""
    return [text for text in texts if text and text != UNVERIFIED]


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
            "unverified_fields",
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
        guide = " ".join(_known(v["assistance_guide"], v["acceptance_conditions"], *material_names.get(v["id"], [])))
        objects = set()
        if v["for_natural_person"]:
            objects.add(ServiceObject.PERSON.value)
        if v["for_legal_person"]:
            objects.add(ServiceObject.LEGAL_PERSON.value)
        entries.append(
            Entry(
                item_id=v["item_id"],
                version_id=v["id"],
                code=normalise(v["item__code"]),
                name=v["name"],
                name_n=normalise(v["name"]),
                name_en_n=" " + " ".join(normalise(w) for w in (v["name_en"] or "").split()),
                initials=v["name_initials"] or pinyin_initials(v["name"]),
                pinyin=pinyin_full(v["name"]),
                keywords_n=normalise(" ".join(_known(v["topic"], v["result_name"]))),
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
                    "unverified_fields": list(v["unverified_fields"] or []),
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
        if not term:
            return found
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


# A concept of a query: alternatives, each a tuple of terms that must all occur (a word and its synonyms;
# a dictionary phrase also as its segmented words).
Concept = tuple[tuple[str, ...], ...]


class Synonyms(dict[str, frozenset[str]]):
    """Word -> the words it stands for (both directions), and the length of the longest dictionary word."""

    longest = 0


PINYIN_PREFIX = "\x01"  # keys of the synonym map holding the dictionary words a pinyin spelling stands for


def parse_query(query: str, synonyms: Synonyms) -> list[Concept]:
    """The concepts of a query: dictionary words first (longest match), the segmenter's words for the rest."""
    concepts: list[Concept] = []
    longest = synonyms.longest
    for part in (query or "").split():
        text = normalise(part)
        if not text:
            continue
        if text.isascii():
            concepts.append(_concept(text, synonyms))
            continue
        position, pending = 0, ""
        while position < len(text):
            for size in range(min(longest, len(text) - position), 1, -1):
                word = text[position : position + size]
                if word in synonyms:
                    break
            else:
                pending += text[position]
                position += 1
                continue
            concepts += [_concept(w, synonyms) for w in segment(pending)] if pending else []
            pending = ""
            concepts.append(_concept(word, synonyms))
            position += size
        concepts += [_concept(w, synonyms) for w in segment(pending)] if pending else []
    if any(len(c[0][0]) > 1 for c in concepts):  # a lone character ("登" of a mistyped 登记) says little
        concepts = [c for c in concepts if len(c[0][0]) > 1 or c[0][0].isascii()]
    if not concepts and query.strip():  # only filler words: search for them as they are
        concepts = [_concept(normalise(query), synonyms)] if normalise(query) else []
    return concepts


def _concept(word: str, synonyms: Synonyms) -> Concept:
    alternatives: list[tuple[str, ...]] = [(word,)]
    others = set(synonyms.get(word, ()))
    if word.isascii():  # the pinyin of a dictionary word (shebao, sbk) stands for the word and its synonyms
        for chinese in synonyms.get(PINYIN_PREFIX + word, ()):
            others |= {chinese, *synonyms.get(chinese, ())}
    alternatives += [(other,) for other in sorted(others) if other != word]
    if not word.isascii() and len(word) > 3:
        words = tuple(w for w in segment(word) if w != word)
        if len(words) > 1:
            alternatives.append(words)
    return tuple(alternatives)


class Prepared:
    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        self.names = Blob([e.name_n for e in entries])
        self.codes = Blob([e.code for e in entries])
        self.initials = Blob([e.initials for e in entries])
        self.pinyins = Blob([e.pinyin for e in entries])
        self.names_en = Blob([e.name_en_n for e in entries])
        self.keywords = Blob([e.keywords_n for e in entries])
        self.guides = Blob([e.guide_n for e in entries])
        self._terms: OrderedDict[str, dict[int, int]] = OrderedDict()
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
        """Entry index -> the best rank of one term (cached: terms recur across queries)."""
        cached = self._terms.get(term)
        if cached is not None:
            return cached
        ranks: dict[int, int] = {}

        def offer(found: dict[int, bool], at_start: int, inside: int) -> None:
            for index, start in found.items():
                rank = at_start if start else inside
                if rank < ranks.get(index, 99):
                    ranks[index] = rank

        offer(self.names.hits(term), RANK_PREFIX, RANK_SUBSTRING)
        offer({i: True for i, start in self.codes.hits(term).items() if start}, RANK_PREFIX, RANK_PREFIX)
        if term.isascii() and term.isalpha():
            offer(self.initials.hits(term), RANK_PREFIX, RANK_SUBSTRING)
            if len(term) >= 3:
                offer(self.pinyins.hits(term), RANK_PREFIX, RANK_SUBSTRING)
                offer(self.names_en.hits(" " + term), RANK_SUBSTRING, RANK_SUBSTRING)
                if not ranks and len(term) >= 4:  # one letter off: missing, extra or swapped
                    for variant in one_letter_off(term):
                        offer(self.initials.hits(variant), RANK_SUBSTRING, RANK_SUBSTRING)
                        offer(self.pinyins.hits(variant), RANK_SUBSTRING, RANK_SUBSTRING)
        if len(term) >= 2 or not term.isascii():
            offer(self.keywords.hits(term), RANK_KEYWORD, RANK_KEYWORD)
        if len(term) >= 2:
            offer(self.guides.hits(term), RANK_GUIDE, RANK_GUIDE)
        self._terms[term] = ranks
        if len(self._terms) > 4 * CACHE_SIZE:
            self._terms.popitem(last=False)
        return ranks

    def rank_concept(self, concept: Concept) -> dict[int, int]:
        """Entry index -> score of a concept (SCORES: where it matched, and whether only through a synonym)."""
        best: dict[int, int] = {}
        for number, alternative in enumerate(concept):
            combined = self.rank_term(alternative[0])
            for term in alternative[1:]:
                ranks = self.rank_term(term)
                combined = {i: max(r, ranks[i]) for i, r in combined.items() if i in ranks}
            synonym = number > 0  # the word as typed is the first alternative
            for index, rank in combined.items():
                score = SCORES[(rank, synonym)]
                if score < best.get(index, 99):
                    best[index] = score
        return best

    def match(self, concepts: list[Concept]) -> dict[int, int]:
        """Entries matching every concept (concepts found nowhere are dropped) -> score of the worst one."""
        per_concept = [scores for scores in (self.rank_concept(c) for c in concepts) if scores]
        if not per_concept:
            return {}
        combined = per_concept[0]
        for scores in per_concept[1:]:
            combined = {i: max(r, scores[i]) for i, r in combined.items() if i in scores}
        return combined

    def search(self, query: str, filters: dict[str, str], synonyms: Synonyms) -> list[SearchResult]:
        chosen = self.candidates(filters)
        concepts = parse_query(query, synonyms)
        if not concepts:
            indexes = range(len(self.entries)) if chosen is None else sorted(chosen)
            return [SearchResult(self.entries[i], RANK_SUBSTRING) for i in indexes]  # catalogue order (by code)
        combined = self.match(concepts)
        whole = normalise(query)
        # The whole query as it was typed: the name itself, the start of a name, or an item code.
        for index, at_start in self.names.hits(whole).items():
            if self.entries[index].name_n == whole:
                score = SCORES[(RANK_EXACT, False)]
            else:
                score = SCORES[(RANK_PREFIX, False)] if at_start else WHOLE_QUERY_INSIDE
            combined[index] = min(score, combined.get(index, 99))
        for index, at_start in self.codes.hits(whole).items():
            if at_start:
                combined[index] = SCORES[(RANK_EXACT if self.entries[index].code == whole else RANK_PREFIX, False)]
        if chosen is not None:
            combined = {i: r for i, r in combined.items() if i in chosen}
        return self._ordered(combined)

    def _ordered(self, combined: dict[int, int]) -> list[SearchResult]:
        order, by_order, entries = self.order, self.by_order, self.entries
        keys = sorted((score << 20) | order[i] for i, score in combined.items())
        results = [SearchResult(entries[by_order[key & 0xFFFFF]], SCORE_RANKS[key >> 20]) for key in keys]
        guide_from = next((n for n, r in enumerate(results) if r.rank == RANK_GUIDE), len(results))
        return results[: guide_from + GUIDE_LIMIT]  # guide-only hits last, and never a flood of them

    def nearest(self, query: str, synonyms: Synonyms, limit: int = 5) -> list[SearchResult]:
        """For a search that found nothing: items matching the most of its words, else of its characters."""
        concepts = parse_query(query, synonyms)
        scores: dict[int, int] = {}
        for concept in concepts:
            for index, score in self.rank_concept(concept).items():
                if score < SCORES[(RANK_GUIDE, False)]:
                    scores[index] = scores.get(index, 0) + 20 - score
        if not scores:
            characters = {c for c in normalise(query) if not c.isascii() and c not in STOPWORDS}
            for character in characters:
                for index in self.names.hits(character):
                    scores[index] = scores.get(index, 0) + 1
        best = sorted(scores, key=lambda i: (-scores[i], self.order[i]))[:limit]
        return [SearchResult(self.entries[i], RANK_SUBSTRING) for i in best]


def _synonyms_fingerprint() -> tuple[Any, ...]:
    # Plain SQL: it runs on every search, and the ORM's aggregate compiled slower than it ran (docs/pitfalls.md).
    table = connection.ops.quote_name(SearchSynonym._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*), MAX(id), MAX(updated_at) FROM {table}")  # noqa: S608 - the model's table
        return tuple(cursor.fetchone() or ())


def _synonyms_load() -> Synonyms:
    pairs: dict[str, set[str]] = {}
    for word, synonym in SearchSynonym.objects.values_list("word", "synonym"):
        word, synonym = normalise(word), normalise(synonym)
        if word and synonym and word != synonym:
            pairs.setdefault(word, set()).add(synonym)
            pairs.setdefault(synonym, set()).add(word)
    for word in [w for w in pairs if not w.isascii()]:
        for spelling in {pinyin_full(word), pinyin_initials(word)}:
            if len(spelling) >= 3:
                pairs.setdefault(PINYIN_PREFIX + spelling, set()).add(word)
    synonyms = Synonyms({word: frozenset(others) for word, others in pairs.items()})
    synonyms.longest = max((len(word) for word in pairs if not word.startswith(PINYIN_PREFIX)), default=0)
    return synonyms


class SearchIndex:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._prepared: Prepared | None = None
        self._generation: int | None = None  # the catalogue generation the prepared index was built from
        self._synonyms = Synonyms()
        self._synonyms_fingerprint: tuple[Any, ...] | None = None
        # (query, filters) -> (the index and synonyms searched, its results): stale once either changes.
        self._cache: OrderedDict[
            tuple[str, tuple[tuple[str, str], ...]], tuple[Prepared, Synonyms, list[SearchResult]]
        ] = OrderedDict()
        self.builds = 0
        self.synonym_loads = 0

    def invalidate(self) -> None:
        """Compare the catalogue's fingerprint on the next search (rebuilds only if the catalogue changed)."""
        catalogue_changed()

    def prepared(self) -> Prepared:
        generation = catalogue_watch.current()
        if self._prepared is not None and generation == self._generation:
            return self._prepared
        with self._lock:
            if self._prepared is None or generation != self._generation:
                self._prepared = Prepared(_build())
                if len(self._prepared.entries) >= FREEZE_MIN_ENTRIES:
                    gc.collect()
                    gc.freeze()
                self._generation = generation
                self._cache.clear()
                self.builds += 1
            return self._prepared

    def synonyms(self) -> Synonyms:
        """The synonym dictionary, reloaded when its table changed (checked on every call: one small query)."""
        fingerprint = _synonyms_fingerprint()
        if fingerprint != self._synonyms_fingerprint:
            with self._lock:
                if fingerprint != self._synonyms_fingerprint:
                    self._synonyms = _synonyms_load()
                    self._synonyms_fingerprint = fingerprint
                    self.synonym_loads += 1
        return self._synonyms

    def entries(self) -> list[Entry]:
        return self.prepared().entries

    def generation(self) -> tuple[int, int]:
        """Changes whenever the index is rebuilt or the synonyms change (for caches of rendered results)."""
        self.prepared()
        self.synonyms()
        return (self.builds, self.synonym_loads)

    def search(self, query: str = "", *, recheck: bool = True, **filters: str) -> list[SearchResult]:
        """recheck=False: the caller has just checked (generation()) in this request; skip a second query."""
        prepared = self.prepared()
        synonyms = self.synonyms() if recheck or self._synonyms_fingerprint is None else self._synonyms
        key = (query, tuple(sorted((k, str(v)) for k, v in filters.items() if v)))
        cached = self._cache.get(key)
        if cached is not None and cached[0] is prepared and cached[1] is synonyms:
            return cached[2]
        results = prepared.search(query, filters, synonyms)
        self._cache[key] = (prepared, synonyms, results)
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return results

    def nearest(self, query: str) -> list[SearchResult]:
        return self.prepared().nearest(query, self.synonyms())

    def suggest(self, query: str, *, recheck: bool = True) -> list[SearchResult]:
        """Completions while typing: the best items matching by name, keywords or pinyin (never guide text)."""
        return [hit for hit in self.search(query, recheck=recheck) if hit.rank < RANK_GUIDE][:SUGGESTIONS]


search_index = SearchIndex()


def catalogue_search(*, query: str = "", recheck: bool = True, **filters: str) -> list[SearchResult]:
    """Items in force matching the query and filters, best match first."""
    return search_index.search(query, recheck=recheck, **{k: v for k, v in filters.items() if k in FILTERS and v})


def catalogue_nearest(query: str) -> list[SearchResult]:
    """The items nearest to a query that found nothing (for the no-result page)."""
    return search_index.nearest(query)


def catalogue_suggest(query: str, *, recheck: bool = True) -> list[SearchResult]:
    return search_index.suggest(query, recheck=recheck) if normalise(query) else []
