#!/usr/bin/env python3
"""What costly queries cost: fuzzy and prefix terms on an index with a large vocabulary.

Usage::

    python bench/query_cost.py                    # 4,000 pages, ~42k distinct words, 4 segments
    python bench/query_cost.py --parallel 8       # also: 8 threads run the 5-fuzzy query at once
    python bench/query_cost.py --vocabulary 80000 --rebuild

The index is written with the archive's own writer (`archive.search.index`) into
bench/out/query_cost/ and reused while its parameters are unchanged. Each query is run
through `archive.search.query.search` with the default settings (or `ARCHIVE_*` variables), and
its wall time and outcome (hits, or the error a user would see) are printed. Random words
over a-z stand in for OCR's long tail of rare words, which is what makes a fuzzy term walk
a large part of the vocabulary.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from archive.config import Settings, load_settings  # noqa: E402
from archive.errors import ArchiveError  # noqa: E402
from archive.search import index  # noqa: E402
from archive.search.query import open_searcher, search  # noqa: E402

FIVE_FUZZY = "aax~2 OR aex~2 OR aix~2 OR aox~2 OR aux~2"
PREFIXES = " OR ".join(f"{a}{b}*" for a in "abcd" for b in string.ascii_lowercase[:25])
QUERIES = [  # (label, query, tolerant)
    ("one word", "detainer", False),
    ("fuzzy, distance 1", "detainer~1", False),
    ("fuzzy, distance 2", "detainer~2", False),
    ("short fuzzy, distance 2", "aax~2", False),
    ("5 OR'd fuzzy terms (issue 8)", FIVE_FUZZY, False),
    ("100 OR'd prefixes", PREFIXES, False),
    ("phrase", '"detainer sally port"', False),
    ("fuzzy word in a phrase", '"detaner~1 sally port"', False),
    ("tolerant phrase", '"detainer sally port"', True),
    ("tolerant phrase, 3 long words", '"detainer sally porter"', True),
]


def build(home: Path, pages: int, vocabulary: int, segments: int, seed: int = 7) -> Settings:
    """An archive home whose index holds `pages` pages of random words, in `segments`
    commits (each commit leaves a segment, as `archive add` does in batches)."""
    settings = load_settings(home)
    stamp = home / "built.txt"
    key = f"{pages} {vocabulary} {segments} {seed}\n"
    if stamp.exists() and stamp.read_text() == key:
        return settings
    rng = random.Random(seed)
    words = sorted({"".join(rng.choice(string.ascii_lowercase)
                            for _ in range(rng.randint(3, 10))) for _ in range(vocabulary)})
    ix = index.recreate(settings.whoosh_dir)
    per_doc, done = 10, 0
    for _ in range(segments):
        with index.writer(ix) as w:
            for _ in range(pages // segments // per_doc):
                doc = {"doc_id": f"{done:016x}", "title": "bench", "kind": "pdf",
                       "page_count": per_doc, "productions": [{"slug": "b", "name": "B"}]}
                done += 1
                texts = [" ".join(rng.choices(words, k=80)) + " detainer sally port"
                         for _ in range(per_doc)]
                index.add_pages(w, doc, [{"page_no": n + 1, "text": t, "text_source": "text"}
                                         for n, t in enumerate(texts)])
    stamp.write_text(key)
    return settings


def run(settings: Settings, text: str, tolerant: bool = False) -> tuple[float, str]:
    """(seconds, outcome) of one search."""
    started = time.perf_counter()
    try:
        with open_searcher(settings) as searcher:
            found = search(searcher, text, settings, tolerant=tolerant)
        outcome = f"{found.total} pages"
    except ArchiveError as exc:
        outcome = f"{type(exc).__name__}: {exc.message}"
    return time.perf_counter() - started, outcome


def parallel(settings: Settings, text: str, threads: int) -> tuple[float, list[str]]:
    """Wall seconds for `threads` threads each running `text` once, and their outcomes."""
    outcomes: list[str] = []

    def one() -> None:
        outcomes.append(run(settings, text)[1])

    started = time.perf_counter()
    workers = [threading.Thread(target=one) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started, outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=4000)
    parser.add_argument("--vocabulary", type=int, default=45000,
                        help="random words drawn (some collide or stem together)")
    parser.add_argument("--segments", type=int, default=4)
    parser.add_argument("--parallel", type=int, default=0,
                        help="also run the 5-fuzzy query in this many threads at once")
    parser.add_argument("--home", type=Path, default=REPO / "bench" / "out" / "query_cost")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args(argv)
    if args.rebuild:
        (args.home / "built.txt").unlink(missing_ok=True)
    settings = build(args.home, args.pages, args.vocabulary, args.segments)
    with open_searcher(settings) as searcher:
        assert searcher is not None
        distinct = sum(1 for _ in searcher.reader().lexicon("text"))
    print(f"{args.pages} pages, {distinct} distinct words in `text`, {args.segments} segments")
    run(settings, "warm")
    for label, text, tolerant in QUERIES:
        seconds, outcome = run(settings, text, tolerant)
        print(f"{label:32} {seconds:7.2f} s  {outcome[:110]}")
    if args.parallel:
        seconds, outcomes = parallel(settings, FIVE_FUZZY, args.parallel)
        print(f"{args.parallel} x 5 fuzzy in parallel: {seconds:.1f} s wall; "
              f"outcomes: {sorted(set(o[:60] for o in outcomes))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
