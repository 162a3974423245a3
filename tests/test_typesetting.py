"""What typesetters leave in a text layer does not hide a phrase (issue 11, class a).

A real Supreme Court slip opinion (tests/resources/pages_2_8_11_27_tarrant_v_herrmann.pdf,
four of its pages): words broken at a line end by a hyphen ("down-⏎stream", "can-⏎not":
soft hyphens in the PDF, which PyMuPDF's word boxes print as "-"), typographic
apostrophes ("other’s") typed as "'" in a query, and footnote marks printed against their
word ("acre feet6 per year"). Each phrase is found on its page through the real pipeline,
and highlighted there (excerpt and boxes on the page image).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import RESOURCES

from archive.catalog import Catalog
from archive.config import Settings, load_settings
from archive.ingest.pipeline import add_production
from archive.search.index import word_tokens
from archive.search.matches import match_boxes
from archive.search.query import open_searcher, query_terms, search

OPINION = "pages_2_8_11_27_tarrant_v_herrmann.pdf"


@pytest.fixture(scope="module")
def opinion(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("typesetting")
    folder = root / "in"
    folder.mkdir()
    shutil.copy(RESOURCES / OPINION, folder / OPINION)
    settings = load_settings(root / "home", jobs=1, ocr_mode="auto", ocr_lang="eng")
    report = add_production([folder], settings, production="Tarrant v. Herrmann")
    assert not report.failed and report.ocr_pages == 0  # a text layer: nothing to OCR
    return settings


def _found(settings: Settings, q: str) -> list[tuple[int, str]]:
    with open_searcher(settings) as searcher:
        return [(h.page, h.excerpt) for h in search(searcher, q, settings).hits]


def _boxes(settings: Settings, page_no: int, q: str) -> list[list[float]]:
    with Catalog(settings.catalog_path, readonly=True) as catalog:
        (doc,) = catalog.documents()
        row = catalog.page(doc["doc_id"], page_no)
    assert row is not None
    import json

    return match_boxes(json.loads(row["words"]), query_terms(q, settings))


@pytest.mark.parametrize(("q", "page", "marked"), [
    ('"travels farther downstream and joins"', 2, "<mark>stream</mark>"),
    ('"statutes cannot discriminate against interstate commerce"', 4, "<mark>not</mark>"),
])
def test_a_word_broken_by_a_soft_hyphen_is_one_word(opinion: Settings, q: str, page: int,
                                                     marked: str) -> None:
    found = _found(opinion, q)
    assert [p for p, _ in found] == [page]
    assert marked in found[0][1]
    boxes = _boxes(opinion, page, q)
    assert len(boxes) == 2  # the phrase runs over a line end: one box on each line
    assert boxes[0][1] < boxes[1][1]


def test_a_soft_hyphen_left_in_the_text_joins_its_word_alone() -> None:
    """PyMuPDF's word boxes print the slip opinion's soft hyphens as "-" (the case above);
    where a soft hyphen stays in a text, its halves are one word and are not words."""
    tokens = [(pos, word) for pos, word, _, _ in word_tokens("farther down\u00ad\nstream and")]
    assert tokens == [(0, "farther"), (1, "downstream"), (2, "and")]


def test_the_halves_of_a_hyphenated_compound_still_match(opinion: Settings) -> None:
    assert [p for p, _ in _found(opinion, '"travels farther down"')] == [2]
    assert [p for p, _ in _found(opinion, "downstream")] == [2]


@pytest.mark.parametrize("q", ['"each other\'s boundaries"', '"each other’s boundaries"'])
def test_typographic_and_typed_apostrophes_match(opinion: Settings, q: str) -> None:
    found = _found(opinion, q)
    assert [p for p, _ in found] == [1]
    assert "<mark>other’s</mark>" in found[0][1]
    assert _boxes(opinion, 1, q)


def test_a_glued_footnote_mark_does_not_break_a_phrase(opinion: Settings) -> None:
    found = _found(opinion, '"310,000 acre feet per year"')
    assert [p for p, _ in found] == [3]
    assert "<mark>feet</mark>6" in found[0][1] or "<mark>feet6</mark>" in found[0][1]
    assert len(_boxes(opinion, 3, '"acre feet per year"')) >= 1
    assert [p for p, _ in _found(opinion, "feet6")] == [3]  # as printed, too


@pytest.mark.parametrize(("text", "extra"), [
    ("the 3rd floor", []),  # ordinals are words
    ("exemption b6 applies", []),  # one letter: no word under a mark
    ("covered in section 7the next", ["the"]),
])
def test_glued_marks_only_for_words_of_two_letters_or_more(text: str, extra: list[str]) -> None:
    words = [w for _, w, _, _ in word_tokens(text)]
    plain = text.split()
    assert [w for w in words if w not in plain] == extra


def test_the_resource_is_where_the_provenance_table_says(tmp_path: Path) -> None:
    assert (RESOURCES / OPINION).stat().st_size < 100_000
    assert OPINION in (RESOURCES / "README.md").read_text()
