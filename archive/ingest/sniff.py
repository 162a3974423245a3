"""What a file really is, from its first bytes, whatever its name says."""

from __future__ import annotations

import re
from pathlib import Path

# (magic bytes at offset 0, kind, description)
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

SIDECAR_NAMES = {"production.toml", "thumbs.db", "desktop.ini"}
UNPACKED_SUFFIXES = (".attachments", ".messages")  # see archive.ingest.children
SIDECAR_SUFFIXES = {".md", ".py", ".toml", ".dat", ".opt", ".lst", ".lfp"}


def sniff(path: Path) -> tuple[str, str]:
    """(kind, description) of a file: kind is pdf, image, zip, email, mbox, or unsupported.

    `.msg` Outlook files are OLE containers: an OLE file named `.msg` is an email.
    """
    with path.open("rb") as fh:
        head = fh.read(2048)
    if not head:
        return "unsupported", "an empty file"
    if b"%PDF-" in head[:1024]:
        return "pdf", "a PDF"
    for magic, kind, description in _MAGIC:
        if head.startswith(magic):
            if kind == "zip" and path.suffix.lower() in _OFFICE_ZIPS:
                return "unsupported", _OFFICE_ZIPS[path.suffix.lower()]
            if kind == "ole":
                if path.suffix.lower() == ".msg":
                    return "email", "an Outlook message"
                return "unsupported", "a Word or other Office (OLE) document"
            if kind == "mbox" and path.suffix.lower() == ".eml":
                return "email", "an email message"  # saved with its mbox `From ` line
            return kind, description
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
