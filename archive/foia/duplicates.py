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
mostly such boilerplate up to 0.81, hence the threshold. Quoted replies that repeat a whole
earlier message on one page do match it: they are the same text.

Short pages (fewer than 500 clean characters: a one-paragraph form, an email's last lines,
an Exchange envelope) are copies too, but look alike more easily: envelopes of different
messages between the same people differ only in their dates, and letters alone drop the
digits. A pair where either page is short must therefore also be alike the other way
round (the larger page mostly in the smaller one too, so a short page is not matched by
a long one that merely contains it) and carry the same numbers: the dates, times and
numbers written on both (`2022/05/17`, `15:47:08`, kept whole) mostly agree when both have
any. Pages with fewer than 100 clean characters are not compared at all ("withheld in
full" placeholders, a bare signature).
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
MIN_CHARS = 100  # fewer clean characters: not compared
SHORT_CHARS = 500  # fewer: a short page, compared both ways and by its numbers
THRESHOLD = 0.75
NUMBERS_AGREE = 0.5  # share of the numbers of the page with fewer that the other has too
_PRIME = np.uint64(4294967311)  # > 2**32, so (a*x + b) of 32-bit values fits in 64 bits
_rng = np.random.default_rng(20261128)  # fixed: signatures must agree across runs
_A = _rng.integers(1, 2**32 - 1, PERMUTATIONS, dtype=np.uint64)
_B = _rng.integers(0, 2**32 - 1, PERMUTATIONS, dtype=np.uint64)
_WORD = re.compile(r"[a-z]{3,}")
_NUMBER = re.compile(r"(?<![^\W_])\d+(?:[/:.,-]\d+)*(?![^\W_])")  # not inside a word or id


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


def is_short(size: int) -> bool:
    """Whether a page of `size` shingles is short (fewer than SHORT_CHARS clean characters)."""
    return size < SHORT_CHARS - SHINGLE + 1


def matches(sig: np.ndarray, size: int,
            candidates: list[tuple[str, int, int, bytes]]) -> list[tuple[str, int, float]]:
    """The candidates (doc_id, page_no, size, signature bytes) that are near-duplicates of a
    page with signature `sig` and `size` shingles: [(doc_id, page_no, overlap)], in order.

    A pair with a short page must also overlap as much measured on the larger page; its
    numbers are checked by the caller, who has the texts (`numbers_agree`).
    """
    found = []
    for other_doc, other_page, other_size, blob in candidates:
        score = overlap(sig, size, np.frombuffer(blob, dtype=np.uint64), other_size)
        if score >= THRESHOLD and (not is_short(min(size, other_size))
                                   or score * min(size, other_size)
                                   >= THRESHOLD * max(size, other_size)):
            found.append((other_doc, other_page, round(score, 3)))
    return found


def numbers(text: str) -> set[str]:
    """The numbers written on a page with two digits or more, dates and times kept whole."""
    return {n for n in _NUMBER.findall(text) if sum(c.isdigit() for c in n) >= 2}


def numbers_agree(text_a: str, text_b: str) -> bool:
    """Whether two pages carry the same numbers: most of those of the page with fewer are on
    the other too; true when either has none (a release may redact every number)."""
    found_a, found_b = numbers(text_a), numbers(text_b)
    fewer = min(len(found_a), len(found_b))
    return fewer == 0 or len(found_a & found_b) >= NUMBERS_AGREE * fewer
