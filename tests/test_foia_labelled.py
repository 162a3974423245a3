"""The hand-labelled sample: fixture integrity, and floors under the detectors' scores.

The floors are the figures measured when the detectors were written (bench/foia_detection.py
prints the full table, including the Chicago and court pages read from ../shared); a change
that lowers them fails here. Only the committed public-domain pages are scored, from the
cached OCR, so no page OCR runs; only the labels inside redaction boxes are read afresh
(one short tesseract call per page, ~7 s in all).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import REPO, RESOURCES, needs_tesseract

from archive import annotate, extract, ocr
from archive.config import Settings
from archive.foia import box_labels, redactions

LABELLED = RESOURCES / "labelled"
LABELS = json.loads((LABELLED / "labels.json").read_text())["pages"]
OCR = {f"{p['file']}#{p['page']}": p
       for p in json.loads((LABELLED / "ocr_pages.json").read_text())["pages"]}
COMMITTED = [label for label in LABELS if f"{label['file']}#{label['page']}" in OCR]


def test_the_labels_are_complete() -> None:
    assert len(LABELS) == 58 and len(COMMITTED) == 31
    for label in LABELS:
        assert set(label) >= {"file", "path", "page", "exemptions", "bates", "email",
                              "record_date", "redactions"}
        assert all(e.startswith("(b)(") for e in label["exemptions"])
        if label["email"]:
            assert set(label["email"]) == {"from", "subject", "date"}
    for label in COMMITTED:  # the repo's own copies of the public-domain pages
        assert (REPO / label["path"]).exists()


def _annotations(label: dict) -> dict:
    page = OCR[f"{label['file']}#{label['page']}"]
    return annotate.text_annotations(page["text"], page["words"], page["width"], page["height"])


def _precision_recall(tp: int, fp: int, fn: int) -> tuple[float, float]:
    return tp / max(1, tp + fp), tp / max(1, tp + fn)


def test_exemption_labels_on_ntsb_pages() -> None:
    tp = fp = fn = 0
    for label in COMMITTED:
        truth, found = set(label["exemptions"]), set(_annotations(label)["exemptions"])
        tp, fp, fn = tp + len(truth & found), fp + len(found - truth), fn + len(truth - found)
    precision, recall = _precision_recall(tp, fp, fn)
    assert precision >= 0.75 and recall >= 0.6, (tp, fp, fn)


def test_email_headers_and_record_dates_on_ntsb_pages() -> None:
    tp = fp = fn = dated = right = 0
    for label in COMMITTED:
        notes = _annotations(label)
        found, truth = notes["email"] is not None, label["email"] is not None
        tp, fp, fn = tp + (found and truth), fp + (found and not truth), fn + (truth and not found)
        if label["record_date"]:
            dated += 1
            right += notes["record_date"] == label["record_date"]
        if found and truth:
            assert notes["email"]["date"] == label["email"]["date"] or label["file"] in (
                "ntsb/24-rzcommu_1-054.pdf", "ntsb/25-rzcommu_1-001.pdf")  # unread CJK block
    precision, recall = _precision_recall(tp, fp, fn)
    assert precision == 1.0 and recall >= 0.75, (tp, fp, fn)
    assert right / dated >= 0.7, (right, dated)


def test_bates_only_where_stamped() -> None:
    for label in COMMITTED:
        assert _annotations(label)["bates"] == label["bates"], label["file"]


@pytest.mark.parametrize("label", [lb for lb in COMMITTED if lb["file"].endswith(".pdf")],
                         ids=lambda lb: f"{Path(lb['file']).stem}-p{lb['page']}")
def test_redaction_counts_on_ntsb_scans(label: dict, settings: Settings) -> None:
    doc = extract.open_document(REPO / label["path"], "pdf", settings)
    try:
        image, dpi = extract.render_page(doc[label["page"] - 1], 300, settings.max_image_pixels)
    finally:
        doc.close()
    count = redactions.detect(image, dpi)["count"]
    truth = label["redactions"]
    assert (count > 0) == (truth > 0)
    assert truth * 0.45 <= count <= truth  # touching boxes merge; nothing is invented


@pytest.mark.ocr
@needs_tesseract
def test_exemption_labels_read_in_the_boxes_of_ntsb_scans(settings: Settings) -> None:
    # The page OCR alone: precision 0.77, recall 0.63 on these pages (5 read as 9, labels
    # missed); with the boxes read one by one at the scan's resolution, as the worker does:
    # 0.97 and 0.86 (37 right, 1 wrong, 6 missed: labels cut in half by their own box).
    reader = box_labels.from_ocr(ocr.OcrOptions(lang=ocr.usable_lang("eng")))
    tp = fp = fn = 0
    for label in COMMITTED:
        path = REPO / label["path"]
        kind = "pdf" if path.suffix == ".pdf" else "image"
        doc = extract.open_document(path, kind, settings)
        try:
            page = doc[label["page"] - 1]
            dpi = extract.ocr_resolution(page, kind, settings.ocr_dpi,
                                         settings.ocr_upsample_below)[0]
            image, used = extract.render_page(page, dpi, settings.max_image_pixels)
        finally:
            doc.close()
        cached = OCR[f"{label['file']}#{label['page']}"]
        notes = annotate.text_annotations(cached["text"], cached["words"], cached["width"],
                                          cached["height"], redactions.detect(image, used, reader))
        truth, found = set(label["exemptions"]), set(notes["exemptions"])
        tp, fp, fn = tp + len(truth & found), fp + len(found - truth), fn + len(truth - found)
    precision, recall = _precision_recall(tp, fp, fn)
    assert precision >= 0.95 and recall >= 0.8, (tp, fp, fn)
