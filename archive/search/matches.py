"""Where a query matched on a page: word boxes to draw on the image, text spans to mark.

The query's analysed word sequences (`search.query_terms`) are matched against the page's
words analysed exactly as the index analyses them (`index.word_tokens`, `analyse_word`), so
what is boxed on the image is what the index found: for the phrase "sally port" both words
of each occurrence, never every "port" on the page; a word hyphenated across a line end
("sal-" + "ly") is found as the whole word; `detain*` and `hennepin~` box the words they
expand to; a fuzzy word looked up in the index comes as `typed|found|...` (its analysed
forms, the typed word's first), and `fuzzy_words` names the page's words that matched
only through the others.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from functools import lru_cache

from archive.models import Word
from archive.search.index import analyse_word, analysed_tokens, word_tokens

_LINE_END = re.compile(r"(?<=-)\s+")  # inside a word joined across a line-break hyphen
Box = list[float]  # [x0, y0, x1, y1] in the same unit as the words (PDF points)


def _pattern_test(word: str) -> Callable[[str], bool] | None:
    """A test for a wildcard (`detain*`), fuzzy (`salli~1/0`) or expanded fuzzy
    (`salli|sali|talli`) query word; None if exact."""
    if "|" in word:
        return frozenset(word.split("|")).__contains__
    if "~" in word:
        text, _, rest = word.partition("~")
        distance, _, prefix = rest.partition("/")
        return lambda form: _fuzzy(form, text, int(distance or 1), int(prefix or 0))
    if "*" in word or "?" in word:
        regex = re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c)
                                   for c in word) + r"\Z")
        return lambda form: regex.match(form) is not None
    return None


def _typed_form(word: str) -> str | None:
    """The analysed form of the word typed for a query word (`salli` for `salli|sali`,
    `salli~1/0`); None for a wildcard, which is not a word typed."""
    if "*" in word or "?" in word:
        return None
    return word.partition("|")[0].partition("~")[0]


def _fuzzy(form: str, text: str, distance: int, prefix: int) -> bool:
    """Whether `form` is within `distance` edits of `text`, sharing its first `prefix` letters."""
    if form[:prefix] != text[:prefix] or abs(len(form) - len(text)) > distance:
        return False
    previous = list(range(len(text) + 1))
    for i, a in enumerate(form, 1):
        row = [i]
        for j, b in enumerate(text, 1):
            row.append(min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a != b)))
        if min(row) > distance:
            return False
        previous = row
    return previous[-1] <= distance


class _Wanted:
    """The query's word sequences, and which query words an analysed form stands for."""

    def __init__(self, sequences: Sequence[Sequence[str]]) -> None:
        self.sequences = [list(seq) for seq in sequences if seq]
        words = {word for seq in self.sequences for word in seq}
        self._tests = [(w, t) for w in sorted(words) if (t := _pattern_test(w)) is not None]
        self._exact = words - {w for w, _ in self._tests}
        self._memo: dict[str, tuple[str, ...]] = {}

    def keys(self, form: str) -> tuple[str, ...]:
        """The query words that `form` matches (usually none)."""
        found = self._memo.get(form)
        if found is None:
            exact = (form,) if form in self._exact else ()
            found = exact + tuple(w for w, test in self._tests if test(form))
            self._memo[form] = found
        return found

    def only_fuzzy(self, form: str) -> bool:
        """Whether `form` matches query words only as another word than the one typed."""
        keys = self.keys(form)
        return bool(keys) and all((typed := _typed_form(k)) is not None and typed != form
                                  for k in keys)

    def occurrences(self, at: dict[int, dict[str, set[int]]]) -> set[tuple[int, ...]]:
        """Each occurrence of a sequence, as the sorted ids gathered at its positions."""
        found: set[tuple[int, ...]] = set()
        for seq in self.sequences:
            for start in [p for p, keys in at.items() if seq[0] in keys]:
                parts = [at.get(start + k, {}).get(word) for k, word in enumerate(seq)]
                if all(parts):
                    found.add(tuple(sorted(set().union(*parts))))  # type: ignore[arg-type]
        return found


def match_spans(text: str, sequences: Sequence[Sequence[str]],
                margins: Sequence[Sequence[int]] = ()) -> list[tuple[int, int]]:
    """Character spans of `text` that are occurrences of any of the word sequences.

    Args:
        text: a page's text.
        sequences: from `archive.search.query.query_terms`.
        margins: (start, end) of the text's margin line numbers (`archive.foia.line_numbers`):
            out of the word sequence, as in the index, and left out of the spans of
            phrases that run past them.

    Returns:
        Sorted, non-overlapping (start, end) spans; a phrase gives one span per occurrence
        (two when it runs past a line number).
    """
    wanted = _Wanted(sequences)
    if not wanted.sequences or not text:
        return []
    spans: list[tuple[int, int]] = []
    at: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for pos, form, start, end in analysed_tokens(text, margins):
        for key in wanted.keys(form):
            spans.append((start, end))
            at[pos][key].add(len(spans) - 1)
    return merge_spans(piece for ids in wanted.occurrences(at)
                       for piece in _stretch(text, [spans[i] for i in ids], margins))


def _stretch(text: str, parts: list[tuple[int, int]],
             margins: Sequence[Sequence[int]]) -> list[tuple[int, int]]:
    """The text from an occurrence's first word to its last, cut around the margin line
    numbers inside it that are not words of the occurrence."""
    pieces = [(min(s for s, _ in parts), max(e for _, e in parts))]
    for start, end in sorted((int(s), int(e)) for s, e in margins):
        first, last = pieces[-1]
        if first < start and end < last and not any(start <= s and e <= end
                                                     for s, e in parts):
            pieces[-1:] = [(first, len(text[:start].rstrip())),
                           (end + len(text[end:last]) - len(text[end:last].lstrip()), last)]
    return pieces


def fuzzy_words(text: str, sequences: Sequence[Sequence[str]],
                margins: Sequence[Sequence[int]] = ()) -> list[str]:
    """The words of `text`, as written and once each, that an occurrence of the sequences
    matched fuzzily: through a word a fuzzy term found, not the word typed ("saliy" for
    the tolerant phrase "sally port"). Empty when no sequence has a fuzzy word. `margins`:
    see `match_spans`."""
    if not any("|" in word or "~" in word for seq in sequences for word in seq):
        return []
    wanted = _Wanted(sequences)
    spans = match_spans(text, sequences, margins)
    starts = [start for start, _ in spans]
    found: dict[str, None] = {}
    for _, form, start, end in analysed_tokens(text, margins):
        inside = bisect_right(starts, start) - 1
        if inside >= 0 and end <= spans[inside][1] and wanted.only_fuzzy(form):
            found.setdefault(_LINE_END.sub("", text[start:end]), None)  # sal-⏎ly: sal-ly
    return list(found)


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching (start, end) spans joined, in order."""
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


_SOFT = "\u00ad"


@lru_cache(maxsize=200_000)
def _pieces(word: str) -> tuple[tuple[tuple[int, str], ...], int, str, str, bool]:
    """A stored word's analysed tokens with their positions in the word, how many positions
    it takes, its last token as written, the hyphen ("-") or soft hyphen it ends in right
    after that token ("" for none), and whether it begins with a token (a hyphen before it
    then joins the two, as the index joins them)."""
    found = list(word_tokens(word))
    if not found:
        return (), 0, "", "", False
    last = max(found, key=lambda t: (t[0], t[3]))
    ends = word[last[3]:]
    return (tuple((pos, analyse_word(t)) for pos, t, _, _ in found), last[0] + 1, last[1],
            ends if ends in ("-", _SOFT) else "", found[0][2] == 0)


def matched_words(words: Sequence[Word], sequences: Sequence[Sequence[str]],
                  margins: Collection[int] = ()) -> list[list[int]]:
    """Indexes of the words of each occurrence of the sequences, in reading order.

    Each stored word is tokenised and analysed on its own (cached, so a page costs a few
    hundred dictionary look-ups), with positions counted as the index counts them: the
    words at `margins` (margin line numbers) take the position of the word after them.
    """
    wanted = _Wanted(sequences)
    if not words or not wanted.sequences:
        return []
    at: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    keys = wanted.keys
    pos = 0
    joins_next = ""  # the hyphen or soft hyphen the previous word ended with after a token
    last, previous = "", -1
    for i, word in enumerate(words):
        forms, size, tail, ends, leading = _pieces(str(word[4]))
        if i in margins:
            for key in (k for _, form in forms for k in keys(form)):
                at[pos][key].add(i)
            continue
        if not forms:
            joins_next = ""
            continue
        # A word that continues the previous one (as `index.word_tokens` joins them): the
        # joined word at the previous word's position; after a soft hyphen this word's first
        # token is no word, after a hyphen it stays, beside the word that follows.
        skip = 0
        if joins_next and leading and (joins_next == _SOFT
                                       or _starts_new_line(words[previous], word)):
            first = next(t for _, t, _, _ in word_tokens(str(word[4])))
            for key in keys(analyse_word(last + first)):
                at[pos - 1][key].update((previous, i))
            skip = 1
        for offset, form in forms:
            if offset == 0 and skip and joins_next == _SOFT:
                continue
            for key in keys(form):
                at[pos + max(offset - skip, 0)][key].add(i)
        pos += size - skip
        joins_next, last, previous = ends, tail, i
    return _merge_occurrences(wanted.occurrences(at))


def _merge_occurrences(occurrences: set[tuple[int, ...]]) -> list[list[int]]:
    """Occurrences in reading order; overlapping ones (a word in two matches) merged."""
    merged: list[list[int]] = []
    for occurrence in sorted(occurrences):
        if merged and occurrence[0] <= merged[-1][-1]:
            merged[-1] = sorted(set(merged[-1]) | set(occurrence))
        else:
            merged.append(list(occurrence))
    return merged


def match_boxes(words: Sequence[Word], sequences: Sequence[Sequence[str]],
                margins: Collection[int] = ()) -> list[Box]:
    """Boxes of the words the sequences matched; the words of one occurrence on one line
    are joined into one box.

    Args:
        words: the page's stored words, `[x0, y0, x1, y1, word]` in PDF points.
        sequences: from `archive.search.query.query_terms`.
        margins: indexes of the words that are margin line numbers (see `matched_words`).
    """
    return [box for occurrence in matched_words(words, sequences, margins)
            for box in occurrence_boxes(words, occurrence)]


def occurrence_boxes(words: Sequence[Word], occurrence: Sequence[int]) -> list[Box]:
    """The boxes of one occurrence's words (indexes into `words`), one box a line."""
    boxes: list[Box] = []
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


def highlight_text(text: str, sequences: Sequence[Sequence[str]],
                   margins: Sequence[Sequence[int]] = (),
                   extra: Iterable[tuple[int, int]] = ()) -> str:
    """The text as HTML: everything escaped, the matched words (and the `extra` spans: a
    phrase's part on this side of a page break) in <mark> (`margins`: see `match_spans`)."""
    out: list[str] = []
    done = 0
    for start, end in merge_spans([*match_spans(text, sequences, margins), *extra]):
        out.append(html.escape(text[done:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        done = end
    out.append(html.escape(text[done:]))
    return "".join(out)
