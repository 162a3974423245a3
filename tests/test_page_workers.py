"""Page workers (issue 10): a real redis-server, real `archive worker` processes, each in a
"machine" folder of its own, and real `archive add` runs against them.

A worker's misbehaviour (crash on a file, a slow page, a log of what it read) is given to
it by a `sitecustomize.py` in its machine folder, imported at start through PYTHONPATH:
the archive's code has no test hooks.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    DETAINER_PAGES,
    RESOURCES,
    free_port,
    needs_tesseract,
    server_process,
    write_text_pdf,
)

from archive.config import load_settings

pytestmark = [
    pytest.mark.workers,
    pytest.mark.skipif(shutil.which("redis-server") is None,
                       reason="redis-server is not installed (apt-get install redis-server, "
                              "or run scripts/setup.sh as root)"),
]

HOOK = '''
import os, time
from archive.read import worker

_read = worker._read_page
LOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pages.log")


def _logged(path, kind, doc_id, page_no, *rest):
    with open(LOG, "a") as log:
        log.write(f"{doc_id} {page_no} {time.time()}\\n")
    if "poison" in str(path):
        os._exit(1)  # what a MuPDF segfault looks like from outside
    time.sleep(float(os.environ.get("HOOK_SLEEP", "0")))
    return _read(path, kind, doc_id, page_no, *rest)


worker._read_page = _logged
'''
PYTHON = sys.executable


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server of the tests' own, on a free port, with nothing saved to disk."""
    folder = tmp_path_factory.mktemp("redis")
    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir",
               str(folder), "--save", "", "--appendonly", "no"]
    with server_process(command, port):
        yield f"redis://127.0.0.1:{port}/0"


@pytest.fixture
def broker(redis_url: str) -> str:
    """The test's redis, emptied: no queue, result or refusal left by another test."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    return redis_url


class Machine:
    """One worker machine: a folder (its cwd and home), its `archive worker` process."""

    def __init__(self, folder: Path, process: subprocess.Popen[bytes]) -> None:
        self.folder, self.process = folder, process

    def pages_read(self) -> list[tuple[str, int, float]]:
        """(doc_id, page_no, time) of every page this machine started to read."""
        log = self.folder / "pages.log"
        lines = log.read_text().splitlines() if log.exists() else []
        return [(d, int(p), float(t)) for d, p, t in (line.split() for line in lines)]

    def kill(self) -> None:
        """The machine is lost: the worker and its pool processes die at once."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


@pytest.fixture
def start_worker(tmp_path: Path, broker: str) -> Iterator[Callable[..., Machine]]:
    """Start `archive worker` in a machine folder of its own; ready once it answers a ping."""
    from archive.read import tasks

    machines: list[Machine] = []

    def start(name: str, concurrency: int = 1, **env: str) -> Machine:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "sitecustomize.py").write_text(HOOK)
        paths = [str(folder), os.environ.get("PYTHONPATH", "")]
        environ = {**os.environ, "HOME": str(folder), "ARCHIVE_BROKER_URL": broker,
                   "PYTHONPATH": os.pathsep.join(p for p in paths if p), **env}
        with (folder / "worker.log").open("wb") as log:
            process = subprocess.Popen([PYTHON, "-m", "archive", "worker", "--concurrency",
                                        str(concurrency)], cwd=folder, env=environ,
                                       stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        machine = Machine(folder, process)
        machines.append(machine)
        app = tasks.make_app(load_settings(broker_url=environ["ARCHIVE_BROKER_URL"]))
        deadline = time.monotonic() + 60
        while not any(name.startswith(f"archive-{process.pid}@")
                      for reply in app.control.ping(timeout=0.5) for name in reply):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"worker did not start: {(folder / 'worker.log').read_text()}")
        return machine

    yield start
    for machine in machines:
        machine.kill()


def _env(broker: str | None, **settings: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_")}
    if broker:
        environ["ARCHIVE_BROKER_URL"] = broker
    return {**environ, **{f"ARCHIVE_{k.upper()}": v for k, v in settings.items()}}


def _add(home: Path, inputs: Path, broker: str | None, *args: str,
         **settings: str) -> subprocess.Popen[str]:
    return subprocess.Popen([PYTHON, "-m", "archive", "--home", str(home), "add", str(inputs),
                             "--production", "Release 7", "--json", *args],
                            env=_env(broker, **settings), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _finish(add: subprocess.Popen[str], timeout: float = 120) -> tuple[int, dict[str, Any], str]:
    out, err = add.communicate(timeout=timeout)
    return add.returncode, json.loads(out) if out.strip() else {}, err


def _pages(home: Path) -> dict[tuple[str, int], tuple[Any, ...]]:
    """Every stored page: text, word boxes, source, confidence, size, error, annotations."""
    with sqlite3.connect(home / "index" / "catalog.sqlite") as db:
        rows = db.execute("SELECT doc_id, page_no, text, words, text_source, ocr_confidence, "
                          "width, height, error, annotations FROM pages").fetchall()
    return {(row[0], row[1]): row[2:] for row in rows}


_PAGE_FIELDS = ("text", "words", "text_source", "ocr_confidence", "width", "height", "error",
                "annotations")


def _same_pages(got: dict[tuple[str, int], tuple[Any, ...]],
                want: dict[tuple[str, int], tuple[Any, ...]]) -> None:
    """Every page stored alike, field by field (annotations key by key), so a difference
    is named instead of lost in a diff of every page. Near-duplicate groups are compared as
    groups: a page joins the group of the copy signed before it, and which of two copies is
    signed first depends on which machine finished first."""
    assert sorted(got) == sorted(want)
    for key, row in want.items():
        for name, found, expected in zip(_PAGE_FIELDS, got[key], row, strict=True):
            if name == "annotations":
                found, expected = json.loads(found or "{}"), json.loads(expected or "{}")
                for note in sorted((set(found) | set(expected)) - {"dup_group"}):
                    assert found.get(note) == expected.get(note), (key, note)
            else:
                assert found == expected, (key, name)
    assert _copies(got) == _copies(want)


def _copies(pages: dict[tuple[str, int], tuple[Any, ...]]) -> set[frozenset[str]]:
    """The near-duplicate groups of the pages, as sets of page keys."""
    groups: dict[str, set[str]] = {}
    for (doc_id, page_no), row in pages.items():
        key = f"{doc_id}:{page_no:05d}"
        group = json.loads(row[-1] or "{}").get("dup_group") or key
        groups.setdefault(group, {group}).add(key)
    return {frozenset(members) for members in groups.values()}


@needs_tesseract
@pytest.mark.ocr
def test_two_workers_store_what_the_local_pool_stores(tmp_path: Path, broker: str,
                                                      start_worker: Callable[..., Machine]
                                                      ) -> None:
    inputs = tmp_path / "release"
    inputs.mkdir()
    for name in ("scan_ntsb_12-rzcommu_1-058.pdf", "DERIVED_whiteboxes_ntsb_12-rzcommu_1-058.pdf",
                 "born_digital_san-jose-pd-firearm-sample.pdf"):
        shutil.copy(RESOURCES / name, inputs / name)
    write_text_pdf(inputs / "detainers.pdf", [*DETAINER_PAGES, ["Withheld (b)(6) DHS-000123"]])
    shutil.copy(RESOURCES / "emails" / "traversal_php-mime-mail-parser_m0027.eml", inputs)

    local_code, local, _ = _finish(_add(tmp_path / "local", inputs, None, "--jobs", "2"))
    first = start_worker("machine-a")
    # the second machine mounts scans/ elsewhere: ARCHIVE_SCANS says where
    (tmp_path / "mnt").mkdir()
    (tmp_path / "mnt" / "scans").symlink_to(tmp_path / "queued" / "scans")
    second = start_worker("machine-b", ARCHIVE_SCANS=str(tmp_path / "mnt" / "scans"))
    code, queued, _ = _finish(_add(tmp_path / "queued", inputs, broker))

    assert (code, sorted(queued["added"])) == (local_code, sorted(local["added"]))
    assert queued["pages"] == local["pages"] and queued["ocr_pages"] == local["ocr_pages"] >= 2
    _same_pages(_pages(tmp_path / "queued"), _pages(tmp_path / "local"))
    remote = first.pages_read() + second.pages_read()
    assert first.pages_read() and second.pages_read()  # both machines read pages
    assert len(remote) == len({(d, p) for d, p, _ in remote})  # each page read once
    with sqlite3.connect(tmp_path / "queued" / "index" / "catalog.sqlite") as db:
        emails = {row[0] for row in db.execute("SELECT doc_id FROM documents WHERE kind = 'email'")}
    assert emails and not emails & {d for d, _, _ in remote}  # printed emails: read locally


FAST = {"parse_timeout": "2", "ocr_timeout": "1", "broker_visibility_timeout": "6"}


def test_a_page_whose_worker_is_killed_is_read_by_another_and_stored_once(
        tmp_path: Path, broker: str, start_worker: Callable[..., Machine]) -> None:
    write_text_pdf(tmp_path / "in" / "slow.pdf", DETAINER_PAGES[:2])
    lost = start_worker("machine-a", HOOK_SLEEP="60", **_upper(FAST))
    add = _add(tmp_path / "home", tmp_path / "in", broker, "--ocr", "never", **FAST)
    _wait_for(lambda: lost.pages_read(), "machine-a to start a page")
    lost.kill()  # mid-page: its page is in no one's hands until the visibility timeout
    (doc_id, page_no, _), = lost.pages_read()
    survivor = start_worker("machine-b", **_upper(FAST))

    code, report, err = _finish(add, timeout=90)
    assert code == 0, err
    assert report["pages"] == 2 and not report["failed"]
    assert (doc_id, page_no) in {(d, p) for d, p, _ in survivor.pages_read()}
    pages = _pages(tmp_path / "home")
    assert sorted(pages) == [(doc_id, 1), (doc_id, 2)]
    assert "sally port" in pages[(doc_id, 2)][0]
    assert _search_total(tmp_path / "home", '"sally port"') == 1  # indexed once too


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_an_add_killed_midway_resumes_without_sending_stored_pages(
        tmp_path: Path, broker: str, start_worker: Callable[..., Machine],
        stop: signal.Signals) -> None:
    write_text_pdf(tmp_path / "in" / "long.pdf", [[f"Page {n} of the long report"] * 3
                                                  for n in range(1, 25)])
    machines = [start_worker(name, HOOK_SLEEP="0.3") for name in ("machine-a", "machine-b")]
    home = tmp_path / "home"
    add = _add(home, tmp_path / "in", broker, "--ocr", "never")
    _wait_for(lambda: len(_stored(home)) >= 4, "4 pages stored")
    add.send_signal(stop)
    _, err = add.communicate(timeout=30)
    if stop == signal.SIGINT:  # Ctrl-C: the add takes its pages off the queue and says so
        assert add.returncode == 130 and "run the same command again" in err
    stored = _stored(home)
    rerun = time.time()

    code, report, err = _finish(_add(home, tmp_path / "in", broker, "--ocr", "never"))
    assert code == 0, err
    assert len(_pages(home)) == 24
    assert report["pages"] == 24 - len(stored)
    sent_again = {(d, p) for m in machines for d, p, t in m.pages_read() if t > rerun} & stored
    assert not sent_again
    if stop == signal.SIGINT:  # its queued pages were revoked: few pages are read twice
        # (those being read, and any taken before the revocation arrived; with kill -9,
        # every page the first add had queued is read again, harmlessly: ~18 here)
        assert len([page for m in machines for page in m.pages_read()]) <= 24 + 6


def test_a_file_that_crashes_its_worker_fails_alone_after_bounded_tries(
        tmp_path: Path, broker: str, start_worker: Callable[..., Machine]) -> None:
    write_text_pdf(tmp_path / "in" / "poison.pdf", [["This page kills its reader"]])
    write_text_pdf(tmp_path / "in" / "good.pdf", DETAINER_PAGES[:2])
    machines = [start_worker(name) for name in ("machine-a", "machine-b")]

    code, report, err = _finish(_add(tmp_path / "home", tmp_path / "in", broker,
                                     "--ocr", "never", worker_tries="3"))
    assert code == 3, err
    assert [Path(name).name for name in report["added"]] == ["good.pdf", "poison.pdf"]
    (failure,) = report["failed"]
    assert Path(failure["file"]).name == "poison.pdf"
    assert "crashed or lost its page worker 3 times" in failure["error"]
    tries = [page for m in machines for page in m.pages_read() if page[1] == 1]
    poison_doc = {d for d, p, _ in tries} - {d for m in machines for d, p, _ in m.pages_read()
                                             if p == 2}
    assert len([t for t in tries if t[0] in poison_doc]) == 3  # then no more


@needs_tesseract
def test_a_worker_with_other_ocr_languages_refuses_and_says_why(
        tmp_path: Path, broker: str, start_worker: Callable[..., Machine]) -> None:
    from archive.read import ocr

    if "Latin" not in ocr.available_languages():
        pytest.skip("tesseract-ocr-script-latn is not installed")
    write_text_pdf(tmp_path / "in" / "memo.pdf", DETAINER_PAGES[:2])
    odd = start_worker("machine-odd", ARCHIVE_OCR_LANG="eng")
    add = _add(tmp_path / "home", tmp_path / "in", broker)  # the archive reads eng+Latin
    _wait_for(lambda: _refusals(broker), "the worker to refuse")
    listing = subprocess.run([PYTHON, "-m", "archive", "workers"], env=_env(broker),
                             capture_output=True, text=True, timeout=60, check=True).stdout
    assert "REFUSES: this worker reads 'eng', the archive 'eng+Latin'; set " \
           "ARCHIVE_OCR_LANG=eng+Latin" in listing
    assert not odd.pages_read()  # refused before reading anything
    start_worker("machine-good")

    code, report, err = _finish(add, timeout=90)
    assert code == 0, err
    assert report["pages"] == 2 and not report["failed"]
    assert "refuses this archive's pages: this worker reads 'eng'" in err
    assert not odd.pages_read()


def test_add_with_no_worker_says_so_and_the_local_default_is_unchanged(
        tmp_path: Path, broker: str, start_worker: Callable[..., Machine]) -> None:
    write_text_pdf(tmp_path / "in" / "memo.pdf", DETAINER_PAGES[:1])
    add = _add(tmp_path / "home", tmp_path / "in", broker, "--ocr", "never")
    time.sleep(3)
    assert add.poll() is None  # waiting, not failing
    start_worker("machine-a")
    code, report, err = _finish(add)
    assert code == 0 and report["pages"] == 1
    assert "no page worker is reading from" in err
    listing = json.loads(_archive(tmp_path / "home", broker, "workers", "--json"))
    assert listing["queued"] == 0
    assert [(w["pages"], w["refuses"]) for w in listing["workers"]] == [(1, "")]
    assert f"queue        {broker}: 1 page worker reading, 0 pages queued" in _archive(
        tmp_path / "home", broker, "check")
    code, report, err = _finish(_add(tmp_path / "local", tmp_path / "in", None, "--ocr", "never"))
    assert code == 0 and report["pages"] == 1 and "page worker" not in err


def _archive(home: Path, broker: str, *args: str) -> str:
    """The command's output (`check` exits 7 where tesseract is missing: its lines count)."""
    return subprocess.run([PYTHON, "-m", "archive", "--home", str(home), *args],
                          env=_env(broker), capture_output=True, text=True, timeout=60,
                          check=False).stdout


def _upper(settings: dict[str, str]) -> dict[str, str]:
    return {f"ARCHIVE_{k.upper()}": v for k, v in settings.items()}


def _wait_for(condition: Callable[[], Any], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout:g} s for {what}")
        time.sleep(0.05)


def _stored(home: Path) -> set[tuple[str, int]]:
    path = home / "index" / "catalog.sqlite"
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            return set(db.execute("SELECT doc_id, page_no FROM pages").fetchall())
    except sqlite3.OperationalError:  # not made yet
        return set()


def _search_total(home: Path, query: str) -> int:
    found = subprocess.run([PYTHON, "-m", "archive", "--home", str(home), "search", query,
                            "--json"], env=_env(None), capture_output=True, text=True,
                           timeout=60, check=True)
    return int(json.loads(found.stdout)["total"])


def _refusals(broker: str) -> dict[bytes, bytes]:
    import redis

    from archive.read import tasks

    return redis.Redis.from_url(broker).hgetall(tasks.REFUSALS)  # type: ignore[return-value]


@pytest.mark.parametrize("outage", ["down", "restarted"])
def test_redis_lost_mid_add_stops_it_with_a_message_and_a_rerun_finishes(
        tmp_path: Path, start_worker: Callable[..., Machine], outage: str) -> None:
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir",
               str(tmp_path), "--save", "", "--appendonly", "no"]
    write_text_pdf(tmp_path / "in" / "long.pdf", [[f"Page {n} of the long report"] * 3
                                                  for n in range(1, 41)])
    home = tmp_path / "home"
    with server_process(command, port):
        start_worker("machine-a", HOOK_SLEEP="0.3", ARCHIVE_BROKER_URL=url)
        add = _add(home, tmp_path / "in", url, "--ocr", "never")
        _wait_for(lambda: len(_stored(home)) >= 3, "3 pages stored")
    if outage == "restarted":  # back at once, empty: the queued pages are gone
        with server_process(command, port):
            code, _, err = _finish(add, timeout=60)
    else:
        code, _, err = _finish(add, timeout=60)
    assert code == 7, err  # the add stops, and says why and what to do
    assert "run the same `archive add` again" in err
    # a restart is seen as such, or as the queue being down, whichever the add saw first
    assert "restarted during the add" in err or "cannot be reached" in err
    stored = _stored(home)
    with server_process(command, port):  # back, empty: the worker reconnects by itself
        code, report, err = _finish(_add(home, tmp_path / "in", url, "--ocr", "never"))
    assert code == 0, err
    assert report["pages"] == 40 - len(stored) and len(_pages(home)) == 40


def test_a_visibility_timeout_shorter_than_a_page_is_refused_before_anything_is_sent(
        tmp_path: Path, broker: str) -> None:
    write_text_pdf(tmp_path / "in" / "memo.pdf", DETAINER_PAGES[:1])
    code, _, err = _finish(_add(tmp_path / "home", tmp_path / "in", broker, "--ocr", "never",
                                broker_visibility_timeout="60", ocr_timeout="30"))
    assert code == 2
    assert "ARCHIVE_BROKER_VISIBILITY_TIMEOUT (60 s) must be longer than a page's time limit " \
           "(390 s)" in err
