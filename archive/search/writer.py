"""From the catalog to the Whoosh index: batched writes during `add`, and `archive reindex`."""

from __future__ import annotations

import json
import shutil
import time
from typing import Any

from whoosh.index import Index

from archive.config import Settings
from archive.foia import annotate, duplicates
from archive.ingest.locking import write_lock
from archive.search import index, require_embedded
from archive.store import Store, open_store


def document_fields(catalog: Store, doc_id: str) -> dict[str, Any]:
    """What the index needs of a document: its row and the productions it belongs to."""
    row = catalog.document(doc_id)
    assert row is not None, doc_id
    doc = dict(row)
    doc["productions"] = [dict(p) for p in catalog.document_productions(doc_id)]
    doc["meta"] = json.loads(row["meta"] or "{}")
    doc["added_at"] = catalog.added_at(doc_id)
    return doc


def page_rows(catalog: Store, doc_id: str) -> list[dict[str, Any]]:
    """A document's pages with their annotations decoded and text annotations refreshed."""
    pages = []
    for row in catalog.pages(doc_id):
        page = dict(row)
        notes = json.loads(row["annotations"] or "{}")
        fresh = annotate.text_annotations(page["text"], json.loads(row["words"] or "[]"),
                                          page["width"], page["height"], notes.get("redactions"))
        fresh.update(notes.get("native") or {})  # a native email's own headers win
        if {k: notes.get(k) for k in fresh} != fresh:
            notes.update(fresh)
            catalog.set_annotations(doc_id, page["page_no"], notes)
        page["annotations"] = notes
        pages.append(page)
    return pages


def sign_pages(catalog: Store, doc_id: str) -> int:
    """Sign a document's new pages and record their near-duplicates; return pairs found.

    A new page joins the duplicate group of the first page it matches (its
    `annotations["dup_group"]`), so pages already indexed keep theirs and need no update.
    """
    done = catalog.signed_pages(doc_id)
    found = 0
    for page in catalog.pages(doc_id):
        if page["page_no"] in done:
            continue
        grams = duplicates.shingles(page["text"] or "")
        if not grams:
            catalog.save_signature(doc_id, page["page_no"], 0, None, [], [])
            continue
        sig = duplicates.signature(grams)
        bands = duplicates.bands(sig)
        candidates = catalog.duplicate_candidates(bands, doc_id)
        matches = _same_numbers(catalog, page["text"], len(grams), candidates,
                                duplicates.matches(sig, len(grams), candidates))
        notes = None
        if matches:
            notes = json.loads(page["annotations"] or "{}")
            notes["dup_group"] = _group(catalog, matches[0][0], matches[0][1])
        catalog.save_signature(doc_id, page["page_no"], len(grams), sig.tobytes(), bands,
                               matches, notes)
        found += len(matches)
    return found


def _same_numbers(catalog: Store, text: str, size: int,
                  candidates: list[tuple[str, int, int, bytes]],
                  matches: list[tuple[str, int, float]]) -> list[tuple[str, int, float]]:
    """The matches, less the pairs with a short page whose numbers differ (the envelopes of
    two messages between the same people: `duplicates.numbers_agree`)."""
    sizes = {(c[0], c[1]): c[2] for c in candidates}
    kept = []
    for other_doc, other_page, score in matches:
        if duplicates.is_short(min(size, sizes[(other_doc, other_page)])):
            other = catalog.page(other_doc, other_page)
            if other is None or not duplicates.numbers_agree(text, other["text"] or ""):
                continue
        kept.append((other_doc, other_page, score))
    return kept


def _group(catalog: Store, doc_id: str, page_no: int) -> str:
    """The duplicate group of a page: its own `dup_group`, else the page's key."""
    row = catalog.page(doc_id, page_no)
    notes = json.loads(row["annotations"] or "{}") if row is not None else {}
    return str(notes.get("dup_group") or f"{doc_id}:{page_no:05d}")


class IndexBatch:
    """Documents waiting to be written to the index; one commit for several documents.

    A document is marked `indexed` in the catalog only after the commit that holds its pages,
    and writes are updates by page key, so an interruption anywhere re-indexes at most one
    batch and never duplicates a page.
    """

    def __init__(self, catalog: Store, ix: Index, max_pages: int = 400,
                 max_seconds: float = 10.0) -> None:
        self.catalog, self.ix = catalog, ix
        self.max_pages, self.max_seconds = max_pages, max_seconds
        self.doc_ids: list[str] = []
        self.pages = 0
        self.since = time.monotonic()

    def add(self, doc_id: str) -> None:
        """Queue a document whose pages are all in the catalog."""
        if doc_id not in self.doc_ids:
            self.doc_ids.append(doc_id)
            row = self.catalog.document(doc_id)
            self.pages += (row["page_count"] or 0) if row is not None else 0
        if self.pages >= self.max_pages:
            self.flush()

    def flush_if_due(self) -> None:
        """Write the batch if it has waited long enough."""
        if self.doc_ids and time.monotonic() - self.since >= self.max_seconds:
            self.flush()

    def flush(self) -> None:
        """Write and commit every queued document, then mark them indexed."""
        if not self.doc_ids:
            return
        for doc_id in self.doc_ids:  # before writing: a new page's duplicate group is indexed
            sign_pages(self.catalog, doc_id)
        self.catalog.stamp_added(self.doc_ids)  # feeds' "newest first" and alerts' "new"
        with index.writer(self.ix, timeout=30.0) as w:
            for doc_id in self.doc_ids:
                index.add_pages(w, document_fields(self.catalog, doc_id),
                                page_rows(self.catalog, doc_id))
        for doc_id in self.doc_ids:
            self.catalog.set_state(doc_id, "indexed")
        self.doc_ids, self.pages, self.since = [], 0, time.monotonic()


def reindex(settings: Settings) -> int:
    """Rebuild the Whoosh index from the catalog, with no OCR; return the pages written.

    The new index is built beside the old one and swapped in when complete, so searches keep
    working meanwhile and an interrupted rebuild leaves the old index in place.

    Raises:
        ServerModeError: server mode is on (its search is not built yet).
    """
    require_embedded(settings)
    with write_lock(settings), open_store(settings) as catalog:
        fresh = settings.whoosh_dir.with_name("whoosh.new")
        shutil.rmtree(fresh, ignore_errors=True)
        ix = index.recreate(fresh)
        batch = IndexBatch(catalog, ix, max_pages=2000, max_seconds=3600)
        pages = 0
        for row in catalog.documents():
            if row["state"] in ("extracted", "indexed"):
                batch.add(row["doc_id"])
                pages += row["page_count"] or 0
        batch.flush()
        ix.optimize()
        ix.close()
        old = settings.whoosh_dir.with_name("whoosh.old")
        shutil.rmtree(old, ignore_errors=True)
        if settings.whoosh_dir.exists():
            settings.whoosh_dir.rename(old)
        fresh.rename(settings.whoosh_dir)
        shutil.rmtree(old, ignore_errors=True)
        return pages
