"""Where derived files live under index/, and which file to read a document's pages from.

A native email (or mbox, or text attachment) has no pages of its own: its pages are a PDF
the archive prints it to, `index/derived/<doc_id>.pdf`, named in the document's meta as
`"rendered"`; so are the page images a load file binds into one document. That PDF is
derived data: `archive reindex` makes it again from the original when missing. The
document's `path` stays the original under scans/ (a bound document's first page image).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from archive.config import Settings
from archive.errors import DerivedFileMissingError

RENDERED_KINDS = ("email", "mbox", "text")


def derived_pdf(settings: Settings, doc_id: str) -> Path:
    """The printed form of a document without pages of its own."""
    return settings.index_dir / "derived" / f"{doc_id}.pdf"


def staging_dir(settings: Settings, doc_id: str) -> Path:
    """Where a worker leaves the attachments it found, until the supervisor stores them."""
    return settings.cache_dir / "staging" / doc_id


def home_relative(settings: Settings, path: Path) -> str:
    """A path as the catalog records it: relative to the archive home when inside it."""
    return str(path.relative_to(settings.home)) if path.is_relative_to(settings.home) else \
        str(path)


def readable_path(settings: Settings, doc: Mapping[str, Any]) -> tuple[Path, str]:
    """(path, kind) to open a document's pages with `extract`: for `render_png` and workers.

    The derived PDF for emails, mbox listings, text attachments and page images a load file
    binds (kind "pdf"); the original for everything else.

    Args:
        settings: the archive's settings.
        doc: the document's catalog row (or a dict of it): doc_id, path, kind, meta, title.

    Raises:
        DerivedFileMissingError: the derived PDF is gone; only `archive reindex` makes it
            again (in worker processes: `archive.read.derived`), never the reading room.
    """
    meta = doc["meta"]
    if isinstance(meta, str):
        meta = json.loads(meta or "{}")
    rendered = (meta or {}).get("rendered")
    if not rendered:
        return settings.home / doc["path"], doc["kind"]
    path = settings.home / rendered
    if not path.is_file():
        raise DerivedFileMissingError(
            f"The pages of \u201c{doc['title']}\u201d are read from {rendered}, which is "
            "missing; run `archive reindex` to make it again from the original.")
    return path, "pdf"
