"""Per-request resources: the settings, a read-only catalog on `g`, and a Whoosh searcher.

The catalog connection is opened per request and closed on teardown (flaskr's `get_db`).
The searcher is kept per *thread* and refreshed at the start of each request instead:
opening a Whoosh searcher costs ~65 ms on a 10k-page index (and it loses the field caches
that facets and the stemmer build), while `refresh()` costs ~0.1 ms and still picks up
whatever `archive add` has committed since. One searcher per thread is what Whoosh's
threading notes prescribe; waitress's worker threads live as long as the server.
"""

from __future__ import annotations

import threading
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, g

from archive.catalog import Catalog
from archive.config import Settings
from archive.search.query import index_exists, open_searcher

if TYPE_CHECKING:
    from archive.search.query import Searcher

_EXTENSION = "archive.searchers"


def get_settings() -> Settings:
    """The archive's settings, as given to `create_app`."""
    settings: Settings = current_app.config["ARCHIVE_SETTINGS"]
    return settings


def _resources() -> ExitStack:
    if "resources" not in g:
        g.resources = ExitStack()
    stack: ExitStack = g.resources
    return stack


def get_catalog() -> Catalog | None:
    """This request's read-only catalog connection; None while the archive is empty."""
    if "catalog" not in g:
        path = get_settings().catalog_path
        g.catalog = (_resources().enter_context(Catalog(path, readonly=True))
                     if path.exists() else None)
    catalog: Catalog | None = g.catalog
    return catalog


def get_searcher() -> Searcher | None:
    """This thread's Whoosh searcher, refreshed once per request; None for an empty archive."""
    if "searcher" not in g:
        local: Any = current_app.extensions[_EXTENSION]
        settings = get_settings()
        searcher = getattr(local, "searcher", None)
        identity = _identity(settings)
        if searcher is not None and identity != getattr(local, "identity", None):
            local.stack.close()  # `archive reindex` swapped in a new index folder
            searcher = None
        if searcher is None:
            if index_exists(settings.whoosh_dir):
                local.stack = ExitStack()  # lives as long as the thread
                searcher = local.stack.enter_context(open_searcher(settings))
        else:
            searcher = searcher.refresh()  # itself unless the index changed
        local.searcher, local.identity = searcher, identity
        g.searcher = searcher
    found: Searcher | None = g.searcher
    return found


def _identity(settings: Settings) -> tuple[int, int] | None:
    """The index folder's (device, inode): a rebuilt index is a new folder."""
    try:
        found = settings.whoosh_dir.stat()
    except OSError:
        return None
    return found.st_dev, found.st_ino


def close_resources(exc: BaseException | None = None) -> None:
    """Close whatever this request opened."""
    stack: Any = g.pop("resources", None)
    if stack is not None:
        stack.close()


def init_app(app: Flask) -> None:
    """Hold the per-thread searchers; close per-request resources when each request ends."""
    app.extensions[_EXTENSION] = threading.local()
    app.teardown_appcontext(close_resources)
