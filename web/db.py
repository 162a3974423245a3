"""Per-request resources on `g`: the settings, a read-only catalog, a Whoosh searcher."""

from __future__ import annotations

from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, g

from archive.catalog import Catalog
from archive.config import Settings
from archive.search import open_searcher

if TYPE_CHECKING:
    from archive.search import Searcher


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
    """This request's Whoosh searcher (one per request: searchers are not thread-safe)."""
    if "searcher" not in g:
        g.searcher = _resources().enter_context(open_searcher(get_settings()))
    searcher: Searcher | None = g.searcher
    return searcher


def close_resources(exc: BaseException | None = None) -> None:
    """Close whatever this request opened."""
    stack: Any = g.pop("resources", None)
    if stack is not None:
        stack.close()


def init_app(app: Flask) -> None:
    """Close per-request resources when each request ends."""
    app.teardown_appcontext(close_resources)
