"""Celery only: the page-worker app, its one task (read a page), `archive worker` and its status.

A page worker reads pages for any `archive add` that sends them to the same Redis broker
(ARCHIVE_BROKER_URL). It runs `archive.read.worker.read_page`, exactly as the local pool
does, and returns its `PageResult`; it never writes the archive. Messages and results are
JSON (`Settings` and `PageResult` as dicts; the catalog stores a page's words and
annotations as JSON anyway), never pickle, so a message cannot run code on a worker.

Reliability comes from Celery and Redis: a message is acknowledged only once its page is
read (`acks_late`), a worker process that dies puts its page back (`reject_on_worker_lost`),
and a worker machine that is lost gives its pages back after the visibility timeout. A
counter per task in Redis bounds the tries of a page that keeps killing its reader.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import kombu.exceptions
import redis.exceptions
from celery import Celery, signals
from celery.exceptions import Reject, TimeLimitExceeded

from archive import __version__
from archive.config import Settings
from archive.errors import BrokerUnavailableError, DocumentError, OcrUnavailableError
from archive.models import PageResult
from archive.read import ocr, worker

QUEUE = "archive-pages"
READ_PAGE = "archive.read_page"
REFUSALS = "archive:refusals"  # hash: worker name -> why it refuses the archive's pages
TRIES = "archive:tries:"  # + task id: how often the page was handed to a reader
BROKER_ERRORS = (redis.exceptions.RedisError, kombu.exceptions.OperationalError, OSError)
TIMED_OUT = (TimeLimitExceeded,)
READER_PAGES = 1000  # pages a worker's reader process reads before a fresh one takes over

_local: Settings | None = None  # the worker machine's own settings (`archive worker`)
_facts: dict[str, str] | None = None


def make_app(settings: Settings) -> Celery:
    """The Celery app for `settings.broker_url`, configured for at-least-once page reads."""
    visibility = settings.broker_visibility_timeout
    app = Celery("archive", broker=settings.broker_url, backend=settings.broker_url,
                 set_as_current=False)
    app.conf.update(
        task_serializer="json", result_serializer="json", accept_content=["json"],
        result_accept_content=["json"], task_default_queue=QUEUE,
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        # a lost worker's pages are looked for every quarter of the visibility timeout
        broker_transport_options={"visibility_timeout": visibility,
                                  "unacked_restore_interval": min(60.0, visibility / 4),
                                  "unacked_restore_throttle": 1},
        result_expires=86400, broker_connection_retry_on_startup=True,
        # a reader process grows by ~6 MB a 1,000 pages (bench/page_workers.py): renew it
        worker_max_tasks_per_child=READER_PAGES,
        worker_hijack_root_logger=False, worker_redirect_stdouts=False,
    )
    app.task(name=READ_PAGE, bind=True)(_read_page)
    return app


def expectations(settings: Settings, lang: str, page_timeout: float) -> dict[str, Any]:
    """What a worker must match to read this archive's pages (sent with every page)."""
    return {"archive": __version__, "tesseract": ocr.tesseract_version() if lang else "",
            "lang": lang, "timeout": page_timeout, "tries": settings.worker_tries,
            "scans": str(settings.scans_dir)}


def page_args(args: tuple[Any, ...]) -> list[Any]:
    """`worker.read_page`'s arguments as JSON: paths as text, the settings as a dict (less
    the database URL: workers never open the catalog, and it may carry a password)."""
    path, kind, doc_id, page_no, settings, *rest = args
    given = {f.name: getattr(settings, f.name) for f in fields(Settings)
             if f.name != "database_url"}
    return [str(path), kind, doc_id, page_no, {**given, "home": str(settings.home)}, *rest]


def page_result(value: dict[str, Any]) -> PageResult:
    """A task's result as the local pool gives it: a `PageResult`, or the file's failure."""
    if "failed" in value:
        raise DocumentError(value["failed"])
    return PageResult(**value)


def _read_page(task: Any, expect: dict[str, Any], args: list[Any]) -> dict[str, Any]:
    local = _local or Settings()
    path = local_path(Path(args[0]), expect["scans"], local)
    client = task.app.backend.client
    refusal = refuses(expect, local, path)
    if refusal:  # put the page back for another worker, and take no more of them
        client.hset(REFUSALS, task.request.hostname, refusal)
        task.app.control.cancel_consumer(QUEUE, destination=[task.request.hostname])
        raise Reject(refusal, requeue=True)
    key = TRIES + task.request.id
    tries = client.incr(key)
    client.expire(key, int(local.broker_visibility_timeout * 4))
    if tries > expect["tries"]:
        return {"failed": f"crashed or lost its page worker {tries - 1} times; the file is "
                          "probably damaged: ask the agency for a new copy"}
    kind, doc_id, page_no, given, *rest = args[1:]
    settings = Settings(**{**given, "home": Path(given["home"])})
    try:
        page = worker.read_page(path, kind, doc_id, page_no, settings, *rest)
    except Exception as exc:  # the file's failure, as the supervisor reports it
        return {"failed": worker.failure_reason(exc)}
    return asdict(page)


def local_path(path: Path, scans: str, local: Settings) -> Path:
    """Where this machine sees a file of the archive's scans/ (ARCHIVE_SCANS, else as is)."""
    if local.scans and path.is_relative_to(scans):
        return Path(local.scans) / path.relative_to(scans)
    return path


def refuses(expect: dict[str, Any], local: Settings, path: Path) -> str:
    """Why this worker must not read the archive's pages ("" when it may)."""
    global _facts
    if expect["archive"] != __version__:
        return (f"this worker runs archive {__version__}, the archive {expect['archive']}; "
                "install the same version on every worker")
    if expect["lang"]:
        if _facts is None:
            try:
                lang = ocr.usable_lang(local.ocr_lang)
            except OcrUnavailableError as exc:
                return f"this worker cannot OCR: {exc.message}"
            _facts = {"tesseract": ocr.tesseract_version(), "lang": lang}
        if _facts["tesseract"] != expect["tesseract"]:
            return (f"this worker has tesseract {_facts['tesseract']}, the archive "
                    f"{expect['tesseract']}; install the same tesseract on every worker")
        if _facts["lang"] != expect["lang"]:
            return (f"this worker reads {_facts['lang']!r}, the archive {expect['lang']!r}; "
                    f"set ARCHIVE_OCR_LANG={expect['lang']} and install the same tesseract "
                    "languages on this worker, then restart it")
    if local.broker_visibility_timeout <= expect["timeout"]:
        return (f"this worker's ARCHIVE_BROKER_VISIBILITY_TIMEOUT "
                f"({local.broker_visibility_timeout:g} s) is not longer than the page timeout "
                f"({expect['timeout']:g} s): a slow page would be read twice; raise it")
    if not path.exists():
        return (f"this worker cannot see {path}; mount the archive's scans/ at "
                f"{expect['scans']} or set ARCHIVE_SCANS to where it is mounted")
    return ""


@signals.worker_process_init.connect
def _start_reader(**_: Any) -> None:
    """A worker's reader process: bounded memory, and no log line per page (with its text)."""
    logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
    if _local is not None:
        worker.init_worker(_local.worker_memory_mb)


@signals.after_setup_logger.connect
def _quiet(**_: Any) -> None:
    logging.getLogger("celery.worker.strategy").setLevel(logging.WARNING)


def run_worker(settings: Settings, concurrency: int) -> None:
    """Read pages for any archive using this broker until stopped (`archive worker`)."""
    global _local
    _local = settings
    app = make_app(settings)
    app.worker_main(["worker", f"--concurrency={concurrency}", "--loglevel=INFO",
                     f"--hostname=archive-{os.getpid()}@{socket.gethostname()}",
                     f"--queues={QUEUE}", "--without-gossip", "--without-mingle",
                     "--pool=prefork"])


def status(settings: Settings) -> dict[str, Any]:
    """Connected workers (pages read, pages/s since they started, refusals) and queue depth.

    Raises:
        BrokerUnavailableError: the queue cannot be reached.
    """
    app = make_app(settings)
    client = app.backend.client
    try:
        client.ping()  # a queue that is down says so now, not after the inspect's retries
        stats = app.control.inspect(timeout=1.0).stats() or {}
        refusals = {_text(k): _text(v) for k, v in client.hgetall(REFUSALS).items()}
        queued = int(client.llen(QUEUE))
    except BROKER_ERRORS as exc:
        raise BrokerUnavailableError(f"the page-worker queue at {settings.broker_url} cannot "
                                     f"be reached ({exc}); start redis there") from None
    workers = []
    for name, info in sorted(stats.items()):
        pages = int(info.get("total", {}).get(READ_PAGE, 0))
        uptime = max(float(info.get("uptime", 0)), 1.0)
        workers.append({"name": name, "concurrency": info.get("pool", {}).get("max-concurrency"),
                        "pages": pages, "pages_per_second": round(pages / uptime, 2),
                        "refuses": refusals.get(name, "")})
    return {"workers": workers, "queued": queued}


def connected(app: Celery) -> tuple[int, dict[str, str]]:
    """How many workers answer, and why those of them that refuse do (the supervisor's view)."""
    names = {name for reply in app.control.ping(timeout=1.0) for name in reply}
    refusals = {_text(k): _text(v) for k, v in app.backend.client.hgetall(REFUSALS).items()}
    return len(names), {name: why for name, why in refusals.items() if name in names}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
