"""What a printed email, mailbox listing or text attachment says: (fields, body) to lay out."""

from __future__ import annotations

import re
from collections.abc import Iterable

from archive.formats.emails.charsets import clean_text
from archive.formats.emails.message import ParsedMessage

Printout = tuple[list[tuple[str, str]], str]  # labelled fields, then the body


def message_printout(message: ParsedMessage) -> Printout:
    """An email as Outlook prints it: From, Sent, To, Cc, Subject, Attachments, then the body."""
    return message.header_lines(), tidy(message.body)


def mailbox_printout(name: str, entries: Iterable[tuple[int, str, str, str]]) -> Printout:
    """A mailbox's table of contents: one line per message (number, date, sender, subject)."""
    lines = [f"{number:>5}. {date}\n       From: {sender}\n       Subject: {subject}"
             for number, date, sender, subject in entries]
    fields = [("Mailbox", name), ("Messages", str(len(lines)))]
    return fields, "\n".join(lines)


def text_printout(name: str, text: str) -> Printout:
    """A text file attached to an email, under its name."""
    return [("Attachment", name)], tidy(text)


def tidy(text: str) -> str:
    """Body text as laid out: no trailing spaces, at most one blank line in a row."""
    lines = [line.rstrip() for line in clean_text(text).expandtabs(8).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
