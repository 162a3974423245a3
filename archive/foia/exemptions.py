"""FOIA exemption labels stamped on a page: `(b)(6)`, `(b)(7)(C)` and their OCR misreadings.

What counts as a *label*: a stamp beside or inside a redaction, read in any of the usual
forms: `(b)(6)`, `(b) (6)`, `b6`, `B6`, `(b)(7)(c)`, `b 7 C`, `b7c`, `(6)(6)` (OCR reads the
b as a 6), `[b](6)`, `(b)(6);(b)(7)(C)`. The canonical form is `(b)(6)` / `(b)(7)(C)`; the
index key is `b6` / `b7c`.

What is a *mention*, and is not returned: a citation of the statute or an exemption named
in prose, as in a response letter: `5 U.S.C. § 552(b)(6)`, `Exemption 5`, `exemptions
(b)(6) and (b)(7)(C)`, `pursuant to (b)(5)`. A mention tells what the agency claims for the
release, not what was withheld on that page, so "which pages were withheld under (b)(7)(E)?"
must not list the cover letter. Bare `(b)` list items without a number, and `b6` inside a
longer token (a hex string, an Exchange address) are not labels either.
"""

from __future__ import annotations

import re

SUBPARTS = "ABCDEF"

_OPEN = r"[\(\[\{]"
_CLOSE = r"[\)\]\}]"
# (b)(6), (b) (6), [b](6), (b)(7)(c), (6)(6), b)(6), B(b)(6) ... : parenthesised forms. A
# "(b)" right after a label is the next label's start, not a subpart: (b)(6) (b)(7)(C).
_PAREN = re.compile(
    rf"(?<![A-Za-z0-9]){_OPEN}?\s?(?:b|6(?={_CLOSE}\s?{_OPEN}))\s?{_CLOSE}\s?{_OPEN}\s?"
    rf"([1-9SG])\s?{_CLOSE}"
    rf"(?:\s?{_OPEN}\s?([a-fA-F])\s?{_CLOSE}(?!\s?{_OPEN}\s?[1-9SG]\s?{_CLOSE}))?"
)
# b6, B6, b7c, b 7 C, (b)6, b(6): compact forms, which must stand alone as a token.
_COMPACT = re.compile(
    rf"(?<![A-Za-z0-9@/=._-])(?:{_OPEN}b{_CLOSE}(?=[1-9(])|[bB]\s?)(?:([1-9])|{_OPEN}([1-9]){_CLOSE})"
    rf"(?:\s?{_OPEN}?([a-fA-F]){_CLOSE}?)?(?![A-Za-z0-9@._-])"
)
_MISREAD = {"S": "5", "G": "6"}  # inside parentheses, OCR's usual confusions
# What makes a match a citation or a mention in prose rather than a stamp.
_MENTION_BEFORE = re.compile(
    r"(?:552|§|u\.\s?s\.\s?c\.?|exemptions?|pursuant\s+to|under|subsections?|sections?|"
    r"foia|claimed|cited|invoked|applied|apply|applying)[^\n]{0,12}$",
    re.IGNORECASE,
)
_CHAIN = re.compile(r"^[\s,;/&]*(?:(?:and|or|&)\s+)?$", re.IGNORECASE)


def canonical(number: str, subpart: str | None = None) -> str | None:
    """`("7", "c")` -> `"(b)(7)(C)"`; None when the parts name no exemption.

    A subpart is only kept on exemption 7 (`(b)(6)(c)` is read as `(b)(6)`).
    """
    if not number.isdigit() or not 1 <= int(number) <= 9:
        return None
    label = f"(b)({number})"
    if subpart and number == "7":
        sub = subpart.upper()
        if sub in SUBPARTS:
            label += f"({sub})"
    return label


def key(label: str) -> str:
    """The index key of a canonical label: `"(b)(7)(C)"` -> `"b7c"`."""
    return "b" + re.sub(r"[^0-9a-z]", "", label.lower()[3:])


def label(index_key: str) -> str | None:
    """The canonical label of an index key: `"b7c"` -> `"(b)(7)(C)"`; None if it is not one."""
    match = re.fullmatch(r"b([1-9])([a-f])?", index_key)
    return canonical(match.group(1), match.group(2)) if match else None


def normalize(value: str) -> str | None:
    """Any written form of one exemption (`(b)(6)`, `b7c`, `B 7 C`, `(b)(7)(c)`, `7c`, `6`)
    to its index key (`b6`, `b7c`), or None when it is not one. For the query language.
    """
    squeezed = re.sub(r"[\s()\[\]{}]", "", value).lower()
    match = re.fullmatch(r"(?:b|exemption)?([1-9])([a-f])?", squeezed)
    if not match:
        return None
    label = canonical(match.group(1), match.group(2))
    return key(label) if label else None


def _matches(text: str) -> list[tuple[int, int, str]]:
    found: dict[int, tuple[int, int, str]] = {}
    for pattern in (_PAREN, _COMPACT):
        for m in pattern.finditer(text):
            groups = [g for g in m.groups()]
            number = next(g for g in groups[:-1] if g)
            label = canonical(_MISREAD.get(number, number), groups[-1])
            if label and not any(s <= m.start() < e for s, e, _ in found.values()):
                found[m.start()] = (m.start(), m.end(), label)
    return [found[k] for k in sorted(found)]


def find(text: str) -> list[str]:
    """The exemption labels on a page, canonical, in order of first appearance; mentions
    (citations, prose) are left out.
    """
    labels: list[str] = []
    previous_end, previous_mention = 0, False
    for start, end, label in _matches(text):
        line_start = text.rfind("\n", 0, start) + 1
        before = text[max(line_start, start - 40):start]
        mention = bool(_MENTION_BEFORE.search(before))
        if not mention and previous_mention and _CHAIN.match(text[previous_end:start]):
            mention = True  # "(b)(6), (b)(7)(C) and (b)(7)(E)" after "exemptions"
        previous_end, previous_mention = end, mention
        if not mention and label not in labels:
            labels.append(label)
    return labels


def keys(labels: list[str]) -> list[str]:
    """Index keys of canonical labels, deduplicated, in order."""
    return list(dict.fromkeys(key(label) for label in labels))
