"""What kind of record a page is, for the `kind` facet: five values, decided in one place."""

from __future__ import annotations

from typing import Any

KINDS = {  # index key -> label, in the order the reading room lists them
    "email": "Email",
    "printed-email": "Printed email",
    "scan": "Scan",
    "born-digital": "Born-digital",
    "load-file": "Load-file document",
}


def page_kind(doc_kind: str, text_source: str, notes: dict[str, Any]) -> str:
    """The kind of one page, the first of these that holds:

    - `email`: a native email message (.eml, .msg, a message of an mbox), printed by the
      archive;
    - `load-file`: a page image a litigation load file (.opt/.dat) lists;
    - `printed-email`: a page showing an email's header (From/Sent/To/Subject) as printed,
      scanned or not;
    - `scan`: a page whose text came from OCR, or that has no text (an image);
    - `born-digital`: a page with its own text layer (a PDF made by a program, a text
      attachment printed by the archive).

    Args:
        doc_kind: the document's kind in the catalog (pdf, image, email, mbox, text,
            loadfile).
        text_source: where the page's text came from: text, ocr or none.
        notes: the page's annotations (its printed email header under "email").
    """
    if doc_kind in ("email", "mbox"):
        return "email"
    if doc_kind == "loadfile":
        return "load-file"
    if notes.get("email"):
        return "printed-email"
    if text_source != "text":
        return "scan"
    return "born-digital"
