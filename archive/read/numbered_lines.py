"""Margin line numbers that tesseract misread or left out, read again as numbers.

On pleading paper the 1-28 column stands apart from the text, and tesseract takes it for a
line of text turned 90 degrees (`NO NY NO NHN N WN ...` instead of 1 to 28: both real
pleadings tried, at 200 and 300 dpi) or reads nothing there (150 dpi). Such a line is
recognised by its words standing one below the other; a column left out, by marks in the
margin level with most text lines (vertical rules aside). The strip of the page is read
once more as a block of digits (~0.4 s, only on such pages), and when what comes back is
a margin line numbering (`archive.foia.line_numbers`), the numbers replace the misreading,
one line each, where it stood in the text (at its start when nothing was read there).
"""

from __future__ import annotations

from statistics import median

import numpy as np
from PIL import Image

from archive.foia import line_numbers
from archive.models import OcrResult, Word
from archive.read import ocr


def reread(image: Image.Image, result: OcrResult, options: ocr.OcrOptions) -> OcrResult:
    """`result` with a misread or missing column of margin line numbers read again;
    `result` itself when it has none (most pages: no second reading).

    Raises:
        OcrFailedError: tesseract crashed or ran out of time on the strip.
    """
    if result.rotation or not result.words or line_numbers.find(result.words):
        return result
    lines = _lines(result)
    typical = median(float(w[3]) - float(w[1]) for w in result.words)
    vertical = [line for line in lines if _is_vertical([result.words[i] for i in line], typical)]
    dropped = {i for line in vertical for i in line}
    if dropped:
        boxes = [result.words[i] for i in dropped]
        band = (max(0, int(min(float(w[0]) for w in boxes) - typical)),
                min(image.width, int(max(float(w[2]) for w in boxes) + typical)))
    else:
        found = _inked_margin(image, [[result.words[i] for i in line] for line in lines if line],
                              typical)
        if found is None:
            return result
        band = found
    strip = ocr.read_once(image.crop((band[0], 0, band[1], image.height)),  # whole height:
                          ocr.OcrOptions(lang=options.lang, dpi=options.dpi,  # not all of
                                         timeout=options.timeout, psm=6,  # it was misread
                                         chars="0123456789"))
    read: list[Word] = [[w[0] + band[0], w[1], w[2] + band[0], w[3], w[4]]
                        for w in strip.words]
    kept = [w for i, w in enumerate(result.words) if i not in dropped]
    numbers = [read[i - len(kept)] for i in line_numbers.find(kept + read) if i >= len(kept)]
    if len(numbers) < line_numbers.MIN_LINES:
        return result
    return _replaced(result, lines, dropped, numbers)


def _inked_margin(image: Image.Image, lines: list[list[Word]],
                  typical: float) -> tuple[int, int] | None:
    """The band left of the text where something is printed level with most text lines
    (a column of numbers tesseract did not read at all), as (x0, x1); None when the margin
    is blank there. Vertical rules (pleading paper's) and scanner shadows are not marks."""
    starts = sorted(float(line[0][0]) for line in lines)
    if len(starts) < line_numbers.MIN_LINES:
        return None
    right = int(starts[len(starts) // 10] - typical / 2)  # the text's left edge, indents aside
    if right < 2 * typical:
        return None
    ink = np.asarray(image.convert("L").crop((0, 0, right, image.height))) < 128
    rules = ink.mean(axis=0) > 0.3
    rules |= np.roll(rules, 1) | np.roll(rules, -1)
    ink[:, rules] = False
    marked = 0
    for line in lines:
        top = max(0, int(min(float(w[1]) for w in line)))
        bottom = int(max(float(w[3]) for w in line)) + 1
        if ink[top:bottom].any(axis=1).sum() >= 0.4 * typical:
            marked += 1
    if marked < max(line_numbers.MIN_LINES, 0.6 * len(lines)):
        return None
    columns = np.flatnonzero(ink.any(axis=0))
    return max(0, int(columns[0] - typical)), min(right, int(columns[-1] + typical))


def _lines(result: OcrResult) -> list[list[int]]:
    """The indexes of the words of each line of the text (its words are the page's words,
    in order, joined by single spaces)."""
    lines: list[list[int]] = []
    at = 0
    for line in result.text.split("\n"):
        count = len(line.split()) if line.strip() else 0
        lines.append(list(range(at, min(at + count, len(result.words)))))
        at += count
    return lines


def _is_vertical(words: list[Word], typical: float) -> bool:
    """Whether a line's words stand one below the other, over several lines' height."""
    if len(words) < 2:
        return False
    top = min(float(w[1]) for w in words)
    bottom = max(float(w[3]) for w in words)
    left = min(float(w[0]) for w in words)
    right = max(float(w[2]) for w in words)
    return bottom - top > 3 * typical and right - left < (bottom - top) / 4


def _replaced(result: OcrResult, lines: list[list[int]], dropped: set[int],
              numbers: list[Word]) -> OcrResult:
    """`result` with the lines of the `dropped` words replaced, at the first of them (at the
    start when none is dropped), by the `numbers`, one per line and in their own
    paragraph, top to bottom."""
    numbers = sorted(numbers, key=lambda w: float(w[1]))
    text_lines: list[str] = [] if dropped else [*(str(w[4]) for w in numbers), ""]
    words: list[Word] = [] if dropped else list(numbers)
    placed = not dropped
    for line, shown in zip(lines, result.text.split("\n"), strict=True):
        if line and set(line) <= dropped:
            if not placed:
                text_lines.extend(["", *(str(w[4]) for w in numbers), ""])
                words.extend(numbers)
                placed = True
            continue
        text_lines.append(shown)
        words.extend(result.words[i] for i in line)
    text = "\n".join(text_lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return OcrResult(text=text.strip("\n"), words=words, confidence=result.confidence,
                     rotation=result.rotation)
