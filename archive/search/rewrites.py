"""Query-string rewrites for the FOIA fields, applied before Whoosh parses a query.

- `exemption:(b)(6)`, `exemption:"b 7 C"`, `exemption:B7C` -> `exemption:b6`, `exemption:b7c`
  (the index keys); written as Whoosh would read it, `exemption:(b)(6)` would be a group.
- `bates:ICLI-00003-022455`, `bates:"2019-ICLI-00003 022454"` -> the normalised key,
  lowercased as the index stores it; `bates:[X TO Y]` likewise at both ends.
- `date:` and `released:` values, single (`date:3/1/2022`, `date:>2022-03-01`) or ranges
  (`date:[03/01/2022 TO 03/31/2022]`, open at either end): US and written dates ->
  ISO `YYYY-MM-DD`, the only form Whoosh reads (it failed on `03/01/2022` with "invalid
  literal for int()", or silently matched nothing). A value that is not a date is refused
  with a message naming the forms that work.
Anything that is not recognisably one of these is left for Whoosh to read (or refuse).
"""

from __future__ import annotations

import re

from archive.errors import QueryError
from archive.foia import bates, dates, exemptions

_EXEMPTION = re.compile(
    r"(?i)\bexemption:\s?(\(?\s?b\s?\)?\s?\(\s?[1-9]\s?\)(?:\s?\(\s?[a-f]\s?\))?"
    r"|\"[^\"]*\"|[^\s()\"]+)"
)
_BATES_RANGE = re.compile(r"(?i)\bbates:\s?([\[{])\s?(.*?)\s+TO\s+(.*?)\s?([\]}])")
_BATES_TERM = re.compile(r"(?i)\bbates:\s?(\"[^\"]*\"|[^\s()\"\[{]+)")


# A phrase (left alone: `"date: tomorrow"` is words), or a date field and its value: a
# range, or a value after an optional comparison.
_DATE_CLAUSE = re.compile(
    r'"[^"]*"'
    r"|\b(?P<field>date|released):\s?(?:"
    r"(?P<open>[\[{])(?P<range>[^\]}]*)(?P<close>[\]}])"
    r"|(?P<rel><=|>=|=<|=>|<|>)?(?P<value>\"[^\"]*\"|'[^']*'|[^\s()\[\]{}\"]+))"
)
_RANGE_TO = re.compile(r"(?i)(?:^|\s)to(?:\s|$)")
_ISO_PART = re.compile(r"(\d{4})(?:-(\d{1,2}))?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
DATE_FORMS = ("2022-03-01, 03/01/2022, 3/1/2022 or March 1, 2022 (2022 or 2022-03 for a "
              "whole year or month); a range as date:[03/01/2022 TO 03/31/2022], open at "
              "either end as date:[2022-03-01 TO]")


def rewrite(text: str) -> str:
    """The query with exemption and Bates values in their indexed form, dates in ISO form.

    Raises:
        QueryError: a `date:` or `released:` value that is not a date.
    """
    text = _EXEMPTION.sub(_exemption, text)
    text = _BATES_RANGE.sub(_bates_range, text)
    text = _BATES_TERM.sub(_bates_term, text)
    return _DATE_CLAUSE.sub(_date_clause, text)


def _date_clause(match: re.Match[str]) -> str:
    field = match.group("field")
    if field is None:  # a phrase
        return match.group(0)
    if match.group("open"):
        start, end = _range_ends(match.group("range"), field)
        return f"{field}:{match.group('open')}{start}TO{end}{match.group('close')}"
    return f"{field}:{match.group('rel') or ''}{query_date(match.group('value'), field)}"


def _range_ends(inner: str, field: str) -> tuple[str, str]:
    """The ends of a range, ISO, each with the space that separates it from TO."""
    parts = _RANGE_TO.split(f" {inner} ")
    if len(parts) != 2 or not any(part.strip() for part in parts):
        raise QueryError(f"'{field}:[{inner}]' is not a date range; write a date as "
                         f"{DATE_FORMS}")
    start, end = (part.strip() for part in parts)
    return (f"{query_date(start, field)} " if start else "",
            f" {query_date(end, field)}" if end else "")


def query_date(value: str, field: str = "date") -> str:
    """A date as typed in a query, in the form Whoosh reads: `YYYY-MM-DD`, or `YYYY` or
    `YYYY-MM` for a whole year or month.

    Raises:
        QueryError: `value` is not a date; the message names the forms that work.
    """
    value = value.strip().strip("\"'").strip()
    partial = _ISO_PART.fullmatch(value)
    if partial and (partial.group(2) is None or 1 <= int(partial.group(2)) <= 12):
        year, month = partial.groups()
        return year if month is None else f"{year}-{int(month):02d}"
    compact = _COMPACT.fullmatch(value)  # 20220301, which Whoosh itself reads
    written = "-".join(compact.groups()) if compact else value
    found = dates.find(written, earliest=1, latest=9999)
    if found is None or found[0] != 0 or found[1] != len(written):
        raise QueryError(f"'{field}:{value}' is not a date the archive can read; write it "
                         f"as {DATE_FORMS}")
    return found[2]


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
