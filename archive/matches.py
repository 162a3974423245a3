"""Where a query matched on a page: word boxes to draw on the image, text spans to mark.

The query's analysed word sequences (`search.query_terms`) are matched against the page's
words analysed exactly as the index analyses them (`index.text_analyzer`), so what is boxed
on the image is what the index found: for the phrase "sally port" both words of each
occurrence, never every "port" on the page, and a word hyphenated across a line end
("sal-" + "ly") is found as the whole word.
"""

from __future__ import annotations

import html
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from archive.index import text_analyzer
from archive.models import Word

Box = list[float]  # [x0, y0, x1, y1] in the same unit as the words (PDF points)

_ANALYZER = text_analyzer()


@dataclass(frozen=True, slots=True)
class _Token:
    pos: int
    text: str
    start: int
    end: int


def _tokens(text: str) -> list[_Token]:
    """The analysed tokens of `text`, with positions and character spans."""
    return [_Token(t.pos, t.text, t.startchar, t.endchar)
            for t in _ANALYZER(text, positions=True, chars=True)]


def match_spans(text: str, sequences: Sequence[Sequence[str]]) -> list[tuple[int, int]]:
    """Character spans of `text` that are occurrences of any of the word sequences.

    Args:
        text: a page's text (or the page's words joined, see `match_boxes`).
        sequences: analysed words, one list per phrase or single word.

    Returns:
        Sorted, non-overlapping (start, end) spans; a phrase gives one span per occurrence.
    """
    wanted = [list(seq) for seq in sequences if seq]
    if not wanted or not text:
        return []
    vocabulary = {word for seq in wanted for word in seq}
    at: dict[int, dict[str, list[_Token]]] = defaultdict(lambda: defaultdict(list))
    for token in _tokens(text):
        if token.text in vocabulary:
            at[token.pos][token.text].append(token)
    spans: list[tuple[int, int]] = []
    for seq in wanted:
        for pos in sorted(p for p, forms in at.items() if seq[0] in forms):
            found = [at.get(pos + k, {}).get(word) for k, word in enumerate(seq)]
            if all(found):
                spans.append((min(t.start for ts in found if ts for t in ts),
                              max(t.end for ts in found if ts for t in ts)))
    return _merge(spans)


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _starts_new_line(previous: Word, word: Word) -> bool:
    """Whether `word` begins a new line after `previous` (it moved left, or below)."""
    return float(word[0]) < float(previous[0]) or float(word[1]) >= float(previous[3])


def words_as_text(words: Sequence[Word]) -> tuple[str, list[int]]:
    """The words joined as lines of text, and the character offset where each word starts.

    Words are joined by a space, or by a newline where a new line begins, so a hyphen at
    the end of a line is joined with the next word just as it is in the indexed text.
    """
    parts: list[str] = []
    starts: list[int] = []
    offset = 0
    for i, word in enumerate(words):
        if i:
            separator = "\n" if _starts_new_line(words[i - 1], word) else " "
            parts.append(separator)
            offset += 1
        starts.append(offset)
        text = str(word[4])
        parts.append(text)
        offset += len(text)
    return "".join(parts), starts


def matched_words(words: Sequence[Word], sequences: Sequence[Sequence[str]]) -> list[list[int]]:
    """Indexes of the words of each occurrence of the sequences, in reading order."""
    if not words:
        return []
    text, starts = words_as_text(words)
    occurrences = []
    for start, end in match_spans(text, sequences):
        first = bisect_right(starts, start) - 1
        last = bisect_right(starts, end - 1) - 1
        occurrences.append(list(range(first, last + 1)))
    return occurrences


def match_boxes(words: Sequence[Word], sequences: Sequence[Sequence[str]]) -> list[Box]:
    """Boxes of the words the sequences matched; the words of one occurrence on one line
    are joined into one box.

    Args:
        words: the page's stored words, `[x0, y0, x1, y1, word]` in PDF points.
        sequences: from `archive.search.query_terms`.
    """
    boxes: list[Box] = []
    for occurrence in matched_words(words, sequences):
        line: Box | None = None
        for i in occurrence:
            x0, y0, x1, y1 = (float(v) for v in words[i][:4])
            if line is not None and not _starts_new_line([*line, ""], words[i]):
                line = [min(line[0], x0), min(line[1], y0), max(line[2], x1), max(line[3], y1)]
                continue
            if line is not None:
                boxes.append(line)
            line = [x0, y0, x1, y1]
        if line is not None:
            boxes.append(line)
    return [[round(v, 2) for v in box] for box in boxes]


def highlight_text(text: str, sequences: Sequence[Sequence[str]]) -> str:
    """The text as HTML: everything escaped, the matched words in <mark>."""
    out: list[str] = []
    done = 0
    for start, end in match_spans(text, sequences):
        out.append(html.escape(text[done:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        done = end
    out.append(html.escape(text[done:]))
    return "".join(out)
