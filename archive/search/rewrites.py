"""Query-string rewrites for the FOIA fields, applied before Whoosh parses a query.

- `exemption:(b)(6)`, `exemption:"b 7 C"`, `exemption:B7C` -> `exemption:b6`, `exemption:b7c`
  (the index keys); written as Whoosh would read it, `exemption:(b)(6)` would be a group.
- `bates:ICLI-00003-022455`, `bates:"2019-ICLI-00003 022454"` -> the normalised key,
  lowercased as the index stores it; `bates:[X TO Y]` likewise at both ends.
Anything that is not recognisably one of these is left for Whoosh to read (or refuse).
"""

from __future__ import annotations

import re

from archive.foia import bates, exemptions

_EXEMPTION = re.compile(
    r"(?i)\bexemption:\s?(\(?\s?b\s?\)?\s?\(\s?[1-9]\s?\)(?:\s?\(\s?[a-f]\s?\))?"
    r"|\"[^\"]*\"|[^\s()\"]+)"
)
_BATES_RANGE = re.compile(r"(?i)\bbates:\s?([\[{])\s?(.*?)\s+TO\s+(.*?)\s?([\]}])")
_BATES_TERM = re.compile(r"(?i)\bbates:\s?(\"[^\"]*\"|[^\s()\"\[{]+)")


def rewrite(text: str) -> str:
    """The query with exemption and Bates values in their indexed form."""
    text = _EXEMPTION.sub(_exemption, text)
    text = _BATES_RANGE.sub(_bates_range, text)
    return _BATES_TERM.sub(_bates_term, text)


def _exemption(match: re.Match[str]) -> str:
    value = match.group(1)
    found = exemptions.normalize(value.strip('"'))
    return f"exemption:{found}" if found else match.group(0)


def _key(value: str) -> str:
    return bates.normalize(value.strip('"')).lower()


def _bates_range(match: re.Match[str]) -> str:
    start, end = _key(match.group(2)), _key(match.group(3))
    return f"bates:{match.group(1)}{start or ''} TO {end or ''}{match.group(4)}"


def _bates_term(match: re.Match[str]) -> str:
    value = match.group(1)
    if any(c in value for c in "*?"):
        return f"bates:{_key(value.replace('*', '').replace('?', ''))}*"
    key = _key(value)
    return f"bates:{key}" if key else match.group(0)


def bates_key(text: str) -> str | None:
    """The lowercased key of a query that is a Bates number and nothing else, else None."""
    found = bates.parse(text.strip().strip('"'))
    return found.key.lower() if found else None
