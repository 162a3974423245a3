"""add_production(): collect -> probe -> read pages (OCR where needed) -> catalog -> index.

The supervisor (this module) owns the catalog and the index; workers only read files. Every
page is stored in the catalog as soon as it is read, so an interrupted run resumes where it
stopped, and pages already OCR'd are never OCR'd again.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive import storage
from archive.config import Settings
from archive.errors import BrokerUnavailableError
from archive.formats import bundles
from archive.ingest import children
from archive.ingest.inputs import Collected, collect
from archive.ingest.locking import write_lock
from archive.ingest.progress import Progress
from archive.ingest.queue import Readers, open_readers
from archive.models import (
    OCR_SOURCES,
    AddReport,
    DocumentProbe,
    Failure,
    PageResult,
    SourceFile,
)
from archive.read import ocr, worker
from archive.releases import production_defaults
from archive.search import index, require_embedded
from archive.search.writer import IndexBatch
from archive.store import Store, open_store

MAX_NESTING = 10  # attachments of attachments of ... deeper are reported, not added


@dataclass(slots=True)
class _Doc:
    source: SourceFile
    given: str
    pending: int = 0
    page_count: int = 0
    failed_pages: list[str] = field(default_factory=list)
    depth: int = 0  # 1 for an email's attachment, 2 for an attachment's attachment, ...
    hints: dict[str, Any] = field(default_factory=dict)  # a text attachment's, a load file's
    read_path: Path | None = None  # its derived PDF: a printed email, bound page images
    annotations: dict[str, Any] = field(default_factory=dict)  # its own email headers, date


@dataclass(slots=True)
class _Run:
    """What one `add` works with: where it writes, what it reports, what it has planned."""

    settings: Settings
    catalog: Store
    production: Any  # the production's catalog row
    batch: IndexBatch
    report: AddReport
    progress: Progress
    lang: str  # tesseract languages, "" when OCR is off
    planned: dict[str, _Doc] = field(default_factory=dict)  # every document to read, by id


def add_production(inputs: list[Path], settings: Settings, *, production: str | None = None,
                   meta: dict[str, Any] | None = None,
                   progress: Progress | None = None) -> AddReport:
    """Add files, folders and zips as (part of) one production; return the per-file report.

    Raises:
        OcrUnavailableError: OCR is wanted and tesseract is missing (nothing is changed).
        ArchiveLockedError: another `archive add` is running.
        ServerModeError: server mode is on (its search is not built yet).
    """
    require_embedded(settings)
    lang = ocr.usable_lang(settings.ocr_lang) if settings.ocr_mode != "never" else ""
    name, meta = production_defaults(inputs, production, meta or {})
    progress = progress or Progress(enabled=False)
    with write_lock(settings), open_store(settings) as catalog:
        ix = index.open_or_create(settings.whoosh_dir, indexed_pages=catalog.stats()["pages"])
        prod = catalog.ensure_production(name, meta)
        collected = collect(inputs, prod["slug"], settings)
        run = _Run(settings, catalog, prod, IndexBatch(catalog, ix),
                   AddReport(failed=list(collected.failed)), progress, lang)
        todo = _plan(run, collected)
        progress.start(files=len(todo))
        if todo:
            _read_all(run, todo)
        run.batch.flush()
        progress.close()
    run.report.added.sort()
    run.report.failed.sort(key=lambda failure: failure.file)  # the same order, however read
    return run.report


def _plan(run: _Run, collected: Collected) -> list[_Doc]:
    """Record each file in the catalog; return those that still need reading.

    A document a load file defines carries its load-file facts as hints
    (`archive.formats.bundles`): its title, its family's parent, its pages' Bates numbers
    and its fields.
    """
    for src in collected.files:
        hints = collected.hints.get(src.doc_id) or {}
        planned = _plan_file(run, src, parent=hints.get("parent"),
                             title=hints.get("title") or "", listed=True)
        if planned is not None and hints:
            planned.hints = hints
    return list(run.planned.values())


def _plan_file(run: _Run, src: SourceFile, parent: str | None = None, title: str = "",
               listed: bool = False) -> _Doc | None:
    """Record one file in the catalog; plan it (and return it) if it needs reading.

    A file found inside another (`parent`) is reported with it, unless it is `listed` in
    the production itself (an attachment a load file lists).
    """
    catalog, settings = run.catalog, run.settings
    catalog.start_document(src.doc_id, src.sha256, title or src.path.stem,
                           storage.home_relative(settings, src.path), src.kind, src.size,
                           parent_doc_id=parent)
    new_link = catalog.link(src.doc_id, run.production["id"], src.given.name)
    row = catalog.document(src.doc_id)
    finished = row is not None and row["state"] == "indexed" and not (
        catalog.failed_page_count(src.doc_id))
    if src.doc_id in run.planned or finished:
        if parent is None or listed:
            run.report.unchanged.append(str(src.given))
        if new_link and src.doc_id not in run.planned:
            run.batch.add(src.doc_id)  # now also in this production: refresh its fields
        if finished and src.kind in storage.RENDERED_KINDS:  # finish an interrupted run
            for child, hints in children.unfinished(catalog, src.doc_id, settings):
                planned = _plan_file(run, child, parent=src.doc_id)
                if planned is not None:
                    planned.hints = hints
        return None
    rendered = src.kind in storage.RENDERED_KINDS or src.kind == bundles.KIND
    doc = _Doc(source=src, given=str(src.given),
               read_path=storage.derived_pdf(settings, src.doc_id) if rendered else None)
    run.planned[src.doc_id] = doc
    return doc


def _adopt(run: _Run, doc: _Doc, probe: DocumentProbe) -> list[_Doc]:
    """Store the files a worker found in `doc`, list them in its meta, plan them to read."""
    stored = children.store(doc.source, probe.children, run.settings)
    known = set(run.planned)
    parent = Path(doc.given).name
    for item in stored:
        if item.source is None:
            run.report.failed.append(Failure(str(item.path), f"is an attachment of {parent} "
                                             f"and {item.child.reason}"))
        elif doc.depth >= MAX_NESTING:
            run.report.failed.append(Failure(str(item.path), f"is nested {MAX_NESTING} "
                                             "messages deep; add it by hand if it matters"))
        elif child := _plan_file(run, item.source, parent=doc.source.doc_id,
                                 title=item.child.title):
            child.depth, child.hints = doc.depth + 1, item.child.hints
            if item.child.hints:
                run.catalog.update_document_meta(item.source.doc_id,
                                                 {"hints": item.child.hints})
    run.catalog.update_document_meta(doc.source.doc_id, {
        "attachments": [item.record(run.settings) for item in stored],
        "children": [item.source.doc_id for item in stored if item.source is not None]})
    queued = [run.planned[doc_id] for doc_id in run.planned if doc_id not in known]
    run.progress.add_files(len(queued))
    return queued


def _read_all(run: _Run, todo: list[_Doc]) -> None:
    """Probe every document, then read its missing pages, on a pool of worker processes
    (and on page workers, when ARCHIVE_BROKER_URL is set: `archive.ingest.queue`).

    Files found inside a document (`_adopt`) join the documents to probe.
    """
    settings = run.settings
    probes: deque[_Doc] = deque(todo)
    pages: deque[tuple[_Doc, int]] = deque()
    running: dict[Future[Any], tuple[_Doc, int]] = {}
    page_timeout = settings.parse_timeout + 3 * settings.ocr_timeout
    with open_readers(settings, run.progress, run.lang) as pool:
        while probes or pages or running:
            while len(running) < pool.capacity and (pages or probes):
                if pages:
                    doc, page_no = pages.popleft()
                    running[_schedule_page(run, pool, doc, page_no, page_timeout)] = (
                        doc, page_no)
                else:
                    doc = probes.popleft()
                    future = pool.schedule(worker.probe_file, timeout=settings.parse_timeout,
                                           args=(doc.source.path, doc.source.kind, settings,
                                                 doc.source.doc_id, doc.hints))
                    running[future] = (doc, 0)
            done, _ = wait(list(running), timeout=1.0, return_when=FIRST_COMPLETED)
            for future in done:
                doc, page_no = running.pop(future)
                if page_no == 0:
                    probe = _probed(run, future, doc, pages)
                    if probe is not None and probe.children:
                        probes.extend(_adopt(run, doc, probe))
                else:
                    _page_read(run, future, doc, page_no)
            run.batch.flush_if_due()
            run.progress.refresh()


def _schedule_page(run: _Run, pool: Readers, doc: _Doc, page_no: int,
                   timeout: float) -> Future[Any]:
    """Send one page to the readers: a printed email's pages are read for their text only;
    pages of files under scans/ may go to page workers, derived PDFs are read here."""
    src = doc.source
    path, kind, printed = src.path, src.kind, False
    if doc.read_path:  # printed email: its text; bound page images: scans
        path, kind = doc.read_path, "pdf"
        printed = src.kind != bundles.KIND
    mode = "never" if printed else run.settings.ocr_mode
    return pool.schedule(worker.read_page, timeout=timeout, remote=doc.read_path is None,
                         args=(path, kind, src.doc_id, page_no, run.settings, mode, run.lang,
                               printed))


def _probed(run: _Run, future: Future[Any], doc: _Doc,
            pages: deque[tuple[_Doc, int]]) -> DocumentProbe | None:
    catalog = run.catalog
    try:
        probe: DocumentProbe = future.result()
    except Exception as exc:  # the worker's failure, whatever it was, is this file's outcome
        _fail(run, doc, exc)
        run.progress.file_done()
        return None
    catalog.set_probe(doc.source.doc_id, probe.page_count, probe.warnings, probe.meta)
    native: dict[str, Any] = {k: probe.meta[k] for k in ("email", "record_date")
                              if k in probe.meta}
    if doc.hints.get("load_file"):  # what the production's load file says of it
        native = {**bundles.native_annotations(doc.hints), **native}  # a file's own wins
        catalog.update_document_meta(doc.source.doc_id,
                                     {**bundles.document_meta(doc.hints), **native})
    doc.annotations = {**native, "native": native} if native else {}
    run.report.warnings.extend(f"{doc.given}: {w}" for w in probe.warnings)
    doc.page_count = probe.page_count
    stored = catalog.stored_page_numbers(doc.source.doc_id)
    missing = [n for n in range(1, probe.page_count + 1) if n not in stored]
    run.progress.add_pages(probe.page_count, already=len(stored))
    doc.pending = len(missing)
    pages.extendleft((doc, n) for n in reversed(missing))
    if not missing:
        _document_read(run, doc)
    return probe


def _page_read(run: _Run, future: Future[Any], doc: _Doc, page_no: int) -> None:
    try:
        page: PageResult = future.result()
    except BrokerUnavailableError:
        raise  # the queue went away: stop; the pages stored so far are kept
    except Exception as exc:  # a crash or timeout on one page must not sink the document
        page = PageResult(doc_id=doc.source.doc_id, page_no=page_no, text="", words=[],
                          text_source="none", width=612.0, height=792.0,
                          error=worker.failure_reason(exc))
    page.annotations.update(doc.annotations)
    if doc.hints.get("load_file"):  # the load file's Bates number wins over one detected
        stamp = bundles.page_bates(doc.hints, page_no, doc.page_count)
        page.annotations.update(stamp)
        page.annotations["native"] = {**page.annotations.get("native", {}), **stamp}
    run.catalog.save_page(page)
    report = run.report
    report.pages += 1
    report.ocr_pages += page.text_source in OCR_SOURCES
    if page.error:
        doc.failed_pages.append(f"page {page_no}: {page.error}")
    report.warnings.extend(f"{doc.given}: page {page_no}: {w}" for w in page.warnings)
    run.progress.page_done(ocr=page.text_source in OCR_SOURCES)
    doc.pending -= 1
    if doc.pending == 0:
        _document_read(run, doc)


def _document_read(run: _Run, doc: _Doc) -> None:
    run.catalog.set_state(doc.source.doc_id, "extracted")
    run.batch.add(doc.source.doc_id)
    run.report.added.append(doc.given)
    if doc.failed_pages:
        run.report.failed_pages += len(doc.failed_pages)
        run.report.failed.append(Failure(
            doc.given, f"{len(doc.failed_pages)} of {doc.page_count} pages could not be read "
            f"({doc.failed_pages[0]}); the other pages were added; run `archive add` again "
            "to retry"))
    run.progress.file_done()


def _fail(run: _Run, doc: _Doc, exc: BaseException) -> None:
    message = worker.failure_reason(exc)
    run.catalog.set_state(doc.source.doc_id, "failed", message)
    run.report.failed.append(Failure(doc.given, message))
