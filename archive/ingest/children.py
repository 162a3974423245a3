"""Files found inside documents (attachments, mbox messages): stored as originals under scans/.

The supervisor calls this after a worker has staged them. An email's attachments go to
`<folder>/<email-stem>.attachments/<safe name>` beside the email, an mbox's messages to
`<folder>/<mbox-stem>.messages/<n>.eml`; an existing different file is never overwritten.
Each becomes a document of its own (`parent_doc_id` is the container), except files the
archive cannot read, which are kept and reported.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive import storage
from archive.config import Settings
from archive.ingest import inputs
from archive.models import ChildFile, SourceFile
from archive.store import Store


@dataclass(slots=True)
class StoredChild:
    """A child file kept under scans/: a SourceFile to add, or None if it cannot be read."""

    child: ChildFile
    path: Path
    source: SourceFile | None

    def record(self, settings: Settings) -> dict[str, Any]:
        """How the parent's meta lists this file (`attachments`)."""
        return {"name": self.child.name, "content_type": self.child.content_type,
                "kind": self.child.kind, "path": storage.home_relative(settings, self.path),
                "doc_id": self.source.doc_id if self.source else None,
                "reason": self.child.reason or None}


def children_folder(parent: Path, kind: str) -> Path:
    """Where the files found in `parent` are kept."""
    suffix = ".messages" if kind == "mbox" else ".attachments"
    return parent.parent / f"{parent.stem}{suffix}"


def store(parent: SourceFile, children: list[ChildFile], settings: Settings) -> list[StoredChild]:
    """Keep every staged child under scans/ and describe it; then clear the staging folder."""
    folder = children_folder(parent.path, parent.kind)
    out: list[StoredChild] = []
    try:
        for child in children:
            stored = inputs.store_original(child.staged, folder / child.name, settings)
            source = None
            if child.kind != "unsupported":
                source = SourceFile(path=stored, given=stored, sha256=inputs.sha256_of(stored),
                                    size=stored.stat().st_size, kind=child.kind)
            out.append(StoredChild(child, stored, source))
    finally:
        shutil.rmtree(storage.staging_dir(settings, parent.doc_id), ignore_errors=True)
    return out


def unfinished(catalog: Store, doc_id: str,
               settings: Settings) -> list[tuple[SourceFile, dict[str, Any]]]:
    """The children of a document an interrupted run left unread, with their reading hints.

    Finished children are returned too when they have children of their own, so that
    grandchildren are found (the caller skips what is already indexed).
    """
    out = []
    for row in catalog.children(doc_id):
        if row["state"] == "indexed" and (row["kind"] not in storage.RENDERED_KINDS
                                          or not catalog.children(row["doc_id"])):
            continue
        path = settings.home / row["path"]
        if not path.is_file():
            continue
        source = SourceFile(path=path, given=path, sha256=row["sha256"], size=row["size"],
                            kind=row["kind"])
        out.append((source, json.loads(row["meta"] or "{}").get("hints") or {}))
    return out
