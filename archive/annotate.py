"""FOIA annotations of a page derived from its text and words (Bates, exemptions, email).

Recomputed whenever a page is (re)indexed, so better detectors need no re-OCR. Redaction
boxes are found on the page image by the worker (archive.foia.redactions) and kept in the
catalog beside these.
"""

from __future__ import annotations

from typing import Any

from archive.foia import bates, dates, email_headers, exemptions
from archive.models import Word


def text_annotations(text: str, words: list[Word], width: float,
                     height: float) -> dict[str, Any]:
    """Bates number, exemption labels, printed email header and record date of a page.

    Returns:
        {"bates": as printed or None, "bates_keys": [normalised keys],
         "exemptions": ["(b)(6)", ...], "exemption_keys": ["b6", ...],
         "email": {from, to, cc, subject, date} or None, "record_date": ISO date or None}.
    """
    stamp = bates.find(words, width, height)
    labels = exemptions.find(text)
    email = email_headers.find(text)
    record_date = email["date"] if email and email.get("date") else dates.letter_date(text)
    return {
        "bates": stamp.printed if stamp else None,
        "bates_keys": stamp.keys if stamp else [],
        "exemptions": labels,
        "exemption_keys": exemptions.keys(labels),
        "email": email,
        "record_date": record_date,
    }
