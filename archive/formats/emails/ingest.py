"""Run in a worker: open an email, mbox or text attachment, print it to PDF, stage its files.

Emails are untrusted input parsed by complex code; like PDFs they are opened only in the
worker processes, where a crash, a hang or a memory blow-up fails one file and nothing else.
Workers write only derived files: the printed PDF under index/derived/ and the attachments
under the cache's staging folder, which the supervisor stores as originals.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from archive import storage
from archive.config import Settings
from archive.formats.emails import charsets, mbox, render
from archive.formats.emails.htmltext import html_to_text
from archive.formats.emails.message import Attachment, ParsedMessage
from archive.formats.emails.msg import parse_msg
from archive.formats.emails.parse import parse_bytes
from archive.ingest.sniff import sniff
from archive.models import ChildFile, DocumentProbe
from archive.read import extract

MAX_ATTACHMENTS = 5000  # per message; more are reported, not added
_UNTYPED = ("application/octet-stream", "application/txt", "application/text")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_TEXT_SUFFIXES = (".txt", ".text", ".csv", ".tsv", ".log", ".htm", ".html", ".xml", ".json",
                  ".ics", ".vcf", ".md")


def read_message(path: Path) -> ParsedMessage:
    """Parse an .eml (or mbox member) or an Outlook .msg, whatever its name says."""
    with path.open("rb") as fh:
        is_ole = fh.read(8) == _OLE
    return parse_msg(path) if is_ole else parse_bytes(path.read_bytes())


def probe(path: Path, kind: str, doc_id: str, settings: Settings,
          hints: dict[str, Any]) -> DocumentProbe:
    """Print a document to its derived PDF and stage the files inside it.

    Args:
        path: the original (an email, an mbox, or a text attachment).
        kind: "email", "mbox" or "text".
        doc_id: the document's id, which names its derived PDF and staging folder.
        settings: the archive's settings.
        hints: for text attachments, {"charset", "html"} from the message that carried them.
    """
    dest = storage.derived_pdf(settings, doc_id)
    staging = storage.staging_dir(settings, doc_id)
    shutil.rmtree(staging, ignore_errors=True)
    result = DocumentProbe(page_count=0, meta={"rendered": storage.home_relative(settings, dest)})
    if kind == "mbox":
        fields, body = _mailbox(path, staging, result)
        # a listing of many messages is no one message: printed-header detection must not
        # take the first entry's From/Subject for the page's own
        result.meta.update({"email": None, "record_date": None})
    elif kind == "text":
        fields, body = render.text_printout(path.name, _text_file(path, hints))
        result.meta["hints"] = hints
    else:
        message = read_message(path)
        fields, body = render.message_printout(message)
        result.meta.update(message.annotations())
        result.warnings.extend(message.warnings)
        _stage(message.attachments, staging, result)
    result.page_count = extract.text_to_pdf(dest, fields, body, settings.max_pages)
    return result


def render_again(settings: Settings, path: Path, kind: str, dest: Path,
                 hints: dict[str, Any]) -> int:
    """Print a document to `dest` again (its derived PDF went missing); return the pages."""
    if kind == "mbox":
        entries = [(m.number, m.date, m.sender, m.subject) for m in mbox.split(path)]
        fields, body = render.mailbox_printout(path.name, entries)
    elif kind == "text":
        fields, body = render.text_printout(path.name, _text_file(path, hints))
    else:
        fields, body = render.message_printout(read_message(path))
    return extract.text_to_pdf(dest, fields, body, settings.max_pages)


def _mailbox(path: Path, staging: Path, result: DocumentProbe) -> render.Printout:
    entries = []
    staging.mkdir(parents=True, exist_ok=True)
    for message in mbox.split(path):
        staged = staging / f"{message.number:06d}"
        staged.write_bytes(message.data)
        title = f"{path.stem} #{message.number}: {message.subject or '(no subject)'}"[:200]
        result.children.append(ChildFile(name=f"{message.number}.eml", staged=staged,
                                         kind="email", content_type="message/rfc822",
                                         title=title))
        entries.append((message.number, message.date, message.sender, message.subject))
    if not entries:
        result.warnings.append("the mailbox holds no messages")
    return render.mailbox_printout(path.name, entries)


def _stage(attachments: list[Attachment], staging: Path, result: DocumentProbe) -> None:
    if len(attachments) > MAX_ATTACHMENTS:
        result.warnings.append(f"{len(attachments)} attachments: only the first "
                               f"{MAX_ATTACHMENTS} were added; extract the rest by hand")
        attachments = attachments[:MAX_ATTACHMENTS]
    if attachments:
        staging.mkdir(parents=True, exist_ok=True)
    for number, attachment in enumerate(attachments, 1):
        staged = staging / f"{number:06d}"
        staged.write_bytes(attachment.data)
        kind, reason, hints = _classify(attachment, staged)
        result.children.append(ChildFile(name=attachment.name, staged=staged, kind=kind,
                                         content_type=attachment.content_type,
                                         reason=reason, hints=hints))


def _classify(attachment: Attachment, staged: Path) -> tuple[str, str, dict[str, Any]]:
    """(kind, reason if unsupported, hints) of an attachment, from its bytes first."""
    if not attachment.data:
        return "unsupported", "is empty (the message carries no bytes for it)", {}
    if attachment.is_message:
        return "email", "", {}
    kind, description = sniff(staged)
    name = attachment.name.lower()
    if kind in ("pdf", "image", "mbox") or (kind == "email" and name.endswith((".eml", ".msg"))):
        return kind, "", {}
    ctype = attachment.content_type
    is_html = ctype == "text/html" or name.endswith((".htm", ".html"))
    textual = description in ("a plain text file", "an HTML page") or kind == "email"
    if ctype.startswith("text/") or (textual and (
            name.endswith(_TEXT_SUFFIXES) or ctype in _UNTYPED or "." not in name)):
        return "text", "", {"charset": attachment.charset, "html": is_html}
    advice = "unpack it and add its files" if kind == "zip" else \
        "convert it to PDF and add it again"
    return "unsupported", f"is {description} (sent as {ctype}); {advice}", {}


def _text_file(path: Path, hints: dict[str, Any]) -> str:
    text = charsets.decode_bytes(path.read_bytes(), hints.get("charset"))
    return html_to_text(text) if hints.get("html") else text
