"""Exemption labels printed inside redaction boxes, read box by box.

A label printed white on a black box reads poorly in the page's own OCR, which expects dark
text on light paper: on the NTSB release it read `(b)(5)` as `(b)(9)`, or missed labels, on
16 of 28 pages. Here each box big enough to hold a label is cut out of the OCR
rendering, turned black on white when it is a black box, and all the cut-outs of a page
are pasted one under another on one sheet, read by one tesseract call (sparse text, label
characters only): one short OCR call per page, however many boxes it has.

Measured on the hand-labelled NTSB and ICE pages (43 labels on 28 pages; bench/
foia_detection.py): the page OCR alone found 27 of them and 8 wrong ones; the cut-outs,
read at the scans' own 150 or 200 dpi, 37 and 1 wrong (34 and none without the character
whitelist). Read from a 300-dpi rendering of the 150-dpi scans they gave 32 and 11 wrong
(`(b)(9)` for `(b)(5)`), and 37 and none once reduced to 200 dpi; enlarging did worse too.
So renderings finer than LABEL_DPI are reduced to it, coarser ones read as they are. The
labels left unread are cut in half by their own box.

On a page with a text layer the label is in the layer: the words inside each box are read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image, ImageOps

from archive.foia import exemptions
from archive.models import Word
from archive.read import ocr

Box = Sequence[float]  # [x0, y0, x1, y1] in PDF points
LabelReader = Callable[[Image.Image, float, Sequence[Box], Sequence[bool]], list[list[str]]]

LABEL_DPI = 200
MIN_WIDTH, MIN_HEIGHT = 18.0, 7.0  # points: room for "(b)(6)" in 7-point type
MAX_BOXES = 40  # boxes read per page; the rest keep no label
MAX_SHEET_HEIGHT = 3 * 11 * LABEL_DPI  # pixels: three letter pages of cut-outs at most
GAP = 0.25  # inches of white between two cut-outs on the sheet
CHARS = "()[]{}b0123456789ABCDEFabcdef;,"
DARK = 128


def from_ocr(options: ocr.OcrOptions) -> LabelReader:
    """A reader of box labels by OCR, with the page's languages (the first one), time limit.

    The reader raises OcrFailedError when tesseract fails.
    """
    lang = options.lang.split("+")[0]

    def read(image: Image.Image, dpi: float, boxes: Sequence[Box],
             inverted: Sequence[bool]) -> list[list[str]]:
        labels: list[list[str]] = [[] for _ in boxes]
        scale = LABEL_DPI / dpi if dpi > LABEL_DPI * 1.15 else 1.0
        cuts: list[Image.Image] = []
        wanted: list[int] = []
        for i, (box, dark) in enumerate(zip(boxes, inverted, strict=True)):
            if len(cuts) < MAX_BOXES and box[2] - box[0] >= MIN_WIDTH \
                    and box[3] - box[1] >= MIN_HEIGHT:
                cuts.append(_cut(image, box, dpi, scale, dark))
                wanted.append(i)
        if not cuts:
            return labels
        sheet, spans = _sheet(cuts, round(GAP * dpi * scale))
        sheet_options = ocr.OcrOptions(lang=lang, dpi=round(dpi * scale), psm=11, chars=CHARS,
                                       timeout=min(options.timeout, 60.0))
        read_words = ocr.read_once(sheet, sheet_options).words
        for i, (top, bottom) in zip(wanted, spans, strict=False):  # spans may stop short
            inside = [w for w in read_words if top <= (w[1] + w[3]) / 2 < bottom]
            labels[i] = exemptions.find(" ".join(str(w[4]) for w in inside))
        return labels

    return read


def from_words(words: list[Word]) -> LabelReader:
    """A reader of box labels from a page's text layer: the words inside each box."""

    def read(image: Image.Image, dpi: float, boxes: Sequence[Box],
             inverted: Sequence[bool]) -> list[list[str]]:
        return [exemptions.find(" ".join(str(w[4]) for w in words if inside(w, box)))
                for box in boxes]

    return read


def inside(word: Word, box: Box, margin: float = 2.0) -> bool:
    """Whether a word's centre lies in a box (points), with `margin` points to spare."""
    x, y = (float(word[0]) + float(word[2])) / 2, (float(word[1]) + float(word[3])) / 2
    return box[0] - margin <= x <= box[2] + margin and box[1] - margin <= y <= box[3] + margin


def _cut(image: Image.Image, box: Box, dpi: float, scale: float, dark: bool) -> Image.Image:
    """The box's pixels, black on white, without the box's own edges."""
    k = dpi / 72.0
    x0, y0 = max(0, round(box[0] * k)), max(0, round(box[1] * k))
    x1, y1 = min(image.width, round(box[2] * k)), min(image.height, round(box[3] * k))
    cut = image.crop((x0, y0, x1, y1)).convert("L")
    if dark:
        cut = ImageOps.invert(cut)
    pixels = np.array(cut)
    ink = pixels < DARK
    # a white gap between two boxes detected as one, or an edge of the box or its border,
    # is a row (or an edge column) of ink across the whole cut: not part of a label
    pixels[ink.mean(axis=1) > 0.8, :] = 255
    edge = max(1, round(3 * k))
    for columns in (range(min(edge, pixels.shape[1])),
                    range(pixels.shape[1] - 1, max(-1, pixels.shape[1] - 1 - edge), -1)):
        for c in columns:
            if ink[:, c].mean() <= 0.6:
                break
            pixels[:, c] = 255
    cut = Image.fromarray(pixels)
    if scale < 1.0:
        cut = cut.resize((max(1, round(cut.width * scale)), max(1, round(cut.height * scale))),
                         Image.Resampling.LANCZOS)
    return cut


def _sheet(cuts: list[Image.Image], gap: int) -> tuple[Image.Image, list[tuple[int, int]]]:
    """The cut-outs pasted one under another on white, and the rows each one spans."""
    gap = max(gap, 8)
    width = max(c.width for c in cuts) + 2 * gap
    spans: list[tuple[int, int]] = []
    y = gap
    for cut in cuts:
        if y + cut.height + gap > MAX_SHEET_HEIGHT and spans:
            break
        spans.append((y - gap // 2, y + cut.height + gap // 2))
        y += cut.height + gap
    sheet = Image.new("L", (width, y), 255)
    for cut, (top, _) in zip(cuts, spans, strict=False):
        sheet.paste(cut, (gap, top + gap // 2))
    return sheet, spans
