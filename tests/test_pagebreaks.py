"""Phrases across a page break, on a real released document: a First Circuit opinion whose
pages carry the court's running stamp at the top and a page number at the bottom
(tests/resources/README.md). Real PyMuPDF, Whoosh index and SQLite catalog on disk."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import RESOURCES, needs_tesseract, write_text_pdf

from archive.catalog import Catalog
from archive.config import Settings, load_settings
from archive.foia import running
from archive.ingest.pipeline import add_production
from archive.search import bridges
from archive.search.matches import match_spans
from archive.search.query import open_searcher, query_terms, search

OPINION = RESOURCES / "born_digital_ca1_opinion_20-1507.pdf"
SCANNED = RESOURCES / "DERIVED_scanned_ca1_opinion_20-1507_p7-9.pdf"  # its pages 7-9, scanned
ACROSS_7_8 = "\"parties' agreement alone\""  # "... by the parties' agreement" | "alone.  See"


@pytest.fixture(scope="module")
def opinion(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """An archive holding the opinion, added as `archive add` adds it."""
    root = tmp_path_factory.mktemp("opinion")
    (root / "in").mkdir()
    shutil.copy(OPINION, root / "in" / OPINION.name)
    settings = load_settings(root / "home", jobs=1, ocr_mode="never", ocr_lang="eng")
    report = add_production([root / "in"], settings, production="First Circuit opinions")
    assert not report.failed, report.failed
    return settings


@pytest.fixture(scope="module")
def doc_id(opinion: Settings) -> str:
    with Catalog(opinion.catalog_path, readonly=True) as catalog:
        (row,) = catalog.documents()
        return str(row["doc_id"])


def _search(settings: Settings, text: str):  # type: ignore[no-untyped-def]
    with open_searcher(settings) as searcher:
        return search(searcher, text, settings, pagelen=50)


def _pages_saying(settings: Settings, doc_id: str, text: str) -> set[int]:
    """The pages whose own text holds `text` (the rule the index had before bridges)."""
    sequences = query_terms(text, settings)
    with Catalog(settings.catalog_path, readonly=True) as catalog:
        return {row["page_no"] for row in catalog.pages(doc_id)
                if match_spans(row["text"], sequences)}


def test_a_phrase_over_a_page_break_is_found_on_the_page_where_it_starts(opinion) -> None:  # type: ignore[no-untyped-def]
    results = _search(opinion, ACROSS_7_8)
    assert results.total == 1
    (hit,) = results.hits
    assert hit.page == 7
    # the join shown between the pages' words, text escaped (the apostrophe too)
    assert ("by the <mark>parties</mark>&#39; <mark>agreement</mark>\n[p. 8]\n"
            "<mark>alone</mark>.  See") in hit.excerpt
    assert "Case:" not in hit.excerpt and "- 7 -" not in hit.excerpt


@pytest.mark.parametrize(("phrase", "page"), [
    ("\"Watchtower Bible & Tract Soc'y of N.Y.\"", 8),  # "... & Tract" | "Soc'y of N.Y."
    ("\"happened was a full adversarial hearing would be\"", 9),
])
def test_other_breaks_of_the_document(opinion, phrase: str, page: int) -> None:  # type: ignore[no-untyped-def]
    results = _search(opinion, phrase)
    assert [h.page for h in results.hits] == [page]
    assert f"[p. {page + 1}]" in results.hits[0].excerpt


@pytest.mark.parametrize("phrase", [
    "\"agreement soc'y\"",  # end of page 7, start of page 9: not one break
    "\"parties' agreement see\"",  # page 8's first word left out
    "\"agreement case 20 1507\"",  # only with page 8's running stamp read as the sentence
    "\"agreement 7 alone\"",  # only with page 7's page number "- 7 -" read as the sentence
    "\"agreement 7 case\"",  # both
])
def test_a_phrase_that_needs_a_running_line_or_skips_a_page_is_not_found(  # type: ignore[no-untyped-def]
        opinion, phrase: str) -> None:
    assert _search(opinion, phrase).total == 0


@pytest.mark.parametrize("phrase", ["\"federal court\"", "\"appellate jurisdiction\"",
                                    "\"full adversarial hearing\"", "\"the chapel\""])
def test_a_phrase_within_pages_finds_what_it_found_before(opinion, doc_id, phrase) -> None:  # type: ignore[no-untyped-def]
    results = _search(opinion, phrase)
    own = _pages_saying(opinion, doc_id, phrase)
    assert own and {h.page for h in results.hits} == own
    assert results.total == len(own)  # page 9 holds the phrase and starts one: counted once


def test_a_phrase_within_a_page_keeps_its_excerpt(opinion) -> None:  # type: ignore[no-untyped-def]
    (hit,) = [h for h in _search(opinion, "\"federal court\"").hits if h.page == 7]
    assert "[p. 8]" not in hit.excerpt
    assert "on a <mark>federal</mark> <mark>court</mark> by the parties" in hit.excerpt


def test_pages_and_totals_are_not_doubled(opinion) -> None:  # type: ignore[no-untyped-def]
    with open_searcher(opinion) as searcher:
        assert searcher is not None and searcher.doc_count() == 17
    with Catalog(opinion.catalog_path, readonly=True) as catalog:
        assert catalog.stats()["pages"] == 17
    everywhere = _search(opinion, "20-1507")  # in the running stamp of every page
    assert everywhere.total == 17
    assert everywhere.facets["production"] == {"first-circuit-opinions": 17}


def _marks(html: str) -> list[str]:
    page = BeautifulSoup(html, "html.parser")
    return [m.get_text() for m in page.select("pre.page-text mark")]


def _rects(html: str) -> list[list[float]]:
    page = BeautifulSoup(html, "html.parser")
    return [[float(r[k]) for k in ("x", "y", "width", "height")]
            for r in page.select("#page-figure svg.overlay rect.match")]


@pytest.fixture(scope="module")
def client(opinion: Settings):  # type: ignore[no-untyped-def]
    from web import create_app
    app = create_app({"ARCHIVE_HOME": str(opinion.home), "TESTING": True})
    return app.test_client()


def test_the_viewers_of_both_pages_mark_their_part(client, doc_id) -> None:  # type: ignore[no-untyped-def]
    seventh = client.get(f"/doc/{doc_id}/page/7", query_string={"q": ACROSS_7_8})
    eighth = client.get(f"/doc/{doc_id}/page/8", query_string={"q": ACROSS_7_8})
    assert seventh.status_code == eighth.status_code == 200
    assert _marks(seventh.text) == ["parties' agreement"]
    assert _marks(eighth.text) == ["alone"]
    words7 = {w[4]: w[:4] for w in client.get(f"/api/doc/{doc_id}/page/7").json["words"]}
    words8 = client.get(f"/api/doc/{doc_id}/page/8").json["words"]
    api7 = client.get(f"/api/doc/{doc_id}/page/7", query_string={"q": ACROSS_7_8}).json
    api8 = client.get(f"/api/doc/{doc_id}/page/8", query_string={"q": ACROSS_7_8}).json
    # page 7: its last line's "parties' agreement", one box; page 8: its first body word
    x0, y0 = words7["parties'"][:2]
    assert api7["matches"] == [[x0, y0, *words7["agreement"][2:]]]
    alone = next(w for w in words8 if w[4] == "alone.")
    assert api8["matches"] == [alone[:4]]
    for html, api in ((seventh.text, api7), (eighth.text, api8)):
        rects = _rects(html)
        assert len(rects) == len(api["matches"]) == 1
        (x, y, _, _), (bx0, by0, _, _) = rects[0], api["matches"][0]
        assert (x, y) == pytest.approx((bx0 - 2, by0 - 2), abs=0.06)
    # each viewer says where the rest is
    assert re.search(r"runs onto\s+<a[^>]*>p\. 8</a>", seventh.text)
    assert re.search(r"a match on <a[^>]*>p\. 7</a> runs onto this page", eighth.text)


def test_the_viewer_of_the_next_break_marks_nothing_of_this_one(client, doc_id) -> None:  # type: ignore[no-untyped-def]
    ninth = client.get(f"/doc/{doc_id}/page/9", query_string={"q": ACROSS_7_8})
    assert _marks(ninth.text) == [] and _rects(ninth.text) == []
    assert client.get(f"/api/doc/{doc_id}/page/9",
                      query_string={"q": ACROSS_7_8}).json["matches"] == []


def _memo(tmp_path: Path, pages: list[list[str]]) -> Settings:
    """An archive of one born-digital PDF with these lines on its pages."""
    write_text_pdf(tmp_path / "in" / "memo.pdf", pages)
    settings = load_settings(tmp_path / "home", jobs=1, ocr_mode="never", ocr_lang="eng")
    assert not add_production([tmp_path / "in"], settings, production="Memos").failed
    return settings


def test_hostile_text_over_a_break_is_escaped(tmp_path: Path) -> None:
    """A phrase crossing a break next to markup: the excerpt shows the markup as text."""
    settings = _memo(tmp_path, [
        ["Memorandum for the record", "the detainee was moved to the <b>sally"],
        ["port</b> <script>alert(1)</script> at noon", "and released the next day"]])
    (hit,) = _search(settings, "\"sally port\"").hits
    assert hit.page == 1
    assert ("moved to the &lt;b&gt;<mark>sally</mark>\n[p. 2]\n<mark>port</mark>&lt;/b&gt; "
            "&lt;script&gt;alert(1)&lt;/script&gt;") in hit.excerpt
    assert "<script>" not in hit.excerpt and "<b>" not in hit.excerpt


def test_the_results_page_shows_the_join_and_boxes_the_start(client, doc_id) -> None:  # type: ignore[no-untyped-def]
    page = BeautifulSoup(client.get("/search", query_string={"q": ACROSS_7_8}).text,
                         "html.parser")
    (hit,) = page.select(".hit")
    assert hit.select_one("a.hit-link")["href"].startswith(f"/doc/{doc_id}/page/7")
    excerpt = hit.select_one(".excerpt")
    assert [m.get_text() for m in excerpt.select("mark")] == ["parties", "agreement", "alone"]
    assert "agreement\n[p. 8]\nalone" in excerpt.get_text()
    (rect,) = hit.select("svg.overlay rect.match")  # the thumbnail: page 7's part
    assert 690 < float(rect["y"]) < 700


# --- the detector and the bridge, on page texts -------------------------------------------

def _body(text: str, span: tuple[int, int]) -> str:
    return text[span[0]:span[1]]


def test_running_lines_of_the_real_opinion_are_left_out() -> None:
    import pymupdf

    from archive.read.extract import text_layer
    with pymupdf.open(OPINION) as pdf:
        texts = [text_layer(page)[0] for page in pdf]
    bodies = [_body(t, s) for t, s in zip(texts, running.bodies(texts), strict=True)]
    assert all("Case: 20-1507" not in body for body in bodies)
    assert bodies[6].rstrip().endswith("by the parties' agreement")
    assert bodies[7].startswith("alone.  See Espinal-Domínguez")
    assert not any(re.search(r"^- \d+ -", b, re.M) for b in bodies)
    assert bodies[16].strip()  # the last page keeps its body


def test_running_lines_found_through_ocr_noise_page_numbers_and_bates() -> None:
    heads = ["UNITED STATES DEPARTMENT OF HOMELAND SECURITY",
             "UNITED STATES DEPARTMENT 0F H0MELAND SECURITY",  # as OCR reads a copier scan
             "UNlTED STATES DEPARTMENT OF HOMELAND SECURlTY"]
    bodies = ["The detainer was lodged with the county\non the morning of March 3, and the",
              "officer waited in the sally port\nfor an hour before the release was",
              "confirmed by the shift supervisor.\nNo further action was taken."]
    feet = [["Page 1 of 3", "DHS-000101"], ["- 2 -", "2019-ICLI-00003 022455"],
            ["3", "DHS-000103"]]
    texts = [f"{head}\n\n{body}\n" + "\n".join(foot)
             for head, body, foot in zip(heads, bodies, feet, strict=True)]
    spans = running.bodies(texts)
    assert [_body(t, s) for t, s in zip(texts, spans, strict=True)] == bodies


def test_alternating_heads_are_running_and_a_lone_edge_line_is_not() -> None:
    texts = ["Syllabus\nThe Court held that the compact\ndid not", "TARRANT v. HERRMANN\n"
             "grant a right\nto cross borders", "Syllabus\nfor water; the silence\nof the",
             "TARRANT v. HERRMANN\ncompact means\nno such right"]
    bodies = [_body(t, s) for t, s in zip(texts, running.bodies(texts), strict=True)]
    assert [b.split("\n")[0] for b in bodies] == [
        "The Court held that the compact", "grant a right", "for water; the silence",
        "compact means"]
    # a line at the edge of one page only is the page's own
    lone = "Memorandum\nfor the record"
    assert running.bodies([lone]) == [(0, len(lone))]


def test_a_bridge_keeps_thirty_words_each_side_verbatim() -> None:
    tail = " ".join(f"t{n}" for n in range(40)) + " sal-"
    head = "ly port " + " ".join(f"h{n}" for n in range(40))
    value = bridges.bridge(tail, head)
    joined, join = bridges.halves(value)
    assert joined[:join - 1].split()[0] == "t11" and joined[:join - 1].endswith("sal-")
    assert joined[join:].startswith("ly port h0") and joined[join:].split()[-1] == "h27"
    assert bridges.bridge("", head) == bridges.bridge(tail, "  ") == ""


@pytest.mark.ocr
@needs_tesseract
def test_a_scanned_copy_read_by_ocr_finds_the_phrase_over_its_break(tmp_path: Path) -> None:
    """Pages 7-9 as a copier scan: OCR reads the stamps and page numbers too."""
    (tmp_path / "in").mkdir()
    shutil.copy(SCANNED, tmp_path / "in" / SCANNED.name)
    settings = load_settings(tmp_path / "home", jobs=1, ocr_mode="auto", ocr_lang="eng")
    report = add_production([tmp_path / "in"], settings, production="Scans")
    assert not report.failed and report.ocr_pages == 3
    (hit,) = _search(settings, ACROSS_7_8).hits
    assert hit.page == 1 and "<mark>agreement</mark>\n[p. 2]\n<mark>alone</mark>" in hit.excerpt
    # (OCR reads page 9's "Soc'y" as "Socty": the 8/9 break is not asserted)
    for phrase in ("\"agreement soc'y\"", "\"agreement case\"", "\"agreement 7 case\""):
        assert _search(settings, phrase).total == 0, phrase


def test_a_word_hyphenated_over_a_break(tmp_path: Path) -> None:
    settings = _memo(tmp_path, [
        ["Memorandum for the record", "the detainee was moved to the sal-"],
        ["ly port at noon and released", "the next day"]])
    for phrase in ("\"sally port at noon\"", "\"to the sally\""):  # as within a page
        assert [h.page for h in _search(settings, phrase).hits] == [1], phrase
    (hit,) = _search(settings, "\"sally port\"").hits
    assert "the <mark>sal</mark>-\n[p. 2]\n<mark>ly</mark> <mark>port</mark> at noon" \
        in hit.excerpt
    assert _search(settings, "\"port at noon\"").total == 1  # page 2's own


def test_footnotes_under_a_rule_end_the_body_and_an_email_rule_does_not() -> None:
    note = ("the Compact leaves no waters\nunallocated, so the claim fails\n——————\n"
            "9 See Brief for Petitioner 34.\nPage 4")
    email = ("Please see the note below.\nThanks,\n________________________________\n"
             "From: Silva, Sathya\nSent: Monday, April 4, 2022\nThe agreement covers\n"
             "Page 5")
    (note_body, email_body) = [_body(t, s) for t, s in
                               zip((note, email), running.bodies([note, email]), strict=True)]
    assert note_body == "the Compact leaves no waters\nunallocated, so the claim fails"
    assert email_body.endswith("The agreement covers")


def _indexed(tmp_path: Path, texts: list[str]) -> Settings:
    """An index (no catalog) of one document with these page texts, written as `add`
    writes a document (text typeset PDFs give that the base-14 fonts cannot print)."""
    from archive.search import index
    settings = load_settings(tmp_path / "home")
    doc = {"doc_id": "0" * 16, "title": "slip opinion", "kind": "pdf",
           "page_count": len(texts), "productions": [{"slug": "scotus", "name": "Slip opinions"}]}
    with index.writer(index.recreate(settings.whoosh_dir)) as w:
        index.add_pages(w, doc, [{"page_no": n, "text": t, "text_source": "text"}
                                 for n, t in enumerate(texts, 1)])
    return settings


def test_soft_hyphens_join_words_within_a_page_and_over_a_break(tmp_path: Path) -> None:
    """Typeset PDFs (the Supreme Court's) break words with a soft hyphen (U+00AD)."""
    settings = _indexed(tmp_path, [
        "each State was left to regulate the ac\xad\ntivities of her own citizens, and the "
        "cap on each State's access to subbasin 5's ex\xad",
        "cess water implies that if a State cannot access sufficient water"])
    # a soft hyphen never joins two words: the joined word stands at one position, so a
    # phrase runs through it, within a page and over a break
    for phrase in ("\"regulate the activities of her\"", "\"subbasin 5's excess\"",
                   "\"5's excess water implies\"", "\"excess water\""):
        assert [h.page for h in _search(settings, phrase).hits] == [1], phrase
    assert _search(settings, "\"activities\"").total == 1
    (hit,) = _search(settings, "\"excess water\"").hits
    assert "<mark>ex</mark>\xad\n[p. 2]\n<mark>cess</mark> <mark>water</mark>" in hit.excerpt


def test_a_letters_continuation_head_is_running() -> None:
    letter = ["CITY OF CHICAGO\nDepartment of Police\nDear Mr. Martinez:\nThe records you "
              "asked for would disclose unique and specialized\nEstablished 1849",
              "Freddy Martinez\nDecember 8, 2014\nPage 2\ninvestigative techniques not "
              "generally used\nby law enforcement. Their release would\nendanger the "
              "officers who use them.\nSincerely,"]
    bodies = [_body(t, s) for t, s in zip(letter, running.bodies(letter), strict=True)]
    assert bodies[1].startswith("investigative techniques not generally used")
    assert bodies[0].startswith("CITY OF CHICAGO")  # a first page has no running head


def test_a_withdrawn_page_lends_no_words_to_the_page_before(tmp_path: Path) -> None:
    """Page 8 withdrawn: page 7's bridge holds page 8's first words, so the phrase over
    the 7/8 break is not found, and no excerpt, viewer or API shows page 8's words."""
    from archive.editing import withdrawals
    from archive.editing.accounts import User
    from web import create_app
    (tmp_path / "in").mkdir()
    shutil.copy(OPINION, tmp_path / "in" / OPINION.name)
    settings = load_settings(tmp_path / "home", jobs=1, ocr_mode="never", ocr_lang="eng")
    assert not add_production([tmp_path / "in"], settings, production="Opinions").failed
    with Catalog(settings.catalog_path, readonly=True) as catalog:
        doc = str(catalog.documents()[0]["doc_id"])
    editor = User("editor", "editor")
    withdrawals.withdraw(settings, editor, doc, 8, "personal data released by mistake")
    assert _search(settings, ACROSS_7_8).total == 0
    either = f"\"federal court\" OR {ACROSS_7_8}"
    (hit,) = [h for h in _search(settings, either).hits if h.page == 7]
    assert "[p. 8]" not in hit.excerpt and "alone" not in hit.excerpt
    client = create_app({"ARCHIVE_HOME": str(settings.home), "TESTING": True}).test_client()
    seventh = client.get(f"/doc/{doc}/page/7", query_string={"q": ACROSS_7_8})
    assert _marks(seventh.text) == [] and "runs onto" not in seventh.text
    assert client.get(f"/api/doc/{doc}/page/7",
                      query_string={"q": ACROSS_7_8}).json["matches"] == []
    withdrawals.restore(settings, editor, doc, 8)
    assert [h.page for h in _search(settings, ACROSS_7_8).hits] == [7]



def test_soft_hyphenated_words_are_boxed_whole_in_a_phrase() -> None:
    from archive.search.matches import match_boxes
    words = [[72, 100, 110, 112, "farther"], [114, 100, 150, 112, "down\xad"],
             [72, 114, 110, 126, "stream"], [114, 114, 130, 126, "and"]]
    sequences = query_terms("\"farther downstream and\"", load_settings(Path("/nonexistent")))
    assert match_boxes(words, sequences) == [[72.0, 100.0, 150.0, 112.0],
                                             [72.0, 114.0, 130.0, 126.0]]


def test_a_typeset_apostrophe_is_a_typed_one(tmp_path: Path) -> None:
    settings = _indexed(tmp_path, ["Tarrant’s Commerce Clause argument founders\nhere",
                                   "and the State's own waters"])
    assert [h.page for h in _search(settings, "\"tarrant's commerce clause\"").hits] == [1]
    (hit,) = _search(settings, "\"state’s own\"").hits
    assert hit.page == 2 and "<mark>State&#39;s</mark> <mark>own</mark>" in hit.excerpt


def _numbered(text: str) -> tuple[str, dict[str, object]]:
    """A page of numbered lines ("1 the text"), with the `line_numbers` annotation the
    detector gives such a page (the numbers' spans in the text)."""
    lines = text.split("\n")
    out, spans = [], []
    at = 0
    for number, line in enumerate(lines, 1):
        label = str(number)
        spans.append([at, at + len(label)])
        out.append(f"{label} {line}")
        at += len(label) + 1 + len(line) + 1
    return "\n".join(out), {"line_numbers": {"words": [], "spans": spans}}


def test_margin_line_numbers_are_no_words_of_a_bridge(tmp_path: Path) -> None:
    """Transcripts number their lines: the numbers at the foot of page 1 and the head of
    page 2 stand between a sentence's words, and are left out of the bridge as they are
    out of a page's own phrases."""
    from archive.search import index
    first, first_notes = _numbered("Q. Where were you on the night\nof the fire at the "
                                   "grain elevator, when\nthe alarm")
    second, second_notes = _numbered("sounded? A. At home with my\nfamily in Tulsa.")
    settings = load_settings(tmp_path / "home")
    doc = {"doc_id": "1" * 16, "title": "deposition", "kind": "pdf", "page_count": 2,
           "productions": [{"slug": "depo", "name": "Depositions"}]}
    with index.writer(index.recreate(settings.whoosh_dir)) as w:
        index.add_pages(w, doc, [
            {"page_no": 1, "text": first, "text_source": "text", "annotations": first_notes},
            {"page_no": 2, "text": second, "text_source": "text",
             "annotations": second_notes}])
    (bridge,) = [b for b in index.page_bridges([
        {"page_no": 1, "text": first, "annotations": first_notes},
        {"page_no": 2, "text": second, "annotations": second_notes}]) if b]
    assert not re.search(r"\d", bridge), bridge  # the numbers are spaces
    for phrase in ("\"when the alarm sounded\"", "\"elevator when the alarm sounded a\""):
        assert [h.page for h in _search(settings, phrase).hits] == [1], phrase
    (hit,) = _search(settings, "\"the alarm sounded\"").hits
    assert "<mark>the</mark> <mark>alarm</mark>\n[p. 2]\n" in hit.excerpt
    assert _search(settings, "\"alarm 1 sounded\"").total == 0  # page 2's number is out


def test_fuzzy_and_tolerant_phrases_cross_a_break_too(tmp_path: Path) -> None:
    settings = _memo(tmp_path, [
        ["Memorandum for the record", "the inmates were held in the administrative"],
        ["segregation unit until the hearing", "the next day"]])
    for phrase in ("\"administrative segregation unit\"",
                   "\"administrative segregaton~1 unit\"", "\"adminstrative~1 segregation\""):
        assert [h.page for h in _search(settings, phrase).hits] == [1], phrase
    with open_searcher(settings) as searcher:
        # tolerant phrases are fuzzy on OCR'd pages only: on this text layer, as typed
        assert [h.page for h in search(searcher, "\"administrative segregation\"", settings,
                                       tolerant=True).hits] == [1]
        assert search(searcher, "\"administrative segregaton\"", settings,
                      tolerant=True).total == 0
    assert _search(settings, "\"segregation unit\"").total == 1  # page 2's own: not doubled
