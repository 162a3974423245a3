"""Hybrid pages: a text layer plus pictures of text (a pasted-in letter, a scanned exhibit).

The text layer of such a page holds its header, footer, Bates stamp or caption, and nothing
of what its pictures show. Only the pictures that hold no text-layer words are read by OCR
(rendered alone, at their own resolution), their words mapped back to page points and merged
with the text layer's in reading order. The page's source becomes "text+ocr" and
`annotations["ocr_regions"]` says which part of its text and words each picture gave.

A page whose text lies over its pictures (an agency's OCR layer on a scan) is not hybrid:
`extract.needs_ocr` sends it to full OCR when that layer is too thin, as before.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from archive.config import Settings
from archive.errors import OcrFailedError
from archive.models import OcrResult, PageResult, Picture, TextBlock, Word
from archive.read import extract, ocr

if TYPE_CHECKING:  # only extract.py imports PyMuPDF
    import pymupdf

MIN_SIDE_POINTS = 18.0  # a quarter of an inch: one line of 10-point text needs ~12 points
MAX_PICTURES = 8  # the largest ones, on a page that paints many
MAX_DPI = 600.0  # a large image shrunk into a small box is read at most this fine
MIN_CONFIDENCE = 50.0  # a photograph reads as a few words of junk with confidence under 50
FEW_WORDS, FEW_WORDS_CONFIDENCE = 3, 80.0  # a signature reads as "Z VW" (confidence 61)
_HAS_ALNUM = re.compile(r"\w")


def pictures_to_read(found: list[Picture], words: list[Word], min_chars: int) -> list[Picture]:
    """The pictures of a page kept as text whose words the text layer does not hold.

    Only on a page with real text outside its pictures (`min_chars` or more characters):
    otherwise the page is a scan, which `extract.needs_ocr` judged. A picture is read when
    it is large enough to hold lines of text and the text layer over it is thinner than an
    OCR layer would be (`extract.TEXT_PER_SQUARE_INCH`).
    """
    if not found or extract.chars_outside(words, found) < min_chars:
        return []
    chosen = []
    for picture in found:
        x0, y0, x1, y1 = picture.box
        inches = picture.area / 72 / 72
        if inches < extract.MIN_PICTURE_INCHES or min(x1 - x0, y1 - y0) < MIN_SIDE_POINTS:
            continue
        over = sum(len(str(w[4])) for w in words if extract.inside(w, picture.box))
        if over / inches < extract.TEXT_PER_SQUARE_INCH:
            chosen.append(picture)
    return sorted(chosen, key=lambda p: -p.area)[:MAX_PICTURES]


def read_pictures(page: pymupdf.Page, chosen: list[Picture], result: PageResult,
                  settings: Settings, lang: str) -> None:
    """Read `chosen` pictures of a text-layer page by OCR and merge their words into
    `result` (text, words, source, confidence, `ocr_regions`). A picture that reads as
    nothing (a photograph, a chart without labels) changes nothing; a picture tesseract
    fails on is a warning, and the text layer stays."""
    layer = extract.text_blocks(page)
    layer_words = [w for block in layer for w in block.words]
    readings: list[tuple[TextBlock, float]] = []
    for picture in chosen:
        image, across, down = extract.render_picture(page, picture, picture_dpi(picture, settings),
                                                     settings.max_image_pixels)
        options = ocr.OcrOptions(lang=lang, dpi=round(72.0 / across),
                                 timeout=settings.ocr_timeout,
                                 osd_confidence=settings.ocr_osd_confidence)
        try:
            read = ocr.read_once(image, options)
            if read.words:  # a photograph reads as nothing: no second pass for it
                read = ocr.improve(image, options, read)
        except OcrFailedError as exc:
            result.warnings.append(f"a picture on the page was not read: {exc.message}")
            continue
        block = picture_block(read, picture, (across, down), layer_words)
        if block is not None:
            readings.append((block, read.confidence or 0.0))
    if not readings:
        return
    blocks = sorted([*layer, *(block for block, _ in readings)],
                    key=lambda b: extract.reading_key(b.box))
    text, words, spans = extract.join_blocks(blocks)
    confidence = {id(block): conf for block, conf in readings}
    regions: list[dict[str, Any]] = []
    for block, (c0, c1, w0, w1) in zip(blocks, spans, strict=True):
        if id(block) in confidence:
            regions.append({"box": [round(v, 2) for v in block.box], "chars": [c0, c1],
                            "words": [w0, w1], "confidence": confidence[id(block)]})
    counts = [r["words"][1] - r["words"][0] for r in regions]
    result.text, result.words, result.text_source = text, words, "text+ocr"
    result.ocr_confidence = round(sum(r["confidence"] * n for r, n in zip(regions, counts,
                                                                           strict=True))
                                  / max(sum(counts), 1), 1)
    result.annotations["ocr_regions"] = regions


def picture_dpi(picture: Picture, settings: Settings) -> float:
    """The resolution a picture is read at: its own, a coarse one upsampled to
    `settings.ocr_dpi` (as a scanned page is), at most `MAX_DPI`."""
    dpi = 72.0 * picture.pixels_per_point
    if dpi < settings.ocr_upsample_below:
        dpi = float(settings.ocr_dpi)
    return min(dpi, MAX_DPI)


def picture_block(read: OcrResult, picture: Picture, scale: tuple[float, float],
                  layer_words: list[Word]) -> TextBlock | None:
    """A picture's reading as a block of the page: words in page points (`scale`: points per
    pixel across and down), without those the text layer already has there (a caption
    printed over the picture) and without specks (words with no letter or digit); None when
    what remains is junk: a reading of low confidence, or a word or two of less than high
    confidence (a signature)."""
    if (read.confidence or 0.0) < MIN_CONFIDENCE:
        return None
    x, y = picture.box[0], picture.box[1]
    kept: list[Word] = []
    line_of: list[int] = []
    for n, (x0, y0, x1, y1, word) in enumerate(read.words):
        placed = [round(x + x0 * scale[0], 2), round(y + y0 * scale[1], 2),
                  round(x + x1 * scale[0], 2), round(y + y1 * scale[1], 2), word]
        if not _HAS_ALNUM.search(word) or any(_covers(w, placed) for w in layer_words):
            continue
        kept.append(placed)
        line_of.append(read.lines[n] if n < len(read.lines) else n)
    if not kept or len(kept) < FEW_WORDS and (read.confidence or 0.0) < FEW_WORDS_CONFIDENCE:
        return None
    lines: dict[int, list[str]] = {}
    for word, line in zip(kept, line_of, strict=True):
        lines.setdefault(line, []).append(str(word[4]))
    text = "\n".join(" ".join(line) for line in lines.values())
    return TextBlock(picture.box, text, kept)


def _covers(layer_word: Word, placed: Word, pad: float = 1.0) -> bool:
    """Whether a text-layer word stands where an OCR'd word is (its centre inside)."""
    box = (layer_word[0] - pad, layer_word[1] - pad, layer_word[2] + pad, layer_word[3] + pad)
    return extract.inside(placed, box)
