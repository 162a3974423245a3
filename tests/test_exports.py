"""Export every hit: CSV and JSON lines streamed from a real index of a few hundred pages,
over HTTP and from the CLI, and the matching pages bound into one stamped PDF.

The archive is real: born-digital PDFs (340 pages that say "sally port") added into SQLite
and Whoosh on disk, no OCR. One document's title (its file name) is a spreadsheet formula.
"""

from __future__ import annotations

import copy
import csv
import inspect
import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pymupdf
import pytest
from conftest import write_text_pdf
from jsonschema import Draft202012Validator

from archive import exports
from archive.config import Settings, load_settings
from archive.ingest.pipeline import add_production
from archive.search import streams
from archive.search.query import open_searcher
from web import create_app

FORMULA_TITLE = '=HYPERLINK("evil.example","click")'  # a file name: its title
QUERY = '"sally port"'


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("exports")
    write_text_pdf(root / "one" / f"{FORMULA_TITLE}.pdf",
                   [[f"Entry {n}: the sally port log", "Vehicle checked at the gate."]
                    for n in range(1, 301)] + [["A page about the weather only."]])
    write_text_pdf(root / "two" / "annex.pdf",
                   [[f"Annex {n}: the second sally port was closed."] for n in range(1, 41)])
    settings = load_settings(root / "home", jobs=1, ocr_mode="never", ocr_lang="eng")
    for folder, name, meta in (("one", "Release one", {"agency": "ICE",
                                                       "released": "2020-03-05"}),
                               ("two", "Release two", {"released": "2021-06-01"})):
        report = add_production([root / folder], settings, production=name, meta=meta)
        assert not report.failed, report.failed
    return settings


def client(settings: Settings, **overrides: Any) -> Any:
    chosen = load_settings(settings.home, **overrides)
    return create_app({"ARCHIVE_SETTINGS": chosen, "TESTING": True}).test_client()


def read_csv(data: bytes) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(data.decode()))
    assert tuple(reader.fieldnames or ()) == exports.COLUMNS
    return list(reader)


def test_the_csv_export_streams_every_matching_page(settings: Settings) -> None:
    response = client(settings).get(f"/search.csv?q={QUERY}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.is_streamed  # a generator's lines, not a body built first
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="search-sally-port.csv"'
    rows = read_csv(response.data)
    assert len(rows) == 340 == int(response.headers["X-Archive-Total"])
    assert len({(r["doc_id"], r["page"]) for r in rows}) == 340
    first = next(r for r in rows if r["page"] == "7" and r["production"] == "Release one")
    assert first["title"] == "'" + FORMULA_TITLE  # shown as text, never run
    assert first["agency"] == "ICE" and first["released"] == "2020-03-05"
    assert first["redacted"] == "no" and first["text_source"] == "text"
    assert first["url"] == f"http://localhost/doc/{first['doc_id']}/page/7"
    assert first["citation"].startswith("ICE, Release one (released 2020-03-05), ")
    assert f"p. 7 of 301, {first['url']} (accessed {date.today().isoformat()})" \
        in first["citation"]
    assert first["excerpt"] == "Entry 7: the sally port log Vehicle checked at the gate."
    assert float(first["score"]) > 0
    annex = [r for r in rows if r["production"] == "Release two"]
    assert len(annex) == 40 and annex[0]["released"] == "2021-06-01"


def test_an_export_keeps_the_filters_and_its_bound(settings: Settings) -> None:
    narrowed = read_csv(client(settings).get(f"/search.csv?q={QUERY}&production=release-two")
                        .data)
    assert {r["production"] for r in narrowed} == {"Release two"} and len(narrowed) == 40
    by_agency = read_csv(client(settings).get(f"/search.csv?q={QUERY}&agency=ICE").data)
    assert {r["agency"] for r in by_agency} == {"ICE"} and len(by_agency) == 300
    bounded = client(settings, export_max_rows=100).get(f"/search.csv?q={QUERY}")
    assert len(read_csv(bounded.data)) == 100
    assert bounded.headers["X-Archive-Total"] == "340"
    assert bounded.headers["X-Archive-Rows"] == "100"
    bad = client(settings).get('/search.csv?q="sally')
    assert bad.status_code == 400 and b"unbalanced quote" in bad.data


def test_hits_are_read_a_chunk_at_a_time(settings: Settings,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streams, "CHUNK", 64)  # 340 hits: six chunks
    with open_searcher(settings) as searcher:
        found = streams.export(searcher, QUERY, settings, streams.Window(), 100_000)
        assert found is not None and found.total == 340 and not found.truncated
        hits = found.hits()
        assert inspect.isgenerator(hits)
        first = next(hits)
        assert first.page == 1 and first.title == FORMULA_TITLE  # index order
        rest = list(hits)
    assert len(rest) + 1 == 340
    assert len({(h.doc_id, h.page) for h in [first, *rest]}) == 340


def test_jsonl_rows_match_the_openapi_description(settings: Settings) -> None:
    app = client(settings)
    spec = app.get("/openapi.json").json
    root = {**copy.deepcopy(spec), "$ref": "#/components/schemas/ExportRow"}
    root["components"]["schemas"]["ExportRow"]["additionalProperties"] = False
    validator = Draft202012Validator(root)
    response = app.get(f"/api/search?q={QUERY}&format=jsonl")
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
    assert response.is_streamed
    lines = response.data.decode().splitlines()
    assert len(lines) == 340
    for line in lines:
        errors = list(validator.iter_errors(json.loads(line)))
        assert not errors, errors[0].message
    row = json.loads(lines[0])
    assert row["title"] == FORMULA_TITLE  # JSON is not a spreadsheet: kept as it is
    assert row["exemptions"] == [] and row["bates"] is None
    paged = app.get(f"/api/search?q={QUERY}").json  # without format: the JSON contract
    assert paged["total"] == 340 and len(paged["hits"]) == 20


def archive(settings: Settings, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive", "--home", str(settings.home),
                           *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env})


def test_the_cli_writes_every_hit_as_csv_or_json_lines(settings: Settings) -> None:
    as_csv = archive(settings, "search", QUERY, "--all", "--format", "csv",
                     ARCHIVE_BASE_URL="https://foia.example.org")
    assert as_csv.returncode == 0, as_csv.stderr
    rows = read_csv(as_csv.stdout.encode())
    assert len(rows) == 340
    assert all(r["url"].startswith("https://foia.example.org/doc/") for r in rows)
    as_jsonl = archive(settings, "search", QUERY, "--all", "--format", "jsonl")
    found = [json.loads(line) for line in as_jsonl.stdout.splitlines()]
    assert len(found) == 340 and found[0]["url"].startswith("/doc/")  # no base URL: paths
    bounded = archive(settings, "search", QUERY, "--all", ARCHIVE_EXPORT_MAX_ROWS="50")
    assert len(read_csv(bounded.stdout.encode())) == 50
    assert "only the first 50 of 340 matching pages" in bounded.stderr


def test_download_these_pages_binds_them_stamped_with_citations(settings: Settings) -> None:
    app = client(settings, export_max_pdf_pages=6)
    response = app.get(f"/search.pdf?q={QUERY}&production=release-two")
    data = response.data
    response.close()  # as a server does once sent: the file is closed (and gone from disk)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == \
        "attachment; filename=search-sally-port.pdf"
    best = app.get(f"/api/search?q={QUERY}&production=release-two").json["hits"][:6]
    with pymupdf.open(stream=data, filetype="pdf") as pdf:
        assert pdf.page_count == 6
        for page, hit in zip(pdf, best, strict=True):
            assert len(page.get_images()) == 1  # the page image, as rendered for the viewer
            stamp = " ".join(page.get_text().split())
            assert f'"annex", p. {hit["page"]} of 40, ' in stamp
            assert f"http://localhost/doc/{hit['doc_id']}/page/{hit['page']}" in stamp
            assert stamp.startswith("Release two (released 2021-06-01), ")
    nothing = app.get("/search.pdf?q=xylophone")
    assert nothing.status_code == 404


@pytest.mark.parametrize(("cell", "safe"), [
    ("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("plain", "plain"), ("a=b", "a=b"), ("", ""),
])
def test_cells_that_start_a_formula_are_neutralised(cell: str, safe: str) -> None:
    assert exports.neutralise(cell) == safe


def test_an_empty_archive_exports_a_header(tmp_path: Path) -> None:
    empty = load_settings(tmp_path / "home")
    app = create_app({"ARCHIVE_SETTINGS": empty, "TESTING": True}).test_client()
    assert read_csv(app.get("/search.csv?q=port").data) == []
    assert app.get("/search.atom?q=port").status_code == 200
