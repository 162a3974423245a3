"""A production's release metadata: given to `archive add` (command line or `production.toml`),
edited later with `archive production edit`, listed with `archive production list`.

Editing changes the catalog, then rewrites the index entries of the production's pages
from the catalog (agency, release date and citation fields live there too); nothing is
read or OCR'd again.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from archive.config import Settings
from archive.errors import ArchiveError, InvalidMetadataError, NotFoundError
from archive.foia import dates
from archive.ingest.locking import write_lock
from archive.records import production_meta
from archive.search import index, require_embedded
from archive.search.writer import IndexBatch
from archive.store import open_store, store_exists

META_KEYS = ("agency", "request_number", "released", "interim", "source_url", "notes")


def production_defaults(inputs: list[Path], name: str | None,
                        meta: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The production's name and metadata: command-line values win over `production.toml`.

    Without a name, the `name` in production.toml, else the input folder's (or zip's) name.
    """
    found: dict[str, Any] = {}
    for given in inputs:
        toml = given / "production.toml" if given.is_dir() else None
        if toml is not None and toml.is_file():
            found = read_production_toml(toml)
            break
    merged = {k: v for k, v in found.items() if k in META_KEYS}
    merged.update({k: v for k, v in meta.items() if v is not None})
    chosen = name or found.get("name") or _name_from_path(inputs)
    return str(chosen), validate_meta(merged)


def read_production_toml(path: Path) -> dict[str, Any]:
    """The keys of a production.toml.

    Raises:
        ArchiveError: the file is not valid TOML.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ArchiveError(f"{path}: is not valid TOML ({exc}); fix it or remove it") from exc
    return {k: str(v) for k, v in data.items()}


def _name_from_path(inputs: list[Path]) -> str:
    if not inputs:
        return "Unsorted"
    first = inputs[0].expanduser().resolve()
    if first.is_dir():
        return first.name or "Unsorted"
    if first.suffix.lower() == ".zip":
        return first.stem
    return first.parent.name or "Unsorted"


def validate_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """Release metadata checked and tidied: `released` a real YYYY-MM-DD date, `interim` a
    whole number, `source_url` a web address; empty strings clear a value.

    Raises:
        InvalidMetadataError: with the value to fix.
    """
    out = {k: v for k, v in meta.items() if v is not None}
    for key, value in out.items():
        if key not in META_KEYS:
            raise InvalidMetadataError(f"unknown production field {key!r}; "
                                       f"known fields: {', '.join(META_KEYS)}")
        out[key] = str(value).strip()
    released = out.get("released")
    if released and not dates.is_iso(released):
        raise InvalidMetadataError(
            f"released date {released!r} is not a date written YYYY-MM-DD "
            "(for example --released 2020-03-05)")
    interim = out.get("interim")
    if interim and not (interim.isdigit() and int(interim) > 0):
        raise InvalidMetadataError(
            f"interim release {interim!r} is not a whole number (for example --interim 2)")
    url = out.get("source_url")
    if url and not url.lower().startswith(("http://", "https://")):
        raise InvalidMetadataError(
            f"source URL {url!r} does not start with http:// or https://")
    return out


def edit_production(settings: Settings, name: str, meta: dict[str, Any]) -> dict[str, Any]:
    """Change a production's metadata and re-index its pages; return its new metadata.

    Args:
        settings: the archive.
        name: the production's name or slug.
        meta: fields to set (None leaves a field as it is, "" clears it).

    Raises:
        NotFoundError: no production has that name or slug.
        InvalidMetadataError: a value in the wrong form.
        ServerModeError: server mode is on (its search is not built yet).
    """
    meta = validate_meta(meta)
    require_embedded(settings)
    if not store_exists(settings):
        raise NotFoundError("the archive is empty; add a production first")
    with write_lock(settings), open_store(settings) as catalog:
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
    if not store_exists(settings):
        return []
    with open_store(settings, readonly=True) as catalog:
        return [describe(dict(row)) for row in catalog.productions()]


def describe(row: dict[str, Any]) -> dict[str, Any]:
    """A production row as the `production list --json` contract gives it."""
    out = {"slug": row.get("slug"), **production_meta(row), "notes": row.get("notes")}
    for count in ("documents", "pages"):
        if count in row:
            out[count] = row[count]
    return out
