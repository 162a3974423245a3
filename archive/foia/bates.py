"""Bates numbers: the prefix and zero-padded counter stamped in a page's top or bottom margin.

Found from word positions: the words in the outer margins are grouped into lines, and a
line's run of tokens that reads PREFIX + COUNTER (`DHS-000123`, `2019-ICLI-00003 022454`,
`ICE 2019-ICLI-00003-022455`, `ABC0000123`) is taken. OCR spacing is tolerated
(`2019-ICLI-00003 -022454`).

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

from archive.models import Word

MARGIN = 0.12  # fraction of the page height, top and bottom, where stamps are looked for
# A group: alphanumeric runs joined by - _ . (OCR may put a space beside the hyphen).
_GROUP = re.compile(r"[A-Za-z0-9]+(?:[ ]?[-_.][ ]?[A-Za-z0-9]+)*")
_SPLIT = re.compile(r"[ ]?[-_.][ ]?")
_TRAILING_DIGITS = re.compile(r"^([A-Za-z][A-Za-z0-9]*?[A-Za-z])(\d{4,10})$")
_NOT_PREFIX = {"PAGE", "PAGES", "PG", "NO", "NUMBER", "CASE", "DOCUMENT", "DOC", "ID", "TEL",
               "FAX", "PHONE", "ROOM", "SUITE", "BOX", "ZIP", "FORM", "REV", "DATE",
               "FILED", "ENTRY", "DKT", "DOCKET", "PO", "OMB", "EXT", "USC", "FOIA",
               "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "IA",
               "IL", "IN", "KS", "KY", "LA", "MA", "MD", "ME", "MI", "MN", "MO", "MS", "MT",
               "NC", "ND", "NE", "NH", "NJ", "NM", "NV", "NY", "OH", "OK", "OR", "PA", "RI",
               "SC", "SD", "TN", "TX", "UT", "VA", "VT", "WA", "WI", "WV", "WY"}  # zip codes


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
    letters for digits (`O0003` -> `00003`) put right in runs that are mostly digits.
    """
    segments = re.split(r"[^A-Za-z0-9]+", value.upper())
    return "".join(repair(s) for s in segments)


_AS_DIGIT = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1"})


def repair(segment: str) -> str:
    """A mostly-digit segment with OCR's look-alike letters read as digits."""
    digits = sum(c.isdigit() for c in segment)
    if digits and digits * 2 >= len(segment):
        fixed = segment.upper().translate(_AS_DIGIT)
        if fixed.isdigit():
            return fixed
    return segment


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
        segments = [repair(s) for s in _SPLIT.split(group.group())]
        start = group.start()
        if len(segments) >= 2 and segments[-1].isdigit():
            counter = segments[-1]
            prefix = group.group()[:len(group.group()) - len(counter)]
        elif len(segments) == 1 and segments[0].isdigit() and i > 0 and \
                line[groups[i - 1].end():start] == " ":
            counter, prefix, start = segments[0], groups[i - 1].group(), groups[i - 1].start()
        elif len(segments) == 1 and (split := _TRAILING_DIGITS.match(segments[0])):
            prefix, counter = split.group(1), split.group(2)
        else:
            continue
        bates = _accept(line[start:group.end()], prefix.strip(" -_."), counter)
        if bates is not None:
            if found and line.startswith(found[-1].printed, start):
                found.pop()  # "2019-ICLI-00003" then "2019-ICLI-00003 022454": keep the whole
            found.append(bates)
    return found


def _accept(printed: str, prefix: str, counter: str) -> Bates | None:
    letters = re.sub(r"[^A-Za-z]", "", prefix)
    lower = sum(c.islower() for c in letters)
    first = _SPLIT.split(prefix)[0].upper()
    if len(letters) < 2 or lower > 1 or first in _NOT_PREFIX or prefix.upper() in _NOT_PREFIX:
        return None
    if not 4 <= len(counter) <= 10 or not (counter.startswith("0") or len(counter) >= 6):
        return None  # a counter is zero-padded; "FORM 1234" and years are not Bates
    return Bates(printed=printed, prefix=prefix, counter=counter)


def _lines(words: list[Word], height: float) -> list[tuple[float, str]]:
    """Words in the top and bottom margins grouped into lines: (y, text) pairs."""
    margin = [w for w in words if w[1] < height * MARGIN or w[3] > height * (1 - MARGIN)]
    margin.sort(key=lambda w: ((w[1] + w[3]) / 2, w[0]))
    lines: list[list[Word]] = []
    for word in margin:
        mid = (word[1] + word[3]) / 2
        if lines and abs(mid - (lines[-1][-1][1] + lines[-1][-1][3]) / 2) < max(
                3.0, (word[3] - word[1]) * 0.6):
            lines[-1].append(word)
        else:
            lines.append([word])
    out = []
    for line in lines:
        line.sort(key=lambda w: w[0])
        out.append(((line[0][1] + line[0][3]) / 2, " ".join(str(w[4]) for w in line)))
    return out


def find(words: list[Word], width: float, height: float) -> Bates | None:
    """The Bates number stamped in the page's margins, bottom-most first; None if none."""
    del width  # stamps sit left, centre or right alike
    found: list[tuple[float, Bates]] = []
    for y, line in _lines(words, height):
        found.extend((y, bates) for bates in scan(line))
    bottom = [b for y, b in found if y > height / 2]
    if bottom:
        return bottom[-1]
    return found[0][1] if found else None
