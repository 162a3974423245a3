"""The page index and the query language: phrases, unions, hyphenation, limits, escaping."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.config import Settings
from archive.errors import QueryError
from archive.search import index
from archive.search.query import open_searcher, query_terms, search

PAGES = {
    1: "The officer waited in their sally port to take him into custody.",
    2: "Released out the front door. The sally-\nport was empty.",
    3: "A sal-\nly port is a secure entryway. Rikers Island transfer.",
    4: "Declined detainer outcome report <script>alert(1)</script> & co.",
    5: "Port of entry records; the sally was short.",
}


@pytest.fixture
def searchable(settings: Settings) -> Settings:
    ix = index.open_or_create(settings.whoosh_dir)
    doc = {"doc_id": "d" * 16, "title": "Emails <b>1</b>", "kind": "pdf", "page_count": 5,
           "productions": [{"slug": "ice", "name": "ICE release", "agency": "ICE",
                            "released": "2017-10-01"}]}
    pages = [{"page_no": n, "text": t, "text_source": "ocr", "annotations": {}}
             for n, t in PAGES.items()]
    with index.writer(ix) as w:
        index.add_pages(w, doc, pages)
    return settings


def _pages(settings: Settings, q: str) -> list[int]:
    with open_searcher(settings) as s:
        return sorted(h.page for h in search(s, q, settings).hits)


def test_phrase_finds_only_pages_with_the_phrase(searchable: Settings) -> None:
    assert _pages(searchable, '"sally port"') == [1, 2, 3]


def test_hyphenation_across_line_breaks_is_joined(searchable: Settings) -> None:
    assert 3 in _pages(searchable, '"sally port is"')  # "sal-\nly port is"
    assert 2 in _pages(searchable, '"the sally port"')  # "The sally-\nport"
    assert 3 in _pages(searchable, "sally")


def test_or_of_phrases_is_the_union(searchable: Settings) -> None:
    assert _pages(searchable, '"sally port" OR "rikers island"') == [1, 2, 3]
    assert _pages(searchable, '"front door" OR "declined detainer"') == [2, 4]


def test_boolean_and_not(searchable: Settings) -> None:
    assert _pages(searchable, '"sally port" AND NOT rikers') == [1, 2]
    assert _pages(searchable, "port AND sally AND NOT custody") == [2, 3, 5]


def test_field_queries(searchable: Settings) -> None:
    assert _pages(searchable, 'production:ice AND rikers') == [3]
    assert _pages(searchable, 'released:[2017-01-01 TO 2017-12-31] AND rikers') == [3]
    assert _pages(searchable, 'released:[2018-01-01 TO 2018-12-31] AND rikers') == []


def test_excerpt_is_escaped_and_marks_matches(searchable: Settings) -> None:
    with open_searcher(searchable) as s:
        results = search(s, "detainer", searchable)
    hit = results.hits[0]
    assert "<mark>detainer</mark>" in hit.excerpt
    assert "<script>" not in hit.excerpt
    assert "&lt;script&gt;" in hit.excerpt
    assert hit.url == f"/doc/{'d' * 16}/page/4"
    assert results.total == 1


def test_json_contract(searchable: Settings) -> None:
    with open_searcher(searchable) as s:
        data = search(s, '"sally port"', searchable).to_json()
    assert set(data) >= {"query", "total", "hits"}
    hit = data["hits"][0]
    assert set(hit) >= {"doc_id", "page", "title", "production", "excerpt", "url",
                        "text_source", "score"}
    assert hit["url"] == f"/doc/{hit['doc_id']}/page/{hit['page']}"
    assert isinstance(hit["score"], float)


@pytest.mark.parametrize("q,message", [
    ("*", "every page"),
    ("*a*", "starts with a wildcard"),
    ("?x", "starts with a wildcard"),
    ("rec~5", "at most 2"),
    ('"unbalanced', "unbalanced quote"),
    ("(a OR b", "parenthesis open"),
    ("a OR b)", "never opened"),
    ("(" * 400 + "a" + ")" * 400, "nests parentheses"),
    ("x" * 1_000_000, "characters long"),
    ("   ", "empty"),
])
def test_bad_or_costly_queries_are_refused_plainly(searchable: Settings, q: str,
                                                   message: str) -> None:
    with open_searcher(searchable) as s, pytest.raises(QueryError, match=message):
        search(s, q, searchable)


def test_wildcard_expansion_is_capped(searchable: Settings) -> None:
    from dataclasses import replace

    tight = replace(searchable, query_max_expansion=1)
    with open_searcher(tight) as s, pytest.raises(QueryError, match="more than 1"):
        search(s, "re*", tight)  # releas, record, ...
    assert _pages(searchable, "rik*") == [3]


def test_empty_archive_searches_to_nothing(settings: Settings) -> None:
    with open_searcher(settings) as s:
        assert s is None
        assert search(s, "anything", settings).total == 0


def test_update_is_idempotent_by_page_key(searchable: Settings) -> None:
    ix = index.open_or_create(searchable.whoosh_dir)
    doc = {"doc_id": "d" * 16, "title": "t", "kind": "pdf", "page_count": 5,
           "productions": [{"slug": "ice", "name": "ICE release"}]}
    with index.writer(ix) as w:
        index.add_pages(w, doc, [{"page_no": 1, "text": PAGES[1], "text_source": "ocr"}])
    with ix.searcher() as s:
        assert s.doc_count() == 5


def test_schema_version_mismatch_asks_for_reindex(searchable: Settings) -> None:
    (searchable.whoosh_dir / ".schema_version").write_text("0\n")
    with pytest.raises(Exception, match="archive reindex"):
        index.open_or_create(searchable.whoosh_dir)


def test_query_terms_for_highlighting(settings: Settings) -> None:
    assert query_terms('"Sally Port" OR detainers', settings) == [["salli", "port"], ["detain"]]


def test_query_terms_leave_out_negated_words(settings: Settings) -> None:
    assert query_terms('"sally port" AND NOT rikers', settings) == [["salli", "port"]]
    assert query_terms("detainer AND NOT (custody OR jail)", settings) == [["detain"]]


def test_control_characters_are_ignored(searchable: Settings, tmp_path: Path) -> None:
    assert _pages(searchable, "rikers\x00\x07") == [3]
