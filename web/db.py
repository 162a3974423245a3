"""Per-request resources: the settings, a read-only catalog on `g`, and a Whoosh searcher.

The catalog connection is opened per request and closed on teardown (flaskr's `get_db`).
The searcher comes from `archive.search.open_searcher`, as for the CLI: each waitress
thread keeps its own searcher while the index is unchanged (opening one costs ~65 ms on a
10k-page index and loses the field caches facets build) and gets a new one after an
`archive add` or `reindex`; the request holds it until teardown, so a replaced searcher is
closed only once no request on that thread uses it.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, g

from archive.config import Settings
from archive.search.query import open_searcher
from archive.store import Store, open_store, store_exists

if TYPE_CHECKING:
    from archive.search.query import Searcher


def get_settings() -> Settings:
    """The archive's settings, as given to `create_app`."""
    settings: Settings = current_app.config["ARCHIVE_SETTINGS"]
    return settings


def _resources() -> ExitStack:
    if "resources" not in g:
        g.resources = ExitStack()
    stack: ExitStack = g.resources
    return stack


def get_catalog() -> Store | None:
    """This request's read-only catalog connection; None while the archive is empty."""
    if "catalog" not in g:
        settings = get_settings()
        g.catalog = (_resources().enter_context(open_store(settings, readonly=True))
                     if store_exists(settings) else None)
    catalog: Store | None = g.catalog
    return catalog


def get_searcher() -> Searcher | None:
    """This request's searcher over the index as it is now; None for an empty archive.

    Raises:
        IndexLostError: the index is missing or empty but the catalog has indexed pages
            (the error pages answer 503, naming `archive reindex`).
    """
    if "searcher" not in g:
        g.searcher = _resources().enter_context(open_searcher(get_settings()))
    found: Searcher | None = g.searcher
    return found


def close_resources(exc: BaseException | None = None) -> None:
    """Close whatever this request opened."""
    stack: Any = g.pop("resources", None)
    if stack is not None:
        stack.close()


def init_app(app: Flask) -> None:
    """Close per-request resources when each request ends."""
    app.teardown_appcontext(close_resources)
