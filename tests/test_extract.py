"""PyMuPDF extraction: text layers, the OCR decision, damaged and encrypted files."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from archive.config import Settings, load_settings
from archive.errors import DamagedDocumentError, EncryptedDocumentError
from archive.read import extract, worker


def _page(path: Path, n: int = 0) -> tuple[pymupdf.Document, pymupdf.Page]:
    doc = pymupdf.open(path)
    return doc, doc[n]


def test_text_page_does_not_need_ocr_but_scan_does(make_pdf, settings: Settings) -> None:
    body = "The detainer was declined and the subject released at the sally port. " * 5
    pdf = make_pdf("mixed.pdf", f"t:{body}", "s:Bravo scanned page")
    doc = pymupdf.open(pdf)
    text, words = extract.text_layer(doc[0])
    assert "sally port" in text
    assert not extract.needs_ocr(doc[0], text, words, settings.min_text_chars)
    text2, words2 = extract.text_layer(doc[1])
    assert text2.strip() == ""
    assert extract.needs_ocr(doc[1], text2, words2, settings.min_text_chars)


def test_thin_text_layer_on_full_page_scan_needs_ocr(make_pdf, settings: Settings) -> None:
    pdf = make_pdf("thin.pdf", "s:A full page scan\nwith lots of words on it")
    doc = pymupdf.open(pdf)
    page = doc[0]
    # an agency's bad OCR layer: 74 characters on a full-page image
    page.insert_text((72, 72), "x" * 30 + " Page 1 of 3 " + "y" * 31, fontsize=6)
    text, words = extract.text_layer(page)
    assert len("".join(text.split())) >= 60
    assert extract.needs_ocr(page, text, words, settings.min_text_chars)


def test_words_are_in_displayed_page_coordinates(tmp_path: Path) -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_text((100, 100), "Rotated", fontsize=20)
    page.set_rotation(90)
    path = tmp_path / "rot.pdf"
    doc.save(path)
    page = pymupdf.open(path)[0]
    _, words = extract.text_layer(page)
    x0, y0, x1, y1, word = words[0]
    assert word == "Rotated"
    assert page.rect.width == 792  # displayed landscape
    assert 0 <= x0 < x1 <= page.rect.width and 0 <= y0 < y1 <= page.rect.height
    assert (y1 - y0) > (x1 - x0)  # turned text runs down the displayed page


def test_encrypted_pdf_is_refused_with_qpdf_hint(resources: Path, settings: Settings) -> None:
    with pytest.raises(EncryptedDocumentError, match="qpdf"):
        extract.probe(resources / "encrypted_pdfplumber_password-example.pdf", "pdf", settings)


def test_truncated_pdf_is_reported_damaged(resources: Path, settings: Settings) -> None:
    with pytest.raises(DamagedDocumentError, match="truncated|damaged"):
        extract.probe(resources / "DERIVED_truncated60_ntsb_12-rzcommu_1-058.pdf", "pdf",
                      settings)


def test_whole_scan_probes_fine(resources: Path, settings: Settings) -> None:
    probe = extract.probe(resources / "scan_ntsb_12-rzcommu_1-058.pdf", "pdf", settings)
    assert probe.page_count == 1
    assert probe.warnings == []


def test_render_page_respects_pixel_limit(make_pdf) -> None:
    doc = pymupdf.open(make_pdf("one.pdf", "t:Echo"))
    image, dpi = extract.render_page(doc[0], 300, max_pixels=1_000_000)
    assert image.width * image.height <= 1_000_000
    assert dpi < 300


def test_only_pages_that_paint_something_are_searched_for_redaction_boxes(
        tmp_path: Path) -> None:
    doc = pymupdf.open()
    for n in range(4):  # plain text; a black box; block characters; a redaction annotation
        page = doc.new_page()
        page.insert_text((72, 72), "The informant met the agent at the sally port.")
        if n == 1:
            page.draw_rect(pymupdf.Rect(72, 90, 200, 104), color=(0, 0, 0), fill=(0, 0, 0))
        elif n == 2:
            page.insert_font(fontname="dejavu",
                             fontfile="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
            page.insert_text((72, 120), "Name: " + "\u2588" * 12, fontname="dejavu")
        elif n == 3:
            page.add_redact_annot(pymupdf.Rect(72, 60, 200, 76))
    path = tmp_path / "pages.pdf"
    doc.save(path)
    with pymupdf.open(path) as saved:
        found = [extract.may_show_boxes(p, p.get_text()) for p in saved]
    assert found == [False, True, True, True]
    settings = load_settings(tmp_path / "home")
    # text-layer reading ("never" OCRs nothing): the path on which may_show_boxes decides
    read = [worker.read_page(path, "pdf", "x", n, settings, "never", "") for n in (1, 2, 3)]
    assert [r.annotations["redactions"]["count"] for r in read] == [0, 1, 1]
    image = tmp_path / "scan.png"
    pymupdf.open(path)[1].get_pixmap(dpi=72).save(image)
    with extract.open_document(image, "image", settings) as scan:  # an image is all picture
        assert extract.may_show_boxes(scan[0], "")
    scanned = worker.read_page(image, "image", "y", 1, settings, "never", "")
    assert scanned.annotations["redactions"]["count"] == 1
