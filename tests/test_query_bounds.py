"""Bounds on a query's cost, its deadline, dates in queries, merged excerpts (issue 8).

Items 7 (fuzzy and prefix terms bounded by words looked at, expanded once per query, a
deadline answered with 503 / exit code 9), 13 (US and ISO dates in `date:` and
`released:`) and 15 (excerpts never repeat text). Real Whoosh indexes on disk, a real
`python -m archive` process and a live waitress server.
"""

from __future__ import annotations

import json
import os
import random
import string
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from bs4 import BeautifulSoup
from whoosh.query import Or, Term

from archive.config import Settings, load_settings
from archive.errors import ExitCode, QueryError, SearchTimeoutError
from archive.search import bounds, index
from archive.search.excerpts import BETWEEN, excerpt
from archive.search.fuzzy import SurfaceFuzzy
from archive.search.query import open_searcher, parse, search

FIVE_FUZZY = "aax~2 OR aex~2 OR aix~2 OR aox~2 OR aux~2"
DETAINER_PAGES = (3, 40, 77)


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


@pytest.fixture(scope="module")
def vocabulary(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """An archive whose page text holds ~42,000 different random words (the long tail
    OCR leaves), in two segments; pages 3, 40 and 77 also say "detainer"."""
    rng = random.Random(8)
    words = list({"".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 10)))
                  for _ in range(43000)})
    rng.shuffle(words)
    pages = []
    for n, start in enumerate(range(0, len(words), 500), 1):
        extra = " The detainer was lodged." if n in DETAINER_PAGES else ""
        pages.append({"page_no": n, "text": " ".join(words[start:start + 500]) + extra})
    home = tmp_path_factory.mktemp("vocabulary")
    return _write(load_settings(home, jobs=1, ocr_mode="never"), pages, segments=2)


def _pages(settings: Settings, text: str, **kwargs: Any) -> list[int]:
    with open_searcher(settings) as searcher:
        found = search(searcher, text, settings, pagelen=1000, **kwargs)
    return sorted(hit.page for hit in found.hits)


def _expander(searcher: Any, settings: Settings) -> bounds.Expander:
    return bounds.Expander(searcher.reader(), max_scanned=settings.query_max_scanned,
                           max_words=settings.query_max_expansion,
                           deadline=bounds.Deadline(60))


# --- 7: the cost of fuzzy, wildcard and prefix terms ---------------------------------------

def test_five_fuzzy_terms_are_refused_plainly_while_a_fuzzy_word_works(
        vocabulary: Settings) -> None:
    with open_searcher(vocabulary) as searcher:
        assert searcher is not None and sum(1 for _ in searcher.reader().lexicon("text")) > 40000
        with pytest.raises(QueryError, match="use fewer of them") as refused:
            search(searcher, FIVE_FUZZY, vocabulary)
    assert "wildcard and fuzzy terms" in refused.value.message
    assert refused.value.exit_code == ExitCode.bad_query
    assert _pages(vocabulary, "detainer~1") == list(DETAINER_PAGES)


def test_the_budget_counts_words_looked_at_not_only_words_found(vocabulary: Settings) -> None:
    """`abcdefghij~2` finds no word, yet looks through thousands: that is its cost."""
    assert _pages(vocabulary, "abcdefghij~2") == []
    tight = replace(vocabulary, query_max_scanned=1000)
    with open_searcher(tight) as searcher, pytest.raises(
            QueryError, match=r"look through more than 1,000 words .*'abcdefghij~2'"):
        search(searcher, "abcdefghij~2", tight)
    with open_searcher(vocabulary) as searcher:
        expander = _expander(searcher, vocabulary)
        (leaf,) = [expander.expand(parse("abcdefghij~2", vocabulary))]
        assert isinstance(leaf, bounds.Expanded) and leaf.words == ()
        assert expander.scanned > 1000


def test_a_query_never_looks_through_more_than_its_budget(vocabulary: Settings) -> None:
    budget = replace(vocabulary, query_max_scanned=6000, query_max_expansion=10**6)
    with open_searcher(budget) as searcher:
        expander = _expander(searcher, budget)
        with pytest.raises(QueryError, match="6,000 words"):
            expander.expand(parse(FIVE_FUZZY, budget))
    assert expander.scanned == 6001  # the word that crossed the line, and not one more


def test_each_term_is_expanded_once_per_query(vocabulary: Settings) -> None:
    with open_searcher(vocabulary) as searcher:
        once = _expander(searcher, vocabulary)
        once.expand(parse("aax~2", vocabulary))
        twice = _expander(searcher, vocabulary)
        expanded = twice.expand(parse("aax~2 OR (detainer AND aax~2)", vocabulary))
    assert twice.scanned == once.scanned > 0
    leaves = [q for q in expanded.leaves() if isinstance(q, bounds.Expanded)]
    assert len(leaves) == 2 and leaves[0].words == leaves[1].words != ()


def _whoosh_words(term: Any, segment: Any) -> set[str]:
    """The words Whoosh's own walk finds for `term`; a fuzzy term in page text is walked
    on the words as written (Whoosh's `terms_within` on `words`, the words stemming
    changes, and on `text`, where those it leaves alone are), each found word and the
    typed one taken as the index stores them."""
    if isinstance(term, SurfaceFuzzy):
        found = {index.analyse_word(w) for w in segment.terms_within(
            "words", term.text, term.maxdist, prefix=term.prefixlength)}
        found |= set(segment.terms_within("text", term.text, term.maxdist,
                                          prefix=term.prefixlength))
        return found | ({term.exact} if ("text", term.exact) in segment else set())
    return {w.decode() if isinstance(w, bytes) else w for w in term._btexts(segment)}


@pytest.mark.parametrize("text", ["aax~2", "aax~2/1", "detainer~1", "lodgd~1", "ab*",
                                  "ab?d*", "zz*"])
def test_expanded_terms_find_what_whoosh_finds(vocabulary: Settings, text: str) -> None:
    """The words and pages are Whoosh's own, segment by segment; only the cost changed."""
    with open_searcher(vocabulary) as searcher:
        assert searcher is not None
        plain = parse(text, vocabulary)  # no searcher: not expanded
        expanded = parse(text, vocabulary, searcher)
        assert isinstance(expanded, bounds.Expanded)
        every: set[str] = set()
        for segment, _ in searcher.reader().leaf_readers():
            theirs = _whoosh_words(plain, segment)
            assert set(expanded._btexts(segment)) == theirs
            every |= theirs
        stock = {hit["page"] for hit in searcher.search(
            Or([Term("text", w) for w in every]), limit=None)}
    assert set(_pages(vocabulary, text)) == stock


def test_many_words_found_together_are_refused(vocabulary: Settings) -> None:
    """100 OR'd prefixes each find few words, but together thousands to match."""
    prefixes = " OR ".join(f"{a}{b}*" for a in "abcd" for b in string.ascii_lowercase[:25])
    with open_searcher(vocabulary) as searcher, pytest.raises(
            QueryError, match="more than 2000 different words together"):
        search(searcher, prefixes, vocabulary)
    assert _pages(vocabulary, "detain* OR lodg*") == list(DETAINER_PAGES)


# --- 7: the deadline -------------------------------------------------------------------------

@pytest.fixture
def small(settings: Settings) -> Settings:
    return _write(settings, [{"page_no": n, "text": f"Page {n}: the detainer was lodged."}
                             for n in range(1, 4)])


@pytest.mark.parametrize("text", ["detainer", "detainer OR lodged", '"the detainer"', "detain*"])
def test_a_search_past_its_deadline_stops_with_a_clear_error(small: Settings,
                                                             text: str) -> None:
    assert _pages(small, text) == [1, 2, 3]
    hurried = replace(small, search_deadline=1e-9)
    with open_searcher(hurried) as searcher, pytest.raises(SearchTimeoutError) as stopped:
        search(searcher, text, hurried)
    assert stopped.value.exit_code == ExitCode.timed_out
    assert "stopped after 1e-09 seconds" in stopped.value.message
    assert "narrow it" in stopped.value.message


def test_the_deadline_is_checked_while_pages_are_matched(vocabulary: Settings) -> None:
    """Past the parse, each segment's matcher and the pages it steps through are watched,
    for the collapsed search too."""
    with open_searcher(vocabulary) as searcher:
        assert searcher is not None
        q = parse("detainer OR aax~1 OR \"detainer was\"", vocabulary, searcher)
        watched = {h.docnum for h in searcher.search(bounds.watch(q, bounds.Deadline(60)),
                                                      limit=None)}
        assert watched == {h.docnum for h in searcher.search(q, limit=None)} != set()
        with pytest.raises(SearchTimeoutError):
            searcher.search(bounds.watch(q, bounds.Deadline(1e-9)), limit=None)
        hurried = replace(vocabulary, search_deadline=1e-9)
        with pytest.raises(SearchTimeoutError):
            search(searcher, "detainer OR lodged", hurried, collapse=True)


def test_the_cli_exits_with_code_9_and_the_message(small: Settings) -> None:
    env = {**os.environ, "ARCHIVE_SEARCH_DEADLINE": "0.000000001"}
    proc = subprocess.run([sys.executable, "-m", "archive", "--home", str(small.home),
                           "search", "detainer"], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == ExitCode.timed_out == 9
    assert proc.stderr.startswith("archive: the search was stopped after")
    assert proc.stdout == ""


@pytest.fixture
def hurried_server(small: Settings) -> Iterator[str]:
    """The reading room over `small`, with a deadline no search can meet, served by
    waitress with two threads."""
    import waitress

    from web import create_app

    app = create_app({"ARCHIVE_SETTINGS": replace(small, search_deadline=1e-9)})
    server: Any = waitress.create_server(app, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    server.task_dispatcher.shutdown()


def _get(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_a_live_server_answers_503_at_the_deadline_and_stays_free(hurried_server: str) -> None:
    for _ in range(3):  # more requests than threads: none is left occupied
        status, headers, body = _get(f"{hurried_server}/api/search?q=detainer")
        assert status == 503 and headers["Retry-After"] == "10"
        data = json.loads(body)
        assert data["error"] == "The search took too long"
        assert data["message"].startswith("the search was stopped after")
    status, _, body = _get(f"{hurried_server}/search?q=detain*")
    page = BeautifulSoup(body, "html.parser")
    assert status == 503 and page.h1 is not None
    assert page.h1.get_text() == "The search took too long"
    assert "narrow it" in page.select_one(".message").get_text()
    assert page.select_one("input[name=q]")["value"] == "detain*"  # kept to be narrowed
    assert _get(f"{hurried_server}/help")[0] == 200


def test_over_the_budget_is_a_400(small: Settings) -> None:
    from web import create_app

    app = create_app({"ARCHIVE_SETTINGS": replace(small, query_max_scanned=1)})
    response = app.test_client().get("/api/search", query_string={"q": "lodg~2"})
    assert response.status_code == 400
    assert "look through more than 1 words" in response.json["message"]


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
