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
-- when each document's pages first went into the index (feeds and alerts: "newest first",
-- "new since"); stamped inside the write lock, so stamps grow in the order of commits
CREATE TABLE IF NOT EXISTS documents_added (
    doc_id TEXT PRIMARY KEY,
    added REAL NOT NULL
);
-- saved searches (`archive alerts`): pages added after `seen` are new
CREATE TABLE IF NOT EXISTS alerts (
    name TEXT PRIMARY KEY,
    query TEXT NOT NULL,
    email TEXT,
    created REAL NOT NULL,
    seen REAL NOT NULL
);
"""

# The editors' side (archive/editing): who may change things, what they changed, what the
# public may no longer see, and the uploads running in the background.
EDITING_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,          -- editor, admin
    password_hash TEXT NOT NULL, -- werkzeug scrypt
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS api_tokens (
    token_hash TEXT PRIMARY KEY, -- sha256 of the token, which is shown once
    user_name TEXT NOT NULL REFERENCES users(name),
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sign_in_failures (
    user_name TEXT NOT NULL, address TEXT NOT NULL, at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sign_in_failures_key ON sign_in_failures(user_name, address);
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL, user_name TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS withdrawals (
    doc_id TEXT NOT NULL,
    page_no INTEGER NOT NULL,    -- 0: the whole document
    reason TEXT NOT NULL, user_name TEXT NOT NULL, at REAL NOT NULL,
    PRIMARY KEY (doc_id, page_no)
);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    user_name TEXT NOT NULL,
    production TEXT NOT NULL,
    request TEXT NOT NULL,       -- JSON: the release metadata, the staged files' folder
    status TEXT NOT NULL,        -- queued, running, done, failed
    files_total INTEGER NOT NULL DEFAULT 0, files_done INTEGER NOT NULL DEFAULT 0,
    pages_total INTEGER NOT NULL DEFAULT 0, pages_done INTEGER NOT NULL DEFAULT 0,
    report TEXT, error TEXT, pid INTEGER,
    created REAL NOT NULL, finished REAL
);
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
            self.db.executescript(SCHEMA + EDITING_SCHEMA)
        self.db.row_factory = sqlite3.Row
        self._tables: set[str] | None = None

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
        """Pages of a document whose near-duplicate signature is already stored; those
        recorded as too short to compare are signed again (the rule may have changed)."""
        return {r[0] for r in self.db.execute(
            "SELECT page_no FROM page_signatures WHERE doc_id = ? AND size > 0", (doc_id,))}

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

    # when pages were added (feeds, alerts) ----------------------------------------------

    def stamp_added(self, doc_ids: list[str]) -> None:
        """Record now as the time these documents' pages enter the index, unless they are
        in it already (marked indexed: their stamp is kept; one indexed before stamps
        existed gets the time it was added).

        Call it inside the write lock, before the index commit: each stamp is later than
        every earlier one, so a page committed later never carries an older stamp (a
        document whose commit failed is stamped again when it is written again).
        """
        latest = self.db.execute("SELECT MAX(added) FROM documents_added").fetchone()[0]
        stamp = max(time.time(), float(latest or 0) + 0.001)
        for doc_id in doc_ids:
            self.db.execute(
                """INSERT INTO documents_added (doc_id, added)
                   SELECT doc_id, CASE WHEN state = 'indexed' THEN added ELSE ? END
                   FROM documents WHERE doc_id = ?
                   ON CONFLICT (doc_id) DO UPDATE SET added = excluded.added
                   WHERE (SELECT state FROM documents
                          WHERE doc_id = excluded.doc_id) != 'indexed'""",
                (stamp, doc_id))

    def added_at(self, doc_id: str) -> float:
        """When a document's pages entered the index (its stamp, else when it was added)."""
        row = self.db.execute(
            """SELECT COALESCE(a.added, d.added) FROM documents d
               LEFT JOIN documents_added a ON a.doc_id = d.doc_id WHERE d.doc_id = ?""",
            (doc_id,)).fetchone()
        return float(row[0]) if row is not None else 0.0

    def added_watermark(self) -> float:
        """The latest stamp of a document marked indexed: every page stamped up to it is
        in the index (documents are marked indexed only after their commit)."""
        row = self.db.execute(
            """SELECT MAX(COALESCE(a.added, d.added)) FROM documents d
               LEFT JOIN documents_added a ON a.doc_id = d.doc_id
               WHERE d.state = 'indexed'""").fetchone()
        return float(row[0] or 0.0)

    # saved searches (archive.alerts) ----------------------------------------------------

    def add_alert(self, name: str, query: str, email: str | None, seen: float) -> bool:
        """Save a search; False if one of that name exists (it is left unchanged)."""
        cur = self.db.execute(
            """INSERT INTO alerts (name, query, email, created, seen) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT DO NOTHING""", (name, query, email, time.time(), seen))
        return cur.rowcount > 0

    def alerts(self) -> list[sqlite3.Row]:
        """Every saved search, by name (none in a catalog made before they existed)."""
        if not self._has_table("alerts"):
            return []
        return list(self.db.execute("SELECT * FROM alerts ORDER BY name"))

    def alert(self, name: str) -> sqlite3.Row | None:
        """One saved search by name."""
        if not self._has_table("alerts"):
            return None
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM alerts WHERE name = ?", (name,)).fetchone()
        return row

    def remove_alert(self, name: str) -> bool:
        """Forget a saved search; False if there was none of that name."""
        return self.db.execute("DELETE FROM alerts WHERE name = ?", (name,)).rowcount > 0

    def set_alert_seen(self, name: str, seen: float) -> None:
        """Pages added up to `seen` are no longer new for this saved search."""
        self.db.execute("UPDATE alerts SET seen = ? WHERE name = ?", (seen, name))

    def _has_table(self, name: str) -> bool:
        """Whether the catalog has a table (a read-only catalog made by an older version
        may lack the newer ones)."""
        return self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                               (name,)).fetchone() is not None

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

    # the editors' side: users, tokens, sign-in failures, audit log, withdrawals, jobs ------

    def has_table(self, name: str) -> bool:
        """Whether the catalog has table `name` (a catalog made before the editors' side,
        opened read-only, has none of theirs)."""
        if self._tables is None:
            self._tables = {r[0] for r in self.db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        return name in self._tables

    def data_version(self) -> int:
        """A number that changes whenever another connection commits a change."""
        version: int = self.db.execute("PRAGMA data_version").fetchone()[0]
        return version

    def add_user(self, name: str, role: str, password_hash: str) -> bool:
        """Record a new user; False if the name is taken."""
        cur = self.db.execute(
            "INSERT INTO users (name, role, password_hash, created) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING", (name, role, password_hash, time.time()))
        return cur.rowcount > 0

    def user(self, name: str) -> sqlite3.Row | None:
        """A user by name."""
        if not self.has_table("users"):
            return None
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        return row

    def users(self) -> list[sqlite3.Row]:
        """Every user, by name."""
        return list(self.db.execute("SELECT name, role, created FROM users ORDER BY name"))

    def add_token(self, token_hash: str, user_name: str) -> None:
        """Record an API token's hash for a user."""
        self.db.execute("INSERT INTO api_tokens (token_hash, user_name, created) "
                        "VALUES (?, ?, ?)", (token_hash, user_name, time.time()))

    def token_user(self, token_hash: str) -> sqlite3.Row | None:
        """The user an API token (by its hash) belongs to."""
        if not self.has_table("api_tokens"):
            return None
        row: sqlite3.Row | None = self.db.execute(
            """SELECT u.* FROM api_tokens t JOIN users u ON u.name = t.user_name
               WHERE t.token_hash = ?""", (token_hash,)).fetchone()
        return row

    def sign_in_failures(self, user_name: str, address: str, since: float) -> int:
        """Failed sign-ins for a name from an address since a time."""
        count: int = self.db.execute(
            "SELECT COUNT(*) FROM sign_in_failures WHERE user_name = ? AND address = ? "
            "AND at >= ?", (user_name, address, since)).fetchone()[0]
        return count

    def record_sign_in_failure(self, user_name: str, address: str, forget_before: float) -> None:
        """Record a failed sign-in; failures older than `forget_before` are dropped."""
        self.db.execute("DELETE FROM sign_in_failures WHERE at < ?", (forget_before,))
        self.db.execute("INSERT INTO sign_in_failures (user_name, address, at) "
                        "VALUES (?, ?, ?)", (user_name, address, time.time()))

    def clear_sign_in_failures(self, user_name: str, address: str) -> None:
        """Forget a name's failed sign-ins from an address (it signed in)."""
        self.db.execute("DELETE FROM sign_in_failures WHERE user_name = ? AND address = ?",
                        (user_name, address))

    def audit(self, user_name: str, action: str, target: str,
              detail: dict[str, Any] | None = None) -> None:
        """Record who changed what, now."""
        self.db.execute(
            "INSERT INTO audit_log (at, user_name, action, target, detail) VALUES (?, ?, ?, ?, ?)",
            (time.time(), user_name, action, target, json.dumps(detail or {}, default=str)))

    def audit_log(self, limit: int = 200, before: int | None = None) -> list[sqlite3.Row]:
        """The latest audit records, newest first (those with an id under `before`)."""
        if not self.has_table("audit_log"):
            return []
        return list(self.db.execute(
            "SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?",
            (before if before is not None else 2**62, limit)))

    def withdraw(self, doc_id: str, page_no: int, reason: str, user_name: str) -> None:
        """Withdraw a page (`page_no` 0: the whole document) from public view."""
        self.db.execute(
            "INSERT OR REPLACE INTO withdrawals (doc_id, page_no, reason, user_name, at) "
            "VALUES (?, ?, ?, ?, ?)", (doc_id, page_no, reason, user_name, time.time()))

    def restore(self, doc_id: str, page_no: int) -> bool:
        """Put a withdrawn page (0: document) back in public view; False if it was not."""
        cur = self.db.execute("DELETE FROM withdrawals WHERE doc_id = ? AND page_no = ?",
                              (doc_id, page_no))
        return cur.rowcount > 0

    def withdrawals(self, doc_id: str | None = None) -> list[sqlite3.Row]:
        """Withdrawn pages and documents (page_no 0), of one document or all, in order."""
        if not self.has_table("withdrawals"):
            return []
        if doc_id is None:
            return list(self.db.execute(
                "SELECT * FROM withdrawals ORDER BY doc_id, page_no"))
        return list(self.db.execute(
            "SELECT * FROM withdrawals WHERE doc_id = ? ORDER BY page_no", (doc_id,)))

    def add_job(self, job_id: str, user_name: str, production: str,
                request: dict[str, Any]) -> None:
        """Record an upload waiting to be added."""
        self.db.execute(
            "INSERT INTO jobs (id, user_name, production, request, status, created) "
            "VALUES (?, ?, ?, ?, 'queued', ?)",
            (job_id, user_name, production, json.dumps(request), time.time()))

    def job(self, job_id: str) -> sqlite3.Row | None:
        """A job by id."""
        if not self.has_table("jobs"):
            return None
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return row

    def update_job(self, job_id: str, **values: Any) -> None:
        """Set some of a job's columns (status, counts, report, error, pid, finished)."""
        allowed = ("status", "files_total", "files_done", "pages_total", "pages_done",
                   "report", "error", "pid", "finished")
        changes = {k: v for k, v in values.items() if k in allowed}
        if changes:
            sets = ", ".join(f"{k} = ?" for k in changes)
            self.db.execute(f"UPDATE jobs SET {sets} WHERE id = ?", (*changes.values(), job_id))

    def recent_jobs(self, limit: int = 20) -> list[sqlite3.Row]:
        """The latest jobs, newest first."""
        if not self.has_table("jobs"):
            return []
        return list(self.db.execute("SELECT * FROM jobs ORDER BY created DESC LIMIT ?",
                                    (limit,)))


_PRODUCTION_META = ("agency", "request_number", "released", "interim", "source_url", "notes")
