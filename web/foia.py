"""What the viewer and the document page show of the FOIA fields: what was withheld, email
headers, the same record in other releases, an email's attachments, load-file metadata.

Every value here is released text: the templates escape it (never `|safe`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import url_for

from archive.citation import bates_as_stamped
from archive.foia import exemptions
from archive.store import Store

EMAIL_FIELDS = (("from", "From"), ("to", "To"), ("cc", "Cc"), ("subject", "Subject"),
                ("date", "Date"))
_READABLE = ("indexed", "extracted")


def email_rows(email: Any) -> list[tuple[str, str]]:
    """(label, value) of an email's header fields that have a value, in Outlook's order."""
    if not isinstance(email, dict):
        return []
    return [(label, str(email[key])) for key, label in EMAIL_FIELDS if email.get(key)]


def exemption_links(labels: list[str], production: str | None) -> list[tuple[str, str]]:
    """(label, URL of the search for the pages withheld under it, in `production` if given)."""
    return [(label, url_for("search.results", q=f"exemption:{exemptions.key(label)}",
                            production=production)) for label in labels]


@dataclass(slots=True)
class Redactions:
    """The redaction boxes found on a page image (PDF points, origin top left)."""

    count: int = 0
    area: float = 0.0  # fraction of the page
    full: bool = False  # withheld in full
    boxes: list[list[float]] = field(default_factory=list)

    @property
    def percent(self) -> str:
        """The share of the page covered, for people: `0.4 %`, `37 %`."""
        value = self.area * 100
        return f"{value:.1f} %" if value < 10 else f"{value:.0f} %"


def redactions(found: Any) -> Redactions:
    """The page's redactions from `records.for_page(...)["redactions"]`."""
    if not isinstance(found, dict):
        return Redactions()
    boxes = [list(map(float, b[:4])) for b in found.get("boxes") or []
             if isinstance(b, list | tuple) and len(b) >= 4]
    return Redactions(count=int(found.get("count") or 0),
                      area=float(found.get("area") or 0.0), full=bool(found.get("full")),
                      boxes=boxes)


def duplicates(catalog: Store, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same record elsewhere (`records.for_page(...)["duplicates"]`), with each other
    document's title; documents that cannot be read (any more) are left out."""
    out = []
    for dup in found:
        row = catalog.document(str(dup.get("doc_id")))
        if row is None or row["state"] not in _READABLE:
            continue
        out.append({**dup, "title": row["title"]})
    return out


def parent(catalog: Store, doc: dict[str, Any]) -> dict[str, Any] | None:
    """The document this one was found in (an email it was attached to), if any."""
    parent_id = doc.get("parent_doc_id")
    row = catalog.document(parent_id) if parent_id else None
    if row is None:
        return None
    return {"doc_id": row["doc_id"], "title": row["title"], "kind": row["kind"],
            "readable": row["state"] in _READABLE}


def attachments(catalog: Store, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The files found in a document (an email's attachments, an mbox's messages): each
    {name, doc_id or None, title, kind, pages, readable, note}; those that could not be read
    say why."""
    children = {row["doc_id"]: row for row in catalog.children(doc["doc_id"])}
    out = []
    for item in doc["meta"].get("attachments") or []:
        if not isinstance(item, dict):
            continue
        child_id = item.get("doc_id")
        row = children.pop(child_id, None) or (catalog.document(child_id) if child_id else None)
        out.append(_attachment(str(item.get("name") or ""), row, item.get("reason"),
                               str(item.get("kind") or "")))
    out.extend(_attachment(row["title"], row, None, row["kind"]) for row in children.values())
    return out


def _attachment(name: str, row: Any, reason: Any, kind: str) -> dict[str, Any]:
    readable = row is not None and row["state"] in _READABLE
    if readable:
        note = None
    elif row is not None and row["state"] == "failed":
        note = f"could not be read: {row['error'] or 'unknown error'}"
    elif row is not None:
        note = "not read yet"
    else:
        note = str(reason) if reason else "not added to the archive"
    return {"name": name or (row["title"] if row is not None else ""),
            "doc_id": row["doc_id"] if row is not None else None,
            "title": row["title"] if row is not None else name,
            "kind": row["kind"] if row is not None else kind,
            "pages": int(row["page_count"] or 0) if row is not None else 0,
            "readable": readable, "note": note}


def load_file_fields(meta: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, value) of the metadata a litigation load file gave the document, in its
    order; empty values left out."""
    fields = meta.get("fields")
    if not isinstance(fields, dict):
        return []
    return [(str(k), str(v)) for k, v in fields.items() if v not in (None, "")]


def bates_range(meta: dict[str, Any]) -> str | None:
    """`FIRST – LAST` (or one number) from the document's `bates_range`, if it has one."""
    found = meta.get("bates_range")
    if not isinstance(found, list | tuple) or not found:
        return None
    first, last = (bates_as_stamped(str(end or "")) for end in (found[0], found[-1]))
    if not first:
        return last or None
    return first if not last or last == first else f"{first} \u2013 {last}"
