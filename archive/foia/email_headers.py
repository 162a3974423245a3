"""Printed email headers in page text: From / Sent / To / Cc / Subject / Date blocks.

Covers Outlook's print layout (`From:` `Sent:` `To:` `Cc:` `Subject:` one per line, the
label sometimes on its own line when OCR reads a table column by column), Exchange
exports (`Date: 2024/03/21 08:01:11`), Outlook's Chinese labels, and Gmail's print layout
(`Name <addr>   Tue, Mar 21, 2017 at 10:47 AM` then `To:`). The first block on the page is
the one returned: on a printed thread that is the message the page belongs to.
"""

from __future__ import annotations

import re
from typing import Any

from archive.foia import dates

FIELDS = ("from", "to", "cc", "subject", "date")
_LABELS = {
    "from": "from", "sender": "from", "发件人": "from",
    "sent": "date", "date": "date", "sent date": "date", "发送时间": "date", "日期": "date",
    "to": "to", "收件人": "to",
    "cc": "cc", "ce": "cc", "抄送": "cc",
    "bcc": "bcc",
    "subject": "subject", "subj": "subject", "主题": "subject",
    # other header lines: they end a wrapped To/Cc value but are not kept
    "priority": None, "importance": None, "type": None, "attachments": None,
    "sensitivity": None, "categories": None, "reply-to": None, "附件": None,
}
_HEADER = re.compile(
    r"^\s*[^\w\s]{0,2}\s*(from|sender|sent date|sent|date|to|cc|ce|bcc|subject|subj|"
    r"priority|importance|type|attachments|sensitivity|categories|reply-to|"
    r"发件人|发送时间|日期|收件人|抄送|主题|附件)\s?[:;：]\s?(.*)$",
    re.IGNORECASE,
)
_GMAIL_SENDER = re.compile(
    r"^(?P<who>.*<[^<>@\s]+@[^<>\s]+>)\s+(?P<when>\w{3},?\s.*\d{4}\s+at\s+\d{1,2}:\d\d.*)$"
)
_MAX_GAP = 5  # non-header lines a block may skip (wrapped values, OCR debris)


def find(text: str) -> dict[str, Any] | None:
    """The first email header block on the page as {from, to, cc, subject, date}, or None.

    `date` is ISO `YYYY-MM-DD` when the Sent/Date line can be read, else None; other values
    are the text as printed, whitespace squeezed ("" when absent).
    """
    lines = text.splitlines()
    return _outlook(lines) or _gmail(lines)


def _outlook(lines: list[str]) -> dict[str, Any] | None:
    block: dict[str, str] = {}
    raw_date = ""
    gap = 0
    current: str | None = None
    for line in lines:
        match = _HEADER.match(line)
        if match is None:
            if not line.strip():
                continue
            gap += 1
            if current in ("to", "cc") and gap <= 2 and block:
                block[current] = f"{block[current]} {line.strip()}".strip()
            if gap > _MAX_GAP and block:
                if _complete(block):
                    break
                block, raw_date, current = {}, "", None
            continue
        field = _LABELS.get(match.group(1).lower())
        value = _clean(match.group(2))
        if field is None:
            current = None
            continue
        if field in block and block.get(field) and _complete(block):
            break  # the next message's header starts
        gap = 0
        current = field
        if field == "date":
            raw_date = raw_date or value
        block.setdefault(field, value)
        if not block[field]:
            block[field] = value
    if not _complete(block):
        return None
    return _result(block, raw_date)


def _complete(block: dict[str, str]) -> bool:
    """A Sent/Date line with two of From, To, Subject: a memo's TO/FROM/SUBJECT without a
    sent date is not an email.
    """
    return "date" in block and sum(1 for f in ("from", "to", "subject") if f in block) >= 2


def _gmail(lines: list[str]) -> dict[str, Any] | None:
    for i, line in enumerate(lines):
        match = _GMAIL_SENDER.match(line.strip())
        if not match:
            continue
        block = {"from": _clean(match.group("who"))}
        for follow in lines[i + 1:i + 6]:
            header = _HEADER.match(follow)
            if header and _LABELS.get(header.group(1).lower()) in ("to", "cc"):
                block.setdefault(str(_LABELS[header.group(1).lower()]), _clean(header.group(2)))
        subject = [s.strip() for s in lines[max(0, i - 4):i] if s.strip()
                   and not re.fullmatch(r"\d+ messages?", s.strip())
                   and not s.strip().lower().startswith("gmail")]
        block["subject"] = subject[-1] if subject else ""
        return _result(block, match.group("when"))
    return None


def _result(block: dict[str, str], raw_date: str) -> dict[str, Any]:
    out: dict[str, Any] = {f: block.get(f, "") for f in FIELDS if f != "date"}
    out["date"] = dates.parse(raw_date) if raw_date else None
    return out


def _clean(value: str) -> str:
    value = re.sub(r"\s+", " ", value).strip(" |")
    return value[:500]
