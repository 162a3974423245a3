"""Safe file names for attachments: whatever the sender wrote, one harmless path component."""

from __future__ import annotations

import mimetypes
import re
import unicodedata

MAX_NAME_CHARS = 120
_RESERVED = re.compile(r'[<>:"|?*\\/]')
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_WINDOWS_DEVICES = {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)),
                    *(f"lpt{n}" for n in range(10))}
_EXTENSIONS = {"message/rfc822": ".eml", "text/plain": ".txt", "text/html": ".html",
               "application/octet-stream": ".bin", "image/jpeg": ".jpg"}


def safe_name(name: str | None, content_type: str = "", number: int = 1) -> str:
    """One path component that cannot escape a folder, hide, or break a file system.

    Only the last component of the name the sender gave is kept (`../../etc/passwd` and
    `C:\\x\\report.pdf` become `passwd` and `report.pdf`); control and bidi-override
    characters are dropped, leading dots and spaces stripped, long names shortened keeping
    the extension, and an empty name becomes `attachment-<number>` with an extension guessed
    from the content type.

    Args:
        name: the file name from the message, possibly hostile or absent.
        content_type: the part's MIME type, for an extension when the name has none.
        number: the attachment's position in the message, for names that end up empty.
    """
    text = unicodedata.normalize("NFC", name or "")
    text = _CONTROL.sub("", text).replace("\\", "/")
    text = text.rstrip("/ ").rsplit("/", 1)[-1]
    text = _RESERVED.sub("_", text)
    text = " ".join(text.split()).lstrip(". ").rstrip(". ")
    stem, dot, suffix = text.rpartition(".")
    if not dot:
        stem, suffix = text, ""
    if stem.lower() in _WINDOWS_DEVICES:
        stem = f"_{stem}"
    if not stem:
        stem = f"attachment-{number}"
        if not suffix:
            suffix = _guess_suffix(content_type).lstrip(".")
    suffix = suffix[:16]
    room = MAX_NAME_CHARS - len(suffix) - 1
    stem = _truncate_utf8(stem, room)
    return f"{stem}.{suffix}" if suffix else stem


def _guess_suffix(content_type: str) -> str:
    ctype = content_type.split(";")[0].strip().lower()
    return _EXTENSIONS.get(ctype) or mimetypes.guess_extension(ctype) or ""


def _truncate_utf8(text: str, chars: int) -> str:
    """At most `chars` characters and 200 UTF-8 bytes (file systems count bytes)."""
    text = text[:chars]
    while len(text.encode("utf-8")) > 200:
        text = text[:-1]
    return text
