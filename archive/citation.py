"""The citation line of one page: agency, release, document, page, Bates, permalink, date."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

_SPACED_SEPARATOR = re.compile(r" ?([-_.]) ?")


def release_label(production: Mapping[str, Any] | None) -> str:
    """How a production is named in a citation: its request number, else its name.

    `FOIA 2019-ICLI-00003 (released 2020-03-05)`; a request number that already says
    "FOIA" is kept as it is.
    """
    if not production:
        return ""
    number = str(production.get("request_number") or "").strip()
    if number:
        label = number if number.upper().startswith("FOIA") else f"FOIA {number}"
    else:
        label = str(production.get("name") or "").strip()
    released = str(production.get("released") or "").strip()
    if released:
        label = f"{label} (released {released})" if label else f"released {released}"
    return label


def citation_line(*, production: Mapping[str, Any] | None, title: str, page: int,
                  pages: int | None, permalink: str, accessed: date,
                  bates: str | None = None) -> str:
    """A ready-to-paste citation of one page, leaving out what is not known.

    Example:
        `U.S. Dept. of Homeland Security, FOIA 2019-ICLI-00003 (released 2020-03-05),
        "Form I-213", p. 2 of 3, Bates 2019-ICLI-00003-022455, https://…/doc/…/page/2
        (accessed 2026-11-28)`

    Args:
        production: the production row (agency, name, request_number, released), if any.
        title: the document's title.
        page: the 1-based page number.
        pages: the document's page count, if known.
        permalink: the page's absolute URL.
        accessed: the day the page was read.
        bates: the page's Bates number, if known.
    """
    parts: list[str] = []
    agency = str((production or {}).get("agency") or "").strip()
    if agency:
        parts.append(agency)
    label = release_label(production)
    if label and label != agency:
        parts.append(label)
    if title.strip():
        parts.append(f'"{_one_line(title)}"')
    parts.append(f"p. {page} of {pages}" if pages else f"p. {page}")
    if bates and bates.strip():
        parts.append(f"Bates {bates_as_stamped(bates)}")
    parts.append(f"{permalink} (accessed {accessed.isoformat()})")
    return ", ".join(parts)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def bates_as_stamped(printed: str) -> str:
    """A Bates number as the producing party stamped it: on one line, without the spaces OCR
    reads beside a separator (`2019-ICLI-00003 -022455` is `2019-ICLI-00003-022455`); the
    space between a prefix and its counter (`2019-ICLI-00003 022455`) is kept."""
    return _SPACED_SEPARATOR.sub(r"\1", _one_line(printed))
