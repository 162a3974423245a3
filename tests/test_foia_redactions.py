"""Redaction boxes on page images: synthetic pages, a real NTSB scan, Chicago scans."""

from __future__ import annotations

import time
from pathlib import Path

import pymupdf
import pytest
from PIL import Image, ImageDraw

from archive import extract
from archive.config import Settings
from archive.foia import redactions
from tests.conftest import CORPUS, RESOURCES, needs_corpus, text_image


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
    from archive import worker

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
