"""Bates numbers: the prefix and zero-padded counter stamped in a page's top or bottom margin.

Found from word positions: the words in the outer margins are grouped into lines by
their boxes, a line is cut into phrases at wide gaps (a stamp shares its line with page
footers, letterheads and legends), and a phrase's run of tokens that reads PREFIX + COUNTER
(`DHS-000123`, `2019-ICLI-00003 022454`, `ICE 2019-ICLI-00003-022455`, `ABC0000123`) is
taken. OCR spacing is tolerated (`2019-ICLI-00003 -022454`), and so are its look-alikes:
O/0 and I/1 are read as the run needs them (`O1G032604` is `OIG032604`, `ICL1` is `ICLI`,
`DO10012420` is `DOI0012420`). Measured on real scans stamped as producing parties do
(bench/bates_stamps.py): the misses left are stamps that OCR cannot read (drawn over
handwriting, or letters misread as other letters).

Stored three ways:
- *printed*: as on the page, spaces squeezed (`2019-ICLI-00003 -022454`);
- *key*: uppercase letters and digits only (`2019ICLI00003022454`): the comparison form, so
  `bates:ICLI-00003-022455` needs neither the case nor the punctuation right;
- *keys*: the key and its suffixes at each printed separator (`ICLI00003022454`,
  `00003022454`, `022454`), so a query may omit the leading part of the prefix, as people
  do when they cite within one production.
Counters are zero-padded to a fixed width within a production, so the keys sort like the
numbers: a range `bates:[ICLI-00003-022450 TO ICLI-00003-022460]` is a plain lexicographic
range over the keys (the index stores them lowercased).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from statistics import median

from archive.models import Word

MARGIN = 0.12  # fraction of the page height, top and bottom, where stamps are looked for
# A group: alphanumeric runs joined by - _ . (OCR may put a space beside the hyphen).
_GROUP = re.compile(r"[A-Za-z0-9]+(?:[ ]?[-_.][ ]?[A-Za-z0-9]+)*")
_SPLIT = re.compile(r"[ ]?[-_.][ ]?")
_NOT_PREFIX = {"PAGE", "PAGES", "PG", "NO", "NUMBER", "CASE", "DOCUMENT", "DOC", "ID", "TEL",
               "FAX", "PHONE", "ROOM", "SUITE", "BOX", "ZIP", "FORM", "REV", "DATE",
               "FILED", "ENTRY", "DKT", "DOCKET", "PO", "OMB", "EXT", "USC", "FOIA",
               "CHECK", "CHK", "CK", "INVOICE", "INV", "ACCT", "ACCOUNT", "REF", "RECEIPT",
               "ORDER", "TICKET", "SERIAL", "JOB", "ITEM", "UNIT", "BADGE", "STAR", "RD", "CB",
               "IR", "VOID",  # check, invoice and account numbers; police report numbers
               "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "IA",
               "IL", "IN", "KS", "KY", "LA", "MA", "MD", "ME", "MI", "MN", "MO", "MS", "MT",
               "NC", "ND", "NE", "NH", "NJ", "NM", "NV", "NY", "OH", "OK", "OR", "PA", "RI",
               "SC", "SD", "TN", "TX", "UT", "VA", "VT", "WA", "WI", "WV", "WY"}  # zip codes
# Words of a confidentiality legend that may stand just before a number beginning with digits.
_LEGEND = {"ONLY", "ORDER", "AEO", "USE", "TO", "OF", "COPY", "DRAFT", "SEAL"}


@dataclass(frozen=True, slots=True)
class Bates:
    """One Bates number as printed, with its comparison key and suffix keys."""

    printed: str
    prefix: str
    counter: str

    @property
    def key(self) -> str:
        """Uppercase letters and digits only: `2019ICLI00003022454`."""
        return normalize(self.printed)

    @property
    def keys(self) -> list[str]:
        """The key and its suffixes at each printed separator, longest first."""
        segments = [s for s in re.split(r"[^A-Za-z0-9]+", self.printed.upper()) if s]
        return ["".join(repair(s) for s in segments[i:]) for i in range(len(segments))]


def normalize(value: str) -> str:
    """The comparison form of a Bates number: uppercase letters and digits only, with OCR's
    look-alikes put right (see `repair`): `O0003` -> `00003`, `ICL1` -> `ICLI`.
    """
    segments = re.split(r"[^A-Za-z0-9]+", value.upper())
    return "".join(repair(s) for s in segments)


_AS_DIGIT = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1"})
_AS_LETTER = str.maketrans({"0": "O", "1": "I"})
_NUMERIC = re.compile(r"[0-9OQDIL]+")


def repair(segment: str) -> str:
    """One run of letters and digits with OCR's look-alikes read as the run needs them.

    A prefix run on a counter (`DOI0001234`, OCR's `O1G032604`) keeps its letters
    (`DOI`, `OIG`) and gets digits in its counter; a run mostly of digits gets digits
    (`O0003` -> `00003`); a word mostly of letters gets letters (`ICL1` -> `ICLI`).
    """
    split = split_counter(segment)
    if split is not None:
        return (split[0] + split[1]).upper()
    upper = segment.upper()
    digits = sum(c.isdigit() for c in upper)
    if digits and digits * 2 >= len(upper):
        fixed = upper.translate(_AS_DIGIT)
        if fixed.isdigit():
            return fixed
    letters = len(upper) - digits
    if digits and letters >= 2 and letters > digits:
        fixed = upper.translate(_AS_LETTER)
        if fixed.isalpha():
            return fixed
    return segment


def split_counter(run: str) -> tuple[str, str] | None:
    """A run that is a letter prefix written on its counter, as (prefix, counter) put right.

    The counter is the longest tail after two or more characters that starts with a digit
    and holds only digits and (a few) look-alikes; the prefix must read as letters, most of
    them printed as letters (`D0I` -> `DOI`). OCR's 1 for a prefix's last I before a
    zero-padded counter is moved back (`DO10012420` -> `DOI`, `0012420`).
    """
    upper = run.upper()
    start = next((i for i in range(2, len(upper) - 3)
                  if upper[i].isdigit() and _NUMERIC.fullmatch(upper, i)), None)
    if start is None:
        return None
    if upper.startswith("10", start):
        start += 1
    counter = upper[start:]
    digits = sum(c.isdigit() for c in counter)
    if digits < 4 or (len(counter) - digits) * 4 > len(counter):
        return None
    head = run[:start]
    fixed = head.translate(_AS_LETTER)
    letters = sum(c.isalpha() for c in head)
    if not fixed.isalpha() or letters < (1 if len(head) >= 3 else 2) or \
            set(fixed.upper()) <= {"O", "Q"}:
        return None  # "X0022201" is not "XO" + a counter; "OO12345" is all counter
    return fixed, counter.translate(_AS_DIGIT)


def parse(value: str) -> Bates | None:
    """A Bates number written alone (`DHS-000123`, `2019-ICLI-00003 022454`), else None."""
    text = " ".join(value.split())
    found = scan(text)
    return found[0] if len(found) == 1 and found[0].printed == text else None


def scan(line: str) -> list[Bates]:
    """Every Bates number in one line of text, left to right."""
    groups = list(_GROUP.finditer(line))
    found: list[Bates] = []
    for i, group in enumerate(groups):
        runs = _SPLIT.split(group.group())
        last = repair(runs[-1])
        split = split_counter(runs[-1])
        first = i  # the group the number starts in
        if len(runs) >= 2 and last.isdigit():
            counter = last
        elif split is not None:
            counter = split[1]
        elif last.isdigit() and i > 0 and _spaced(line, groups[i - 1], group):
            counter, first = last, i - 1  # "DEF 0012345", "2019-ICLI-00003 022454"
        else:
            continue
        printed = line[groups[first].start():group.end()]
        prefix = printed[:len(printed) - len(counter)].strip(" -_.")
        if split is not None:
            prefix = prefix[:len(prefix) - len(split[0])] + split[0]
        if prefix[:1].isdigit() and first > 0 and _spaced(line, groups[first - 1], groups[first]) \
                and _accept(printed, prefix, counter):
            agency = repair(groups[first - 1].group())  # "ICE 2019-ICLI-00003-022455"
            if re.fullmatch(r"[A-Z]{2,5}", agency) and agency not in _NOT_PREFIX | _LEGEND:
                first -= 1
                printed = line[groups[first].start():group.end()]
                prefix = f"{agency} {prefix}"
        bates = _accept(printed, prefix, counter)
        if bates is not None:
            if found and line.startswith(found[-1].printed, groups[first].start()):
                found.pop()  # "2019-ICLI-00003" then "2019-ICLI-00003 022454": keep the whole
            found.append(bates)
    return found


def _spaced(line: str, left: re.Match[str], right: re.Match[str]) -> bool:
    return line[left.end():right.start()] == " "


def _accept(printed: str, prefix: str, counter: str) -> Bates | None:
    letters = re.sub(r"[^A-Za-z]", "", prefix)
    lower = sum(c.islower() for c in letters)
    first = _SPLIT.split(prefix)[0].upper()
    if len(letters) - lower < 2 or lower > 1 or first in _NOT_PREFIX or \
            prefix.upper() in _NOT_PREFIX:
        return None
    if not 4 <= len(counter) <= 10 or not (counter.startswith("0") or len(counter) >= 6):
        return None  # a counter is zero-padded; "FORM 1234" and years are not Bates
    return Bates(printed=printed, prefix=prefix, counter=counter)


def _phrases(words: list[Word], height: float) -> list[tuple[float, float, str]]:
    """Words in the top and bottom margins as (y, x, text) phrases, top to bottom.

    A word joins the line its box shares most height with (not merely the last word's
    line: a stamp drawn beside a letterhead interleaves with it); a line is cut into phrases
    where a wide gap parts its words, so a stamp is read apart from the footer or header
    text it shares the line with.
    """
    margin = [w for w in words if w[1] < height * MARGIN or w[3] > height * (1 - MARGIN)]
    lines: list[list[Word]] = []
    for word in sorted(margin, key=lambda w: (w[1] + w[3]) / 2):
        shared = [(_shared(line, word), i) for i, line in enumerate(lines)]
        best = max((pair for pair in shared if pair[0] > 0), default=None)
        if best is None:
            lines.append([word])
        else:
            lines[best[1]].append(word)
    phrases = []
    for line in lines:
        line.sort(key=lambda w: w[0])
        gap = 2.5 * median(w[3] - w[1] for w in line)
        phrase, right = [line[0]], line[0][2]
        for word in line[1:]:
            if word[0] - right > gap:
                phrases.append(_phrase(phrase))
                phrase = []
            phrase.append(word)
            right = max(right, word[2])
        phrases.append(_phrase(phrase))
    return sorted(phrases)


def _shared(line: list[Word], word: Word) -> float:
    """How far a word's box shares the line's height; 0 unless it is half its own or more."""
    top, bottom = median(w[1] for w in line), median(w[3] for w in line)
    shared = min(bottom, word[3]) - max(top, word[1])
    return shared if shared >= 0.5 * min(bottom - top, word[3] - word[1]) else 0.0


def _phrase(words: list[Word]) -> tuple[float, float, str]:
    y = sum((w[1] + w[3]) / 2 for w in words) / len(words)
    return y, words[0][0], " ".join(str(w[4]) for w in words)


def find(words: list[Word], width: float, height: float) -> Bates | None:
    """The Bates number stamped in the page's margins, bottom-most first; None if none."""
    del width  # stamps sit left, centre or right alike
    found = [(y, bates) for y, _, text in _phrases(words, height) for bates in scan(text)]
    bottom = [b for y, b in found if y > height / 2]
    if bottom:
        return bottom[-1]
    return found[0][1] if found else None
