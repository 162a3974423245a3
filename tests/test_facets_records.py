"""Facets that matter beside production, exemption and redacted: the releasing agency, the
year of the record's own date and the kind of page, in the index, `search --json`,
`/api/search` and the reading room's HTML.

One archive (no OCR), three productions:
- "ICE release" (U.S. Immigration and Customs Enforcement): emails.pdf, three printed emails
  of March 2017 (born-digital); memo.pdf, a letter dated June 5, 2019 (born-digital);
  scan.pdf, one image-only page (a scan left unread: no OCR here);
- "FBI release" (Federal Bureau of Investigation): mail.eml, a native email of 2018;
- "Load file release" (U.S. Immigration and Customs Enforcement): a litigation export, five
  page images in three documents (the first an email of March 21, 2017, per its .dat).
"""

from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pymupdf
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from test_foia_archive import _release
from test_loadfile_productions import write_production

from archive import cli
from archive.config import Settings, load_settings
from archive.foia.kinds import KINDS, page_kind
from archive.ingest.pipeline import add_production
from archive.search.query import open_searcher, search

ICE = "U.S. Immigration and Customs Enforcement"
FBI = "Federal Bureau of Investigation"
EVERYTHING = ('production_id:"ice-release" OR production_id:"fbi-release" OR '
              'production_id:"load-file-release"')


def _memo(folder: Path) -> None:
    doc = pymupdf.open()
    doc.new_page(width=612, height=792).insert_textbox(
        pymupdf.Rect(72, 72, 540, 720), "June 5, 2019\n\nMemorandum for the field office\n\n"
        "The detainer policy is under review; no transfers to the sally port until further "
        "notice.", fontsize=11)
    doc.save(folder / "memo.pdf")
    scan = pymupdf.open()
    page = scan.new_page(width=612, height=792)
    pixmap = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 200, 260), False)
    pixmap.clear_with(200)
    page.insert_image(page.rect, pixmap=pixmap)
    scan.save(folder / "scan.pdf")


def _mail(folder: Path) -> None:
    folder.mkdir(parents=True)
    msg = EmailMessage()
    msg["From"] = "Records Office <records@fbi.gov>"
    msg["To"] = "Requester <requester@example.org>"
    msg["Subject"] = "Your request about the sally port"
    msg["Date"] = "Mon, 12 Feb 2018 09:30:00 -0500"
    msg.set_content("The records you asked for about the sally port are attached.\n")
    (folder / "mail.eml").write_bytes(msg.as_bytes())


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("facets")
    settings = load_settings(root / "home", jobs=1, ocr_mode="never", ocr_lang="eng")
    ice = _release(root / "ice", ["ICE-000001", "ICE-000002", "ICE-000003"], boxes=1)
    _memo(ice)
    _mail(root / "fbi")
    loads = write_production(root / "loads")
    for folder, name, agency in ((ice, "ICE release", ICE), (root / "fbi", "FBI release", FBI),
                                 (loads, "Load file release", ICE)):
        report = add_production([folder], settings, production=name, meta={"agency": agency})
        assert not report.failed, report.failed
    return settings


def _facets(settings: Settings, q: str = EVERYTHING, **kw: Any) -> tuple[int, dict[str, Any]]:
    with open_searcher(settings) as searcher:
        found = search(searcher, q, settings, **kw)
    return found.total, found.to_json()["facets"]


def test_the_five_kinds_are_decided_in_one_place() -> None:
    assert list(KINDS) == ["email", "printed-email", "scan", "born-digital", "load-file"]
    email = {"email": {"from": "a", "to": "b"}}
    assert page_kind("email", "text", email) == "email"  # a native message, printed
    assert page_kind("loadfile", "ocr", email) == "load-file"
    assert page_kind("pdf", "ocr", email) == page_kind("pdf", "text", email) == "printed-email"
    assert page_kind("image", "ocr", {}) == page_kind("pdf", "none", {}) == "scan"
    assert page_kind("pdf", "text", {}) == page_kind("text", "text", {}) == "born-digital"


def test_the_facets_count_agency_year_and_kind(home: Settings) -> None:
    total, facets = _facets(home)
    assert total == 11
    assert facets["agency"] == {ICE: 10, FBI: 1}
    assert facets["kind"] == {"printed-email": 3, "born-digital": 1, "scan": 1, "email": 1,
                              "load-file": 5}
    assert facets["year"]["2017"] == 3 + 2  # the printed emails, the load file's email
    assert facets["year"]["2018"] == 1 and facets["year"]["2019"] == 1
    narrowed_total, narrowed = _facets(home, production="load-file-release")
    assert narrowed_total == 5 and narrowed["kind"] == {"load-file": 5}


@pytest.mark.parametrize(("query", "total"), [
    ("kind:printed-email", 3),
    ('agency_name:"Federal Bureau of Investigation"', 1),
    ('"sally port" AND year:2017', 3),
    ('"sally port" AND year:2019 AND kind:born-digital', 1),
])
def test_the_facet_fields_can_be_searched(home: Settings, query: str, total: int) -> None:
    assert _facets(home, query)[0] == total


def test_search_json_carries_the_new_facets(home: Settings) -> None:
    result = CliRunner().invoke(cli.cli, ["--home", str(home.home), "search", '"sally port"',
                                          "--json"])
    assert result.exit_code == 0, result.output
    facets = json.loads(result.output)["facets"]
    assert facets["agency"] == {ICE: 4, FBI: 1}
    assert facets["kind"] == {"printed-email": 3, "born-digital": 1, "email": 1}
    assert facets["year"] == {"2017": 3, "2018": 1, "2019": 1}


@pytest.fixture(scope="module")
def client(home: Settings):  # type: ignore[no-untyped-def]
    from web import create_app

    return create_app({"ARCHIVE_HOME": str(home.home), "TESTING": True}).test_client()


def test_api_search_filters_by_agency_year_and_kind(client) -> None:  # type: ignore[no-untyped-def]
    data = client.get("/api/search?q=%22sally+port%22").json
    assert data["facets"]["kind"]["printed-email"] == 3
    by_fbi = client.get("/api/search", query_string={"q": '"sally port"', "agency": FBI}).json
    assert [h["production"] for h in by_fbi["hits"]] == ["FBI release"]
    assert by_fbi["facets"]["agency"] == {FBI: 1}
    in_2019 = client.get("/api/search?q=%22sally+port%22&year=2019").json
    assert [h["title"] for h in in_2019["hits"]] == ["memo"]
    printed = client.get("/api/search?q=%22sally+port%22&kind=printed-email&year=2017").json
    assert printed["total"] == 3 and printed["facets"]["year"] == {"2017": 3}
    ignored = client.get("/api/search?q=%22sally+port%22&kind=fax&year=17").json
    assert ignored["total"] == data["total"]  # values that mean nothing are dropped


def _html(response: Any) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.data, "html.parser")


def test_the_reading_room_shows_and_applies_the_facets(client) -> None:  # type: ignore[no-untyped-def]
    page = _html(client.get("/search?q=%22sally+port%22"))
    kinds = {a.get_text(): a["href"] for a in page.select('[data-facet="kind"] li a')}
    assert list(kinds) == ["Email", "Printed email", "Born-digital"]  # in KINDS' order
    agencies = [a.get_text() for a in page.select('[data-facet="agency"] li a')]
    assert agencies == [ICE, FBI]  # most pages first
    years = [a.get_text() for a in page.select('[data-facet="year"] li a')]
    assert years == ["2017", "2018", "2019"]
    narrowed = _html(client.get(kinds["Printed email"]))
    assert narrowed.select_one("h1.summary strong").get_text() == "3"
    assert " ".join(narrowed.select_one("p.filters").get_text().split()) == (
        "Only pages of the kind Printed email ×")
    year_link = next(a["href"] for a in narrowed.select('[data-facet="year"] li a'))
    both = _html(client.get(year_link))
    assert parse_qs(urlsplit(year_link).query) == {"q": ['"sally port"'],
                                                   "kind": ["printed-email"], "year": ["2017"]}
    assert " ".join(both.select_one("p.filters").get_text().split()) == (
        "Only pages of a record dated in 2017 ×, of the kind Printed email ×")
    clear = both.select_one('[data-facet="kind"] a.clear')
    assert parse_qs(urlsplit(clear["href"]).query) == {"q": ['"sally port"'], "year": ["2017"]}
    kept = [i["name"] for i in both.select("form.searchbox input[type=hidden]")]
    assert "kind" in kept and "year" in kept  # a new search keeps the filters
