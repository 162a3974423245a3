"""Exit codes and the errors the archive raises, each with a message that says what to do next."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes of the `archive` command."""

    ok = 0
    partial = 3  # some files failed, the rest landed
    usage = 2  # click's own code for usage errors
    bad_query = 4
    not_found = 5
    locked = 6
    missing_dependency = 7
    index_out_of_date = 8
    timed_out = 9
    failed = 1


class ArchiveError(Exception):
    """Base of every error the archive reports to a user."""

    exit_code = ExitCode.failed

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DocumentError(ArchiveError):
    """A source file cannot be added; the rest of the production still lands."""


class UnsupportedFileError(DocumentError):
    """A file type the archive does not read."""


class EncryptedDocumentError(DocumentError):
    """A password-protected PDF."""


class DamagedDocumentError(DocumentError):
    """A truncated or corrupt file."""


class TooLargeError(DocumentError):
    """A file, page or image over a configured sanity limit."""


class UnsafeArchiveError(DocumentError):
    """A zip file whose members escape the folder or expand beyond the limits."""


class WorkerCrashError(DocumentError):
    """A worker process died or timed out while reading a file."""


class OcrUnavailableError(ArchiveError):
    """tesseract or a configured language is missing."""

    exit_code = ExitCode.missing_dependency


class OcrFailedError(ArchiveError):
    """tesseract failed or timed out on one page."""


class QueryError(ArchiveError):
    """A search query that cannot be parsed or is over a limit."""

    exit_code = ExitCode.bad_query


class SearchTimeoutError(ArchiveError):
    """A search that ran past its deadline (ARCHIVE_SEARCH_DEADLINE) and was stopped."""

    exit_code = ExitCode.timed_out


class InvalidMetadataError(ArchiveError):
    """Release metadata (a date, a number, a URL) given in the wrong form."""

    exit_code = ExitCode.usage


class SettingError(ArchiveError):
    """A setting (an `ARCHIVE_*` variable) whose value cannot be used."""

    exit_code = ExitCode.usage


class NotFoundError(ArchiveError):
    """An unknown document, page or production."""

    exit_code = ExitCode.not_found


class DerivedFileMissingError(NotFoundError):
    """A document's derived PDF (a printed email, bound page images) is missing; `archive
    reindex` makes it again from the originals."""


class ArchiveLockedError(ArchiveError):
    """Another `archive add` (or `reindex`) holds the write lock."""

    exit_code = ExitCode.locked


class IndexOutOfDateError(ArchiveError):
    """The Whoosh index was built with another schema version."""

    exit_code = ExitCode.index_out_of_date


class IndexLostError(ArchiveError):
    """The Whoosh index is missing or empty while the catalog records indexed pages."""

    exit_code = ExitCode.index_out_of_date


class BrokerUnavailableError(ArchiveError):
    """The page-worker queue (ARCHIVE_BROKER_URL) cannot be reached, or went away mid-add."""

    exit_code = ExitCode.missing_dependency


class WorkerRefusedError(ArchiveError):
    """A page worker whose tesseract, languages or archive version differ from the archive's."""


class StoreError(ArchiveError):
    """The catalog's database cannot be used: the PostgreSQL server of ARCHIVE_DATABASE_URL is
    unreachable or refuses the login, or its schema is newer than this program."""

    exit_code = ExitCode.usage


class StoreUnavailableError(StoreError):
    """The database server cannot be reached, or went away mid-command."""


class StoreLoginError(StoreError):
    """The database server refused the user, the password or the database name."""


class StoreVersionError(StoreError):
    """The database holds a catalog schema newer than this program knows."""


class ServerModeError(StoreError):
    """A command that server mode (ARCHIVE_DATABASE_URL) cannot run yet."""


class AlertError(ArchiveError):
    """A saved search (`archive alerts`) named wrongly, or named twice."""

    exit_code = ExitCode.usage


class MailError(ArchiveError):
    """A digest that could not be mailed (ARCHIVE_SMTP_URL unset, wrong, or refused)."""


class UserError(ArchiveError):
    """A user name, role or password that cannot be used (`archive users`)."""

    exit_code = ExitCode.usage


class SignInError(ArchiveError):
    """No valid session or API token for a write (the reading room answers 401)."""

    exit_code = ExitCode.usage


class TooManySignInsError(SignInError):
    """Too many failed sign-ins for one name from one address (the reading room answers 429)."""


class ForbiddenError(ArchiveError):
    """A signed-in user whose role does not allow the change (the reading room answers 403)."""

    exit_code = ExitCode.usage


class WithdrawnError(NotFoundError):
    """A document or page withdrawn from public view (the reading room answers 410)."""

    def __init__(self, message: str, *, withdrawn_on: str, reason: str) -> None:
        super().__init__(message)
        self.withdrawn_on = withdrawn_on
        self.reason = reason
