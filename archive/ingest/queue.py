"""Where `add` has pages read: the local process pool, and page workers when a broker is set.

Both give back `concurrent.futures.Future`s of what `archive.read.worker` returns, so the
pipeline reads the same either way. Only pages of files under scans/ (PDFs, page images)
go to the queue, since a worker machine sees scans/ but not index/: probes, and the pages
of printed emails and load-file documents (their derived PDFs live in index/derived/), are
read by the local pool. Celery is imported only when a broker is set.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pebble import ProcessPool

from archive.config import Settings
from archive.errors import BrokerUnavailableError, SettingError
from archive.ingest.progress import Progress
from archive.read import worker

PING_EVERY = 5.0  # seconds between looks at who is connected (each takes up to 1 s)
CHECK_EVERY = 2.0  # seconds between looks at whether Redis restarted
POLL_EVERY = 0.2  # seconds between looks for finished pages


class Readers:
    """The local pool, plus the page-worker queue when ARCHIVE_BROKER_URL is set."""

    def __init__(self, pool: ProcessPool, queue: PageQueue | None, settings: Settings) -> None:
        self.pool, self.queue = pool, queue
        self.capacity = 2 * settings.workers + (settings.queue_ahead if queue else 0)
        self.scans = settings.scans_dir

    def schedule(self, fn: Callable[..., Any], args: tuple[Any, ...], timeout: float,
                 remote: bool = False) -> Future[Any]:
        """Run `fn(*args)` within `timeout` s; on a page worker when `remote` and one is set."""
        if remote and self.queue is not None and Path(args[0]).is_relative_to(self.scans):
            return self.queue.schedule(args, timeout)
        future: Future[Any] = self.pool.schedule(fn, args=args, timeout=timeout)
        return future


@contextmanager
def open_readers(settings: Settings, progress: Progress, lang: str) -> Iterator[Readers]:
    """The readers of one `add`; an interrupted add takes its pages back off the queue."""
    context = multiprocessing.get_context("spawn")
    with ProcessPool(max_workers=settings.workers, initializer=worker.init_worker,
                     initargs=(settings.worker_memory_mb,), context=context) as pool:
        queue = PageQueue(settings, progress, lang) if settings.broker_url else None
        try:
            yield Readers(pool, queue, settings)
        finally:
            if queue is not None:
                queue.close()


class PageQueue:
    """Pages sent to page workers through Celery; a thread collects their results.

    Task ids start with this run's id, so results a dead run never collects are never
    mistaken for this run's (they expire from Redis after a day).
    """

    def __init__(self, settings: Settings, progress: Progress, lang: str) -> None:
        from archive.read import tasks  # celery only when a broker is set

        self.tasks, self.progress, self.url = tasks, progress, settings.broker_url
        self.app = tasks.make_app(settings)
        self.client = self.app.backend.client
        self.run_id = uuid.uuid4().hex[:12]
        self.page_timeout = settings.parse_timeout + 3 * settings.ocr_timeout
        if settings.broker_visibility_timeout <= self.page_timeout:
            raise SettingError(
                f"ARCHIVE_BROKER_VISIBILITY_TIMEOUT ({settings.broker_visibility_timeout:g} s) "
                f"must be longer than a page's time limit ({self.page_timeout:g} s), or slow "
                "pages are read twice; raise it")
        self.expect = tasks.expectations(settings, lang, self.page_timeout)
        self.pending: dict[str, Future[Any]] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        try:
            self.redis_run_id = self.client.info("server").get("run_id")
        except tasks.BROKER_ERRORS as exc:
            raise self._lost(exc) from None
        self.threads = [threading.Thread(target=self._collect, name="page-results", daemon=True),
                        threading.Thread(target=self._watch, name="page-workers", daemon=True)]
        for thread in self.threads:
            thread.start()

    def _lost(self, exc: BaseException) -> BrokerUnavailableError:
        return BrokerUnavailableError(
            f"the page-worker queue at {self.url} cannot be reached ({exc}); start redis "
            "there (or unset ARCHIVE_BROKER_URL to read pages here), then run the same "
            "`archive add` again: pages already stored are kept")

    def schedule(self, args: tuple[Any, ...], timeout: float) -> Future[Any]:
        """Send one `worker.read_page(*args)` to the queue."""
        task_id = f"{self.run_id}-{args[2]}-{args[3]:05d}"
        future: Future[Any] = Future()
        future.set_running_or_notify_cancel()
        with self.lock:
            self.pending[task_id] = future
        try:
            self.app.send_task(self.tasks.READ_PAGE, args=(self.expect,
                                                           self.tasks.page_args(args)),
                               task_id=task_id,
                               time_limit=timeout, queue=self.tasks.QUEUE)
        except self.tasks.BROKER_ERRORS as exc:
            raise self._lost(exc) from None
        return future

    def _collect(self) -> None:
        checked = time.monotonic()
        while not self.stopping.wait(POLL_EVERY):
            try:
                self._finish_ready()
                if time.monotonic() - checked > CHECK_EVERY:
                    checked = time.monotonic()
                    self._check_broker()
            except self.tasks.BROKER_ERRORS as exc:
                self._fail_all(self._lost(exc))
                return
            except BrokerUnavailableError as exc:
                self._fail_all(exc)
                return
            except Exception as exc:  # never leave the add waiting on a dead collector
                self._fail_all(BrokerUnavailableError(
                    f"results from the page-worker queue could not be read ({exc!r}); run "
                    "the same `archive add` again: pages already stored are kept"))
                return

    def _fail_all(self, error: Exception) -> None:
        with self.lock:
            lost, self.pending = list(self.pending.values()), {}
        for future in lost:
            future.set_exception(error)

    def _check_broker(self) -> None:
        """A Redis that restarted between two looks may have lost queued pages: stop."""
        if self.client.info("server").get("run_id") != self.redis_run_id:
            raise BrokerUnavailableError(
                f"the page-worker queue at {self.url} restarted during the add, and the "
                "pages queued in it may be lost; run the same `archive add` again: pages "
                "already stored are kept")

    def _finish_ready(self) -> None:
        with self.lock:
            ids = list(self.pending)
        if not ids:
            return
        backend = self.app.backend
        keys = [backend.get_key_for_task(task_id) for task_id in ids]
        done = []
        for task_id, key, value in zip(ids, keys, self.client.mget(keys), strict=True):
            if value is None:
                continue
            meta = backend.decode_result(value)
            if meta["status"] not in ("SUCCESS", "FAILURE"):
                continue
            with self.lock:
                future = self.pending.pop(task_id, None)
            done.append(key)
            if future is None:
                continue
            if meta["status"] == "SUCCESS":
                try:
                    future.set_result(self.tasks.page_result(meta["result"]))
                except Exception as exc:  # the worker's reason the file failed
                    future.set_exception(exc)
            elif isinstance(meta["result"], self.tasks.TIMED_OUT):
                future.set_exception(FutureTimeout())
            else:
                future.set_exception(meta["result"])
        if done:
            self.client.delete(*done)

    def _watch(self) -> None:
        """Who reads: shown on the progress bar; said when none does, or one refuses."""
        told: set[str] = set()
        while True:
            with contextlib.suppress(*self.tasks.BROKER_ERRORS):  # the collector says so
                self._look_at_workers(told)
            if self.stopping.wait(PING_EVERY):
                return

    def _look_at_workers(self, told: set[str]) -> None:
        count, refusals = self.tasks.connected(self.app)
        self.progress.set_workers(count - len(refusals))
        for name, why in refusals.items():
            if name not in told:
                told.add(name)
                self.progress.notice(f"page worker {name} refuses this archive's pages: {why}")
        if count - len(refusals) <= 0 and "(none)" not in told:
            told.add("(none)")
            self.progress.notice(f"no page worker is reading from {self.url}; waiting (start "
                                 "one with `archive worker` on a machine that sees scans/, "
                                 "or Ctrl-C: the same `archive add` resumes later)")
        elif count - len(refusals) > 0:
            told.discard("(none)")

    def close(self) -> None:
        """Stop collecting; pages still on the queue (an interrupted add) are revoked."""
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=5)
        with self.lock:
            left, self.pending = list(self.pending), {}
        if left:
            # if the queue is gone too, the workers' results will expire unread
            with contextlib.suppress(*self.tasks.BROKER_ERRORS):
                self.app.control.revoke(left)
