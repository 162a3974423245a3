"""A parsed email, whatever format it came in: headers, body text, attachments; no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class Attachment:
    """One attached file (or nested message) with a safe name and its decoded bytes."""

    name: str  # safe: one path component (see names.safe_name)
    data: bytes
    content_type: str  # lower case, without parameters
    charset: str | None = None  # for text attachments
    is_message: bool = False  # a nested email (message/rfc822, an embedded .msg)


@dataclass(slots=True)
class ParsedMessage:
    """What the archive keeps of one message: the headers people search, the text, the files.

    Header values are decoded text ("" when absent); `date` is the sent date when it could
    be read, else the date Outlook created the item, else None.
    """

    sender: str = ""
    to: str = ""
    cc: str = ""
    bcc: str = ""
    subject: str = ""
    date_text: str = ""  # as written in the message
    date: datetime | None = None
    body: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def annotations(self) -> dict[str, Any]:
        """The page annotations of every page of the message (see index.page_fields)."""
        day = self.date.date().isoformat() if self.date else None
        email = {"from": self.sender, "to": self.to, "cc": self.cc, "subject": self.subject,
                 "date": day}
        return {"email": email, "record_date": day}

    def header_lines(self) -> list[tuple[str, str]]:
        """(label, value) pairs printed above the body, in Outlook's order."""
        when = self.date_text
        if self.date is not None and not when:
            when = self.date.strftime("%a, %d %b %Y %H:%M:%S %z").strip()
        lines = [("From", self.sender), ("Sent", when), ("To", self.to), ("Cc", self.cc),
                 ("Bcc", self.bcc), ("Subject", self.subject)]
        if self.attachments:
            lines.append(("Attachments", "; ".join(a.name for a in self.attachments)))
        return [(label, value) for label, value in lines if value or label == "Subject"]
