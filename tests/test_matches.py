"""archive.search.matches (highlight boxes, marked text) and archive.citation, as pure functions."""

from __future__ import annotations

from datetime import date

import pytest

from archive.citation import citation_line, release_label
from archive.config import load_settings
from archive.search.matches import highlight_text, match_boxes, match_spans, matched_words
from archive.search.query import query_terms


@pytest.fixture(scope="module")
def terms():  # type: ignore[no-untyped-def]
    settings = load_settings("/nonexistent-archive-home")
    return lambda q: query_terms(q, settings)


def line(y: float, *words: str, x: float = 72.0) -> list[list]:
    """Words laid out left to right on one line, 10 pt per letter."""
    out = []
    for word in words:
        out.append([x, y, x + 10 * len(word), y + 12, word])
        x += 10 * len(word) + 5
    return out


PAGE = [
    *line(100, "waiting", "in", "their", "sally", "port", "to", "take"),
    *line(120, "another", "port", "was", "busy."),
    *line(140, "the", "sal-"),
    *line(160, "ly", "port", "gate"),
    *line(180, "Sally", "Port,", "capitalised"),
]


def test_phrase_boxes_only_its_occurrences_not_every_word(terms) -> None:  # type: ignore[no-untyped-def]
    occurrences = matched_words(PAGE, terms('"sally port"'))
    words = [[PAGE[i][4] for i in occurrence] for occurrence in occurrences]
    assert words == [["sally", "port"], ["sal-", "ly", "port"], ["Sally", "Port,"]]
    assert "another" not in {w for ws in words for w in ws}


def test_phrase_words_on_one_line_share_one_box(terms) -> None:  # type: ignore[no-untyped-def]
    boxes = match_boxes(PAGE, terms('"sally port"'))
    sally, port = PAGE[3], PAGE[4]
    assert boxes[0] == [sally[0], sally[1], port[2], port[3]]
    # the hyphenated occurrence spans two lines: one box on each
    assert boxes[1] == PAGE[12][:4]
    assert boxes[2] == [PAGE[13][0], PAGE[13][1], PAGE[14][2], PAGE[14][3]]
    assert len(boxes) == 4


def test_single_words_are_stemmed_like_the_index(terms) -> None:  # type: ignore[no-untyped-def]
    words = line(100, "Detainers", "declined;", "DETAINER", "detain")
    found = [[words[i][4] for i in o] for o in matched_words(words, terms("detainer"))]
    assert found == [["Detainers"], ["DETAINER"], ["detain"]]  # Porter: all are "detain"


def test_wildcards_and_fuzzy_terms_box_the_words_they_expand_to(terms) -> None:  # type: ignore[no-untyped-def]
    words = line(100, "Detainers", "declined;", "detention", "Hennepin", "Henepin", "hen")
    def found(q: str) -> list[str]:
        return [words[i][4] for o in matched_words(words, terms(q)) for i in o]
    assert found("detain*") == ["Detainers"]
    assert found("det*n*") == ["Detainers", "detention"]
    assert found("hennepin~") == ["Hennepin", "Henepin"]
    assert found('"sally port" OR decl*') == ["declined;"]
    assert highlight_text("Detention of detainees", terms("detain*")) == (
        "Detention of <mark>detainees</mark>")


def test_or_of_phrases_marks_both(terms) -> None:  # type: ignore[no-untyped-def]
    text = "He was held at Rikers Island, then moved to the sally port."
    marked = highlight_text(text, terms('"sally port" OR "rikers island"'))
    assert marked == ("He was held at <mark>Rikers Island</mark>, then moved to the "
                      "<mark>sally port</mark>.")


def test_highlighted_text_is_escaped(terms) -> None:  # type: ignore[no-untyped-def]
    text = '<script>alert("port")</script> & port'
    marked = highlight_text(text, terms("port"))
    assert "<script>" not in marked
    assert marked == ('&lt;script&gt;alert(&quot;<mark>port</mark>&quot;)&lt;/script&gt; '
                      '&amp; <mark>port</mark>')


def test_hyphen_across_line_break_in_text(terms) -> None:  # type: ignore[no-untyped-def]
    text = "the sal-\nly port was open"
    assert match_spans(text, terms('"sally port"')) == [(4, 16)]


def test_no_terms_no_matches(terms) -> None:  # type: ignore[no-untyped-def]
    assert match_boxes(PAGE, terms("((")) == []  # unparseable: nothing to box
    assert match_boxes([], terms("port")) == []
    assert highlight_text("a < b", []) == "a &lt; b"


RELEASE = {"agency": "U.S. Dept. of Homeland Security", "name": "DHS detainers",
           "request_number": "2019-ICLI-00003", "released": "2020-03-05"}


def test_citation_line_full() -> None:
    line_ = citation_line(production=RELEASE, title="Form I-213", page=2, pages=3,
                          bates="2019-ICLI-00003-022455",
                          permalink="https://archive.example/doc/0123456789abcdef/page/2",
                          accessed=date(2026, 11, 28))
    assert line_ == ('U.S. Dept. of Homeland Security, FOIA 2019-ICLI-00003 (released '
                     '2020-03-05), "Form I-213", p. 2 of 3, Bates 2019-ICLI-00003-022455, '
                     'https://archive.example/doc/0123456789abcdef/page/2 (accessed 2026-11-28)')


def test_citation_line_leaves_out_unknown_parts() -> None:
    line_ = citation_line(production={"name": "NTSB release", "agency": None}, title="memo",
                          page=1, pages=None, permalink="http://x/doc/a/page/1",
                          accessed=date(2026, 1, 2))
    assert line_ == 'NTSB release, "memo", p. 1, http://x/doc/a/page/1 (accessed 2026-01-02)'
    bare = citation_line(production=None, title="", page=4, pages=9, permalink="u",
                         accessed=date(2026, 1, 2))
    assert bare == "p. 4 of 9, u (accessed 2026-01-02)"


def test_release_label() -> None:
    assert release_label({"request_number": "FOIA-2021-00012"}) == "FOIA-2021-00012"
    assert release_label({"name": "Batch 3", "released": "2021-01-01"}) == (
        "Batch 3 (released 2021-01-01)")
    assert release_label(None) == ""
