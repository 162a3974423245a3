"""Part 3: phrase-search latency (10 highlighted hits) on a synthetic index of N pages.

The index is built through the archive's own catalog and `IndexBatch` (the same schema,
analyzer, batch sizes and commits as `archive add`), with no PDF and no OCR. A built index
is kept under bench/out/ and reused while the corpus and the index code are unchanged.
"""

from __future__ import annotations

import hashlib
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from make_corpus import Corpus

from archive.catalog import Catalog
from archive.config import Settings, load_settings
from archive.models import PageResult, Word
from archive.search import query as archive_search
from archive.search.index import SCHEMA_VERSION, open_or_create
from archive.search.writer import IndexBatch

PRODUCTIONS = ["ICE detainers 2017", "NTSB MU5735", "Chicago PD stops", "DOJ interim 7"]

# (label, query, production filter). Phrases first: they are the headline figure.
PHRASE_QUERIES = [
    ("rare phrase (0.1%)", '"sally port"', None),
    ("rare phrase (0.3%)", '"rikers island"', None),
    ("medium phrase (1%)", '"declined detainer"', None),
    ("phrase (5%)", '"field office"', None),
    ("common 3-word phrase (20%)", '"freedom of information"', None),
    ("function-word phrase", '"of the"', None),
    ("phrase, one production", '"declined detainer"', "ice-detainers-2017"),
]
OTHER_QUERIES = [
    ("single word", "detainer", None),
    ("AND of words", "detainer AND custody", None),
    ("OR of phrases", '"sally port" OR "rikers island"', None),
    ("prefix", "detain*", None),
]


def _source_key(corpus: Corpus, pages: int) -> str:
    """What a built index depends on: the corpus, its size, the schema version and this file.

    Code changes that keep the schema version (and so the index) reuse it; `--rebuild`
    forces a new one.
    """
    digest = hashlib.sha256(f"{corpus.seed}:{pages}:{SCHEMA_VERSION}".encode())
    digest.update(Path(__file__).read_bytes().split(b"def _percentile")[0])
    return digest.hexdigest()[:16]


def write_synthetic(home: Path, corpus: Corpus, pages: int, *, tag: str = "bench",
                    words: Callable[[str], list[Word]] = lambda text: [],
                    text_source: str = "text", ocr_confidence: float | None = None,
                    production_meta: dict[str, Any] | None = None) -> int:
    """Write `pages` synthetic pages into a fresh catalog and index under `home`, through the
    archive's own catalog and IndexBatch (same schema and analyzer as `archive add`).

    Returns the number of index segments left.
    """
    shutil.rmtree(home, ignore_errors=True)
    settings = load_settings(home)
    page_no = 1
    with Catalog(settings.catalog_path) as catalog:
        ix = open_or_create(settings.whoosh_dir)
        prods = [catalog.ensure_production(name, production_meta) for name in PRODUCTIONS]
        batch = IndexBatch(catalog, ix)
        for n, size in enumerate(corpus.document_sizes(pages), 1):
            doc_id = hashlib.sha256(f"{tag}:{corpus.seed}:{n}".encode()).hexdigest()[:16]
            catalog.start_document(doc_id, doc_id * 4, f"doc-{n:05d}", f"scans/doc-{n:05d}.pdf",
                                   "pdf", 0)
            catalog.link(doc_id, prods[n % len(prods)]["id"], f"doc-{n:05d}.pdf")
            catalog.set_probe(doc_id, size, [], {})
            for page in range(1, size + 1):
                text = corpus.page_text(page_no)
                catalog.save_page(PageResult(doc_id=doc_id, page_no=page, text=text,
                                             words=words(text), text_source=text_source,
                                             width=612.0, height=792.0,
                                             ocr_confidence=ocr_confidence))
                page_no += 1
            catalog.set_state(doc_id, "extracted")
            batch.add(doc_id)
            batch.flush_if_due()
        batch.flush()
        reader = ix.reader()
        segments = len(reader.leaf_readers()) if hasattr(reader, "leaf_readers") else 1
        reader.close()
        ix.close()
    return segments


def build(home: Path, corpus: Corpus, pages: int, *, rebuild: bool = False) -> dict[str, Any]:
    """Build (or reuse) an archive home with `pages` synthetic pages; return build figures."""
    key = _source_key(corpus, pages)
    marker = home / "built.key"
    if not rebuild and marker.exists() and marker.read_text() == key:
        return {"reused": True, "build_s": None, "pages": pages}
    started = time.perf_counter()
    segments = write_synthetic(home, corpus, pages)
    build_s = time.perf_counter() - started
    marker.write_text(key)
    return {"reused": False, "build_s": round(build_s, 1), "pages": pages,
            "pages_per_s": round(pages / build_s, 1), "segments": segments}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _whoosh_path(searcher: Any, text: str, settings: Settings,
                 production: str | None) -> int:
    """The search as it ran before archive/search/vectors.py (still the path for query
    shapes it leaves to Whoosh): Whoosh's matchers through CountingCollector, every match
    scored and counted, 10 hits with excerpts. The baseline of the same run."""
    from archive.search import bounds, collectors

    matcher_query, sequences = archive_search.prepare(searcher, text, settings,
                                                      bounds.Deadline(0))
    collector = collectors.CountingCollector(
        10, archive_search._FACETS, only=("production_id", production) if production else None)
    searcher.search_with_collector(matcher_query, collector)
    for hit in collector.results()[:10]:
        archive_search.hit_of(hit.fields(), float(hit.score or 0.0), sequences)
    return collector.matched


def measure(settings: Settings, repeats: int = 15) -> dict[str, Any]:
    """Latency of `archive.search.query.search` (pagelen 10) for each query, with a reused searcher.

    Also times opening a searcher (what a CLI call or a per-request searcher pays).
    """
    out: dict[str, Any] = {"queries": {}}
    opened = []
    for _ in range(5):
        t0 = time.perf_counter()
        with archive_search.open_searcher(settings) as searcher:
            assert searcher is not None
            searcher.doc_count()
        opened.append(time.perf_counter() - t0)
    out["open_searcher_ms"] = round(1000 * statistics.median(opened), 1)
    phrase_times: list[float] = []
    phrase_cpu: list[float] = []
    base_times: list[float] = []
    base_cpus: list[float] = []
    with archive_search.open_searcher(settings) as searcher:
        assert searcher is not None
        out["segments"] = len(searcher.reader().leaf_readers()) if hasattr(
            searcher.reader(), "leaf_readers") else 1
        for label, text, production in PHRASE_QUERIES + OTHER_QUERIES:
            times, cpu = [], []
            result = None
            first_ms = 0.0
            for i in range(repeats + 1):
                t0, c0 = time.perf_counter(), time.process_time()
                result = archive_search.search(searcher, text, settings, pagelen=10,
                                               production=production)
                if i:  # the first run warms caches
                    times.append(time.perf_counter() - t0)
                    cpu.append(time.process_time() - c0)
                else:
                    first_ms = 1000 * (time.perf_counter() - t0)
            assert result is not None
            marks = sum(h.excerpt.count("<mark>") for h in result.hits)
            exact = archive_search.search(searcher, text, settings, pagelen=10,
                                          production=production, exact=True)
            base, base_cpu = [], []
            for _ in range(max(3, repeats // 3)):  # interleaved with no other work
                t0, c0 = time.perf_counter(), time.process_time()
                base_total = _whoosh_path(searcher, text, settings, production)
                base.append(time.perf_counter() - t0)
                base_cpu.append(time.process_time() - c0)
            assert base_total == exact.total, (text, base_total, exact.total)
            out["queries"][label] = {
                "query": text, "production": production, "total": result.total,
                "estimated": result.total_is_estimate, "exact_total": exact.total,
                "estimate_error_pct": round(100 * (result.total - exact.total)
                                            / max(exact.total, 1), 2),
                "same_top_hits": [(h.doc_id, h.page) for h in result.hits]
                == [(h.doc_id, h.page) for h in exact.hits],
                "hits": len(result.hits), "marks": marks, "first_ms": round(first_ms, 1),
                "p50_ms": round(1000 * _percentile(times, 0.5), 1),
                "p95_ms": round(1000 * _percentile(times, 0.95), 1),
                "cpu_p50_ms": round(1000 * _percentile(cpu, 0.5), 1),
                "cpu_p95_ms": round(1000 * _percentile(cpu, 0.95), 1),
                "whoosh_p50_ms": round(1000 * _percentile(base, 0.5), 1),
                "whoosh_p95_ms": round(1000 * _percentile(base, 0.95), 1),
                "whoosh_cpu_p50_ms": round(1000 * _percentile(base_cpu, 0.5), 1),
                "cpu_ratio": round(_percentile(cpu, 0.5) / max(_percentile(base_cpu, 0.5),
                                                               1e-9), 3),
            }
            if (label, text, production) in PHRASE_QUERIES:
                base_times.extend(base)
                base_cpus.extend(base_cpu)
            if (label, text, production) in PHRASE_QUERIES:
                phrase_times.extend(times)
                phrase_cpu.extend(cpu)
    out["phrase_p50_ms"] = round(1000 * _percentile(phrase_times, 0.5), 1)
    out["phrase_p95_ms"] = round(1000 * _percentile(phrase_times, 0.95), 1)
    out["phrase_cpu_p50_ms"] = round(1000 * _percentile(phrase_cpu, 0.5), 1)
    out["phrase_cpu_p95_ms"] = round(1000 * _percentile(phrase_cpu, 0.95), 1)
    out["whoosh_phrase_p50_ms"] = round(1000 * _percentile(base_times, 0.5), 1)
    out["whoosh_phrase_p95_ms"] = round(1000 * _percentile(base_times, 0.95), 1)
    out["whoosh_phrase_cpu_p95_ms"] = round(1000 * _percentile(base_cpus, 0.95), 1)
    out["phrase_p95_ratio"] = round(out["phrase_p95_ms"] / max(out["whoosh_phrase_p95_ms"],
                                                               1e-9), 3)
    return out


def run(out_dir: Path, pages: int, *, seed: int = 1, repeats: int = 15,
        rebuild: bool = False, home: Path | None = None) -> dict[str, Any]:
    """Build or reuse the index of `pages` pages and measure it (`home`: an archive
    already built, e.g. bench_web.py's, with the same corpus)."""
    corpus = Corpus(seed=seed)
    if home is None:
        home = out_dir / f"search-{pages}"
        built = build(home, corpus, pages, rebuild=rebuild)
    else:
        built = {"reused": True, "home": str(home)}
    result = measure(load_settings(home), repeats=repeats)
    result["build"] = built
    result["pages"] = pages
    return result
