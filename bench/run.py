#!/usr/bin/env python3
"""Benchmark the archive on this machine: ingest (scanned and born-digital), search, memory.

Usage::

    python bench/run.py                      # everything at default sizes (< ~15 min, 2 cores)
    python bench/run.py --parts search       # one part: scan, born, search, rss
    python bench/run.py --full               # search at 10k and 100k pages (long: builds 100k)
    python bench/run.py --search-pages 20000 --born-pages 500 --jobs 2

Parts (each prints its figures, then one table of everything is printed):

1. scan    wall time of `archive add --jobs N` on the NTSB release's scanned pages, against
           Σ tesseract CPU on the same page images ÷ N (skipped when the scans are absent).
           Goal: ratio ≤ 1.10.
2. born    pages/s of `archive add` on born-digital PDFs (synthetic text, bench/make_corpus.py)
           against raw Whoosh indexing of the same texts (same schema, one writer, one
           commit). Goal: ratio ≥ 0.8.
3. search  p50/p95 of `archive.search.query.search` (10 hits, highlighted) over a synthetic index
           built through the catalog and IndexBatch; phrase queries are the headline.
           Goal: phrase p95 ≤ 50 ms at 100k pages.
4. rss     peak resident memory of the supervisor and of each worker during a 10k-page
           born-digital `add`, next to the 2k-page `add` of part 2. Goal: ≤ 400 MB, flat.

Wall times on a shared machine include other people's work: the load average is recorded,
and CPU-time figures (not disturbed by load) are given beside the wall-clock ones.
Results: bench/out/results.json (bench/out/ is not versioned).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ingest  # noqa: E402
import search_latency  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main(argv: list[str] | None = None) -> int:
    """Run the chosen parts, print a table, write bench/out/results.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="scan,born,search,rss",
                        help="comma-separated: scan, born, search, rss")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--born-pages", type=int, default=2000)
    parser.add_argument("--rss-pages", type=int, default=10000)
    parser.add_argument("--search-pages", default="10000",
                        help="comma-separated index sizes, e.g. 10000,100000")
    parser.add_argument("--repeats", type=int, default=15, help="runs of each query")
    parser.add_argument("--full", action="store_true", help="search at 10k and 100k pages")
    parser.add_argument("--rebuild", action="store_true", help="rebuild cached search indexes")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--search-home", type=Path,
                        help="measure search on this built archive (same corpus, e.g. "
                        "bench_web.py's) instead of building one")
    args = parser.parse_args(argv)
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    sizes = [10000, 100000] if args.full else [int(s) for s in args.search_pages.split(",")]
    args.out.mkdir(parents=True, exist_ok=True)

    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(), "load_at_start": _load()},
        "started": time.strftime("%Y-%m-%d %H:%M:%S"), "jobs": args.jobs,
    }
    if "scan" in parts:
        print("== 1. scanned ingest", flush=True)
        results["scan"] = ingest.scanned(args.out, args.jobs)
        print(json.dumps(results["scan"], indent=1) if results["scan"] else
              "   skipped: the NTSB scans are not here", flush=True)
    if "born" in parts or "rss" in parts:
        print(f"== 2. born-digital ingest, {args.born_pages} pages", flush=True)
        results["born"] = ingest.born_digital(args.out, args.born_pages, args.jobs)
        print(json.dumps(results["born"], indent=1), flush=True)
    if "search" in parts:
        results["search"] = {}
        for size in sizes:
            print(f"== 3. search latency, {size} pages", flush=True)
            found = search_latency.run(args.out, size, repeats=args.repeats,
                                       rebuild=args.rebuild, home=args.search_home)
            results["search"][str(size)] = found
            print(json.dumps({k: v for k, v in found.items() if k != "queries"}, indent=1),
                  flush=True)
    if "rss" in parts:
        print(f"== 4. memory, born-digital add of {args.rss_pages} pages", flush=True)
        results["rss"] = ingest.born_digital(args.out, args.rss_pages, args.jobs,
                                             baseline=False)
        print(json.dumps(results["rss"], indent=1), flush=True)
    results["machine"]["load_at_end"] = _load()
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    print()
    print(table(results))
    print(f"\nload average at start {results['machine']['load_at_start']}, "
          f"at end {results['machine']['load_at_end']} ({os.cpu_count()} cores); "
          f"written to {args.out / 'results.json'}")
    return 0


def table(results: dict[str, Any]) -> str:
    """One table: measured value, baseline, ratio, goal."""
    rows: list[tuple[str, str, str, str, str]] = []
    scan = results.get("scan")
    if scan:
        rows.append((f"1. scanned add, {scan['pages']} pages, --jobs {scan['jobs']}",
                     f"{scan['add_wall_s']} s wall", f"{scan['baseline_wall_s']} s "
                     f"(Σ tesseract {scan['tesseract_cpu_s']} s ÷ {scan['jobs']})",
                     f"{scan['ratio']}", "≤ 1.10"))
        rows.append(("   same, CPU of the whole add", f"{scan['add_cpu_s']} s CPU",
                     f"{scan['tesseract_cpu_s']} s CPU", f"{scan['cpu_ratio']}", ""))
    born = results.get("born")
    if born and "whoosh" in born:
        rows.append((f"2. born-digital add, {born['pages']} pages",
                     f"{born['add_pages_per_s']} pages/s",
                     f"{born['whoosh']['pages_per_s']} pages/s (raw Whoosh)",
                     f"{born['ratio']}", "≥ 0.8"))
    for size, found in (results.get("search") or {}).items():
        rows.append((f"3. phrase search, {int(size):,} pages, p50 / p95",
                     f"{found['phrase_p50_ms']} / {found['phrase_p95_ms']} ms (CPU "
                     f"{found['phrase_cpu_p50_ms']} / {found['phrase_cpu_p95_ms']} ms)",
                     f"Whoosh's path {found['whoosh_phrase_p50_ms']} / "
                     f"{found['whoosh_phrase_p95_ms']} ms", f"{found['phrase_p95_ratio']}",
                     "p95 ≤ 100 ms" if int(size) >= 100000 else ""))
        for label, q in found["queries"].items():
            said = f"about {q['total']}" if q.get("estimated") else str(q["total"])
            error = (f", estimate {q['estimate_error_pct']:+}% of {q['exact_total']}"
                     if q.get("estimated") else "")
            rows.append((f"   {label}: {q['query']} ({said} pages{error})",
                         f"{q['p50_ms']} / {q['p95_ms']} ms",
                         f"CPU {q['cpu_p50_ms']} / {q.get('cpu_p95_ms')} ms, first "
                         f"{q.get('first_ms')} ms", "", ""))
        rows.append(("   opening a searcher", f"{found['open_searcher_ms']} ms", "", "", ""))
    for key in ("born", "rss"):
        run = results.get(key)
        if run:
            mem = run["memory"]
            rows.append((f"4. peak RSS, born-digital add of {run['pages']} pages",
                         f"supervisor {mem['supervisor_peak_mb']} MB, worker "
                         f"{mem['worker_peak_mb']} MB", f"tree {mem['tree_peak_mb']} MB "
                         f"({mem['workers_seen']} workers)", "", "≤ 400 MB"))
            rows.append(("   of which private (not mapped index files)",
                         f"supervisor {mem.get('supervisor_anon_peak_mb')} MB, worker "
                         f"{mem.get('worker_anon_peak_mb')} MB", "", "", ""))
    if results.get("rss"):
        rows.append((f"   add of {results['rss']['pages']} pages",
                     f"{results['rss']['add_pages_per_s']} pages/s", "", "", ""))
    widths = [max(len(r[i]) for r in rows) for i in range(5)] if rows else [0] * 5
    head = ("measure", "measured", "baseline / detail", "ratio", "goal")
    widths = [max(w, len(h)) for w, h in zip(widths, head, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
