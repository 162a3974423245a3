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
from itertools import chain
from typing import Any

from whoosh import collectors, matching, query, scoring
from whoosh.matching import wrappers

_EMPTY = (None,)  # the key Whoosh's overlapping facets give a page without a value
_CACHE: OrderedDict[tuple[str, str], list[tuple[Any, ...]]] = OrderedDict()
_CACHE_SEGMENTS = 256
_LOCK = threading.Lock()


def doc_values(reader: Any, fieldname: str) -> list[tuple[Any, ...]]:
    """The values of a field for every document of one segment, cached per process.

    A segment's documents never change (deletions only hide them), so the list is keyed by
    the segment's unique id and stays valid for every searcher that reads the segment.
    An index with no segment yet (its adds only had failures) is read by a reader with no
    segment and no document: nothing to look up, nothing to cache.
    """
    segment = reader.segment()
    if segment is None:
        return [_EMPTY] * reader.doc_count_all()
    key = (segment.segment_id(), fieldname)
    with _LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
            return found
    field = reader.schema[fieldname]
    lists: list[list[Any]] = [[] for _ in range(reader.doc_count_all())]
    for btext in field.sortable_terms(reader, fieldname):
        value = field.from_bytes(btext)
        for block in _blocks(reader, fieldname, btext):
            for docnum in block[0]:
                lists[docnum].append(value)
    shared: dict[tuple[Any, ...], tuple[Any, ...]] = {(): _EMPTY}
    values = [shared.setdefault(tuple(v), tuple(v)) for v in lists]  # one tuple per value set
    with _LOCK:
        _CACHE[key] = values
        while len(_CACHE) > _CACHE_SEGMENTS:
            _CACHE.popitem(last=False)
    return values


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
        reader = searcher.reader()
        words = []
        for word in self.words:
            try:
                btext = field.to_bytes(word)
            except ValueError:
                return matching.NullMatcher()
            if (self.fieldname, btext) not in reader:
                return matching.NullMatcher()
            words.append(btext)
        docs, weights = _adjacent(reader, self.fieldname, words, field.format, self.keeps)
        if not docs:
            return matching.NullMatcher()
        weighting = context.weighting if context is not None else searcher.weighting
        scorers = ([weighting.scorer(searcher, self.fieldname, w) for w in words]
                   if weighting is not None else [])
        return _ListedMatcher(docs, weights, scorers, self.boost)

    def keeps(self, starts: set[int], first: list[int], last: list[int]) -> bool:
        """Whether a page where the phrase starts at these positions, its first and last
        words at those, matches (any does)."""
        return True

    def _fallback(self, searcher: Any, context: Any) -> Any:
        """The matcher where positions cannot be compared here: Whoosh's own."""
        return super().matcher(searcher, context)


Keeps = Callable[[set[int], list[int], list[int]], bool]


def _adjacent(reader: Any, fieldname: str, words: list[bytes], fmt: Any,
              keeps: Keeps | None = None) -> tuple[list[int], list[list[float]]]:
    """The pages of a segment where the words stand at consecutive positions, in order
    (where `keeps` accepts them), and each word's frequency on each of them."""
    unique = list(dict.fromkeys(words))
    postings = {w: _blocks(reader, fieldname, w) for w in unique}
    candidates: set[int] | None = None
    for w in sorted(unique, key=lambda w: sum(len(block[0]) for block in postings[w])):
        ids = {d for block in postings[w] for d in block[0]}
        candidates = ids if candidates is None else candidates & ids
        if not candidates:
            return [], []
    assert candidates is not None
    found: dict[bytes, dict[int, tuple[list[int], float]]] = {}
    for w in unique:
        per_doc: dict[int, tuple[list[int], float]] = {}
        for block_ids, values, block_weights in postings[w]:
            for i, d in enumerate(block_ids):
                if d in candidates:
                    per_doc[d] = (fmt.decode_positions(values[i]), block_weights[i])
        found[w] = per_doc
    docs: list[int] = []
    weights: list[list[float]] = []
    for d in sorted(candidates):
        starts: set[int] | None = None
        for k, w in enumerate(words):
            shifted = {p - k for p in found[w][d][0]}
            starts = shifted if starts is None else starts & shifted
            if not starts:
                break
        if starts and (keeps is None or keeps(starts, found[words[0]][d][0],
                                              found[words[-1]][d][0])) \
                and not reader.is_deleted(d):
            docs.append(d)
            weights.append([found[w][d][1] for w in words])
    return docs, weights


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
    """Documents found in advance, scored as the sum of their words' scores."""

    def __init__(self, docs: list[int], weights: list[list[float]], scorers: list[Any],
                 boost: float = 1.0, at: int = 0) -> None:
        self.docs, self.weights, self.scorers, self.boost = docs, weights, scorers, boost
        self.i = at
        # BM25F and friends score (weight, field length): read the page's length once, not
        # once per word.
        self._by_length = bool(scorers) and all(
            isinstance(s, scoring.WeightLengthScorer) for s in scorers)

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
        docnum, weights = self.docs[self.i], self.weights[self.i]
        if self._by_length:
            length = self.scorers[0].dfl(docnum)
            return self.boost * sum(scorer._score(weight, length)
                                    for scorer, weight in zip(self.scorers, weights, strict=True))
        return self.boost * sum(scorer.score(_Posting(docnum, weight))
                                for scorer, weight in zip(self.scorers, weights, strict=False))

    def max_quality(self) -> float:  # noqa: D102
        return self.boost * sum(scorer.max_quality() for scorer in self.scorers)

    def copy(self) -> _ListedMatcher:  # noqa: D102
        return _ListedMatcher(self.docs, self.weights, self.scorers, self.boost, self.i)

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
