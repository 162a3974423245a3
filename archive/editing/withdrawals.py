"""Withdrawing a document or a page from public view (released by mistake, personal data)
and restoring it. Withdrawn material stays in the archive; the public no longer finds it
(`archive.search.query` leaves it out of every search) nor opens it (the reading room
answers 410 with the date and the reason)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from archive.config import Settings
from archive.editing.accounts import User
from archive.errors import InvalidMetadataError, NotFoundError, WithdrawnError
from archive.models import page_key
from archive.store import Store, open_store

MAX_REASON = 1000


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """One withdrawn page, or a whole document (`page` None)."""

    doc_id: str
    page: int | None
    reason: str
    by: str
    at: float

    @property
    def on(self) -> str:
        """The date it was withdrawn, YYYY-MM-DD (UTC)."""
        return time.strftime("%Y-%m-%d", time.gmtime(self.at))

    def to_json(self) -> dict[str, Any]:
        """As the API gives it."""
        return {"doc_id": self.doc_id, "page": self.page, "reason": self.reason,
                "by": self.by, "withdrawn_on": self.on}

    def error(self) -> WithdrawnError:
        """What the public is told instead of the material."""
        what = "This document" if self.page is None else f"Page {self.page} of this document"
        return WithdrawnError(f"{what} was withdrawn on {self.on}: {self.reason}",
                              withdrawn_on=self.on, reason=self.reason)


def _withdrawal(row: Any) -> Withdrawal:
    return Withdrawal(str(row["doc_id"]), int(row["page_no"]) or None, str(row["reason"]),
                      str(row["user_name"]), float(row["at"]))


def of_document(catalog: Store, doc_id: str) -> list[Withdrawal]:
    """A document's withdrawals: the whole document first (page None), then its pages."""
    return [_withdrawal(row) for row in catalog.withdrawals(doc_id)]


def covering(catalog: Store, doc_id: str, page: int | None = None, *,
             any_page: bool = False) -> Withdrawal | None:
    """The withdrawal that hides a document or one of its pages, or None when it is public.

    Args:
        catalog: the catalog.
        doc_id: the document.
        page: a page: hidden when it, or its whole document, is withdrawn; None: only the
            whole document's withdrawal counts.
        any_page: a withdrawn page hides the document too (its original holds every page).
    """
    for withdrawal in of_document(catalog, doc_id):  # the whole document's comes first
        if withdrawal.page is None or any_page or withdrawal.page == page:
            return withdrawal
    return None


def hidden_keys(catalog: Store) -> tuple[list[str], list[str]]:
    """What the public must not find: withdrawn documents' ids and withdrawn pages' keys."""
    docs, pages = [], []
    for row in catalog.withdrawals():
        if row["page_no"]:
            pages.append(page_key(row["doc_id"], int(row["page_no"])))
        else:
            docs.append(str(row["doc_id"]))
    return docs, pages


def _check(catalog: Store, doc_id: str, page: int | None) -> None:
    doc = catalog.document(doc_id)
    if doc is None:
        raise NotFoundError(f"no document {doc_id} in this archive; check the id")
    count = int(doc["page_count"] or 0)
    if page is not None and not 1 <= page <= count:
        raise NotFoundError(f"document {doc_id} has {count} pages; there is no page {page}")


def withdraw(settings: Settings, user: User, doc_id: str, page: int | None,
             reason: str) -> Withdrawal:
    """Withdraw a document (page None) or one page from public view, with a reason.

    Raises:
        NotFoundError: no such document or page.
        InvalidMetadataError: no reason, or one over MAX_REASON characters.
    """
    reason = " ".join(reason.split())
    if not reason or len(reason) > MAX_REASON:
        raise InvalidMetadataError(f"give the reason for withdrawing it (1 to {MAX_REASON} "
                                   "characters), e.g. \"personal data (b)(6) released by "
                                   "mistake\"")
    with open_store(settings) as catalog:
        _check(catalog, doc_id, page)
        catalog.withdraw(doc_id, page or 0, reason, user.name)
        catalog.audit(user.name, "withdraw", _target(doc_id, page), {"reason": reason})
        found = next(w for w in of_document(catalog, doc_id) if w.page == page)
    return found


def restore(settings: Settings, user: User, doc_id: str, page: int | None,
            reason: str = "") -> None:
    """Put a withdrawn document (page None) or page back in public view.

    Raises:
        NotFoundError: it is not withdrawn (or no such document).
    """
    with open_store(settings) as catalog:
        _check(catalog, doc_id, page)
        if not catalog.restore(doc_id, page or 0):
            raise NotFoundError(f"{_target(doc_id, page)} is not withdrawn; nothing to restore")
        catalog.audit(user.name, "restore", _target(doc_id, page),
                      {"reason": " ".join(reason.split())} if reason.strip() else {})


def _target(doc_id: str, page: int | None) -> str:
    return f"document {doc_id}" if page is None else f"page {page} of document {doc_id}"
