"""Near-duplicate pages: the same record released again, OCR'd differently, redacted anew.

Each page's text is reduced to *clean words* (lowercase runs of 3+ letters: OCR debris such
as `&lt;`, `(b)(6)`, `a8005c24f7` and misread CJK drops out), joined, and cut into
character 5-grams, which survive a misread letter better than word n-grams. A 128-value
MinHash signature per page (numpy: 128 hash functions over ~1,000 shingles at once; the
stdlib would take ~100x longer) is stored in the catalog with 42 LSH bands of 3 values, so
the candidates for a new page are found with one indexed query whatever the archive's
size (datasketch does the same, with a dependency and a pickled index to keep in sync).

Two pages are near-duplicates when the shingles of the smaller are mostly (>= 75 %) in the
larger, estimated from the signatures and the sizes. The overlap, not Jaccard, is used
because OCR of one copy often loses or gains a paragraph. Measured on the NTSB email pages
(OCR'd by the archive) against copies re-scanned with a tilt, blur and new redaction boxes:
copies scored 0.73-0.95; different messages of one thread sharing signature blocks,
Exchange headers and the "[CAUTION]" banner scored up to 0.73, and short pages that are
mostly such boilerplate up to 0.81, hence the threshold and the rule that pages with fewer
than 500 clean characters are not compared (so "withheld in full" placeholders and email
envelopes do not all match each other). Quoted replies that repeat a whole earlier
message on one page do match it: they are the same text.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import zlib
from typing import Any

import numpy as np

from archive.catalog import Catalog

PERMUTATIONS = 128
ROWS = 3
BANDS = PERMUTATIONS // ROWS
SHINGLE = 5
MIN_CHARS = 500
THRESHOLD = 0.75
_PRIME = np.uint64(4294967311)  # > 2**32, so (a*x + b) of 32-bit values fits in 64 bits
_rng = np.random.default_rng(20261128)  # fixed: signatures must agree across runs
_A = _rng.integers(1, 2**32 - 1, PERMUTATIONS, dtype=np.uint64)
_B = _rng.integers(0, 2**32 - 1, PERMUTATIONS, dtype=np.uint64)
_WORD = re.compile(r"[a-z]{3,}")


def shingles(text: str) -> set[str]:
    """Character 5-grams of the page's clean words run together."""
    joined = "".join(_WORD.findall(text.lower()))
    if len(joined) < MIN_CHARS:
        return set()
    return {joined[i:i + SHINGLE] for i in range(len(joined) - SHINGLE + 1)}


def signature(found: set[str]) -> np.ndarray:
    """The MinHash signature (PERMUTATIONS uint64 values) of a set of shingles."""
    hashes = np.fromiter((zlib.crc32(s.encode()) for s in found), dtype=np.uint64,
                         count=len(found))
    return ((np.outer(_A, hashes) + _B[:, None]) % _PRIME).min(axis=1)


def bands(sig: np.ndarray) -> list[int]:
    """The LSH band hashes of a signature, as signed 64-bit ints for SQLite."""
    out = []
    for band in range(BANDS):
        chunk = sig[band * ROWS:(band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(bytes([band]) + chunk, digest_size=8).digest()
        out.append(int.from_bytes(digest, "big", signed=True))
    return out


def overlap(sig_a: np.ndarray, size_a: int, sig_b: np.ndarray, size_b: int) -> float:
    """Estimated share of the smaller page's shingles found in the larger one."""
    jaccard = float(np.mean(sig_a == sig_b))
    common = jaccard / (1 + jaccard) * (size_a + size_b)
    return min(1.0, common / max(1, min(size_a, size_b)))


def register(catalog: Catalog, doc_id: str) -> int:
    """Sign a document's new pages and record their near-duplicates; return pairs found.

    A new page joins the duplicate group of the first page it matches (its
    `annotations["dup_group"]`), so pages already indexed keep theirs and need no update.
    """
    db = catalog.db
    done = {r[0] for r in db.execute(
        "SELECT page_no FROM page_signatures WHERE doc_id = ?", (doc_id,))}
    found = 0
    for page in catalog.pages(doc_id):
        if page["page_no"] in done:
            continue
        found += _register_page(catalog, doc_id, page)
    return found


def _register_page(catalog: Catalog, doc_id: str, page: Any) -> int:
    db, page_no = catalog.db, page["page_no"]
    grams = shingles(page["text"] or "")
    if not grams:
        db.execute("INSERT OR REPLACE INTO page_signatures VALUES (?, ?, 0, NULL)",
                   (doc_id, page_no))
        return 0
    sig = signature(grams)
    keys = bands(sig)
    marks = ",".join("?" * len(keys))
    candidates = db.execute(
        f"""SELECT DISTINCT s.doc_id, s.page_no, s.size, s.signature
            FROM page_bands b JOIN page_signatures s
              ON s.doc_id = b.doc_id AND s.page_no = b.page_no
            WHERE b.band IN ({marks}) AND b.doc_id != ?
            ORDER BY s.rowid""", (*keys, doc_id)).fetchall()
    matches = []
    for other_doc, other_page, size, blob in candidates:
        score = overlap(sig, len(grams), np.frombuffer(blob, dtype=np.uint64), size)
        if score >= THRESHOLD:
            matches.append((other_doc, other_page, round(score, 3)))
    db.execute("BEGIN")
    try:
        db.execute("INSERT OR REPLACE INTO page_signatures VALUES (?, ?, ?, ?)",
                   (doc_id, page_no, len(grams), sig.tobytes()))
        db.executemany("INSERT INTO page_bands VALUES (?, ?, ?)",
                       [(k, doc_id, page_no) for k in keys])
        for other_doc, other_page, score in matches:
            db.executemany("INSERT OR REPLACE INTO page_duplicates VALUES (?, ?, ?, ?, ?)",
                           [(doc_id, page_no, other_doc, other_page, score),
                            (other_doc, other_page, doc_id, page_no, score)])
        if matches:
            notes = json.loads(page["annotations"] or "{}")
            notes["dup_group"] = _group(catalog, matches[0][0], matches[0][1])
            catalog.set_annotations(doc_id, page_no, notes)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return len(matches)


def _group(catalog: Catalog, doc_id: str, page_no: int) -> str:
    row = catalog.page(doc_id, page_no)
    notes = json.loads(row["annotations"] or "{}") if row is not None else {}
    return str(notes.get("dup_group") or f"{doc_id}:{page_no:05d}")


def duplicates(catalog: Catalog, doc_id: str, page_no: int) -> list[dict[str, Any]]:
    """The other pages found to be the same record: [{doc_id, page, production}], by
    release (earliest first).
    """
    try:
        rows = catalog.db.execute(
            """SELECT other_doc_id, other_page_no FROM page_duplicates
               WHERE doc_id = ? AND page_no = ?""", (doc_id, page_no)).fetchall()
    except sqlite3.OperationalError:  # a catalog last written before duplicates were kept
        return []
    out = []
    for other_doc, other_page in rows:
        productions = [dict(p) for p in catalog.document_productions(other_doc)]
        first = min(productions, key=lambda p: p.get("released") or "9999-99-99",
                    default=None)
        out.append({"doc_id": other_doc, "page": int(other_page),
                    "production": first["name"] if first else None,
                    "released": first.get("released") if first else None})
    out.sort(key=lambda d: (d["released"] or "9999-99-99", d["doc_id"], d["page"]))
    return out
