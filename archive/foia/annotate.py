"""Annotations of a page derived from its text and words (Bates, exemptions, email, margin
line numbers).

Recomputed whenever a page is (re)indexed, so better detectors need no re-OCR. Redaction
boxes, and the exemption labels read inside them, are found on the page image by the worker
(archive.foia.redactions) and kept in the catalog beside these; the labels join the page's.
"""

from __future__ import annotations

from typing import Any

from archive.foia import bates, box_labels, dates, email_headers, exemptions, line_numbers
from archive.models import Word


def text_annotations(text: str, words: list[Word], width: float, height: float,
                     redactions: dict[str, Any] | None = None) -> dict[str, Any]:
    """Bates number, exemption labels, printed email header and record date of a page.

    `redactions` is the worker's finding on the page image (`archive.foia.redactions`): the
    labels read inside its boxes are the page's too.

    Returns:
        {"bates": as printed or None, "bates_keys": [normalised keys],
         "exemptions": ["(b)(6)", ...], "exemption_keys": ["b6", ...],
         "email": {from, to, cc, subject, date} or None, "record_date": ISO date or None,
         "line_numbers": margin line numbers ({"words", "spans"}, archive.foia.line_numbers)
         or None}.
    """
    stamp = bates.find(words, width, height)
    labels = page_exemptions(text, words, redactions or {})
    email = email_headers.find(text)
    record_date = email["date"] if email and email.get("date") else dates.letter_date(text)
    return {
        "bates": stamp.printed if stamp else None,
        "bates_keys": stamp.keys if stamp else [],
        "exemptions": labels,
        "exemption_keys": exemptions.keys(labels),
        "email": email,
        "record_date": record_date,
        "line_numbers": line_numbers.annotation(text, words),
    }


def page_exemptions(text: str, words: list[Word], redactions: dict[str, Any]) -> list[str]:
    """The exemption labels of a page: those in its text, and those read inside its boxes.

    Where a box's own reading found a label, the page's reading of the same spot is set
    aside: OCR of a whole page misreads white-on-black labels (`(b)(5)` as `(b)(9)`).
    """
    boxes = redactions.get("boxes") or []
    read = redactions.get("labels") or [[] for _ in boxes]
    labelled = [box for box, labels in zip(boxes, read, strict=False) if labels]
    if not labelled:
        return exemptions.find(text)
    outside = [w for w in words if not any(box_labels.inside(w, box) for box in labelled)]
    from_text = exemptions.find(_text_of(outside))
    return list(dict.fromkeys(from_text + [label for labels in read for label in labels]))


def _text_of(words: list[Word]) -> str:
    """Words joined into lines: a word that moves left or below begins a new line."""
    lines: list[list[str]] = []
    previous: Word | None = None
    for word in words:
        if previous is None or float(word[0]) < float(previous[0]) \
                or float(word[1]) >= float(previous[3]):
            lines.append([])
        lines[-1].append(str(word[4]))
        previous = word
    return "\n".join(" ".join(line) for line in lines)
