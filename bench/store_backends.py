"""The catalog's two backends side by side (issue 9): what `archive add` and the reading room
ask of the catalog, timed on the embedded SQLite file and on PostgreSQL.

PostgreSQL is a cluster of this run's own (tests/pgserver.py: initdb in /tmp, a unix socket,
fsync off as in the tests, so the figures are the round trips and the work, not the disk).
Per page, as `add` does it: `save_page`, then `set_annotations` and `save_signature` (with 42
band hashes). Per request, as the reading room does: open a read-only store, read a page
and its document's productions, close. Then `stats()` over all pages.

    python bench/store_backends.py [--docs 100] [--pages 10] [--out bench/out/store.json]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import pgserver  # noqa: E402  (tests/pgserver.py)

from archive.config import Settings, load_settings  # noqa: E402
from archive.models import PageResult  # noqa: E402
from archive.store import open_store  # noqa: E402

WORDS = ("the", "sally", "port", "of", "county", "jail", "was", "open", "when", "officer")


def _page(doc_id: str, page_no: int) -> PageResult:
    words = [random.choice(WORDS) for _ in range(400)]
    boxes = [[72.0 + n % 10 * 40, 72.0 + n // 10 * 14, 100.0, 84.0, w]
             for n, w in enumerate(words)]
    return PageResult(doc_id=doc_id, page_no=page_no, text=" ".join(words), words=boxes,
                      text_source="text", width=612.0, height=792.0)


def _timed(action: Callable[[], Any], count: int) -> float:
    """Milliseconds per call of `action`, run `count` times."""
    start = time.perf_counter()
    for _ in range(count):
        action()
    return (time.perf_counter() - start) * 1000 / count


def measure(settings: Settings, docs: int, pages: int) -> dict[str, float]:
    """The figures for one backend."""
    ids = [f"{n:016x}" for n in range(docs)]
    prepared = [_page(doc_id, n) for doc_id in ids for n in range(1, pages + 1)]
    out: dict[str, float] = {}
    with open_store(settings) as store:
        prod = store.ensure_production("Bench")
        for doc_id in ids:
            store.start_document(doc_id, doc_id * 4, doc_id, f"scans/b/{doc_id}.pdf", "pdf", 1)
            store.link(doc_id, prod["id"], f"{doc_id}.pdf")
        queue = iter(prepared)
        out["save_page_ms"] = _timed(lambda: store.save_page(next(queue)), len(prepared))
        queue = iter(prepared)
        out["set_annotations_ms"] = _timed(lambda: (lambda p: store.set_annotations(
            p.doc_id, p.page_no, {"bates": f"B-{p.page_no}"}))(next(queue)), len(prepared))
        queue = iter(prepared)
        out["save_signature_ms"] = _timed(lambda: (lambda p: store.save_signature(
            p.doc_id, p.page_no, 300, bytes(512), [random.getrandbits(63) for _ in range(42)],
            []))(next(queue)), len(prepared))
        for doc_id in ids:
            store.set_state(doc_id, "indexed")
        out["stats_ms"] = _timed(store.stats, 20)

    def request() -> None:
        doc_id = random.choice(ids)
        with open_store(settings, readonly=True) as reader:
            reader.page(doc_id, random.randint(1, pages))
            reader.document_productions(doc_id)

    out["reading_room_request_ms"] = _timed(request, 200)
    return {k: round(v, 3) for k, v in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "store.json")
    args = parser.parse_args()
    bindir = pgserver.find_bindir()
    if bindir is None:
        sys.exit("PostgreSQL is not installed: apt-get install postgresql")
    home = Path(tempfile.mkdtemp(prefix="store-bench-"))
    cluster = pgserver.Cluster(bindir)
    try:
        cluster.init()
        cluster.start()
        cluster.create_roles()
        url = cluster.url(cluster.new_database())
        results = {
            "pages": args.docs * args.pages,
            "sqlite": measure(load_settings(home), args.docs, args.pages),
            "postgres": measure(load_settings(home, database_url=url), args.docs, args.pages),
        }
    finally:
        if cluster.is_running():
            cluster.stop()
        cluster.remove()
        shutil.rmtree(home, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
