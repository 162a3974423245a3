"""Saved searches (`archive alerts`): follow a query, count and list the pages added since
it was last seen, mail a digest of them.

A saved search remembers `seen`, the stamp (`Catalog.added_watermark`) of the newest page
in the index when it was saved, last sent or marked seen; pages added after it are new.
The watermark is read before the index is opened, and only documents whose pages are
committed count toward it, so a page is never marked seen before it could be found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from archive import mail
from archive.config import Settings
from archive.errors import AlertError, NotFoundError
from archive.exports import plain_excerpt
from archive.models import Hit, counted
from archive.search import streams
from archive.search.query import open_searcher, parse
from archive.store import Store, open_store, store_exists

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
DIGEST_HITS = 100  # pages a digest lists; it counts the rest


@dataclass(slots=True)
class Alert:
    """A saved search and how many pages it gained since it was last seen."""

    name: str
    query: str
    email: str | None
    seen: float
    new: int = 0

    def to_json(self) -> dict[str, Any]:
        """The `alerts list --json` contract."""
        return {"name": self.name, "query": self.query, "email": self.email,
                "seen": self.seen, "new": self.new}


def _alert(row: Any) -> Alert:
    return Alert(name=row["name"], query=row["query"], email=row["email"],
                 seen=float(row["seen"]))


def add(settings: Settings, name: str, text: str, email: str | None = None) -> Alert:
    """Save a search; pages already in the archive are not new for it.

    Raises:
        AlertError: the name is not lowercase letters, digits, - and _, or is taken.
        QueryError: the query is malformed or over a limit.
    """
    if not _NAME.fullmatch(name):
        raise AlertError(f"{name!r} cannot name a saved search: use lowercase letters, "
                         "digits, - and _ (up to 64), e.g. sally-port")
    parse(text, settings)
    with open_store(settings) as catalog:
        seen = catalog.added_watermark()
        if not catalog.add_alert(name, text, email, seen):
            raise AlertError(f"there is already a saved search called {name}; remove it "
                             f"first with `archive alerts remove {name}`")
    return Alert(name=name, query=text, email=email, seen=seen)


def remove(settings: Settings, name: str) -> None:
    """Forget a saved search.

    Raises:
        NotFoundError: there is none of that name.
    """
    with open_store(settings) as catalog:
        if not catalog.remove_alert(name):
            raise _unknown(name)


def _unknown(name: str) -> NotFoundError:
    return NotFoundError(f"there is no saved search called {name}; `archive alerts list` "
                         "shows them")


def find(catalog: Store, name: str) -> Alert:
    """One saved search.

    Raises:
        NotFoundError: there is none of that name.
    """
    row = catalog.alert(name)
    if row is None:
        raise _unknown(name)
    return _alert(row)


def listed(settings: Settings) -> list[Alert]:
    """Every saved search with the number of pages added since it was last seen."""
    if not store_exists(settings):
        return []
    with open_store(settings, readonly=True) as catalog:
        found = [_alert(row) for row in catalog.alerts()]
    with open_searcher(settings) as searcher:
        for alert in found:
            alert.new = streams.count(searcher, alert.query, settings,
                                      streams.Window(since=alert.seen))
    return found


def mark_seen(settings: Settings, names: list[str]) -> list[str]:
    """Make the pages of these saved searches (all when `names` is empty) no longer new.

    Raises:
        NotFoundError: one of the names is not a saved search (none is changed).
    """
    with open_store(settings) as catalog:
        chosen = [find(catalog, name).name for name in names] or \
            [row["name"] for row in catalog.alerts()]
        watermark = catalog.added_watermark()
        for name in chosen:
            catalog.set_alert_seen(name, watermark)
    return chosen


def by_production(hits: list[Hit]) -> list[tuple[str, list[Hit]]]:
    """Hits grouped by their productions' names, groups in the order of their first hit."""
    groups: dict[str, list[Hit]] = {}
    for hit in hits:
        groups.setdefault(hit.production, []).append(hit)
    return list(groups.items())


def digest(alert: Alert, hits: list[Hit], total: int, base_url: str) -> tuple[str, str]:
    """The subject and plain-text body of a digest of new pages (`base_url` starts the
    links; without it they are paths)."""
    subject = f"{alert.name}: {counted(total, 'new page')} for {alert.query}"
    lines = [f"{counted(total, 'new page')} match {alert.query} (saved search "
             f"{alert.name}), newest first, by production:"]
    for production, group in by_production(hits):
        released = (group[0].extra.get("production_meta") or {}).get("released")
        lines += ["", production + (f" (released {released})" if released else "")]
        for hit in group:
            lines += [f"  {hit.title} · p. {hit.page}",
                      f"    {plain_excerpt(hit.excerpt)}", f"    {base_url}{hit.url}"]
    if total > len(hits):
        lines += ["", f"... and {counted(total - len(hits), 'more page')}: search for "
                  f"{alert.query} in the reading room."]
    return subject, "\n".join(lines) + "\n"


def send(settings: Settings) -> list[tuple[Alert, int]]:
    """Mail each saved search's pages added since it was last sent or seen, then mark them
    seen; saved searches with nothing new are left alone. Returns (alert, pages mailed).

    Raises:
        MailError: ARCHIVE_SMTP_URL is unset or wrong, or a message was refused (the
            saved searches mailed before it stay marked).
    """
    target = mail.smtp_target(settings.smtp_url)
    if not store_exists(settings):
        return []
    with open_store(settings) as catalog:
        watermark = catalog.added_watermark()  # before the index is opened: see above
        found = [_alert(row) for row in catalog.alerts()]
        sent = []
        with open_searcher(settings) as searcher:
            for alert in found:
                window = streams.Window(since=alert.seen, until=watermark)
                total = streams.count(searcher, alert.query, settings, window)
                if not total:
                    continue
                hits = streams.newest(searcher, alert.query, settings, window, DIGEST_HITS)
                subject, body = digest(alert, hits, total, settings.base_url.rstrip("/"))
                to = tuple(a.strip() for a in (alert.email or "").split(",") if a.strip())
                mail.send(target, to or target.to, subject, body)
                catalog.set_alert_seen(alert.name, watermark)
                sent.append((alert, total))
    return sent
