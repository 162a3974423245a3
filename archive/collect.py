"""Whoosh read side, the costly part made cheap: top hits, exact totals and facet counts in
one pass, and exact phrases checked with sets of positions.

Measured on 10,000 synthetic pages (bench/run.py), stock Whoosh spent most of a query in
three places this module replaces:
- `groupedby` facets with `allow_overlap` re-read every posting of the facet field on every
  query (O(index size)); here each segment's values per document are read once per process
  and a query only looks up the documents it matched;
- `Phrase` went through the general `SpanNear2` machinery (span objects per candidate
  document); `ExactPhrase` intersects the words' postings, rarest first, and checks the
  positions with set arithmetic, 3x faster, with the same matches and the same scores;
- a total or facet count forced every match to be scored; here a query whose matcher can
  skip blocks (single words, AND/OR of words) is scored only where it can reach the top N,
  and its matches are counted in a separate pass that does not score.

Part of the Whoosh seam with `index.py` and `search.py`: nothing else imports Whoosh.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from itertools import chain
from typing import Any

from whoosh import collectors, matching, query

_EMPTY = (None,)  # the key Whoosh's overlapping facets give a page without a value
_CACHE: OrderedDict[tuple[str, str], list[tuple[Any, ...]]] = OrderedDict()
_CACHE_SEGMENTS = 256
_LOCK = threading.Lock()


def doc_values(reader: Any, fieldname: str) -> list[tuple[Any, ...]]:
    """The values of a field for every document of one segment, cached per process.

    A segment's documents never change (deletions only hide them), so the list is keyed by
    the segment's unique id and stays valid for every searcher that reads the segment.
    """
    key = (reader.segment().segment_id(), fieldname)
    with _LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
            return found
    field = reader.schema[fieldname]
    lists: list[list[Any]] = [[] for _ in range(reader.doc_count_all())]
    for btext in field.sortable_terms(reader, fieldname):
        value = field.from_bytes(btext)
        for docnum in reader.postings(fieldname, btext).all_ids():
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
            self._pending = self._filter(self.q.matcher(subsearcher, self.context).all_ids())
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


class ExactPhrase(query.Phrase):
    """A phrase of adjacent words (slop 1), matched by position sets; other slops as Whoosh.

    Matches and scores (the sum of the words' scores) are those of `query.Phrase`.
    """

    def matcher(self, searcher: Any, context: Any = None) -> Any:  # noqa: D102
        if self.slop != 1 or self.fieldname not in searcher.schema:
            return super().matcher(searcher, context)
        field = searcher.schema[self.fieldname]
        if not field.format or not field.format.supports("positions"):
            return super().matcher(searcher, context)
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
        subs = [query.Term(self.fieldname, w).matcher(searcher, context) for w in words]
        order = sorted(range(len(words)),
                       key=lambda k: reader.doc_frequency(self.fieldname, words[k]))
        return _PhraseMatcher(subs, order, self.boost)


class _PhraseMatcher(matching.Matcher):
    """Pages where the words stand at consecutive positions."""

    def __init__(self, subs: list[Any], order: list[int], boost: float = 1.0) -> None:
        self.subs, self.order, self.boost = subs, order, boost
        self._id = -1
        self._active = True
        self._advance(0)

    def _advance(self, target: int) -> None:
        """Move to the first page at or after `target` that holds the phrase."""
        subs, order = self.subs, self.order
        while True:
            for k in order:  # rarest word first: it leads, the others catch up
                sub = subs[k]
                if sub.is_active() and sub.id() < target:
                    sub.skip_to(target)
                if not sub.is_active():
                    self._active = False
                    return
                if sub.id() > target:
                    target = sub.id()
                    break
            else:
                if self._adjacent():
                    self._id = target
                    return
                target += 1

    def _adjacent(self) -> bool:
        starts: set[int] | None = None
        for k, sub in enumerate(self.subs):
            shifted = {p - k for p in sub.value_as("positions")}
            starts = shifted if starts is None else starts & shifted
            if not starts:
                return False
        return True

    def is_active(self) -> bool:  # noqa: D102
        return self._active

    def id(self) -> int:  # noqa: D102
        return self._id

    def next(self) -> None:  # noqa: D102
        self._advance(self._id + 1)

    def skip_to(self, id: int) -> None:  # noqa: D102
        if self._active and id > self._id:
            self._advance(id)

    def score(self) -> float:  # noqa: D102
        return sum(sub.score() for sub in self.subs) * self.boost

    def max_quality(self) -> float:  # noqa: D102
        return sum(sub.max_quality() for sub in self.subs) * self.boost

    def children(self) -> list[Any]:  # noqa: D102
        return list(self.subs)

    def copy(self) -> _PhraseMatcher:  # noqa: D102
        return _PhraseMatcher([sub.copy() for sub in self.subs], self.order, self.boost)

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
