"""Phrases across a page break, read side: the query that finds them on the page where
they start, the excerpt that shows the join, and what to mark on both pages.

A phrase query on page text also asks each page's `bridge` (`archive.search.bridges`)
for the phrase at positions on both sides of the break, so a bridge never adds a page
for a phrase lying wholly on one page (the page's own text answers that). Totals are
unchanged: the bridge is a field of the page, not a page of its own. Phrases with fuzzy
words (`"irigation~1 permit"`, tolerant mode) cross too: the same words stand for theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from whoosh import matching, query

from archive.models import Word, page_key
from archive.search import bridges, collectors, excerpts, fuzzy
from archive.search.collectors import ExactPhrase
from archive.search.fuzzy import FuzzyPhrase
from archive.search.index import analysed_words, normalize_text
from archive.search.matches import Box, matched_words, occurrence_boxes

FIELD = "bridge"


class BridgePhrase(ExactPhrase):
    """A phrase of a page's bridge that starts before the break and ends after it."""

    def keeps(self, starts: set[int], first: list[int], last: list[int]) -> bool:  # noqa: D102
        return crosses(len(self.words), starts, first, last)

    def _fallback(self, searcher: Any, context: Any) -> Any:
        # Whoosh's own phrase would also match phrases lying on one side of the break,
        # adding pages that do not hold them; the collectors always search segment by
        # segment, where the positions are compared here.
        return matching.NullMatcher()


def crosses(size: int, starts: set[int], first: list[int], last: list[int]) -> bool:
    """Whether a phrase of `size` words standing in a bridge at `starts`, its first and
    last words at `first` and `last`, runs over the break."""
    join = bridges.JOIN
    if any(join - size < start < join for start in starts):  # on join - 1 and join
        return True
    # A word hyphenated over the break ("sal-" + "ly") stands at join - 1 and join: a
    # phrase may start or end on it.
    return (join in starts and join - 1 in first) or (join - size in starts and join in last)


class BridgeFuzzyPhrase(FuzzyPhrase):
    """A phrase with fuzzy words (`fuzzy.FuzzyPhrase`) in a page's bridge, over the break."""

    def __init__(self, phrase: FuzzyPhrase) -> None:
        super().__init__(phrase.members, phrase.typed, boost=phrase.boost,
                         ocr_only=phrase.ocr_only)
        self.fieldname = FIELD

    def with_fuzzy(self, change: Callable[[Any], Any]) -> BridgeFuzzyPhrase:  # noqa: D102
        return BridgeFuzzyPhrase(super().with_fuzzy(change))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BridgeFuzzyPhrase) and super().__eq__(other)

    def __hash__(self) -> int:
        return hash((FIELD, super().__hash__()))

    def __repr__(self) -> str:
        return f"Bridge{super().__repr__()}"

    def matcher(self, searcher: Any, context: Any = None) -> Any:  # noqa: D102
        if not searcher.is_atomic():
            subs = searcher.leaf_searchers()
            return matching.MultiMatcher([self.matcher(sub, context) for sub, _ in subs],
                                         [offset for _, offset in subs])
        if FIELD not in searcher.schema:
            return matching.NullMatcher()
        reader = searcher.reader()
        slots = [[m.exact, *([] if m.fuzzy is None else fuzzy.found_words(m.fuzzy, reader))]
                 for m in self.members]
        fuzzy_on = None
        if self.ocr_only:
            sources = collectors.doc_values(reader, "text_source")
            fuzzy_on = lambda docnum: sources[docnum] != ("text",)  # noqa: E731
        size = len(self.members)
        return collectors.phrase_matcher(
            searcher, context, FIELD, slots, self.boost, fuzzy_weight=fuzzy.FUZZY_WEIGHT,
            fuzzy_on=fuzzy_on,
            keeps=lambda starts, first, last: crosses(size, starts, first, last))


def across_pages(q: query.Query, closed: frozenset[str] = frozenset()) -> query.Query:
    """`q` with each phrase of page text (exact, or with fuzzy words) also matched across
    a page break (by the page where it starts), except over the bridges of the pages in
    `closed` (page keys)."""
    shut = query.Or([query.Term("id", key) for key in sorted(closed)]) if closed else None

    def visit(node: query.Query) -> query.Query:
        if (type(node) is query.Phrase and node.fieldname == "text" and node.slop == 1
                and len(node.words) > 1):
            bridge: query.Query = BridgePhrase(FIELD, node.words, boost=node.boost)
        elif type(node) is FuzzyPhrase and len(node.members) > 1:
            bridge = BridgeFuzzyPhrase(node)
        else:
            return node
        return query.Or([node, bridge if shut is None else query.AndNot(bridge, shut)])
    return q.accept(visit)


def key_before(key: str) -> str:
    """The key of the page before the page of `key` (`models.page_key`)."""
    doc_id, _, page_no = key.rpartition(":")
    return page_key(doc_id, int(page_no) - 1)


def _crossing(value: str, sequences: Sequence[Sequence[str]]
              ) -> tuple[str, int, list[tuple[int, int]], list[tuple[int, int]]]:
    """A bridge as one text, where the next page starts in it, the spans of every match
    in it, and those of the matches that cross the break."""
    joined, join = bridges.halves(value)
    if join < 0 or not sequences:
        return joined, join, [], []
    found = excerpts.found_spans(joined, sequences)
    return joined, join, found, [(s, e) for s, e in found if s < join < e]


def excerpt(value: str, sequences: Sequence[Sequence[str]], next_page: int,
            surround: int = 80) -> str:
    """The passage of a bridge around the matches that cross its break, as HTML (text
    escaped, matched words in <mark>), the break shown as a line "[p. N]"; "" if none.

    Args:
        value: the page's stored bridge.
        sequences: analysed words to mark (`query.query_terms`).
        next_page: the number of the page the bridge runs onto.
        surround: characters of context either side.
    """
    joined, join, found, across = _crossing(value, sequences)
    if not across:
        return ""
    marker = f"\n[p. {next_page}]\n"  # replaces the line break at join - 1
    shift = len(marker) - 1
    shown = joined[:join - 1] + marker + joined[join:]
    pieces: list[tuple[int, int]] = []
    for start, end in found:
        if start < join < end:
            pieces += [(start, join - 1), (join + shift, end + shift)]
        else:
            pieces.append((start + shift * (start >= join), end + shift * (end >= join)))
    start, end = excerpts.window(
        shown, [(across[0][0], join - 1), (join + shift, across[-1][1] + shift)], surround)
    return excerpts.passage(shown, start, end, pieces)


@dataclass(slots=True)
class Across:
    """What to mark on a page for the phrases that cross its breaks."""

    boxes: list[Box] = field(default_factory=list)  # on the page image
    spans: list[tuple[int, int]] = field(default_factory=list)  # in the page's text
    from_page: int | None = None  # a match starts on this page and ends on this one
    to_page: int | None = None  # a match starts on this page and ends on that one


def on_page(searcher: Any, doc_id: str, page_no: int, text: str, words: Sequence[Word],
            sequences: Sequence[Sequence[str]], closed: frozenset[str] = frozenset(), *,
            margins: Sequence[Sequence[int]] = (), margin_words: Collection[int] = ()
            ) -> Across:
    """The parts of crossing matches on one page: the start of those running onto the
    next page, the end of those coming from the page before.

    Args:
        searcher: from `query.open_searcher` (the bridges are read from the index, as
            searched); None gives nothing.
        doc_id: the document.
        page_no: the page, 1-based.
        text: the page's text.
        words: the page's word boxes.
        sequences: from `query.query_terms`.
        closed: keys of pages whose bridge is not used (`query.closed_bridges`).
        margins: the spans of the page's margin line numbers in `text`
            (`line_numbers.spans`): a bridge holds them as spaces.
        margin_words: the indexes of those numbers among `words`
            (`line_numbers.word_indexes`).
    """
    found = Across()
    if searcher is None or not sequences:
        return found
    text = bridges.blank(normalize_text(text), margins)
    for part_of, bridge_page in ((_head, page_no - 1), (_tail, page_no)):
        if page_key(doc_id, bridge_page) in closed:
            continue
        value = _stored_bridge(searcher, doc_id, bridge_page)
        joined, join, _, across = _crossing(value, sequences)
        for start, end in across:
            if part_of(found, text, words, margin_words, joined, join, start, end):
                if bridge_page < page_no:
                    found.from_page = bridge_page
                else:
                    found.to_page = page_no + 1
    return found


def _tail(found: Across, text: str, words: Sequence[Word], margins: Collection[int],
          joined: str, join: int, start: int, end: int) -> bool:
    """Mark the part of a crossing match before the break, on its page's last words."""
    tail = joined[:join - 1]
    at = text.rfind(tail)
    if at < 0:  # the page changed since it was indexed
        return False
    found.spans.append((at + start, at + len(tail)))
    occurrences = matched_words(words, [analysed_words(tail[start:])[0]], margins)
    if occurrences:
        found.boxes.extend(occurrence_boxes(words, occurrences[-1]))
    return True


def _head(found: Across, text: str, words: Sequence[Word], margins: Collection[int],
          joined: str, join: int, start: int, end: int) -> bool:
    """Mark the part of a crossing match after the break, on its page's first words."""
    head = joined[join:]
    at = text.find(head)
    if at < 0:
        return False
    found.spans.append((at, at + end - join))
    occurrences = matched_words(words, [analysed_words(head[:end - join])[0]], margins)
    if occurrences:
        found.boxes.extend(occurrence_boxes(words, occurrences[0]))
    return True


def _stored_bridge(searcher: Any, doc_id: str, page_no: int) -> str:
    """A page's bridge as indexed; "" for none."""
    if page_no < 1:
        return ""
    stored = searcher.document(id=page_key(doc_id, page_no))
    return str((stored or {}).get(FIELD) or "")
