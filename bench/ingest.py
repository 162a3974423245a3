"""Parts 1, 2 and 4: `archive add` on scanned and on born-digital pages, against baselines.

Every `add` is the real command (`python -m archive --home H add ... --jobs N --json`) in a
fresh archive home, timed from outside, with its process tree's CPU time and memory
sampled from /proc (bench/procmon.py).
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import procmon
from make_corpus import Corpus, write_pdfs

ROOT = Path(__file__).resolve().parents[1]
SCAN_SOURCES = [ROOT.parent / "shared" / "corpus" / "foia_pdfs" / "ntsb_mu5735",
                ROOT / "scans" / "ntsb-mu5735"]


def archive_add(home: Path, inputs: list[Path], jobs: int, production: str) -> procmon.Run:
    """`archive add` in a fresh home; raises if it fails."""
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    cmd = [sys.executable, "-m", "archive", "--home", str(home), "add", *map(str, inputs),
           "--jobs", str(jobs), "--json", "--production", production]
    run = procmon.run(cmd, env={"PYTHONPATH": os.environ.get("PYTHONPATH", "")})
    if run.returncode not in (0, 3):  # 3: partial (some file failed): still a measurement
        raise RuntimeError(f"archive add failed ({run.returncode}): {run.stderr[-2000:]}")
    return run


# Part 1 ------------------------------------------------------------------------------------

def scanned_inputs() -> list[Path] | None:
    """The NTSB release's PDFs and response-letter images, or None when absent."""
    for folder in SCAN_SOURCES:
        if folder.is_dir():
            files = sorted(p for p in folder.rglob("*")
                           if p.suffix.lower() in (".pdf", ".png", ".tif", ".tiff", ".jpg"))
            if files:
                return files
    return None


def _ocr_pages(pages: list[tuple[str, str, int]]) -> list[dict[str, Any]]:
    """In a worker: render each page as the pipeline does, then time tesseract on it.

    The tesseract calls are `archive.read.ocr.ocr_image`'s (the languages, --psm, --dpi, and the
    orientation check plus second reading when the first reads poorly), and only their
    CPU time counts: the children's rusage around each call.
    """
    from archive.config import load_settings
    from archive.read import extract, ocr

    settings = load_settings(Path.cwd())
    lang = ocr.usable_lang(settings.ocr_lang)
    out = []
    for path, kind, page_no in pages:
        doc = extract.open_document(Path(path), kind, settings)
        page = doc[page_no - 1]
        render_dpi, true_dpi = extract.ocr_resolution(page, kind, settings.ocr_dpi)
        image, dpi = extract.render_page(page, render_dpi, settings.max_image_pixels)
        options = ocr.OcrOptions(lang=lang, dpi=round(true_dpi * dpi / render_dpi),
                                 timeout=settings.ocr_timeout,
                                 osd_confidence=settings.ocr_osd_confidence)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = ocr.ocr_image(image, options)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        doc.close()
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        out.append({"cpu": cpu, "second_look": bool(result.rotation) or (
            result.confidence or 0) < settings.ocr_osd_confidence})
    return out


def _page_list(files: list[Path]) -> list[tuple[str, str, int]]:
    import pymupdf

    pages = []
    for path in files:
        kind = "pdf" if path.suffix.lower() == ".pdf" else "image"
        with pymupdf.open(path) as doc:
            pages.extend((str(path), kind, n) for n in range(1, doc.page_count + 1))
    return pages


def tesseract_baseline(files: list[Path], jobs: int) -> dict[str, Any]:
    """Σ tesseract CPU over the pages, the pages spread over `jobs` processes."""
    pages = _page_list(files)
    chunks = [pages[i::jobs] for i in range(jobs)]
    started = time.perf_counter()
    with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as pool:
        results = [r for chunk in pool.map(_ocr_pages, chunks) for r in chunk]
    return {"pages": len(pages), "tesseract_cpu_s": round(sum(r["cpu"] for r in results), 1),
            "second_looks": sum(r["second_look"] for r in results),
            "wall_s": round(time.perf_counter() - started, 1)}


def scanned(out_dir: Path, jobs: int) -> dict[str, Any] | None:
    """Part 1: wall time of `add` on the scans vs Σ tesseract CPU ÷ jobs."""
    files = scanned_inputs()
    if files is None:
        return None
    run = archive_add(out_dir / "scan-home", files, jobs, "bench scanned")
    base = tesseract_baseline(files, jobs)
    ideal = base["tesseract_cpu_s"] / jobs
    report = _report_json(run)
    return {
        "files": len(files), "pages": base["pages"], "jobs": jobs,
        "ocr_pages": report.get("ocr_pages"),
        "add_wall_s": round(run.wall_s, 1), "add_cpu_s": round(run.cpu_s, 1),
        "tesseract_cpu_s": base["tesseract_cpu_s"], "second_looks": base["second_looks"],
        "baseline_wall_s": round(ideal, 1),
        "baseline_pool_wall_s": base["wall_s"],  # the baseline's own pool, same machine load
        "ratio": round(run.wall_s / ideal, 2) if ideal else None,
        "cpu_ratio": round(run.cpu_s / base["tesseract_cpu_s"], 2)
        if base["tesseract_cpu_s"] else None,
        "memory": run.memory.as_dict(),
    }


def _report_json(run: procmon.Run) -> dict[str, Any]:
    import json

    try:
        data: dict[str, Any] = json.loads(run.stdout)
    except ValueError:
        return {}
    return data


# Parts 2 and 4 ------------------------------------------------------------------------------

def whoosh_baseline(corpus: Corpus, pages: int, folder: Path) -> dict[str, Any]:
    """Raw Whoosh: the same pages, the same schema and fields, one writer, one commit."""
    from archive.search import index

    shutil.rmtree(folder, ignore_errors=True)
    ix = index.recreate(folder)
    doc = {"doc_id": "0" * 16, "title": "baseline", "kind": "pdf", "page_count": pages,
           "productions": [{"slug": "bench-born", "name": "bench born", "agency": None,
                            "released": None, "created": 0.0}]}
    texts = list(corpus.pages(pages))
    started = time.perf_counter()
    cpu0 = time.process_time()
    writer = ix.writer(limitmb=128)
    for n, text in enumerate(texts, 1):
        writer.add_document(**index.page_fields(
            doc, {"page_no": n, "text": text, "text_source": "text", "annotations": {}}))
    writer.commit()
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu0
    ix.close()
    shutil.rmtree(folder, ignore_errors=True)
    return {"pages": pages, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
            "pages_per_s": round(pages / wall, 1)}


def born_digital(out_dir: Path, pages: int, jobs: int, *, seed: int = 1,
                 baseline: bool = True) -> dict[str, Any]:
    """`add` on born-digital PDFs of `pages` pages (pages/s, memory), and optionally the
    raw-Whoosh baseline on the same texts."""
    corpus = Corpus(seed=seed)
    t0 = time.perf_counter()
    pdfs = write_pdfs(corpus, pages, out_dir / f"born-{pages}-pdfs")
    made = time.perf_counter() - t0
    run = archive_add(out_dir / f"born-{pages}-home", [pdfs[0].parent], jobs, "bench born")
    report = _report_json(run)
    result: dict[str, Any] = {
        "pages": pages, "files": len(pdfs), "jobs": jobs, "pdfs_made_s": round(made, 1),
        "pages_read": report.get("pages"), "ocr_pages": report.get("ocr_pages"),
        "add_wall_s": round(run.wall_s, 1), "add_cpu_s": round(run.cpu_s, 1),
        "add_pages_per_s": round(pages / run.wall_s, 1), "memory": run.memory.as_dict(),
    }
    if baseline:
        base = whoosh_baseline(corpus, pages, out_dir / "whoosh-baseline")
        result["whoosh"] = base
        result["ratio"] = round(result["add_pages_per_s"] / base["pages_per_s"], 2)
    return result
