"""Hybrid pages (a text layer and pictures of text), short born-digital pages, and which
pages go to OCR: whole, in part, or not at all (issue 11, items 1 and 3).

The pages are those of `DERIVED_hybrid_scotus-11-889-p24_ntsb-058.pdf` (see
tests/resources/README.md): 1 hybrid (a Supreme Court opinion page with an NTSB scan pasted
in), 2 short born-digital ("It is so ordered."), 3 born-digital, 4 a full-page scan under a
thin invisible text layer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pymupdf
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from conftest import CORPUS, RESOURCES, has_tesseract, needs_corpus, needs_tesseract
from test_web_openapi import check

from archive.catalog import Catalog
from archive.cli import cli
from archive.config import Settings, load_settings
from archive.foia import redactions
from archive.ingest.pipeline import add_production
from archive.models import OcrResult, Picture
from archive.read import extract, hybrid, ocr, worker
from archive.search.query import open_searcher, search
from web.sources import text_parts

HYBRID = RESOURCES / "DERIVED_hybrid_scotus-11-889-p24_ntsb-058.pdf"
EXHIBIT_BOX = (155.0, 372.24, 456.0, 761.76)  # where the scan is pasted on page 1, points
# The scan is 1275 x 1650 pixels; where tesseract finds "Wall" on the scan itself (150 dpi),
# and so where the word must land on page 1.
SCAN_WALL = (387, 278, 417, 291)
OPINION = ["TARRANT REGIONAL WATER DIST. v. HERRMANN", "Tarrant’s Commerce Clause argu-",
           "We affirm the judgment of the Court of", "It is so ordered."]
SCAN_PHRASES = ["Wall Street journal article", "National Transportation Safety Board",
                "Major Investigations Division", "Yes Capt Lin, I understand"]


def _on_page(box: tuple[float, ...]) -> list[float]:
    sx = (EXHIBIT_BOX[2] - EXHIBIT_BOX[0]) / 1275
    sy = (EXHIBIT_BOX[3] - EXHIBIT_BOX[1]) / 1650
    return [EXHIBIT_BOX[0] + box[0] * sx, EXHIBIT_BOX[1] + box[1] * sy,
            EXHIBIT_BOX[0] + box[2] * sx, EXHIBIT_BOX[1] + box[3] * sy]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """Spies on the costly steps (the real ones still run): what was rendered, what OCR'd,
    which pages had their images listed."""
    seen: dict[str, list[Any]] = {"render_page": [], "render_clip": [], "render_picture": [],
                                  "ocr": [], "image_info": []}

    def spy(name: str, real: Callable[..., Any], record: Callable[..., Any]) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            seen[name].append(record(*args, **kwargs))
            return real(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(extract, "render_page", spy("render_page", extract.render_page,
                                                    lambda page, dpi, *_: dpi))
    monkeypatch.setattr(extract, "render_clip", spy("render_clip", extract.render_clip,
                                                    lambda page, box, *_: tuple(box)))
    monkeypatch.setattr(extract, "render_picture",
                        spy("render_picture", extract.render_picture,
                            lambda page, picture, *_: (picture.box, picture.pixels)))
    monkeypatch.setattr(ocr, "_read", spy("ocr", ocr._read, lambda image, _: image.size))
    monkeypatch.setattr(pymupdf.Page, "get_image_info",
                        spy("image_info", pymupdf.Page.get_image_info,
                            lambda page, *_, **__: page.number))
    return seen


@pytest.fixture
def auto(settings: Settings) -> Settings:
    return replace(settings, ocr_mode="auto")


@pytest.fixture(autouse=True)
def _fresh_worker() -> Iterator[None]:
    """The worker keeps its last file open; a test that edits a copy must not see another's."""
    yield
    for doc in worker._open.values():
        doc.close()  # type: ignore[attr-defined]
    worker._open.clear()


def _read(path: Path, page_no: int, settings: Settings) -> Any:
    return worker.read_page(path, "pdf", "0" * 16, page_no, settings, settings.ocr_mode, "eng")


# --- which pages are not OCR'd -------------------------------------------------------------


def test_born_digital_page_is_not_rendered_listed_or_ocrd(auto: Settings,
                                                          calls: dict[str, list[Any]]) -> None:
    page = pymupdf.open(HYBRID)[2]
    assert not extract.paints_images(page)
    result = _read(HYBRID, 3, auto)
    assert result.text_source == "text"
    assert result.text == extract.text_layer(page)[0]
    assert all(line in result.text for line in OPINION)
    assert calls == {"render_page": [], "render_clip": [], "render_picture": [], "ocr": [],
                     "image_info": []}


def test_short_born_digital_page_keeps_its_few_words_without_ocr(
        auto: Settings, calls: dict[str, list[Any]]) -> None:
    page = pymupdf.open(HYBRID)[1]
    text, words = extract.text_layer(page)
    assert len("".join(text.split())) < auto.min_text_chars  # OCR'd before issue 11
    assert not extract.needs_ocr(page, text, words, auto.min_text_chars)
    result = _read(HYBRID, 2, auto)
    assert (result.text_source, result.text.split()) == ("text", ["It", "is", "so", "ordered."])
    assert [w[4] for w in result.words] == ["It", "is", "so", "ordered."]
    assert calls["ocr"] == [] and calls["render_page"] == [] and calls["render_picture"] == []


def test_a_few_words_beside_a_seal_are_kept_and_beside_a_scan_are_not(
        auto: Settings) -> None:
    scan = pymupdf.open(RESOURCES / "scan_ntsb_12-rzcommu_1-058.pdf")
    jpeg = scan.extract_image(scan[0].get_images()[0][0])["image"]
    for box, full in (((72, 72, 130, 120), False),  # 0.5 sq. inch: a seal, a logo
                      ((72, 72, 300, 360), True)):  # 12.7 sq. inches: a scan
        doc = pymupdf.open(HYBRID)
        doc.select([1])  # "It is so ordered."
        doc[0].insert_image(pymupdf.Rect(box), stream=jpeg)
        page = doc[0]
        text, words = extract.text_layer(page)
        assert extract.needs_ocr(page, text, words, auto.min_text_chars) is full


def test_page_without_text_is_ocrd_only_when_it_paints_something(tmp_path: Path) -> None:
    doc = pymupdf.open()
    doc.new_page()  # blank: nothing to read
    outlined = doc.new_page()  # letters drawn as outlines (no text layer) show when rendered
    outlined.draw_rect(pymupdf.Rect(72, 72, 200, 90), fill=(0, 0, 0))
    for page in doc:
        text, words = extract.text_layer(page)
        assert text.strip() == ""
    assert not extract.needs_ocr(doc[0], "", [], 40)
    assert extract.needs_ocr(doc[1], "", [], 40)


def test_thin_layer_on_a_full_page_scan_still_goes_to_full_ocr(auto: Settings) -> None:
    page = pymupdf.open(HYBRID)[3]
    text, words = extract.text_layer(page)
    found = extract.pictures(page)
    assert len("".join(text.split())) >= auto.min_text_chars  # not caught as "no text"
    assert [p.box for p in found] == [(0.0, 0.0, 612.0, 792.0)]
    assert extract.needs_ocr(page, text, words, auto.min_text_chars, found)
    assert hybrid.pictures_to_read(found, words, auto.min_text_chars) == []  # not hybrid


def test_hybrid_page_is_kept_as_text_and_its_picture_chosen(auto: Settings) -> None:
    page = pymupdf.open(HYBRID)[0]
    text, words = extract.text_layer(page)
    found = extract.pictures(page)
    assert not extract.needs_ocr(page, text, words, auto.min_text_chars, found)
    chosen = hybrid.pictures_to_read(found, words, auto.min_text_chars)
    assert len(chosen) == 1
    assert chosen[0].box == pytest.approx(EXHIBIT_BOX, abs=0.01)
    assert 72 * chosen[0].pixels_per_point == pytest.approx(305, abs=1)
    assert chosen[0].pixels == (1275, 1650)  # the scan's own pixels, read as they are


# --- reading a hybrid page -----------------------------------------------------------------


@needs_tesseract
@pytest.mark.ocr
def test_hybrid_page_reads_only_its_picture_and_merges_in_reading_order(
        auto: Settings, calls: dict[str, list[Any]]) -> None:
    result = _read(HYBRID, 1, auto)
    layer_text, layer_words = extract.text_layer(pymupdf.open(HYBRID)[0])
    assert result.text_source == "text+ocr" and result.error is None
    assert result.ocr_confidence is not None and result.ocr_confidence > 70
    # Only the picture was rendered for OCR, pixel for pixel of the scan, and read; the whole
    # page only at 72 dpi, to look for redaction boxes, as any page with images is.
    [(box, pixels)] = calls["render_picture"]
    assert box == pytest.approx(EXHIBIT_BOX, abs=0.01) and pixels == (1275, 1650)
    assert calls["ocr"] == [(1275, 1650)]
    assert calls["render_page"] == [redactions.TARGET_DPI]
    assert calls["render_clip"] == [(0.0, 0.0, 612.0, 792.0)]  # render_page's
    # The text layer's words are all there, unchanged, and the picture's phrases after them.
    assert all(line in result.text for line in OPINION)
    for phrase in SCAN_PHRASES:
        assert phrase in result.text, phrase
    assert result.text.index("It is so ordered.") < result.text.index("Wall Street")
    [region] = result.annotations["ocr_regions"]
    c0, c1 = region["chars"]
    w0, w1 = region["words"]
    assert region["box"] == pytest.approx(EXHIBIT_BOX, abs=0.01)
    assert result.text[:c0] + result.text[c1:] == layer_text
    assert result.words[:w0] + result.words[w1:] == layer_words
    assert "Wall Street journal article" in result.text[c0:c1]
    ocr_words = result.words[w0:w1]
    assert ocr_words and all(extract.inside(w, EXHIBIT_BOX) for w in ocr_words)
    # Highlight boxes land where the word is: as on the scan, scaled into the picture.
    wall = next(w for w in ocr_words if w[4] == "Wall")
    assert wall[:4] == pytest.approx(_on_page(SCAN_WALL), abs=1.5)


@needs_tesseract
@pytest.mark.ocr
def test_rotated_hybrid_page_has_its_boxes_on_the_displayed_page(auto: Settings,
                                                                 tmp_path: Path) -> None:
    doc = pymupdf.open(HYBRID)
    doc.select([0])
    doc[0].set_rotation(90)  # shown landscape: the pasted scan reads sideways
    turned = tmp_path / "turned.pdf"
    doc.save(turned)
    result = _read(turned, 1, auto)
    assert result.text_source == "text+ocr" and (result.width, result.height) == (792, 612)
    [region] = result.annotations["ocr_regions"]
    x0, y0, x1, y1 = EXHIBIT_BOX  # turned 90 degrees clockwise onto the displayed page
    assert region["box"] == pytest.approx((792 - y1, x0, 792 - y0, x1), abs=0.01)
    assert "Wall Street journal article" in result.text
    wall = next(w for w in result.words[slice(*region["words"])] if w[4] == "Wall")
    a, b, c, d = _on_page(SCAN_WALL)
    assert wall[:4] == pytest.approx((792 - d, a, 792 - b, c), abs=1.5)


@needs_tesseract
@pytest.mark.ocr
@needs_corpus
@pytest.mark.parametrize(("name", "number"), [
    ("foia_pdfs/chicago_pd_foia/CPD_FOIA14-5298ResponseLetter.pdf", 4),  # read as "Z VW"
    ("foia_pdfs/chicago_pd_foia/freddy_lawsuit_CPD3.pdf", 4),
])
def test_a_signature_leaves_its_page_as_it_was(auto: Settings, name: str, number: int) -> None:
    path = CORPUS / name  # a Chicago PD letter, a FOIA complaint: each signed with an image
    page = pymupdf.open(path)[number - 1]
    text, words = extract.text_layer(page)
    assert hybrid.pictures_to_read(extract.pictures(page), words, auto.min_text_chars)
    result = _read(path, number, auto)
    assert (result.text_source, result.text, result.words) == ("text", text, words)
    assert "ocr_regions" not in result.annotations


@needs_corpus
@pytest.mark.parametrize(("name", "number", "full", "pictures"), [
    ("foia_pdfs/gov_born_digital/ca8_.pdf", 0, False, 0),  # a scan under a good OCR layer
    ("odd_pdfs/scans_bitonal/pymupdf__test_4790.pdf", 0, True, 0),  # under a thin one
    ("odd_pdfs/redaction/x-ray__no_bad_redactions.5.5.pdf", 18, False, 0),  # live text on it
    ("foia_pdfs/gov_born_digital/missouri.pdf", 4, False, 0),  # a signature, typed name on it
    ("foia_pdfs/gov_born_digital/missouri.pdf", 0, False, 0),  # two seals under 1 sq. inch
    ("odd_pdfs/text_encoding/ocrmypdf__truetype_font_nomapping.pdf", 0, True, 0),  # '"7+%-'
    ("odd_pdfs/text_encoding/paperless__rtl-test.pdf", 0, False, 0),  # short Arabic: kept
])
def test_real_pages_go_to_ocr_only_when_their_text_layer_falls_short(
        name: str, number: int, full: bool, pictures: int) -> None:
    page = pymupdf.open(CORPUS / name)[number]
    text, words = extract.text_layer(page)
    found = extract.pictures(page)
    assert extract.needs_ocr(page, text, words, 40, found) is full
    assert len(hybrid.pictures_to_read(found, words, 40)) == pictures


# --- parts: merging pictures, a picture's words, the viewer's text -------------------------


def test_a_coarse_picture_is_upsampled_and_a_fine_one_read_pixel_for_pixel(
        auto: Settings, tmp_path: Path) -> None:
    scan = pymupdf.open(RESOURCES / "scan_ntsb_12-rzcommu_1-058.pdf")
    small = pymupdf.Pixmap(scan.extract_image(scan[0].get_images()[0][0])["image"])
    small.shrink(2)  # 319 x 413 pixels: about 76 per inch where it is pasted
    doc = pymupdf.open(HYBRID)
    doc.select([2])
    doc[0].insert_image(pymupdf.Rect(EXHIBIT_BOX), pixmap=small)
    page = doc[0]
    [coarse] = extract.pictures(page)
    assert coarse.pixels == (319, 413) and hybrid.picture_dpi(coarse, auto) == auto.ocr_dpi
    image, across, down = extract.render_picture(page, coarse, auto.ocr_dpi, 10**8)
    assert (across, down) == (72 / auto.ocr_dpi, 72 / auto.ocr_dpi)
    assert image.width == pytest.approx(301 * auto.ocr_dpi / 72, abs=2)
    fine = extract.pictures(pymupdf.open(HYBRID)[0])[0]
    image, across, down = extract.render_picture(pymupdf.open(HYBRID)[0], fine,
                                                 hybrid.picture_dpi(fine, auto), 10**8)
    assert image.size == (1275, 1650)
    assert (across * 1275, down * 1650) == pytest.approx((301, 389.53), abs=0.01)


def test_touching_image_strips_are_one_picture_and_apart_ones_two() -> None:
    strips = [Picture((72, 100 + 50 * n, 540, 150 + 50 * n), 2.0 + n) for n in range(4)]
    apart = Picture((72, 600, 200, 700), 4.0)
    merged = extract.merge_pictures([*strips, apart])
    assert merged == [Picture((72, 100, 540, 300), 5.0), apart]


def test_picture_words_skip_the_text_layers_and_specks() -> None:
    # beside the real readings above: a caption the text layer prints over the picture
    read = OcrResult(text="", confidence=90.0, lines=[0, 0, 1, 1],
                     words=[[0, 0, 40, 10, "Exhibit"], [50, 0, 60, 10, "|"],
                            [0, 20, 40, 30, "Memo"], [50, 20, 90, 30, "dated"]])
    layer = [[100, 100, 120, 105, "Exhibit"]]  # at (100, 100) in points
    block = hybrid.picture_block(read, Picture((100, 100, 300, 300), 4.0), (0.5, 0.5), layer)
    assert block is not None
    assert block.text == "Memo dated"
    assert block.words == [[100, 110, 120, 115, "Memo"], [125, 110, 145, 115, "dated"]]
    for junk in (replace(read, confidence=31.0),  # a photograph
                 replace(read, confidence=61.0, words=read.words[2:], lines=[0, 0])):
        assert hybrid.picture_block(junk, Picture((100, 100, 300, 300), 4.0), (0.5, 0.5),
                                    []) is None  # a signature read as two words


def test_viewer_text_marks_the_ocr_part_and_escapes_it() -> None:
    text = "Header line\n<b>Memo</b> sally port\nFooter\n"
    notes = {"ocr_regions": [{"box": [1, 2, 3, 4], "chars": [12, 35], "words": [2, 5],
                              "confidence": 80.0}]}
    parts = text_parts(text, notes, [["salli", "port"]])
    assert [p.ocr for p in parts] == [False, True, False]
    assert str(parts[1].html) == "&lt;b&gt;Memo&lt;/b&gt; <mark>sally port</mark>\n"
    assert "".join(str(p.html) for p in parts).count("<mark>") == 1
    assert text_parts(text, {}, []) == []
    assert text_parts(text, {"ocr_regions": [{"box": [], "chars": [0, 999]}]}, []) == []


# --- through `archive add`, search, the reading room, the API and `archive show` ----------


@pytest.fixture(scope="module")
def hybrid_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Any]:
    """An archive of the four pages, read with real tesseract."""
    if not has_tesseract:
        pytest.skip("tesseract is not installed (apt-get install tesseract-ocr)")
    root = tmp_path_factory.mktemp("hybrid")
    settings = load_settings(root / "home", jobs=1, ocr_mode="auto", ocr_lang="eng")
    report = add_production([HYBRID], settings, production="Hybrid pages")
    assert not report.failed, report.failed
    return settings, report


def _hits(settings: Settings, q: str) -> list[int]:
    with open_searcher(settings) as searcher:
        return sorted(h.page for h in search(searcher, q, settings, pagelen=100).hits)


@pytest.mark.ocr
def test_hybrid_pages_are_found_counted_and_stored(hybrid_home: tuple[Settings, Any]) -> None:
    settings, report = hybrid_home
    assert report.pages == 4 and report.ocr_pages == 2  # the hybrid page and the scan
    with Catalog(settings.catalog_path) as catalog:
        doc_id = catalog.documents()[0]["doc_id"]
        sources = [p["text_source"] for p in catalog.pages(doc_id)]
    assert sources == ["text+ocr", "text", "text", "ocr"]
    for phrase in SCAN_PHRASES:
        assert _hits(settings, f'"{phrase}"') == [1, 4], phrase
    assert _hits(settings, '"It is so ordered"') == [1, 2, 3]


@pytest.mark.ocr
def test_viewer_says_which_words_came_from_ocr(hybrid_home: tuple[Settings, Any]) -> None:
    from web import create_app

    settings, _ = hybrid_home
    client = create_app({"ARCHIVE_HOME": str(settings.home), "TESTING": True}).test_client()
    with Catalog(settings.catalog_path) as catalog:
        doc_id = catalog.documents()[0]["doc_id"]
    page = client.get(f"/doc/{doc_id}/page/1?q=%22Wall+Street%22")
    assert page.status_code == 200
    soup = BeautifulSoup(page.data, "html.parser")
    assert soup.select_one(".page-text-box .badge.text-ocr").get_text() == "text layer + OCR"
    assert "1 picture on the page read by OCR" in soup.select_one(".page-text-box .source").text
    [outline] = soup.select("svg#ocr-regions rect.ocr-region")
    assert float(outline["x"]) == pytest.approx(155.0) and float(outline["y"]) == \
        pytest.approx(372.2, abs=0.1)
    [from_ocr] = soup.select("pre.page-text span.from-ocr")
    assert "Wall Street journal article" in from_ocr.get_text()
    assert from_ocr.select_one("mark").get_text() == "Wall Street"
    assert "It is so ordered." not in from_ocr.get_text()
    assert "It is so ordered." in soup.select_one("pre.page-text").get_text()
    raw = page.data.decode()
    assert "</O=" not in raw  # the scan's "</O=EXCHANGELABS" stays text
    assert soup.select("svg.overlay rect.match")  # the phrase boxed on the picture
    other = BeautifulSoup(client.get(f"/doc/{doc_id}/page/3").data, "html.parser")
    assert not other.select("span.from-ocr") and not other.select("rect.ocr-region")
    assert other.select_one(".page-text-box .badge.text")

    results = BeautifulSoup(client.get("/search?q=%22Safety+Board%22").data, "html.parser")
    badges = sorted(b.get_text() for b in results.select(".hit .hit-meta .badge"))
    assert badges == ["OCR", "text layer + OCR"]

    spec = client.get("/openapi.json").get_json()
    path = "/api/doc/{doc_id}/page/{page}"
    data = check(spec, path, client.get(f"/api/doc/{doc_id}/page/1"))
    assert data["text_source"] == "text+ocr"
    [region] = data["ocr_regions"]
    assert "Safety Board" in data["text"][slice(*region["chars"])]
    assert check(spec, path, client.get(f"/api/doc/{doc_id}/page/2"))["ocr_regions"] == []
    found = check(spec, "/api/search", client.get("/api/search?q=%22Safety+Board%22"))
    assert sorted((h["page"], h["text_source"]) for h in found["hits"]) == [
        (1, "text+ocr"), (4, "ocr")]


@pytest.mark.ocr
def test_show_names_the_pictures_read_by_ocr(hybrid_home: tuple[Settings, Any]) -> None:
    settings, _ = hybrid_home
    with Catalog(settings.catalog_path) as catalog:
        doc_id = catalog.documents()[0]["doc_id"]
    out = CliRunner().invoke(cli, ["--home", str(settings.home), "show", doc_id, "1"])
    assert out.exit_code == 0, out.output
    assert "text from: text+ocr" in out.output
    assert "read by OCR: the picture at (155, 372)-(456, 762) pt" in out.output
