"""Split an mbox mailbox into its messages, streaming, without loading the mailbox whole.

A message starts at a `From ` line that follows a blank line (or opens the file) and carries
a time, as every mbox writer puts one there (`From sender Sat Nov 28 00:12:32 2026`); a body
line such as "From time to time" that a writer forgot to quote does not split a message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from pathlib import Path

from archive.formats.emails import charsets
from archive.formats.emails.parse import POLICY

_SEPARATOR = re.compile(rb"^From \S+.*\b\d{1,2}:\d\d(:\d\d)?\b")
_HEADER_BYTES = 64 * 1024


@dataclass(slots=True)
class MboxMessage:
    """One message of a mailbox: its number (1-based), bytes, and headers for a listing."""

    number: int
    data: bytes
    sender: str
    date: str
    subject: str


def split(path: Path) -> Iterator[MboxMessage]:
    """The messages of an mbox file, in order; the `From ` separator lines are left out."""
    number = 0
    lines: list[bytes] = []
    started = False
    previous_blank = True
    with path.open("rb") as fh:
        for line in fh:
            if previous_blank and _SEPARATOR.match(line):
                if started:
                    number += 1
                    yield _message(number, lines)
                lines, started = [], True
            else:
                lines.append(line)
                started = True
            previous_blank = not line.strip()
    if started and any(line.strip() for line in lines):
        yield _message(number + 1, lines)


def _message(number: int, lines: list[bytes]) -> MboxMessage:
    # the blank line before the next separator belongs to the mailbox, not the message
    if lines and not lines[-1].strip():
        lines = lines[:-1]
    data = b"".join(lines)
    headers = BytesHeaderParser(policy=POLICY).parsebytes(data[:_HEADER_BYTES])

    def header(name: str) -> str:
        return charsets.decode_header(headers.get(name))

    return MboxMessage(number, data, header("from"), header("date"), header("subject"))
