"""The `archive` command as a user runs it: JSON contracts, exit codes, plain errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import needs_tesseract


def run(home: Path, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ARCHIVE_JOBS": "1", "ARCHIVE_OCR_LANG": "eng"}
    proc = subprocess.run([sys.executable, "-m", "archive", "--home", str(home), *args],
                          capture_output=True, text=True, env=env, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture
def home(tmp_path: Path, make_pdf) -> Path:
    home = tmp_path / "arch"
    folder = tmp_path / "dhs-release"
    make_pdf("emails.pdf", "t:Sent: March 21, 2017. The sally port at Hennepin County.",
             "t:A second page about a declined detainer.", folder=folder)
    proc = run(home, "add", str(folder), "--production", "DHS ICE detainers, Oct 2017",
               "--ocr", "never", "--json", check=True)
    report = json.loads(proc.stdout)
    assert report["added"] == [str(folder / "emails.pdf")]
    assert report["unchanged"] == [] and report["failed"] == []
    return home


def test_search_json_contract(home: Path) -> None:
    data = json.loads(run(home, "search", '"sally port"', "--json", check=True).stdout)
    assert data["query"] == '"sally port"' and data["total"] == 1
    (hit,) = data["hits"]
    assert hit["page"] == 1 and hit["title"] == "emails"
    assert hit["production"] == "DHS ICE detainers, Oct 2017"
    assert hit["url"] == f"/doc/{hit['doc_id']}/page/1"
    assert hit["text_source"] == "text"
    assert "<mark>sally</mark> <mark>port</mark>" in hit["excerpt"]
    assert len(hit["doc_id"]) == 16


def test_search_text_output_and_limit(home: Path) -> None:
    out = run(home, "search", "sally OR detainer", "--limit", "1", check=True).stdout
    assert out.startswith("2 matching pages")
    assert out.count("/doc/") == 1


def test_stats_json(home: Path) -> None:
    data = json.loads(run(home, "stats", "--json", check=True).stdout)
    assert data == {"productions": 1, "documents": 1, "pages": 2, "ocr_pages": 0}


def test_show_prints_page_text_and_source(home: Path) -> None:
    doc_id = json.loads(run(home, "search", "detainer", "--json").stdout)["hits"][0]["doc_id"]
    out = run(home, "show", doc_id, "2", check=True).stdout
    assert "p. 2 of 2" in out and "text from: text" in out and "declined detainer" in out
    missing = run(home, "show", doc_id, "9")
    assert missing.returncode == 5 and f"document {doc_id} has 2 pages" in missing.stderr


def test_bad_query_is_a_message_not_a_traceback(home: Path) -> None:
    proc = run(home, "search", '"sally port')
    assert proc.returncode == 4
    assert "unbalanced quote" in proc.stderr and "Traceback" not in proc.stderr


def test_usage_error_exit_code(home: Path) -> None:
    proc = run(home, "add")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_partial_failure_exit_code(home: Path, tmp_path: Path, resources: Path) -> None:
    proc = run(home, "add", str(resources / "encrypted_pdfplumber_password-example.pdf"),
               "--production", "Locked", "--ocr", "never", "--json")
    assert proc.returncode == 3
    (failure,) = json.loads(proc.stdout)["failed"]
    assert failure["file"].endswith("encrypted_pdfplumber_password-example.pdf")
    assert "password-protected" in failure["error"]


def test_reindex_rebuilds_without_ocr(home: Path) -> None:
    assert "reindexed 2 pages" in run(home, "reindex", check=True).stdout
    data = json.loads(run(home, "search", '"sally port"', "--json", check=True).stdout)
    assert data["total"] == 1


@pytest.mark.ocr  # `archive check` runs tesseract (its version and languages)
@needs_tesseract
def test_check_reports_tesseract_and_index(home: Path) -> None:
    proc = run(home, "check")
    assert proc.returncode == 0, proc.stdout
    assert re.search(r"^tesseract    \S*\d+\.\d+\S* \(languages: .*\beng\b", proc.stdout, re.M)
    assert "catalog      1 documents, 2 pages" in proc.stdout
    assert "index        2 pages indexed" in proc.stdout


def test_home_from_environment(home: Path) -> None:
    env = {**os.environ, "ARCHIVE_HOME": str(home)}
    proc = subprocess.run([sys.executable, "-m", "archive", "stats", "--json"],
                          capture_output=True, text=True, env=env, cwd="/", timeout=60)
    assert json.loads(proc.stdout)["pages"] == 2


def test_without_tesseract_check_and_add_give_the_install_command(
        tmp_path: Path, make_pdf) -> None:  # type: ignore[no-untyped-def]
    no_tesseract = tmp_path / "bin"  # a PATH on which tesseract cannot be found
    no_tesseract.mkdir()
    env = {**os.environ, "PATH": str(no_tesseract), "ARCHIVE_JOBS": "1"}
    home = tmp_path / "home"

    def archive(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "archive", "--home", str(home), *args],
                              capture_output=True, text=True, env=env, timeout=120)

    hint = ("tesseract not found; install it with `apt-get install tesseract-ocr "
            "tesseract-ocr-eng`, then run `archive check`")
    check = archive("check")
    assert check.returncode == 7
    assert f"ERROR        {hint}\n" in check.stdout
    assert "catalog      empty (run `archive add`)" in check.stdout
    scan = make_pdf("scan.pdf", "s:A scanned page about a sally port")
    added = archive("add", str(scan), "--production", "Scans")
    assert added.returncode == 7 and added.stderr == f"archive: {hint}\n"


def test_counts_agree_with_their_nouns(tmp_path: Path, make_pdf) -> None:  # type: ignore[no-untyped-def]
    one = make_pdf("one.pdf", "t:A single page about a sally port.", folder=tmp_path / "one")
    proc = run(tmp_path / "arch", "add", str(one), "--ocr", "never", check=True)
    assert proc.stdout.splitlines()[-1] == (
        "1 added, 0 already present, 0 failed; 1 page read, 0 by OCR")
    found = run(tmp_path / "arch", "search", "sally", check=True)
    assert found.stdout.splitlines()[0] == "1 matching page"
