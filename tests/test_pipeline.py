"""add_production end to end: catalog, index, report, idempotence, isolation of failures."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import needs_tesseract

from archive.catalog import Catalog
from archive.config import Settings
from archive.errors import ArchiveLockedError
from archive.ingest.locking import write_lock
from archive.ingest.pipeline import add_production
from archive.search.query import open_searcher, search


def _hits(settings: Settings, q: str) -> list[tuple[str, int]]:
    with open_searcher(settings) as s:
        return sorted((h.title, h.page) for h in search(s, q, settings, pagelen=100).hits)


def test_text_pdfs_are_added_page_by_page(settings: Settings, make_pdf,
                                          tmp_path: Path) -> None:
    folder = tmp_path / "rel"
    make_pdf("memo.pdf", "t:First page about budgets", "t:Second page: the sally port gate",
             folder=folder)
    report = add_production([folder], settings, production="Release 1")
    assert report.added == [str(folder / "memo.pdf")]
    assert report.failed == [] and report.pages == 2 and report.ocr_pages == 0
    assert _hits(settings, '"sally port"') == [("memo", 2)]
    with Catalog(settings.catalog_path) as c:
        assert c.stats() == {"productions": 1, "documents": 1, "pages": 2, "ocr_pages": 0}
        doc = c.documents()[0]
        assert doc["doc_id"] == doc["sha256"][:16]
        assert doc["path"] == "scans/release-1/memo.pdf"


def test_adding_again_changes_nothing(settings: Settings, make_pdf, tmp_path: Path) -> None:
    folder = tmp_path / "rel"
    make_pdf("memo.pdf", "t:Alpha bravo charlie", folder=folder)
    add_production([folder], settings, production="R")
    again = add_production([folder], settings, production="R")
    assert again.added == [] and again.unchanged == [str(folder / "memo.pdf")]
    assert again.pages == 0
    with open_searcher(settings) as s:
        assert s is not None and s.doc_count() == 1


def test_same_bytes_in_another_production_is_linked_not_duplicated(
        settings: Settings, make_pdf, tmp_path: Path) -> None:
    pdf = make_pdf("memo.pdf", "t:Rikers Island transfer memo")
    other = tmp_path / "second" / "renamed.pdf"
    other.parent.mkdir()
    shutil.copy(pdf, other)
    add_production([pdf], settings, production="First release")
    report = add_production([other], settings, production="Interim release 2")
    assert report.unchanged == [str(other)] and report.pages == 0
    with open_searcher(settings) as s:
        hits = search(s, "rikers", settings).hits
    assert len(hits) == 1
    assert hits[0].production == "First release; Interim release 2"
    assert _hits(settings, "production:interim AND rikers") == [("memo", 1)]


def test_one_bad_file_does_not_sink_the_production(settings: Settings, make_pdf,
                                                   resources: Path, tmp_path: Path) -> None:
    folder = tmp_path / "rel"
    make_pdf("good.pdf", "t:A perfectly good page of text", folder=folder)
    shutil.copy(resources / "encrypted_pdfplumber_password-example.pdf", folder / "locked.pdf")
    shutil.copy(resources / "DERIVED_truncated60_ntsb_12-rzcommu_1-058.pdf",
                folder / "cut.pdf")
    shutil.copy(resources / "not_a_pdf_docsplit_actually_an_image.pdf", folder / "img.pdf")
    (folder / "letter.pdf").write_bytes(b"{\\rtf1 not a pdf}")
    report = add_production([folder], settings, production="R")
    reasons = {Path(f.file).name: f.error for f in report.failed}
    assert "password-protected" in reasons["locked.pdf"]
    assert "truncated" in reasons["cut.pdf"]
    assert "RTF document, not a PDF" in reasons["letter.pdf"]
    assert sorted(Path(a).name for a in report.added) == ["good.pdf", "img.pdf"]
    assert _hits(settings, "perfectly") == [("good", 1)]


def test_second_writer_is_refused_clearly(settings: Settings, make_pdf) -> None:
    pdf = make_pdf("a.pdf", "t:Alpha")
    with write_lock(settings), pytest.raises(ArchiveLockedError, match="run your command again"):
        add_production([pdf], settings)


@needs_tesseract
@pytest.mark.ocr
def test_scanned_page_is_ocrd_and_mixed_pdf_keeps_text_layer(settings: Settings,
                                                             make_pdf) -> None:
    settings = replace(settings, ocr_mode="auto")
    pdf = make_pdf("mixed.pdf", "t:" + "Typed cover letter about the request. " * 3,
                   "s:The ICE officer was waiting\nin their sally port to take him")
    report = add_production([pdf], settings, production="R")
    assert report.pages == 2 and report.ocr_pages == 1
    assert _hits(settings, '"sally port"') == [("mixed", 2)]
    with Catalog(settings.catalog_path) as c:
        pages = list(c.pages(report and c.documents()[0]["doc_id"]))
        assert [p["text_source"] for p in pages] == ["text", "ocr"]
        assert pages[1]["ocr_confidence"] > 70
        assert '"sally"' in pages[1]["words"].lower() or "sally" in pages[1]["words"].lower()


@needs_tesseract
@pytest.mark.ocr
def test_failed_page_is_reported_and_other_pages_land(settings: Settings, make_pdf) -> None:
    settings = replace(settings, ocr_mode="auto", ocr_timeout=0.01)
    pdf = make_pdf("two.pdf", "t:" + "A typed page that needs no OCR at all. " * 3,
                   "s:" + "\n".join(["A long scanned page of words"] * 30))
    report = add_production([pdf], settings, production="R")
    assert report.added == [str(pdf)]
    assert report.failed_pages == 1
    assert "page 2" in report.failed[0].error and "ARCHIVE_OCR_TIMEOUT" in report.failed[0].error
    assert _hits(settings, "typed") == [("two", 1)]
    # a rerun with a sane timeout retries only the failed page
    again = add_production([pdf], replace(settings, ocr_timeout=120), production="R")
    assert again.pages == 1 and again.ocr_pages == 1 and not again.failed
