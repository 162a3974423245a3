"""Blueprint "search": the home page, page-level hits grouped by document, query help."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from archive.errors import NotFoundError
from archive.models import SearchResults
from archive.search import query_terms
from archive.search import search as run_search
from web.db import get_catalog, get_searcher, get_settings
from web.present import group_by_document, hit_views

bp = Blueprint("search", __name__)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@bp.app_context_processor
def search_box() -> dict[str, str]:
    """The query (and production filter) kept in the search box on every page, errors too."""
    q = request.args.get("q", "", type=str)
    production = request.args.get("production", "", type=str)
    return {"box_query": _CONTROL.sub(" ", q), "box_production": _CONTROL.sub("", production)}


@dataclass(slots=True)
class Query:
    """A search request's arguments, bounded."""

    q: str
    page: int
    production: str | None

    @classmethod
    def from_request(cls) -> Query:
        """Read `q`, `page` (1-based; nonsense means 1) and `production` (a slug)."""
        page = request.args.get("page", 1, type=int)
        limit = current_app.config["MAX_RESULTS_PAGE"]
        return cls(q=request.args.get("q", "", type=str).strip(),
                   page=min(max(page, 1), limit),
                   production=request.args.get("production", "", type=str).strip() or None)


def execute(query: Query) -> SearchResults:
    """Run the query; a page past the last one has no hits (Whoosh would repeat the last).

    Raises:
        QueryError: the query is malformed or over a limit.
    """
    pagelen = current_app.config["RESULTS_PER_PAGE"]
    results = run_search(get_searcher(), query.q, get_settings(), page=query.page,
                         pagelen=pagelen, production=query.production)
    if (query.page - 1) * pagelen >= results.total:
        results.hits = []
    return results


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
    """Page-level hits, best first, grouped by document, with facet counts by production."""
    query = Query.from_request()
    if not query.q:
        return redirect(url_for("search.home"))
    found = execute(query)
    views = hit_views(found.hits, query_terms(query.q, get_settings()), get_catalog())
    productions = production_names()
    facets = sorted(((productions.get(slug, {"name": slug})["name"], slug, count)
                     for slug, count in found.facets.get("production", {}).items() if count),
                    key=lambda item: (-item[2], item[0].lower()))
    pagelen = current_app.config["RESULTS_PER_PAGE"]
    return render_template(
        "search.html", query=query, results=found,
        groups=group_by_document(views, current_app.config["HITS_SHOWN_PER_DOCUMENT"]),
        facets=facets, productions=productions,
        page_count=max(1, math.ceil(found.total / pagelen)),
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
    documents = [dict(d) for d in catalog.production_documents(row["id"])]
    return render_template("production.html", production=production_names()[slug],
                           documents=documents)
