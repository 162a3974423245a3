"""`archive show DOC_ID PAGE`: whole ids and unique prefixes, and errors that tell which is wrong.

The archive is real (`archive add` of born-digital PDFs into SQLite and Whoosh on disk). Two of
its PDFs are picked so that their sha256, and so their doc_ids, start with the same 4 hex
digits: that prefix names no single document.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest

from archive.catalog import Catalog


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ARCHIVE_JOBS": "1"}
    return subprocess.run([sys.executable, "-m", "archive", "--home", str(home), *args],
                          capture_output=True, text=True, env=env, timeout=300)


def _pdf_bytes(*pages: str) -> bytes:
    doc = pymupdf.open()
    for text in pages:
        doc.new_page(width=612, height=792).insert_text((72, 72), text)
    data = doc.tobytes()
    doc.close()
    return data


def _two_pdfs_sharing_a_prefix() -> tuple[bytes, bytes]:
    """Two one-page PDFs whose sha256 hex digests start with the same 4 digits."""
    seen: dict[str, bytes] = {}
    for n in range(20_000):  # about 320 tries are expected (birthday bound over 16^4)
        data = _pdf_bytes(f"Routine memo number {n}")
        prefix = hashlib.sha256(data).hexdigest()[:4]
        if prefix in seen:
            return seen[prefix], data
        seen[prefix] = data
    raise AssertionError("no two PDFs with a common 4-digit prefix")


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A real archive; returns its home and the doc_ids of its documents by name."""
    root = tmp_path_factory.mktemp("show")
    folder = root / "release"
    folder.mkdir()
    files = {"emails.pdf": _pdf_bytes("The sally port at Hennepin County.",
                                      "A second page about a declined detainer.")}
    files["memo-a.pdf"], files["memo-b.pdf"] = _two_pdfs_sharing_a_prefix()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    home = root / "home"
    added = run(home, "add", str(folder), "--production", "DHS", "--ocr", "never", "--json")
    assert added.returncode == 0, added.stderr
    ids = {name: hashlib.sha256(data).hexdigest()[:16] for name, data in files.items()}
    return {"home": str(home), **ids}


def test_a_unique_prefix_shows_the_page(archive: dict[str, str]) -> None:
    doc_id = archive["emails.pdf"]
    shown = run(Path(archive["home"]), "show", doc_id[:6], "2")
    assert shown.returncode == 0, shown.stderr
    assert "p. 2 of 2" in shown.stdout and "declined detainer" in shown.stdout
    as_json = run(Path(archive["home"]), "show", doc_id[:4].upper(), "1", "--json")
    assert as_json.returncode == 0, as_json.stderr
    page = json.loads(as_json.stdout)
    assert page["doc_id"] == doc_id and page["page"] == 1 and "sally port" in page["text"]


def test_the_whole_id_still_works(archive: dict[str, str]) -> None:
    shown = run(Path(archive["home"]), "show", archive["memo-a.pdf"], "1", "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["doc_id"] == archive["memo-a.pdf"]


def test_an_unknown_id_is_named_as_unknown_not_as_a_missing_page(
        archive: dict[str, str]) -> None:
    taken = {archive[name][:6] for name in ("emails.pdf", "memo-a.pdf", "memo-b.pdf")}
    unknown = next(p for p in ("13e869", "13e86a", "13e86b", "13e86c") if p not in taken)
    for given in (unknown, "not-an-id"):
        proc = run(Path(archive["home"]), "show", given, "2")
        assert proc.returncode == 5
        assert proc.stderr == (f"archive: no document {given} in this archive; "
                               "`archive search` shows document ids\n")


def test_a_page_past_the_end_says_how_many_pages_the_document_has(
        archive: dict[str, str]) -> None:
    doc_id = archive["emails.pdf"]
    proc = run(Path(archive["home"]), "show", doc_id[:8], "9")
    assert proc.returncode == 5
    assert proc.stderr == (f"archive: document {doc_id} has 2 pages; "
                           "ask for page 1 to 2\n")


def test_an_ambiguous_prefix_lists_the_documents_it_could_be(archive: dict[str, str]) -> None:
    first, second = sorted((archive["memo-a.pdf"], archive["memo-b.pdf"]))
    common = os.path.commonprefix([first, second])
    proc = run(Path(archive["home"]), "show", common, "1")
    assert proc.returncode == 5
    assert proc.stderr == (f"archive: {common} is the start of several document ids "
                           f"({first}, {second}); give more of the id\n")
    one_more = second[:len(common) + 1]
    shown = run(Path(archive["home"]), "show", one_more, "1", "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["doc_id"] == second


def test_a_prefix_under_4_digits_is_refused_even_when_unique(archive: dict[str, str]) -> None:
    proc = run(Path(archive["home"]), "show", archive["emails.pdf"][:3], "1")
    assert proc.returncode == 5
    assert "is too short: give at least 4 of its 16 hex digits" in proc.stderr


def test_a_page_not_read_yet_says_to_run_add_again(tmp_path: Path,
                                                   archive: dict[str, str]) -> None:
    # What an `add` killed after opening a file, before reading its pages, leaves behind.
    home = tmp_path / "home"
    source = Path(archive["home"]) / "index" / "catalog.sqlite"
    (home / "index").mkdir(parents=True)
    db, copy = sqlite3.connect(source), sqlite3.connect(home / "index" / "catalog.sqlite")
    try:
        db.backup(copy)  # the catalog as committed, whatever is still in its WAL file
    finally:
        db.close()
        copy.close()
    with Catalog(home / "index" / "catalog.sqlite") as catalog:
        catalog.start_document("c0ffee0000000001", "c0ffee0000000001" + "0" * 48,
                               "interrupted", "scans/dhs/interrupted.pdf", "pdf", 10)
        catalog.set_probe("c0ffee0000000001", 3, [], {})
    proc = run(home, "show", "c0ffee", "2")
    assert proc.returncode == 5
    assert proc.stderr == ("archive: page 2 of document c0ffee0000000001 has not been read; "
                           "run `archive add` on its file again\n")
