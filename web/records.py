"""Looking up documents and pages in the catalog for a request; unknown ones are a 404."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from archive.editing import withdrawals
from archive.editing.withdrawals import Withdrawal
from archive.errors import NotFoundError
from archive.models import Word
from web.auth import is_editor
from web.db import get_catalog

_DOC_ID = re.compile(r"[0-9a-f]{16}")
_READABLE = ("indexed", "extracted")


@dataclass(slots=True)
class PageRecord:
    """One page with its document and productions, as the viewer and the API show it."""

    doc: dict[str, Any]
    productions: list[dict[str, Any]]
    page_no: int
    text: str
    text_source: str
    ocr_confidence: float | None
    width: float
    height: float
    error: str | None
    words: list[Word] = field(default_factory=list)
    annotations: dict[str, Any] = field(default_factory=dict)
    withdrawal: Withdrawal | None = None  # only editors see a withdrawn page

    @property
    def pages(self) -> int:
        """The document's page count."""
        return int(self.doc.get("page_count") or 0)

    @property
    def production_names(self) -> str:
        """The productions' names, as in a search hit."""
        return "; ".join(p["name"] for p in self.productions)

    @property
    def bates(self) -> str | None:
        """The page's Bates number, when a detector found one."""
        value = self.annotations.get("bates")
        if isinstance(value, list | tuple):
            value = value[0] if value else None
        return str(value) if value else None


def valid_doc_id(doc_id: str) -> bool:
    """Whether `doc_id` looks like a document id (16 lowercase hex digits)."""
    return _DOC_ID.fullmatch(doc_id) is not None


def withdrawal(doc_id: str, page: int | None = None, *,
               any_page: bool = False) -> Withdrawal | None:
    """The withdrawal hiding a document or a page (`withdrawals.covering`): the public gets
    a WithdrawnError (410, with the date and the reason), editors the withdrawal.

    The one check every document route makes (page, document, images, originals, API).

    Raises:
        WithdrawnError: it is withdrawn and the request is not an editor's.
    """
    catalog = get_catalog()
    found = (withdrawals.covering(catalog, doc_id, page, any_page=any_page)
             if catalog is not None else None)
    if found is not None and not is_editor():
        raise found.error()
    return found


def hidden_from_public() -> tuple[set[str], set[tuple[str, int]]]:
    """The withdrawn documents and pages this request may not link to: none for editors."""
    catalog = get_catalog()
    if catalog is None or is_editor():
        return set(), set()
    rows = catalog.withdrawals()
    return ({r["doc_id"] for r in rows if not r["page_no"]},
            {(r["doc_id"], int(r["page_no"])) for r in rows if r["page_no"]})


def load_document(doc_id: str) -> dict[str, Any]:
    """A readable document's row (meta decoded), its productions and its withdrawals.

    Raises:
        NotFoundError: no such document, or it has not been read yet.
        WithdrawnError: the document is withdrawn from public view (not for editors).
    """
    catalog = get_catalog()
    row = catalog.document(doc_id) if catalog is not None and valid_doc_id(doc_id) else None
    if row is None or catalog is None or row["state"] not in _READABLE:
        raise NotFoundError("There is no document with that id in the archive. Search for it, "
                            "or check the link for a typing mistake.")
    doc = dict(row)
    doc["meta"] = json.loads(row["meta"] or "{}")
    doc["warnings"] = json.loads(row["warnings"] or "[]")
    doc["productions"] = [dict(p) for p in catalog.document_productions(doc_id)]
    withdrawal(doc_id)
    doc["withdrawals"] = withdrawals.of_document(catalog, doc_id)
    doc["withdrawn_pages"] = {w.page for w in doc["withdrawals"] if w.page is not None}
    return doc


def load_page(doc_id: str, page_no: int) -> PageRecord:
    """One page of a readable document.

    Raises:
        NotFoundError: no such document or page.
        WithdrawnError: the page or its document is withdrawn (not for editors).
    """
    doc = load_document(doc_id)
    catalog = get_catalog()
    count = int(doc.get("page_count") or 0)
    row = catalog.page(doc_id, page_no) if catalog is not None and 1 <= page_no <= count else None
    if row is None:
        raise NotFoundError(f"The document \u201c{doc['title']}\u201d has {count} "
                            f"page{'s' if count != 1 else ''}; there is no page {page_no}.")
    return PageRecord(
        doc=doc, productions=doc["productions"], page_no=page_no, text=row["text"],
        text_source=row["text_source"], ocr_confidence=row["ocr_confidence"],
        width=float(row["width"]), height=float(row["height"]), error=row["error"],
        words=json.loads(row["words"] or "[]"),
        annotations=json.loads(row["annotations"] or "{}"),
        withdrawal=withdrawal(doc_id, page_no),
    )
