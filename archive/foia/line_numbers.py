"""Margin line numbers: the 1-25 of a transcript, the 1-28 of pleading paper.

They stand in a column beside the text, one per printed line, so the text layer (and OCR)
puts them between the words of a sentence: `for oral 13 argument`. They are found from
word boxes: bare numbers whose boxes line up in a column (by their right or left edges),
counting up by one line pitch at a time from near 1 (a few may be missing or misread), each
level with a line of text. A column may be anywhere on the page: a condensed transcript
prints four pages, four columns of 1-25, on one sheet.

Numbers that belong to the prose do not form such a column: numbered paragraphs ("8.",
"9." with paragraphs of different lengths between them), a table's figures, "section 13".

Inside a column found, a word at the place of an expected number whose OCR reading is a
look-alike of it (`l3` for 13, `I` for 1, `13.`) or lost a digit (`2` for 21) is a line
number too.

The index keeps line numbers out of the word sequence that phrases match (they are still
found on their own), and highlights skip them (`archive.search.index.word_tokens`,
`archive.search.matches`); the page's text keeps them.
"""

from __future__ import annotations

import re
from statistics import median
from typing import Any

from archive.models import Word

MIN_LINES = 8  # numbers in a column, at least
MAX_FIRST = 5  # a column's first number, at most (the ones above may be missing)
_NUMBER = re.compile(r"[1-9]\d?")
_LOOKALIKES = str.maketrans("lI|!iOoSsBZzg", "1111100558229")
_TOKEN = re.compile(r"\S+")


def find(words: list[Word]) -> list[int]:
    """Indexes of the words that are margin line numbers, in order; [] on most pages.

    Cheap on pages without them: only words that are bare numbers are looked at.
    """
    return sorted({i for run in columns(words) for i in run})


def columns(words: list[Word]) -> list[list[int]]:
    """The margin line numberings of a page, each as the indexes of its words, top to
    bottom: one on a transcript page, four on a condensed transcript's sheet."""
    numbers = [(i, int(w[4])) for i, w in enumerate(words) if _NUMBER.fullmatch(str(w[4]))]
    if len(numbers) < MIN_LINES:
        return []
    boxes = [[float(v) for v in w[:4]] for w in words]
    height = median(boxes[i][3] - boxes[i][1] for i, _ in numbers)
    found: list[set[int]] = []
    for edge in (2, 0):  # right-aligned numbers (the usual), then left-aligned ones
        for column in _columns(numbers, boxes, edge, 0.5 * height):
            for run in _runs(column, boxes):
                members = set(_line_numbers(run, words, boxes, height))
                for other in [other for other in found if members & other]:
                    members |= other  # the same numbering, found by the other edge
                    found.remove(other)
                if members:
                    found.append(members)
    return [sorted(members, key=lambda i: _middle(boxes[i])) for members in found]


def _columns(numbers: list[tuple[int, int]], boxes: list[list[float]], edge: int,
             tolerance: float) -> list[list[tuple[int, int]]]:
    """The numbers grouped by an edge of their boxes (x0 or x1) within `tolerance`."""
    ranked = sorted(numbers, key=lambda n: boxes[n[0]][edge])
    columns: list[list[tuple[int, int]]] = []
    for number in ranked:
        if columns and boxes[number[0]][edge] - boxes[columns[-1][0][0]][edge] <= tolerance:
            columns[-1].append(number)
        else:
            columns.append([number])
    return [c for c in columns if len(c) >= MIN_LINES]


def _middle(box: list[float]) -> float:
    return (box[1] + box[3]) / 2


def _runs(column: list[tuple[int, int]], boxes: list[list[float]]) -> list[list[tuple[int, int]]]:
    """A column cut, top to bottom, where its numbering starts again (a condensed
    transcript's upper and lower pages). A number lower than the one above it whose next
    one goes on counting from that one is a misreading (`2` for 21), not a new start."""
    ranked = sorted(column, key=lambda n: _middle(boxes[n[0]]))
    runs: list[list[tuple[int, int]]] = []
    for k, number in enumerate(ranked):
        if runs and number[1] >= runs[-1][-1][1] - 3:
            runs[-1].append(number)
        elif runs and k + 1 < len(ranked) and ranked[k + 1][1] > runs[-1][-1][1]:
            continue  # left to the look-alikes of the run (`_lookalikes`)
        else:
            runs.append([number])
    return [r for r in runs if len(r) >= MIN_LINES]


def _line_numbers(run: list[tuple[int, int]], words: list[Word], boxes: list[list[float]],
                  height: float) -> list[int]:
    """The words of a run that count lines: on a regular pitch from near 1, level with text;
    [] when the run is not a line numbering."""
    steps = [(_middle(boxes[b[0]]) - _middle(boxes[a[0]])) / (b[1] - a[1])
             for a, b in zip(run, run[1:], strict=False) if 1 <= b[1] - a[1] <= 3]
    if len(steps) < MIN_LINES - 1:
        return []
    pitch = median(steps)
    if not 0.8 * height <= pitch <= 5 * height:
        return []
    top = median(_middle(boxes[i]) - value * pitch for i, value in run)
    kept = [(i, v) for i, v in run if abs(_middle(boxes[i]) - top - v * pitch) <= 0.3 * pitch]
    values = [v for _, v in kept]
    if len(kept) < MIN_LINES or min(values) > MAX_FIRST or len(set(values)) < len(values) \
            or len(kept) < 0.6 * (max(values) - min(values) + 1):
        return []
    indexes = {i for i, _ in kept}
    if not _counts_the_lines(set(values), indexes, boxes, top, pitch):
        return []
    return sorted(indexes | _lookalikes(kept, words, boxes, top, pitch))


def _counts_the_lines(values: set[int], numbers: set[int], boxes: list[list[float]],
                      top: float, pitch: float) -> bool:
    """Whether the numbers count the lines of the text beside them: most numbers have text
    level with them, the text between the first and the last stands on their lines (not
    between: paragraphs of several lines under numbered paragraphs), and few of those
    lines have no number."""
    low, high = min(values) - 0.5, max(values) + 0.5
    lines: set[int] = set()
    between = level = 0
    for j, box in enumerate(boxes):
        slot = (_middle(box) - top) / pitch
        if j in numbers or not low <= slot <= high:
            continue
        if abs(slot - round(slot)) <= 0.3:
            lines.add(round(slot))
        else:
            between += 1
        level += 1
    return (len(lines & values) >= len(values) / 2 and between <= 0.3 * level
            and len(lines - values) <= 0.25 * len(values))


def _lookalikes(kept: list[tuple[int, int]], words: list[Word], boxes: list[list[float]],
                top: float, pitch: float) -> set[int]:
    """Words in the column, where a missing number should be, that OCR misread: a
    look-alike of it (`l3`, `I`, `13.`) or the number with a digit lost (`2` for 21)."""
    x0 = min(boxes[i][0] for i, _ in kept) - 0.2 * pitch
    x1 = max(boxes[i][2] for i, _ in kept) + 0.2 * pitch
    have = {v for _, v in kept}
    last = max(have) + 2  # the numbering's own lines, not the next one's below it
    out: set[int] = set()
    for j, (word, box) in enumerate(zip(words, boxes, strict=False)):
        if box[0] < x0 or box[2] > x1:
            continue
        expected = round((_middle(box) - top) / pitch)
        if not 1 <= expected <= last or expected in have \
                or abs(_middle(box) - top - expected * pitch) > 0.3 * pitch:
            continue
        read = str(word[4]).rstrip(".,:;'")
        if read.translate(_LOOKALIKES) == str(expected) or (  # a digit lost: 2 for 21
                len(read) < len(str(expected)) and read.isdigit() and read in str(expected)):
            out.add(j)
            have.add(expected)
    return out


def _aligned(text: str, words: list[Word], indexes: list[int]) -> dict[int, tuple[int, int]]:
    """Where the words at `indexes` are in `text`: {index: (start, end)}.

    The stored words are the page text's whitespace-separated runs, in the same order (text
    layer and OCR alike); a word not found where expected is left out, not guessed.
    """
    wanted = set(indexes)
    tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
    found: dict[int, tuple[int, int]] = {}
    at = 0
    for i, word in enumerate(words):
        for k in range(at, min(at + 40, len(tokens))):
            start, end = tokens[k]
            if text[start:end] == str(word[4]):
                if i in wanted:
                    found[i] = (start, end)
                at = k + 1
                break
    return found


def annotation(text: str, words: list[Word]) -> dict[str, Any] | None:
    """The `line_numbers` annotation of a page: {"words": [indexes], "spans": [[start,
    end]]} of its margin line numbers found in both its words and its text; None without.
    """
    indexes = find(words)
    found = _aligned(text, words, indexes) if indexes else {}
    if not found:
        return None
    return {"words": sorted(found), "spans": [list(found[i]) for i in sorted(found)]}


def spans(notes: dict[str, Any]) -> tuple[tuple[int, int], ...]:
    """The character spans of a page's line numbers in its text, from its annotations."""
    found = notes.get("line_numbers") or {}
    return tuple((int(s), int(e)) for s, e in found.get("spans") or ())


def word_indexes(notes: dict[str, Any]) -> frozenset[int]:
    """The indexes of a page's line numbers among its words, from its annotations."""
    found = notes.get("line_numbers") or {}
    return frozenset(int(i) for i in found.get("words") or ())
