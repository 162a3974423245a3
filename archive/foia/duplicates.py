"""Near-duplicate pages: the same record released again, OCR'd differently, redacted anew.

Each page's text is reduced to *clean words* (lowercase runs of 3+ letters: OCR debris such
as `&lt;`, `(b)(6)`, `a8005c24f7` and misread CJK drops out), joined, and cut into
character 5-grams, which survive a misread letter better than word n-grams. A 128-value
MinHash signature per page (numpy: 128 hash functions over ~1,000 shingles at once; the
stdlib would take ~100x longer) is stored in the catalog with 42 LSH bands of 3 values, so
the candidates for a new page are found with one indexed query whatever the archive's
size (datasketch does the same, with a dependency and a pickled index to keep in sync).
This module only computes; `archive.search.writer.sign_pages` stores signatures and pairs
through the catalog, and `archive.records.duplicates` lists them.

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
import re
import zlib

import numpy as np

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


def matches(sig: np.ndarray, size: int,
            candidates: list[tuple[str, int, int, bytes]]) -> list[tuple[str, int, float]]:
    """The candidates (doc_id, page_no, size, signature bytes) that are near-duplicates of a
    page with signature `sig` and `size` shingles: [(doc_id, page_no, overlap)], in order.
    """
    found = []
    for other_doc, other_page, other_size, blob in candidates:
        score = overlap(sig, size, np.frombuffer(blob, dtype=np.uint64), other_size)
        if score >= THRESHOLD:
            found.append((other_doc, other_page, round(score, 3)))
    return found
