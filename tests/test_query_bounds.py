"""Dates in queries (issue 8, item 13) and excerpts (item 15), on real Whoosh indexes."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup

from archive import index
from archive.config import Settings
from archive.errors import QueryError
from archive.excerpts import BETWEEN, excerpt
from archive.search import open_searcher, search


def _write(settings: Settings, pages: list[dict[str, Any]], *, segments: int = 1,
           released: str | None = None) -> Settings:
    """An index of `pages` (page_no, text, annotations) in `segments` commits."""
    ix = index.open_or_create(settings.whoosh_dir)
    production = {"slug": "ice", "name": "ICE release", "agency": "ICE", "released": released}
    size = -(-len(pages) // segments)
    for n in range(segments):
        chunk = pages[n * size:(n + 1) * size]
        doc = {"doc_id": f"{n:016x}", "title": "Records", "kind": "pdf",
               "page_count": len(chunk), "productions": [production]}
        with index.writer(ix) as w:
            index.add_pages(w, doc, [{"text_source": "text", "annotations": {}, **page}
                                     for page in chunk])
    return settings


def _pages(settings: Settings, text: str, **kwargs: Any) -> list[int]:
    with open_searcher(settings) as searcher:
        found = search(searcher, text, settings, pagelen=1000, **kwargs)
    return sorted(hit.page for hit in found.hits)


# --- 13: dates in queries -----------------------------------------------------------------

@pytest.fixture
def dated(settings: Settings) -> Settings:
    days = {1: "2022-02-28", 2: "2022-03-01", 3: "2022-03-15", 4: "2022-03-31",
            5: "2022-04-01"}
    pages = [{"page_no": n, "text": f"Memo {n}. date: pending review.",
              "annotations": {"record_date": day}} for n, day in days.items()]
    return _write(settings, pages, released="2017-10-05")


@pytest.mark.parametrize("text,pages", [
    ("date:[03/01/2022 TO 03/31/2022]", [2, 3, 4]),  # the query
    ("date:[3/1/2022 TO 3/31/2022]", [2, 3, 4]),
    ("date:[2022-03-01 TO 2022-03-31]", [2, 3, 4]),
    ("date:[3/1/2022 to 2022-03-31]", [2, 3, 4]),
    ("date:03/15/2022", [3]),
    ("date:3/15/2022", [3]),
    ("date:2022-03-15", [3]),
    ('date:"March 15, 2022"', [3]),
    ("date:2022-03", [2, 3, 4]),
    ("date:[TO 02/28/2022]", [1]),
    ("date:[04/01/2022 TO]", [5]),
    ("date:>3/31/2022", [4, 5]),
    ("date:[03/01/2022 TO 03/31/2022] AND NOT date:3/15/2022", [2, 4]),
    ("released:[10/01/2017 TO 10/31/2017] AND memo", [1, 2, 3, 4, 5]),
    ("released:[11/01/2017 TO]", []),
    ('"date: pending"', [1, 2, 3, 4, 5]),  # a phrase is words, not a field
])
def test_us_and_iso_dates_single_and_ranges(dated: Settings, text: str,
                                            pages: list[int]) -> None:
    assert _pages(dated, text) == pages


@pytest.mark.parametrize("text", [
    "date:yesterday", "date:02/30/2022", "date:[03/01/2022 03/31/2022]", "date:[TO]",
    "memo AND released:13/01/2017",
])
def test_a_date_that_cannot_be_read_names_the_forms_that_work(dated: Settings,
                                                              text: str) -> None:
    with open_searcher(dated) as searcher, pytest.raises(QueryError) as refused:
        search(searcher, text, dated)
    message = refused.value.message
    assert "2022-03-01" in message and "03/01/2022" in message and "3/1/2022" in message
    assert "invalid literal" not in message


# --- 15: excerpts ---------------------------------------------------------------------------

CLOSE = ("The detainer was lodged on Monday. " + "The officers waited at the gate. " * 8
         + "A second detainer came, then a third detainer followed. "
         + "Nothing else happened that week. " * 6)


def test_close_matches_give_one_merged_fragment(settings: Settings) -> None:
    _write(settings, [{"page_no": 1, "text": CLOSE}])
    with open_searcher(settings) as searcher:
        (hit,) = search(searcher, "detainer", settings).hits
    assert BETWEEN.strip() not in hit.excerpt  # one fragment
    assert hit.excerpt.count("<mark>detainer</mark>") == 3  # every match marked once
    text = BeautifulSoup(hit.excerpt, "html.parser").get_text()
    for sentence in ("The detainer was lodged", "A second detainer came",
                     "then a third detainer followed"):
        assert text.count(sentence) == 1, text


def test_distant_matches_keep_two_fragments_without_repeats() -> None:
    text = ("Intro words. The detainer was lodged. " + "Filler sentence here. " * 60
            + "Later the detainer was lifted.")
    got = excerpt(text, [["detain"]])
    assert got.count(BETWEEN) == 1 and got.count("<mark>detainer</mark>") == 2
    plain = BeautifulSoup(got, "html.parser").get_text()
    assert plain.count("Filler sentence here.") < 10  # context, not the whole page
    assert plain.count("The detainer was lodged") == plain.count("detainer was lifted") == 1


def test_merged_fragments_keep_escaping() -> None:
    text = "<b>detainer</b> & " + "x " * 141 + "detainer <script>alert(1)</script> detainer"
    got = excerpt(text, [["detain"]])  # passages around 1-2 and 3 would overlap
    assert "<script>" not in got and "&lt;script&gt;" in got and "&lt;b&gt;" in got
    assert got.count("<mark>detainer</mark>") == 3 and BETWEEN not in got
