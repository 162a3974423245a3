"""The catalog seam: one protocol, `Store`, and one opener for either backend.

Without `ARCHIVE_DATABASE_URL` the catalog is the embedded SQLite file under index/
(`archive.store.sqlite`); with it, tables on a PostgreSQL server that several machines
share (`archive.store.postgres`). Nothing outside those two modules imports sqlite3 or
psycopg: callers open a store with `open_store(settings)` and use the methods below, which
both backends implement with the same meaning. Rows are mappings read by column name
(`row["doc_id"]`, `dict(row)`); JSON columns (`meta`, `warnings`, `words`, `annotations`)
hold JSON text on both backends.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol, Self

from archive.config import Settings
from archive.models import PageResult

if TYPE_CHECKING:
    from archive.store.postgres import ServerStatus

__all__ = ["Row", "Store", "open_store", "server_status", "store_exists"]


class Row(Protocol):
    """A catalog row: its columns by name."""

    def keys(self) -> Iterable[str]: ...

    def __getitem__(self, key: str, /) -> Any: ...


class Store(Protocol):
    """The catalog: productions, documents, pages, near-duplicate signatures.

    The public methods of `archive.catalog.Catalog`, in its order; see it for each one's
    contract. Each write is its own transaction, `save_signature` one transaction in all.
    """

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...

    # productions

    def ensure_production(self, name: str, meta: dict[str, Any] | None = None) -> Row: ...

    def production(self, name_or_slug: str) -> Row | None: ...

    def productions(self) -> Sequence[Row]: ...

    # documents

    def document(self, doc_id: str) -> Row | None: ...

    def doc_ids_starting(self, prefix: str, limit: int = 10) -> list[str]: ...

    def start_document(self, doc_id: str, sha256: str, title: str, path: str, kind: str,
                       size: int, parent_doc_id: str | None = None) -> None: ...

    def link(self, doc_id: str, production_id: int, original_name: str) -> bool: ...

    def set_probe(self, doc_id: str, page_count: int, warnings: list[str],
                  meta: dict[str, Any]) -> None: ...

    def set_state(self, doc_id: str, state: str, error: str | None = None) -> None: ...

    def update_document_meta(self, doc_id: str, meta: dict[str, Any]) -> None: ...

    def documents(self, state: str | None = None) -> Sequence[Row]: ...

    def children(self, doc_id: str) -> Sequence[Row]: ...

    def document_productions(self, doc_id: str) -> Sequence[Row]: ...

    def production_documents(self, production_id: int) -> Sequence[Row]: ...

    # pages

    def save_page(self, page: PageResult) -> None: ...

    def set_annotations(self, doc_id: str, page_no: int,
                        annotations: dict[str, Any]) -> None: ...

    def stored_page_numbers(self, doc_id: str) -> set[int]: ...

    def failed_page_count(self, doc_id: str) -> int: ...

    def pages(self, doc_id: str) -> Iterator[Row]: ...

    def page(self, doc_id: str, page_no: int) -> Row | None: ...

    # near-duplicate pages

    def signed_pages(self, doc_id: str) -> set[int]: ...

    def duplicate_candidates(self, bands: list[int],
                             doc_id: str) -> list[tuple[str, int, int, bytes]]: ...

    def save_signature(self, doc_id: str, page_no: int, size: int, signature: bytes | None,
                       bands: list[int], matches: list[tuple[str, int, float]],
                       annotations: dict[str, Any] | None = None) -> None: ...

    def duplicates_of(self, doc_id: str, page_no: int) -> list[tuple[str, int]]: ...

    # when pages were added (feeds, alerts)

    def stamp_added(self, doc_ids: list[str]) -> None: ...

    def added_at(self, doc_id: str) -> float: ...

    def added_watermark(self) -> float: ...

    # saved searches

    def add_alert(self, name: str, query: str, email: str | None, seen: float) -> bool: ...

    def alerts(self) -> Sequence[Row]: ...

    def alert(self, name: str) -> Row | None: ...

    def remove_alert(self, name: str) -> bool: ...

    def set_alert_seen(self, name: str, seen: float) -> None: ...

    def stats(self) -> dict[str, int]: ...

    # the editors' side: users, tokens, sign-in failures, audit log, withdrawals, jobs

    def has_table(self, name: str) -> bool: ...

    def data_version(self) -> int: ...

    def add_user(self, name: str, role: str, password_hash: str) -> bool: ...

    def user(self, name: str) -> Row | None: ...

    def users(self) -> Sequence[Row]: ...

    def add_token(self, token_hash: str, user_name: str) -> None: ...

    def token_user(self, token_hash: str) -> Row | None: ...

    def sign_in_failures(self, user_name: str, address: str, since: float) -> int: ...

    def record_sign_in_failure(self, user_name: str, address: str,
                               forget_before: float) -> None: ...

    def clear_sign_in_failures(self, user_name: str, address: str) -> None: ...

    def audit(self, user_name: str, action: str, target: str,
              detail: dict[str, Any] | None = None) -> None: ...

    def audit_log(self, limit: int = 200, before: int | None = None) -> Sequence[Row]: ...

    def withdraw(self, doc_id: str, page_no: int, reason: str, user_name: str) -> None: ...

    def restore(self, doc_id: str, page_no: int) -> bool: ...

    def withdrawals(self, doc_id: str | None = None) -> Sequence[Row]: ...

    def add_job(self, job_id: str, user_name: str, production: str,
                request: dict[str, Any]) -> None: ...

    def job(self, job_id: str) -> Row | None: ...

    def update_job(self, job_id: str, **values: Any) -> None: ...

    def recent_jobs(self, limit: int = 20) -> Sequence[Row]: ...


def open_store(settings: Settings, *, readonly: bool = False) -> Store:
    """The archive's catalog: PostgreSQL when `settings.database_url` is set, else SQLite.

    A writable open creates (or upgrades) the tables; a read-only one never writes.

    Raises:
        StoreUnavailableError, StoreLoginError: the server cannot be reached or refuses.
        StoreVersionError: the database was made by a newer version of the archive.
    """
    if settings.database_url:
        from archive.store.postgres import PostgresCatalog  # psycopg only in server mode

        return PostgresCatalog(settings.database_url, readonly=readonly)
    from archive.store.sqlite import Catalog

    return Catalog(settings.catalog_path, readonly=readonly)


def store_exists(settings: Settings) -> bool:
    """Whether the catalog has been made (by a first writable open): the SQLite file is
    there, or the server's database holds the archive's tables."""
    if settings.database_url:
        return server_status(settings).schema_version is not None
    return settings.catalog_path.exists()


def server_status(settings: Settings) -> ServerStatus:
    """Server mode: the server's version and the database's schema version (None: no
    archive there yet).

    Raises:
        StoreUnavailableError, StoreLoginError: the server cannot be reached or refuses.
    """
    from archive.store.postgres import status

    return status(settings.database_url)
