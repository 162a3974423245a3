"""Opening and refreshing the search index: a live reading room across adds that merge
segments, an archive whose index holds no page yet, and an index lost under the catalog.

Real PDFs, a real Whoosh index on disk, the real catalog, a live waitress server and the
`archive` command run as a process.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from conftest import free_port, server_process, write_text_pdf

from archive.catalog import Catalog
from archive.config import Settings
from archive.errors import IndexLostError
from archive.ingest.pipeline import add_production
from archive.search import index
from archive.search.query import open_searcher, search
from archive.search.writer import reindex

WORD = "detainer"


_SERVE = ("import sys, waitress; from web import create_app; "
          "waitress.serve(create_app({'ARCHIVE_HOME': sys.argv[1]}), host='127.0.0.1', "
          "port=int(sys.argv[2]), threads=int(sys.argv[3]))")


@contextmanager
def live_server(settings: Settings, threads: int = 1) -> Iterator[str]:
    """The reading room served by waitress, in a process of its own, on a free loopback
    port; yields its base URL.

    One thread by default: every request then reuses the same thread's searcher, which is
    what a refreshed-but-stale searcher needs to show itself.
    """
    port = free_port()
    command = [sys.executable, "-c", _SERVE, str(settings.home), str(port), str(threads)]
    with server_process(command, port):
        yield f"http://127.0.0.1:{port}"


def get(url: str) -> tuple[int, str, str]:
    """(status, content type, body) of a GET, error statuses included."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers["Content-Type"], exc.read().decode()


def api_search(base: str, q: str, **params: str) -> dict[str, Any]:
    query = urlencode({"q": q, **params})
    status, _, body = get(f"{base}/api/search?{query}")
    assert status == 200, body
    found: dict[str, Any] = json.loads(body)
    return found


def catalog_pages(settings: Settings) -> int:
    with Catalog(settings.catalog_path, readonly=True) as catalog:
        return catalog.stats()["pages"]


def segment_count(settings: Settings) -> int:
    ix = index.open_or_create(settings.whoosh_dir)
    with ix.reader() as reader:
        count = len(list(reader.leaf_readers()))
    ix.close()
    return count


def run_archive(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """The `archive` command as a user runs it (it inherits PYTHONPATH: this checkout)."""
    return subprocess.run([sys.executable, "-m", "archive", "--home", str(settings.home),
                           *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "ARCHIVE_JOBS": "1", "ARCHIVE_OCR_MODE": "never"})


def add_release(settings: Settings, folder: Path, n: int, pages: int = 2) -> None:
    """One small born-digital PDF, every page saying WORD, added as its own production."""
    write_text_pdf(folder / f"release-{n}" / f"report-{n}.pdf",
                   [[f"Declined {WORD} report {n}", f"page {p + 1} of release {n}"]
                    for p in range(pages)])
    report = add_production([folder / f"release-{n}"], settings, production=f"Release {n}")
    assert not report.failed, report.failed


# --- item 2: a running reading room across adds that merge segments -------------------------


def test_live_reading_room_counts_each_page_once_across_merges(settings: Settings,
                                                                tmp_path: Path) -> None:
    segments: list[int] = []
    with live_server(settings) as base:
        assert api_search(base, WORD)["total"] == 0  # no index yet: opened before any add
        for n in range(8):  # Whoosh merges its small segments every few commits
            add_release(settings, tmp_path / "in", n)
            segments.append(segment_count(settings))
            found = api_search(base, WORD)
            keys = [(hit["doc_id"], hit["page"]) for hit in found["hits"]]
            assert len(keys) == len(set(keys)), f"a page came back twice after add {n}"
            assert found["total"] == len(keys) == catalog_pages(settings) == 2 * (n + 1)
            status, _, body = get(f"{base}/search?q={WORD}")
            assert status == 200 and f"report-{n}" in body
    assert any(after < before for before, after in itertools.pairwise(segments)), (
        f"no merge happened (segments after each add: {segments}); the test proves nothing")


def test_cli_and_web_share_one_searcher_per_thread_and_keep_old_ones_open(
        settings: Settings, tmp_path: Path) -> None:
    add_release(settings, tmp_path / "in", 0)
    with open_searcher(settings) as first, open_searcher(settings) as again:
        assert first is again  # unchanged index: the thread's searcher is reused
    with open_searcher(settings) as outer:
        assert outer is not None
        for n in range(1, 7):  # merges while `outer` is still in use
            add_release(settings, tmp_path / "in", n)
        with open_searcher(settings) as inner:
            assert inner is not None and inner is not outer
            assert search(inner, WORD, settings, pagelen=50).total == catalog_pages(settings)
        assert not outer.is_closed  # replaced, but still in use: left open
        assert search(outer, WORD, settings).total == 2  # what it saw when opened
    assert outer.is_closed  # closed once nobody used it any more
    with open_searcher(settings) as latest:
        assert latest is inner and not latest.is_closed


def test_a_thread_keeps_searchers_open_on_a_few_archives_only(settings: Settings,
                                                               tmp_path: Path) -> None:
    add_release(settings, tmp_path / "in", 0)
    with open_searcher(settings) as first:
        assert first is not None
    others = [replace(settings, home=tmp_path / f"other-{n}") for n in range(4)]
    for other in others:
        index.recreate(other.whoosh_dir).close()
        with open_searcher(other) as searcher:
            assert searcher is None  # nothing indexed there yet, but its searcher is held
    assert first.is_closed  # the least recently used archive's searcher was let go
    with open_searcher(settings) as again:
        assert again is not None and again is not first and again.doc_count() == 2


# --- item 4: an archive whose index holds no page yet -----------------------------------------


@pytest.fixture
def failures_only(settings: Settings, tmp_path: Path) -> Settings:
    """An archive whose only add had nothing but a broken file: an index with no page."""
    folder = tmp_path / "in" / "broken"
    folder.mkdir(parents=True)
    (folder / "truncated.pdf").write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog")
    report = add_production([folder], settings, production="Broken release")
    assert report.failed and not report.added
    return settings


def _assert_answers_zero_hits(settings: Settings, production: str | None) -> None:
    with live_server(settings, threads=2) as base:
        for params in ({}, {"collapse": "1"}, {"production": "broken-release"}):
            found = api_search(base, WORD, **params)
            assert (found["total"], found["hits"]) == (0, [])
            query = urlencode({"q": WORD, **params})
            status, _, body = get(f"{base}/search?{query}")
            assert status == 200, body
        if production:
            status, _, body = get(f"{base}/production/{production}")
            assert status == 200 and "Broken release" in body
    for extra in ([], ["--json"], ["--collapse"]):
        result = run_archive(settings, "search", WORD, *extra)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        if extra == ["--json"]:
            assert json.loads(result.stdout)["total"] == 0
        else:
            assert result.stdout.startswith("0 matching pages")


def test_index_without_pages_answers_zero_hits(failures_only: Settings) -> None:
    assert index.open_existing(failures_only.whoosh_dir) is not None  # it exists, empty
    with open_searcher(failures_only) as searcher:
        assert searcher is None  # searched as an archive with nothing indexed yet
    _assert_answers_zero_hits(failures_only, "broken-release")


def test_searcher_of_an_index_without_segments_counts_nothing(failures_only: Settings) -> None:
    ix = index.open_existing(failures_only.whoosh_dir)
    assert ix is not None
    with ix.searcher() as searcher:  # Whoosh reads it with a reader that has no segment
        for options in ({}, {"collapse": True}, {"production": "broken-release"}):
            found = search(searcher, WORD, failures_only, **options)  # type: ignore[arg-type]
            assert (found.total, found.hits) == (0, [])
    ix.close()


def test_first_add_stopped_before_indexing_serves_its_pages(settings: Settings,
                                                            tmp_path: Path) -> None:
    add_release(settings, tmp_path / "in", 0)
    index.recreate(settings.whoosh_dir).close()  # as if stopped before its first index commit
    with Catalog(settings.catalog_path) as catalog:
        (doc,) = catalog.documents()
        catalog.set_state(doc["doc_id"], "extracted")
    with live_server(settings) as base:
        assert api_search(base, WORD)["total"] == 0
        for path in (f"/doc/{doc['doc_id']}/page/1?q={WORD}", f"/doc/{doc['doc_id']}?q={WORD}",
                     f"/api/doc/{doc['doc_id']}/page/1?q={WORD}"):
            status, _, body = get(base + path)
            assert status == 200, (path, body)
        add_release(settings, tmp_path / "in", 0)  # the same add again finishes it
        assert api_search(base, WORD)["total"] == 2


def test_no_index_at_all_answers_zero_hits(failures_only: Settings) -> None:
    shutil.rmtree(failures_only.whoosh_dir)  # nothing indexed was lost: not an error
    _assert_answers_zero_hits(failures_only, "broken-release")
    assert not failures_only.whoosh_dir.exists()  # searching created nothing


def test_new_archive_answers_zero_hits(settings: Settings) -> None:
    _assert_answers_zero_hits(settings, None)
    assert not settings.index_dir.exists()


# --- item 5: an index lost under the catalog --------------------------------------------------


def _delete(path: Path) -> None:
    shutil.rmtree(path)


def _empty_folder(path: Path) -> None:
    for child in path.iterdir():
        child.unlink()


def _fresh_index(path: Path) -> None:
    index.recreate(path).close()


LOSSES: dict[str, Callable[[Path], None]] = {
    "deleted": _delete, "emptied": _empty_folder, "replaced by an empty index": _fresh_index}


@pytest.mark.parametrize("loss", list(LOSSES))
def test_lost_index_is_refused_with_the_command_to_run(settings: Settings, tmp_path: Path,
                                                       loss: str) -> None:
    add_release(settings, tmp_path / "in", 0)
    with live_server(settings) as base:
        assert api_search(base, WORD)["total"] == 2  # the server holds a searcher
        LOSSES[loss](settings.whoosh_dir)
        status, kind, body = get(f"{base}/search?q={WORD}")
        assert status == 503 and kind.startswith("text/html")
        assert "archive reindex" in body and "2 indexed pages" in body
        status, kind, body = get(f"{base}/api/search?q={WORD}")
        assert status == 503 and "archive reindex" in json.loads(body)["message"]
        with Catalog(settings.catalog_path, readonly=True) as catalog:
            (doc,) = catalog.documents()
        status, _, body = get(f"{base}/doc/{doc['doc_id']}/page/1?q={WORD}")
        assert status == 200 and "archive reindex" in body  # readable, highlights explained

        result = run_archive(settings, "search", WORD)
        assert result.returncode == IndexLostError.exit_code
        assert result.stderr.count("\n") == 1 and "archive reindex" in result.stderr
        assert "Traceback" not in result.stderr

        check = run_archive(settings, "check")
        assert check.returncode != 0
        assert "archive reindex" in check.stdout and "ERROR" in check.stdout

        write_text_pdf(tmp_path / "in" / "later" / "later.pdf", [[f"a later {WORD} page"]])
        added = run_archive(settings, "add", str(tmp_path / "in" / "later"))
        assert added.returncode == IndexLostError.exit_code, added.stdout + added.stderr
        assert "archive reindex" in added.stderr and "Traceback" not in added.stderr
        assert catalog_pages(settings) == 2  # the refused add changed nothing

        with pytest.raises(IndexLostError, match="archive reindex"), open_searcher(settings):
            pass

        assert reindex(settings) == 2
        found = api_search(base, WORD)
        assert found["total"] == 2 and len({(h["doc_id"], h["page"]) for h in found["hits"]}) == 2
    result = run_archive(settings, "add", str(tmp_path / "in" / "later"))
    assert result.returncode == 0, result.stderr
    assert catalog_pages(settings) == 3
