"""`archive check`: can pages be OCR'd here, and do the catalog and the index agree?"""

from __future__ import annotations

from archive.config import Settings
from archive.errors import ArchiveError, StoreError
from archive.models import counted
from archive.read import derived, ocr
from archive.search import index
from archive.store import open_store, server_status, store_exists

ERROR, WARNING = "ERROR", "warning"


def findings(settings: Settings) -> list[tuple[str, str]]:
    """What `archive check` reports, as (label, text) lines; "ERROR" lines are problems."""
    found = [*_ocr(settings), *_queue(settings)]
    found.append(("home", str(settings.home)))
    if settings.database_url:
        return [*found, *_server(settings)]
    if not store_exists(settings):
        return [*found, ("catalog", "empty (run `archive add`)")]
    with open_store(settings, readonly=True) as catalog:
        counts = catalog.stats()
        unfinished = sum(r["state"] in ("reading", "extracted") for r in catalog.documents())
        lost = len(derived.missing(settings, catalog))
    found.append(("catalog", f"{counts['documents']} documents, {counts['pages']} pages"))
    try:
        found.extend(_index(settings, counts["pages"]))
    except ArchiveError as exc:
        found.append((ERROR, exc.message))
    if unfinished:
        found.append((WARNING, f"{unfinished} documents unfinished; run the same "
                               "`archive add` again to finish them"))
    if lost:
        found.append((WARNING, f"derived PDFs missing (printed emails, bound page images): "
                               f"{lost}; run `archive reindex` to make them again"))
    return found


def _index(settings: Settings, catalog_pages: int) -> list[tuple[str, str]]:
    """The index's page count against the catalog's; opens the index without creating it.

    Raises:
        IndexLostError: the index is missing or empty but the catalog has indexed pages.
        IndexOutOfDateError: the index was built with another schema version.
    """
    ix = index.open_existing(settings.whoosh_dir)
    indexed = ix.doc_count() if ix is not None else None
    index.check_not_lost(settings.whoosh_dir, indexed, catalog_pages)
    found = [("index", f"{indexed} pages indexed" if ix is not None else "none yet")]
    if (indexed or 0) != catalog_pages:
        found.append((WARNING, "index and catalog differ; run `archive reindex`"))
    return found


def _server(settings: Settings) -> list[tuple[str, str]]:
    """Server mode: the PostgreSQL server, the catalog's schema and counts; what is missing."""
    try:
        status = server_status(settings)
        schema = (f"schema version {status.schema_version}" if status.schema_version
                  else "no catalog in this database yet")
        found = [("database", f"{status.where}: PostgreSQL {status.server_version}, "
                              f"{schema}")]
        if status.schema_version is not None:
            with open_store(settings, readonly=True) as catalog:
                counts = catalog.stats()
            found.append(("catalog", f"{counts['documents']} documents, "
                                     f"{counts['pages']} pages"))
    except StoreError as exc:
        return [(ERROR, exc.message)]
    return [*found, (WARNING, "server mode's search is not built yet: search, add, "
                              "reindex and serve need the embedded archive (unset "
                              "ARCHIVE_DATABASE_URL)")]


def _queue(settings: Settings) -> list[tuple[str, str]]:
    """The page-worker queue, when ARCHIVE_BROKER_URL is set: reachable, who reads."""
    if not settings.broker_url:
        return []
    from archive.read import tasks  # celery only when a broker is set

    try:
        status = tasks.status(settings)
    except ArchiveError as exc:
        return [(ERROR, f"{exc.message}, or unset ARCHIVE_BROKER_URL")]
    reading = [w for w in status["workers"] if not w["refuses"]]
    found = [("queue", f"{settings.broker_url}: {counted(len(reading), 'page worker')} "
                       f"reading, {counted(status['queued'], 'page')} queued")]
    found.extend((WARNING, f"page worker {w['name']} refuses: {w['refuses']}")
                 for w in status["workers"] if w["refuses"])
    return found


def _ocr(settings: Settings) -> list[tuple[str, str]]:
    try:
        langs = ocr.available_languages()
        found = [("tesseract", f"{ocr.tesseract_version()} (languages: {', '.join(langs)})")]
    except ArchiveError as exc:
        return [(ERROR, exc.message)]
    wanted = [lang for lang in settings.ocr_lang.split("+") if lang not in langs]
    if wanted:
        found.append((WARNING, f"OCR language(s) {', '.join(wanted)} missing; using "
                               f"{ocr.usable_lang(settings.ocr_lang)}"))
    if "osd" not in langs:
        found.append((WARNING, "no 'osd' data: rotated pages will not be turned upright; "
                               "apt-get install tesseract-ocr-osd"))
    return found
