"""A query's hits beyond one page of results: the newest pages first (feeds, alerts), the
pages added in a span of time, and every hit streamed in chunks (exports).

Part of the Whoosh seam. Each query is built by `query.prepare`, as for the results page,
then narrowed here by production and by when the pages were added (`restrict`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from whoosh import query, sorting
from whoosh.searching import Searcher

from archive.config import Settings
from archive.models import Hit
from archive.search import bounds
from archive.search.index import added_key, added_seconds
from archive.search.query import Marks, closed_bridges, hit_of, parse, prepare

CHUNK = 500  # hits whose stored fields and excerpts are read at a time


@dataclass(frozen=True, slots=True)
class Window:
    """Which pages a stream looks at: one production (slug), added after `since` and up to
    `until` (epoch seconds; None: no bound)."""

    production: str | None = None
    since: float | None = None
    until: float | None = None


def restrict(q: query.Query, window: Window) -> query.Query:
    """`q` narrowed to the window's pages; the narrowing adds nothing to a page's score."""
    if window.production:
        q = query.Require(q, query.Term("production_id", window.production))
    if window.since is not None or window.until is not None:
        start = None if window.since is None else added_key(window.since)
        end = None if window.until is None else added_key(window.until)
        q = query.Require(q, query.NumericRange("added", start, end,
                                                startexcl=start is not None))
    return q


def _added_hit(fields: dict[str, Any], score: float,
               sequences: Marks | list[list[str]], closed: frozenset[str]) -> Hit:
    hit = hit_of(fields, score, sequences, closed)
    hit.extra["added"] = added_seconds(fields.get("added"))
    hit.extra["pages"] = int(fields.get("pages") or 0)
    return hit


def newest(searcher: Searcher | None, text: str, settings: Settings, window: Window,
           limit: int) -> list[Hit]:
    """The `limit` most recently added pages that match, newest first (Whoosh's sorting on
    the stored `added` column: no hit is scored or loaded beyond the `limit` kept). Each
    hit's `extra` has `added` (epoch seconds) and `pages` (its document's page count).

    Raises:
        QueryError: the query is malformed or over a limit.
        SearchTimeoutError: the search ran past `settings.search_deadline`.
    """
    narrowed, sequences, _ = _prepared(searcher, text, settings, window)
    if searcher is None:
        return []
    found = searcher.search(narrowed, limit=limit,
                            sortedby=sorting.FieldFacet("added", reverse=True))
    closed = closed_bridges(settings)
    return [_added_hit(h.fields(), 0.0, sequences, closed) for h in found]


def count(searcher: Searcher | None, text: str, settings: Settings, window: Window) -> int:
    """How many pages match within the window (every match counted, none scored or loaded).

    Raises:
        QueryError, SearchTimeoutError: as `newest`.
    """
    narrowed, _, _ = _prepared(searcher, text, settings, window)
    return 0 if searcher is None else _matched(searcher, narrowed)


def _prepared(searcher: Searcher | None, text: str, settings: Settings,
              window: Window) -> tuple[query.Query, Marks | list[list[str]], bounds.Deadline]:
    """The query narrowed to the window, what excerpts mark, and its deadline (without a
    searcher, the query is only checked)."""
    deadline = bounds.Deadline(settings.search_deadline)
    if searcher is None:
        parse(text, settings, deadline=deadline)  # a malformed query is refused all the same
        return query.NullQuery, [], deadline
    matcher_query, sequences = prepare(searcher, text, settings, deadline)
    return restrict(matcher_query, window), sequences, deadline


def _matched(searcher: Searcher, q: query.Query) -> int:
    """The number of pages `q` matches, none scored or loaded."""
    context = searcher.boolean_context()
    return sum(sum(1 for _ in q.matcher(leaf, context).all_ids())
               for leaf, _ in searcher.leaf_searchers())


@dataclass(slots=True)
class Export:
    """Every hit of a query up to `limit`, read lazily: `total` matching pages counted
    first (so a caller can say whether the export is whole), then `hits()` walks the
    index segment by segment in index order (a document's pages in order), a chunk at a
    time, with scores and excerpts; nothing but the current chunk is held.
    """

    searcher: Searcher
    matcher_query: query.Query
    sequences: Marks | list[list[str]]
    deadline: bounds.Deadline
    total: int
    limit: int
    closed: frozenset[str] = frozenset()  # pages whose bridge is not used (query.py)

    @property
    def truncated(self) -> bool:
        """Whether more pages match than the export gives."""
        return self.total > self.limit

    def hits(self) -> Iterator[Hit]:
        """The hits, at most `limit`; each chunk has the search's time limit again."""
        matches = islice(self._matches(), self.limit)
        while chunk := list(islice(matches, CHUNK)):
            for docnum, score in chunk:
                yield _added_hit(self.searcher.stored_fields(docnum), score, self.sequences,
                                 self.closed)
            self.deadline.restart()

    def _matches(self) -> Iterator[tuple[int, float]]:
        context = self.searcher.context()
        for leaf, offset in self.searcher.leaf_searchers():
            matcher = self.matcher_query.matcher(leaf, context)
            while matcher.is_active():
                yield offset + matcher.id(), float(matcher.score())
                matcher.next()


def export(searcher: Searcher | None, text: str, settings: Settings, window: Window,
           limit: int) -> Export | None:
    """Every matching page up to `limit`, to be streamed (see `Export`); None for an
    empty archive.

    Raises:
        QueryError, SearchTimeoutError: as `newest` (a query too costly to count in time
            is refused before anything is sent).
    """
    narrowed, sequences, deadline = _prepared(searcher, text, settings, window)
    if searcher is None:
        return None
    total = _matched(searcher, narrowed)
    deadline.restart()
    return Export(searcher, narrowed, sequences, deadline, total, limit,
                  closed_bridges(settings))
