"""Whoosh read side, the costly part made cheap: top hits, exact totals and facet counts in
one pass, and exact phrases checked with sets of positions.

On 100,000 synthetic pages (bench/run.py --full) stock Whoosh spent most of a query in three
places this module replaces (a rare phrase went from ~170 ms to ~17 ms):
- `groupedby` facets with `allow_overlap` re-read every posting of the facet field on every
  query (O(index size)); here each segment's values per document are read once per process
  and a query only looks up the documents it matched;
- `Phrase` went through the general `SpanNear2` machinery (span objects per candidate
  document); `ExactPhrase` reads the words' postings a block at a time, intersects them as
  sets and compares positions only on the pages holding every word, with the same matches
  and the same scores;
- a total or facet count forced every match to be scored; here a query whose matcher can
  skip blocks (single words, AND/OR of words) is scored only where it can reach the top N,
  and its matches are counted in a separate pass that does not score.

Part of the Whoosh seam with `index.py` and `search.py`: nothing else imports Whoosh.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
from whoosh import collectors, matching, query, scoring
from whoosh.matching import wrappers

_EMPTY = (None,)  # the key Whoosh's overlapping facets give a page without a value
_CACHE: OrderedDict[tuple[str, str, str], Any] = OrderedDict()  # (segment, what, field)
_CACHE_SEGMENTS = 256 * 3
_LOCK = threading.Lock()


def doc_values(reader: Any, fieldname: str) -> list[tuple[Any, ...]]:
    """The values of a field for every document of one segment, cached per process.

    A segment's documents never change (deletions only hide them), so the list is keyed by
    the segment's unique id and stays valid for every searcher that reads the segment.
    An index with no segment yet (its adds only had failures) is read by a reader with no
    segment and no document: nothing to look up, nothing to cache.
    """
    if reader.segment() is None:
        return [_EMPTY] * reader.doc_count_all()
    return _cached(reader, ("values", fieldname), lambda: _read_values(reader, fieldname))


def _read_values(reader: Any, fieldname: str) -> list[tuple[Any, ...]]:
    field = reader.schema[fieldname]
    lists: list[list[Any]] = [[] for _ in range(reader.doc_count_all())]
    for btext in field.sortable_terms(reader, fieldname):
        value = field.from_bytes(btext)
        for block in _blocks(reader, fieldname, btext):
            for docnum in block[0]:
                lists[docnum].append(value)
    shared: dict[tuple[Any, ...], tuple[Any, ...]] = {(): _EMPTY}
    return [shared.setdefault(tuple(v), tuple(v)) for v in lists]  # one tuple per value set


def _cached(reader: Any, what: tuple[str, str], make: Any) -> Any:
    """What `make()` reads of one segment, kept per process under the segment's id."""
    segment = reader.segment()
    if segment is None:
        return make()
    key = (segment.segment_id(), *what)
    with _LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
            return found
    found = make()
    with _LOCK:
        _CACHE[key] = found
        while len(_CACHE) > _CACHE_SEGMENTS:
            _CACHE.popitem(last=False)
    return found


def field_lengths(reader: Any, fieldname: str) -> np.ndarray:
    """The length (in words, as Whoosh stores it: approximated in a byte) of a field on
    every document of one segment, for scoring many documents at once; cached per process."""
    def read() -> np.ndarray:
        count, length = reader.doc_count_all(), reader.doc_field_length
        return np.fromiter((length(d, fieldname) for d in range(count)), dtype=np.float64,
                           count=count)
    return _cached(reader, ("lengths", fieldname), read)


def value_codes(reader: Any, fieldname: str) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """A segment's values of a field as numpy arrays, for counting with `bincount`:
    (documents, value codes) pairs, one per value a document carries (None for a document
    without one), and the values by code. Cached per process as `doc_values` is."""
    def read() -> tuple[np.ndarray, np.ndarray, list[Any]]:
        codes: dict[Any, int] = {}
        pair_docs: list[int] = []
        pair_codes: list[int] = []
        for docnum, values in enumerate(doc_values(reader, fieldname)):
            for value in values:
                pair_docs.append(docnum)
                pair_codes.append(codes.setdefault(value, len(codes)))
        return (np.array(pair_docs, dtype=np.int64), np.array(pair_codes, dtype=np.int64),
                list(codes))
    return _cached(reader, ("codes", fieldname), read)


def warm(searcher: Any, facet_fields: dict[str, str], text_field: str = "text") -> None:
    """Read what every search needs of each segment (facet values, page lengths) into the
    per-process caches now: ~0.7 s on 100,000 pages that the first search would pay. A
    server warms them before it forks, so its processes share them."""
    for leaf, _ in searcher.leaf_searchers():
        reader = leaf.reader()
        if reader.segment() is None:
            continue
        for field in facet_fields.values():
            value_codes(reader, field)
        field_lengths(reader, text_field)


@dataclass(slots=True)
class Found:
    """The top hits (global document number, score), the total, whether it is an estimate,
    and the facet counts (estimated alike)."""

    top: list[tuple[int, float]]
    total: int
    estimated: bool
    counts: dict[str, Counter[Any]]


def collect(searcher: Any, q: Any, limit: int, facet_fields: dict[str, str], *,
            only: tuple[str, Any] | None = None, exact_up_to: int | None = None) -> Found:
    """The top `limit` hits of `q`, the number of matches and the facet counts: vectorised
    (`archive.search.vectors`) when the query's shape allows, the total then exact up to
    `exact_up_to` matches and estimated beyond (None: always exact); otherwise through
    Whoosh's matchers (`CountingCollector`), exact."""
    from archive.search import vectors  # it builds on this module

    try:
        return vectors.run(searcher, q, limit, facet_fields, only, exact_up_to)
    except vectors.Unsupported:
        collector = CountingCollector(limit, facet_fields, only=only)
        searcher.search_with_collector(q, collector)
        top = [(hit.docnum, float(hit.score or 0.0)) for hit in collector.results()]
        return Found(top, collector.matched, False, collector.counts)


class CountingCollector(collectors.TopCollector):
    """The top `limit` hits by score, plus the exact number of matches and, for each facet
    field, how many matching pages carry each value (a page with no value counts as None).

    Args:
        limit: hits to keep.
        facet_fields: facet name -> field name.
        only: (field name, value): keep only pages with this value (a cheap filter, read from
            the same per-segment values as the facets).
    """

    def __init__(self, limit: int, facet_fields: dict[str, str],
                 only: tuple[str, Any] | None = None) -> None:
        super().__init__(limit=limit)
        self.facet_fields = facet_fields
        self.only = only
        self._allowed: list[tuple[Any, ...]] | None = None
        self.counts: dict[str, Counter[Any]] = {name: Counter() for name in facet_fields}
        self.matched = 0
        self._pending: list[int] = []
        self._values: list[list[tuple[Any, ...]]] = []
        self._skipping = False

    def set_subsearcher(self, subsearcher: Any, offset: int) -> None:  # noqa: D102
        self._tally()
        super().set_subsearcher(subsearcher, offset)
        reader = subsearcher.reader()
        self._values = [doc_values(reader, field) for field in self.facet_fields.values()]
        self._allowed = doc_values(reader, self.only[0]) if self.only else None
        self._skipping = self.usequality and self.matcher.supports_block_quality()
        if self._skipping:
            # Score only what can reach the top N; count every match without scoring.
            self._pending = self._filter(_all_ids(self.q, subsearcher, self.context))
            self._tally()
        else:
            self.replace = 0  # a replaced matcher may drop pages that cannot reach the top N

    def _filter(self, docnums: Any) -> list[int]:
        if self._allowed is None or self.only is None:
            return list(docnums)
        allowed, value = self._allowed, self.only[1]
        return [d for d in docnums if value in allowed[d]]

    def collect_matches(self) -> None:  # noqa: D102
        if self._allowed is None:
            super().collect_matches()
            return
        allowed, value = self._allowed, self.only[1] if self.only else None
        for sub_docnum in self.matches():  # collect() scores the matcher where it stands
            if value in allowed[sub_docnum]:
                self.collect(sub_docnum)

    def _use_block_quality(self) -> bool:
        return self._skipping and super()._use_block_quality()

    def _collect(self, global_docnum: int, score: float) -> Any:
        if not self._skipping:
            self._pending.append(global_docnum - self.offset)
        return super()._collect(global_docnum, score)

    def finish(self) -> None:  # noqa: D102
        self._tally()
        super().finish()

    def _tally(self) -> None:
        docnums, self._pending = self._pending, []
        if not docnums:
            return
        self.matched += len(docnums)
        for values, counter in zip(self._values, self.counts.values(), strict=True):
            counter.update(chain.from_iterable(map(values.__getitem__, docnums)))


def _all_ids(q: Any, searcher: Any, context: Any) -> Any:
    """Every page of a segment that matches `q`; a single word's are read a block at a time."""
    if type(q) is query.Term and q.fieldname in searcher.schema:
        reader = searcher.reader()
        btext = searcher.schema[q.fieldname].to_bytes(q.text)
        if (q.fieldname, btext) not in reader:
            return []
        ids = [d for block in _blocks(reader, q.fieldname, btext) for d in block[0]]
        return [d for d in ids if not reader.is_deleted(d)] if reader.has_deletions() else ids
    return q.matcher(searcher, context).all_ids()


class ExactPhrase(query.Phrase):
    """A phrase of adjacent words (slop 1); other slops are left to Whoosh.

    Whoosh checks a phrase document by document through its span machinery (microseconds
    of Python per candidate page). Here each segment's postings of the words are read a
    block at a time, the pages holding every word are found by set intersection, and only
    those pages' positions are decoded and compared. Matches and scores (the sum of the
    words' scores) are those of `query.Phrase`.
    """

    def matcher(self, searcher: Any, context: Any = None) -> Any:  # noqa: D102
        if self.slop != 1 or self.fieldname not in searcher.schema:
            return self._fallback(searcher, context)
        field = searcher.schema[self.fieldname]
        if not field.format or not field.format.supports("positions"):
            return self._fallback(searcher, context)
        if not searcher.is_atomic():  # collectors search segment by segment; others may not
            return self._fallback(searcher, context)
        return phrase_matcher(searcher, context, self.fieldname, [[w] for w in self.words],
                              self.boost, keeps=self.keeps)

    def keeps(self, starts: set[int], first: list[int], last: list[int]) -> bool:
        """Whether a page where the phrase starts at these positions, its first and last
        words at those, matches (any does)."""
        return True

    def _fallback(self, searcher: Any, context: Any) -> Any:
        """The matcher where positions cannot be compared here: Whoosh's own."""
        return super().matcher(searcher, context)


Keeps = Callable[[set[int], list[int], list[int]], bool]


def phrase_matcher(searcher: Any, context: Any, fieldname: str,
                   slots: Sequence[Sequence[str]], boost: float = 1.0, *,
                   fuzzy_weight: float = 1.0, fuzzy_on: Any = None,
                   keeps: Keeps | None = None) -> Any:
    """The pages of one segment (`searcher` is atomic) where a word of each slot stands at
    consecutive positions, in order.

    A slot's first word is the word typed; the others stand for it (the words a fuzzy term
    found). A page where the typed words stand together scores as `query.Phrase` would (the
    sum of their scores); a page matched only through other words (fuzzily) scores
    `fuzzy_weight` times the sum of the scores of the words it has, and is left out unless
    `fuzzy_on(docnum)` (when given) is true. With `keeps`, a page matches only where
    `keeps(starts, first, last)` accepts the positions the phrase starts at and those of
    its first and last words (`crossing.BridgePhrase`: phrases over a page break).
    """
    field = searcher.schema[fieldname]
    reader = searcher.reader()
    coded: list[list[bytes | None]] = []
    for slot in slots:
        words: list[bytes | None] = []
        for k, word in enumerate(slot):
            try:
                btext: bytes | None = field.to_bytes(word)
            except ValueError:
                btext = None
            if btext is not None and (fieldname, btext) in reader:
                words.append(btext)
            elif k == 0:
                words.append(None)  # the typed word is not here: only fuzzy matches can be
        if not any(words):
            return matching.NullMatcher()
        coded.append(words)
    docs, picks, factors = _aligned(reader, fieldname, coded, field.format, fuzzy_weight,
                                    fuzzy_on, keeps)
    if not docs:
        return matching.NullMatcher()
    weighting = context.weighting if context is not None else searcher.weighting
    scorers = ({w: weighting.scorer(searcher, fieldname, w)
                for slot in coded for w in slot if w is not None}
               if weighting is not None else {})
    quality = [max(scorers[w].max_quality() for w in slot if w is not None)
               for slot in coded] if scorers else []
    return _ListedMatcher(docs, picks, factors, scorers, sum(quality), boost)


def _aligned(reader: Any, fieldname: str, slots: list[list[bytes | None]], fmt: Any,
             fuzzy_weight: float, fuzzy_on: Any, keeps: Keeps | None = None,
             ) -> tuple[list[int], list[list[tuple[bytes, float]]], list[float]]:
    """The pages of a segment where a word of each slot stands at consecutive positions, in
    order; on each, the word counted for each slot and its frequency on the page, and the
    page's share of the score (1, or `fuzzy_weight` when only other words than the typed
    ones stand together)."""
    unique = list(dict.fromkeys(w for slot in slots for w in slot if w is not None))
    postings = {w: _blocks(reader, fieldname, w) for w in unique}
    sizes = {w: sum(len(block[0]) for block in postings[w]) for w in unique}
    candidates: set[int] | None = None
    for slot in sorted(slots, key=lambda slot: sum(sizes[w] for w in slot if w is not None)):
        ids = {d for w in slot if w is not None for block in postings[w] for d in block[0]}
        candidates = ids if candidates is None else candidates & ids
        if not candidates:
            return [], [], []
    assert candidates is not None
    found: dict[bytes, dict[int, tuple[list[int], float]]] = {}
    for w in unique:
        per_doc: dict[int, tuple[list[int], float]] = {}
        for block_ids, values, block_weights in postings[w]:
            for i, d in enumerate(block_ids):
                if d in candidates:
                    per_doc[d] = (fmt.decode_positions(values[i]), block_weights[i])
        found[w] = per_doc
    typed = [w for w in (slot[0] for slot in slots) if w is not None]
    if len(typed) < len(slots):
        typed = []  # a typed word is not in this segment: every match is fuzzy
    alternatives = any(len(slot) > 1 for slot in slots)
    docs: list[int] = []
    picks: list[list[tuple[bytes, float]]] = []
    factors: list[float] = []
    for d in sorted(candidates):
        on_page = [[w for w in slot if w is not None and d in found[w]] for slot in slots]
        starts = _kept(_starts(on_page, found, d), on_page, found, d, keeps)
        if not starts or reader.is_deleted(d):
            continue
        if not alternatives or (typed and all(d in found[w] for w in typed)
                                and _kept(_starts([[w] for w in typed], found, d),
                                          [[w] for w in typed], found, d, keeps)):
            chosen = typed
            factors.append(1.0)
        elif fuzzy_on is None or fuzzy_on(d):
            chosen = [next(w for w in words if any(s + k in found[w][d][0] for s in starts))
                      for k, words in enumerate(on_page)]
            factors.append(fuzzy_weight)
        else:
            continue
        docs.append(d)
        picks.append([(w, found[w][d][1]) for w in chosen])
    return docs, picks, factors


def _kept(starts: set[int], on_page: list[list[bytes]],
          found: dict[bytes, dict[int, tuple[list[int], float]]], d: int,
          keeps: Keeps | None) -> set[int]:
    """`starts`, or none of them where `keeps` refuses the page's positions."""
    if not starts or keeps is None:
        return starts
    first = [p for w in on_page[0] for p in found[w][d][0]]
    last = [p for w in on_page[-1] for p in found[w][d][0]]
    return starts if keeps(starts, first, last) else set()


def _starts(on_page: list[list[bytes]], found: dict[bytes, dict[int, tuple[list[int], float]]],
            d: int) -> set[int]:
    """The positions on page `d` where a word of each slot stands at consecutive places."""
    starts: set[int] | None = None
    for k, words in enumerate(on_page):
        shifted = {p - k for w in words for p in found[w][d][0]}
        starts = shifted if starts is None else starts & shifted
        if not starts:
            return set()
    return starts or set()


def _blocks(reader: Any, fieldname: str,
            btext: bytes) -> list[tuple[Sequence[int], Sequence[Any], Sequence[float]]]:
    """A term's postings in one segment as (ids, values, weights), a block at a time.

    Reads the blocks of Whoosh 2.7's own posting format (whoosh-reloaded is pinned), any
    other format a posting at a time; deleted pages are left in for the caller to drop.
    """
    leaf = reader.postings(fieldname, btext)
    if isinstance(leaf, wrappers.FilterMatcher):  # the segment has deletions
        leaf = leaf.child
    out: list[tuple[Sequence[int], Sequence[Any], Sequence[float]]] = []
    block_wise = all(hasattr(leaf, name) for name in
                     ("_read_ids", "_read_values", "_read_weights", "_next_block"))
    while leaf.is_active():
        if block_wise:
            leaf._read_ids()
            leaf._read_values()
            leaf._read_weights()
            out.append((leaf._ids, leaf._values, leaf._weights))
            leaf._next_block()
        else:
            out.append(((leaf.id(),), (leaf.value(),), (leaf.weight(),)))
            leaf.next()
    return out


class _Posting:
    """What a Whoosh scorer reads of a posting: its document and its weight."""

    __slots__ = ("_id", "_weight")

    def __init__(self, docnum: int, weight: float) -> None:
        self._id, self._weight = docnum, weight

    def id(self) -> int:
        return self._id

    def weight(self) -> float:
        return self._weight


class _ListedMatcher(matching.Matcher):
    """Documents found in advance, each scored as the sum of its picked words' scores, times
    its factor."""

    def __init__(self, docs: list[int], picks: list[list[tuple[bytes, float]]],
                 factors: list[float], scorers: dict[bytes, Any], quality: float,
                 boost: float = 1.0, at: int = 0) -> None:
        self.docs, self.picks, self.factors = docs, picks, factors
        self.scorers, self.quality, self.boost = scorers, quality, boost
        self.i = at
        # BM25F and friends score (weight, field length): read the page's length once, not
        # once per word.
        self._by_length = bool(scorers) and all(
            isinstance(s, scoring.WeightLengthScorer) for s in scorers.values())

    def is_active(self) -> bool:  # noqa: D102
        return self.i < len(self.docs)

    def id(self) -> int:  # noqa: D102
        return self.docs[self.i]

    def next(self) -> None:  # noqa: D102
        self.i += 1

    def skip_to(self, id: int) -> None:  # noqa: D102
        self.i = bisect_left(self.docs, id, self.i)

    def all_ids(self) -> Any:  # noqa: D102
        return iter(self.docs[self.i:])

    def score(self) -> float:  # noqa: D102
        if not self.scorers:
            return 0.0
        docnum, picked = self.docs[self.i], self.picks[self.i]
        scale = self.boost * self.factors[self.i]
        if self._by_length:
            length = next(iter(self.scorers.values())).dfl(docnum)
            return scale * sum(self.scorers[w]._score(weight, length) for w, weight in picked)
        return scale * sum(self.scorers[w].score(_Posting(docnum, weight))
                           for w, weight in picked)

    def max_quality(self) -> float:  # noqa: D102
        return self.boost * self.quality

    def copy(self) -> _ListedMatcher:  # noqa: D102
        return _ListedMatcher(self.docs, self.picks, self.factors, self.scorers, self.quality,
                              self.boost, self.i)

    def reset(self) -> None:  # noqa: D102
        self.i = 0

    def supports(self, astype: str) -> bool:  # noqa: D102
        return False


def exact_phrases(q: Any) -> Any:
    """The query with every `Phrase` matched by `ExactPhrase`."""
    def swap(node: Any) -> Any:
        if type(node) is query.Phrase:
            return ExactPhrase(node.fieldname, node.words, slop=node.slop, boost=node.boost,
                               char_ranges=node.char_ranges)
        return node
    return q.accept(swap)
