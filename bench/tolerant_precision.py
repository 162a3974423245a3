#!/usr/bin/env python3
"""Precision and findability of OCR-tolerant phrase search on real pages read by OCR.

Usage::

    python bench/tolerant_precision.py [--pages 30] [--dpi 100] [--quality 40] [--per-page 6]

Pages with a known text: the born-digital PDFs of ../shared/corpus/foia_pdfs/gov_born_digital
(their text layer is the truth) rendered at `--dpi` in grey, JPEG `--quality`, bound into
image-only PDFs, and the hand-transcribed scans of ../shared/corpus/ocr_ground_truth/
scribe_pages (their .gt.txt is the truth). They are added to a fresh archive by `archive
add`'s own pipeline: real tesseract, the archive's OCR settings. Phrases of 3 words holding a
word of 5+ letters are drawn from each page's true text (`--per-page`, fixed seed), then
searched exactly and with `tolerant=True`.

Beside them, as pages read by OCR (`text_source` "ocr", written straight to the index):
every text-layer page of gov_born_digital (their text is their truth: more pages where a
phrase could be matched wrongly; phrases are drawn from them too), and the Chicago PD
releases' own OCR text (repo_ocr_txt, cut into 2,000-character pages; real OCR noise, no
truth: their hits are counted apart, and listed with --verbose to be read).

* found: the share of phrases of the scanned pages whose page is among the hits.
* precision: of the hits on pages with a truth, the share whose true text holds the phrase
  (as the index reads it: words analysed, side by side); "fuzzy-only" counts the hits
  that named fuzzy words.

When the corpus is absent the script says so and exits 0. Writes bench/out/tolerant.json.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pymupdf
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from archive.catalog import Catalog  # noqa: E402
from archive.config import load_settings  # noqa: E402
from archive.errors import QueryError  # noqa: E402
from archive.ingest.pipeline import add_production  # noqa: E402
from archive.search.index import analyse_word, words_of  # noqa: E402
from archive.search.query import open_searcher, search  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
BORN = CORPUS / "foia_pdfs" / "gov_born_digital"
SCRIBE = CORPUS / "ocr_ground_truth" / "scribe_pages"


def _scanned(pdf: Path, out: Path, limit: int, dpi: int, quality: int) -> list[str]:
    """Bind the pages of `pdf` with a text layer, rendered as a scan, into `out`; their texts."""
    truths: list[str] = []
    with pymupdf.open(pdf) as source, pymupdf.open() as target:
        for page in source:
            text = page.get_text()
            if len(text.split()) < 40:
                continue
            pixmap = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
            image = Image.open(io.BytesIO(pixmap.tobytes("png")))
            jpeg = io.BytesIO()
            image.save(jpeg, "JPEG", quality=quality)
            sheet = target.new_page(width=page.rect.width, height=page.rect.height)
            sheet.insert_image(sheet.rect, stream=jpeg.getvalue())
            truths.append(text)
            if len(truths) >= limit:
                break
        if truths:
            target.save(out)
    return truths


def _forms(text: str) -> list[str]:
    return [analyse_word(word) for word, _, _ in words_of(text)]


def _holds(forms: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return any(forms[i:i + n] == phrase for i in range(len(forms) - n + 1))


def _phrases(text: str, count: int, rng: random.Random) -> list[str]:
    words = [word for word, _, _ in words_of(text)]
    starts = [i for i in range(len(words) - 2)
              if all(w.isalpha() for w in words[i:i + 3])
              and any(len(w) >= 5 for w in words[i:i + 3])]
    rng.shuffle(starts)
    return [" ".join(words[i:i + 3]) for i in starts[:count]]


def main() -> int:  # noqa: D103
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=30, help="born-digital pages at most")
    parser.add_argument("--dpi", type=int, default=100)
    parser.add_argument("--quality", type=int, default=40)
    parser.add_argument("--per-page", type=int, default=6)
    parser.add_argument("--home", type=Path, help="reuse the archive a previous run built here")
    parser.add_argument("--verbose", action="store_true", help="print the phrases missed")
    args = parser.parse_args()
    if not BORN.is_dir() or not SCRIBE.is_dir():
        print(f"corpus not found at {CORPUS}; nothing measured")
        return 0
    home = args.home or Path(tempfile.mkdtemp(prefix="tolerant-"))
    built = (home / "index" / "catalog.sqlite").exists()
    scans = home / "in"
    scans.mkdir(exist_ok=True)
    truth: dict[str, list[str]] = {}  # file name -> true text of each page
    per_file = max(2, args.pages // 8)
    for pdf in sorted(BORN.glob("*.pdf")):
        if sum(map(len, truth.values())) >= args.pages:
            break
        out = scans / f"{pdf.stem}.pdf"
        try:
            texts = _scanned(pdf, out, per_file, args.dpi, args.quality)
        except (RuntimeError, ValueError) as exc:
            print(f"{pdf.name}: skipped ({exc})")
            continue
        if texts:
            truth[out.name] = texts
    for png in sorted(SCRIBE.glob("*.png")):
        target = scans / png.name
        target.write_bytes(png.read_bytes())
        gt = png.with_name(png.stem + ".gt.txt")
        truth[png.name] = [gt.read_text() if gt.exists() else ""]
    settings = replace(load_settings(home, jobs=2, ocr_mode="auto"), search_deadline=0)
    started = time.monotonic()
    if not built:
        add_production([scans], settings, production="Sample")
    print(f"{sum(map(len, truth.values()))} pages added in {time.monotonic() - started:.0f} s "
          f"to {home}")
    pages: dict[tuple[str, int], tuple[str, list[str]]] = {}  # (doc_id, page) -> source, forms
    with Catalog(settings.catalog_path, readonly=True) as catalog:
        for doc in catalog.documents():
            name = Path(doc["path"]).name
            for row in catalog.pages(doc["doc_id"]):
                if name in truth and row["page_no"] <= len(truth[name]):
                    text = truth[name][row["page_no"] - 1]
                    pages[(doc["doc_id"], row["page_no"])] = (row["text_source"], _forms(text))
    judged = _distractors(settings, pages)
    rng = random.Random(11)
    results = {"exact": _measure(settings, pages, truth, judged, rng, args.per_page,
                                 tolerant=False)}
    rng = random.Random(11)
    results["tolerant"] = _measure(settings, pages, truth, judged, rng, args.per_page,
                                   tolerant=True, verbose=args.verbose)
    (REPO / "bench" / "out").mkdir(exist_ok=True)
    (REPO / "bench" / "out" / "tolerant.json").write_text(json.dumps(results, indent=1))
    for mode, found in results.items():
        print(f"{mode:9} phrases {found['phrases']}, refused {found['refused']}; "
              f"OCR'd pages found {found['found']:.1%}; hits {found['hits']}, "
              f"precision {found['precision']:.3f}; fuzzy-only hits {found['fuzzy_hits']} "
              f"(precision {found['fuzzy_precision']:.3f}); {found['unjudged_hits']} hits on "
              f"Chicago OCR text; p50 {found['p50_ms']:.0f} ms, "
              f"max {found['max_ms']:.0f} ms")
    return 0


def _distractors(settings, pages):  # type: ignore[no-untyped-def]
    """Index the text-layer pages (judged: added to `pages`) and the Chicago OCR text
    (not judged); the text of each judged page."""
    from archive.search import index

    ix = index.open_existing(settings.whoosh_dir)
    production = {"slug": "extra", "name": "Extra", "agency": "", "released": None}
    judged = {}
    with index.writer(ix) as w:
        for n, pdf in enumerate(sorted(BORN.glob("*.pdf"))):
            try:
                with pymupdf.open(pdf) as source:
                    texts = [page.get_text() for page in source]
            except (RuntimeError, ValueError):
                continue
            doc_id = f"e{n:015x}"
            rows = [{"page_no": k, "text": t, "text_source": "ocr", "annotations": {}}
                    for k, t in enumerate(texts, 1) if len(t.split()) >= 40]
            index.add_pages(w, {"doc_id": doc_id, "title": pdf.name, "kind": "pdf",
                                "page_count": len(texts), "productions": [production]}, rows)
            for row in rows:
                pages[(doc_id, row["page_no"])] = ("text", _forms(row["text"]))
                judged[(doc_id, row["page_no"])] = row["text"]
        chicago = CORPUS / "foia_pdfs" / "chicago_pd_foia" / "repo_ocr_txt"
        for n, txt in enumerate(sorted(chicago.glob("*.txt"))):
            text = txt.read_text(errors="replace")
            chunks = [text[i:i + 2000] for i in range(0, len(text), 2000)]
            index.add_pages(w, {"doc_id": f"c{n:015x}", "title": txt.name, "kind": "pdf",
                                "page_count": len(chunks), "productions": [production]},
                            [{"page_no": k, "text": t, "text_source": "ocr", "annotations": {}}
                             for k, t in enumerate(chunks, 1)])
    print(f"{len(judged)} text-layer pages and the Chicago OCR text added as OCR'd pages")
    return judged


def _measure(settings, pages, truth, judged, rng, per_page, *,  # type: ignore[no-untyped-def]
             tolerant, verbose=False):
    """Search every page's phrases; findability, precision, timings."""
    by_doc = {}
    with Catalog(settings.catalog_path, readonly=True) as catalog:
        for doc in catalog.documents():
            by_doc[doc["doc_id"]] = Path(doc["path"]).name
    phrases = searched = found = hits = right = fuzzy_hits = fuzzy_right = refused = 0
    unjudged = 0
    times: list[float] = []
    with open_searcher(settings) as searcher:
        for doc_id, page_no in sorted(pages):
            scanned = doc_id in by_doc
            text = (truth[by_doc[doc_id]][page_no - 1] if scanned
                    else judged[(doc_id, page_no)])
            for phrase in _phrases(text, per_page if scanned else 2, rng):
                wanted = _forms(phrase)
                phrases += 1
                started = time.perf_counter()
                try:
                    result = search(searcher, f'"{phrase}"', settings, pagelen=1000,
                                    tolerant=tolerant)
                except QueryError:
                    refused += 1
                    continue
                times.append((time.perf_counter() - started) * 1000)
                hit_it = any(h.doc_id == doc_id and h.page == page_no for h in result.hits)
                if scanned:
                    searched += 1
                    found += hit_it
                    if verbose and not hit_it:
                        print(f"missed {phrase!r} on {by_doc[doc_id]} p. {page_no}")
                for hit in result.hits:
                    if (hit.doc_id, hit.page) not in pages:
                        unjudged += 1
                        if verbose and hit.fuzzy_words:
                            print(f"unjudged fuzzy hit {phrase!r}: {hit.fuzzy_words} "
                                  f"{hit.excerpt!r}")
                        continue
                    good = _holds(pages[(hit.doc_id, hit.page)][1], wanted)
                    hits += 1
                    right += good
                    if hit.fuzzy_words:
                        fuzzy_hits += 1
                        fuzzy_right += good
                    if verbose and not good:
                        print(f"wrong hit {phrase!r}: {hit.fuzzy_words} {hit.excerpt!r}")
    return {"phrases": phrases, "refused": refused, "found": found / max(searched, 1),
            "unjudged_hits": unjudged,
            "hits": hits, "precision": right / max(hits, 1), "fuzzy_hits": fuzzy_hits,
            "fuzzy_precision": fuzzy_right / max(fuzzy_hits, 1),
            "p50_ms": statistics.median(times) if times else 0.0,
            "max_ms": max(times, default=0.0)}


if __name__ == "__main__":
    sys.exit(main())
