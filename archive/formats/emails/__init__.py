"""Native email: .eml, .msg and mbox files become documents, their attachments children.

`ingest.probe` runs in a worker: it parses the message (`parse` for RFC 822, `msg` for
Outlook), prints it to a PDF with a text layer (`render`, `extract.text_to_pdf`) and stages
its attachments, which the supervisor (`pipeline`) adds as child documents.
"""

from __future__ import annotations

from archive.formats.emails.ingest import probe, read_message, render_again

__all__ = ["probe", "read_message", "render_again"]
