"""Every hit of a search as rows: CSV safe for spreadsheets, or JSON lines.

One row per page: where it is (doc_id, page, url), what it is (title, production, agency,
released, record_date, bates, exemptions, redacted, text_source), how well it matched
(score), how to cite it (citation) and what it says (excerpt, plain text). The CLI
(`archive search --all --format csv|jsonl`) and the reading room (`/search.csv`,
`/api/search?format=jsonl`) write the same rows; rows are made one at a time, never held.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any

from archive.citation import citation_line
from archive.models import Hit

COLUMNS = ("doc_id", "page", "title", "production", "agency", "released", "record_date",
           "bates", "exemptions", "redacted", "text_source", "score", "url", "citation",
           "excerpt")
FORMATS = ("csv", "jsonl")
_TAG = re.compile(r"</?mark>")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def plain_excerpt(excerpt: str) -> str:
    """An excerpt's text without its <mark> tags and HTML escapes, on one line."""
    return " ".join(html.unescape(_TAG.sub("", excerpt)).split())


def row(hit: Hit, url: str, accessed: date) -> dict[str, Any]:
    """The export row of one hit; `url` is the page's absolute permalink.

    `exemptions` is a list (joined with "; " in CSV), `redacted` "yes" or "no"; `agency`
    and `released` are those of the release the page came out in first.
    """
    extra = hit.extra
    meta = extra.get("production_meta") or {}
    bates = extra.get("bates")
    return {
        "doc_id": hit.doc_id,
        "page": hit.page,
        "title": hit.title,
        "production": hit.production,
        "agency": meta.get("agency"),
        "released": meta.get("released"),
        "record_date": extra.get("record_date"),
        "bates": bates,
        "exemptions": list(extra.get("exemptions") or []),
        "redacted": "yes" if (extra.get("redactions") or {}).get("count") else "no",
        "text_source": hit.text_source,
        "score": round(hit.score, 4),
        "url": url,
        "citation": citation(hit, url, accessed),
        "excerpt": plain_excerpt(hit.excerpt),
    }


def citation(hit: Hit, url: str, accessed: date) -> str:
    """A hit's citation line (`archive.citation`), naming the release it came out in first;
    `hit.extra["pages"]`, when known, gives "p. N of M"."""
    return citation_line(production=hit.extra.get("production_meta") or {}, title=hit.title,
                         page=hit.page, pages=hit.extra.get("pages") or None, permalink=url,
                         accessed=accessed, bates=hit.extra.get("bates"))


def rows(hits: Iterable[Hit], permalink: Callable[[Hit], str],
         accessed: date) -> Iterator[dict[str, Any]]:
    """The export rows of `hits`, made as they are read."""
    for hit in hits:
        yield row(hit, permalink(hit), accessed)


def neutralise(cell: str) -> str:
    """A cell a spreadsheet will show as text, never run as a formula: one that starts with
    = + - @ (or a tab or carriage return) gets a leading apostrophe."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    return neutralise(value) if isinstance(value, str) else value


def csv_lines(found: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The rows as CSV (a header line first), one line at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells: Iterable[Any]) -> str:
        writer.writerow(cells)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(COLUMNS)
    for found_row in found:
        yield line(_cell(found_row[name]) for name in COLUMNS)


def jsonl_lines(found: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The rows as JSON lines, one object per line."""
    for found_row in found:
        yield json.dumps(found_row, ensure_ascii=False) + "\n"


def lines(fmt: str, found: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The rows as `fmt` ("csv" or "jsonl")."""
    return csv_lines(found) if fmt == "csv" else jsonl_lines(found)
