"""Where a page's words came from, for the viewer: the parts of a "text+ocr" page's text
that pictures on it gave (read by OCR), and those pictures' boxes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from archive.search.matches import highlight_text
from web.present import trusted_marks


@dataclass(frozen=True, slots=True)
class TextPart:
    """A run of a page's text as HTML (escaped, matches in <mark>), and whether OCR read it."""

    html: Markup
    ocr: bool


def ocr_regions(annotations: dict[str, Any], length: int) -> list[dict[str, Any]]:
    """The page's pictures read by OCR (`archive.models.PageResult`), those that fit."""
    found = annotations.get("ocr_regions") or []
    return [r for r in found if isinstance(r, dict) and len(r.get("box") or []) == 4
            and len(r.get("chars") or []) == 2 and 0 <= r["chars"][0] <= r["chars"][1] <= length]


def text_parts(text: str, annotations: dict[str, Any], sequences: Sequence[Sequence[str]],
               margins: Sequence[Sequence[int]] = (),
               extra: Sequence[tuple[int, int]] = ()) -> list[TextPart]:
    """The page's text cut where OCR'd pictures begin and end, the query's matches marked
    (`margins`: the text's margin line numbers, `extra`: spans marked too, a phrase's part
    over a page break, as `highlight_text` takes them); [] for a page with no OCR'd picture
    (its text is shown whole)."""
    regions = sorted(ocr_regions(annotations, len(text)), key=lambda r: r["chars"][0])
    if not regions:
        return []
    cuts: list[tuple[int, int, bool]] = []
    done = 0
    for region in regions:
        start, end = max(region["chars"][0], done), region["chars"][1]
        if start > done:
            cuts.append((done, start, False))
        if end > start:
            cuts.append((start, end, True))
        done = max(done, end)
    if done < len(text):
        cuts.append((done, len(text), False))
    # A phrase running from the text layer into a picture's words is not marked in the
    # text (it is still boxed on the image: match_boxes looks at all the words).
    return [TextPart(trusted_marks(highlight_text(
        text[start:end], sequences,
        [(s - start, e - start) for s, e in margins if start <= s and e <= end],
        [(max(s, start) - start, min(e, end) - start) for s, e in extra
         if s < end and start < e])), ocr)
        for start, end, ocr in cuts]
