"""What a file really is, from its first bytes, whatever its name says."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import BinaryIO

# (magic bytes at offset 0, kind, description); checked before looking for a PDF header,
# which may follow some junk: a stored zip of PDFs shows `%PDF-` in its first KB too.
_MAGIC: list[tuple[bytes, str, str]] = [
    (b"PK\x03\x04", "zip", "a zip archive"),
    (b"PK\x05\x06", "zip", "an empty zip archive"),
    (b"\x89PNG\r\n\x1a\n", "image", "a PNG image"),
    (b"\xff\xd8\xff", "image", "a JPEG image"),
    (b"II*\x00", "image", "a TIFF image"),
    (b"MM\x00*", "image", "a TIFF image"),
    (b"GIF8", "image", "a GIF image"),
    (b"BM", "image", "a BMP image"),
    (b"\x00\x00\x00\x0cjP  ", "image", "a JPEG 2000 image"),
    (b"{\\rtf", "unsupported", "an RTF document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole", "an Office (OLE) file"),
    (b"Rar!", "unsupported", "a RAR archive"),
    (b"7z\xbc\xaf", "unsupported", "a 7-Zip archive"),
    (b"\x1f\x8b", "unsupported", "a gzip file"),
    (b"From ", "mbox", "an mbox mailbox"),
]

_EMAIL_HEADERS = (b"received:", b"from:", b"return-path:", b"message-id:", b"mime-version:",
                  b"date:", b"subject:", b"to:", b"delivered-to:", b"x-")

_OFFICE_ZIPS = {
    ".docx": "a Word document", ".xlsx": "an Excel spreadsheet",
    ".pptx": "a PowerPoint presentation", ".odt": "an OpenDocument text",
    ".ods": "an OpenDocument spreadsheet", ".epub": "an e-book",
}

_HEAD = 2048
_PDF_HEADER = re.compile(rb"%PDF-\d\.\d")
_PDF_HEADER_WITHIN = 1024
_PDF_OBJECT = re.compile(rb"\d+\s+\d+\s+obj\b")
_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_ZIP64_LOCATOR_SIZE = 20

SIDECAR_NAMES = {"production.toml", "thumbs.db", "desktop.ini"}
UNPACKED_SUFFIXES = (".attachments", ".messages")  # see archive.ingest.children
SIDECAR_SUFFIXES = {".md", ".py", ".toml", ".dat", ".opt", ".lst", ".lfp"}


def sniff(path: Path) -> tuple[str, str]:
    """(kind, description) of a file: kind is pdf, image, zip, email, mbox, damaged (a PDF
    header and nothing of a PDF after it) or unsupported.

    `.msg` Outlook files are OLE containers: an OLE file named `.msg` is an email.
    """
    with path.open("rb") as fh:
        head = fh.read(_HEAD)
        zip_at_end = bool(head) and _zip_directory_at_end(fh)
        pdf_ends = bool(head) and b"startxref" in _tail(fh, 2048)
    if not head:
        return "unsupported", "an empty file"
    for magic, kind, description in _MAGIC:
        if head.startswith(magic):
            return _magic_kind(path, kind, description)
    if zip_at_end:  # a zip after some leading bytes (a self-extracting or prefixed zip)
        return _magic_kind(path, "zip", "a zip archive")
    if _is_pdf(head, pdf_ends):
        return "pdf", "a PDF"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"%PDF-"):
        return "damaged", "a damaged PDF: no PDF object follows its header"
    if re.search(rb"\d+\s+\d+\s+obj\b", head) and b"<<" in head:
        return "pdf", "a PDF without its header"  # MuPDF repairs these
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "unsupported", "an HTML page"
    if path.suffix.lower() in (".eml", ".mbox") or lowered.startswith(_EMAIL_HEADERS):
        if path.suffix.lower() == ".mbox":
            return "mbox", "an mbox mailbox"
        if b":" in head.split(b"\n", 1)[0]:
            return "email", "an email message"
    if _looks_textual(head):
        return "unsupported", "a plain text file"
    return "unsupported", "an unrecognised binary file"


def _magic_kind(path: Path, kind: str, description: str) -> tuple[str, str]:
    """The kind a signature says, told apart by the file's name where the signature is
    shared (Office files are zips, Outlook messages OLE files, an `.eml` may start `From `)."""
    suffix = path.suffix.lower()
    if kind == "zip" and suffix in _OFFICE_ZIPS:
        return "unsupported", _OFFICE_ZIPS[suffix]
    if kind == "ole":
        if suffix == ".msg":
            return "email", "an Outlook message"
        return "unsupported", "a Word or other Office (OLE) document"
    if kind == "mbox" and suffix == ".eml":
        return "email", "an email message"  # saved with its mbox `From ` line
    return kind, description


def _is_pdf(head: bytes, ends_like_pdf: bool) -> bool:
    """A PDF header in the first 1024 bytes (the leading junk readers tolerate, as Acrobat
    does), followed by PDF structure: an object, or a cross-reference at the end.

    `%PDF-` alone is not enough: a text file may quote it, a zip of PDFs holds it.
    """
    header = _PDF_HEADER.search(head[:_PDF_HEADER_WITHIN + 8])
    if header is None or header.start() >= _PDF_HEADER_WITHIN:
        return False
    return ends_like_pdf or _PDF_OBJECT.search(head, header.end()) is not None


def _tail(fh: BinaryIO, size: int) -> bytes:
    fh.seek(0, io.SEEK_END)
    fh.seek(max(0, fh.tell() - size))
    return fh.read()


def _zip_directory_at_end(fh: BinaryIO) -> bool:
    """Whether the file ends with a zip's end-of-central-directory record (its comment
    running exactly to the end) that points at a central directory.

    Checked so that a zip with bytes before its first member is still opened as a zip,
    without taking a stray signature inside another file (a PDF's stream) for one.
    """
    tail = _tail(fh, _EOCD_SIZE + 0xFFFF + _ZIP64_LOCATOR_SIZE)
    start_of_tail = fh.tell() - len(tail)
    at = tail.rfind(_EOCD)
    while at >= 0:
        comment = int.from_bytes(tail[at + 20:at + 22], "little")
        if at + _EOCD_SIZE + comment == len(tail):
            entries = int.from_bytes(tail[at + 10:at + 12], "little")
            directory_size = int.from_bytes(tail[at + 12:at + 16], "little")
            if tail[max(0, at - _ZIP64_LOCATOR_SIZE):at].startswith(b"PK\x06\x07"):
                return True  # zip64: the real sizes are in the zip64 record
            if entries == 0 and directory_size == 0:
                return True  # an empty zip
            directory = start_of_tail + at - directory_size
            if directory >= 0:
                fh.seek(directory)
                return fh.read(4) == b"PK\x01\x02"
            return False
        at = tail.rfind(_EOCD, 0, at)
    return False


def is_sidecar(path: Path) -> bool:
    """Files that describe a production rather than belong to it (metadata, load files)."""
    name = path.name.lower()
    return name.startswith(".") or name in SIDECAR_NAMES or path.suffix.lower() in SIDECAR_SUFFIXES


def is_unpacked_member(path: Path) -> bool:
    """Whether `path` lies in a folder of files taken out of a sibling email or mbox
    (`x.eml` -> `x.attachments/`, `y.mbox` -> `y.messages/`).

    Adding a production folder again in place must not add those files a second time as
    documents of their own: they are added, and reported, through their container.
    """
    for folder in path.parents:
        if folder.suffix in UNPACKED_SUFFIXES and folder.parent.is_dir() and any(
                sibling.stem == folder.stem and sibling.is_file()
                for sibling in folder.parent.iterdir()):
            return True
    return False


def _looks_textual(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return sum(32 <= b < 127 or b in (9, 10, 13) for b in head) / len(head) > 0.95
    return b"\x00" not in head
