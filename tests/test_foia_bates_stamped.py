"""Bates numbers stamped on real released scans, read back through OCR as `archive add` does.

Released scans from the NTSB release in scans/ (public domain) are stamped the way a
producing party's software stamps a production: burned into the page image, or written on
the PDF page as text (Acrobat's Bates numbering), in a margin, sometimes with a
confidentiality legend, sometimes printed and rescanned. bench/bates_stamps.py measures the
same on ~40 pages; these four pages run in every test run (real tesseract, ~6 s).
"""

from __future__ import annotations

import io
from pathlib import Path

import pymupdf
import pytest
from conftest import REPO, needs_tesseract
from PIL import Image, ImageDraw, ImageFont

from archive.config import Settings
from archive.foia import bates
from archive.read import ocr, worker

NTSB = REPO / "scans" / "ntsb-mu5735"
FONTS = Path("/usr/share/fonts/truetype/liberation")
needs_fonts = pytest.mark.skipif(not (FONTS / "LiberationSans-Bold.ttf").exists(),
                                 reason="fonts-liberation is not installed")


def _page_image(path: Path, page_no: int) -> tuple[Image.Image, float]:
    """A released page as a grayscale image at its scan resolution (150 dpi for NTSB)."""
    if path.suffix == ".png":  # the NTSB response letter, scanned at 150 dpi
        return Image.open(path).convert("L"), 150.0
    with pymupdf.open(path) as doc:
        pix = doc[page_no - 1].get_pixmap(matrix=pymupdf.Matrix(150 / 72, 150 / 72),
                                          colorspace=pymupdf.csGRAY, alpha=False)
    return Image.frombytes("L", (pix.width, pix.height), pix.samples), 150.0


def _burn(image: Image.Image, dpi: float, text: str, font: str, points: float,
          corner: str) -> None:
    """Stamp text half an inch in from a corner ("br", "bc", "tr"), as stamping software does."""
    face = ImageFont.truetype(str(FONTS / font), round(points * dpi / 72))
    width = face.getlength(text)
    inset = dpi / 2
    x = {"br": image.width - inset - width, "tr": image.width - inset - width,
         "bc": (image.width - width) / 2}[corner]
    y = inset if corner == "tr" else image.height - inset
    draw = ImageDraw.Draw(image)
    draw.text((x, y), text, fill=0, font=face, anchor="ls")


def _pdf(image: Image.Image, dpi: float, out: Path, stamp: tuple[str, str, float] | None = None
         ) -> Path:
    """An image-only PDF page; `stamp` (text, base-14 font, points) is written on it as text
    at the bottom centre, as Acrobat's Bates numbering does."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    doc = pymupdf.open()
    page = doc.new_page(width=image.width * 72 / dpi, height=image.height * 72 / dpi)
    page.insert_image(page.rect, stream=buffer.getvalue())
    if stamp:
        text, font, points = stamp
        width = pymupdf.get_text_length(text, fontname=font, fontsize=points)
        page.insert_text(((page.rect.width - width) / 2, page.rect.height - 30), text,
                         fontname=font, fontsize=points)
    doc.save(out)
    doc.close()
    return out


def _rescanned_tiff(image: Image.Image, dpi: float, out: Path) -> Path:
    """The page printed and scanned again: a little turned, 200 dpi, bilevel, G4 TIFF."""
    image = image.rotate(0.6, resample=Image.Resampling.BICUBIC, fillcolor=255)
    image = image.resize((round(image.width * 200 / dpi), round(image.height * 200 / dpi)),
                         Image.Resampling.LANCZOS)
    image.point(lambda v: 255 if v > 160 else 0).convert("1").save(
        out, compression="group4", dpi=(200, 200))
    return out


def _read(path: Path, settings: Settings) -> bates.Bates | None:
    kind = "image" if path.suffix == ".tif" else "pdf"
    page = worker.read_page(path, kind, "x", 1, settings, "auto", ocr.usable_lang("eng"))
    assert page.text_source == "ocr"
    return bates.find(page.words, page.width, page.height)


@needs_tesseract
@needs_fonts
@pytest.mark.ocr
def test_a_stamp_at_the_top_of_an_email_page(tmp_path: Path, settings: Settings) -> None:
    # the bottom third of this page is a redaction box, so the stamp goes at the top
    image, dpi = _page_image(NTSB / "12-rzcommu_1-058.pdf", 1)
    _burn(image, dpi, "2019-ICLI-00003 022454", "LiberationSans-Bold.ttf", 10, "tr")
    found = _read(_pdf(image, dpi, tmp_path / "stamped.pdf"), settings)
    assert found is not None and found.key == "2019ICLI00003022454"


@needs_tesseract
@needs_fonts
@pytest.mark.ocr
def test_an_acrobat_stamp_with_a_legend_beside_it(tmp_path: Path, settings: Settings) -> None:
    image, dpi = _page_image(NTSB / "13-rzcommu_1-007.pdf", 1)
    stamp = ("CONFIDENTIAL - SUBJECT TO PROTECTIVE ORDER   ICE 2019-ICLI-00003-022455",
             "hebo", 9)
    found = _read(_pdf(image, dpi, tmp_path / "stamped.pdf", stamp), settings)
    assert found is not None and found.printed == "ICE 2019-ICLI-00003-022455"
    assert found.keys[:2] == ["ICE2019ICLI00003022455", "2019ICLI00003022455"]


@needs_tesseract
@needs_fonts
@pytest.mark.ocr
def test_a_printed_and_rescanned_stamp_with_a_look_alike_prefix(tmp_path: Path,
                                                               settings: Settings) -> None:
    # OCR reads this stamp as "DO10012420": the prefix's I as a 1, before a zero-padded counter
    image, dpi = _page_image(NTSB / "06-rzcommu_1-004.pdf", 2)
    _burn(image, dpi, "DOI0012420", "LiberationSans-Bold.ttf", 11, "br")
    found = _read(_rescanned_tiff(image, dpi, tmp_path / "DOI0012420.tif"), settings)
    assert found is not None and found.key == "DOI0012420" and found.prefix == "DOI"


@needs_tesseract
@pytest.mark.ocr
def test_the_same_released_page_unstamped_has_no_bates(tmp_path: Path,
                                                       settings: Settings) -> None:
    # a response letter: dates, a request number, phone numbers and a page footer
    image, dpi = _page_image(NTSB / "response_letter" / "res_letter_2.png", 1)
    assert _read(_pdf(image, dpi, tmp_path / "letter.pdf"), settings) is None
