"""Every real odd, broken and released PDF in ../shared/corpus goes through `add`.

Each file is added or fails with a one-line reason that names it; nothing crashes or hangs.
Skipped when ../shared/corpus is absent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS, needs_corpus

pytestmark = [pytest.mark.corpus, needs_corpus]


def _add(home: Path, folder: Path, *extra: str) -> dict:
    env = {**os.environ, "ARCHIVE_JOBS": "2", "ARCHIVE_OCR_LANG": "eng"}
    proc = subprocess.run(
        [sys.executable, "-m", "archive", "--home", str(home), "add", str(folder),
         "--production", folder.name, "--json", *extra],
        capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode in (0, 3), proc.stderr
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)


def _documents(folder: Path) -> set[str]:
    return {str(p) for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("folder", ["odd_pdfs", "foia_pdfs"])
def test_every_file_is_added_or_fails_with_a_reason(tmp_path: Path, folder: str) -> None:
    source = CORPUS / folder
    report = _add(tmp_path / "home", source, "--ocr", "never")
    failed = {f["file"]: f["error"] for f in report["failed"]}
    accounted = set(report["added"]) | set(report["unchanged"]) | set(failed)
    assert accounted == _documents(source)
    for file, error in failed.items():
        assert error and "\n" not in error, file
        assert any(hint in error for hint in ("ask the agency", "convert it", "download it",
                                              "raise ARCHIVE_", "decrypt")), (file, error)
    if folder == "odd_pdfs":
        for entry in (source / "encrypted").iterdir():  # an empty user password opens
            path = str(entry)
            assert path in report["added"] or "password-protected" in failed[path]
        assert "password-protected" in failed[str(source / "encrypted/qpdf__enc-long-password.pdf")]
        for entry in (source / "derived_truncated").iterdir():
            assert "truncated" in failed[str(entry)]
        not_pdf = source / "not_really_pdf"
        assert "RTF document, not a PDF" in failed[str(not_pdf / "docsplit__actually_an_rtf.pdf")]
        assert "Office (OLE) document" in failed[str(not_pdf / "docsplit__actually_a_doc.pdf")]
        assert str(not_pdf / "docsplit__actually_an_image.pdf") in report["added"]
