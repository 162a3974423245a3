"""FOIA fields end to end: release metadata, query fields, JSON, duplicates, collapse, CLI.

One archive is built per module (two productions of born-digital PDFs: adding runs the real
worker pool, so it is done once); tests that change it build their own.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pymupdf
import pytest
from click.testing import CliRunner

from archive import cli, records, releases
from archive.catalog import Catalog
from archive.config import Settings, load_settings
from archive.errors import InvalidMetadataError, NotFoundError
from archive.ingest.pipeline import add_production
from archive.search.query import bates_lookup, open_searcher, search

BODY = ("Hennepin County Adult Detention Center released an alien out the front door of the "
        "jail as an ICE officer was waiting in their sally port to take him into custody. ")
OTHER = [  # what makes each page its own record
    "The facility declined the detainer again and the field office will report the outcome "
    "to headquarters by the end of the week, with the names of the deputies on shift. ",
    "Rikers Island transferred two detainees without notice; the liaison asked the county "
    "attorney for the written policy and a list of every release since January. ",
    "A judicial warrant was requested from the magistrate on Monday, but the clerk's office "
    "closed early because of the snowstorm, so nothing was filed before the transfer. ",
]


def _email_page(page: pymupdf.Page, subject: str, sent: str, stamp: str, body: str,
                boxes: int) -> None:
    header = (f"From: (b)(6); (b)(7)(C)\nSent: {sent}\nTo: ERO Duty Officer\n"
              f"Subject: {subject}\n\n")
    page.insert_textbox(pymupdf.Rect(72, 72, 540, 700), header + body, fontsize=10)
    for n in range(boxes):
        page.draw_rect(pymupdf.Rect(300, 90 + 40 * n, 420, 102 + 40 * n), color=(0, 0, 0),
                       fill=(0, 0, 0))
    page.insert_text((420, 770), stamp, fontsize=9)


def _release(folder: Path, stamps: list[str], boxes: int) -> Path:
    folder.mkdir(parents=True)
    doc = pymupdf.open()
    for n, stamp in enumerate(stamps):
        _email_page(doc.new_page(width=612, height=792), f"Detainer outcome {n + 1}",
                    f"Tuesday, March {21 + n}, 2017 10:47 AM", stamp, BODY + OTHER[n] * 3,
                    boxes)
    doc.save(folder / "emails.pdf")
    return folder


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("foia")
    settings = load_settings(root / "home", jobs=1, ocr_mode="never", ocr_lang="eng")
    first = _release(root / "first", ["2019-ICLI-00003 022454", "2019-ICLI-00003 022455",
                                      "2019-ICLI-00003 022456"], boxes=1)
    add_production([first], settings, production="ICE release 1", meta={
        "agency": "U.S. Immigration and Customs Enforcement",
        "request_number": "2019-ICLI-00003", "released": "2020-03-05", "interim": "1"})
    # the same emails released again later, re-stamped and redacted differently
    second = _release(root / "second", ["ICE-2-000001", "ICE-2-000002", "ICE-2-000003"],
                      boxes=2)
    add_production([second], settings, production="ICE release 2",
                   meta={"agency": "ICE", "released": "2021-06-01"})
    return settings


def _hits(settings: Settings, q: str, **kw: object) -> list:
    with open_searcher(settings) as searcher:
        return search(searcher, q, settings, pagelen=50, **kw).hits  # type: ignore[arg-type]


def test_hit_json_carries_the_foia_fields(home: Settings) -> None:
    hits = _hits(home, '"sally port" AND production:"ICE release 1"')
    assert len(hits) == 3
    data = next(h.to_json() for h in hits if h.page == 2)
    assert data["bates"] == "2019-ICLI-00003 022455"
    assert data["exemptions"] == ["(b)(6)", "(b)(7)(C)"]
    assert data["redactions"] == {"count": 1, "area": pytest.approx(0.003, abs=0.002)}
    assert data["email"]["subject"] == "Detainer outcome 2"
    assert data["email"]["date"] == data["record_date"] == "2017-03-22"
    assert data["production_meta"] == {
        "name": "ICE release 1", "agency": "U.S. Immigration and Customs Enforcement",
        "request_number": "2019-ICLI-00003", "released": "2020-03-05", "interim": 1,
        "source_url": None}


@pytest.mark.parametrize(("query", "pages"), [
    ("exemption:b7c AND production:\"ICE release 1\"", [1, 2, 3]),
    ("exemption:(b)(7)(C) AND bates:2019*", [1, 2, 3]),
    ("bates:ICLI-00003-022455", [2]),  # leading prefix omitted, punctuation ignored
    ("bates:\"2019-ICLI-00003 022456\"", [3]),
    ("bates:[ICLI-00003-022455 TO ICLI-00003-022460]", [2, 3]),
    ("subject:\"detainer outcome 3\"", [3, 3]),  # both releases
    ("date:[2017-03-22 TO 2017-03-31] AND production:\"ICE release 2\"", [2, 3]),
    ("released:[2021-01-01 TO 2021-12-31]", [1, 2, 3]),
    ("redacted:yes AND agency:customs", [1, 2, 3]),
    ("from:ero OR to:ero", [1, 1, 2, 2, 3, 3]),
])
def test_query_fields(home: Settings, query: str, pages: list[int]) -> None:
    assert sorted(h.page for h in _hits(home, query)) == pages


def test_a_bare_bates_number_finds_its_page_first(home: Settings) -> None:
    hits = _hits(home, "ICLI-00003-022455")
    assert (hits[0].page, hits[0].extra["bates"]) == (2, "2019-ICLI-00003 022455")
    with open_searcher(home) as searcher:
        assert bates_lookup(searcher, "2019-ICLI-00003-022456") == (hits[0].doc_id, 3)
        assert bates_lookup(searcher, "ICE-2-000009") is None
        assert bates_lookup(searcher, "sally port") is None


def test_facets_count_exemptions_per_production(home: Settings) -> None:
    with open_searcher(home) as searcher:
        results = search(searcher, "custody", home, production="ice-release-2")
    assert results.facets["exemption"] == {"b6": 3, "b7c": 3}
    assert results.facets["redacted"] == {"yes": 3}
    facets = results.to_json()["facets"]  # `search --json` and /api/search
    assert facets["exemption"] == {"(b)(6)": 3, "(b)(7)(C)": 3}
    assert facets["production"] == {"ice-release-2": 3}


def test_duplicates_across_releases_and_collapse(home: Settings) -> None:
    hits = _hits(home, '"sally port"')
    assert len(hits) == 6
    collapsed = _hits(home, '"sally port"', collapse=True)
    assert sorted(h.extra["bates"] for h in collapsed) == [
        "2019-ICLI-00003 022454", "2019-ICLI-00003 022455", "2019-ICLI-00003 022456"]
    first = collapsed[0]
    with Catalog(home.catalog_path, readonly=True) as catalog:
        page = records.for_page(catalog, first.doc_id, first.page)
    assert page is not None
    assert [(d["page"], d["production"]) for d in page["duplicates"]] == [
        (first.page, "ICE release 2")]
    assert len(page["redactions"]["boxes"]) == 1


def test_a_failing_duplicates_query_surfaces(home: Settings, tmp_path: Path) -> None:
    """A catalog error is raised, never read as "no duplicates" (it once was swallowed)."""
    hit = _hits(home, '"sally port"')[0]
    broken = tmp_path / "catalog.sqlite"
    with Catalog(home.catalog_path, readonly=True) as catalog:
        catalog.db.execute(f"VACUUM INTO '{broken}'")
    with Catalog(broken) as catalog:
        assert records.for_page(catalog, hit.doc_id, hit.page)["duplicates"]  # type: ignore[index]
        catalog.db.execute("DROP TABLE page_duplicates")
    with Catalog(broken, readonly=True) as catalog, \
            pytest.raises(sqlite3.OperationalError, match="page_duplicates"):
        records.for_page(catalog, hit.doc_id, hit.page)


def test_unrelated_pages_are_not_duplicates(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "other"
    folder.mkdir()
    for n, text in enumerate((BODY + OTHER[0] * 3, BODY + OTHER[1] * 3)):
        doc = pymupdf.open()  # two documents sharing one sentence and the genre
        doc.new_page().insert_textbox(pymupdf.Rect(72, 72, 540, 720), text, fontsize=10)
        doc.save(folder / f"memo{n}.pdf")
    add_production([folder], settings, production="One")
    with Catalog(settings.catalog_path, readonly=True) as catalog:
        doc_ids = [d["doc_id"] for d in catalog.documents()]
        assert len(doc_ids) == 2
        for doc_id in doc_ids:
            assert records.for_page(catalog, doc_id, 1)["duplicates"] == []  # type: ignore[index]
        assert catalog.db.execute("SELECT COUNT(*) FROM page_signatures").fetchone()[0] == 2


def test_production_edit_reindexes_without_reading_again(settings: Settings,
                                                          tmp_path: Path) -> None:
    folder = _release(tmp_path / "rel", ["DHS-000001"], boxes=0)
    add_production([folder], settings, production="DHS")
    assert _hits(settings, "agency:homeland") == []
    changed = releases.edit_production(settings, "dhs", {
        "agency": "U.S. Dept. of Homeland Security", "released": "2020-03-05"})
    assert changed["agency"] == "U.S. Dept. of Homeland Security"
    hits = _hits(settings, "agency:homeland AND released:2020")
    assert [h.extra["production_meta"]["released"] for h in hits] == ["2020-03-05"]
    assert [p["name"] for p in releases.list_productions(settings)] == ["DHS"]
    with pytest.raises(InvalidMetadataError, match="YYYY-MM-DD"):
        releases.edit_production(settings, "DHS", {"released": "March 2020"})
    with pytest.raises(NotFoundError, match="known: DHS"):
        releases.edit_production(settings, "FBI", {"agency": "FBI"})


def test_cli_release_options(tmp_path: Path) -> None:
    folder = _release(tmp_path / "rel", ["DHS-000001"], boxes=1)
    home = tmp_path / "home"
    runner = CliRunner()
    bad = runner.invoke(cli.cli, ["--home", str(home), "add", str(folder), "--ocr", "never",
                                  "--released", "2020-02-30"], standalone_mode=False)
    assert isinstance(bad.exception, InvalidMetadataError)
    assert bad.exception.exit_code == 2
    ok = runner.invoke(cli.cli, ["--home", str(home), "add", str(folder), "--jobs", "1",
                                 "--ocr", "never", "--production", "DHS 1", "--agency", "DHS",
                                 "--request-number", "2019-ICLI-00003", "--released",
                                 "2020-03-05", "--interim", "2", "--source-url",
                                 "https://example.org/foia"])
    assert ok.exit_code == 0, ok.output
    edited = runner.invoke(cli.cli, ["--home", str(home), "production", "edit", "DHS 1",
                                     "--agency", "U.S. DHS"])
    assert edited.exit_code == 0 and "U.S. DHS" in edited.output
    listed = runner.invoke(cli.cli, ["--home", str(home), "production", "list", "--json"])
    assert json.loads(listed.output)[0] | {"documents": 1} == {
        "slug": "dhs-1", "name": "DHS 1", "agency": "U.S. DHS",
        "request_number": "2019-ICLI-00003", "released": "2020-03-05", "interim": 2,
        "source_url": "https://example.org/foia", "notes": None, "documents": 1, "pages": 1}
    found = runner.invoke(cli.cli, ["--home", str(home), "search", "exemption:b6",
                                    "--collapse", "--json"])
    hit = json.loads(found.output)["hits"][0]
    assert hit["bates"] == "DHS-000001" and hit["redactions"]["count"] == 1
