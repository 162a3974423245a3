"""Mail out: ARCHIVE_SMTP_URL read into an address, and one plain-text message sent.

smtplib only. `smtp://[user:password@]host[:port]?from=A&to=B,C` (port 25; `smtps://` for
TLS from the start, port 465; `&starttls=1` to upgrade a plain connection).
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from archive.errors import MailError

_EXAMPLE = "smtp://mail.example.org:25?from=archive@example.org&to=desk@example.org"


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    """Where and how to send mail, and the default sender and recipients."""

    host: str
    port: int
    tls: bool
    starttls: bool
    user: str | None
    password: str | None
    sender: str
    to: tuple[str, ...]


def smtp_target(url: str) -> SmtpTarget:
    """Read ARCHIVE_SMTP_URL.

    Raises:
        MailError: it is unset or not an smtp:// or smtps:// address with a sender.
    """
    if not url.strip():
        raise MailError(f"no mail server: set ARCHIVE_SMTP_URL, e.g. {_EXAMPLE}")
    parts = urlsplit(url.strip())
    args = parse_qs(parts.query)
    sender = (args.get("from") or [""])[0]
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname or not sender:
        raise MailError(f"ARCHIVE_SMTP_URL must look like {_EXAMPLE} (a host and a from= "
                        "address); fix it and run the command again")
    tls = parts.scheme == "smtps"
    try:
        port = parts.port or (465 if tls else 25)
    except ValueError as exc:
        raise MailError(f"ARCHIVE_SMTP_URL has a bad port ({exc}); fix it") from exc
    to = tuple(a.strip() for v in args.get("to", []) for a in v.split(",") if a.strip())
    return SmtpTarget(host=parts.hostname, port=port, tls=tls,
                      starttls=(args.get("starttls") or ["0"])[0] in ("1", "true", "yes"),
                      user=unquote(parts.username) if parts.username else None,
                      password=unquote(parts.password) if parts.password else None,
                      sender=sender, to=to)


def send(target: SmtpTarget, to: tuple[str, ...], subject: str, body: str) -> None:
    """Send one plain-text message.

    Raises:
        MailError: no recipient, or the server could not be reached or refused it.
    """
    if not to:
        raise MailError("no recipient: add to=ADDRESS to ARCHIVE_SMTP_URL, or give the saved "
                        "search an --email")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = target.sender, ", ".join(to), subject
    message.set_content(body)
    connect = smtplib.SMTP_SSL if target.tls else smtplib.SMTP
    try:
        with connect(target.host, target.port, timeout=30) as server:
            if target.starttls:
                server.starttls()
            if target.user:
                server.login(target.user, target.password or "")
            server.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"the mail server {target.host}:{target.port} did not take the "
                        f"digest ({exc}); check ARCHIVE_SMTP_URL and run `archive alerts "
                        "send` again (nothing was marked as sent)") from exc
