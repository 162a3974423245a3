"""The SQLite catalog: productions, documents and every page's extracted text and word boxes.

The catalog is the durable record. The Whoosh index is derived from it (`archive reindex`), so
a page is OCR'd once, ever. Every write is its own short transaction, so killing `archive add`
at any moment loses at most the page being read.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from archive.models import PageResult

SCHEMA = """
CREATE TABLE IF NOT EXISTS productions (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE,
    agency TEXT, request_number TEXT, released TEXT, interim TEXT, source_url TEXT,
    notes TEXT,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    title TEXT NOT NULL,
    path TEXT NOT NULL,          -- the original, relative to the archive home
    kind TEXT NOT NULL,
    size INTEGER NOT NULL,
    page_count INTEGER,
    state TEXT NOT NULL,         -- reading, extracted, indexed, failed
    error TEXT,
    warnings TEXT NOT NULL DEFAULT '[]',
    meta TEXT NOT NULL DEFAULT '{}',
    parent_doc_id TEXT,
    added REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS document_productions (
    doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    production_id INTEGER NOT NULL REFERENCES productions(id),
    original_name TEXT NOT NULL,
    added REAL NOT NULL,
    PRIMARY KEY (doc_id, production_id)
);
CREATE TABLE IF NOT EXISTS pages (
    doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    page_no INTEGER NOT NULL,
    text TEXT NOT NULL,
    words TEXT NOT NULL,         -- JSON [[x0, y0, x1, y1, word], ...] in points
    text_source TEXT NOT NULL,   -- text, ocr, text+ocr, none
    ocr_confidence REAL,
    width REAL NOT NULL,
    height REAL NOT NULL,
    error TEXT,
    annotations TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (doc_id, page_no)
);
CREATE INDEX IF NOT EXISTS documents_state ON documents(state);
-- near-duplicate pages (archive.foia.duplicates): a MinHash signature per page, its LSH
-- band hashes for finding candidates, and the pairs found (stored both ways round)
CREATE TABLE IF NOT EXISTS page_signatures (
    doc_id TEXT NOT NULL, page_no INTEGER NOT NULL,
    size INTEGER NOT NULL,       -- number of shingles (0: too little text to compare)
    signature BLOB,
    PRIMARY KEY (doc_id, page_no)
);
CREATE TABLE IF NOT EXISTS page_bands (
    band INTEGER NOT NULL, doc_id TEXT NOT NULL, page_no INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS page_bands_band ON page_bands(band);
CREATE TABLE IF NOT EXISTS page_duplicates (
    doc_id TEXT NOT NULL, page_no INTEGER NOT NULL,
    other_doc_id TEXT NOT NULL, other_page_no INTEGER NOT NULL,
    similarity REAL NOT NULL,
    PRIMARY KEY (doc_id, page_no, other_doc_id, other_page_no)
);
CREATE INDEX IF NOT EXISTS documents_parent ON documents(parent_doc_id);
"""

PAGE_COLUMNS = (
    "doc_id, page_no, text, words, text_source, ocr_confidence, width, height, error, annotations"
)


def slugify(name: str) -> str:
    """A production's URL- and folder-safe name: `NTSB MU5735 release` -> `ntsb-mu5735-release`."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:80] or "production"


class Catalog:
    """A connection to the catalog, one per process (or per request in the reading room)."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        if readonly:
            self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30,
                                      check_same_thread=False)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
        self.db.row_factory = sqlite3.Row

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # productions -------------------------------------------------------------------------

    def ensure_production(self, name: str, meta: dict[str, Any] | None = None) -> sqlite3.Row:
        """The production called `name`, created if new; given metadata fields are updated."""
        meta = {k: v for k, v in (meta or {}).items() if v is not None and k in _PRODUCTION_META}
        row = self.production(name)
        if row is None:
            slug = self._free_slug(slugify(name))
            self.db.execute(
                "INSERT INTO productions (slug, name, created) VALUES (?, ?, ?)",
                (slug, name, time.time()),
            )
        if meta:
            sets = ", ".join(f"{k} = ?" for k in meta)
            self.db.execute(f"UPDATE productions SET {sets} WHERE name = ?",
                            (*[str(v) for v in meta.values()], name))
        found = self.production(name)
        assert found is not None
        return found

    def _free_slug(self, slug: str) -> str:
        candidate, n = slug, 2
        while self.db.execute("SELECT 1 FROM productions WHERE slug = ?", (candidate,)).fetchone():
            candidate, n = f"{slug}-{n}", n + 1
        return candidate

    def production(self, name_or_slug: str) -> sqlite3.Row | None:
        """A production by name or slug."""
        cur = self.db.execute(
            "SELECT * FROM productions WHERE name = ? OR slug = ?", (name_or_slug, name_or_slug)
        )
        row: sqlite3.Row | None = cur.fetchone()
        return row

    def productions(self) -> list[sqlite3.Row]:
        """Every production with its document and page counts, oldest first."""
        return list(self.db.execute(
            """SELECT p.*, COUNT(DISTINCT dp.doc_id) AS documents,
                      COALESCE(SUM(d.page_count), 0) AS pages
               FROM productions p
               LEFT JOIN document_productions dp ON dp.production_id = p.id
               LEFT JOIN documents d ON d.doc_id = dp.doc_id AND d.state = 'indexed'
               GROUP BY p.id ORDER BY p.created"""
        ))

    # documents ---------------------------------------------------------------------------

    def document(self, doc_id: str) -> sqlite3.Row | None:
        """A document by id."""
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM documents WHERE doc_id = ?", (doc_id,)
        ).fetchone()
        return row

    def doc_ids_starting(self, prefix: str, limit: int = 10) -> list[str]:
        """Up to `limit` document ids that begin with `prefix`, in order."""
        return [row[0] for row in self.db.execute(
            "SELECT doc_id FROM documents WHERE substr(doc_id, 1, ?) = ? ORDER BY doc_id "
            "LIMIT ?", (len(prefix), prefix, limit)
        )]

    def start_document(self, doc_id: str, sha256: str, title: str, path: str, kind: str,
                       size: int, parent_doc_id: str | None = None) -> None:
        """Record a document about to be read (kept as is if already known)."""
        self.db.execute(
            """INSERT INTO documents (doc_id, sha256, title, path, kind, size, state, added,
                                      parent_doc_id)
               VALUES (?, ?, ?, ?, ?, ?, 'reading', ?, ?)
               ON CONFLICT(doc_id) DO NOTHING""",
            (doc_id, sha256, title, path, kind, size, time.time(), parent_doc_id),
        )

    def link(self, doc_id: str, production_id: int, original_name: str) -> bool:
        """Record that a document belongs to a production; True if the link is new."""
        cur = self.db.execute(
            """INSERT INTO document_productions (doc_id, production_id, original_name, added)
               VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING""",
            (doc_id, production_id, original_name, time.time()),
        )
        return cur.rowcount > 0

    def set_probe(self, doc_id: str, page_count: int, warnings: list[str],
                  meta: dict[str, Any]) -> None:
        """Store what opening the file told us."""
        self.db.execute(
            "UPDATE documents SET page_count = ?, warnings = ?, meta = ? WHERE doc_id = ?",
            (page_count, json.dumps(warnings), json.dumps(meta, default=str), doc_id),
        )

    def set_state(self, doc_id: str, state: str, error: str | None = None) -> None:
        """Move a document to `reading`, `extracted`, `indexed` or `failed`."""
        self.db.execute("UPDATE documents SET state = ?, error = ? WHERE doc_id = ?",
                        (state, error, doc_id))

    def update_document_meta(self, doc_id: str, meta: dict[str, Any]) -> None:
        """Merge fields into a document's metadata."""
        row = self.document(doc_id)
        if row is None:
            return
        merged = {**json.loads(row["meta"]), **meta}
        self.db.execute("UPDATE documents SET meta = ? WHERE doc_id = ?",
                        (json.dumps(merged, default=str), doc_id))

    def documents(self, state: str | None = None) -> list[sqlite3.Row]:
        """All documents, or those in one state."""
        if state is None:
            return list(self.db.execute("SELECT * FROM documents ORDER BY added"))
        return list(self.db.execute(
            "SELECT * FROM documents WHERE state = ? ORDER BY added", (state,)
        ))

    def children(self, doc_id: str) -> list[sqlite3.Row]:
        """The documents found inside a document (an email's attachments, an mbox's messages)."""
        return list(self.db.execute(
            "SELECT * FROM documents WHERE parent_doc_id = ? ORDER BY path", (doc_id,)
        ))

    def document_productions(self, doc_id: str) -> list[sqlite3.Row]:
        """The productions a document was released in, earliest link first."""
        return list(self.db.execute(
            """SELECT p.*, dp.original_name FROM document_productions dp
               JOIN productions p ON p.id = dp.production_id
               WHERE dp.doc_id = ? ORDER BY dp.added""",
            (doc_id,),
        ))

    def production_documents(self, production_id: int) -> list[sqlite3.Row]:
        """The documents of one production."""
        return list(self.db.execute(
            """SELECT d.* FROM documents d JOIN document_productions dp ON dp.doc_id = d.doc_id
               WHERE dp.production_id = ? ORDER BY d.path""",
            (production_id,),
        ))

    # pages -------------------------------------------------------------------------------

    def save_page(self, page: PageResult) -> None:
        """Store one page's extraction (replacing an earlier one for the same page)."""
        self.db.execute(
            f"INSERT OR REPLACE INTO pages ({PAGE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (page.doc_id, page.page_no, page.text, json.dumps(page.words), page.text_source,
             page.ocr_confidence, page.width, page.height, page.error,
             json.dumps(page.annotations)),
        )

    def set_annotations(self, doc_id: str, page_no: int, annotations: dict[str, Any]) -> None:
        """Replace a page's derived annotations (Bates, exemptions, redactions, email fields)."""
        self.db.execute("UPDATE pages SET annotations = ? WHERE doc_id = ? AND page_no = ?",
                        (json.dumps(annotations), doc_id, page_no))

    def stored_page_numbers(self, doc_id: str) -> set[int]:
        """Pages of a document already extracted (read without error)."""
        return {r[0] for r in self.db.execute(
            "SELECT page_no FROM pages WHERE doc_id = ? AND error IS NULL", (doc_id,)
        )}

    def failed_page_count(self, doc_id: str) -> int:
        """Pages of a document whose reading failed (retried by the next `add`)."""
        count: int = self.db.execute(
            "SELECT COUNT(*) FROM pages WHERE doc_id = ? AND error IS NOT NULL", (doc_id,)
        ).fetchone()[0]
        return count

    def pages(self, doc_id: str) -> Iterator[sqlite3.Row]:
        """A document's pages in order."""
        return iter(self.db.execute(
            "SELECT * FROM pages WHERE doc_id = ? ORDER BY page_no", (doc_id,)
        ))

    def page(self, doc_id: str, page_no: int) -> sqlite3.Row | None:
        """One page."""
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM pages WHERE doc_id = ? AND page_no = ?", (doc_id, page_no)
        ).fetchone()
        return row

    # near-duplicate pages (signatures from archive.foia.duplicates) ----------------------

    def signed_pages(self, doc_id: str) -> set[int]:
        """Pages of a document whose near-duplicate signature is already stored."""
        return {r[0] for r in self.db.execute(
            "SELECT page_no FROM page_signatures WHERE doc_id = ?", (doc_id,))}

    def duplicate_candidates(self, bands: list[int],
                             doc_id: str) -> list[tuple[str, int, int, bytes]]:
        """Signed pages of other documents sharing an LSH band: (doc_id, page_no, size, sig)."""
        marks = ",".join("?" * len(bands))
        rows = self.db.execute(
            f"""SELECT DISTINCT s.doc_id, s.page_no, s.size, s.signature
                FROM page_bands b JOIN page_signatures s
                  ON s.doc_id = b.doc_id AND s.page_no = b.page_no
                WHERE b.band IN ({marks}) AND b.doc_id != ?
                ORDER BY s.rowid""", (*bands, doc_id)).fetchall()
        return [(r[0], int(r[1]), int(r[2]), bytes(r[3])) for r in rows]

    def save_signature(self, doc_id: str, page_no: int, size: int, signature: bytes | None,
                       bands: list[int], matches: list[tuple[str, int, float]],
                       annotations: dict[str, Any] | None = None) -> None:
        """Store a page's signature, its bands and the pages it matched, in one transaction.

        `annotations`, when given, replace the page's (its new `dup_group`).
        """
        db = self.db
        db.execute("BEGIN")
        try:
            db.execute("INSERT OR REPLACE INTO page_signatures VALUES (?, ?, ?, ?)",
                       (doc_id, page_no, size, signature))
            db.executemany("INSERT INTO page_bands VALUES (?, ?, ?)",
                           [(band, doc_id, page_no) for band in bands])
            for other_doc, other_page, score in matches:
                db.executemany("INSERT OR REPLACE INTO page_duplicates VALUES (?, ?, ?, ?, ?)",
                               [(doc_id, page_no, other_doc, other_page, score),
                                (other_doc, other_page, doc_id, page_no, score)])
            if annotations is not None:
                self.set_annotations(doc_id, page_no, annotations)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def duplicates_of(self, doc_id: str, page_no: int) -> list[tuple[str, int]]:
        """The pages recorded as near-duplicates of one page: [(doc_id, page_no)]."""
        return [(r[0], int(r[1])) for r in self.db.execute(
            """SELECT other_doc_id, other_page_no FROM page_duplicates
               WHERE doc_id = ? AND page_no = ?""", (doc_id, page_no))]

    def stats(self) -> dict[str, int]:
        """The `stats --json` contract: counts of indexed material."""
        one = self.db.execute
        return {
            "productions": one("SELECT COUNT(*) FROM productions").fetchone()[0],
            "documents": one(
                "SELECT COUNT(*) FROM documents WHERE state = 'indexed'"
            ).fetchone()[0],
            "pages": one(
                """SELECT COUNT(*) FROM pages p JOIN documents d ON d.doc_id = p.doc_id
                   WHERE d.state = 'indexed'"""
            ).fetchone()[0],
            "ocr_pages": one(
                """SELECT COUNT(*) FROM pages p JOIN documents d ON d.doc_id = p.doc_id
                   WHERE d.state = 'indexed' AND p.text_source IN ('ocr', 'text+ocr')"""
            ).fetchone()[0],
        }


_PRODUCTION_META = ("agency", "request_number", "released", "interim", "source_url", "notes")
