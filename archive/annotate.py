"""FOIA annotations of a page derived from its text and words (Bates, exemptions, email).

Recomputed whenever a page is (re)indexed, so better detectors need no re-OCR.
"""

from __future__ import annotations

from typing import Any

from archive.models import Word


def text_annotations(text: str, words: list[Word], width: float,
                     height: float) -> dict[str, Any]:
    """Annotations found in a page's text; an empty dict until detectors are added."""
    return {}
