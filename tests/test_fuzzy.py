"""Fuzzy search on the words as written, fuzzy words in phrases, OCR-tolerant phrases
(issue 11 items 4, 5 and 6). A real Whoosh index on disk; the real NTSB scan read by real
tesseract; the CLI and the reading room over the same index."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from typing import Any

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from conftest import RESOURCES, needs_tesseract

from archive.cli import cli
from archive.config import Settings
from archive.errors import QueryError
from archive.ingest.pipeline import add_production
from archive.search import index
from archive.search.matches import fuzzy_words, match_boxes
from archive.search.query import open_searcher, query_terms, search

# page -> (text, text source). The misreadings are tesseract's own kinds: a letter dropped
# (saly), one read as another (saliy, Irrigatlon), one added (investigaation).
PAGES: dict[int, tuple[str, str]] = {
    1: ("The Investigation of the detainee began at the sally port.", "ocr"),
    2: ("Investigations continue; an irrigation permit was issued in May.", "text"),
    3: ("He was held in the saliy port overnight before the transfer.", "ocr"),
    4: ("He was held in the saliy port overnight before the transfer.", "text"),
    5: ("A sally part of the wall was painted. The port authority agreed.", "ocr"),
    6: ("Irrigatlon permit denied. Irrigatlon permit appealed. Irrigatlon permit.", "ocr"),
    7: ("The irrigation canal was dry; a permit is needed to build.", "ocr"),
    8: ("Le café au lait, un élan; Café.", "text"),
    9: ("The saly port gate and the saly port gate again.", "ocr"),
}


def _write(settings: Settings, pages: dict[int, tuple[str, str]]) -> Settings:
    ix = index.open_or_create(settings.whoosh_dir)
    doc = {"doc_id": "f" * 16, "title": "Detention records", "kind": "pdf",
           "page_count": len(pages), "productions": [{"slug": "ice", "name": "ICE release",
                                                      "agency": "ICE", "released": None}]}
    with index.writer(ix) as w:
        index.add_pages(w, doc, [{"page_no": n, "text": text, "text_source": source,
                                  "annotations": {}} for n, (text, source) in pages.items()])
    return settings


@pytest.fixture
def fuzzy_home(settings: Settings) -> Settings:
    return _write(settings, PAGES)


def _hits(settings: Settings, q: str, **kwargs: Any) -> list[tuple[int, list[str]]]:
    """(page, fuzzy words) of each hit, best first."""
    with open_searcher(settings) as searcher:
        found = search(searcher, q, settings, pagelen=100, **kwargs)
    return [(hit.page, hit.fuzzy_words) for hit in found.hits]


def _pages(settings: Settings, q: str, **kwargs: Any) -> list[int]:
    return sorted(page for page, _ in _hits(settings, q, **kwargs))


# --- 4: fuzzy terms on the words as written -------------------------------------------

def test_a_fuzzy_term_finds_the_word_as_written_not_its_stem(fuzzy_home: Settings) -> None:
    # "investigation" is one edit from "investigaton"; its stem "investig" is four away.
    # Each word found is then searched for as if typed: "Investigations" too.
    assert _pages(fuzzy_home, "investigaton~1") == [1, 2]
    assert dict(_hits(fuzzy_home, "investigaton~1")) == {
        1: ["Investigation"], 2: ["Investigations"]}
    assert _pages(fuzzy_home, "investigaton") == []
    assert _pages(fuzzy_home, "INVESTIGATON~1") == [1, 2]  # folded for case


def test_a_fuzzy_term_is_folded_for_accents_and_keeps_its_own_word(fuzzy_home: Settings) -> None:
    assert _pages(fuzzy_home, "cafe~1") == [8]
    assert _pages(fuzzy_home, "elans~1") == [8]  # "élan", one edit away, as written
    assert dict(_hits(fuzzy_home, "irrigation~1")).get(2) == []  # the word typed: not fuzzy


def test_fuzzy_errors_quote_the_term_as_typed_never_a_stem(fuzzy_home: Settings) -> None:
    with open_searcher(fuzzy_home) as searcher:
        with pytest.raises(QueryError, match=r"'Investigations~3': fuzzy distance is at most 2"):
            search(searcher, "Investigations~3", fuzzy_home)
        tight = replace(fuzzy_home, query_max_scanned=5)
        with pytest.raises(QueryError, match=r"stopped at 'Investigations~2'") as refused:
            search(searcher, "Investigations~2", tight)
    assert "investig~" not in refused.value.message and "text:" not in refused.value.message


# --- 5: fuzzy words inside phrases -------------------------------------------------------

def test_a_phrase_with_a_fuzzy_word_finds_it_beside_the_others(fuzzy_home: Settings) -> None:
    # page 7 says "irrigation" and "permit", but not side by side
    assert _pages(fuzzy_home, '"irigation permit"') == []
    assert _pages(fuzzy_home, '"irigation~1 permit"') == [2]
    assert _hits(fuzzy_home, '"irigation~1 permit"') == [(2, ["irrigation"])]
    assert _pages(fuzzy_home, '"irrigatlon~1 permit"') == [2, 6]
    with open_searcher(fuzzy_home) as searcher:
        hit = search(searcher, '"irigation~1 permit"', fuzzy_home).hits[0]
    assert "<mark>irrigation</mark> <mark>permit</mark>" in hit.excerpt


def test_a_phrase_ranks_the_words_as_typed_before_fuzzy_ones(fuzzy_home: Settings) -> None:
    # page 6 says "Irrigatlon permit" three times in few words, page 2 once in many: as
    # typed, page 6 first; with "irrigation~1", page 2 (the word typed) first.
    assert [p for p, _ in _hits(fuzzy_home, '"irrigatlon~1 permit"')] == [6, 2]
    assert _hits(fuzzy_home, '"irrigation~1 permit"') == [(2, []), (6, ["Irrigatlon"])]


def test_fuzzy_words_in_phrases_are_bounded_like_fuzzy_terms(fuzzy_home: Settings) -> None:
    with open_searcher(fuzzy_home) as searcher:
        with pytest.raises(QueryError, match=r"'irigation~3': fuzzy distance is at most 2"):
            search(searcher, '"irigation~3 permit"', fuzzy_home)
        with pytest.raises(QueryError, match=r"'ir~': fuzzy search needs a word of 3"):
            search(searcher, '"ir~1 permit"', fuzzy_home)
        with pytest.raises(QueryError, match="side by side only"):
            search(searcher, '"irigation~1 permit"~3', fuzzy_home)
        tight = replace(fuzzy_home, query_max_scanned=5)
        with pytest.raises(QueryError, match=r"stopped at 'irigation~1'"):
            search(searcher, '"irigation~1 permit"', tight)


# --- 6: OCR-tolerant phrases --------------------------------------------------------------

def test_tolerant_phrases_find_ocr_misreadings_exact_pages_first(fuzzy_home: Settings) -> None:
    assert _pages(fuzzy_home, '"sally port"') == [1]
    # page 9 says "saly port" twice in a short page: still after the exact page 1
    assert _hits(fuzzy_home, '"sally port"', tolerant=True) == [
        (1, []), (9, ["saly"]), (3, ["saliy"])]


def test_tolerant_phrases_never_loosen_short_words_or_text_layers(fuzzy_home: Settings) -> None:
    tolerant = _pages(fuzzy_home, '"sally port"', tolerant=True)
    assert 5 not in tolerant  # "sally part": "port" has 4 letters, it stays exact
    assert 4 not in tolerant  # "saliy port" in a text layer is no OCR misreading
    # typed with the misreading: the pages that say it as typed first (the text layer's
    # too), then the OCR'd pages one edit away
    found = _hits(fuzzy_home, '"the saliy port"', tolerant=True)
    assert {p for p, _ in found[:2]} == {3, 4} and {p for p, _ in found[2:]} == {1, 9}
    assert _pages(fuzzy_home, '"irrigation permit"', tolerant=True) == [2, 6]
    assert _pages(fuzzy_home, '"irigation permit"', tolerant=True) == []  # 2 is a text layer


def test_tolerant_search_marks_and_boxes_the_fuzzy_words(fuzzy_home: Settings) -> None:
    with open_searcher(fuzzy_home) as searcher:
        sequences = query_terms('"sally port"', fuzzy_home, searcher, tolerant=True)
        found = search(searcher, '"sally port"', fuzzy_home, tolerant=True)
    assert sequences == [["salli|salii|sali", "port"]] or sequences[0][1] == "port"
    excerpt = {hit.page: hit.excerpt for hit in found.hits}[3]
    assert "<mark>saliy</mark> <mark>port</mark>" in excerpt
    words = [[72.0, 100.0, 122.0, 112.0, "The"], [130.0, 100.0, 180.0, 112.0, "saliy"],
             [188.0, 100.0, 228.0, 112.0, "port"], [236.0, 100.0, 300.0, 112.0, "saliy"]]
    assert match_boxes(words, sequences) == [[130.0, 100.0, 228.0, 112.0]]
    assert fuzzy_words(PAGES[3][0], sequences) == ["saliy"]
    assert fuzzy_words(PAGES[1][0], sequences) == []


def test_tolerant_results_say_so_in_json_and_on_the_command_line(fuzzy_home: Settings) -> None:
    runner = CliRunner()
    home = ["--home", str(fuzzy_home.home)]
    result = runner.invoke(cli, [*home, "search", '"sally port"', "--tolerant", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["tolerant"] is True and data["total"] == 3
    assert [(h["page"], h["fuzzy_words"]) for h in data["hits"]] == [
        (1, []), (9, ["saly"]), (3, ["saliy"])]
    plain = json.loads(runner.invoke(cli, [*home, "search", '"sally port"', "--json"]).output)
    assert "tolerant" not in plain and plain["total"] == 1
    text = runner.invoke(cli, [*home, "search", '"sally port"', "--tolerant"]).output
    assert "matched fuzzily: saliy" in text


def test_the_reading_room_has_the_switch_and_names_fuzzy_words(fuzzy_home: Settings) -> None:
    from web import create_app

    client = create_app({"ARCHIVE_SETTINGS": fuzzy_home, "TESTING": True}).test_client()
    page = BeautifulSoup(client.get("/search", query_string={
        "q": '"sally port"', "tolerant": "1"}).text, "html.parser")
    assert page.select_one("input[type=checkbox][name=tolerant]").has_attr("checked")
    fuzzy = [p.get_text(" ", strip=True) for p in page.select(".fuzzy-words")]
    assert fuzzy == ["Matched fuzzily: saly", "Matched fuzzily: saliy"]
    links = [a["href"] for a in page.select("a.hit-link")]
    assert len(links) == 3 and all("tolerant=1" in link for link in links)
    api = client.get("/api/search", query_string={"q": '"sally port"', "tolerant": 1}).json
    assert api["tolerant"] is True and api["hits"][2]["fuzzy_words"] == ["saliy"]
    plain = BeautifulSoup(client.get("/search", query_string={"q": '"sally port"'}).text,
                          "html.parser")
    assert not plain.select_one("input[type=checkbox][name=tolerant]").has_attr("checked")
    assert not plain.select(".fuzzy-words")


@needs_tesseract
@pytest.mark.ocr
def test_a_real_scan_is_found_through_a_misreading_of_its_phrase(settings: Settings,
                                                                tmp_path: Any) -> None:
    """The real NTSB scan, read by tesseract: a phrase with one word misread (as OCR
    misreads it, here on the query's side) finds it only when tolerant, with the page's
    word named; `investigaton~1` finds its "Investigator"."""
    folder = tmp_path / "ntsb"
    folder.mkdir()
    shutil.copy(RESOURCES / "scan_ntsb_12-rzcommu_1-058.pdf", folder)
    settings = replace(settings, ocr_mode="auto")
    report = add_production([folder], settings, production="NTSB")
    assert report.ocr_pages == 1
    assert _pages(settings, '"Major Investigations Division"') == [1]
    assert _pages(settings, '"Major Investigatlons Division"') == []
    assert _hits(settings, '"Major Investigatlons Division"', tolerant=True) == [
        (1, ["Investigations"])]
    assert _hits(settings, '"Senior Aviaton Accident"', tolerant=True) == [(1, ["Aviation"])]
    assert _pages(settings, "investigaton~1") == [1]
    from web import create_app

    client = create_app({"ARCHIVE_SETTINGS": settings, "TESTING": True}).test_client()
    q = '"Major Investigatlons Division"'
    results = BeautifulSoup(client.get("/search", query_string={"q": q, "tolerant": 1}).text,
                            "html.parser")
    (link,) = [a["href"] for a in results.select("a.hit-link")]
    assert "tolerant=1" in link
    viewer = BeautifulSoup(client.get(link).text, "html.parser")  # marks the words matched
    assert [m.get_text() for m in viewer.select("pre.page-text mark")] == [
        "Major Investigations Division"]
    doc_id = link.split("/")[2]
    boxes = client.get(f"/api/doc/{doc_id}/page/1", query_string={"q": q, "tolerant": 1}).json
    assert len(boxes["matches"]) == 1  # the three words, on one line
    untolerant = client.get(f"/api/doc/{doc_id}/page/1", query_string={"q": q}).json
    assert untolerant["matches"] == []


def test_a_fuzzy_word_joined_across_a_line_end_is_named_on_one_line() -> None:
    assert fuzzy_words("held in the sa-\n  liy port", [["salli|salii", "port"]]) == ["sa-liy"]
    assert fuzzy_words("held in the sal-\nly port", [["salli|salii", "port"]]) == []


def test_a_text_layer_hit_names_and_marks_no_fuzzy_word(settings: Settings) -> None:
    """A text-layer page matched by the phrase as typed also says "saliy port": tolerant
    mode never counted that on a text layer, so it is neither named nor marked."""
    _write(settings, {1: ("The sally port, then the saliy port gate.", "text"),
                      2: ("The saliy port gate.", "ocr")})
    with open_searcher(settings) as searcher:
        found = search(searcher, '"sally port"', settings, tolerant=True)
        ocr_terms = query_terms('"sally port"', settings, searcher, tolerant=True)
        text_terms = query_terms('"sally port"', settings, searcher, tolerant=True,
                                 text_layer=True)
    hits = {hit.page: hit for hit in found.hits}
    assert [hit.page for hit in found.hits] == [1, 2]
    assert hits[1].fuzzy_words == [] and hits[2].fuzzy_words == ["saliy"]
    assert hits[1].excerpt.count("<mark>") == 2  # "sally port" only
    assert text_terms == [["salli", "port"]] and ocr_terms != text_terms
