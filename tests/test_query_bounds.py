"""Excerpts never repeat text (issue 8, item 15), on a real Whoosh index on disk."""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup

from archive import index
from archive.config import Settings
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
