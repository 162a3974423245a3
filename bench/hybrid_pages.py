#!/usr/bin/env python3
"""Measure hybrid pages (issue 11): phrases found, time spent, and what born-digital pages cost.

Usage::

    python bench/hybrid_pages.py [--scribe 7] [--phrases 15]

Hybrid pages are built from real pages: a page of the Supreme Court's slip opinion in
No. 11-889 (../shared/corpus `gov_born_digital/vector-pdf.pdf`; absent: a message, exit 0)
shrunk into the top half of a Letter page, its text layer kept, and a real scan pasted into
the lower half: the first page of each NTSB email in scans/ntsb-mu5735 (public domain), and
the hand-transcribed pages of ../shared/corpus `ocr_ground_truth/scribe_pages`. Each hybrid
page, the same page without its picture (what was indexed before: the text layer alone),
and each scan on a page of its own are added with `archive add` (real tesseract, one
worker); then phrases are searched as "phrases", page by page.

Reported:
* the phrases known to be read on two NTSB scans (tests/resources/README.md, "safe OCR
  assertions") found on their hybrid pages (goal 100 %), and before;
* of the 3-word phrases full-page OCR reads on a scan alone, the share found on its hybrid
  page, and the other way round (goal 100 %; both readings have OCR noise, and phrases
  across a reading-order boundary: tesseract is given the picture, not the page);
* 3-word phrases of the transcriptions found: hybrid pages, before, the scans alone;
* the opinion's own phrases still found on the hybrid pages (goal 100 %);
* wall time of the hybrid `add` and of the scans' `add`;
* born-digital pages (the opinion, a 1st Cir. filing, a CA report): what deciding costs per
  page, and how many were rendered or OCR'd for it (goal 0).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pymupdf  # noqa: E402

from archive.catalog import Catalog  # noqa: E402
from archive.config import Settings, load_settings  # noqa: E402
from archive.ingest.pipeline import add_production  # noqa: E402
from archive.read import extract, hybrid  # noqa: E402
from archive.search.query import open_searcher, search  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
OPINION = CORPUS / "foia_pdfs" / "gov_born_digital" / "vector-pdf.pdf"
SCRIBE = CORPUS / "ocr_ground_truth" / "scribe_pages"
NTSB = REPO / "scans" / "ntsb-mu5735"
SAFE = {  # read in 9 runs of 9 on these scans (tests/resources/README.md)
    "12-rzcommu_1-058": ["Wall Street journal article", "National Transportation Safety Board",
                         "Major Investigations Division", "Senior Aviation Accident Investigator",
                         "Investigator in Charge", "Sathya S. Silva",
                         "Yes Capt Lin, I understand", "2022/05/18 09:29:00",
                         "490 L'Enfant Plaza", "Washington, DC 20594",
                         "EXCHANGE ADMINISTRATIVE GROUP"],
    "01-rzcommu_1-019": ["Fwd: China Eastern", "Thursday, March 21, 2024", "Dear Sathya",
                         "Capt. Lin", "Thank you for your email and detailed explanation",
                         "2024/03/21 08:01:11"],
}
BORN_DIGITAL = ["vector-pdf.pdf", "ca1_00117684624.pdf", "ca-warn-report.pdf"]
_WORD = re.compile(r"[A-Za-z]{3,}")


def pictures(scribe: int) -> list[tuple[str, bytes]]:
    """(name, image bytes): each NTSB email's first page image, then `scribe` scans."""
    found = []
    for pdf in sorted(NTSB.glob("*.pdf")):
        doc = pymupdf.open(pdf)
        found.append((pdf.stem, doc.extract_image(doc[0].get_images()[0][0])["image"]))
    if SCRIBE.is_dir():
        found += [(png.stem, png.read_bytes()) for png in sorted(SCRIBE.glob("*.png"))[:scribe]]
    return found


def build(folder: Path, scans: list[tuple[str, bytes]]) -> dict[str, list[Path]]:
    """PDFs by kind: "hybrid", "before" (the hybrid page without its picture), "alone"."""
    opinion = pymupdf.open(OPINION)
    made: dict[str, list[Path]] = {"hybrid": [], "before": [], "alone": []}
    for n, (name, image) in enumerate(scans):
        for kind in made:
            doc = pymupdf.open()
            page = doc.new_page(width=612, height=792)
            if kind != "alone":  # the opinion's text layer, at half size, in the top half
                page.show_pdf_page(pymupdf.Rect(153, 18, 459, 414), opinion,
                                   1 + n % (opinion.page_count - 3))
            if kind != "before":
                page.insert_image(page.rect if kind == "alone" else
                                  pymupdf.Rect(72, 420, 540, 774), stream=image)
            made[kind].append(folder / kind / f"{name}.pdf")
            made[kind][-1].parent.mkdir(parents=True, exist_ok=True)
            doc.save(made[kind][-1])
    return made


def phrases(text: str, limit: int) -> list[str]:
    """Up to `limit` phrases of 3 consecutive words of a text, each word 3+ letters with
    nothing but punctuation around it, evenly spread over the text."""
    words = [w.strip(".,;:!?()[]\"'’”“") for w in text.split()]
    found = [" ".join(words[i:i + 3]) for i in range(len(words) - 2)
             if all(_WORD.fullmatch(w) for w in words[i:i + 3])]
    step = max(1, len(found) // limit)
    return found[::step][:limit]


def found(settings: Settings, phrase: str, title: str) -> bool:
    """Whether a search for the phrase has the page titled `title` among its hits."""
    with open_searcher(settings) as searcher:
        hits = search(searcher, f'"{phrase}"', settings, pagelen=100).hits
    return any(h.title == title for h in hits)


def add(files: list[Path], home: Path) -> tuple[Settings, float]:
    settings = load_settings(home, jobs=1, ocr_mode="auto", ocr_lang="eng+Latin")
    start = time.perf_counter()
    report = add_production(files, settings, production=home.name)
    if report.failed:
        raise SystemExit(f"add failed: {report.failed}")
    return settings, time.perf_counter() - start


def texts(settings: Settings) -> dict[str, tuple[str, str]]:
    """Each page's (text, text_source), by title."""
    with Catalog(settings.catalog_path) as catalog:
        return {d["title"]: next((p["text"], p["text_source"])
                                 for p in catalog.pages(d["doc_id"]))
                for d in catalog.documents()}


def findability(scribe: int, per_page: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        scans = pictures(scribe)
        made = build(root / "in", scans)
        homes = {kind: add(files, root / kind) for kind, files in made.items()}
        read = {kind: texts(settings) for kind, (settings, _) in homes.items()}
        now, before, alone = homes["hybrid"][0], homes["before"][0], homes["alone"][0]
        tally: Counter[str] = Counter()
        for name, _ in scans:
            tally["hybrid_pages"] += read["hybrid"][name][1] == "text+ocr"
            truth = SCRIBE / f"{name}.gt.txt"
            picture = read["hybrid"][name][0][len(read["before"][name][0]):]  # comes last
            for key, said, where in (
                ("safe", SAFE.get(name, []), {"now": now, "before": before, "alone": alone}),
                ("ocr", phrases(read["alone"][name][0], per_page), {"now": now}),
                ("now_ocr", phrases(picture, per_page), {"alone": alone}),  # the other way
                ("truth", phrases(truth.read_text(encoding="utf-8"), per_page)
                 if truth.is_file() else [], {"now": now, "before": before, "alone": alone}),
                ("layer", phrases(read["before"][name][0], per_page), {"now": now}),
            ):
                for phrase in said:
                    tally[key] += 1
                    for suffix, settings in where.items():
                        tally[f"{key}_{suffix}"] += found(settings, phrase, name)
        return {**tally, "pages": len(scans), "hybrid_add_s": homes["hybrid"][1],
                "alone_add_s": homes["alone"][1], "before_add_s": homes["before"][1]}


def decision_cost(settings: Settings) -> dict[str, Any]:
    """Per born-digital page: time to decide (text layer aside), and renders/OCR it caused."""
    pages = decided = 0
    spent = 0.0
    for name in BORN_DIGITAL:
        doc = pymupdf.open(CORPUS / "foia_pdfs" / "gov_born_digital" / name)
        for page in doc:
            text, words = extract.text_layer(page)
            start = time.perf_counter()
            found = extract.pictures(page)
            full = extract.needs_ocr(page, text, words, settings.min_text_chars, found)
            chosen = [] if full else hybrid.pictures_to_read(found, words,
                                                              settings.min_text_chars)
            spent += time.perf_counter() - start
            pages += 1
            decided += bool(full or chosen)
    return {"pages": pages, "to_ocr": decided, "ms_per_page": 1000 * spent / max(pages, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scribe", type=int, default=7, help="transcribed scans (max 7)")
    parser.add_argument("--phrases", type=int, default=15, help="phrases per page and kind")
    args = parser.parse_args()
    if not OPINION.is_file():
        print(f"{OPINION} is absent: nothing to measure")
        return 0
    settings = replace(load_settings(REPO), ocr_mode="auto")
    cost = decision_cost(settings)
    print(f"born-digital pages: {cost['pages']}, sent to OCR (whole or pictures): "
          f"{cost['to_ocr']}, deciding: {cost['ms_per_page']:.3f} ms a page")
    f = findability(args.scribe, args.phrases)

    def share(part: str, whole: str) -> str:
        have, of = f.get(part, 0), f.get(whole, 0)
        return f"{have} of {of} ({100 * have / max(of, 1):.1f} %)"

    print(f"hybrid pages: {f['pages']}, read as text+ocr: {f['hybrid_pages']}")
    print(f"known phrases of the NTSB scans found: now {share('safe_now', 'safe')}, "
          f"before {share('safe_before', 'safe')}, the scans alone {share('safe_alone', 'safe')}")
    print(f"phrases full-page OCR reads on the scans alone, found on the hybrid pages: "
          f"{share('ocr_now', 'ocr')}; the other way round: {share('now_ocr_alone', 'now_ocr')}")
    print(f"transcription phrases found: hybrid pages {share('truth_now', 'truth')}, before "
          f"{share('truth_before', 'truth')}, the scans alone {share('truth_alone', 'truth')}")
    print(f"text-layer phrases found on the hybrid pages: {share('layer_now', 'layer')}")
    print(f"add: hybrid pages {f['hybrid_add_s']:.1f} s, the scans alone "
          f"{f['alone_add_s']:.1f} s, the text layers alone {f['before_add_s']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
