"""Blueprint "feeds": follow a search. `/search.atom` (the newest matching pages, same
parameters as `/search`), and saved searches (`archive alerts add`): `/alerts`,
`/alerts/<name>` (its new pages by production) and `/alerts/<name>.atom`."""

from __future__ import annotations

import time

from flask import Blueprint, Response, current_app, render_template

from archive import alerts
from archive.errors import NotFoundError
from archive.models import Hit
from archive.search import streams
from archive.search.query import query_terms
from web import atom
from web.db import get_catalog, get_searcher, get_settings
from web.links import absolute_url
from web.present import hit_views
from web.search import Query

bp = Blueprint("feeds", __name__)


def permalink(hit: Hit) -> str:
    """A hit's page, as an address to hand out."""
    return absolute_url("documents.page", doc_id=hit.doc_id, page_no=hit.page)


def _atom(info: atom.FeedInfo, text: str, window: streams.Window) -> Response:
    settings = get_settings()
    hits = streams.newest(get_searcher(), text, settings, window, settings.feed_entries)
    return Response(atom.feed(info, hits, permalink, time.time()),
                    mimetype=atom.MIMETYPE)


@bp.get("/search.atom")
def search_feed() -> Response:
    """The most recently added pages that match a search, newest first."""
    query = Query.from_request()
    if not query.q:
        raise NotFoundError("A feed follows a search: add ?q=WORDS to the address.")
    info = atom.FeedInfo(title=f"{query.q} · FOIA reading room",
                         self_url=absolute_url("feeds.search_feed", **query.args()),
                         page_url=absolute_url("search.results", **query.args()))
    return _atom(info, query.text, streams.Window(production=query.production))


def _alert(name: str) -> alerts.Alert:
    catalog = get_catalog()
    if catalog is None:
        raise NotFoundError(f"There is no saved search called {name}.")
    return alerts.find(catalog, name)


@bp.get("/alerts/<name>.atom")
def alert_feed(name: str) -> Response:
    """A saved search's feed: its newest matching pages."""
    alert = _alert(name)
    info = atom.FeedInfo(title=f"{alert.name}: {alert.query} · FOIA reading room",
                         self_url=absolute_url("feeds.alert_feed", name=alert.name),
                         page_url=absolute_url("feeds.alert_page", name=alert.name))
    return _atom(info, alert.query, streams.Window())


@bp.get("/alerts/<name>")
def alert_page(name: str) -> str:
    """A saved search's pages added since it was last seen or sent, by production."""
    alert = _alert(name)
    settings = get_settings()
    window = streams.Window(since=alert.seen)
    searcher = get_searcher()
    total = streams.count(searcher, alert.query, settings, window)
    hits = streams.newest(searcher, alert.query, settings, window, settings.feed_entries)
    views = {id(v.hit): v for v in hit_views(hits, query_terms(alert.query, settings),
                                               get_catalog())}
    groups = [(production, [views[id(h)] for h in group])
              for production, group in alerts.by_production(hits)]
    return render_template("alert.html", alert=alert, total=total, groups=groups,
                           shown=len(hits),
                           thumb_width=current_app.config["THUMB_WIDTH"])


@bp.get("/alerts")
def alert_list() -> str:
    """Every saved search with its count of new pages."""
    return render_template("alerts.html", alerts=alerts.listed(get_settings()))
