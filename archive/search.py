"""Whoosh read side: a query string, bounded and checked, to page-level hits with excerpts."""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any

from markupsafe import escape
from whoosh import index, qparser, query, sorting
from whoosh.searching import Searcher

from archive import collect, excerpts
from archive.config import Settings
from archive.errors import QueryError
from archive.foia import query as foia_query
from archive.foia import records
from archive.index import SCHEMA_VERSION, make_schema
from archive.models import Hit, SearchResults

FIELD_ALIASES = {"sender": ["from"], "recipients": ["to"], "production_id": ["production_id"]}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_WILDCARD_CHARS = "*?"


def index_exists(path: Path) -> bool:
    """Whether a Whoosh index has been created at `path`."""
    return path.exists() and index.exists_in(str(path))


_THREAD = threading.local()


@contextmanager
def open_searcher(settings: Settings) -> Iterator[Searcher | None]:
    """A searcher over the archive's index, or None while the archive is empty.

    Each thread keeps its searcher for its next call (opening one reads every segment's
    metadata: tens of milliseconds on a large index) and replaces it once the index has
    changed. Whoosh searchers are not thread-safe, hence one per thread.
    """
    if not index_exists(settings.whoosh_dir):
        yield None
        return
    yield _thread_searcher(settings.whoosh_dir)


def _thread_searcher(path: Path) -> Searcher:
    # The folder's inode tells a rebuilt index (`archive reindex` swaps folders) from an
    # updated one. Searcher.refresh() is not used: whoosh-reloaded's reader reuse adds the
    # segments a merge removed back into the new reader.
    key = (str(path), path.stat().st_ino)
    held = getattr(_THREAD, "held", None)
    if held is not None:
        held_key, ix, searcher = held
        if held_key == key and ix.latest_generation() == searcher.reader().generation():
            return searcher
        searcher.close()
        _THREAD.held = None
    ix = index.open_dir(str(path))
    searcher = ix.searcher()
    _THREAD.held = (key, ix, searcher)
    return searcher


def make_parser(schema: Any) -> qparser.QueryParser:
    """Whoosh's query language: phrases, AND/OR/NOT, parentheses, wildcards, field:value."""
    parser = qparser.QueryParser("text", schema)
    parser.add_plugin(qparser.FuzzyTermPlugin())
    parser.add_plugin(qparser.GtLtPlugin())
    parser.add_plugin(qparser.FieldAliasPlugin(FIELD_ALIASES))
    return parser


_PARSER = make_parser(make_schema())


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


def parse(text: str, settings: Settings, searcher: Searcher | None = None) -> query.Query:
    """Parse a query and check its wildcards and fuzzy terms against the index.

    Raises:
        QueryError: malformed, or a term that would expand to too many words.
    """
    text = foia_query.rewrite(check_syntax(text, settings))
    try:
        parsed = _PARSER.parse(text)
    except (ValueError, RecursionError, IndexError, KeyError, TypeError, AttributeError) as exc:
        # Whoosh's parser fails on some malformed input (`<a>` trips its < > plugin with an
        # IndexError): every such failure is the query's fault, not a server error.
        raise QueryError(f"the query could not be understood ({exc or type(exc).__name__}); "
                         "check its quotes, parentheses and field names") from exc
    if parsed is query.NullQuery:
        raise QueryError("the query has no words to search for")
    for leaf in _leaves(parsed):
        _check_leaf(leaf, settings, searcher)
    return parsed


def _leaves(q: query.Query, *, negated: bool = True) -> Iterator[query.Query]:
    """The query's leaves; with `negated=False`, not those under NOT (never on a hit)."""
    if q.is_leaf():
        yield q
        return
    if not negated and isinstance(q, query.Not):
        return
    for child in q.children():
        yield from _leaves(child, negated=negated)


def _check_leaf(leaf: query.Query, settings: Settings, searcher: Searcher | None) -> None:
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
    if isinstance(leaf, query.FuzzyTerm):
        if leaf.maxdist > 2:
            raise QueryError(f"'{leaf.text}~{leaf.maxdist}': fuzzy distance is at most 2")
        if len(str(leaf.text)) < 3:
            raise QueryError(f"'{leaf.text}~': fuzzy search needs a word of 3 letters or more")
    if searcher is not None and isinstance(leaf, query.MultiTerm):
        limit = settings.query_max_expansion
        expanded = sum(1 for _ in islice(leaf._btexts(searcher.reader()), limit + 1))
        if expanded > limit:
            raise QueryError(
                f"'{leaf}' matches more than {limit} different words; type more letters"
            )


def search(searcher: Searcher | None, text: str, settings: Settings, *, page: int = 1,
           pagelen: int = 20, production: str | None = None,
           collapse: bool = False) -> SearchResults:
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

    Raises:
        QueryError: the query is malformed or over a limit.
    """
    parsed = parse(text, settings, searcher)
    if searcher is None:
        return SearchResults(query=text, total=0, hits=[], page=page, pagelen=pagelen,
                             folded=0 if collapse else None)
    bates_key = foia_query.bates_key(text)
    if bates_key:  # a Bates number typed alone: its page first, then pages that mention it
        parsed = query.Or([query.Term("bates", bates_key, boost=1000.0), parsed])
    sequences = _marked(parsed, searcher)
    matcher_query = collect.exact_phrases(parsed)
    first = (max(page, 1) - 1) * pagelen
    if collapse:
        if production:
            matcher_query = query.Require(matcher_query, query.Term("production_id", production))
        return _collapsed(searcher, text, matcher_query, sequences, page, pagelen)
    collector = collect.CountingCollector(
        first + pagelen, _FACETS, only=("production_id", production) if production else None)
    searcher.search_with_collector(matcher_query, collector)
    hits = [_hit(h, sequences) for h in collector.results()[first:first + pagelen]]
    counts = {name: dict(counter) for name, counter in collector.counts.items()}
    return SearchResults(query=text, total=collector.matched, hits=hits, page=page,
                         pagelen=pagelen, facets=counts)


def _collapsed(searcher: Searcher, text: str, matcher_query: query.Query,
               sequences: list[list[str]], page: int, pagelen: int) -> SearchResults:
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
    hits = [_hit(results[rank], sequences) for rank in kept[first:first + pagelen]]
    return SearchResults(query=text, total=len(kept), hits=hits, page=page, pagelen=pagelen,
                         facets=counts, folded=len(results.top_n) - len(kept))


def _leaf_values(searcher: Searcher, fieldname: str) -> Any:
    """A function from a document number of `searcher` to the values of `fieldname` on that
    page (`(None,)` when it has none), read once per segment (`collect.doc_values`)."""
    leaves = [(offset, collect.doc_values(leaf.reader(), fieldname))
              for leaf, offset in searcher.leaf_searchers()]
    offsets = [offset for offset, _ in leaves]

    def values(docnum: int) -> tuple[Any, ...]:
        offset, found = leaves[bisect_right(offsets, docnum) - 1]
        return found[docnum - offset]

    return values


def _marked(parsed: query.Query, searcher: Searcher) -> list[list[str]]:
    """What an excerpt marks: the query's phrases and words in page text, wildcards and
    fuzzy words expanded to the words they found; nothing under a NOT."""
    sequences: list[list[str]] = []
    reader = searcher.reader()

    def visit(node: query.Query) -> None:
        if isinstance(node, query.Not):
            return
        if isinstance(node, query.Phrase) and node.fieldname == "text":
            sequences.append([str(w) for w in node.words])
        elif isinstance(node, query.MultiTerm) and node.fieldname == "text":
            sequences.extend([_text(w)] for w in node._btexts(reader))
        elif isinstance(node, query.Term) and node.fieldname == "text":
            sequences.append([str(node.text)])
        elif not node.is_leaf():
            for child in node.children():
                visit(child)

    visit(parsed)
    return sequences


def _text(word: bytes | str) -> str:
    return word.decode("utf-8") if isinstance(word, bytes) else str(word)


_FACETS = {"production": "production_id", "exemption": "exemption", "redacted": "redacted"}


def bates_lookup(searcher: Searcher | None, text: str) -> tuple[str, int] | None:
    """The page stamped with the Bates number that is the whole query, as (doc_id, page);
    None when the query is not a Bates number or no page carries it. For the reading
    room's jump-to-page.
    """
    key = foia_query.bates_key(text)
    if searcher is None or key is None:
        return None
    found = searcher.search(query.Term("bates", key), limit=1,
                            sortedby=sorting.FieldFacet("release_order"))
    if found.is_empty():
        return None
    stored = found[0].fields()
    return str(stored["doc_id"]), int(stored["page"])


def _hit(h: Any, sequences: list[list[str]]) -> Hit:
    fields = h.fields()
    text = fields.get("text", "")
    excerpt = excerpts.excerpt(text, sequences) or str(escape(_opening(text)))
    return Hit(
        doc_id=fields["doc_id"], page=int(fields["page"]), title=fields.get("title", ""),
        production=fields.get("production", ""), excerpt=excerpt,
        text_source=fields.get("text_source", "none"), score=float(h.score or 0.0),
        extra={"production_ids": fields.get("production_id", "").split(","),
               **(fields.get("foia") or records.page_record([], {}))},
    )


def _opening(text: str, chars: int = 240) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= chars else flat[:chars].rsplit(" ", 1)[0] + " …"


def matching_pages(searcher: Searcher | None, text: str, settings: Settings,
                   doc_id: str) -> list[int]:
    """The numbers of one document's pages that match a query, in page order.

    Raises:
        QueryError: the query is malformed or over a limit.
    """
    parsed = parse(text, settings, searcher)
    if searcher is None:
        return []
    found = searcher.search(parsed, filter=query.Term("doc_id", doc_id), limit=None)
    pages = searcher.reader().column_reader("page")
    return sorted(int(pages[docnum]) for docnum in found.docs())


def query_terms(text: str, settings: Settings) -> list[list[str]]:
    """The analysed word sequences a query looks for in page text: phrases and single words.

    Used to find the word boxes to highlight on a page image (`archive.matches`). A wildcard
    comes as its pattern (`detain*`, `de?ain*`), a fuzzy term as `word~distance/prefix`
    (`salli~1/0`); analysed words never contain `*`, `?` or `~`.
    """
    try:
        parsed = parse(text, settings)
    except QueryError:
        return []
    sequences: list[list[str]] = []
    for leaf in _leaves(parsed, negated=False):  # words the query excludes are not marked
        if getattr(leaf, "fieldname", None) != "text":
            continue
        if isinstance(leaf, query.Phrase):
            sequences.append([str(w) for w in leaf.words])
        elif isinstance(leaf, query.Term):
            sequences.append([str(leaf.text)])
        elif isinstance(leaf, query.Prefix):
            sequences.append([f"{leaf.text}*"])
        elif isinstance(leaf, query.Wildcard):
            sequences.append([str(leaf.text)])
        elif isinstance(leaf, query.FuzzyTerm):
            sequences.append([f"{leaf.text}~{leaf.maxdist}/{leaf.prefixlength}"])
    return sequences


def schema_version() -> int:
    """The schema version this program writes."""
    return SCHEMA_VERSION
