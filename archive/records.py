"""The FOIA fields of a page as the JSON contracts give them, built from catalog rows.

One function serves the index (the values are kept as a stored field, so a search hit
carries them without touching the catalog), `archive search --json`, `/api/search` and
`/api/doc/<id>/page/<n>`.
"""

from __future__ import annotations

import json
from typing import Any

from archive.store import Store

META_FIELDS = ("name", "agency", "request_number", "released", "interim", "source_url")


def production_meta(production: dict[str, Any] | None) -> dict[str, Any]:
    """{name, agency, request_number, released, interim, source_url} of a production row;
    absent values are None, `interim` is an int when it is a number.
    """
    production = production or {}
    meta = {k: production.get(k) or None for k in META_FIELDS}
    interim = meta["interim"]
    if isinstance(interim, str) and interim.strip().isdigit():
        meta["interim"] = int(interim)
    return meta


def earliest(productions: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The production a document was released in first: earliest `released` date, then
    the order the links were made (undated releases count as later than dated ones).
    """
    if not productions:
        return None
    ranked = sorted(enumerate(productions),
                    key=lambda p: (p[1].get("released") or "9999-99-99", p[0]))
    return ranked[0][1]


def release_order(productions: list[dict[str, Any]]) -> str:
    """A sortable key of a document's first release: `YYYY-MM-DD|created`."""
    first = earliest(productions) or {}
    return f"{first.get('released') or '9999-99-99'}|{float(first.get('created') or 0):017.6f}"


def page_record(productions: list[dict[str, Any]], notes: dict[str, Any]) -> dict[str, Any]:
    """The FOIA additions to a hit or page in the JSON contracts.

    Args:
        productions: the document's production rows (as dicts), earliest link first.
        notes: the page's annotations (catalog `pages.annotations`, decoded).
    """
    redactions = notes.get("redactions") or {}
    return {
        "bates": notes.get("bates") or None,
        "exemptions": list(notes.get("exemptions") or []),
        "redactions": {"count": int(redactions.get("count") or 0),
                       "area": float(redactions.get("area") or 0.0)},
        "email": notes.get("email") or None,
        "record_date": notes.get("record_date") or None,
        "production_meta": production_meta(earliest(productions)),
    }


def for_page(catalog: Store, doc_id: str, page_no: int) -> dict[str, Any] | None:
    """The FOIA additions of one page, read from the catalog, plus its `duplicates` (the
    same record in other documents or releases); None for an unknown page. For
    `/api/doc/<id>/page/<n>` and the page viewer.
    """
    row = catalog.page(doc_id, page_no)
    if row is None:
        return None
    notes = json.loads(row["annotations"] or "{}")
    productions = [dict(p) for p in catalog.document_productions(doc_id)]
    record = page_record(productions, notes)
    found = notes.get("redactions") or {}
    record["redactions"]["boxes"] = found.get("boxes", [])
    record["redactions"]["full"] = bool(found.get("full"))  # withheld in full
    record["duplicates"] = duplicates(catalog, doc_id, page_no)
    return record


def duplicates(catalog: Store, doc_id: str, page_no: int) -> list[dict[str, Any]]:
    """The other pages found to be the same record (`archive.foia.duplicates`):
    [{doc_id, page, production, released}], earliest release first.
    """
    out = []
    for other_doc, other_page in catalog.duplicates_of(doc_id, page_no):
        first = earliest([dict(p) for p in catalog.document_productions(other_doc)])
        out.append({"doc_id": other_doc, "page": other_page,
                    "production": first["name"] if first else None,
                    "released": first.get("released") if first else None})
    out.sort(key=lambda d: (d["released"] or "9999-99-99", d["doc_id"], d["page"]))
    return out
