"""Whoosh read side, vectorised: words, phrases, AND/OR/AND NOT and filters matched with
numpy over each segment's postings, the top hits exact, the total exact up to a bound and
estimated beyond it.

Whoosh steps through matches one page at a time in Python (~2-10 us a page: a phrase of
common words on 100,000 pages took over a second). Here a segment's postings of each word
are read a block at a time into arrays; AND, OR and AND NOT are set operations on them,
BM25F scores are computed for every candidate at once (the same formula and statistics as
Whoosh's scorer), and facets are counted with `bincount` over per-segment value codes.
Only a phrase's positions stay in Python: a phrase's candidates (pages holding every word)
are checked in score order until the top hits are found, then in a random order until
the count is known: every candidate when it may be at most `exact_up_to`, else a random
sample until the total is known, with 3 standard errors, to be above the bound; the total
is then the sample's share of matches times the candidates (`estimated`), and the facets
the sample's counts scaled alike.

A phrase's half over a page break (`crossing.BridgePhrase`, a phrase of the `bridge`
field) is a phrase like the others whose starts must also pass `crossing.crosses`; in an
OR, a page of one part only keeps its checks owed, a page of several is checked at once
(its score depends on which of them hold). Fuzzy terms and wildcards are matched as the
words `bounds.Expander` found for them.

Queries of other shapes (phrases with fuzzy words or OCR-tolerant ones: `fuzzy.FuzzyPhrase`
and `crossing.BridgeFuzzyPhrase`; fuzzy and wildcard terms left as they are, ranges, slops
other than 1, other weightings, any node not named here) raise `Unsupported`: the caller
then uses Whoosh's matchers, and counts exactly.
"""

from __future__ import annotations

import math
import pickle
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate, chain
from typing import Any

import numpy as np
from whoosh import query, scoring
from whoosh.formats import Positions

from archive.search import bounds
from archive.search.collectors import (
    ExactPhrase,
    Found,
    Keeps,
    _blocks,
    field_lengths,
    value_codes,
)
from archive.search.crossing import BridgePhrase

_Z = 3.0  # standard errors between the estimate's lower bound and the bound to stop at
_MIN_SAMPLE = 512  # candidates checked before an estimate may stop the count
_BATCH = 256  # candidates checked between two looks at the estimate
_CHECK_PAGES = 2048  # candidates checked between two looks at the clock


class Unsupported(Exception):
    """A query shape left to Whoosh's own matchers."""


@dataclass(slots=True)
class _Postings:
    """A word's postings in one segment: pages (sorted), weights and (for phrases) values."""

    ids: np.ndarray
    weights: np.ndarray
    values: list[Any]


@dataclass(slots=True)
class _Phrase:
    """A position check still owed: the phrase's words stand next to each other."""

    words: list[_Postings]
    fast: bool  # Whoosh's own Positions format: decoded here without its Python loop
    decode: Callable[[Any], list[int]]
    deadline: bounds.Deadline
    keeps: Keeps | None = None  # `ExactPhrase.keeps` when it may refuse (`BridgePhrase`)

    def holds(self, docs: np.ndarray) -> np.ndarray:
        """For each page of `docs` (local numbers, each a candidate), whether the words
        stand at consecutive positions there (and `keeps` accepts them)."""
        at = [w.values for w in self.words]
        spots = [np.searchsorted(w.ids, docs) for w in self.words]
        out = np.zeros(len(docs), dtype=bool)
        positions = _fast_positions if self.fast else self.decode
        if self.keeps is not None:
            return self._kept(docs, at, spots, positions, self.keeps)
        for j in range(len(docs)):
            if not j % _CHECK_PAGES:
                self.deadline.check()
            starts = set(positions(at[0][spots[0][j]]))
            last = len(at) - 1
            for k in range(1, last):
                starts.intersection_update(map((-k).__add__, positions(at[k][spots[k][j]])))
                if not starts:
                    break
            else:  # the last word: is any start left where it stands too?
                out[j] = not starts.isdisjoint(
                    map((-last).__add__, positions(at[last][spots[last][j]])))
        return out

    def _kept(self, docs: np.ndarray, at: list[list[Any]], spots: list[np.ndarray],
              positions: Callable[[Any], Any], keeps: Keeps) -> np.ndarray:
        """`holds` for a phrase whose every start counts (`collectors._aligned` with
        `keeps`): all the starts, the first and last words' positions, then `keeps`."""
        out = np.zeros(len(docs), dtype=bool)
        last = len(at) - 1
        for j in range(len(docs)):
            if not j % _CHECK_PAGES:
                self.deadline.check()
            first = list(positions(at[0][spots[0][j]]))
            starts = set(first)
            end = first
            for k in range(1, last + 1):
                end = list(positions(at[k][spots[k][j]]))
                starts.intersection_update(p - k for p in end)
                if not starts:
                    break
            if starts:
                out[j] = keeps(starts, first, end)
        return out


def _fast_positions(value: bytes) -> Any:
    # whoosh.formats.Positions: 4 bytes of frequency, then a pickled list of deltas
    # (the pickle's final STOP byte may have been cut off when the posting was stored).
    return accumulate(pickle.loads(value[4:] if value.endswith(b".") else value[4:] + b"."))


@dataclass(slots=True)
class _Matches:
    """The pages of one segment a node matches (sorted, unique), their scores, and the
    phrase checks they must still pass."""

    docs: np.ndarray
    scores: np.ndarray
    checks: list[Any] = field(default_factory=list)  # `_Phrase` and `_Only`: .holds(docs)

    def resolved(self) -> _Matches:
        """Only the pages that pass every check."""
        if not self.checks:
            return self
        keep = np.ones(len(self.docs), dtype=bool)
        for check in self.checks:
            keep[keep] = check.holds(self.docs[keep])
        return _Matches(self.docs[keep], self.scores[keep])

    def holds(self, docs: np.ndarray) -> np.ndarray:
        """Whether each of `docs` (some of this node's pages) passes every check."""
        keep = np.ones(len(docs), dtype=bool)
        for check in self.checks:
            keep[keep] = check.holds(docs[keep])
        return keep


_EMPTY = _Matches(np.zeros(0, dtype=np.int64), np.zeros(0))


_POSTINGS: OrderedDict[tuple[Any, str, bytes], _Postings] = OrderedDict()
_CACHED_POSTINGS = 1_000_000  # postings kept per process (~60 MB with their positions)
_CACHE_FROM = 512  # a word on fewer pages of a segment is read again, quickly
_LOCK = threading.Lock()


def _keep(key: tuple[Any, str, bytes], found: _Postings) -> None:
    """Keep a common word's postings, the least recently used ones going first."""
    with _LOCK:
        _POSTINGS[key] = found
        held = sum(len(p.ids) for p in _POSTINGS.values())
        while held > _CACHED_POSTINGS and len(_POSTINGS) > 1:
            held -= len(_POSTINGS.popitem(last=False)[1].ids)


class _Segment:
    """What evaluating a query over one segment needs: its searcher, reader, weighting."""

    def __init__(self, searcher: Any, weighting: Any, deadline: bounds.Deadline) -> None:
        self.searcher = searcher
        self.deadline = deadline
        self.reader = searcher.reader()
        self.weighting = weighting

    def postings(self, fieldname: str, btext: bytes, *, values: bool = False) -> _Postings:
        """A word's postings in this segment (with their values: what a phrase checks),
        kept per process while they fit `_CACHED_POSTINGS` (a segment never changes)."""
        segment = self.reader.segment()
        key = (segment.segment_id() if segment is not None else id(self.reader), fieldname,
               btext)
        with _LOCK:
            found = _POSTINGS.get(key)
            if found is not None and (found.values or not values):
                _POSTINGS.move_to_end(key)
                return found
        blocks = _blocks(self.reader, fieldname, btext)
        ids = np.fromiter(chain.from_iterable(b[0] for b in blocks), dtype=np.int64)
        weights = np.fromiter(chain.from_iterable(b[2] for b in blocks), dtype=np.float64)
        found = _Postings(ids, weights, list(chain.from_iterable(b[1] for b in blocks)))
        if segment is not None and len(ids) >= _CACHE_FROM:
            _keep(key, found)
        return found

    def scores(self, fieldname: str, btext: bytes, found: _Postings) -> np.ndarray:
        scorer = self.weighting.scorer(self.searcher, fieldname, btext)
        if type(scorer) is scoring.BM25FScorer:
            lengths = field_lengths(self.reader, fieldname)[found.ids]
            tf = found.weights
            return scorer.idf * ((tf * (scorer.K1 + 1)) / (
                tf + scorer.K1 * ((1 - scorer.B) + scorer.B * lengths / scorer.avgfl)))
        if type(scorer) is scoring.WeightScorer:
            return found.weights.copy()
        raise Unsupported(type(scorer).__name__)

def evaluate(node: Any, seg: _Segment) -> _Matches:
    """The pages of one segment that `node` matches, scored as Whoosh scores them.

    Raises:
        Unsupported: a node this module does not evaluate.
    """
    if isinstance(node, bounds.Checked):  # the deadline's wrappers
        node.deadline.check()
        return evaluate(node.child, seg)
    boost = float(getattr(node, "boost", 1.0))
    found = _evaluate(node, seg)
    if boost != 1.0 and len(found.docs):
        found = _Matches(found.docs, found.scores * boost, found.checks)
    return found


def _evaluate(node: Any, seg: _Segment) -> _Matches:
    kind = type(node)
    if node is query.NullQuery or kind is query.NullQuery.__class__:
        return _EMPTY
    if kind is query.Term:
        return _term(node.fieldname, node.text, seg)
    if kind in (ExactPhrase, query.Phrase) and node.slop == 1:
        return _phrase(node, seg)
    if kind is BridgePhrase and node.slop == 1:  # a phrase over a page break (`crossing`)
        return _phrase(node, seg, keeps=node.keeps)
    if kind is query.And:
        wanted = [child for child in node.subqueries if type(child) is not query.Not]
        if not wanted:
            raise Unsupported("only NOTs")
        parts = [evaluate(child, seg) for child in wanted]
        found = _intersect(parts, scored=[True] * len(parts))
        unwanted = [child for child in node.subqueries if type(child) is query.Not]
        found = _without(found, [evaluate(child.query, seg) for child in unwanted])
        # Whoosh scores a NOT inside an AND as a match of its own, worth its boost
        return _Matches(found.docs, found.scores + sum(c.boost for c in unwanted),
                        found.checks)
    if kind is query.Require:
        return _intersect([evaluate(node.a, seg), evaluate(node.b, seg)], scored=[True, False])
    if kind is query.AndNot:
        return _without(evaluate(node.a, seg), [evaluate(node.b, seg)])
    if kind is query.Or and getattr(node, "scale", None) is None and not node.minmatch:
        return _union([evaluate(child, seg) for child in node.subqueries])
    if kind is bounds.Expanded:
        words = [w for w in node._btexts(seg.reader) if w]
        # Whoosh scores the words of a constant-score term (wildcards, prefixes) by their
        # frequency alone when there are several
        plain = node.constantscore and len(words) > 1
        return _union([_term(node.fieldname, w, seg, plain=plain) for w in words])
    raise Unsupported(kind.__name__)


def _term(fieldname: str, text: Any, seg: _Segment, *, plain: bool = False) -> _Matches:
    schema = seg.reader.schema
    if fieldname not in schema:
        return _EMPTY
    try:
        btext = schema[fieldname].to_bytes(text)
    except ValueError:
        return _EMPTY
    if (fieldname, btext) not in seg.reader:
        return _EMPTY
    found = seg.postings(fieldname, btext)
    return _Matches(found.ids, found.weights if plain else seg.scores(fieldname, btext, found))


def _phrase(node: Any, seg: _Segment, *, keeps: Keeps | None = None) -> _Matches:
    schema = seg.reader.schema
    if node.fieldname not in schema:
        return _EMPTY
    field_type = schema[node.fieldname]
    fmt = field_type.format
    if not fmt or not fmt.supports("positions"):
        raise Unsupported("phrase on a field without positions")
    words: list[_Postings] = []
    scored: list[np.ndarray] = []
    for word in node.words:
        try:
            btext = field_type.to_bytes(word)
        except ValueError:
            return _EMPTY
        if (node.fieldname, btext) not in seg.reader:
            return _EMPTY
        words.append(seg.postings(node.fieldname, btext, values=True))
        scored.append(seg.scores(node.fieldname, btext, words[-1]))
    docs, scores = words[0].ids, scored[0]
    for found, word_scores in zip(words[1:], scored[1:], strict=True):
        docs, here, there = np.intersect1d(docs, found.ids, assume_unique=True,
                                           return_indices=True)
        scores = scores[here] + word_scores[there]
    if not len(docs):
        return _EMPTY
    check = _Phrase(words, type(fmt) is Positions, fmt.decode_positions, seg.deadline, keeps)
    return _Matches(docs, scores, [check] if len(words) > 1 or keeps is not None else [])


def _intersect(parts: list[_Matches], scored: list[bool]) -> _Matches:
    docs = parts[0].docs
    for part in parts[1:]:
        docs = np.intersect1d(docs, part.docs, assume_unique=True)
    scores = np.zeros(len(docs))
    checks: list[Any] = []
    for part, counts in zip(parts, scored, strict=True):
        if counts:
            scores += part.scores[np.searchsorted(part.docs, docs)]
        checks.extend(part.checks)
    if not checks:
        return _Matches(docs, scores)
    # A check is made on a page of its own phrase: keep the phrase's pages in it.
    return _Matches(docs, scores, checks)


def _without(found: _Matches, unwanted: list[_Matches]) -> _Matches:
    """`found` less the pages any of `unwanted` matches (phrases in them checked first)."""
    for negative in unwanted:
        keep = ~np.isin(found.docs, negative.resolved().docs, assume_unique=True)
        found = _Matches(found.docs[keep], found.scores[keep], found.checks)
    return found


def _union(parts: list[_Matches]) -> _Matches:
    """The pages any part matches, scored as the sum of the parts that match them (Whoosh's
    Or). A page of one part only keeps that part's checks, owed (`_Only`: a phrase and
    its half over a page break can still be estimated); a page of several parts is
    checked now, its score depending on which of them hold there."""
    parts = [p for p in parts if len(p.docs)]
    if not parts:
        return _EMPTY
    docs = np.unique(np.concatenate([p.docs for p in parts]))
    scores = np.zeros(len(docs))
    if not any(p.checks for p in parts):
        for part in parts:
            scores[np.searchsorted(docs, part.docs)] += part.scores
        return _Matches(docs, scores)
    count = np.zeros(len(docs), dtype=np.int64)
    for part in parts:
        count[np.searchsorted(docs, part.docs)] += 1
    held = np.zeros(len(docs), dtype=bool)  # a page of several parts where one holds
    checks: list[Any] = []
    for part in parts:
        at = np.searchsorted(docs, part.docs)
        single = count[at] == 1
        shared = ~single
        ok = shared.copy()
        if part.checks and shared.any():
            ok[shared] = part.holds(part.docs[shared])
        scores[at[single | ok]] += part.scores[single | ok]
        held[at[ok]] = True
        if part.checks and single.any():
            checks.append(_Only(part.docs[single], part))
    keep = (count == 1) | held
    return _Matches(docs[keep], scores[keep], checks)


@dataclass(slots=True)
class _Only:
    """A part's checks, owed by its own pages only (`docs`, sorted) within a union."""

    docs: np.ndarray
    part: _Matches

    def holds(self, docs: np.ndarray) -> np.ndarray:
        """True for pages not in `docs`; the part's checks for those in it."""
        out = np.ones(len(docs), dtype=bool)
        mine = np.isin(docs, self.docs, assume_unique=True)
        if mine.any():
            out[mine] = self.part.holds(docs[mine])
        return out


@dataclass(slots=True)
class _Part:
    """One segment's candidates for the whole query, with what it takes to count facets."""

    offset: int
    size: int  # the segment's documents, deleted ones included
    matches: _Matches
    facets: list[tuple[np.ndarray, np.ndarray, list[Any]]]


def run(searcher: Any, q: Any, limit: int, facet_fields: dict[str, str],
        only: tuple[str, Any] | None, exact_up_to: int | None) -> Found:
    """Match `q` over every segment of `searcher` (see the module's docstring).

    Raises:
        Unsupported: a query shape left to Whoosh's matchers.
        SearchTimeoutError: a deadline in the query passed.
    """
    weighting = searcher.weighting
    if not isinstance(weighting, scoring.BM25F):
        raise Unsupported(type(weighting).__name__)
    parts: list[_Part] = []
    deadline = _deadline(q)
    for leaf, offset in searcher.leaf_searchers():
        seg = _Segment(leaf, weighting, deadline)
        matches = evaluate(q, seg)
        keep = _allowed(seg.reader, matches.docs, only)
        if keep is not None:
            matches = _Matches(matches.docs[keep], matches.scores[keep], matches.checks)
        if len(matches.docs):
            facets = [value_codes(seg.reader, f) for f in facet_fields.values()]
            parts.append(_Part(offset, seg.reader.doc_count_all(), matches, facets))
    names = list(facet_fields)
    if not any(p.matches.checks for p in parts):
        total = sum(len(p.matches.docs) for p in parts)
        counts = _tally(names, [(p, p.matches.docs) for p in parts], 1.0)
        return Found(_top(parts, limit, None), total, False, counts)
    return _checked(parts, names, limit, exact_up_to)


def _deadline(q: Any) -> bounds.Deadline:
    """The deadline the query carries (`bounds.watch`), else one that never passes."""
    if isinstance(q, bounds.Checked):
        return q.deadline
    for child in () if q.is_leaf() else q.children():
        found = _deadline(child)
        if not found.unlimited:
            return found
    return bounds.Deadline(0)


def _allowed(reader: Any, docs: np.ndarray, only: tuple[str, Any] | None) -> np.ndarray | None:
    """Which of `docs` are live (not deleted) and carry the `only` value; None: all."""
    keep = None
    if reader.has_deletions():
        keep = ~np.fromiter(map(reader.is_deleted, docs.tolist()), dtype=bool,
                            count=len(docs))
    if only is not None:
        pair_docs, pair_codes, values = value_codes(reader, only[0])
        code = next((i for i, v in enumerate(values) if v == only[1]), None)
        allowed = np.unique(pair_docs[pair_codes == code]) if code is not None else pair_docs[:0]
        inside = np.isin(docs, allowed, assume_unique=True)
        keep = inside if keep is None else keep & inside
    return keep


def _top(parts: list[_Part], limit: int, verdict: Callable[[int, np.ndarray], np.ndarray] | None
         ) -> list[tuple[int, float]]:
    """The best `limit` pages by score (ties: the lower document number first, as Whoosh);
    with `verdict`, candidates are checked best first until `limit` pass."""
    if not parts or limit <= 0:
        return []
    which = np.concatenate([np.full(len(p.matches.docs), i) for i, p in enumerate(parts)])
    docs = np.concatenate([p.matches.docs + p.offset for p in parts])
    scores = np.concatenate([p.matches.scores for p in parts])
    top: list[tuple[int, float]] = []
    left = np.arange(len(scores))
    size = max(2 * limit, 16)
    while len(left) and len(top) < limit:
        if size < len(left):  # the best `size` only: sorting 100k candidates takes ~10 ms
            cut = scores[left[np.argpartition(-scores[left], size)[size]]]
            taken = left[scores[left] > cut]
            taken = np.concatenate([taken, left[scores[left] == cut]])
        else:
            taken = left
        chunk = taken[np.lexsort((docs[taken], -scores[taken]))]
        passed = np.ones(len(chunk), dtype=bool) if verdict is None else _judge(
            parts, which[chunk], docs[chunk], verdict)
        top.extend((int(docs[i]), float(scores[i])) for i in chunk[passed])
        left = np.setdiff1d(left, taken, assume_unique=True) if len(taken) < len(left) \
            else left[:0]
        size *= 4
    return top[:limit]


def _judge(parts: list[_Part], which: np.ndarray, docs: np.ndarray,
           verdict: Callable[[int, np.ndarray], np.ndarray]) -> np.ndarray:
    """Check candidates given as (part index, global document number), in any order."""
    passed = np.zeros(len(docs), dtype=bool)
    for i in np.unique(which):
        here = which == i
        passed[here] = verdict(int(i), docs[here] - parts[int(i)].offset)
    return passed


def _checked(parts: list[_Part], names: list[str], limit: int,
             exact_up_to: int | None) -> Found:
    """Top hits, total and facets of candidates that still owe phrase checks."""
    known: list[dict[int, bool]] = [{} for _ in parts]

    def verdict(i: int, docs: np.ndarray) -> np.ndarray:
        memo = known[i]
        todo = np.array([d for d in docs.tolist() if d not in memo], dtype=np.int64)
        if len(todo):
            memo.update(zip(todo.tolist(), parts[i].matches.holds(todo).tolist(), strict=True))
        return np.array([memo[d] for d in docs.tolist()], dtype=bool)

    top = _top(parts, limit, verdict)
    which = np.concatenate([np.full(len(p.matches.docs), i) for i, p in enumerate(parts)])
    local = np.concatenate([p.matches.docs for p in parts])
    offsets = np.array([p.offset for p in parts], dtype=np.int64)[which]
    candidates = len(local)
    order = np.random.default_rng(0).permutation(candidates)  # the same sample every time
    seen = matched = 0
    passed = np.zeros(candidates, dtype=bool)
    # Every candidate is checked when the count must be exact: all at once, segment by
    # segment (a batch spread over the segments costs a numpy call per few pages)
    step = candidates if exact_up_to is None or candidates <= exact_up_to else _BATCH
    while seen < candidates:
        batch = order[seen:seen + step]
        passed[batch] = _judge(parts, which[batch], local[batch] + offsets[batch], verdict)
        seen += len(batch)
        matched = int(passed[order[:seen]].sum())
        if exact_up_to is not None and seen < candidates and (
                matched > exact_up_to or (seen >= _MIN_SAMPLE and _lower_bound(
                    matched, seen, candidates) > exact_up_to)):
            break
    sampled = order[:seen][passed[order[:seen]]]
    chosen = [(parts[i], local[sampled][which[sampled] == i]) for i in range(len(parts))]
    if seen == candidates:
        return Found(top, matched, False, _tally(names, chosen, 1.0))
    total = round(matched / seen * candidates)
    return Found(top, total, True, _tally(names, chosen, candidates / seen))


def _lower_bound(matched: int, seen: int, candidates: int) -> float:
    """The number of matches among all candidates, `_Z` standard errors below the sample's
    estimate (sampling without replacement; the share smoothed so that a sample of only
    matches still has an error)."""
    share = (matched + 1) / (seen + 2)
    error = math.sqrt(share * (1 - share) / seen * (1 - seen / candidates))
    return candidates * (matched / seen - _Z * error)


def _tally(names: list[str], chosen: list[tuple[_Part, np.ndarray]],
           scale: float) -> dict[str, Counter[Any]]:
    """Facet counts of the chosen pages of each part (local numbers), times `scale`."""
    counts: dict[str, Counter[Any]] = {name: Counter() for name in names}
    for part, docs in chosen:
        if not len(docs):
            continue
        mask = np.zeros(part.size, dtype=bool)
        mask[docs] = True
        for name, (pair_docs, pair_codes, values) in zip(names, part.facets, strict=True):
            tallied = np.bincount(pair_codes[mask[pair_docs]], minlength=len(values))
            counter = counts[name]
            for code in np.flatnonzero(tallied).tolist():
                counter[values[code]] += int(tallied[code])
    if scale != 1.0:
        for counter in counts.values():
            for key in counter:
                counter[key] = round(counter[key] * scale)
    return counts


