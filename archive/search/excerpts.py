"""Search-result excerpts: the passages of a page around what a query matched, as safe HTML.

What counts as a match is `matches.match_spans`, the same rule that draws the boxes on the
page image: a phrase is marked only where its words stand together ("sally port", never
every "port" on the page). Only the hits shown are read, so a query costs the same
whether it matches ten pages or fifty thousand.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markupsafe import escape

from archive.search.index import analysed_words
from archive.search.matches import match_spans, merge_spans

BETWEEN = " … "
# Each word of a match is marked on its own ("<mark>sally</mark> <mark>port</mark>"), as
# Whoosh's highlighter did; words as archive.search.index's tokenizer finds them.
_WORD = re.compile(r"\w+(?:['’]\w+)*")


def excerpt(text: str, sequences: Sequence[Sequence[str]], *, top: int = 2,
            maxchars: int = 320, surround: int = 80,
            margins: Sequence[Sequence[int]] = ()) -> str:
    """Up to `top` passages of `text` holding the most matches, in page order, as HTML.

    Args:
        text: the page's text.
        sequences: analysed words to mark, one list per phrase or word
            (see `search.query_terms`).
        top: passages to show at most.
        maxchars: a passage's matches lie within this many characters.
        surround: characters of context on either side of a passage's matches.
        margins: (start, end) of the text's margin line numbers (see `matches.match_spans`).

    Returns:
        The passages joined by " … ", text escaped, matches in <mark>; "" if nothing matched.
        Passages that would overlap or touch are shown as one, so no text is repeated.
    """
    spans = found_spans(text, sequences, margins)
    if not spans:
        return ""
    groups: list[list[tuple[int, int]]] = []
    for span in spans:
        if groups and span[1] - groups[-1][0][0] <= maxchars:
            groups[-1].append(span)
        else:
            groups.append([span])
    best = sorted(range(len(groups)), key=lambda i: (-len(groups[i]), i))[:top]
    windows = merge_spans(window(text, groups[i], surround) for i in best)
    return BETWEEN.join(passage(text, start, end, spans) for start, end in windows)


def window(text: str, group: list[tuple[int, int]], surround: int) -> tuple[int, int]:
    """The stretch of text shown for a group of matches: `surround` characters of context
    on either side, not cutting a word."""
    start = _word_start(text, max(0, group[0][0] - surround), group[0][0])
    end = _word_end(text, min(len(text), group[-1][1] + surround), group[-1][1])
    return start, end


def found_spans(text: str, sequences: Sequence[Sequence[str]],
                margins: Sequence[Sequence[int]] = ()) -> list[tuple[int, int]]:
    """`matches.match_spans`, done mostly in C unless the query has wildcards, a word it
    wants is hyphenated across a line on this page, or the page has margin line numbers."""
    wanted = {word for seq in sequences for word in seq}
    if margins or any(c in word for word in wanted for c in "*?~|"):  # matches.py reads them
        return match_spans(text, sequences, margins)
    forms, found, joined = analysed_words(text)
    if joined & wanted:  # a wanted word hyphenated across a line: the tokenizer's way
        return match_spans(text, sequences)
    hits = [i for i, form in enumerate(forms) if form in wanted]
    spans: list[tuple[int, int]] = []
    for seq in sequences:
        n = len(seq)
        spans.extend((found[i][1], found[i + n - 1][2]) for i in hits
                     if forms[i:i + n] == list(seq))
    return merge_spans(spans)


def passage(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> str:
    """text[start:end] escaped, every match inside it marked (passages that overlapped
    were merged, so a match of another group can lie inside)."""
    out: list[str] = []
    done = start
    for first, last in spans:
        first, last = max(first, start), min(last, end)
        if first >= last:
            continue
        out.append(str(escape(text[done:first])))
        out.append(_mark_words(text[first:last]))
        done = last
    out.append(str(escape(text[done:end])))
    return "".join(out).strip()


def _mark_words(match: str) -> str:
    out: list[str] = []
    done = 0
    for word in _WORD.finditer(match):
        out.append(str(escape(match[done:word.start()])))
        out.append(f"<mark>{escape(word.group())}</mark>")
        done = word.end()
    out.append(str(escape(match[done:])))
    return "".join(out)


def _word_start(text: str, at: int, limit: int) -> int:
    """`at`, moved forward past a word it would cut (never beyond `limit`)."""
    if at == 0 or not text[at - 1].isalnum():
        return at
    while at < limit and text[at].isalnum():
        at += 1
    return at


def _word_end(text: str, at: int, limit: int) -> int:
    """`at`, moved back before a word it would cut (never before `limit`)."""
    if at >= len(text) or not text[at].isalnum():
        return at
    while at > limit and text[at - 1].isalnum():
        at -= 1
    return at
