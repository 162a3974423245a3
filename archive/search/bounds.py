"""What one search may cost: the vocabulary words its wildcard, prefix and fuzzy terms may
look through (one budget for the whole query), and a deadline for the whole search.

Whoosh expands such a term each time it is used: once per segment and pass of the
collector, once more for the excerpts, and through a reader over all segments (a Python
edit distance on every word of the vocabulary) for the expansion check. A fuzzy term walks
the vocabulary through a Levenshtein automaton with a disk lookup per step: `aax~2` looks
at about 4,000 of a segment's 37,000 words. Five of them OR'd took 11-17 s on a
44k-word index (bench/query_cost.py). Here each term is expanded once per query, segment
by segment, and every vocabulary word it looks at is counted against the query's budget;
the words it found replace it in the query (`Expanded`), so matching and excerpts reuse
them. Over the budget, the query is refused with a message saying what to change.

Whoosh's `TimeLimitCollector` does not fit: its alarm signal can only be set from the main
thread (the reading room searches in waitress's threads), and without it, it collects
around the project's own `collectors.CountingCollector.collect_matches` (its production
filter). So the deadline is checked where the work is done: every few hundred words of an
expansion, before each segment's matcher of a phrase or an expanded term is built, and
every few thousand pages the matcher steps through.

Part of the Whoosh seam in archive/search/ (index.py, query.py, collectors.py).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from whoosh import query
from whoosh.automata import lev
from whoosh.matching import wrappers
from whoosh.reading import TermNotFound

from archive.errors import QueryError, SearchTimeoutError
from archive.search.fuzzy import FuzzyPhrase, SurfaceFuzzy
from archive.search.index import analyse_word

_CHECK_WORDS = 256  # vocabulary words between two looks at the clock
_CHECK_PAGES = 4096  # pages a matcher steps through between two looks at the clock


class Deadline:
    """The moment a search must have finished by; `seconds` <= 0 means no limit."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds if seconds > 0 else math.inf

    @property
    def unlimited(self) -> bool:
        """Whether this deadline never passes."""
        return self.at == math.inf

    def restart(self) -> None:
        """Give the search its time limit again, from now (an export's next chunk of rows:
        each chunk must be found in time, not the whole export)."""
        if not self.unlimited:
            self.at = time.monotonic() + self.seconds

    def check(self) -> None:
        """Stop the search if the deadline has passed.

        Raises:
            SearchTimeoutError: with a message saying how to narrow the search.
        """
        if time.monotonic() > self.at:
            raise SearchTimeoutError(
                f"the search was stopped after {self.seconds:g} seconds, its time limit; "
                "narrow it (fewer OR'd words or phrases, fewer wildcard or fuzzy terms, "
                "more letters before * or ~) and search again"
            )


class Expanded(query.MultiTerm):
    """A wildcard, prefix or fuzzy term replaced by the words it found, segment by segment.

    Matching a segment builds a term query for each word found in that segment only; a
    reader over several segments (the excerpts') gets every word found.
    """

    def __init__(self, original: query.Query, words: tuple[str, ...],
                 by_segment: dict[Any, tuple[str, ...]]) -> None:
        self.original = original
        self.fieldname = original.fieldname
        self.text = getattr(original, "text", None)  # a TermRange has start and end instead
        self.boost = original.boost
        self.constantscore = original.constantscore
        self.words = words
        self.by_segment = by_segment

    def _btexts(self, ixreader: Any) -> tuple[str, ...]:
        return self.by_segment.get(_segment_key(ixreader), self.words)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Expanded) and self.original == other.original
                and self.boost == other.boost and self.words == other.words)

    def __hash__(self) -> int:
        return hash(self.original) ^ hash(self.words) ^ hash(self.boost)

    def __repr__(self) -> str:
        return f"Expanded({self.original!r}, {len(self.words)} words)"

    def __str__(self) -> str:
        return str(self.original)

    __unicode__ = __str__


def _segment_key(reader: Any) -> Any:
    """The id of the one segment `reader` reads, or None for a reader over several."""
    segment = reader.segment() if callable(getattr(reader, "segment", None)) else None
    return segment.segment_id() if segment is not None else None


class Expander:
    """Expands the wildcard, prefix and fuzzy terms of one query, each once, within two
    budgets: vocabulary words looked at (summed over the index's segments: the cost of
    expanding), and words found (summed over the terms: each becomes a term to match in
    every segment, the cost of matching).

    Args:
        reader: the searcher's reader.
        max_scanned: vocabulary words the whole query may look at.
        max_words: different words the query's terms may expand to, together.
        deadline: checked every few hundred words.
    """

    def __init__(self, reader: Any, *, max_scanned: int, max_words: int,
                 deadline: Deadline) -> None:
        self.reader = reader
        self.max_scanned = max_scanned
        self.max_words = max_words
        self.deadline = deadline
        self.scanned = 0
        self.expanded = 0
        self._found: dict[str, tuple[tuple[str, ...], dict[Any, tuple[str, ...]]]] = {}

    def expand(self, q: query.Query) -> query.Query:
        """`q` with every expanding term replaced by the words it finds.

        Raises:
            QueryError: a term finds too many words, or the query looks at too many.
            SearchTimeoutError: the deadline passed while expanding.
        """
        return q.accept(self._replace)

    def _replace(self, node: query.Query) -> query.Query:
        if isinstance(node, FuzzyPhrase):  # a leaf holding fuzzy terms
            return node.with_fuzzy(self._replace)
        if not isinstance(node, query.MultiTerm) or isinstance(node, Expanded):
            return node
        key = repr(node.with_boost(1.0))  # field, text, distance, prefix, range ends
        found = self._found.get(key)
        if found is None:  # `a~2 OR a~2` costs one expansion
            found = self._found[key] = self._expand(node)
        self.expanded += len(found[0])
        return Expanded(node, *found)

    def _expand(self, node: query.Query) -> tuple[tuple[str, ...], dict[Any, tuple[str, ...]]]:
        union: dict[str, None] = {}
        by_segment: dict[Any, tuple[str, ...]] = {}
        words_in = _walker(node)
        for segment, _offset in self.reader.leaf_readers():
            found = tuple(dict.fromkeys(self._count(node, words_in(segment))))
            by_segment[_segment_key(segment)] = found
            union.update(dict.fromkeys(found))
            if len(union) > self.max_words:
                raise QueryError(f"'{node}' matches more than {self.max_words} different "
                                 "words; type more letters")
            if self.expanded + len(union) > self.max_words:
                raise QueryError(
                    f"the query's wildcard and fuzzy terms match more than "
                    f"{self.max_words} different words together (it stopped at '{node}'); "
                    "use fewer of them or type more letters before * or ~")
        return tuple(sorted(union)), by_segment

    def _count(self, node: query.Query, looked_at: Iterable[str | None]) -> Iterator[str]:
        """The words found, from a walk that yields None for a word looked at and passed."""
        for word in looked_at:
            self.scanned += 1
            if self.scanned > self.max_scanned:
                raise QueryError(
                    f"the query's wildcard and fuzzy terms would look through more than "
                    f"{self.max_scanned:,} words of the index (it stopped at '{node}'); use "
                    "fewer of them, type more letters before * or ~, or a fuzzy distance of "
                    "1 (word~1) instead of 2"
                )
            if not self.scanned % _CHECK_WORDS:
                self.deadline.check()
            if word is not None:
                yield word


def _walker(node: query.Query) -> Callable[[Any], Iterator[str | None]]:
    """How to look through one segment's vocabulary for `node`: a function yielding each
    word looked at, as the word when it matches, else None."""
    if isinstance(node, SurfaceFuzzy):
        dfa = lev.levenshtein_automaton(node.text, node.maxdist, node.prefixlength).to_dfa()
        return lambda segment: _surface_walk(segment, node.exact, dfa)
    if isinstance(node, query.FuzzyTerm):
        dfa = lev.levenshtein_automaton(node.text, node.maxdist, node.prefixlength).to_dfa()
        return lambda segment: _fuzzy_walk(segment, node.fieldname, dfa)
    if isinstance(node, query.PatternQuery) and not isinstance(node, query.Prefix):
        pattern = re.compile(node._get_pattern())
        prefix = node._find_prefix(node.text)
        return lambda segment: _pattern_walk(segment, node.fieldname, prefix, pattern)
    # Prefix, TermRange: Whoosh's walk looks at exactly the words it yields.
    return lambda segment: _plain_walk(segment, node)


def _fuzzy_walk(segment: Any, fieldname: str, dfa: Any) -> Iterator[str | None]:
    """Whoosh's automaton walk (codec.base.Automata.find_matches), one lookup per word,
    without its second lookup of each word found."""
    if fieldname not in segment.schema:
        return
    field = segment.schema[fieldname]
    try:
        cursor = segment.cursor(field.spelling_fieldname(fieldname))
    except TermNotFound:  # no page of this segment has the field
        return
    word = probe = cursor.text()
    while word is not None:
        match = dfa.next_valid_string(probe)  # the first string >= probe within the distance
        if not match:
            return
        if match == word:  # the word under the cursor is within the distance
            yield word
            probe = word + "\0"  # what comes right after it
            continue
        cursor.find(match)  # the first word of the vocabulary at or after the candidate
        yield None
        word = probe = cursor.text()


def _surface_walk(segment: Any, exact: str, dfa: Any) -> Iterator[str | None]:
    """A fuzzy term on the words as written: the typed word as indexed, the words of `text`
    within the distance (the words stemming leaves alone are there as written), then the
    indexed form (stem) of each word of `words` (those stemming changes) within it."""
    if ("text", exact) in segment:
        yield exact
    yield from _fuzzy_walk(segment, "text", dfa)
    for word in _fuzzy_walk(segment, "words", dfa):
        yield None if word is None else analyse_word(word)


def _pattern_walk(segment: Any, fieldname: str, prefix: str,
                  pattern: re.Pattern[str]) -> Iterator[str | None]:
    """Whoosh's wildcard walk (PatternQuery._btexts): the words after the literal prefix."""
    if fieldname not in segment.schema:
        return
    from_bytes = segment.schema[fieldname].from_bytes
    words = segment.expand_prefix(fieldname, prefix) if prefix else segment.lexicon(fieldname)
    for btext in words:
        word = from_bytes(btext)
        yield word if pattern.match(word) else None


def _plain_walk(segment: Any, node: query.Query) -> Iterator[str | None]:
    if node.fieldname not in segment.schema:
        return
    from_bytes = segment.schema[node.fieldname].from_bytes
    for word in node._btexts(segment):
        yield from_bytes(word) if isinstance(word, bytes) else str(word)


def watch(q: query.Query, deadline: Deadline) -> query.Query:
    """`q` checking the deadline as it is matched: before each segment's matcher of a
    phrase, expanded term or range is built, and every few thousand pages it steps
    through. A single word is left alone: its pages are read a block at a time
    (collectors.CountingCollector) and never take long."""
    if deadline.unlimited or type(q) is query.Term:
        return q
    checked = q.accept(lambda node: Checked(node, deadline)
                       if node.is_leaf() and type(node) is not query.Term else node)
    return _Watched(checked, deadline)


class Checked(query.WrappingQuery):
    """A leaf whose matcher costs work to build: the deadline is checked first."""

    def __init__(self, child: query.Query, deadline: Deadline) -> None:
        super().__init__(child)
        self.deadline = deadline

    def _rewrap(self, child: query.Query) -> query.Query:
        return Checked(child, self.deadline)

    def matcher(self, searcher: Any, context: Any = None) -> Any:  # noqa: D102
        self.deadline.check()
        return self.child.matcher(searcher, context)


class _Watched(Checked):
    """The whole query: its matcher looks at the clock every few thousand pages."""

    def _rewrap(self, child: query.Query) -> query.Query:
        return _Watched(child, self.deadline)

    def matcher(self, searcher: Any, context: Any = None) -> Any:  # noqa: D102
        return _WatchedMatcher(super().matcher(searcher, context), self.deadline)


class _WatchedMatcher(wrappers.WrappingMatcher):
    """A matcher that checks the deadline every `_CHECK_PAGES` steps."""

    def __init__(self, child: Any, deadline: Deadline, boost: float = 1.0) -> None:
        super().__init__(child, boost)
        self.deadline = deadline
        self.steps = 0

    def _replacement(self, newchild: Any) -> Any:
        return _WatchedMatcher(newchild, self.deadline, self.boost)

    def copy(self) -> Any:  # noqa: D102
        return _WatchedMatcher(self.child.copy(), self.deadline, self.boost)

    def _tick(self) -> None:
        self.steps += 1
        if self.steps >= _CHECK_PAGES:
            self.steps = 0
            self.deadline.check()

    def next(self) -> Any:  # noqa: D102
        self._tick()
        return self.child.next()  # True when it entered a new block (Whoosh's contract)

    def skip_to(self, id: int) -> Any:  # noqa: D102
        self._tick()
        return self.child.skip_to(id)

    def all_ids(self) -> Iterator[int]:  # noqa: D102
        for n, docnum in enumerate(self.child.all_ids(), 1):
            if not n % _CHECK_PAGES:
                self.deadline.check()
            yield docnum
