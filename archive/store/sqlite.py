"""The embedded catalog: SQLite, in index/catalog.sqlite.

For now `archive.catalog` holds it; a mechanical commit will move that module here once the
branches adding methods to it have landed. Import it from here (or through
`archive.store.open_store`).
"""

from __future__ import annotations

from archive.catalog import PAGE_COLUMNS, SCHEMA, Catalog, slugify

__all__ = ["PAGE_COLUMNS", "SCHEMA", "Catalog", "slugify"]
