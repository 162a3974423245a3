"""Real tesseract: words, boxes, confidence, rotated pages, timeouts."""

from __future__ import annotations

import pytest
from conftest import needs_tesseract, text_image
from PIL import Image, ImageStat

from archive.errors import OcrFailedError
from archive.read import ocr

pytestmark = [pytest.mark.ocr, needs_tesseract]

LINES = ["Hennepin County Adult Detention Center released",
         "the subject at the sally port of the jail.",
         "The detainer was declined on March 21, 2017."]


def _options(**kw: object) -> ocr.OcrOptions:
    return ocr.OcrOptions(lang=ocr.usable_lang("eng"), dpi=150, timeout=60, **kw)  # type: ignore[arg-type]


def _words(result: ocr.OcrResult) -> list[str]:
    return [w[4].strip(".,").lower() for w in result.words]


def test_reads_words_with_boxes_and_confidence() -> None:
    image = text_image(LINES)
    result = ocr.ocr_image(image, _options())
    assert "sally port" in result.text
    assert result.confidence is not None and result.confidence > 80
    words = _words(result)
    box = result.words[words.index("hennepin")]
    # typed at x=110, first line at y=120 (font size 34 px)
    assert 100 <= box[0] <= 125 and 110 <= box[1] <= 140
    assert box[2] > box[0] and box[3] > box[1]


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_rotated_page_is_read_upright_and_boxes_map_back(turn: int) -> None:
    upright = text_image(LINES * 4)
    rotated = upright.rotate(turn, expand=True)  # counter-clockwise, as a scanner might
    result = ocr.ocr_image(rotated, _options())
    assert "sally port" in result.text
    if turn == 180:  # upside down cannot be read without orientation detection
        assert result.rotation == 180
    # the box of "Hennepin" lies inside the rotated image
    box = result.words[_words(result).index("hennepin")]
    assert 0 <= box[0] < box[2] <= rotated.width
    assert 0 <= box[1] < box[3] <= rotated.height
    # and its ink is there: the box is darker than the page on average
    crop = rotated.crop(tuple(int(v) for v in box[:4]))
    assert ImageStat.Stat(crop).mean[0] < 230


def test_blank_page_gives_empty_text() -> None:
    result = ocr.ocr_image(Image.new("L", (600, 800), 255), _options())
    assert result.text.strip() == ""
    assert result.words == []


def test_timeout_is_reported_as_page_failure() -> None:
    image = text_image(LINES * 10)
    with pytest.raises(OcrFailedError, match="ARCHIVE_OCR_TIMEOUT"):
        ocr.ocr_image(image, ocr.OcrOptions(lang="eng", dpi=150, timeout=0.01))


def test_missing_language_is_a_clear_error() -> None:
    with pytest.raises(ocr.OcrUnavailableError, match="apt-get install"):
        ocr.usable_lang("klingon")


@pytest.mark.parametrize("name,phrases", [
    ("scan_ntsb_12-rzcommu_1-058.pdf",
     ["Wall Street journal article", "National Transportation Safety Board", "Sathya S. Silva"]),
    ("DERIVED_sideways_ntsb_01-rzcommu_1-019.pdf", ["Dear Sathya", "Thank you for your email"]),
])
def test_real_released_scans_are_read(resources, name: str, phrases: list[str]) -> None:
    """NTSB release pages (public domain), one turned sideways, through the worker's path."""
    from archive.config import load_settings
    from archive.read import worker

    settings = load_settings(resources, jobs=1)
    page = worker.read_page(resources / name, "pdf", "x" * 16, 1, settings, "auto",
                            ocr.usable_lang(settings.ocr_lang))
    assert page.text_source == "ocr" and page.error is None
    text = " ".join(page.text.split())
    for phrase in phrases:
        assert phrase in text
    assert page.words and all(0 <= w[0] < w[2] <= page.width + 1 for w in page.words)


def test_a_character_whitelist_limits_what_is_read() -> None:
    image = text_image(["Withheld (b)(6) and (b)(7)(C)"])
    plain = ocr.read_once(image, _options(psm=11))
    assert "Withheld" in plain.text
    limited = ocr.read_once(image, _options(psm=11, chars="()b0123456789ABCDEF"))
    assert "(b)(6)" in limited.text and "(b)(7)(C)" in limited.text
    assert set(limited.text) <= set("()b0123456789ABCDEF \n")
