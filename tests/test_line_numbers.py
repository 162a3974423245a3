"""Line-numbered pages (issue 11): phrases run past margin line numbers, which are still
found alone; numbers of the prose and of tables keep their place.

Real pages (tests/resources/README.md): the syllabus of a Supreme Court opinion typed on
28-line pleading paper, page 2 of the same opinion as published (a numbered holding, "a 25
percent cap"), an FBI table of figures; from ../shared when present: a real pleading
(C.D. Cal.) and a real condensed deposition transcript (four pages of 1-25 on one sheet).
"""

from __future__ import annotations

import html
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pymupdf
import pytest

from archive.catalog import Catalog
from archive.config import Settings, load_settings
from archive.foia import line_numbers
from archive.ingest.pipeline import add_production
from archive.models import OcrResult
from archive.read import extract, numbered_lines
from archive.search.index import word_tokens
from archive.search.matches import highlight_text, match_boxes
from archive.search.query import open_searcher, query_terms, search
from tests.conftest import CORPUS, RESOURCES, needs_corpus, needs_tesseract

PLEADING = "DERIVED_pleading_scotus_tarrant-v-herrmann.pdf"
PAGE_TWO = "DERIVED_page2_scotus_tarrant-v-herrmann.pdf"
TABLE = "table_nics-background-checks-2015-11-rotated.pdf"
XRAY = CORPUS / "odd_pdfs" / "redaction" / "x-ray__whitespace_redactions.pdf"
DEPOSITION = CORPUS / "ocr_ground_truth" / "scribe_pages" / "deposition_01"
_TOKEN = re.compile(r"\w+(?:'\w+)*")


def _layer(path: Path) -> tuple[str, list]:
    doc = pymupdf.open(path)
    try:
        return extract.text_layer(doc[0])
    finally:
        doc.close()


def _pleading_lines() -> list[list[str]]:
    """The words of the pleading's 28 typed lines (right of the margin), line by line."""
    _, words = _layer(RESOURCES / PLEADING)
    rows: dict[int, list[str]] = {}
    for x0, _, _, y1, word in words:
        if x0 >= 88 and y1 < 730:
            rows.setdefault(round(y1), []).append(word)
    assert len(rows) == 28
    return [_TOKEN.findall(" ".join(row)) for _, row in sorted(rows.items())]


def _phrases_across_lines() -> list[str]:
    """A phrase across each of the 27 line ends: the last two words of a line and the first
    two of the next, with the next line's number between them in the text."""
    lines = _pleading_lines()
    return [" ".join(a[-2:] + b[:2]) for a, b in zip(lines, lines[1:], strict=False)]


def _titles(settings: Settings, q: str) -> dict[str, str]:
    with open_searcher(settings) as searcher:
        return {hit.title: hit.excerpt for hit in search(searcher, q, settings).hits}


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The pleading, the published page 2 and the table, read from their text layers."""
    root = tmp_path_factory.mktemp("lines")
    folder = root / "in"
    folder.mkdir()
    for name, as_name in ((PLEADING, "pleading.pdf"), (PAGE_TWO, "opinion-page-2.pdf"),
                          (TABLE, "nics-table.pdf")):
        shutil.copy(RESOURCES / name, folder / as_name)
    settings = load_settings(root / "home", jobs=1, ocr_mode="never", ocr_lang="eng")
    report = add_production([folder], settings, production="Filings")
    assert not report.failed and report.pages == 3
    return settings


def test_the_28_numbers_of_pleading_paper_are_found(resources: Path) -> None:
    text, words = _layer(resources / PLEADING)
    found = line_numbers.find(words)
    assert [words[i][4] for i in found] == [str(n) for n in range(1, 29)]
    note = line_numbers.annotation(text, words)
    assert note is not None and note["words"] == found
    assert [text[s:e] for s, e in note["spans"]] == [str(n) for n in range(1, 29)]


@pytest.mark.parametrize("name", [PAGE_TWO, TABLE])
def test_numbers_of_the_prose_or_a_table_are_not_line_numbers(resources: Path,
                                                                name: str) -> None:
    text, words = _layer(resources / name)
    assert any(re.fullmatch(r"\d+", str(w[4])) for w in words)
    assert line_numbers.find(words) == []
    assert line_numbers.annotation(text, words) is None


@needs_corpus
def test_a_real_pleading_and_a_condensed_transcript() -> None:
    text, words = _layer(XRAY)
    assert [words[i][4] for i in line_numbers.find(words)] == [str(n) for n in range(1, 29)]
    # the transcript's hand-corrected word boxes: four pages of 1-25 on one sheet
    hocr = (DEPOSITION.parent / f"{DEPOSITION.name}.truth.hocr").read_text()
    truth = [[int(x0), int(y0), int(x1), int(y1), html.unescape(re.sub("<[^>]+>", "", w))]
             for x0, y0, x1, y1, w in re.findall(
                 r"class=.ocrx_word.[^>]*bbox (\d+) (\d+) (\d+) (\d+)[^>]*>(.*?)</span>", hocr)]
    found = line_numbers.find(truth)
    assert sorted(int(truth[i][4]) for i in found) == sorted(list(range(1, 26)) * 4)


def _typed(lines: list[tuple[float, list[str]]]) -> list[list]:
    """Word boxes of lines typed at (y, words): 12-pt words 60 pt apart from x = 90, a
    bare number right-aligned at x = 72 where a line's first word is a number."""
    words: list[list] = []
    for y, line in lines:
        for k, word in enumerate(line):
            x0 = 72 - 6 * len(word) if k == 0 and word.isdigit() else 90 + 60 * k
            words.append([x0, y, x0 + (6 * len(word) if word.isdigit() else 50), y + 14, word])
    return words


def test_numbered_paragraphs_are_not_line_numbers_but_a_right_margin_is() -> None:
    # (beside the real pages above: what those do not show)
    paragraphs: list[tuple[float, list[str]]] = []
    y = 72.0
    for n in range(1, 15):  # bare paragraph numbers, paragraphs of one to three lines
        paragraphs.append((y, [str(n), "The", "party", "says"]))
        for more in range(1, 1 + n % 3):
            paragraphs.append((y + 24 * more, ["and", "more"]))
        y += 24 * (1 + n % 3)
    assert line_numbers.find(_typed(paragraphs)) == []
    right = [[90, 72 + 24 * n, 500, 86 + 24 * n, f"text of line {n}"] for n in range(1, 26)]
    right += [[546 - 6 * len(str(n)), 72 + 24 * n, 546, 86 + 24 * n, str(n)]
              for n in range(1, 26)]
    assert [right[i][4] for i in line_numbers.find(right)] == [str(n) for n in range(1, 26)]


def test_two_small_pages_side_by_side_are_put_in_reading_order() -> None:
    # (beside the real condensed transcript read by OCR below) as tesseract reads a sheet:
    # line by line across both small pages, the right page's number between
    words: list[list] = []
    for n in range(1, 11):
        y = 100 + 24 * n
        words += [[60, y, 72, y + 14, str(n)], [90, y, 150, y + 14, f"left{n}"],
                  [160, y, 220, y + 14, "text"], [340, y, 352, y + 14, str(n)],
                  [370, y, 430, y + 14, f"right{n}"], [440, y, 500, y + 14, "text"]]
    text = "\n".join(" ".join(str(w[4]) for w in words[k:k + 6])
                     for k in range(0, len(words), 6))
    read = numbered_lines.in_pages(OcrResult(text=text, words=words, confidence=90.0))
    lines = read.text.split("\n")
    assert lines[:2] == ["1 left1 text", "2 left2 text"]
    assert lines[10:13] == ["", "1 right1 text", "2 right2 text"]
    assert [w[4] for w in read.words] == read.text.split()


def test_margin_numbers_keep_no_place_in_the_word_sequence() -> None:
    text = "for oral\n13 argument, Okla-\n14\nhoma 15"
    margins = [(9, 11), (28, 30)]
    tokens = [(pos, word) for pos, word, _, _ in word_tokens(text, margins)]
    assert tokens == [(0, "for"), (1, "oral"), (2, "13"), (2, "argument"), (3, "Okla"),
                      (4, "14"), (3, "Oklahoma"), (4, "homa"), (4, "15")]
    assert {w: p for p, w, _, _ in word_tokens(text)}["argument"] == 3  # without: a word


def test_phrases_across_every_line_number_are_found(archived: Settings) -> None:
    phrases = _phrases_across_lines()
    assert len(phrases) == 27
    missed = [p for p in phrases if "pleading" not in _titles(archived, f'"{p}"')]
    assert missed == []


def test_a_line_number_is_found_alone_and_shown(archived: Settings) -> None:
    found = _titles(archived, "13")
    assert "<mark>13</mark>" in found["pleading"]
    assert "opinion-page-2" not in found  # (the table has a 13 among its figures)


def test_numbers_of_the_prose_keep_their_place(archived: Settings) -> None:
    # a prose number and a line number in one phrase: "more than 25 percent of the\n14\nwater"
    assert "pleading" in _titles(archived, '"more than 25 percent of the water"')
    assert "pleading" not in _titles(archived, '"more than percent of the water"')
    page_two = _titles(archived, '"subject to a 25 percent cap"')
    assert list(page_two) == ["opinion-page-2"]
    # a numbered holding, "Held: 1. The Compact", on both pages: the 1 stays in the phrase
    assert set(_titles(archived, '"Held: 1. The Compact"')) == {"opinion-page-2", "pleading"}
    assert set(_titles(archived, '"Held: The Compact"')) == set()
    assert list(_titles(archived, '"Alabama 18,870 23,022"')) == ["nics-table"]
    assert list(_titles(archived, '"Alabama 23,022"')) == []
    assert set(_titles(archived, "25")) >= {"pleading", "opinion-page-2"}


def test_excerpt_text_and_boxes_mark_both_parts_of_a_phrase_not_the_number(
        archived: Settings) -> None:
    q = '"percent of the water"'
    excerpt = _titles(archived, q)["pleading"]
    assert "<mark>the</mark>\n14\n<mark>water</mark>" in excerpt
    with Catalog(archived.catalog_path) as catalog:
        doc_id = next(d["doc_id"] for d in catalog.documents() if d["title"] == "pleading")
        row = catalog.page(doc_id, 1)
        assert row is not None
        text, words = row["text"], json.loads(row["words"])
        notes = json.loads(row["annotations"])
    sequences = query_terms(q, archived)
    marked = highlight_text(text, sequences, line_numbers.spans(notes))
    assert "<mark>percent of the</mark>\n14\n<mark>water</mark>" in marked
    boxes = match_boxes(words, sequences, line_numbers.word_indexes(notes))
    assert len(boxes) == 2 and all(box[0] >= 88 for box in boxes)  # not the margin's 14
    assert boxes[0][1] < boxes[1][1]  # end of line 13, start of line 14


def test_the_reading_room_highlights_past_the_number(archived: Settings) -> None:
    from web import create_app

    client = create_app({"ARCHIVE_SETTINGS": archived, "TESTING": True}).test_client()
    with Catalog(archived.catalog_path) as catalog:
        doc_id = next(d["doc_id"] for d in catalog.documents() if d["title"] == "pleading")
    q = '"percent of the water"'
    data = client.get(f"/api/doc/{doc_id}/page/1", query_string={"q": q}).get_json()
    assert len(data["matches"]) == 2 and all(box[0] >= 88 for box in data["matches"])
    assert "\n14\n" in data["text"]
    page = client.get(f"/doc/{doc_id}/page/1", query_string={"q": q}).get_data(as_text=True)
    assert "<mark>percent of the</mark>\n14\n<mark>water</mark>" in page


def _scan(pdf: Path, dest: Path, dpi: int) -> Path:
    """The page rendered as a gray PNG at `dpi`, as a scanner would deliver it."""
    doc = pymupdf.open(pdf)
    pix = doc[0].get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
    pix.set_dpi(dpi, dpi)
    dest.parent.mkdir(parents=True, exist_ok=True)
    pix.save(dest)
    doc.close()
    return dest


@pytest.mark.ocr
@needs_tesseract
@pytest.mark.parametrize("dpi", [150, 200])
def test_a_scanned_pleading_by_ocr(tmp_path: Path, dpi: int) -> None:
    _scan(RESOURCES / PLEADING, tmp_path / "in" / "pleading-scan.png", dpi)
    settings = load_settings(tmp_path / "home", jobs=1, ocr_mode="auto", ocr_lang="eng")
    report = add_production([tmp_path / "in"], settings, production="Scans")
    assert report.ocr_pages == 1 and not report.failed
    # tesseract reads the number column as vertical text ("nH WU FF W WN") at 200 dpi and
    # not at all at 150: the column is read again as digits (tesseract 5.3.0 leaves out
    # the thin "11" at 150 dpi)
    with Catalog(settings.catalog_path) as catalog:
        row = catalog.page(catalog.documents()[0]["doc_id"], 1)
        assert row is not None
        notes = json.loads(row["annotations"])
        words = json.loads(row["words"])
    numbers = {int(words[i][4]) for i in line_numbers.word_indexes(notes)}
    assert numbers <= set(range(1, 29)) and len(numbers) >= 27 and 13 in numbers
    missed = [p for p in _phrases_across_lines()
              if "pleading-scan" not in _titles(settings, f'"{p}"')]
    assert missed == []
    assert "<mark>13</mark>" in _titles(settings, "13")["pleading-scan"]


@pytest.mark.ocr
@needs_tesseract
@needs_corpus
def test_a_condensed_transcript_by_ocr(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(DEPOSITION.with_suffix(".png"), folder / "deposition.png")
    settings = load_settings(tmp_path / "home", jobs=1, ocr_mode="auto", ocr_lang="eng")
    report = add_production([folder], settings, production="Depositions")
    assert report.ocr_pages == 1 and not report.failed
    with Catalog(settings.catalog_path) as catalog:
        row = catalog.page(catalog.documents()[0]["doc_id"], 1)
        assert row is not None
        notes, words = json.loads(row["annotations"]), json.loads(row["words"])
    numbers = [str(words[i][4]) for i in line_numbers.word_indexes(notes)]
    assert len(numbers) == 100  # four columns of 1-25, one 21 read "2" (tesseract 5.3)
    counts = Counter(numbers)
    assert all(counts[str(n)] >= 3 for n in range(1, 26)) and counts["13"] == 4
    assert "deposition" in _titles(settings, "17")
    # tesseract reads the sheet across its four small pages; they are put in reading order,
    # so a sentence runs on from line 15 to line 16 of page 64 (its 16 unmarked)
    excerpt = _titles(settings, '"because Jensen Arms is a major"')["deposition"]
    assert "<mark>Jensen</mark>\n16 <mark>Arms</mark>" in excerpt
    with Catalog(settings.catalog_path) as catalog:
        row = catalog.page(catalog.documents()[0]["doc_id"], 1)
        assert row is not None
        text = row["text"]
    assert text.index("\n64\n1 ") < text.index("\n65\n1 ") < text.index("\n66\n1 ") \
        < text.index("\n67\n1 ")
