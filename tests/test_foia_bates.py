"""Bates numbers: parsing, normalised keys, and finding the stamp in a page's margins."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest
from conftest import needs_tesseract, text_image
from PIL import ImageDraw

from archive.config import Settings
from archive.foia import annotate, bates
from archive.read import ocr, worker


@pytest.mark.parametrize(("printed", "prefix", "counter"), [
    ("DHS-000123", "DHS", "000123"),
    ("2019-ICLI-00003 022454", "2019-ICLI-00003", "022454"),
    ("2019-ICLI-00003 -022454", "2019-ICLI-00003", "022454"),  # OCR spacing
    ("ABC0000123", "ABC", "0000123"),
    ("CPD 000123", "CPD", "000123"),
    ("RECON-000001", "RECON", "000001"),
    ("ICE 2019-ICLI-00003-022455", "ICE 2019-ICLI-00003", "022455"),  # agency before the year
    ("DOI0001234", "DOI", "0001234"),  # a prefix of digit look-alikes, not "0010001234"
    ("O1G032604", "OIG", "032604"),  # OCR's 1 for I
    ("DO10012420", "DOI", "0012420"),  # OCR's 1 for the prefix's last I
])
def test_parse(printed: str, prefix: str, counter: str) -> None:
    found = bates.parse(printed)
    assert found is not None
    assert (found.printed, found.prefix, found.counter) == (printed, prefix, counter)


@pytest.mark.parametrize("text", ["Page 000123", "FOIA 2019", "NJ 07452", "Chicago, IL 60653",
                                  "Document: 00117684624", "FORM 1234", "sally port",
                                  "Page 3 of 10", "15-002740", "Case 15-002740",
                                  "(202) 314-6290", "CHECK 0012345", "Check No. 0012345",
                                  "JOB 0014", "Inv X00222011", "PLUS 02-02157875",
                                  "ONLY 2019-0001234", "OO12345", "IW0i06"])
def test_not_bates(text: str) -> None:
    assert bates.parse(text) is None


def test_keys_are_punctuation_free_and_include_suffixes() -> None:
    found = bates.parse("2019-ICLI-00003 -022454")
    assert found is not None
    assert found.key == "2019ICLI00003022454"
    assert found.keys == ["2019ICLI00003022454", "ICLI00003022454", "00003022454", "022454"]
    assert bates.normalize("icli-00003-022455") == "ICLI00003022455"
    # fixed-width counters: keys sort like the numbers, so ranges are lexicographic
    parsed = [bates.parse(f"2019-ICLI-00003 {n:06d}") for n in (22449, 22450, 22455, 22461)]
    keys = [b.key for b in parsed if b is not None]
    assert len(keys) == 4 and keys == sorted(keys)


def test_look_alikes_are_read_as_the_run_needs_them() -> None:
    assert bates.normalize("2019-ICL1-00003-O13132") == "2019ICLI00003013132"
    assert bates.normalize("O1G032604") == bates.normalize("OIG-032604") == "OIG032604"
    assert bates.normalize("D0I0012420") == bates.normalize("DO10012420") == "DOI0012420"
    assert bates.normalize("ABC1100000") == "ABC1100000"


def _word(x0: float, y0: float, text: str) -> list:
    return [x0, y0, x0 + 8 * len(text), y0 + 10, text]


def test_find_uses_the_margins_and_tolerates_split_words() -> None:
    words = [_word(72, 100, "Subject:"), _word(140, 100, "DHAW20190001"),  # body: not Bates
             _word(400, 760, "2019-ICLI-00003"), _word(525, 760, "-022454")]
    found = bates.find(words, 612, 792)
    assert found is not None and found.printed == "2019-ICLI-00003 -022454"


def test_find_prefers_the_bottom_stamp_and_ignores_court_headers() -> None:
    header = [_word(100, 9, "Case:"), _word(150, 9, "20-1507"), _word(220, 9, "Document:"),
              _word(300, 9, "00117684624"), _word(400, 9, "Page:"), _word(450, 9, "1")]
    assert bates.find(header, 612, 792) is None
    words = [*header, _word(450, 770, "DHS-000123")]
    found = bates.find(words, 612, 792)
    assert found is not None and found.key == "DHS000123"


def test_find_reads_a_stamp_apart_from_the_footer_on_its_line() -> None:
    # the footer's last word must not be taken for the agency before "2019-..."
    footer = [_word(72, 760, "CHICAGO"), _word(140, 760, "POLICE"), _word(196, 760, "DEPT")]
    stamp = [_word(400, 760, "2019-ICLI-00003"), _word(525, 760, "022454")]
    found = bates.find([*footer, *stamp], 612, 792)
    assert found is not None and found.printed == "2019-ICLI-00003 022454"
    top = [_word(300, 20, "ORDER"), _word(350, 20, "ICE"), _word(382, 20, "2019-ICLI-00003"),
           _word(507, 20, "022454")]  # a stamp at the top, a legend beside it
    found = bates.find(top, 612, 792)
    assert found is not None and found.printed == "ICE 2019-ICLI-00003 022454"


@needs_tesseract
@pytest.mark.ocr
def test_a_scanned_stamp_is_read_through_ocr(tmp_path: Path, settings: Settings) -> None:
    image = text_image(["From: ERO Duty Officer", "Sent: Tuesday, March 21, 2017 10:47 AM",
                        "Subject: Detainer outcome", "The subject was released."])
    ImageDraw.Draw(image).text((900, 1570), "2019-ICLI-00003 022455", fill=0,
                               font=text_image.__globals__["_font"](26))
    png = tmp_path / "page.png"
    image.save(png, dpi=(150, 150))
    doc = pymupdf.open()
    doc.new_page(width=612, height=792).insert_image(pymupdf.Rect(0, 0, 612, 792),
                                                     filename=str(png))
    pdf = tmp_path / "stamped.pdf"
    doc.save(pdf)
    page = worker.read_page(pdf, "pdf", "x", 1, settings, "auto", ocr.usable_lang("eng"))
    assert page.text_source == "ocr"
    notes = annotate.text_annotations(page.text, page.words, page.width, page.height)
    assert notes["bates_keys"][:2] == ["2019ICLI00003022455", "ICLI00003022455"]
    assert notes["record_date"] == "2017-03-21"
