#!/usr/bin/env python3
"""Phrases on line-numbered pages, with and without margin line numbers kept out of the
word sequence; line numbers found; what detection costs and what else it flags.

Usage::

    python bench/line_numbers.py            # ~1 min on 2 cores (five tesseract readings)
    python bench/line_numbers.py --no-ocr   # text layers only (seconds)

Pages: tests/resources/DERIVED_pleading_scotus_tarrant-v-herrmann.pdf (28-line pleading
paper) by its text layer and scanned (rendered gray) at 150, 200 and 300 dpi; from
../shared/corpus when present, a real pleading (x-ray__whitespace_redactions.pdf, C.D.
Cal.) by text layer and at 200 dpi, and a real condensed deposition transcript (four
pages of 1-25 on a sheet, scribe_pages/deposition_01) by its hand-corrected word boxes and
by OCR. A phrase is the last two words of a typed line and the first two of the next, one
per line end (the margin number stands between them in the text); it is found when
`archive.search.matches.match_spans` (the rule the index and the highlights share) finds
it in the page text, with the page's margin spans (now) and without (before). OCR is the
worker's: `ocr.ocr_image` then `numbered_lines.reread` ("before": `ocr_image` alone).
Detection cost and pages flagged: every text-layer page of ../shared/corpus (60 a file).
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import time
from pathlib import Path

import pymupdf
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive.foia import line_numbers  # noqa: E402
from archive.read import extract, numbered_lines, ocr  # noqa: E402
from archive.search.index import analyse_word  # noqa: E402
from archive.search.matches import match_spans  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
PLEADING = REPO / "tests" / "resources" / "DERIVED_pleading_scotus_tarrant-v-herrmann.pdf"
XRAY = CORPUS / "odd_pdfs" / "redaction" / "x-ray__whitespace_redactions.pdf"
DEPOSITION = CORPUS / "ocr_ground_truth" / "scribe_pages" / "deposition_01"
_TOKEN = re.compile(r"\w+(?:['’]\w+)*")


def phrases(pdf: Path) -> list[list[str]]:
    """A four-word phrase across each line end of the typed lines (x >= 88 pt, between the
    page's head and foot), analysed as the index analyses words."""
    _, words = _layer(pdf)
    rows: dict[int, list[str]] = {}
    for x0, y0, _, y1, word in words:
        if x0 >= 88 and y0 > 50 and y1 < 730:
            rows.setdefault(round(y1), []).append(word)
    lines = [_TOKEN.findall(" ".join(row)) for _, row in sorted(rows.items())]
    return [[analyse_word(w) for w in a[-2:] + b[:2]] for a, b in zip(lines, lines[1:],
                                                                       strict=False)]


def _layer(pdf: Path) -> tuple[str, list]:
    doc = pymupdf.open(pdf)
    try:
        return extract.text_layer(doc[0])
    finally:
        doc.close()


def _scan(pdf: Path, dpi: int) -> Image.Image:
    doc = pymupdf.open(pdf)
    pix = doc[0].get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
    doc.close()
    return Image.frombytes("L", (pix.width, pix.height), pix.samples)


def found(text: str, words: list, wanted: list[list[str]],
          show: bool = True) -> tuple[int, int, int]:
    """(phrases found with margin spans, without them, line numbers detected); the phrases
    missed with margin spans are printed when `show`."""
    note = line_numbers.annotation(text, words) or {"spans": [], "words": []}
    spans = [tuple(s) for s in note["spans"]]
    now = sum(1 for seq in wanted if match_spans(text, [seq], spans))
    for seq in (seq for seq in wanted if show and not match_spans(text, [seq], spans)):
        print(f"    missed: {' '.join(seq)}")
    before = sum(1 for seq in wanted if match_spans(text, [seq]))
    return now, before, len(note["words"])


def read(image: Image.Image, dpi: int, again: bool) -> tuple[str, list]:
    options = ocr.OcrOptions(lang="eng", dpi=dpi)
    result = ocr.ocr_image(image, options)
    if again:
        result = numbered_lines.reread(image, result, options)
    return result.text, result.words


def row(name: str, wanted: int, figures: tuple[int, int, int], extra: str = "") -> None:
    now, before, numbers = figures
    print(f"{name:<44} {now:>3}/{wanted:<3} {before:>3}/{wanted:<3} {numbers:>4}  {extra}")


def pleadings(use_ocr: bool) -> None:
    print(f"{'page':<44} {'now':>7} {'before':>7} {'nums':>4}")
    pages = [(PLEADING, "pleading (DERIVED)")]
    if XRAY.exists():
        pages.append((XRAY, "real pleading (x-ray, C.D. Cal.)"))
    for pdf, name in pages:
        wanted = phrases(pdf)
        text, words = _layer(pdf)
        row(f"{name}, text layer", len(wanted), found(text, words, wanted))
        for dpi in ((150, 200, 300) if pdf == PLEADING else (200,)) if use_ocr else ():
            image = _scan(pdf, dpi)
            started = time.perf_counter()
            text, words = read(image, dpi, again=True)
            spent = time.perf_counter() - started
            old_text, old_words = read(image, dpi, again=False)
            now = found(text, words, wanted)
            old = found(old_text, old_words, wanted, show=False)
            numbers_before = len(line_numbers.find(old_words))
            row(f"{name}, OCR {dpi} dpi", len(wanted), (now[0], old[1], now[2]),
                f"(before: {numbers_before} numbers read; OCR + re-read {spent:.1f} s)")


def deposition(use_ocr: bool) -> None:
    if not DEPOSITION.with_suffix(".png").exists():
        print("deposition: ../shared/corpus absent, skipped")
        return
    hocr = DEPOSITION.with_name(DEPOSITION.name + ".truth.hocr").read_text()
    truth = [[int(a), int(b), int(c), int(d), html.unescape(re.sub("<[^>]+>", "", w))]
             for a, b, c, d, w in re.findall(
                 r"class=.ocrx_word.[^>]*bbox (\d+) (\d+) (\d+) (\d+)[^>]*>(.*?)</span>", hocr)]
    print(f"condensed deposition, hand-corrected boxes: {len(line_numbers.find(truth))} of "
          "100 line numbers")
    if use_ocr:
        image = Image.open(DEPOSITION.with_suffix(".png")).convert("L")
        text, words = read(image, 235, again=True)
        wanted = _transcript_phrases(DEPOSITION.with_suffix(".gt.txt").read_text())
        old_text, old_words = read(image, 235, again=False)
        now, old = found(text, words, wanted, show=False), found(old_text, old_words, wanted,
                                                                show=False)
        print(f"condensed deposition, OCR 235 dpi: {now[2]} of 100 line numbers; phrases "
              f"across line ends {now[0]}/{len(wanted)} (before: {old[1]}/{len(wanted)}, "
              f"tesseract reading across the small pages)")


def _transcript_phrases(truth: str) -> list[list[str]]:
    """A phrase across each line end of the hand transcription (one line of the sheet's
    small pages a line; its numbers in runs of lines of their own, or first on the line):
    pairs of consecutive lines of two words or more, numbers left out."""
    lines = [_TOKEN.findall(line.replace("’", "'")) for line in truth.splitlines()]
    lines = [line[1:] if len(line) > 1 and line[0].isdigit() else line for line in lines]
    return [[analyse_word(w) for w in a[-2:] + b[:2]]
            for a, b in zip(lines, lines[1:], strict=False) if len(a) > 1 and len(b) > 1]


def corpus_cost() -> None:
    pages = flagged = 0
    spent = 0.0
    names: list[str] = []
    for pdf in sorted(CORPUS.rglob("*.pdf")):
        try:
            doc = pymupdf.open(pdf)
            count = 0 if doc.needs_pass else min(doc.page_count, 60)
        except (RuntimeError, ValueError):
            continue
        with doc:
            for number in range(count):
                try:
                    _, words = extract.text_layer(doc[number])
                except (RuntimeError, ValueError):
                    break
                started = time.perf_counter()
                hit = line_numbers.find(words)
                spent += time.perf_counter() - started
                pages += 1
                if hit:
                    flagged += 1
                    names.append(f"{pdf.name} p{number + 1} ({len(hit)})")
    print(f"corpus text layers: {pages} pages, {flagged} flagged ({', '.join(names)}), "
          f"detection {1000 * spent / max(pages, 1):.3f} ms a page")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-ocr", action="store_true", help="text layers only")
    args = parser.parse_args()
    pymupdf.TOOLS.mupdf_display_errors(False)
    pleadings(not args.no_ocr)
    deposition(not args.no_ocr)
    if CORPUS.is_dir():
        corpus_cost()


if __name__ == "__main__":
    main()
