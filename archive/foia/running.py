"""Running heads and feet: the lines repeated at the top or bottom of consecutive pages.

Letterheads, court stamps (`Case: 20-1507 Document: 00117684624 Page: 7 ...`), page
numbers (`- 7 -`, `Page 7 of 20`), Bates stamps and confidentiality legends stand between
the last words of one page and the first words of the next; a sentence that runs over a
page break is read without them. A page's *body* is its text without the running lines
at its top and bottom edges: a contiguous slice of the text, so offsets into the body are
offsets into the page.

A line at an edge is running when it is a page number, carries a Bates number, has no
word at all (rules, dots), or has the shape (lowercased, digits as `#`) of a line at an
edge of a neighbouring page: one page away (OCR noise tolerated) or two (left and right
pages of a book alternate). Only the first and last `DEPTH` lines are looked at, so a
document of thousands of pages costs a few dozen short comparisons a page. Footnotes under
a short rule end the body too: the sentence runs on above them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher

from archive.foia import bates

DEPTH = 4  # lines looked at from each edge of a page
_STAMP_WORDS = 8  # a line this short with a Bates number is a stamp, not a sentence
_SIMILAR = 0.8  # SequenceMatcher ratio of two shapes that are one line misread by OCR
_PAGE_NUMBER = re.compile(
    r"^\W*(?:page|pg|p)?\W*\d{1,5}(?:\W*(?:of|/)\W*\d{1,5})?\W*$", re.IGNORECASE)
_PAGE_LABEL = re.compile(r"^\W*(?:page|pg)\W*\d{1,5}(?:\W*(?:of|/)\W*\d{1,5})?\W*$",
                         re.IGNORECASE)
_LINE = re.compile(r"[^\n]*\S[^\n]*")
# The rule over footnotes: a short line of dashes (an email's long ____ rule parts messages).
_NOTE_RULE = re.compile(r"[-_‐‑‒–—―]{4,20}")
_DIGITS = re.compile(r"\d+")
_NOT_WORD = re.compile(r"[\W_]+")

Span = tuple[int, int]


def lines(text: str) -> list[Span]:
    """The (start, end) of each line of `text` that is not blank, in order."""
    return [m.span() for m in _LINE.finditer(text)]


def shape(line: str) -> str:
    """A line as compared across pages: lowercased, digit runs as `#`, punctuation gone."""
    return _NOT_WORD.sub(" ", _DIGITS.sub("#", line.lower())).strip()


def _edges(text: str, found: list[Span]) -> list[str]:
    """The shapes of the first and last DEPTH lines of a page."""
    picked = found if len(found) <= 2 * DEPTH else found[:DEPTH] + found[-DEPTH:]
    return [shape(text[start:end]) for start, end in picked]


def _similar(one: str, near: list[str]) -> bool:
    if len(one) < 8:
        return False
    return any(abs(len(one) - len(other)) <= len(one) // 4
               and SequenceMatcher(None, one, other, autojunk=False).ratio() >= _SIMILAR
               for other in near)


def _running(line: str, near: set[str], close: list[str]) -> bool:
    """Whether one edge line is a running line, given its neighbours' edge shapes."""
    form = shape(line)
    if not form or form in near or _PAGE_NUMBER.match(line):
        return True
    if _similar(form, close):
        return True
    return len(line.split()) <= _STAMP_WORDS and bool(bates.scan(line))


def bodies(texts: Sequence[str]) -> list[Span]:
    """For each page of a document, in order, the (start, end) of its body in its text.

    Args:
        texts: the text of each page, consecutive pages in order.

    Returns:
        One (start, end) a page; (0, 0) for a page with no body (blank, or running lines
        only).
    """
    found = [lines(text) for text in texts]
    edges = [_edges(text, spans) for text, spans in zip(texts, found, strict=True)]
    out: list[Span] = []
    for i, (text, spans) in enumerate(zip(texts, found, strict=True)):
        close = [s for j in (i - 1, i + 1) if 0 <= j < len(texts) for s in edges[j]]
        near = set(close) | {s for j in (i - 2, i + 2) if 0 <= j < len(texts) for s in edges[j]}
        near.discard("")
        first, last = _below_page_label(text, spans), len(spans)
        while first < min(last, DEPTH) and _running(text[slice(*spans[first])], near, close):
            first += 1
        while last > max(first, len(spans) - DEPTH) and _running(
                text[slice(*spans[last - 1])], near, close):
            last -= 1
        last = _above_notes(text, spans, first, last)
        out.append((spans[first][0], spans[last - 1][1]) if first < last else (0, 0))
    return out


def _below_page_label(text: str, spans: list[Span]) -> int:
    """The first line after a page label ("Page 2") among a page's first DEPTH lines (in
    its upper half); 0 if none. A letter's later pages open with the addressee, the date
    and the page: all three are its running head, though the first page, under a
    letterhead, has none."""
    for i in range(min(DEPTH, len(spans) // 2) - 1, -1, -1):
        if _PAGE_LABEL.match(text[slice(*spans[i])]):
            return i + 1
    return 0


def _above_notes(text: str, spans: list[Span], first: int, last: int) -> int:
    """Where a page's running text ends: before the short rule that sets its footnotes
    apart, when there is one in the lower two thirds of the body (a footnote is not where a
    sentence runs on to the next page); else `last`."""
    for i in range(last - 2, first + (last - first) // 3, -1):
        if _NOTE_RULE.fullmatch(text[slice(*spans[i])].strip()):
            return i
    return last
