"""Bridges over page breaks: the words either side of a break, so a phrase that runs from
the foot of page 7 to the top of page 8 is found, with page 7 as the hit.

Each page is indexed with a `bridge` field: the last `WORDS` words of its body, then
`SEPARATOR`, then the first `WORDS` words of the next page's body (bodies without running
heads, feet and stamps: `archive.foia.running`). The field's tokenizer (`index.py`) puts
the next page's first word at position `JOIN`, so a phrase crossing the break is told
from one lying wholly on either side (`crossing.py` asks for the crossing ones only).
Words are counted as the index counts them (`index.words_of`: a soft-hyphenated word is
one); margin line numbers (`archive.foia.line_numbers`) are made spaces first, so they
are neither words of a bridge nor lines of a body. Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from archive.foia import running
from archive.search import index

WORDS = 30  # words of each page's body a bridge keeps
JOIN = 100  # the position of the next page's first word (more than WORDS)
SEPARATOR = "\f"  # never in indexed page text (index.normalize_text removes it)
_NOT_SPACE = re.compile(r"\S")
Span = tuple[int, int]


def bridge(tail_body: str, head_body: str, words: int = WORDS) -> str:
    """The bridge from a page to the next: the last `words` words of the first page's body,
    SEPARATOR, the first `words` words of the next page's body, each a verbatim slice of
    its page's text; "" when either body has no word.

    Args:
        tail_body: the body of a page (its text without running heads and feet; a filter
            of other words, line numbers, applies before).
        head_body: the body of the next page.
        words: words kept on each side.
    """
    tail = _last_words(tail_body, words)
    head = index.words_of(head_body)[:words]
    if not tail or not head:
        return ""
    start, end = tail[0][1], head[-1][2]
    # The tail keeps what follows its last word ("sal-" joins "ly" over the break).
    return f"{tail_body[start:].rstrip()}{SEPARATOR}{head_body[head[0][1]:end]}"


def _last_words(text: str, words: int) -> list[tuple[str, int, int]]:
    """The last `words` words of `text` (`index.words_of`), read from its end (a page has
    hundreds)."""
    reach = 16 * words
    while True:
        at = max(0, len(text) - reach)
        found = [(word, start + at, end + at) for word, start, end in index.words_of(text[at:])]
        if at > 0 and found and found[0][1] == at:
            found = found[1:]  # may be the end of a word cut at `at`
        if len(found) >= words or at == 0:
            return found[-words:]
        reach *= 4


def blank(text: str, margins: Sequence[Sequence[int]]) -> str:
    """`text` with its margin line numbers (`archive.foia.line_numbers` spans) made spaces:
    offsets into it are offsets into `text`, and the numbers are no words of a bridge."""
    if not margins:
        return text
    chars = list(text)
    for start, end in margins:
        for k in range(max(0, int(start)), min(len(chars), int(end))):
            chars[k] = _NOT_SPACE.sub(" ", chars[k])
    return "".join(chars)


def halves(value: str) -> tuple[str, int]:
    """A bridge as one text, the two pages' words joined by a line break (so a word
    hyphenated over the break is found whole, as across a line), and where the next
    page's words start in it (-1 for a value without SEPARATOR)."""
    tail, found, head = value.partition(SEPARATOR)
    if not found:
        return value, -1
    return f"{tail}\n{head}", len(tail) + 1


def page_bridges(texts: Sequence[str], words: int = WORDS,
                 margins: Sequence[Sequence[Sequence[int]]] = ()) -> list[str]:
    """The bridge of each page of a document to its next page ("" for the last).

    Args:
        texts: the text of every page of one document, consecutive pages in order.
        words: words kept on each side.
        margins: for each page, the spans of its margin line numbers in its text
            (`archive.foia.line_numbers.spans`), left out of the bridges (made spaces);
            none if empty.
    """
    if margins:
        texts = [blank(text, spans) for text, spans in zip(texts, margins, strict=True)]
    spans = running.bodies(texts)
    found = [texts[i][slice(*spans[i])] for i in range(len(texts))]
    return [bridge(found[i], found[i + 1], words) if i + 1 < len(found) else ""
            for i in range(len(found))]
