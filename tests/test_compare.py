"""Releases of the same record compared: short pages are copies too, and the compare view says
what one release withheld and the other disclosed.

The real pair (marked `ocr`): an NTSB email page as released, and the same page released
again with one more line redacted (a PyMuPDF redaction applied: the pixels are gone); a
short NTSB email page (fewer clean characters than the old 500 minimum) released twice.
Both are read by tesseract, as an agency's scans are.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pymupdf
import pytest
from bs4 import BeautifulSoup
from conftest import RESOURCES, needs_tesseract, reading_room

from archive import records
from archive.catalog import Catalog
from archive.config import Settings, load_settings
from archive.foia import duplicates
from archive.foia.compare import differing_words, normalise
from archive.ingest.pipeline import add_production
from archive.search.writer import reindex


def _words(text: str) -> list[list[Any]]:
    """Word boxes of one line of text, 10 pt per word."""
    return [[10.0 * i, 0.0, 10.0 * i + 8, 8.0, w] for i, w in enumerate(text.split())]


def test_words_are_compared_in_order_case_and_punctuation_folded() -> None:
    here = _words("Yes Capt Lin, I understand. Wreckage is in a warehouse.")
    there = _words("yes capt lin I understand: a WAREHOUSE")
    only_here, only_there = differing_words(here, there)
    assert [w[4] for w in only_here] == ["Wreckage", "is", "in"]
    assert only_there == []
    assert only_here[0][:4] == [50.0, 0.0, 58.0, 8.0]  # each word keeps its box
    moved_here, moved_there = differing_words(_words("alpha bravo charlie"),
                                              _words("charlie alpha bravo"))
    assert (len(moved_here), len(moved_there)) == (1, 1)  # order matters
    assert normalise("L’Enfant,") == "lenfant" and normalise("—") == ""


def test_a_misread_word_is_not_a_difference() -> None:
    here = _words("Senior Aviation Accident Investigator National Transportation Safety Board")
    there = _words("Senior Aviatlon Accident lnvestigator Nationa Transportation Safety Board")
    assert differing_words(here, there) == ([], [])
    withheld = _words("Senior Aviation Accident Investigator Nationa Transportation")
    only_here, _ = differing_words(here, withheld)
    assert [w[4] for w in only_here] == ["Safety", "Board"]


ENVELOPE = ("Sender: Silva, Sathya </O=EXCHANGELABS/OU=EXCHANGE ADMINISTRATIVE GROUP "
            "(FYDIBOHF23SPDLT)/CN=RECIPIENTS/CN=6085003A5604409C83A2BA13C65D18B9-SILVA SATHY>\n"
            "Recipient: Hilldrup Frank /o=ExchangeLabs/ou=Exchange Administrative Group "
            "(FYDIBOHF23SPDLT)/cn=Recipients/cn=a8005c24f72549179b7704aa1a822786-Hilldrup Fr\n"
            "Sent Date: {date} {time}\nDelivered Date: {date} {time}\n")
FORM = ("Thank you for your patience in those two days. We may continue the wreckage "
        "examination in the warehouse tomorrow and the day after tomorrow, so we depart the "
        "hotel at 08h00 each morning; breakfast will be ready at 06h40. Best regards, "
        "Yanfeng Mao, Head, Aviation Accident Investigation Center, Civil Aviation "
        "Administration of China.")


def _short_pdf(path: Path, text: str, fontsize: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = pymupdf.open()
    doc.new_page(width=612, height=792).insert_textbox(pymupdf.Rect(72, 72, 540, 720), text,
                                                       fontsize=fontsize)
    doc.save(path)
    doc.close()


def test_short_pages_are_copies_but_lookalike_envelopes_are_not(settings: Settings,
                                                                tmp_path: Path) -> None:
    assert duplicates.is_short(len(duplicates.shingles(FORM)))
    for n, (folder, size) in enumerate(((tmp_path / "one", 11), (tmp_path / "two", 10))):
        _short_pdf(folder / "form.pdf", FORM, size)  # the same form, typeset anew
        _short_pdf(folder / "envelope.pdf", ENVELOPE.format(
            date=f"2022/05/1{7 + n}", time=f"1{5 + n}:47:0{8 - n}"), size)
        add_production([folder], settings, production=f"Release {n + 1}")
    with Catalog(settings.catalog_path, readonly=True) as catalog:
        by_title: dict[str, list[str]] = {}
        for row in catalog.documents():
            by_title.setdefault(row["title"], []).append(row["doc_id"])
        first_form, second_form = by_title["form"]
        assert [d["doc_id"] for d in records.duplicates(catalog, first_form, 1)] == [second_form]
        for doc_id in by_title["envelope"]:  # the same people, another day: not a copy
            assert records.duplicates(catalog, doc_id, 1) == []


def test_reindex_links_the_short_copies_an_older_archive_left_out(settings: Settings,
                                                                  tmp_path: Path) -> None:
    for n, size in enumerate((11, 10)):
        _short_pdf(tmp_path / f"r{n}" / "form.pdf", FORM, size)
        add_production([tmp_path / f"r{n}"], settings, production=f"Release {n + 1}")
    with Catalog(settings.catalog_path) as catalog:  # as the 500-character rule left them
        catalog.db.execute("UPDATE page_signatures SET size = 0, signature = NULL")
        catalog.db.execute("DELETE FROM page_bands")
        catalog.db.execute("DELETE FROM page_duplicates")
        first = str(catalog.documents()[0]["doc_id"])
        assert records.duplicates(catalog, first, 1) == []
    assert reindex(settings) == 2
    with Catalog(settings.catalog_path, readonly=True) as catalog:
        assert [d["production"] for d in records.duplicates(catalog, first, 1)] == [
            "Release 2"]


def test_numbers_written_on_short_pages_must_agree() -> None:
    monday = ENVELOPE.format(date="2022/05/17", time="15:47:08")
    assert duplicates.numbers(monday) == {"2022/05/17", "15:47:08"}  # ids' digits left out
    assert duplicates.numbers_agree(monday, monday.replace("Frank", "Frnak"))
    assert not duplicates.numbers_agree(monday, ENVELOPE.format(date="2023/02/08",
                                                                time="12:47:48"))
    assert duplicates.numbers_agree(monday, "no numbers here at all")  # all redacted


def test_released_text_is_escaped_in_the_compare_view(client, web_home: Path) -> None:  # type: ignore[no-untyped-def]
    with Catalog(web_home / "index" / "catalog.sqlite", readonly=True) as catalog:
        ids = {row["title"]: row["doc_id"] for row in catalog.documents()}
    hostile = next(doc_id for title, doc_id in ids.items()
                   if title not in ("detainer-reports", "long-report"))
    page = client.get(f"/doc/{hostile}/page/1/compare/{ids['detainer-reports']}/1")
    assert page.status_code == 200
    assert b"<script>alert" not in page.data and b"<img src=x" not in page.data
    words = BeautifulSoup(page.data, "html.parser").select("#side-here .only-word")
    assert "<script>alert(1)</script>" in " ".join(w.get_text() for w in words)
    assert "not recorded as copies" in page.get_data(as_text=True)
    missing = client.get(f"/doc/{hostile}/page/2/compare/{ids['detainer-reports']}/1")
    assert missing.status_code == 404


# --- a real page released twice -----------------------------------------------------------

FIRST = ("scan_ntsb_12-rzcommu_1-058.pdf", "DERIVED_page3_ntsb_21-rzcommu_1-056.pdf")
SECOND = ("DERIVED_rereleased_ntsb_12-rzcommu_1-058.pdf",
          "DERIVED_rereleased_page3_ntsb_21-rzcommu_1-056.pdf")


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    if not shutil.which("tesseract"):
        pytest.skip("tesseract is not installed")
    root = tmp_path_factory.mktemp("compare")
    settings = load_settings(root / "home", jobs=2, ocr_lang="eng+Latin")
    for folder, names, name, released in (("first", FIRST, "NTSB release", "2024-05-01"),
                                          ("second", SECOND, "NTSB release after appeal",
                                           "2025-02-01")):
        (root / folder).mkdir()
        for file in names:
            shutil.copy(RESOURCES / file, root / folder / file)
        report = add_production([root / folder], settings, production=name, meta={
            "agency": "National Transportation Safety Board", "released": released})
        assert not report.failed, report.failed
    return settings


def _doc(settings: Settings, title: str) -> str:
    with Catalog(settings.catalog_path, readonly=True) as catalog:
        return next(r["doc_id"] for r in catalog.documents() if r["title"] == title)


def _client(settings: Settings) -> Any:
    from web import create_app

    return create_app({"ARCHIVE_HOME": str(settings.home), "TESTING": True}).test_client()


@pytest.mark.ocr
@needs_tesseract
def test_a_short_record_released_twice_is_linked_as_a_copy(releases: Settings) -> None:
    first = _doc(releases, "DERIVED_page3_ntsb_21-rzcommu_1-056")
    second = _doc(releases, "DERIVED_rereleased_page3_ntsb_21-rzcommu_1-056")
    with Catalog(releases.catalog_path, readonly=True) as catalog:
        page = catalog.page(first, 1)
        assert page is not None
        clean = "".join(re.findall(r"[a-z]{3,}", page["text"].lower()))
        assert len(clean) < 500  # the old rule never compared it
        assert [d["doc_id"] for d in records.duplicates(catalog, first, 1)] == [second]
        assert [d["doc_id"] for d in records.duplicates(catalog, second, 1)] == [first]


@pytest.mark.ocr
@needs_tesseract
def test_the_words_one_release_withheld_are_shown_and_outlined(releases: Settings) -> None:
    here = _doc(releases, "scan_ntsb_12-rzcommu_1-058")
    there = _doc(releases, "DERIVED_rereleased_ntsb_12-rzcommu_1-058")
    client = _client(releases)
    data = client.get(f"/api/doc/{here}/page/1/compare/{there}/1").json
    assert data["copies"] is True
    withheld = [w for w in data["only_here"]
                if w[4] in ("Major", "Investigations", "Division")]
    assert [w[4] for w in withheld] == ["Major", "Investigations", "Division"]
    assert not {"Major", "Investigations", "Division"} & {w[4] for w in data["only_there"]}
    # the second release's new redaction box lies over the words it withheld
    boxes = data["there"]["redactions"]["boxes"]
    assert len(boxes) == len(data["here"]["redactions"]["boxes"]) + 1
    for x0, y0, x1, y1, _ in withheld:
        assert any(b[0] - 2 <= x0 and x1 <= b[2] + 2 and b[1] - 2 <= y0 and y1 <= b[3] + 2
                   for b in boxes), (x0, y0, x1, y1)
    assert "(b)(6)" in data["exemptions_here"] and "(b)(6)" in data["exemptions_there"]
    assert len(data["only_here"]) < 20  # OCR noise stays a few words, not whole lines

    viewer = BeautifulSoup(client.get(f"/doc/{here}/page/1").data, "html.parser")
    link = viewer.select_one(".also-released a.compare-link")
    assert link is not None and link["href"] == f"/doc/{here}/page/1/compare/{there}/1"
    html = BeautifulSoup(client.get(link["href"]).data, "html.parser")
    assert len(html.select("#differences-here rect.difference")) == len(data["only_here"])
    assert len(html.select("#differences-there rect.difference")) == len(data["only_there"])
    assert len(html.select("#redactions-there rect.redaction")) == len(boxes)
    words = [w.get_text() for w in html.select("#side-here .only-word")]
    assert {"Major", "Investigations", "Division"} <= set(words)
    assert "NTSB release after appeal" in html.select_one("#heading-there").get_text()


@pytest.mark.browser
@pytest.mark.ocr
@needs_tesseract
def test_the_compare_view_in_a_browser(releases: Settings, browser: Any) -> None:
    """Chromium draws each highlight on its word of the page image; the screenshot is the
    README's (tests/artifacts/compare.png, copied to docs/screenshots/)."""
    here = _doc(releases, "scan_ntsb_12-rzcommu_1-058")
    there = _doc(releases, "DERIVED_rereleased_ntsb_12-rzcommu_1-058")
    artifacts = RESOURCES.parent / "artifacts"
    artifacts.mkdir(exist_ok=True)
    with reading_room(releases.home) as base:
        context = browser.new_context(viewport={"width": 1366, "height": 1000})
        page = context.new_page()
        page.goto(f"{base}/doc/{here}/page/1/compare/{there}/1")
        for side in ("here", "there"):
            page.wait_for_function(
                "s => { const i = document.querySelector(s); return i && i.complete && "
                "i.naturalWidth > 0; }", arg=f"#figure-{side} img")
        data = page.request.get(f"{base}/api/doc/{here}/page/1/compare/{there}/1").json()
        image = page.locator("#figure-here img").bounding_box()
        scale = image["width"] / data["here"]["width"]
        rects = page.locator("#differences-here rect.difference").all()
        assert len(rects) == len(data["only_here"])
        for rect, (x0, y0, x1, y1, _) in zip(rects, data["only_here"], strict=True):
            drawn = rect.bounding_box()  # centred on the word's box
            assert abs(drawn["x"] + drawn["width"] / 2
                       - (image["x"] + (x0 + x1) / 2 * scale)) <= 1.5
            assert abs(drawn["y"] + drawn["height"] / 2
                       - (image["y"] + (y0 + y1) / 2 * scale)) <= 1.5
            assert drawn["width"] >= (x1 - x0) * scale
        assert page.locator("#redactions-there").is_visible()
        page.screenshot(path=str(artifacts / "compare.png"))
        context.close()
