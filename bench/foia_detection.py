#!/usr/bin/env python3
"""Precision and recall of the FOIA detectors on the hand-labelled sample.

Usage::

    python bench/foia_detection.py [--labels tests/resources/labelled/labels.json] [--verbose]
    python bench/foia_detection.py --worker   # every page read afresh by the worker, timed

Pages come from tests/resources/labelled/labels.json (58 pages: NTSB email printouts and
response letter, the project's reconstructed ICE email, Chicago PD / Cook County releases,
born-digital court and agency PDFs, redaction test files). Text and word boxes are taken
from the committed OCR cache (ocr_pages.json) for the public-domain pages; the other pages
are read from ../shared/corpus with the archive's own worker (text layer, or OCR where
needed), cached in bench/out/foia_pages.json. Pages whose file is absent are skipped and
counted. Redaction boxes, and the exemption labels inside them, are always detected afresh
from the page image (the OCR rendering for scans, read by OCR box by box, with
`--label-dpi`; 72 dpi otherwise, labels from the text layer), and the box labels join the
page's exemptions as they do at index time. The time this takes per page is printed.

Metrics:

* exemptions: (page, label) pairs.
* bates: a page's detected number is right when its key equals the label's.
* email: pages with a header block (detection); then, on pages found, the share whose
  subject matches (case- and space-insensitive similarity >= 0.8) and whose date is right.
* record_date: exact ISO date.
* redactions: pages with any box (page level), and boxes counted per page, scored as
  min(found, true) true positives, the excess as false positives, the shortfall as misses.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive.config import load_settings  # noqa: E402
from archive.foia import (  # noqa: E402
    annotate,  # noqa: E402
    bates,
    box_labels,
    redactions,
)
from archive.read import extract, ocr, worker  # noqa: E402

LABELS = REPO / "tests" / "resources" / "labelled" / "labels.json"
OCR_CACHE = REPO / "tests" / "resources" / "labelled" / "ocr_pages.json"
OUT = REPO / "bench" / "out" / "foia_pages.json"


class Score:
    """True positives, false positives and misses of one detector."""

    def __init__(self) -> None:
        self.tp = self.fp = self.fn = 0

    def add(self, tp: int = 0, fp: int = 0, fn: int = 0) -> None:
        self.tp, self.fp, self.fn = self.tp + tp, self.fp + fp, self.fn + fn

    def row(self, name: str) -> str:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")
        return f"{name:24} {p:9.2f} {r:7.2f} {self.tp:5} {self.fp:5} {self.fn:5}"


def _kind(path: Path) -> str:
    return "image" if path.suffix.lower() in (".png", ".jpg", ".jpeg", ".tif", ".tiff") else "pdf"


_FIELDS = ("text", "words", "width", "height", "text_source")


def _present(labels: list[dict[str, Any]],
             missing: list[str]) -> list[tuple[dict[str, Any], str, Path]]:
    """(label, key, path) of the labelled pages whose file is here; the others' keys go to
    `missing`."""
    here = []
    for label in labels:
        key = f"{label['file']}#{label['page']}"
        path = (REPO / label["path"]).resolve()
        if path.exists():
            here.append((label, key, path))
        else:
            missing.append(key)
    return here


def _read(path: Path, key: str, page_no: int, settings: Any, lang: str) -> dict[str, Any]:
    """One page as `worker.read_page` reads it (OCR included), and the time it took."""
    started = time.perf_counter()
    page = worker.read_page(path, _kind(path), key, page_no, settings, "auto", lang)
    return {"text": page.text, "words": page.words, "width": page.width,
            "height": page.height, "text_source": page.text_source, "path": path,
            "redactions": page.annotations.get("redactions") or {"count": 0},
            "seconds": time.perf_counter() - started}


def read_pages(labels: list[dict[str, Any]]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Text, words and size of every labelled page whose file is here (cached)."""
    cached = {f"{p['file']}#{p['page']}": p
              for p in json.loads(OCR_CACHE.read_text())["pages"]} if OCR_CACHE.exists() else {}
    if OUT.exists():
        cached.update(json.loads(OUT.read_text()))
    settings = load_settings(REPO, ocr_mode="auto")
    lang = ""
    found: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    fresh = False
    for label, key, path in _present(labels, missing):
        if key not in cached:
            lang = lang or ocr.usable_lang(settings.ocr_lang)
            read = _read(path, key, label["page"], settings, lang)
            cached[key] = {f: read[f] for f in _FIELDS}
            fresh = True
        found[key] = {**cached[key], "path": path}
    if fresh:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        mine = {k: {f: v[f] for f in _FIELDS}
                for k, v in found.items() if not k.startswith(("ntsb/", "recon/"))}
        OUT.write_text(json.dumps(mine, ensure_ascii=False))
    return found, missing


def read_fresh(labels: list[dict[str, Any]]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Every labelled page read now by `worker.read_page`, with the time each took."""
    settings = load_settings(REPO, ocr_mode="auto")
    lang = ocr.usable_lang(settings.ocr_lang)
    missing: list[str] = []
    found = {key: _read(path, key, label["page"], settings, lang)
             for label, key, path in _present(labels, missing)}
    return found, missing


def detect_redactions(path: Path, page: dict[str, Any], page_no: int,
                      label_dpi: str) -> dict[str, Any]:
    """Redaction boxes and their labels as the worker finds them on this page.

    `label_dpi` is "ocr" (ARCHIVE_OCR_DPI, as this bench always rendered scans) or "native"
    (the worker's own choice, `extract.ocr_resolution`).
    """
    settings = load_settings(REPO)
    doc = extract.open_document(path, _kind(path), settings)
    try:
        if page["text_source"] != "ocr":
            image, used = extract.render_page(doc[page_no - 1], redactions.TARGET_DPI,
                                              settings.max_image_pixels)
            return redactions.detect(image, used, box_labels.from_words(page["words"]))
        dpi: float = settings.ocr_dpi
        if label_dpi == "native":
            dpi = extract.ocr_resolution(doc[page_no - 1], _kind(path), settings.ocr_dpi,
                                         settings.ocr_upsample_below)[0]
        image, used = extract.render_page(doc[page_no - 1], dpi, settings.max_image_pixels)
        options = ocr.OcrOptions(lang=ocr.usable_lang(settings.ocr_lang))
        return redactions.detect(image, used, box_labels.from_ocr(options))
    finally:
        doc.close()


def _same_subject(a: str, b: str) -> bool:
    a, b = " ".join(a.lower().split()), " ".join(b.lower().split())
    return SequenceMatcher(None, a, b).ratio() >= 0.8


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--verbose", action="store_true", help="print every disagreement")
    parser.add_argument("--label-dpi", choices=("ocr", "native"), default="ocr",
                        help="render scans at ARCHIVE_OCR_DPI, or as the worker does")
    parser.add_argument("--worker", action="store_true",
                        help="read every page afresh with the worker (OCR included, no "
                             "cache): text, words, boxes and labels exactly as `add` does")
    args = parser.parse_args()
    labels = json.loads(args.labels.read_text())["pages"]
    pages, missing = read_fresh(labels) if args.worker else read_pages(labels)
    scores = {name: Score() for name in ("exemptions", "bates", "email header", "record_date",
                                         "redacted page", "redaction boxes")}
    subjects = dates = email_found = 0
    seconds = 0.0
    for label in labels:
        key = f"{label['file']}#{label['page']}"
        if key not in pages:
            continue
        page = pages[key]
        started = time.perf_counter()
        boxes = page["redactions"] if args.worker else detect_redactions(
            page["path"], page, label["page"], args.label_dpi)
        seconds += page["seconds"] if args.worker else time.perf_counter() - started
        notes = annotate.text_annotations(page["text"], page["words"], page["width"],
                                          page["height"], boxes)
        problems = _score(scores, label, notes, boxes)
        email, truth = notes["email"], label["email"]
        if email and truth:
            email_found += 1
            subjects += _same_subject(email["subject"], truth["subject"])
            dates += email["date"] == truth["date"]
        if args.verbose and problems:
            print(f"{key}: " + "; ".join(problems))
    print(f"labelled pages: {len(labels)}, scored: {len(pages)}, file absent: {len(missing)}")
    print(f"{'detector':24} {'precision':>9} {'recall':>7} {'tp':>5} {'fp':>5} {'fn':>5}")
    for name, score in scores.items():
        print(score.row(name))
    if email_found:
        print(f"email fields on the {email_found} header pages found: subject right "
              f"{subjects}/{email_found}, date right {dates}/{email_found}")
    what = "the worker's whole reading (OCR included)" if args.worker else \
        "redaction boxes and their labels (rendering included)"
    print(f"{what}: {seconds / max(1, len(pages)):.2f} s per page")
    return 0


def _score(scores: dict[str, Score], label: dict[str, Any], notes: dict[str, Any],
           boxes: dict[str, Any]) -> list[str]:
    problems = []
    truth, found = set(label["exemptions"]), set(notes["exemptions"])
    scores["exemptions"].add(len(truth & found), len(found - truth), len(truth - found))
    if truth != found:
        problems.append(f"exemptions {sorted(found)} != {sorted(truth)}")
    true_key = bates.normalize(label["bates"]) if label["bates"] else None
    found_key = bates.normalize(notes["bates"]) if notes["bates"] else None
    scores["bates"].add(tp=int(bool(true_key) and found_key == true_key),
                        fp=int(bool(found_key) and found_key != true_key),
                        fn=int(bool(true_key) and found_key != true_key))
    if true_key != found_key:
        problems.append(f"bates {notes['bates']!r} != {label['bates']!r}")
    has, want = notes["email"] is not None, label["email"] is not None
    scores["email header"].add(tp=int(has and want), fp=int(has and not want),
                               fn=int(want and not has))
    if has != want:
        problems.append(f"email {'found' if has else 'missed'}")
    got, date = notes["record_date"], label["record_date"]
    scores["record_date"].add(tp=int(bool(date) and got == date),
                              fp=int(bool(got) and got != date),
                              fn=int(bool(date) and got != date))
    if got != date:
        problems.append(f"record_date {got} != {date}")
    count, true_count = boxes["count"], label["redactions"]
    scores["redacted page"].add(tp=int(count > 0 and true_count > 0),
                                fp=int(count > 0 and true_count == 0),
                                fn=int(count == 0 and true_count > 0))
    scores["redaction boxes"].add(tp=min(count, true_count), fp=max(0, count - true_count),
                                  fn=max(0, true_count - count))
    if count != true_count:
        problems.append(f"boxes {count} != {true_count}")
    return problems


if __name__ == "__main__":
    sys.exit(main())
