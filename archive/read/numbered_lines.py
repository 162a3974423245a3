"""Margin line numbers that tesseract misread or left out, read again as numbers.

On pleading paper the 1-28 column stands apart from the text, and tesseract takes it for a
line of text turned 90 degrees (`NO NY NO NHN N WN ...` instead of 1 to 28: both real
pleadings tried, at 200 and 300 dpi) or reads nothing there (150 dpi). Such a line is
recognised by its words standing one below the other; a column left out, by marks in the
margin level with most text lines (vertical rules aside). The strip of the page is read
once more as a block of digits (~0.4 s, only on such pages), and when what comes back is
a margin line numbering (`archive.foia.line_numbers`), the numbers replace the misreading,
one line each, where it stood in the text (at its start when nothing was read there).

A condensed transcript prints four pages of 1-25 on one sheet, two by two; tesseract reads
across the sheet, so a sentence running onto the next line of its small page has the
neighbouring page's line in between. The words are put back in reading order: each small
page's lines (its number first) after its heading, down the left pages, then the right.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    if result.rotation or not result.words:
        return result
    if line_numbers.find(result.words):
        return in_pages(result)
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


@dataclass
class _Page:
    """One numbered page of a sheet: its numbers' column, lines, and the words on them."""

    left: float
    top: float
    bottom: float
    first: float  # the middle of its first numbered line
    pitch: float
    head: list[int] = field(default_factory=list)
    lines: dict[int, list[int]] = field(default_factory=dict)


def in_pages(result: OcrResult) -> OcrResult:
    """A condensed transcript (several numbered pages printed side by side on one sheet)
    in reading order: each small page's lines, its number first, one page after the other
    (down the left column, then the next); `result` itself for any other page.

    tesseract reads such a sheet across, line by line, so that a sentence running onto
    the next line of its page has the neighbouring page's line in between.
    """
    words = result.words
    runs = line_numbers.columns(words)
    if not any(_level(a, b, words) for a in runs for b in runs if a is not b):
        return result
    order = _reading_order([_page(run, words) for run in runs])
    head, tail = _place(words, order)
    blocks = [[head]] if head else []
    for page in order:
        rows = [page.head] if page.head else []
        rows += [sorted(page.lines[slot], key=lambda i: float(words[i][0]))
                 for slot in sorted(page.lines)]
        blocks.append(rows)
    if tail:
        blocks.append([tail])
    text = "\n\n".join("\n".join(" ".join(str(words[i][4]) for i in row) for row in rows)
                       for rows in blocks)
    ordered = [words[i] for rows in blocks for row in rows for i in row]
    return OcrResult(text=text, words=ordered, confidence=result.confidence,
                     rotation=result.rotation)


def _reading_order(pages: list[_Page]) -> list[_Page]:
    """The small pages down each column of pages, the columns from the left."""
    pages = sorted(pages, key=lambda p: p.left)
    column = 0
    ranked: list[tuple[int, float, _Page]] = []
    for k, page in enumerate(pages):
        if k and page.left - pages[k - 1].left > 5 * page.pitch:
            column += 1
        ranked.append((column, page.top, page))
    return [page for _, _, page in sorted(ranked, key=lambda r: (r[0], r[1]))]


def _place(words: list[Word], order: list[_Page]) -> tuple[list[int], list[int]]:
    """Each word put on its small page's line (the page whose number column is nearest
    on its left), or in the heading of the page just below it; returns the words above
    all pages and those left over (a footer), in their order."""
    head: list[int] = []
    tail: list[int] = []
    for i, word in enumerate(words):
        middle = (float(word[1]) + float(word[3])) / 2
        inside = [p for p in order if p.top <= middle <= p.bottom
                  and float(word[0]) >= p.left - p.pitch / 2]
        if inside:
            page = max(inside, key=lambda p: p.left)
            page.lines.setdefault(round((middle - page.first) / page.pitch), []).append(i)
            continue
        below = [p for p in order if p.left - p.pitch <= float(word[0])
                 and 0 < p.top - middle <= 3 * p.pitch]
        if below:
            min(below, key=lambda p: p.top).head.append(i)
        elif middle < min(p.top for p in order):
            head.append(i)
        else:
            tail.append(i)
    return head, tail


def _level(a: list[int], b: list[int], words: list[Word]) -> bool:
    """Whether two numberings stand side by side (their heights overlap)."""
    top_a, bottom_a = float(words[a[0]][1]), float(words[a[-1]][3])
    top_b, bottom_b = float(words[b[0]][1]), float(words[b[-1]][3])
    return top_a < bottom_b and top_b < bottom_a and words[a[0]][0] != words[b[0]][0]


def _page(run: list[int], words: list[Word]) -> _Page:
    middles = [(float(words[i][1]) + float(words[i][3])) / 2 for i in run]
    pitch = median(b - a for a, b in zip(middles, middles[1:], strict=False))
    return _Page(left=min(float(words[i][0]) for i in run), top=middles[0] - pitch / 2,
                 bottom=middles[-1] + pitch / 2, first=middles[0], pitch=pitch)

