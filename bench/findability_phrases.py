"""Findability benchmark, the pure part: sample phrases from true text, judge and score hits.

No archive, no PDF library: what the smoke test (tests/test_findability_bench.py) runs.

Sampling (seeded, `random.Random`): a phrase is a window of 3 to 6 consecutive words (its
length drawn uniformly) taken from one *segment* of a page's true text: a block of a text
layer, a paragraph of a hand transcription (lines run on while they hold 5+ words), or a
pair of runs that meet at a boundary (a line number, a page break) with at least one word
on each side. Words are normalised as bench/ocr_accuracy.py does (NFKC, quotes and dashes
folded, lowercased, punctuation stripped at the ends). A window is skipped when fewer than
half of its words are *content words* (2+ letters, not a stopword), when a word carries a
query metacharacter, or when the same phrase appears in more than `MAX_PAGES_WITH_PHRASE`
pages of the whole truth (a running header is no test of finding *the* page); a phrase
across a page break is skipped when any single page holds it.

Judging a tolerant extra hit: the phrase is on that page "up to OCR errors" when the
page's true text has a run of words equal to the phrase's, allowing one edit (Levenshtein)
in each word of 5+ letters.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

MIN_WORDS, MAX_WORDS = 3, 6
MAX_PAGES_WITH_PHRASE = 3
FLOW_WORDS = 5  # a transcribed line this long runs on into the next line of its paragraph
TOP = 10

_STOPWORDS = (
    "a an and are as at be been but by for from had has have he her his i if in into is it "
    "its me my no not of on or our she so such than that the their them then there these "
    "they this to was we were what when which who will with you your do does did any all "
    "can may shall would should could"
)
STOPWORDS = frozenset(_STOPWORDS.split())
_METACHARS = re.compile(r"[\"*?~\\^:{}\[\]<>|]")
_LETTERS = re.compile(r"[^\W\d_]")
_DIGITS = re.compile(r"\d")
SOFT_HYPHEN = "\u00ad"


@dataclass(frozen=True)
class Phrase:
    """A phrase to search, drawn from the truth of (file, page).

    `pages` are the pages that count as right (two for a phrase across a page break).
    """

    cls: str
    file: str
    page: int
    words: tuple[str, ...]
    pages: tuple[int, ...] = ()

    @property
    def text(self) -> str:
        return " ".join(self.words)

    @property
    def query(self) -> str:
        return f'"{self.text}"'

    def right(self, file: str, page: int) -> bool:
        return file == self.file and page in (self.pages or (self.page,))


def is_content(word: str) -> bool:
    """A word that says something: 2+ letters, no more digits than letters (not a number or
    a code such as `fy2013a`), and not a stopword."""
    letters = len(_LETTERS.findall(word))
    return letters >= 2 and letters >= len(_DIGITS.findall(word)) and word not in STOPWORDS


def join_hyphenated(lines: Sequence[Sequence[str]]) -> list[list[str]]:
    """Printed lines (their words as printed) with a word hyphenated across a line end made
    whole again, as a reader types it: a soft hyphen always, a hard one when the next line
    goes on in lower case (`employ-` `ment`); the joined word stays on the first line."""
    out = [list(line) for line in lines]
    for i in range(len(out) - 1):
        line, after = out[i], next((ln for ln in out[i + 1:] if ln), None)
        if not line or after is None:
            continue
        last = line[-1]
        if last.endswith(SOFT_HYPHEN) or (
                last.endswith("-") and len(last) > 1 and after[0][:1].islower()):
            line[-1] = last[:-1] + after.pop(0)
    return [[w.replace(SOFT_HYPHEN, "") for w in line] for line in out]


def acceptable(words: Sequence[str]) -> bool:
    """Whether a window is a fair phrase: mostly content words, nothing a parser reads."""
    if not MIN_WORDS <= len(words) <= MAX_WORDS:
        return False
    if any(not w or _METACHARS.search(w) for w in words):
        return False
    return 2 * sum(is_content(w) for w in words) >= len(words)


def flow_segments(lines: Iterable[Sequence[str]], flow_words: int = FLOW_WORDS) -> list[list[str]]:
    """Runs of transcribed lines that read on: a line of `flow_words`+ words continues into
    the next; a shorter one (a heading, a table cell, a paragraph's end) closes the run."""
    segments: list[list[str]] = []
    run: list[str] = []
    for line in lines:
        run.extend(line)
        if len(line) < flow_words:
            if run:
                segments.append(run)
            run = []
    if run:
        segments.append(run)
    return segments


def sample_windows(segments: Sequence[Sequence[str]], count: int, rng: random.Random,
                   keep: Callable[[tuple[str, ...]], bool] = lambda w: True,
                   tries: int = 40) -> list[tuple[str, ...]]:
    """Up to `count` distinct acceptable windows, each inside one segment."""
    usable = [s for s in segments if len(s) >= MIN_WORDS]
    found: list[tuple[str, ...]] = []
    for _ in range(count * tries):
        if len(found) >= count or not usable:
            break
        seg = rng.choice(usable)
        size = min(rng.randint(MIN_WORDS, MAX_WORDS), len(seg))
        start = rng.randint(0, len(seg) - size)
        window = tuple(seg[start:start + size])
        if window not in found and acceptable(window) and keep(window):
            found.append(window)
    return found


def sample_joins(pairs: Sequence[tuple[Sequence[str], Sequence[str]]], count: int,
                 rng: random.Random, keep: Callable[[tuple[str, ...]], bool] = lambda w: True,
                 tries: int = 40) -> list[tuple[int, tuple[str, ...]]]:
    """Up to `count` windows across a boundary, as (index of the pair, window): the last
    words before the boundary, then the first words after it (at least one each)."""
    usable = [i for i, (left, right) in enumerate(pairs) if left and right]
    found: list[tuple[int, tuple[str, ...]]] = []
    seen: set[tuple[str, ...]] = set()
    for _ in range(count * tries):
        if len(found) >= count or not usable:
            break
        index = rng.choice(usable)
        left, right = pairs[index]
        size = rng.randint(MIN_WORDS, MAX_WORDS)
        low, high = max(1, size - len(right)), min(size - 1, len(left))
        if low > high:
            continue
        before = rng.randint(low, high)
        window = tuple(left[len(left) - before:]) + tuple(right[:size - before])
        if len(window) == size and window not in seen and acceptable(window) and keep(window):
            seen.add(window)
            found.append((index, window))
    return found


def within_one_edit(a: str, b: str) -> bool:
    """Levenshtein distance of at most one."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i + (len(a) == len(b)):] == b[i + 1:]


def word_close(true: str, said: str) -> bool:
    """The same word up to an OCR error: equal, or one edit apart when 5+ letters long."""
    if true == said:
        return True
    return len(true) >= 5 and len(said) >= 5 and within_one_edit(true, said)


def contains(truth: Sequence[str], phrase: Sequence[str], tolerant: bool = True) -> bool:
    """Whether the truth holds the phrase as consecutive words (up to OCR errors)."""
    n = len(phrase)
    same = word_close if tolerant else str.__eq__
    return any(all(same(truth[i + k], phrase[k]) for k in range(n))
               for i in range(len(truth) - n + 1))


@dataclass
class Outcome:
    """How one phrase fared: found in the top hits per mode, and the tolerant extras."""

    phrase: Phrase
    exact: bool
    tolerant: bool | None  # None: the tolerant mode is not available
    extra_right: int = 0
    extra_wrong: int = 0
    extra_unknown: int = 0  # wrong, on a page with no transcription to judge it by
    error: str = ""
    why: str = ""
    exact_total: int = 0  # pages exact mode matched
    exact_top: list[tuple[str, int]] = field(default_factory=list)


def judge(phrase: Phrase, exact_top: Sequence[tuple[str, int]],
          tolerant_top: Sequence[tuple[str, int]] | None,
          truth: Callable[[str, int], Sequence[str] | None]) -> Outcome:
    """Score one phrase from its top hits per mode; `truth(file, page)` gives a page's true
    words, None when unknown (a scan nobody transcribed: its extra hits count as wrong)."""
    found = any(phrase.right(f, p) for f, p in exact_top)
    if tolerant_top is None:
        return Outcome(phrase, found, None, exact_top=list(exact_top))
    outcome = Outcome(phrase, found, any(phrase.right(f, p) for f, p in tolerant_top),
                      exact_top=list(exact_top))
    for hit in set(tolerant_top) - set(exact_top):
        words = truth(*hit)
        if phrase.right(*hit) or (words is not None and contains(words, phrase.words)):
            outcome.extra_right += 1
        else:
            outcome.extra_wrong += 1
            outcome.extra_unknown += words is None
    return outcome


def summarize(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """One class's row: phrases, share found per mode, tolerant precision."""
    n = len(outcomes)
    row: dict[str, Any] = {"n": n, "exact": None, "tolerant": None, "precision": None,
                           "extra_right": 0, "extra_wrong": 0, "extra_unknown": 0}
    if not n:
        return row
    row["exact"] = sum(o.exact for o in outcomes) / n
    if all(o.tolerant is not None for o in outcomes):
        row["tolerant"] = sum(bool(o.tolerant) for o in outcomes) / n
        for key in ("extra_right", "extra_wrong", "extra_unknown"):
            row[key] = sum(getattr(o, key) for o in outcomes)
        extras = row["extra_right"] + row["extra_wrong"]
        row["precision"] = row["extra_right"] / extras if extras else None
    return row
