"""RFC 822 / MIME messages (.eml, mbox members) -> ParsedMessage, with the standard library.

The message is parsed with the `compat32` policy, which keeps every header value raw and
never raises on a malformed one; `charsets` then decodes each value and body itself.
(`policy.default` decodes RFC 2047 words on access and turns unknown charsets such as
`iso-8859-8-i` into escaped bytes, and raises on some malformed address headers.)
"""

from __future__ import annotations

import email
import io
import re
from datetime import datetime
from email import policy
from email.generator import BytesGenerator
from email.message import Message
from email.utils import parsedate_to_datetime
from typing import Any

from archive.formats.emails import charsets
from archive.formats.emails.htmltext import html_to_text
from archive.formats.emails.message import Attachment, ParsedMessage
from archive.formats.emails.names import safe_name

_NESTED = {"message/rfc822", "message/global", "message/news"}
_BODY_TYPES = {"text/plain", "text/html", "text/enriched"}


class _RawHeaders(type(policy.compat32)):  # type: ignore[misc]
    """compat32, but header values are returned exactly as parsed, 8-bit bytes and all.

    (compat32 itself turns a value holding 8-bit bytes into a Header that prints them as
    "?", losing a raw UTF-8 or Shift_JIS subject or file name.)
    """

    def header_fetch_parse(self, name: str, value: str) -> Any:
        return value


POLICY = _RawHeaders(max_line_length=None)
_BOUNDARY_LINE = re.compile(r"^--([^\s\"]{1,200}?)[ \t]*\r?$", re.MULTILINE)


def parse_bytes(data: bytes) -> ParsedMessage:
    """Parse one message from its bytes; damaged structure gives warnings, not errors."""
    msg = email.message_from_bytes(data, policy=POLICY)
    fallback = _first_charset(msg)
    out = ParsedMessage(
        sender=charsets.decode_header(msg.get("from") or msg.get("sender"), fallback),
        to=charsets.decode_header(_all(msg, "to"), fallback),
        cc=charsets.decode_header(_all(msg, "cc"), fallback),
        bcc=charsets.decode_header(_all(msg, "bcc"), fallback),
        subject=charsets.decode_header(msg.get("subject"), fallback),
        date_text=charsets.decode_header(msg.get("date"), fallback),
    )
    out.date = _date(out.date_text)
    if out.date_text and out.date is None:
        out.warnings.append(f"the Date header {out.date_text[:60]!r} could not be read")
    bodies: list[str] = []
    _walk(msg, bodies, out, fallback, body=True)
    out.body = "\n\n".join(b.strip("\n") for b in bodies if b.strip())
    defects = sorted({type(d).__name__ for part in msg.walk() for d in part.defects})
    if defects:
        out.warnings.append(f"damaged MIME structure ({', '.join(defects)}); read as far as "
                            "possible: check the original")
    return out


def _all(msg: Message, name: str) -> str:
    return ", ".join(str(v) for v in msg.get_all(name) or [])


def _first_charset(msg: Message) -> str | None:
    for part in msg.walk():
        charset = part.get_content_charset()
        if charset and charsets.codecs_for(charset):
            return charset
    return None


def _date(text: str) -> datetime | None:
    if not text:
        return None
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _walk(part: Message, bodies: list[str], out: ParsedMessage, fallback: str | None,
          body: bool) -> None:
    """Collect body text (when `body`) and attachments, depth first, in message order."""
    ctype = part.get_content_type()
    if ctype in _NESTED:
        _attach(part, out, fallback, nested=True)
    elif part.is_multipart() and ctype == "multipart/alternative":
        chosen = _best_alternative(part, fallback) if body else None
        for child in _subparts(part):
            _walk(child, bodies, out, fallback, body=child is chosen)
    elif part.is_multipart() and part.get_content_maintype() == "message":
        if body:  # delivery reports and the like: their text belongs to the body
            bodies.append(_report_text(part))
    elif part.is_multipart():
        for child in _subparts(part):
            _walk(child, bodies, out, fallback, body)
    elif part.get_content_maintype() == "multipart":  # its boundary was never found
        for child in _salvage(part):
            _walk(child, bodies, out, fallback, body)
    elif _is_body_text(part):
        if body:
            bodies.append(_text_of(part, fallback))
    else:
        _attach(part, out, fallback, nested=False)


def _subparts(part: Message) -> list[Message]:
    """A multipart's parts, plus parts a broken mailer wrote after its closing boundary."""
    payload = part.get_payload()
    if not isinstance(payload, list):
        return []
    parts = [p for p in payload if isinstance(p, Message)]
    boundary = part.get_boundary()
    epilogue = part.epilogue or ""
    if boundary and f"--{boundary}" in epilogue:
        parts.extend(_reparse(epilogue, boundary))
    return parts


def _salvage(part: Message) -> list[Message]:
    """The parts of a multipart whose declared boundary never occurs: use the one that does."""
    payload = part.get_payload()
    if not isinstance(payload, str):
        return []
    found = _BOUNDARY_LINE.search(payload)
    return _reparse(payload, found.group(1)) if found else []


def _reparse(text: str, boundary: str) -> list[Message]:
    head = f'Content-Type: multipart/mixed; boundary="{boundary}"\n\n'
    data = (head + text).encode("utf-8", "surrogateescape")
    wrapper = email.message_from_bytes(data, policy=POLICY)
    payload = wrapper.get_payload()
    return [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []


def _is_body_text(part: Message) -> bool:
    return (part.get_content_type() in _BODY_TYPES and _filename(part) is None
            and part.get_content_disposition() != "attachment")


def _best_alternative(part: Message, fallback: str | None) -> Message | None:
    """Plain text when it says anything, else the richest alternative (the last one)."""
    children = _subparts(part)
    for child in children:
        if child.get_content_type() == "text/plain" and _text_of(child, fallback).strip():
            return child
    return children[-1] if children else None


def _text_of(part: Message, fallback: str | None) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    text = charsets.decode_bytes(data, part.get_content_charset(), fallback)
    if part.get_content_type() == "text/html":
        text = html_to_text(text)
    return charsets.clean_text(text)


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except (LookupError, ValueError, TypeError):
        name = part.get_param("name")  # type: ignore[assignment]
    if name is None:
        return None
    return charsets.decode_header(str(name))


def _attach(part: Message, out: ParsedMessage, fallback: str | None, nested: bool) -> None:
    ctype = part.get_content_type()
    number = len(out.attachments) + 1
    name = _filename(part)
    if nested:
        inner = _subparts(part)
        if inner:
            try:
                data = _flatten(inner[0])
            except (LookupError, UnicodeError, ValueError, TypeError) as exc:
                out.warnings.append(f"attached message {number} could not be copied ({exc})")
                return
            subject = charsets.decode_header(inner[0].get("subject"), fallback)
        else:  # a message sent base64-encoded: its bytes are the payload
            raw = part.get_payload(decode=True)
            data, subject = (raw if isinstance(raw, bytes) else b""), ""
        if not name or not name.lower().endswith((".eml", ".msg")):
            name = f"{name or subject or f'message-{number}'}.eml"
        out.attachments.append(Attachment(safe_name(name, ctype, number), data, ctype,
                                          is_message=True))
        return
    raw = part.get_payload(decode=True)
    data = raw if isinstance(raw, bytes) else b""
    out.attachments.append(Attachment(safe_name(name, ctype, number), data, ctype,
                                      charset=part.get_content_charset() or fallback))


def _flatten(msg: Message) -> bytes:
    """A message's bytes as the parser saw them (header lines as sent, 8-bit bytes kept)."""
    buffer = io.BytesIO()
    BytesGenerator(buffer, mangle_from_=False, policy=POLICY).flatten(msg)
    return buffer.getvalue()


def _report_text(part: Message) -> str:
    """The text of a delivery report (message/delivery-status and kin)."""
    try:
        data = b"\n".join(_flatten(block) for block in _subparts(part))
        return charsets.clean_text(charsets.decode_bytes(data))
    except (LookupError, UnicodeError, ValueError, TypeError):
        return ""
