"""Litigation load files: a Concordance `.dat` (documents and their fields) and an Opticon
`.opt` (one line per page image: its Bates number, and where a new document starts).

Parsing only: the pipeline does not use them yet (a production folder with load files is
added as loose images, and the Bates numbers are found on the pages instead).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path, PureWindowsPath

FIELD_SEP = "\x14"  # Concordance's default field separator (DC4)
QUOTE = "\xfe"  # and its text qualifier, þ


@dataclass(slots=True)
class OptPage:
    """One page image of an Opticon load file."""

    bates: str
    volume: str
    image: str  # path as written (often Windows style, relative to the load file)
    new_document: bool
    pages: int | None  # page count, given on a document's first line


@dataclass(slots=True)
class LoadDocument:
    """A document as the load files describe it: its pages' Bates and images, its fields."""

    begin: str
    pages: list[OptPage] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)


def read_opt(text: str) -> list[OptPage]:
    """Parse an Opticon file: `BATES,VOLUME,IMAGEPATH,Y|blank,,,PAGECOUNT` per line."""
    pages = []
    for row in csv.reader(io.StringIO(text)):
        if not row or not row[0].strip():
            continue
        row += [""] * (7 - len(row))
        count = row[6].strip()
        pages.append(OptPage(bates=row[0].strip(), volume=row[1].strip(), image=row[2].strip(),
                             new_document=row[3].strip().upper() == "Y",
                             pages=int(count) if count.isdigit() else None))
    return pages


def read_dat(text: str) -> list[dict[str, str]]:
    """Parse a Concordance file: a header row of field names, then one row per document;
    fields separated by \\x14 and wrapped in þ. Newlines inside a value are kept.
    """
    rows: list[list[str]] = []
    current: list[str] = []
    value: list[str] = []
    inside = False
    for char in text.lstrip("\ufeff"):
        if char == QUOTE:
            inside = not inside
        elif char == FIELD_SEP and not inside:
            current.append("".join(value))
            value = []
        elif char in "\r\n" and not inside:
            if value or current:
                current.append("".join(value))
                rows.append(current)
            current, value = [], []
        else:
            value.append(char)
    if value or current:
        current.append("".join(value))
        rows.append(current)
    if not rows:
        return []
    header = [name.strip() for name in rows[0]]
    return [dict(zip(header, (v.strip() for v in row), strict=False)) for row in rows[1:]]


def documents(opt: list[OptPage], dat: list[dict[str, str]] | None = None) -> list[LoadDocument]:
    """Group the pages into documents (a `Y` starts one), and attach each document's .dat
    fields by its first Bates number (the BEGBATES / BegBates / BEGDOC field).
    """
    docs: list[LoadDocument] = []
    for page in opt:
        if page.new_document or not docs:
            docs.append(LoadDocument(begin=page.bates))
        docs[-1].pages.append(page)
    by_begin = {}
    for row in dat or []:
        begin = next((v for k, v in row.items()
                      if k.replace("_", "").replace(" ", "").upper() in ("BEGBATES", "BEGDOC",
                                                                         "BEGNO")), None)
        if begin:
            by_begin[begin] = row
    for doc in docs:
        doc.fields = by_begin.get(doc.begin, {})
    return docs


def image_path(page: OptPage, load_file: Path) -> Path:
    """Where a page image is, resolving the (often Windows) path against the load file's
    folder, and the volume folder when the path alone does not exist.
    """
    parts = PureWindowsPath(page.image).parts
    relative = Path(*[p for p in parts if p not in ("\\", "/") and not p.endswith(":\\")])
    base = load_file.parent
    for candidate in (base / relative, base / page.volume / relative, base.parent / relative):
        if candidate.exists():
            return candidate
    return base / relative
