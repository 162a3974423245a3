"""Release metadata after the fact: `archive production edit` and `archive production list`.

Editing changes the catalog, then rewrites the index entries of the production's pages
from the catalog (agency, release date and citation fields live there too); nothing is
read or OCR'd again.
"""

from __future__ import annotations

from typing import Any

from archive import index
from archive.catalog import Catalog
from archive.config import Settings
from archive.errors import NotFoundError
from archive.foia.records import production_meta
from archive.locking import write_lock
from archive.production import validate_meta
from archive.reindex import IndexBatch


def edit_production(settings: Settings, name: str, meta: dict[str, Any]) -> dict[str, Any]:
    """Change a production's metadata and re-index its pages; return its new metadata.

    Args:
        settings: the archive.
        name: the production's name or slug.
        meta: fields to set (None leaves a field as it is, "" clears it).

    Raises:
        NotFoundError: no production has that name or slug.
        InvalidMetadataError: a value in the wrong form.
    """
    meta = validate_meta(meta)
    if not settings.catalog_path.exists():
        raise NotFoundError("the archive is empty; add a production first")
    with write_lock(settings), Catalog(settings.catalog_path) as catalog:
        row = catalog.production(name)
        if row is None:
            known = ", ".join(p["name"] for p in catalog.productions()) or "none yet"
            raise NotFoundError(f"no production called {name!r}; known: {known}")
        row = catalog.ensure_production(row["name"], meta)
        ix = index.open_or_create(settings.whoosh_dir, indexed_pages=catalog.stats()["pages"])
        batch = IndexBatch(catalog, ix)
        for doc in catalog.production_documents(row["id"]):
            if doc["state"] in ("extracted", "indexed"):
                batch.add(doc["doc_id"])
        batch.flush()
        return describe(dict(row))


def list_productions(settings: Settings) -> list[dict[str, Any]]:
    """Every production, oldest first, with its metadata and document and page counts."""
    if not settings.catalog_path.exists():
        return []
    with Catalog(settings.catalog_path, readonly=True) as catalog:
        return [describe(dict(row)) for row in catalog.productions()]


def describe(row: dict[str, Any]) -> dict[str, Any]:
    """A production row as the `production list --json` contract gives it."""
    out = {"slug": row.get("slug"), **production_meta(row), "notes": row.get("notes")}
    for count in ("documents", "pages"):
        if count in row:
            out[count] = row[count]
    return out
