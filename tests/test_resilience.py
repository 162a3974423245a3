"""`kill -9` of `archive add` at several moments, then the same command: nothing lost or doubled.

Also: searches work while an add runs, and a second concurrent add is refused clearly.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pymupdf
import pytest
from conftest import needs_tesseract

from archive.config import load_settings
from archive.search.query import open_searcher, search

pytestmark = [pytest.mark.ocr, needs_tesseract]

ENV = {**os.environ, "ARCHIVE_OCR_LANG": "eng", "ARCHIVE_JOBS": "2"}


def _start(home: Path, folder: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "archive", "--home", str(home), "add", str(folder),
         "--production", "Interrupted release", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
        start_new_session=True)


def _count(home: Path, sql: str) -> int:
    path = home / "index" / "catalog.sqlite"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            return int(db.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:  # tables not created yet
        return 0


PAGES = "SELECT COUNT(*) FROM pages"
INDEXED = "SELECT COUNT(*) FROM documents WHERE state = 'indexed'"


def _snapshot(home: Path) -> dict[str, object]:
    db = sqlite3.connect(home / "index" / "catalog.sqlite")
    pages = db.execute("SELECT doc_id, page_no, text, text_source FROM pages "
                       "ORDER BY doc_id, page_no").fetchall()
    states = db.execute("SELECT doc_id, state FROM documents ORDER BY doc_id").fetchall()
    db.close()
    settings = load_settings(home)
    with open_searcher(settings) as s:
        assert s is not None
        keys = sorted(f["id"] for f in s.all_stored_fields())
    return {"pages": pages, "states": states, "index_keys": keys}


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three scanned PDFs of two pages each, six pages to OCR."""
    from conftest import text_image

    folder = tmp_path_factory.mktemp("prod")
    for n in range(3):
        doc = pymupdf.open()
        for p in range(2):
            page = doc.new_page(width=612, height=792)
            image = text_image([f"Document {n} page {p + 1}", "sally port detainer",
                                f"marker{n}x{p + 1}"], width=850, height=1100)
            png = folder / "tmp.png"
            image.save(png, dpi=(100, 100))
            page.insert_image(page.rect, filename=str(png))
            png.unlink()
        doc.save(folder / f"doc{n}.pdf")
    return folder


@pytest.fixture(scope="module")
def reference(production: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    home = tmp_path_factory.mktemp("reference")
    proc = _start(home, production)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    snap = _snapshot(home)
    assert len(snap["pages"]) == 6  # type: ignore[arg-type]
    return snap


def _wait_until(condition: Callable[[], bool], proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 300
    while not condition():
        assert proc.poll() is None, "add finished before the kill point"
        assert time.monotonic() < deadline
        time.sleep(0.02)


@pytest.mark.parametrize("kill_point", ["first page stored", "half the pages stored",
                                        "first document indexed"])
def test_kill_9_then_rerun_equals_uninterrupted_run(production: Path, reference: dict,
                                                    tmp_path: Path, kill_point: str) -> None:
    home = tmp_path / "home"
    proc = _start(home, production)
    if kill_point == "first page stored":
        _wait_until(lambda: _count(home, PAGES) >= 1, proc)
    elif kill_point == "half the pages stored":
        _wait_until(lambda: _count(home, PAGES) >= 3, proc)
    else:
        _wait_until(lambda: _count(home, INDEXED) >= 1, proc)
    os.killpg(proc.pid, signal.SIGKILL)  # the supervisor and its workers, mid-flight
    proc.communicate()
    stored_before = _count(home, PAGES)

    rerun = _start(home, production)
    out, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err
    report = json.loads(out)
    assert report["failed"] == []
    assert report["pages"] == 6 - stored_before  # pages already OCR'd are not OCR'd again
    assert _snapshot(home) == reference


def test_search_works_during_add_and_second_add_is_refused(production: Path,
                                                           tmp_path: Path) -> None:
    home = tmp_path / "home"
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "An earlier release about a detainer.")
    doc.save(earlier / "earlier.pdf")
    first = subprocess.run(
        [sys.executable, "-m", "archive", "--home", str(home), "add", str(earlier),
         "--production", "Earlier release", "--ocr", "never"],
        capture_output=True, text=True, env=ENV, timeout=120)
    assert first.returncode == 0, first.stderr
    proc = _start(home, production)
    _wait_until(lambda: _count(home, PAGES) >= 2, proc)  # its first scanned page is stored
    # Freeze the add (supervisor and workers) with five pages still to OCR: it holds the
    # write lock until it is let go, so the second add meets a running add every time.
    os.killpg(proc.pid, signal.SIGSTOP)
    try:
        settings = load_settings(home)
        with open_searcher(settings) as s:
            assert search(s, "detainer", settings).total == 1  # the earlier release
        second = subprocess.run(
            [sys.executable, "-m", "archive", "--home", str(home), "add", str(production)],
            capture_output=True, text=True, env=ENV, timeout=120)
    finally:
        os.killpg(proc.pid, signal.SIGCONT)
    assert second.returncode == 6, second.stdout
    assert second.stderr == (
        f"archive: another `archive add` or `reindex` is writing to this archive (pid "
        f"{proc.pid}); searches still work; run your command again when it has finished\n")
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert json.loads(out)["failed"] == []
    with open_searcher(settings) as s:
        assert search(s, "detainer", settings).total == 7
