"""Margin line numbers that tesseract read as vertical text, read again as numbers.

On pleading paper the 1-28 column stands apart from the text, and tesseract takes it for a
line of text turned 90 degrees: `NO NY NO NHN N WN ...` instead of 1 to 28 (both real
pleadings tried, at 150 to 300 dpi). Such a line is recognised by its words standing one
below the other; the strip of the page it covers is read once more as a block of digits
(~0.4 s), and when what comes back is a margin line numbering
(`archive.foia.line_numbers`), the numbers replace the misreading, one line each, where it
stood in the text.
"""

from __future__ import annotations

from statistics import median

from PIL import Image

from archive.foia import line_numbers
from archive.models import OcrResult, Word
from archive.read import ocr


def reread(image: Image.Image, result: OcrResult, options: ocr.OcrOptions) -> OcrResult:
    """`result` with a misread column of margin line numbers read again; `result` itself
    when it has none (most pages: no second reading).

    Raises:
        OcrFailedError: tesseract crashed or ran out of time on the strip.
    """
    if result.rotation or not result.words:
        return result
    lines = _lines(result)
    typical = median(float(w[3]) - float(w[1]) for w in result.words)
    vertical = [line for line in lines if _is_vertical([result.words[i] for i in line], typical)]
    if not vertical:
        return result
    dropped = {i for line in vertical for i in line}
    boxes = [result.words[i] for i in dropped]
    x0 = max(0, int(min(float(w[0]) for w in boxes) - typical))
    x1 = min(image.width, int(max(float(w[2]) for w in boxes) + typical))
    strip = ocr.read_once(image.crop((x0, 0, x1, image.height)),  # the column's whole height:
                          ocr.OcrOptions(lang=options.lang, dpi=options.dpi,  # not all of it
                                         timeout=options.timeout, psm=6,  # was misread
                                         chars="0123456789"))
    read: list[Word] = [[w[0] + x0, w[1], w[2] + x0, w[3], w[4]] for w in strip.words]
    kept = [w for i, w in enumerate(result.words) if i not in dropped]
    numbers = [read[i - len(kept)] for i in line_numbers.find(kept + read) if i >= len(kept)]
    if len(numbers) < line_numbers.MIN_LINES:
        return result
    return _replaced(result, lines, dropped, numbers)


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
    """`result` with the lines of the `dropped` words replaced, at the first of them, by the
    `numbers`, one per line and in their own paragraph, top to bottom."""
    numbers = sorted(numbers, key=lambda w: float(w[1]))
    text_lines: list[str] = []
    words: list[Word] = []
    placed = False
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
