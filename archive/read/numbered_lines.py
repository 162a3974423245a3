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

from archive.errors import OcrFailedError
from archive.foia import line_numbers
from archive.models import OcrResult, Word
from archive.read import ocr


def reread(image: Image.Image, result: OcrResult, options: ocr.OcrOptions) -> OcrResult:
    """`result` with a misread or missing column of margin line numbers read again;
    `result` itself when it has none (most pages: no second reading), or when tesseract
    fails on the strip (the page's own reading is not lost for it).
    """
    if result.rotation or not result.words or line_numbers.find(result.words):
        return result
    lines = _lines(result)
    typical = median(float(w[3]) - float(w[1]) for w in result.words)
    misread = _misread_columns(result, lines, typical)
    for band, dropped in misread:
        numbers = _numbers_in(image, band, options, [w for i, w in enumerate(result.words)
                                                     if i not in dropped])
        if numbers:
            return _replaced(result, lines, dropped, numbers)
    if misread:  # vertical text of another kind (a stamp, a label along the edge)
        return result
    margin = _inked_margin(image, [[result.words[i] for i in line] for line in lines if line],
                           typical)
    numbers = _numbers_in(image, margin, options, result.words) if margin else []
    return _replaced(result, lines, set(), numbers) if numbers else result


def _misread_columns(result: OcrResult, lines: list[list[int]],
                     typical: float) -> list[tuple[tuple[int, int], set[int]]]:
    """The lines read as vertical text, grouped by where they stand across the page: for
    each group, the band (x0, x1) of the page it covers and the indexes of its words."""
    groups: list[tuple[list[float], set[int]]] = []
    for line in lines:
        words = [result.words[i] for i in line]
        if not _is_vertical(words, typical):
            continue
        x0 = min(float(w[0]) for w in words) - typical
        x1 = max(float(w[2]) for w in words) + typical
        for edges, members in groups:
            if x0 <= edges[1] and edges[0] <= x1:
                edges[:] = [min(edges[0], x0), max(edges[1], x1)]
                members.update(line)
                break
        else:
            groups.append(([x0, x1], set(line)))
    return [((max(0, int(e[0])), int(e[1])), members) for e, members in groups]


def _numbers_in(image: Image.Image, band: tuple[int, int], options: ocr.OcrOptions,
                others: list[Word]) -> list[Word]:
    """The margin line numbers read as digits in the band (x0, x1) of the page, its whole
    height (not all of a misread column was read at all); [] when what it holds is not
    a line numbering beside the `others` words, or tesseract fails on it."""
    x0, x1 = band[0], min(image.width, band[1])
    try:
        strip = ocr.read_once(image.crop((x0, 0, x1, image.height)),
                              ocr.OcrOptions(lang=options.lang, dpi=options.dpi,
                                             timeout=options.timeout, psm=6,
                                             chars="0123456789"))
    except OcrFailedError:
        return []
    read: list[Word] = [[w[0] + x0, w[1], w[2] + x0, w[3], w[4]] for w in strip.words]
    numbers = [read[i - len(others)] for i in line_numbers.find(others + read)
               if i >= len(others)]
    return numbers if len(numbers) >= line_numbers.MIN_LINES else []


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
