"""Whoosh read side: a query string, bounded and checked, to page-level hits with excerpts."""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import escape
from whoosh import qparser, query, sorting
from whoosh.index import Index
from whoosh.searching import Searcher

from archive import records
from archive.config import Settings
from archive.editing import withdrawals
from archive.errors import IndexLostError, IndexOutOfDateError, QueryError
from archive.models import Hit, SearchResults
from archive.search import (
    bounds,
    collectors,
    crossing,
    excerpts,
    fuzzy,
    matches,
    require_embedded,
    rewrites,
)
from archive.search.fuzzy import FuzzyPhrase, FuzzyPhrasePlugin, SurfaceFuzzy, SurfaceFuzzyPlugin
from archive.search.index import SCHEMA_VERSION, check_not_lost, make_schema, open_existing
from archive.store import open_store, store_exists
from archive.store.sqlite import Catalog  # the withdrawn pages' cache below: SQLite's

FIELD_ALIASES = {"sender": ["from"], "recipients": ["to"], "production_id": ["production_id"]}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_WILDCARD_CHARS = "*?"


_THREAD = threading.local()
_HELD_PER_THREAD = 4  # index folders a thread keeps a searcher open on


@dataclass(eq=False)
class _Held:
    """A thread's searcher over one index folder, as of one generation, and its users."""

    folder: tuple[int, int]  # (device, inode): `archive reindex` swaps in a new folder
    ix: Index
    generation: int  # the index's latest commit (TOC) when the searcher was opened
    searcher: Searcher
    users: int = 0
    retired: bool = False

    def is_current(self, path: Path) -> bool:
        """Whether the folder and its latest commit are still those this searcher reads."""
        try:
            return (_folder(path) == self.folder
                    and self.ix.latest_generation() == self.generation)
        except OSError:  # the folder went away
            return False

    def retire(self) -> None:
        """Replaced by a newer searcher: close it now, or when its last user is done."""
        self.retired = True
        if self.users == 0:
            self.searcher.close()

    def release(self) -> None:
        """One user is done with it."""
        self.users -= 1
        if self.retired and self.users == 0:
            self.searcher.close()


@contextmanager
def open_searcher(settings: Settings) -> Iterator[Searcher | None]:
    """A searcher over the index as it is now; None while no page is indexed yet (no index,
    or an index whose adds so far only had failures or were stopped before indexing).

    The one way the CLI and the reading room open searchers. Each thread keeps its
    searcher for its next call (opening one reads every segment's metadata: tens of
    milliseconds on a large index) while the index folder and its latest commit are
    unchanged, and opens a new one otherwise; a replaced searcher is closed once no caller
    uses it any more. Whoosh searchers are not thread-safe, hence one per thread.
    `Searcher.refresh()` is never used: whoosh-reloaded's reader reuse puts the segments a
    merge removed back into the new reader, so pages come back twice.

    Raises:
        IndexLostError: the index is missing or empty but the catalog has indexed pages.
        IndexOutOfDateError: the index was built with another schema version.
        ServerModeError: server mode is on (its search is not built yet).
    """
    require_embedded(settings)
    held = _thread_searcher(settings)
    if held is None or held.searcher.doc_count_all() == 0:
        yield None  # Whoosh's reader of an index with no segment lacks columns: not used
        return
    held.users += 1
    try:
        yield held.searcher
    finally:
        held.release()


def _thread_searcher(settings: Settings) -> _Held | None:
    """This thread's current searcher over the archive's index, opened if need be."""
    path = settings.whoosh_dir
    cache: OrderedDict[Path, _Held] = _THREAD.__dict__.setdefault("held", OrderedDict())
    held = cache.pop(path, None)
    if held is not None and held.is_current(path):
        cache[path] = held  # the most recently used last
        return held
    if held is not None:
        held.retire()
    held = _open_held(path)
    if held is None or held.searcher.doc_count() == 0:
        _refuse_lost(settings, held)
    if held is not None:
        cache[path] = held
        while len(cache) > _HELD_PER_THREAD:  # a thread that searched other archives
            cache.popitem(last=False)[1].retire()
    return held


def _open_held(path: Path) -> _Held | None:
    """A new searcher over the index at `path`; None when there is no index there."""
    try:
        folder = _folder(path)
        ix = open_existing(path)
        if ix is None:
            return None
        generation = ix.latest_generation()  # before opening: a later commit reopens
        return _Held(folder, ix, generation, ix.searcher())
    except FileNotFoundError:  # removed while it was being opened
        return None


def warm_caches(settings: Settings) -> None:
    """Fill this process's per-segment caches (`collectors.warm`) from a searcher of its
    own, closed afterwards; nothing to do without an index."""
    try:
        ix = open_existing(settings.whoosh_dir) if settings.whoosh_dir.exists() else None
    except IndexOutOfDateError:  # the reading room answers each request with the message
        return
    if ix is None:
        return
    with ix.searcher() as searcher:
        if searcher.doc_count_all():
            collectors.warm(searcher, _FACETS)


def _refuse_lost(settings: Settings, held: _Held | None) -> None:
    """Raise if the catalog records indexed pages that an absent or empty index lost."""
    indexed = 0
    if store_exists(settings):
        with open_store(settings, readonly=True) as catalog:
            indexed = catalog.stats()["pages"]
    found = None if held is None else held.searcher.doc_count()
    try:
        check_not_lost(settings.whoosh_dir, found, indexed)
    except IndexLostError:
        if held is not None:
            held.retire()
        raise


def _folder(path: Path) -> tuple[int, int]:
    """The index folder's (device, inode): a rebuilt index is a new folder."""
    found = path.stat()
    return found.st_dev, found.st_ino


def make_parser(schema: Any, *, tolerant: bool = False) -> qparser.QueryParser:
    """Whoosh's query language: phrases, AND/OR/NOT, parentheses, wildcards, field:value,
    fuzzy words (`word~1`, in phrases too: archive.search.fuzzy); `tolerant`, every word of
    5 or more letters in a phrase may be one edit off."""
    parser = qparser.QueryParser("text", schema)
    parser.remove_plugin_class(qparser.PhrasePlugin)
    parser.add_plugin(FuzzyPhrasePlugin())
    parser.add_plugin(SurfaceFuzzyPlugin())
    parser.add_plugin(qparser.GtLtPlugin())
    parser.add_plugin(qparser.FieldAliasPlugin(FIELD_ALIASES))
    parser.tolerant = tolerant  # type: ignore[attr-defined]  # read by FuzzyPhrasePlugin
    return parser


_PARSERS = {tolerant: make_parser(make_schema(), tolerant=tolerant) for tolerant in (False, True)}


def check_syntax(text: str, settings: Settings) -> str:
    """Clean a query string and refuse what would be slow or is malformed.

    Raises:
        QueryError: with a plain message saying what to change.
    """
    text = _CONTROL.sub(" ", text).strip()
    if not text:
        raise QueryError("the query is empty; type a word or a \"phrase in quotes\"")
    if len(text) > settings.query_max_chars:
        raise QueryError(
            f"the query is {len(text)} characters long; the limit is {settings.query_max_chars}"
        )
    if text.count('"') % 2:
        raise QueryError('the query has an unbalanced quote ("); close the phrase')
    depth = deepest = 0
    for char in re.sub(r'"[^"]*"', "", text):
        if char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise QueryError("the query closes a parenthesis it never opened")
    if depth:
        raise QueryError("the query leaves a parenthesis open; add the missing )")
    if deepest > settings.query_max_depth:
        raise QueryError(
            f"the query nests parentheses {deepest} deep; the limit is {settings.query_max_depth}"
        )
    return text


def parse(text: str, settings: Settings, searcher: Searcher | None = None, *,
          deadline: bounds.Deadline | None = None, tolerant: bool = False) -> query.Query:
    """Parse a query; with a searcher, expand its wildcards and fuzzy terms once, within the
    query's budget of words looked through (`bounds.Expander`). `tolerant`: every word of 5
    or more letters in a phrase may be one edit off on pages read by OCR.

    Raises:
        QueryError: malformed, or a term that would expand to too many words, or terms
            that would look through too much of the index.
        SearchTimeoutError: the deadline passed while expanding.
    """
    text = rewrites.rewrite(check_syntax(text, settings))
    try:
        parsed = _PARSERS[tolerant].parse(text)
    except (ValueError, RecursionError, IndexError, KeyError, TypeError, AttributeError) as exc:
        # Whoosh's parser fails on some malformed input (`<a>` trips its < > plugin with an
        # IndexError): every such failure is the query's fault, not a server error.
        raise QueryError(f"the query could not be understood ({exc or type(exc).__name__}); "
                         "check its quotes, parentheses and field names") from exc
    if parsed is query.NullQuery:
        raise QueryError("the query has no words to search for")
    for leaf in _leaves(parsed):
        _check_leaf(leaf, settings)
    if searcher is None:
        return parsed
    expander = bounds.Expander(
        searcher.reader(), max_scanned=settings.query_max_scanned,
        max_words=settings.query_max_expansion,
        deadline=deadline or bounds.Deadline(settings.search_deadline))
    return expander.expand(parsed)


def _leaves(q: query.Query, *, negated: bool = True) -> Iterator[query.Query]:
    """The query's leaves; with `negated=False`, not those under NOT (never on a hit)."""
    if q.is_leaf():
        yield q
        return
    if not negated and isinstance(q, query.Not):
        return
    for child in q.children():
        yield from _leaves(child, negated=negated)


def _check_leaf(leaf: query.Query, settings: Settings) -> None:
    if isinstance(leaf, query.Every):
        raise QueryError(
            "a query of only * would list every page; type a word, or at least "
            f"{settings.query_min_prefix} letters before the *"
        )
    if isinstance(leaf, query.Wildcard | query.Prefix | query.Regex):
        text = str(leaf.text)
        literal = len(text) if isinstance(leaf, query.Prefix) else min(
            (text.find(c) for c in _WILDCARD_CHARS if c in text), default=len(text)
        )
        if literal < settings.query_min_prefix:
            raise QueryError(
                f"'{text}' starts with a wildcard; type at least "
                f"{settings.query_min_prefix} letters before * or ?"
            )
    if isinstance(leaf, FuzzyPhrase):
        for term in leaf.fuzzy_terms():
            _check_leaf(term, settings)
    if isinstance(leaf, query.FuzzyTerm):
        typed = getattr(leaf, "typed", leaf.text)  # as the user wrote it, never a stem
        if leaf.maxdist > 2:
            raise QueryError(f"'{typed}~{leaf.maxdist}': fuzzy distance is at most 2")
        if len(str(leaf.text)) < 3:
            raise QueryError(f"'{typed}~': fuzzy search needs a word of 3 letters or more")


def search(searcher: Searcher | None, text: str, settings: Settings, *, page: int = 1,
           pagelen: int = 20, production: str | None = None,
           collapse: bool = False, exact: bool = False,
           tolerant: bool = False) -> SearchResults:
    """Run a query and return one page of page-level hits, best first, with facet counts.

    Args:
        searcher: from `open_searcher`; None searches an empty archive.
        text: the query in Whoosh's language.
        settings: limits on query size and expansion.
        page: 1-based page of results.
        pagelen: hits per page of results.
        production: a production slug to restrict the hits to.
        collapse: show each set of near-duplicate pages (the same record in several
            releases) once, as its earliest release.
        exact: count every match; otherwise the total and facets are exact up to
            `settings.count_exact_up_to` matching pages and estimated beyond
            (`SearchResults.total_is_estimate`).
        tolerant: every word of 5 or more letters in a phrase may be one edit off on pages
            read by OCR; pages where the phrase stands as typed rank first, and each hit
            lists the words it matched fuzzily (`Hit.fuzzy_words`).

    Raises:
        QueryError: the query is malformed or over a limit.
        SearchTimeoutError: the search ran past `settings.search_deadline`.
    """
    deadline = bounds.Deadline(settings.search_deadline)
    if searcher is None:
        parse(text, settings, deadline=deadline, tolerant=tolerant)  # malformed: refused
        return SearchResults(query=text, total=0, hits=[], page=page, pagelen=pagelen,
                             folded=0 if collapse else None, tolerant=tolerant)
    matcher_query, sequences = prepare(searcher, text, settings, deadline, tolerant=tolerant)
    first = (max(page, 1) - 1) * pagelen
    if collapse:
        if production:
            matcher_query = query.Require(matcher_query, query.Term("production_id", production))
        found = _collapsed(searcher, text, matcher_query, sequences, page, pagelen,
                           closed_bridges(settings))
        found.tolerant = tolerant
        return found
    got = collectors.collect(
        searcher, matcher_query, first + pagelen, _FACETS,
        only=("production_id", production) if production else None,
        exact_up_to=None if exact or settings.count_exact_up_to <= 0
        else settings.count_exact_up_to)
    closed = closed_bridges(settings)
    hits = [hit_of(searcher.stored_fields(docnum), score, sequences, closed)
            for docnum, score in got.top[first:first + pagelen]]
    counts = {name: dict(counter) for name, counter in got.counts.items()}
    return SearchResults(query=text, total=got.total, hits=hits, page=page,
                         pagelen=pagelen, facets=counts, total_is_estimate=got.estimated,
                         tolerant=tolerant)


def prepare(searcher: Searcher, text: str, settings: Settings, deadline: bounds.Deadline,
            *, tolerant: bool = False) -> tuple[query.Query, Marks]:
    """A query string as run on the index, and what its excerpts mark: parsed and expanded
    within its bounds, a Bates number typed alone boosted, phrases matched exactly, the
    deadline watched, phrases also matched over page breaks (`crossing`), pages withdrawn
    from public view left out. Every search of the reading room and the CLI (results,
    feeds, exports, alerts) is built here.

    Raises:
        QueryError: the query is malformed or over a limit.
        SearchTimeoutError: the deadline passed while expanding.
    """
    parsed = parse(text, settings, searcher, deadline=deadline, tolerant=tolerant)
    deadline.check()
    bates_key = rewrites.bates_key(text)
    if bates_key:  # a Bates number typed alone: its page first, then pages that mention it
        parsed = query.Or([query.Term("bates", bates_key, boost=1000.0), parsed])
    bridged = crossing.across_pages(parsed, closed_bridges(settings))
    watched = bounds.watch(collectors.exact_phrases(bridged), deadline)
    reader = searcher.reader()
    marks = Marks(_marked(parsed, reader), _marked(parsed, reader, text_layer=True))
    return public(watched, settings), marks


@dataclass(eq=False)
class _Hidden:
    """A thread's connection to one catalog, and the withdrawn pages as of a version."""

    catalog: Catalog
    inode: int  # a catalog made anew is another file
    version: int = -1  # the catalog's data version when `found` was read
    found: query.Query | None = None
    closed: frozenset[str] = frozenset()  # `closed_bridges`


def withdrawn_query(settings: Settings) -> query.Query | None:
    """The pages withdrawn from public view (whole documents and single pages), or None.

    Checked at every search, so a withdrawal hides its pages at once, from every route
    that searches (results, the API, feeds, exports), without a reindex. Each thread keeps
    a connection to the catalog and reads the list again only when another connection
    committed since (`Catalog.data_version`: ~10 us; reading the list: ~1 ms).
    """
    held = _hidden(settings)
    return held.found if held is not None else None


def closed_bridges(settings: Settings) -> frozenset[str]:
    """The keys of the pages whose bridge (`crossing`) must not be used: the withdrawn
    pages and the pages before them (a bridge holds the next page's first words), so a
    phrase running onto a withdrawn page neither matches nor shows its words."""
    held = _hidden(settings)
    return held.closed if held is not None else frozenset()


def _hidden(settings: Settings) -> _Hidden | None:
    """This thread's withdrawn pages of the archive, read again after any commit."""
    path = settings.catalog_path
    try:
        inode = path.stat().st_ino
    except FileNotFoundError:
        return None
    cache: OrderedDict[Path, _Hidden] = _THREAD.__dict__.setdefault("hidden", OrderedDict())
    held = cache.pop(path, None)
    if held is not None and held.inode != inode:
        held.catalog.close()
        held = None
    if held is None:
        held = _Hidden(Catalog(path, readonly=True), inode)
    version = held.catalog.data_version()
    if version != held.version:
        docs, pages = withdrawals.hidden_keys(held.catalog)
        terms = [query.Term("doc_id", d) for d in docs] + [query.Term("id", k) for k in pages]
        held.found, held.version = (query.Or(terms) if terms else None), version
        held.closed = frozenset(pages) | {crossing.key_before(key) for key in pages}
    cache[path] = held
    while len(cache) > _HELD_PER_THREAD:  # a thread that searched other archives
        cache.popitem(last=False)[1].catalog.close()
    return held


def public(q: query.Query, settings: Settings) -> query.Query:
    """`q` without the pages withdrawn from public view."""
    hidden = withdrawn_query(settings)
    return q if hidden is None else query.AndNot(q, hidden)


def _collapsed(searcher: Searcher, text: str, matcher_query: query.Query,
               sequences: Marks, page: int, pagelen: int,
               closed: frozenset[str]) -> SearchResults:
    """Hits with near-duplicate pages collapsed to their earliest release: the total and the
    facets count the pages shown, `folded` the copies left out.

    Whoosh's own collapsing miscounts when a page it kept is replaced by an earlier release
    met later in the index: its total and its facets still count the replaced page. Here
    every match is scored, then each set of copies keeps its earliest release.
    """
    results = searcher.search(matcher_query, limit=None)  # every match, best first
    group_of = _leaf_values(searcher, "dup_group")
    order_of = _leaf_values(searcher, "release_order")
    earliest: dict[Any, tuple[str, int]] = {}  # copies' group -> (release order, rank)
    for rank, (_, docnum) in enumerate(results.top_n):
        group = group_of(docnum)[0] or ("page", docnum)
        order = order_of(docnum)[0] or "~"  # no release date: after every dated one
        if group not in earliest or order < earliest[group][0]:
            earliest[group] = (order, rank)
    kept = sorted(rank for _, rank in earliest.values())
    counts: dict[str, dict[Any, int]] = {}
    for name, field in _FACETS.items():
        values_of = _leaf_values(searcher, field)
        counter: dict[Any, int] = {}
        for rank in kept:
            for value in values_of(results.top_n[rank][1]):
                counter[value] = counter.get(value, 0) + 1
        counts[name] = counter
    first = (max(page, 1) - 1) * pagelen
    hits = [_hit(results[rank], sequences, closed) for rank in kept[first:first + pagelen]]
    return SearchResults(query=text, total=len(kept), hits=hits, page=page, pagelen=pagelen,
                         facets=counts, folded=len(results.top_n) - len(kept))


def _leaf_values(searcher: Searcher, fieldname: str) -> Any:
    """A function from a document number of `searcher` to the values of `fieldname` on that
    page (`(None,)` when it has none), read once per segment (`collectors.doc_values`)."""
    leaves = [(offset, collectors.doc_values(leaf.reader(), fieldname))
              for leaf, offset in searcher.leaf_searchers()]
    offsets = [offset for offset, _ in leaves]

    def values(docnum: int) -> tuple[Any, ...]:
        offset, found = leaves[bisect_right(offsets, docnum) - 1]
        return found[docnum - offset]

    return values


@dataclass(frozen=True)
class Marks:
    """What to mark on a hit read by OCR, and on one with a text layer (where a tolerant
    phrase matched only as typed)."""

    ocr: list[list[str]]
    text_layer: list[list[str]]

    def of(self, text_source: str) -> list[list[str]]:
        """The sequences for a page with this text source."""
        return self.text_layer if text_source == "text" else self.ocr


def _marked(parsed: query.Query, reader: Any = None, *,
            text_layer: bool = False) -> list[list[str]]:
    """What an excerpt or a page marks: the query's phrases and words in page text (their
    analysed forms, see `matches`), nothing under a NOT. With the searcher's `reader`,
    wildcards and fuzzy words come expanded to the words they found (a fuzzy word as
    `typed|found|...`); without, as patterns (`detain*`, `salli~1/0`). `text_layer`: for a
    page with a text layer, where tolerant phrases match as typed only."""
    sequences: list[list[str]] = []

    def visit(node: query.Query) -> None:
        if isinstance(node, query.Not):
            return
        if getattr(node, "fieldname", None) != "text":
            if not node.is_leaf():
                for child in node.children():
                    visit(child)
            return
        if isinstance(node, FuzzyPhrase):
            sequences.append(node.sequence(reader, text_layer=text_layer))
        elif isinstance(node, query.Phrase):
            sequences.append([str(w) for w in node.words])
        elif isinstance(node, SurfaceFuzzy) or (isinstance(node, bounds.Expanded)
                                                and isinstance(node.original, SurfaceFuzzy)):
            original: Any = getattr(node, "original", node)
            sequences.append([fuzzy.alternatives(original.exact, node, reader)])
        elif reader is not None and isinstance(node, query.MultiTerm):
            sequences.extend([_text(w)] for w in node._btexts(reader))
        elif isinstance(node, query.Prefix):
            sequences.append([f"{node.text}*"])
        elif isinstance(node, query.Wildcard):
            sequences.append([str(node.text)])
        elif isinstance(node, query.FuzzyTerm):
            sequences.append([f"{node.text}~{node.maxdist}/{node.prefixlength}"])
        elif isinstance(node, query.Term):
            sequences.append([str(node.text)])

    visit(parsed)
    return sequences


def _text(word: bytes | str) -> str:
    return word.decode("utf-8") if isinstance(word, bytes) else str(word)


_FACETS = {"production": "production_id", "exemption": "exemption", "redacted": "redacted",
           "agency": "agency_name", "year": "year", "kind": "kind"}


def bates_lookup(searcher: Searcher | None, text: str,
                 settings: Settings | None = None) -> tuple[str, int] | None:
    """The page stamped with the Bates number that is the whole query, as (doc_id, page);
    None when the query is not a Bates number or no page carries it (or, given the
    settings, it is withdrawn). For the reading room's jump-to-page.
    """
    key = rewrites.bates_key(text)
    if searcher is None or key is None:
        return None
    stamped: query.Query = query.Term("bates", key)
    found = searcher.search(stamped if settings is None else public(stamped, settings), limit=1,
                            sortedby=sorting.FieldFacet("release_order"))
    if found.is_empty():
        return None
    stored = found[0].fields()
    return str(stored["doc_id"]), int(stored["page"])


def _hit(h: Any, sequences: Marks, closed: frozenset[str]) -> Hit:
    return hit_of(h.fields(), float(h.score or 0.0), sequences, closed)


def hit_of(fields: dict[str, Any], score: float, marks: Marks | list[list[str]],
           closed: frozenset[str] = frozenset()) -> Hit:
    """A hit from a page's stored fields, its score and what its excerpt marks (`Marks`
    choose by the page's text source), with the words it matched only fuzzily; its
    excerpt shows a phrase running over the break to the next page from its bridge, unless
    the page is in `closed` (`closed_bridges`)."""
    text = fields.get("text", "")
    sequences = marks.of(fields.get("text_source", "")) if isinstance(marks, Marks) else marks
    bridge = "" if fields.get("id") in closed else fields.get("bridge", "")
    across = crossing.excerpt(bridge, sequences, int(fields["page"]) + 1)
    own = excerpts.excerpt(text, sequences, margins=fields.get("margins") or ())
    excerpt = excerpts.BETWEEN.join(filter(None, [own, across])) \
        or str(escape(_opening(text)))
    return Hit(
        fuzzy_words=matches.fuzzy_words(text, sequences, fields.get("margins") or ()),
        doc_id=fields["doc_id"], page=int(fields["page"]), title=fields.get("title", ""),
        production=fields.get("production", ""), excerpt=excerpt,
        text_source=fields.get("text_source", "none"), score=score,
        extra={"production_ids": fields.get("production_id", "").split(","),
               **(fields.get("foia") or records.page_record([], {}))},
    )


def _opening(text: str, chars: int = 240) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= chars else flat[:chars].rsplit(" ", 1)[0] + " …"


def matching_pages(searcher: Searcher | None, text: str, settings: Settings,
                   doc_id: str, *, tolerant: bool = False) -> list[int]:
    """The numbers of one document's pages that match a query (`tolerant`: see `search`),
    in page order.

    Raises:
        QueryError: the query is malformed or over a limit.
        SearchTimeoutError: the search ran past `settings.search_deadline`.
    """
    deadline = bounds.Deadline(settings.search_deadline)
    parsed = parse(text, settings, searcher, deadline=deadline, tolerant=tolerant)
    if searcher is None:
        return []
    found = searcher.search(
        public(bounds.watch(crossing.across_pages(parsed, closed_bridges(settings)), deadline),
               settings),
        filter=query.Term("doc_id", doc_id), limit=None)
    pages = searcher.reader().column_reader("page")
    return sorted(int(pages[docnum]) for docnum in found.docs())


def query_terms(text: str, settings: Settings, searcher: Searcher | None = None, *,
                tolerant: bool = False, text_layer: bool = False) -> list[list[str]]:
    """The analysed word sequences a query looks for in page text: phrases and single words.

    Used to find the word boxes to highlight on a page image (`archive.search.matches`).
    With a searcher, wildcards and fuzzy words come as the words they found in the index,
    exactly what its hits matched (a fuzzy word as `typed|found|...`); without, a wildcard
    comes as its pattern (`detain*`, `de?ain*`), a fuzzy word as `word~distance/prefix`
    (`salli~1/0`); analysed words never contain `*`, `?`, `~` or `|`. A malformed query has
    none. `text_layer`: for a page with a text layer (tolerant phrases match as typed).
    """
    try:
        parsed = parse(text, settings, searcher, tolerant=tolerant)
    except QueryError:
        return []
    return _marked(parsed, searcher.reader() if searcher is not None else None,
                   text_layer=text_layer)


def schema_version() -> int:
    """The schema version this program writes."""
    return SCHEMA_VERSION
