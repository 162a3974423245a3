"""Two releases of the same page, word by word: what one disclosed and the other withheld.

The pages' words (with their boxes) are compared as sequences with difflib's
SequenceMatcher, so order matters: a word that moved into another sentence counts as
different. Words are compared normalised (case folded, punctuation stripped: `Lin,` is
`lin`); marks with no letter or digit (`|`, `—`) are left out. Two runs of the same
length where each word is only misread (`Capt`/`Capl`, `0800`/`O800`: most of their
characters agree) are OCR noise, not a difference, so one misread word never flags a line.
Within a differing run, a word that is a misreading of one in the other run (paired in
order: `Nationa.` for `National`, `(CO` for `(IO`) is noise too; the others differ.
"""

from __future__ import annotations

import unicodedata
from difflib import SequenceMatcher

from archive.models import Word

MISREAD = 0.7  # similarity of two words above which one is a misreading of the other
MAX_PAIRED = 400  # differing runs up to this many word pairs are looked at for misreadings


def normalise(word: str) -> str:
    """A word as compared: case folded, accents and everything but letters and digits gone."""
    folded = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in folded if c.isalnum())


def differing_words(here: list[Word], there: list[Word]) -> tuple[list[Word], list[Word]]:
    """The words of `here` missing from `there`, and those of `there` missing from `here`,
    each with its box (`[x0, y0, x1, y1, word]`, as on its page), in page order."""
    kept_here, kept_there = _comparable(here), _comparable(there)
    a = [n for _, n in kept_here]
    b = [n for _, n in kept_there]
    only_here: list[Word] = []
    only_there: list[Word] = []
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    for op, i0, i1, j0, j1 in matcher.get_opcodes():
        if op == "equal":
            continue
        left_a, left_b = _unpaired(a[i0:i1], b[j0:j1])
        only_here.extend(kept_here[i0 + i][0] for i in left_a)
        only_there.extend(kept_there[j0 + j][0] for j in left_b)
    return only_here, only_there


def _comparable(words: list[Word]) -> list[tuple[Word, str]]:
    """(word, normalised form) of the words that have a letter or a digit."""
    pairs = [(w, normalise(str(w[4]))) for w in words if len(w) >= 5]
    return [(w, n) for w, n in pairs if n]


def _unpaired(run_a: list[str], run_b: list[str]) -> tuple[list[int], list[int]]:
    """The positions of the words of each differing run that are not a misreading of a word
    of the other run (words paired in order, as OCR misreads them in place). Long runs (a
    page against an unrelated one) are not paired: every word differs."""
    if len(run_a) * len(run_b) > MAX_PAIRED:
        return list(range(len(run_a))), list(range(len(run_b)))
    left_a: list[int] = []
    paired_b: set[int] = set()
    start = 0
    for i, word in enumerate(run_a):
        for j in range(start, len(run_b)):
            if SequenceMatcher(None, word, run_b[j], autojunk=False).ratio() >= MISREAD:
                paired_b.add(j)
                start = j + 1
                break
        else:
            left_a.append(i)
    return left_a, [j for j in range(len(run_b)) if j not in paired_b]
