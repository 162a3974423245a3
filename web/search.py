"""Blueprint "search": the home page, page-level hits grouped by document, query help."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from archive.errors import NotFoundError
from archive.foia import exemptions
from archive.foia.kinds import KINDS
from archive.models import SearchResults
from archive.search.query import bates_lookup, closed_bridges, query_terms
from archive.search.query import search as run_search
from web.auth import is_editor
from web.db import get_catalog, get_searcher, get_settings
from web.facets import facets, production_counts
from web.present import group_by_document, hit_views

bp = Blueprint("search", __name__)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_ON = ("1", "true", "yes", "on")


def _switch(name: str) -> bool:
    """Whether the request turns the switch `name` on (1, true, yes, on)."""
    return request.args.get(name, "", type=str).strip().lower() in _ON


def _filters() -> dict[str, Any]:
    """The request's `exemption` (an index key), `redacted` (yes/no), `agency` (a name),
    `year` (YYYY), `kind` (archive.foia.kinds), `collapse` and `tolerant` (bool); values
    that mean nothing are dropped."""
    redacted = request.args.get("redacted", "", type=str).strip().lower()
    agency = " ".join(_CONTROL.sub(" ", request.args.get("agency", "", type=str))
                      .replace('"', "").split())[:200]
    year = request.args.get("year", "", type=str).strip()
    kind = request.args.get("kind", "", type=str).strip().lower()
    return {"exemption": exemptions.normalize(request.args.get("exemption", "", type=str)),
            "redacted": redacted if redacted in ("yes", "no") else None,
            "agency": agency or None,
            "year": year if re.fullmatch(r"\d{4}", year) else None,
            "kind": kind if kind in KINDS else None,
            "collapse": _switch("collapse"), "tolerant": _switch("tolerant")}


@bp.app_template_global()
def tolerant_arg() -> int | None:
    """`tolerant=1` for links that keep the request's OCR-tolerant phrases, else None."""
    return 1 if _switch("tolerant") else None


@bp.app_context_processor
def search_box() -> dict[str, Any]:
    """The query and its filters kept in the search box on every page, errors too."""
    q = request.args.get("q", "", type=str)
    kept = {"production": _CONTROL.sub("", request.args.get("production", "", type=str)),
            **_filters()}
    kept["collapse"] = "1" if kept["collapse"] else None
    kept["tolerant"] = "1" if kept["tolerant"] else None
    return {"box_query": _CONTROL.sub(" ", q),
            "box_filters": [(name, value) for name, value in kept.items() if value]}


@dataclass(slots=True)
class Query:
    """A search request's arguments, bounded."""

    q: str
    page: int
    production: str | None
    exemption: str | None = None  # an exemption's index key: b6, b7c
    redacted: str | None = None  # "yes" or "no"
    agency: str | None = None  # a releasing agency's name, as the agency facet gives it
    year: str | None = None  # the year of the record's own date: "2017"
    kind: str | None = None  # a page kind (archive.foia.kinds): email, scan, ...
    collapse: bool = False  # near-duplicate pages shown once, as their earliest release
    tolerant: bool = False  # a phrase's long words may be one edit off on OCR'd pages
    jump: bool = True  # a Bates number typed alone opens its page

    @classmethod
    def from_request(cls) -> Query:
        """Read `q`, `page` (1-based; nonsense means 1), `production` (a slug), `exemption`
        (any written form: `b7c`, `(b)(7)(C)`), `redacted` (yes/no), `agency`, `year`,
        `kind`, `collapse` (1), `tolerant` (1) and `jump` (0: search for a Bates number
        instead of opening its page)."""
        page = request.args.get("page", 1, type=int)
        limit = current_app.config["MAX_RESULTS_PAGE"]
        return cls(q=request.args.get("q", "", type=str).strip(),
                   page=min(max(page, 1), limit),
                   production=request.args.get("production", "", type=str).strip() or None,
                   jump=request.args.get("jump") != "0", **_filters())

    @property
    def text(self) -> str:
        """The query as searched: `q` narrowed by the exemption, redaction, agency, year
        and kind filters."""
        filters = [f"{name}:{value}" for name, value in (
            ("exemption", self.exemption), ("redacted", self.redacted),
            ("agency_name", f'"{self.agency}"' if self.agency else None),
            ("year", self.year), ("kind", self.kind)) if value]
        if not filters:
            return self.q
        return " AND ".join(([f"({self.q})"] if self.q else []) + filters)

    def args(self, **changes: Any) -> dict[str, Any]:
        """This search's URL arguments, first page unless `page` is given, with `changes`
        applied (None or False drops an argument), for `url_for`."""
        values: dict[str, Any] = {"q": self.q, "production": self.production,
                                  "exemption": self.exemption, "redacted": self.redacted,
                                  "agency": self.agency, "year": self.year,
                                  "kind": self.kind, "collapse": self.collapse,
                                  "tolerant": self.tolerant,
                                  "jump": None if self.jump else 0}
        values.update(changes)
        for switch in ("collapse", "tolerant"):
            if values[switch]:
                values[switch] = 1
        return {k: v for k, v in values.items() if v is not None and v is not False}


@dataclass(slots=True)
class Filter:
    """A filter the search applies, as "Only pages ..." says it, and the URL without it."""

    name: str
    before: str
    value: str
    url: str


def active_filters(query: Query) -> list[Filter]:
    """The filters beside the production that narrow the search, in the order they read."""
    said = []
    if query.exemption:
        said.append(("exemption", "withheld under", exemptions.label(query.exemption) or ""))
    if query.redacted:
        said.append(("redacted", f"{'with' if query.redacted == 'yes' else 'without'} "
                     "redaction boxes", ""))
    if query.agency:
        said.append(("agency", "released by", query.agency))
    if query.year:
        said.append(("year", "of a record dated in", query.year))
    if query.kind:
        said.append(("kind", "of the kind", KINDS[query.kind]))
    return [Filter(name, before, value, url_for("search.results", **query.args(**{name: None})))
            for name, before, value in said]


def execute(query: Query) -> SearchResults:
    """Run the query; a page past the last one has no hits (Whoosh would repeat the last).

    Raises:
        QueryError: the query is malformed or over a limit.
    """
    pagelen = current_app.config["RESULTS_PER_PAGE"]
    results = run_search(get_searcher(), query.text, get_settings(), page=query.page,
                         pagelen=pagelen, production=query.production,
                         collapse=query.collapse, tolerant=query.tolerant)
    if (query.page - 1) * pagelen >= results.total:
        results.hits = []
    return results


def results_limit_notice() -> str:
    """What to do when a search matches more pages than can be paged through."""
    config = current_app.config
    reachable = config["MAX_RESULTS_PAGE"] * config["RESULTS_PER_PAGE"]
    return (f"Only the first {reachable:,} matching pages can be paged through: narrow the "
            "search (more words, a production, an exemption) to reach the others.")


def production_names() -> dict[str, dict[str, Any]]:
    """Every production by slug, with its counts."""
    catalog = get_catalog()
    return {row["slug"]: dict(row) for row in catalog.productions()} if catalog else {}


@bp.get("/")
def home() -> str:
    """The search form and the productions in the archive."""
    catalog = get_catalog()
    stats = catalog.stats() if catalog is not None else {"documents": 0, "pages": 0}
    return render_template("index.html", productions=list(production_names().values()),
                           stats=stats)


@bp.get("/search")
def results() -> str | Response:
    """Page-level hits, best first, grouped by document, with facets (production,
    exemption, redacted, agency, year, kind); a Bates number typed alone opens its page
    instead."""
    query = Query.from_request()
    if not query.q:
        return redirect(url_for("search.home"))
    if query.page == 1 and query.jump:
        # as typed: ice-2-000001
        stamped = bates_lookup(get_searcher(), query.q.upper(), get_settings())
        if stamped is not None:
            return redirect(url_for("documents.page", doc_id=stamped[0], page_no=stamped[1],
                                    bates=query.q))
    found = execute(query)
    settings, searcher = get_settings(), get_searcher()
    views = hit_views(found.hits, query_terms(query.q, settings, searcher,
                                              tolerant=query.tolerant), get_catalog(),
                      query_terms(query.q, settings, searcher, tolerant=True, text_layer=True)
                      if query.tolerant else None, searcher, closed_bridges(settings))
    productions = production_names()
    pagelen = current_app.config["RESULTS_PER_PAGE"]
    pages = math.ceil(found.total / pagelen)
    reachable = current_app.config["MAX_RESULTS_PAGE"]
    return render_template(
        "search.html", query=query, results=found,
        groups=group_by_document(views, current_app.config["HITS_SHOWN_PER_DOCUMENT"]),
        facets=facets(query, found, productions), productions=productions,
        filters=active_filters(query),
        page_count=max(1, min(pages, reachable)),
        limit_notice=results_limit_notice() if pages > reachable else None,
        first_rank=(query.page - 1) * pagelen + 1,
        thumb_width=current_app.config["THUMB_WIDTH"])


@bp.get("/help")
def help_page() -> str:
    """How to write queries."""
    return render_template("help.html")


@bp.get("/production/<slug>")
def production(slug: str) -> str:
    """One production: its release metadata and its documents."""
    catalog = get_catalog()
    row = catalog.production(slug) if catalog is not None else None
    if row is None or catalog is None or row["slug"] != slug:
        raise NotFoundError("There is no production with that name in the archive.")
    withdrawn = set() if is_editor() else {
        w["doc_id"] for w in catalog.withdrawals() if not w["page_no"]}  # not for the public
    documents = [dict(d) for d in catalog.production_documents(row["id"])
                 if d["doc_id"] not in withdrawn]
    return render_template("production.html", production=production_names()[slug],
                           documents=documents, counts=production_counts(slug))
