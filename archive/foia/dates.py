"""Dates as printed on records (`Thursday, March 21, 2024 7:41 AM`, `2024/03/21 08:01`,
`3/21/17`, `21 March 2017`) to ISO `YYYY-MM-DD`.
"""

from __future__ import annotations

import re
from datetime import date

MONTHS = {m: i for i, names in enumerate((
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
    ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
    ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
    ("dec", "december")), start=1) for m in names}
_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|" \
         r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_PATTERNS = (
    # March 21, 2024 / Mar 21 2024 / March 21st, 2024
    (re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I), "mdy"),
    # 21 March 2024 / 21 Mar, 2024
    (re.compile(rf"\b(\d{{1,2}})\s+{_MONTH},?\s+(\d{{4}})\b", re.I), "dmy"),
    # 2024-03-21 / 2024/03/21 / 2024.03.21
    (re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b"), "ymd"),
    # 2022年4月8日 (Chinese Outlook)
    (re.compile(r"(\d{4})\s?年\s?(\d{1,2})\s?月\s?(\d{1,2})\s?日"), "ymd"),
    # 3/21/2017 / 03-21-17 (US order)
    (re.compile(r"\b(\d{1,2})[/-](\d{1,2})[/-](\d{4}|\d{2})\b"), "us"),
)


def parse(text: str, *, earliest: int = 1950, latest: int = 2100) -> str | None:
    """The first date in `text` as `YYYY-MM-DD`, or None; impossible dates are skipped."""
    found = find(text, earliest=earliest, latest=latest)
    return found[2] if found else None


def find(text: str, *, earliest: int = 1950,
         latest: int = 2100) -> tuple[int, int, str] | None:
    """The first date in `text`: (start, end, `YYYY-MM-DD`), or None."""
    best: tuple[int, int, str] | None = None
    for pattern, order in _PATTERNS:
        for match in pattern.finditer(text):
            found = _build(match.groups(), order)
            if found and earliest <= found.year <= latest:
                if best is None or match.start() < best[0]:
                    best = (match.start(), match.end(), found.isoformat())
                break
    return best


def _build(groups: tuple[str, ...], order: str) -> date | None:
    try:
        if order == "mdy":
            return date(int(groups[2]), MONTHS[groups[0].lower().rstrip(".")], int(groups[1]))
        if order == "dmy":
            return date(int(groups[2]), MONTHS[groups[1].lower().rstrip(".")], int(groups[0]))
        if order == "ymd":
            return date(int(groups[0]), int(groups[1]), int(groups[2]))
        year = int(groups[2])
        year += 2000 if year < 50 else 1900 if year < 100 else 0
        return date(year, int(groups[0]), int(groups[1]))
    except (ValueError, KeyError):
        return None


def is_iso(value: str) -> bool:
    """Whether `value` is a real calendar date written `YYYY-MM-DD`."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


_PROSE_BEFORE = re.compile(
    r"\b(?:on|of|in|at|by|to|from|since|until|through|before|after|and|or|dated|date|"
    r"received|sent|filed|as)\s?$", re.IGNORECASE)


def letter_date(text: str, lines: int = 15, heading: int = 8) -> str | None:
    """The date of a letter, memo or quote near the top of the page, as `YYYY-MM-DD`:
    a line that is a date and little else (`March 5, 2020`), a `Date:` field, or, in the
    first few lines, a date closing a letterhead line (`BUREAU OF ... 21 November 2012`,
    columns that OCR joins into one line). None when there is none.
    """
    seen = 0
    for line in text.splitlines():
        line = line.strip(" |.,=~-")
        if not line:
            continue
        seen += 1
        if seen > lines:
            break
        found = find(line)
        if found is None:
            continue
        start, end, iso = found
        before, after = line[:start], line[end:].strip(" |.,=~-")
        rest = re.sub(r"\d|date[ds]?:?|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*|"
                      r"(?:mon|tue|wed|thu|fri|sat|sun)\w*|[\s,./-]", "", line, flags=re.I)
        if len(line) <= 40 and len(rest) <= 3:
            return iso
        if re.search(r"\bdate[d]?\s?:\s?$", before, re.I):
            return iso
        if seen <= heading and len(after) <= 3 and not _PROSE_BEFORE.search(before):
            return iso
    return None
