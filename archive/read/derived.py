"""Derived PDFs made again: a printed email, or a load file's bound page images, gone missing.

They are made where `archive add` made them, in worker processes: the email is parsed and
the images decoded inside the same sandbox (memory bound, timeout, a crash fails only that
document). `archive reindex` makes every missing one again; the reading room never does,
it says which command to run (`archive.storage.readable_path`).
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

from pebble import ProcessPool

from archive.config import Settings
from archive.ingest.locking import write_lock
from archive.models import Failure
from archive.read import worker
from archive.store import Store, open_store, store_exists


def missing(settings: Settings, catalog: Store) -> list[dict[str, Any]]:
    """Documents read from a derived PDF that is no longer there: their rows, meta decoded."""
    out = []
    for row in catalog.documents():
        doc = dict(row)
        doc["meta"] = json.loads(row["meta"] or "{}")
        rendered = doc["meta"].get("rendered")
        if rendered and not (settings.home / rendered).is_file():
            out.append(doc)
    return out


def remake(settings: Settings, doc: Mapping[str, Any]) -> int:
    """Make one document's derived PDF again (in a worker); return its pages."""
    from archive.formats import bundles, emails  # what only a worker needs

    meta = doc["meta"]
    dest = settings.home / meta["rendered"]
    hints = meta.get("hints") or {}
    if doc["kind"] == bundles.KIND:
        return bundles.bind_again(settings, dest, hints)
    return emails.render_again(settings, settings.home / doc["path"], doc["kind"], dest, hints)


def remake_missing(settings: Settings) -> tuple[int, list[Failure]]:
    """Make every missing derived PDF again on a pool of workers: (made, failures)."""
    if not store_exists(settings):
        return 0, []
    with open_store(settings, readonly=True) as catalog:
        todo = missing(settings, catalog)
    if not todo:
        return 0, []
    failures: list[Failure] = []
    made = 0
    context = multiprocessing.get_context("spawn")
    pool = ProcessPool(max_workers=settings.workers, initializer=worker.init_worker,
                       initargs=(settings.worker_memory_mb,), context=context)
    with write_lock(settings), pool:
        futures: list[tuple[dict[str, Any], Future[Any]]] = [
            (doc, pool.schedule(remake, args=(settings, doc), timeout=settings.parse_timeout))
            for doc in todo]
        for doc, future in futures:
            try:
                future.result()
                made += 1
            except Exception as exc:  # that document's failure: reported, the rest go on
                reason = worker.failure_reason(exc)
                failures.append(Failure(str(doc["path"]), f"its derived PDF "
                                        f"{doc['meta']['rendered']} could not be made "
                                        f"again: {reason}"))
    return made, failures
