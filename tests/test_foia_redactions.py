"""Redaction boxes on page images: black boxes and labelled white ones, synthetic pages, real NTSB
scans (and one derived with white boxes), Chicago scans, and their exemption labels."""

from __future__ import annotations

import time
from pathlib import Path

import pymupdf
import pytest
from conftest import CORPUS, RESOURCES, _font, needs_corpus, needs_tesseract, text_image
from PIL import Image, ImageDraw

from archive.config import Settings
from archive.foia import box_labels, frames, redactions
from archive.read import extract, ocr


def _render(path: Path, page_no: int, dpi: int, settings: Settings) -> Image.Image:
    doc = extract.open_document(path, "pdf", settings)
    try:
        image, _ = extract.render_page(doc[page_no - 1], dpi, settings.max_image_pixels)
        return image
    finally:
        doc.close()


def test_boxes_are_found_and_text_is_not() -> None:
    image = text_image(["From: Jane Doe", "Subject: Sally port", "Dear colleague,",
                        "The detainee was released at the front door."] * 4)  # 150 dpi
    draw = ImageDraw.Draw(image)
    draw.rectangle((600, 125, 1000, 155), fill=0)  # a one-line box beside text
    draw.rectangle((110, 1100, 1150, 1300), fill=0)  # a paragraph
    draw.text((115, 1105), "(b)(5)", fill=255)  # the white label inside it
    found = redactions.detect(image, 150)
    assert found["count"] == 2
    big = found["boxes"][1]  # points: 150 dpi pixels * 72 / 150
    assert big == pytest.approx([52.8, 528.0, 552.5, 624.5], abs=3)
    assert 0.08 < found["area"] < 0.12
    assert not found["full"]


def test_a_page_withheld_in_full() -> None:
    image = Image.new("L", (612, 792), 255)
    ImageDraw.Draw(image).rectangle((50, 60, 560, 740), fill=0)
    found = redactions.detect(image, 72)
    assert found["count"] == 1 and found["full"]


def test_scanner_edges_and_blank_pages_are_not_boxes() -> None:
    image = Image.new("L", (1275, 1650), 255)
    ImageDraw.Draw(image).rectangle((0, 0, 30, 1649), fill=0)  # dark strip along the edge
    assert redactions.detect(image, 150)["count"] == 0
    assert redactions.detect(Image.new("L", (10, 10), 255), 72)["count"] == 0


def test_real_ntsb_scan(settings: Settings) -> None:
    # hand count: 6 boxes (To, Cc, a (b)(5) line, two signature lines, a large (b)(5);(b)(6))
    image = _render(RESOURCES / "scan_ntsb_12-rzcommu_1-058.pdf", 1, 300, settings)
    started = time.perf_counter()
    found = redactions.detect(image, 300)
    elapsed = time.perf_counter() - started
    assert 5 <= found["count"] <= 6
    assert 0.2 < found["area"] < 0.35  # the large block covers about a quarter of the page
    assert elapsed < 0.25  # budget 0.1 s/page; slack for a loaded 2-core machine


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize(("name", "page_no", "expected"), [
    ("CPD_FOIA15-6955REDACTED.PDF", 2, 0),  # a dense letter: no box
    ("CPD_FOIA15-6955REDACTED.PDF", 5, 3),  # three signature boxes
    ("PenLink_QUO-04689-V8Y5D0Redacted.pdf", 3, 0),  # grey table shading is not a box
])
def test_chicago_scans(settings: Settings, name: str, page_no: int, expected: int) -> None:
    path = CORPUS / "foia_pdfs" / "chicago_pd_foia" / name
    image = _render(path, page_no, 300, settings)
    assert redactions.detect(image, 300)["count"] == expected


def test_worker_records_redactions_for_text_pages(tmp_path: Path, settings: Settings) -> None:
    from archive.read import worker

    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_textbox(pymupdf.Rect(72, 72, 540, 300), "The named officer " * 30, fontsize=11)
    page.draw_rect(pymupdf.Rect(100, 400, 400, 430), color=(0, 0, 0), fill=(0, 0, 0))
    path = tmp_path / "drawn.pdf"
    doc.save(path)
    result = worker.read_page(path, "pdf", "x", 1, settings, "never", "")
    assert result.text_source == "text"
    assert result.annotations["redactions"]["count"] == 1
    assert result.annotations["redactions"]["boxes"][0] == pytest.approx([100, 400, 400, 430],
                                                                          abs=2)


def _outlined_page() -> Image.Image:
    """A 150-dpi page: two labelled white boxes among the text, and the look-alikes that
    are not redactions: a table with a label in a cell, an empty box, a check box, and a
    framed paragraph.
    """
    image = text_image(["From: Jane Doe", "Subject: Sally port", "Dear colleague,",
                        "The detainee was released at the front door."] * 3)
    draw = ImageDraw.Draw(image)
    font = _font(30)
    draw.rectangle((600, 120, 900, 162), outline=0, width=2)  # over a word, in a line
    draw.text((615, 125), "(b)(6)", fill=0, font=font)
    draw.rectangle((110, 1000, 1150, 1150), outline=0, width=3)  # over a paragraph
    draw.text((125, 1010), "(b)(5)", fill=0, font=font)
    for y in range(1200, 1410, 50):  # a table, "(b)(6)" in a cell
        draw.line((110, y, 1150, y), fill=0, width=2)
    for x in (110, 400, 800, 1150):
        draw.line((x, 1200, x, 1400), fill=0, width=2)
    draw.text((120, 1210), "(b)(6)", fill=0, font=font)
    draw.rectangle((900, 880, 1100, 930), outline=0, width=2)  # an empty form field
    draw.rectangle((1000, 300, 1020, 320), outline=0, width=2)  # a check box
    draw.rectangle((100, 1440, 1160, 1620), outline=0, width=2)  # a framed paragraph
    for i, line in enumerate(["[CAUTION] This email originated outside the agency.",
                              "Do not click links or open attachments unless you",
                              "recognize the sender and know the content is safe."]):
        draw.text((120, 1450 + 50 * i), line, fill=0, font=font)
    return image


def test_outlined_boxes_must_stand_alone_and_hold_a_label_at_most() -> None:
    found = frames.find(_outlined_page(), 150)
    assert found == [pytest.approx([288.0, 57.6, 432.5, 78.2], abs=1.5),
                     pytest.approx([52.8, 480.0, 552.5, 552.5], abs=1.5)]


def test_an_outlined_box_is_a_redaction_only_when_labelled() -> None:
    image = _outlined_page()
    calls = []

    def scripted(image: Image.Image, dpi: float, boxes: list, inverted: list) -> list:
        calls.append([bool(dark) for dark in inverted])
        return [["(b)(5)"] if box[1] > 400 and not dark else [] for box, dark
                in zip(boxes, inverted, strict=True)]

    found = redactions.detect(image, 150, scripted)
    assert calls == [[False, False]]  # both frames go to the reader, no black box
    assert found["count"] == 1 and found["fills"] == ["white"]
    assert found["labels"] == [["(b)(5)"]]
    assert found["boxes"][0] == pytest.approx([52.8, 480.0, 552.5, 552.5], abs=1.5)
    assert 0.07 < found["area"] < 0.09
    assert redactions.detect(image, 150)["count"] == 0  # without a reader: black boxes only


@pytest.mark.ocr
@needs_tesseract
def test_white_boxes_on_a_real_scan(settings: Settings) -> None:
    # scan_ntsb_12-rzcommu_1-058 with its six black boxes turned white with a border
    path = RESOURCES / "DERIVED_whiteboxes_ntsb_12-rzcommu_1-058.pdf"
    reader = box_labels.from_ocr(ocr.OcrOptions(lang=ocr.usable_lang("eng")))
    for dpi in (150, 300):
        found = redactions.detect(_render(path, 1, dpi, settings), dpi, reader)
        assert found["fills"] == ["white"] * 6  # not the broken-image icon's frame
        assert found["labels"] == [["(b)(6)"], ["(b)(6)"], ["(b)(5)"], ["(b)(6)"], ["(b)(6)"],
                                   ["(b)(5)", "(b)(6)"]]
        assert 0.25 < found["area"] < 0.32


@pytest.mark.ocr
@needs_tesseract
def test_labels_inside_black_boxes_are_read(settings: Settings) -> None:
    reader = box_labels.from_ocr(ocr.OcrOptions(lang=ocr.usable_lang("eng")))
    image = _render(RESOURCES / "scan_ntsb_12-rzcommu_1-058.pdf", 1, 150, settings)
    started = time.perf_counter()
    found = redactions.detect(image, 150, reader)
    elapsed = time.perf_counter() - started
    assert found["fills"] == ["black"] * 5
    assert found["labels"][-1] == ["(b)(5)", "(b)(6)"]  # the large block's two labels
    assert sorted({label for labels in found["labels"] for label in labels}) == [
        "(b)(5)", "(b)(6)"]
    assert elapsed < 2.0  # one tesseract call for all the boxes (~0.2 s)


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize(("folder", "name", "page_no"), [
    ("foia_pdfs/chicago_pd_foia", "CCSO_FOIA1505_Money_Laundering_Redacted.pdf", 1),  # table
    ("foia_pdfs/chicago_pd_foia", "CPD_15-4684correction.pdf", 1),  # stamps, handwriting
    ("foia_pdfs/chicago_pd_foia", "CPD_FOIA15-6955REDACTED.PDF", 18),
    ("foia_pdfs/chicago_pd_foia", "CPD_FOIA15-7385.PDF", 26),
    ("odd_pdfs/redaction", "x-ray__no_bad_redactions.5.5.pdf", 4),  # framed grey panel
    ("odd_pdfs/redaction", "x-ray__no_bad_redactions.5.5.pdf", 5),  # framed contents
])
def test_tables_forms_and_panels_are_not_white_boxes(settings: Settings, folder: str,
                                                    name: str, page_no: int) -> None:
    path = CORPUS / folder / name
    doc = extract.open_document(path, "pdf", settings)
    try:
        page = doc[page_no - 1]
        text, words = extract.text_layer(page)
        dpi = redactions.TARGET_DPI
        if extract.needs_ocr(page, text, words, settings.min_text_chars):
            dpi = extract.ocr_resolution(page, "pdf", settings.ocr_dpi,
                                         settings.ocr_upsample_below)[0]
        image, used = extract.render_page(page, dpi, settings.max_image_pixels)
    finally:
        doc.close()
    assert frames.find(image, used) == []


def test_worker_reads_white_box_labels_from_the_text_layer(tmp_path: Path,
                                                           settings: Settings) -> None:
    from archive.read import worker

    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_textbox(pymupdf.Rect(72, 72, 540, 200), "The named officer " * 20, fontsize=11)
    page.draw_rect(pymupdf.Rect(100, 220, 400, 245), color=(0, 0, 0), fill=(0, 0, 0))
    page.draw_rect(pymupdf.Rect(100, 300, 300, 322), color=(0, 0, 0), width=1)
    page.insert_text((106, 315), "(b)(6)", fontsize=10)
    for y in (400, 425, 450):  # a table with a label in a cell
        page.draw_line((72, y), (540, y), width=1)
    for x in (72, 300, 540):
        page.draw_line((x, 400), (x, 450), width=1)
    page.insert_text((80, 417), "(b)(6)", fontsize=10)
    path = tmp_path / "drawn.pdf"
    doc.save(path)
    result = worker.read_page(path, "pdf", "x", 1, settings, "never", "")
    found = result.annotations["redactions"]
    assert found["count"] == 2 and found["fills"] == ["black", "white"]
    assert found["labels"] == [[], ["(b)(6)"]]
    assert found["boxes"][1] == pytest.approx([100, 300, 300, 322], abs=2)
