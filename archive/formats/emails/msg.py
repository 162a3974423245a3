"""Outlook .msg files -> ParsedMessage, with extract-msg (the only module importing it).

An old ("ANSI") .msg stores its strings in the sender's Windows code page and often does not
say which; extract-msg then assumes ISO-8859-15 and Japanese text comes out as mojibake. The
code page is taken from the message's locale (or its Internet code page) instead.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import extract_msg
from extract_msg.enums import AttachmentType
from extract_msg.exceptions import ExMsgBaseException

from archive.errors import DamagedDocumentError
from archive.formats.emails import charsets
from archive.formats.emails.htmltext import html_to_text
from archive.formats.emails.message import Attachment, ParsedMessage
from archive.formats.emails.names import safe_name

# Windows primary language ids -> ANSI code page (the low 10 bits of an LCID)
_LANGUAGE_CODEPAGE = {
    0x11: "cp932", 0x12: "cp949", 0x1E: "cp874", 0x2A: "cp1258", 0x08: "cp1253",
    0x1F: "cp1254", 0x0D: "cp1255", 0x01: "cp1256", 0x29: "cp1256", 0x20: "cp1256",
    **dict.fromkeys((0x19, 0x22, 0x02, 0x23, 0x2F, 0x3F, 0x40, 0x44, 0x50), "cp1251"),
    **dict.fromkeys((0x15, 0x05, 0x0E, 0x1B, 0x24, 0x1A, 0x18, 0x1C), "cp1250"),
    **dict.fromkeys((0x25, 0x26, 0x27), "cp1257"),
}
_CHINESE = {0x0804: "gbk", 0x1004: "gbk", 0x0404: "cp950", 0x0C04: "cp950", 0x1404: "cp950"}
# Internet code pages (PR_INTERNET_CPID) -> ANSI code page, when the locale is missing
_INTERNET_CODEPAGE = {
    50220: "cp932", 50221: "cp932", 50222: "cp932", 51932: "cp932", 932: "cp932",
    936: "gbk", 54936: "gbk", 52936: "gbk", 20936: "gbk", 950: "cp950",
    949: "cp949", 50225: "cp949", 51949: "cp949", 20866: "cp1251", 21866: "cp1251",
    28595: "cp1251", 28592: "cp1250", 28597: "cp1253", 28599: "cp1254", 28598: "cp1255",
    38598: "cp1255", 28596: "cp1256", 874: "cp874",
    **{cp: f"cp{cp}" for cp in range(1250, 1259)},
}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)


def parse_msg(path: Path) -> ParsedMessage:
    """Read an Outlook message (or other Outlook item) from a .msg file.

    Raises:
        DamagedDocumentError: the file is not a readable Outlook item.
    """
    logging.getLogger("extract_msg").setLevel(logging.ERROR)  # it logs every oddity
    msg = _open(path)
    try:
        return _read(msg)
    finally:
        msg.close()


def _open(path: Path) -> Any:
    try:
        msg = extract_msg.openMsg(str(path), strict=False)
        codepage = _ansi_codepage(msg)
        if codepage is None:
            return msg
        msg.close()
        return extract_msg.openMsg(str(path), strict=False, overrideEncoding=codepage)
    except (ExMsgBaseException, OSError, ValueError, KeyError, IndexError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DamagedDocumentError(f"cannot be read as an Outlook message ({first}); ask the "
                                   "agency for a new copy or an export as .eml") from exc


def _ansi_codepage(msg: Any) -> str | None:
    """The code page of an ANSI .msg that does not name one (None when it does, or is Unicode)."""
    if msg.areStringsUnicode or "3FFD0003" in msg.props:
        return None
    locale = msg.getPropertyVal("3FF10003") or 0
    language = locale & 0x3FF
    if language == 0x04:
        return _CHINESE.get(locale & 0xFFFF, "gbk")
    if language in _LANGUAGE_CODEPAGE:
        return _LANGUAGE_CODEPAGE[language]
    return _INTERNET_CODEPAGE.get(msg.getPropertyVal("3FDE0003") or 0, "cp1252" if locale
                                  else None)


def _value(msg: Any, name: str) -> Any:
    """A property of the item, or None when it is absent or cannot be decoded."""
    try:
        return getattr(msg, name, None)
    except (ExMsgBaseException, ValueError, KeyError, TypeError, UnicodeError) as exc:
        logging.getLogger(__name__).debug("msg property %s unreadable: %s", name, exc)
        return None


def _read(msg: Any) -> ParsedMessage:
    out = ParsedMessage(
        sender=_text(_value(msg, "sender")), to=_text(_value(msg, "to")),
        cc=_text(_value(msg, "cc")), bcc=_text(_value(msg, "bcc")),
        subject=_text(_value(msg, "subject")),
    )
    sent = _value(msg, "date") or _value(msg, "receivedTime")
    if isinstance(sent, datetime):
        out.date = sent
    else:
        created = msg.getPropertyVal("30070040")
        if isinstance(created, datetime):
            out.date = created
            out.date_text = created.strftime("%a, %d %b %Y %H:%M:%S %z") + " (created; not sent)"
    out.body = _body(msg)
    for number, attachment in enumerate(_value(msg, "attachments") or [], 1):
        _attach(attachment, number, out)
    return out


def _text(value: Any) -> str:
    return charsets.decode_header(str(value)) if value else ""


def _body(msg: Any) -> str:
    plain = _value(msg, "body")
    if isinstance(plain, str) and plain.strip():
        return charsets.clean_text(plain).strip()
    html = _value(msg, "htmlBody")
    if isinstance(html, bytes) and html.strip():
        found = _META_CHARSET.search(html[:4096])
        declared = found.group(1).decode("ascii", "replace") if found else None
        return charsets.clean_text(html_to_text(charsets.decode_bytes(html, declared))).strip()
    return ""


def _attach(attachment: Any, number: int, out: ParsedMessage) -> None:
    kind = getattr(attachment, "type", AttachmentType.UNKNOWN)
    name = (_value(attachment, "longFilename") or _value(attachment, "shortFilename")
            or _value(attachment, "name") or _value(attachment, "displayName"))
    ctype = (_value(attachment, "mimetype") or "application/octet-stream").lower()
    data = _value(attachment, "data")
    if kind in (AttachmentType.MSG, AttachmentType.SIGNED_EMBEDDED) and data is not None:
        try:
            raw = data.exportBytes()
        except (ExMsgBaseException, OSError, ValueError, TypeError) as exc:
            out.warnings.append(f"embedded message {number} ({name}) could not be copied "
                                f"({exc})")
            return
        subject = _text(_value(data, "subject"))
        label = str(name or subject or f"message-{number}")
        if not label.lower().endswith(".msg"):
            label += ".msg"
        out.attachments.append(Attachment(safe_name(label, ctype, number), raw,
                                          "application/vnd.ms-outlook", is_message=True))
    elif isinstance(data, bytes):
        out.attachments.append(Attachment(safe_name(str(name or ""), ctype, number), data,
                                          ctype))
    else:
        out.warnings.append(f"attachment {number} ({name or 'unnamed'}) is a "
                            f"{AttachmentType(kind).name.lower()} attachment the archive "
                            "cannot extract; open the original in Outlook")
