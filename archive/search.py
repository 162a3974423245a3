"""Whoosh read side: a query string, bounded and checked, to page-level hits with excerpts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any

from markupsafe import escape
from whoosh import highlight, index, qparser, query, sorting
from whoosh.searching import Searcher

from archive.config import Settings
from archive.errors import QueryError
from archive.index import SCHEMA_VERSION, make_schema
from archive.models import Hit, SearchResults

FIELD_ALIASES = {"sender": ["from"], "recipients": ["to"], "production_id": ["production_id"]}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_WILDCARD_CHARS = "*?"


class _MarkFormatter(highlight.Formatter):
    """Matched words in a bare <mark>; everything else escaped."""

    between = " … "

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        return f"<mark>{escape(highlight.get_text(text, token, replace))}</mark>"

    def _text(self, text: str) -> str:
        return str(escape(text))


def index_exists(path: Path) -> bool:
    """Whether a Whoosh index has been created at `path`."""
    return path.exists() and index.exists_in(str(path))


@contextmanager
def open_searcher(settings: Settings) -> Iterator[Searcher | None]:
    """A searcher over the archive's index, or None while the archive is empty."""
    if not index_exists(settings.whoosh_dir):
        yield None
        return
    searcher = index.open_dir(str(settings.whoosh_dir)).searcher()
    try:
        yield searcher
    finally:
        searcher.close()


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
    text = check_syntax(text, settings)
    try:
        parsed = _PARSER.parse(text)
    except (ValueError, RecursionError) as exc:
        raise QueryError(f"the query could not be understood ({exc})") from exc
    if parsed is query.NullQuery:
        raise QueryError("the query has no words to search for")
    for leaf in _leaves(parsed):
        _check_leaf(leaf, settings, searcher)
    return parsed


def _leaves(q: query.Query) -> Iterator[query.Query]:
    if q.is_leaf():
        yield q
        return
    for child in q.children():
        yield from _leaves(child)


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
           pagelen: int = 20, production: str | None = None) -> SearchResults:
    """Run a query and return one page of page-level hits, best first, with facet counts.

    Args:
        searcher: from `open_searcher`; None searches an empty archive.
        text: the query in Whoosh's language.
        settings: limits on query size and expansion.
        page: 1-based page of results.
        pagelen: hits per page of results.
        production: a production slug to restrict the hits to.

    Raises:
        QueryError: the query is malformed or over a limit.
    """
    parsed = parse(text, settings, searcher)
    if searcher is None:
        return SearchResults(query=text, total=0, hits=[], page=page, pagelen=pagelen)
    restrict = query.Term("production_id", production) if production else None
    facet = sorting.FieldFacet("production_id", allow_overlap=True)
    results = searcher.search_page(
        parsed, max(page, 1), pagelen=pagelen, filter=restrict,
        groupedby={"production": facet}, maptype=sorting.Count, terms=True,
    )
    results.results.fragmenter = highlight.ContextFragmenter(maxchars=320, surround=80)
    results.results.formatter = _MarkFormatter()
    hits = [_hit(h) for h in results]
    facets = {"production": dict(results.results.groups("production"))}
    return SearchResults(query=text, total=results.total, hits=hits, page=page,
                         pagelen=pagelen, facets=facets)


def _hit(h: Any) -> Hit:
    fields = h.fields()
    excerpt = h.highlights("text", top=2) or str(escape(_opening(fields.get("text", ""))))
    return Hit(
        doc_id=fields["doc_id"], page=int(fields["page"]), title=fields.get("title", ""),
        production=fields.get("production", ""), excerpt=excerpt,
        text_source=fields.get("text_source", "none"), score=float(h.score or 0.0),
        extra={"production_ids": fields.get("production_id", "").split(",")},
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

    Used to find the word boxes to highlight on a page image.
    """
    try:
        parsed = parse(text, settings)
    except QueryError:
        return []
    sequences: list[list[str]] = []
    for leaf in _leaves(parsed):
        if isinstance(leaf, query.Phrase) and leaf.fieldname == "text":
            sequences.append([str(w) for w in leaf.words])
        elif isinstance(leaf, query.Term) and leaf.fieldname == "text":
            sequences.append([str(leaf.text)])
    return sequences


def schema_version() -> int:
    """The schema version this program writes."""
    return SCHEMA_VERSION
