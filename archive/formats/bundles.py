"""Documents that a litigation load file defines: page images bound into one document.

A production delivered with an Opticon `.opt` (and a Concordance `.dat`) says where each
document starts, the Bates number of every page and the document's fields (custodian, dates,
email headers, family). Each such document becomes one archive document:

- its identity is a hash of its page images' hashes and Bates numbers (adding the same
  production again changes nothing);
- a worker binds its images into `index/derived/<doc_id>.pdf`, which is read (OCR'd) and
  shown like any PDF; the images stay as released under scans/, and the first one is the
  document's `path`;
- every page carries the Bates number the load file gives it, which wins over one found on
  the page; the .dat's fields are the document's metadata (`fields`), its email fields fill
  `from:`/`to:`/`subject:` and its family links an attachment to its parent email.

The load-file facts travel as the document's `hints` (JSON), kept in its meta so the derived
PDF can be made again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from archive import storage
from archive.config import Settings
from archive.errors import DocumentError, TooLargeError
from archive.foia import bates, dates
from archive.formats.loadfiles import LoadDocument, field_value
from archive.ingest.sniff import sniff
from archive.models import DocumentProbe, SourceFile
from archive.read import extract

KIND = "loadfile"
_COUNTER = re.compile(r"(.*?)(\d+)")
_EMAIL_FIELDS = {
    "from": ("FROM", "EMAILFROM", "SENDER", "EMAILAUTHOR"),  # not AUTHOR: a memo's writer
    "to": ("TO", "EMAILTO", "RECIPIENT", "RECIPIENTS"),
    "cc": ("CC", "EMAILCC"),
    "subject": ("SUBJECT", "EMAILSUBJECT"),
    "date": ("DATESENT", "SENTDATE", "EMAILSENTDATE", "DATETIMESENT", "SENTON"),
}
_TITLE = ("SUBJECT", "EMAILSUBJECT", "TITLE", "DOCTITLE", "FILENAME", "ORIGINALFILENAME",
          "FILENAMEORIGINAL")
_DATE = ("DATESENT", "SENTDATE", "EMAILSENTDATE", "DOCDATE", "DATE", "DATECREATED",
         "CREATEDDATE", "DATERECEIVED")  # not the file system's modified dates


def source(doc: LoadDocument, images: list[Path], sizes: list[int], hashes: list[str],
           given: Path) -> SourceFile:
    """The archive document for a load-file document whose page images are stored.

    Args:
        doc: the document as the load files describe it.
        images: its page images as stored under scans/, each once (a multi-page TIFF may
            hold several of its pages).
        sizes: their sizes in bytes.
        hashes: their sha256 digests.
        given: how the report names it: the load file as given, and the Bates range.
    """
    digest = hashlib.sha256(b"archive-loadfile-v1\n")
    for page in doc.pages:
        digest.update(f"{page.bates}\n".encode())
    for sha in hashes:
        digest.update(f"{sha}\n".encode())
    return SourceFile(path=images[0], given=given, sha256=digest.hexdigest(),
                      size=sum(sizes), kind=KIND)


def hints(settings: Settings, load_file: Path, doc: LoadDocument, images: list[Path],
          native: Path | None) -> dict[str, Any]:
    """What the worker and the catalog need of a load-file document (JSON values only).

    Args:
        settings: the archive's settings.
        load_file: the .opt (or .dat) as stored under scans/.
        doc: the document as the load files describe it.
        images: its page images as stored under scans/ (none for a native-only document).
        native: its native file as stored, if any.
    """
    return {
        "load_file": storage.home_relative(settings, load_file),
        "images": [storage.home_relative(settings, p) for p in images],
        "bates": [page.bates for page in doc.pages],
        "bates_range": [doc.begin, doc.end],
        "fields": doc.fields,
        "family": doc.family,
        "native": storage.home_relative(settings, native) if native else None,
        "title": title(doc),
    }


def title(doc: LoadDocument) -> str:
    """The subject, title or file name the .dat gives, else the Bates range."""
    named = field_value(doc.fields, _TITLE)
    return f"{named} ({span(doc)})"[:300] if named else span(doc)


def span(doc: LoadDocument) -> str:
    """The document's Bates range, `ABC0000001–ABC0000002` (one number for one page)."""
    return doc.begin if doc.end == doc.begin else f"{doc.begin}\u2013{doc.end}"


def document_meta(given: dict[str, Any]) -> dict[str, Any]:
    """The document's metadata from its load file: fields, Bates range, load file, native."""
    return {key: given[key] for key in ("fields", "bates_range", "load_file", "native", "family")
            if given.get(key)}


def native_annotations(given: dict[str, Any]) -> dict[str, Any]:
    """The page annotations every page of the document shares: the .dat's email fields and
    record date (these win over what is detected on the page)."""
    fields = given.get("fields") or {}
    email = {name: field_value(fields, names) for name, names in _EMAIL_FIELDS.items()}
    notes: dict[str, Any] = {}
    if email["date"]:
        email["date"] = dates.parse(email["date"]) or email["date"]
    if email["from"] or email["to"]:
        notes["email"] = {k: v or None for k, v in email.items()}
    record_date = field_value(fields, _DATE)
    parsed = dates.parse(record_date) if record_date else None
    if parsed:
        notes["record_date"] = parsed
    return notes


def page_bates(given: dict[str, Any], page_no: int, page_count: int) -> dict[str, Any]:
    """The Bates annotations of one page: from the .opt, or counted through the .dat's
    BEGBATES-ENDBATES range when it spans exactly the document's pages, or counted on from
    the document's first number when its .opt gives one line for a multi-page image."""
    numbers = list(given.get("bates") or [])
    if not numbers and given.get("bates_range"):
        begin, end = given["bates_range"]
        numbers = _count_through(begin, end, page_count)
    elif len(numbers) == 1 < page_count:
        numbers = _count_on(numbers[0], page_count)
    if len(numbers) != page_count or not 1 <= page_no <= page_count:
        return {}
    printed = numbers[page_no - 1]
    parsed = bates.parse(printed)
    keys = parsed.keys if parsed else [bates.normalize(printed)]
    return {"bates": printed, "bates_keys": keys}


def _count_on(begin: str, pages: int) -> list[str]:
    """`ABC0001`, `ABC0002`, ... for `pages` pages; [] when `begin` ends in no digits."""
    first = _COUNTER.fullmatch(begin)
    if not first:
        return []
    prefix, digits = first.group(1), first.group(2)
    return [f"{prefix}{n:0{len(digits)}d}" for n in range(int(digits), int(digits) + pages)]


def _count_through(begin: str, end: str, pages: int) -> list[str]:
    """`ABC0001`..`ABC0003` for 3 pages; [] when the range does not fit the page count."""
    numbers = _count_on(begin, pages)
    return numbers if numbers and numbers[-1] == end else []


def image_paths(given: dict[str, Any], settings: Settings) -> list[Path]:
    """The document's page images as stored under scans/, each checked to be an image.

    Raises:
        DocumentError: naming a page image that is something else.
    """
    images = [settings.home / p for p in given.get("images") or []]
    for image in images:
        kind, description = sniff(image)
        if kind != "image":
            raise DocumentError(f"lists {image.name} as a page image, but it is {description}; "
                                "replace it with the image the producing party sent")
    return images


def probe(doc_id: str, given: dict[str, Any], settings: Settings,
          check_pixels: Callable[[Path, Settings], None]) -> DocumentProbe:
    """Run in a worker: bind the page images into the derived PDF, each image first checked
    by `check_pixels` (the worker's limit on an image's size)."""
    images = image_paths(given, settings)
    for image in images:
        try:
            check_pixels(image, settings)
        except TooLargeError as exc:
            raise TooLargeError(f"has a page image, {image.name}, that {exc.message}") from exc
    dest = storage.derived_pdf(settings, doc_id)
    try:
        pages = extract.images_to_pdf(dest, images, settings)
    except DocumentError as exc:
        raise type(exc)(f"has a page image that cannot be used: {exc.message}") from exc
    result = DocumentProbe(page_count=pages, meta={
        "rendered": storage.home_relative(settings, dest), "hints": given})
    if not page_bates(given, 1, pages):
        result.warnings.append(f"its page images hold {pages} pages, but the load file "
                               f"numbers {len(given.get('bates') or [])}; the pages were "
                               "added without the load file's Bates numbers")
    return result


def bind_again(settings: Settings, dest: Path, given: dict[str, Any]) -> int:
    """Bind the page images into `dest` again (the derived PDF went missing)."""
    return extract.images_to_pdf(dest, image_paths(given, settings), settings)
