"""The reading room hardened: bounded page images, trusted hosts and public links, the end of
paging, sandboxed originals, collapse counts, counted nouns and Bates numbers as stamped.

Two archives are built once for the module (born-digital PDFs, no OCR):
- `strips`: "Strip release", one document of two pages of extreme aspect: 2 x 14,390 pt
  (a strip) and 14,390 x 2 pt;
- `releases`: the same three printed emails released twice. "Late release" (2021-06-01) is
  added first and "Early release" (2020-03-05) second, so collapsing must replace pages it
  met first. The early copy is stamped as OCR reads a stamp (`2019-ICLI-00003 -022454`) and
  opens with JavaScript (/OpenAction).
"""

from __future__ import annotations

import dataclasses
import http.client
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pymupdf
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from conftest import free_port, server_process
from PIL import Image
from test_foia_archive import BODY, OTHER  # the same released emails

from archive.catalog import Catalog
from archive.cli import cli
from archive.config import Settings, load_settings
from archive.errors import SettingError
from archive.ingest.pipeline import add_production
from archive.search.query import open_searcher, search
from web import create_app
from web.headers import CONTENT_SECURITY_POLICY, RELEASED_FILE_POLICY
from web.server import listening_config

STRIP = (2, 14390)  # points: 130 x 929,155 pixels as a 200-pixel thumbnail, before the bound
JAVASCRIPT = "<</S/JavaScript/JS(app.alert('released record'))>>"


def _strips(folder: Path) -> None:
    folder.mkdir(parents=True)
    doc = pymupdf.open()
    doc.new_page(width=STRIP[0], height=STRIP[1])
    doc.new_page(width=STRIP[1], height=STRIP[0])
    doc.save(folder / "strip.pdf")


def _emails(folder: Path, stamps: list[str], *, script: bool = False) -> None:
    folder.mkdir(parents=True)
    doc = pymupdf.open()
    for n, stamp in enumerate(stamps):
        page = doc.new_page(width=612, height=792)
        header = (f"From: (b)(6)\nSent: Tuesday, March {21 + n}, 2017 10:47 AM\n"
                  f"To: ERO Duty Officer\nSubject: Detainer outcome {n + 1}\n\n")
        page.insert_textbox(pymupdf.Rect(72, 72, 540, 700), header + BODY + OTHER[n] * 3,
                            fontsize=10)
        page.draw_rect(pymupdf.Rect(300, 90, 420, 102), color=(0, 0, 0), fill=(0, 0, 0))
        page.insert_text((400, 770), stamp, fontsize=9)
    if script:
        doc.xref_set_key(doc.pdf_catalog(), "OpenAction", JAVASCRIPT)
    doc.save(folder / "emails.pdf")


@pytest.fixture(scope="module")
def strips(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("strips")
    settings = load_settings(root / "home", jobs=1, ocr_mode="never", ocr_lang="eng")
    _strips(root / "strip")
    report = add_production([root / "strip"], settings, production="Strip release")
    assert not report.failed, report.failed
    return settings


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("releases")
    settings = load_settings(root / "home", jobs=1, ocr_mode="never", ocr_lang="eng")
    _emails(root / "late", ["ICE-2-000001", "ICE-2-000002", "ICE-2-000003"])
    _emails(root / "early", ["2019-ICLI-00003 -022454", "2019-ICLI-00003 -022455",
                             "2019-ICLI-00003 -022456"], script=True)
    for folder, name, released in (("late", "Late release", "2021-06-01"),
                                   ("early", "Early release", "2020-03-05")):
        report = add_production([root / folder], settings, production=name,
                                meta={"agency": "ICE", "released": released})
        assert not report.failed, report.failed
    return settings


def _doc_id(settings: Settings, production: str) -> str:
    with Catalog(settings.catalog_path, readonly=True) as catalog:
        for row in catalog.documents():
            names = [p["name"] for p in catalog.document_productions(row["doc_id"])]
            if production in names:
                return str(row["doc_id"])
    raise KeyError(production)


def _client(settings: Settings, **config: Any) -> Any:
    return create_app({"ARCHIVE_SETTINGS": settings, "TESTING": True, **config}).test_client()


def html(response: Any) -> BeautifulSoup:
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def words(tag: Any) -> str:
    return " ".join(tag.get_text(" ").split())


def _png_size(client: Any, url: str) -> tuple[int, int]:
    with client.get(url) as response:
        assert response.status_code == 200 and response.content_type == "image/png"
        data = response.data
    with Image.open(io.BytesIO(data)) as image:
        return image.size


# --- 8. page images have a pixel bound -------------------------------------------------------


@pytest.mark.parametrize("kind", ["thumb", "image"])
def test_an_extreme_page_renders_within_the_bound(strips: Settings, kind: str) -> None:
    client, doc_id = _client(strips), _doc_id(strips, "Strip release")
    limit, side = strips.view_max_pixels, strips.view_max_side
    tall = _png_size(client, f"/doc/{doc_id}/page/1/{kind}")
    assert tall[0] * tall[1] <= limit and max(tall) <= side
    assert tall[1] == side  # scaled as a whole: its long side fills the bound
    wide = _png_size(client, f"/doc/{doc_id}/page/2/{kind}")
    assert wide[0] * wide[1] <= limit and max(wide) <= side
    assert wide[0] == (200 if kind == "thumb" else 1200) and wide[1] == 1


def test_an_image_cached_by_an_earlier_renderer_is_not_served(strips: Settings) -> None:
    client, doc_id = _client(strips), _doc_id(strips, "Strip release")
    thumb = _png_size(client, f"/doc/{doc_id}/page/1/thumb")
    width = client.application.config["THUMB_WIDTH"]
    old = strips.cache_dir / doc_id / f"1-{width}.png"  # where render version 1 kept it
    Image.new("L", (130, 92_915)).save(old)  # a 12-megapixel strip, as it once was made
    assert _png_size(client, f"/doc/{doc_id}/page/1/thumb") == thumb


def test_the_viewer_and_thumbnails_give_the_size_served(strips: Settings) -> None:
    client, doc_id = _client(strips), _doc_id(strips, "Strip release")
    viewer = html(client.get(f"/doc/{doc_id}/page/1"))
    img = viewer.select_one(".page-figure img")
    served = _png_size(client, img["src"])
    assert (int(img["width"]), int(img["height"])) == served
    hits = html(client.get("/search", query_string={"q": 'production:"Strip release"'}))
    for thumb in hits.select(".hit img"):
        assert (int(thumb["width"]), int(thumb["height"])) == _png_size(client, thumb["src"])


def test_the_bound_is_a_setting(releases: Settings, tmp_path: Path) -> None:
    home = tmp_path / "home"  # a copy, with its own image cache
    shutil.copytree(releases.home, home)
    small = dataclasses.replace(releases, home=home, view_max_pixels=20_000, view_max_side=150)
    client, doc_id = _client(small), _doc_id(small, "Early release")
    width, height = _png_size(client, f"/doc/{doc_id}/page/1/thumb")
    assert width * height <= 20_000 and max(width, height) <= 150
    assert abs(width / height - 612 / 792) < 0.02  # the aspect is kept


# --- 9. the Host header is not trusted -------------------------------------------------------


def test_an_untrusted_host_is_refused(releases: Settings) -> None:
    client = _client(releases)
    for url in ("/", "/search?q=custody", "/api/search?q=custody", "/nope"):
        response = client.get(url, headers={"Host": "evil.example:8080"})
        assert response.status_code == 400, url
        assert "evil.example" not in response.get_data(as_text=True)
        assert "ARCHIVE_TRUSTED_HOSTS" in response.get_data(as_text=True)
    assert client.get("/api/search?q=x", headers={"Host": "evil.example"}).json["status"] == 400
    for host in ("localhost:8080", "127.0.0.1:8080"):
        assert client.get("/", headers={"Host": host}).status_code == 200


def test_links_use_the_base_url_whatever_the_host(releases: Settings) -> None:
    public = dataclasses.replace(releases, base_url="https://foia.example.org/reading-room/")
    client, doc_id = _client(public), _doc_id(releases, "Early release")
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    root = "https://foia.example.org/reading-room"
    for host in ("foia.example.org", "127.0.0.1:8080"):
        page = html(client.get(f"/doc/{doc_id}/page/2", headers={"Host": host}))
        assert page.select_one("#permalink")["href"] == f"{root}/doc/{doc_id}/page/2"
        assert f"{root}/doc/{doc_id}/page/2 (accessed" in page.select_one("#citation").get_text()
        data = client.get("/api/search?q=custody&collapse=1", headers={"Host": host},
                          ).json
        assert data["next"] is None and data["total"] == 3
        small = _client(public, RESULTS_PER_PAGE=1)
        more = small.get("/api/search?q=custody", headers={"Host": host}).json
        assert more["next"].startswith(f"{root}/api/search?")
        page_data = client.get(f"/api/doc/{doc_id}/page/2", headers={"Host": host}).json
        assert page_data["url"] == f"{root}/doc/{doc_id}/page/2"
        assert page_data["image"] == f"{root}/doc/{doc_id}/page/2/image"
        spec = client.get("/openapi.json", headers={"Host": host}).json
        assert spec["servers"] == [{"url": root}]


def test_without_settings_links_are_relative_or_the_bound_address(releases: Settings) -> None:
    doc_id = _doc_id(releases, "Early release")
    anyone = dataclasses.replace(releases, trusted_hosts="*")
    for config, root in ((listening_config(releases, "0.0.0.0", 8080), ""),
                         (listening_config(releases, "192.168.1.5", 8080),
                          "http://192.168.1.5:8080"),
                         ({"ARCHIVE_SETTINGS": anyone}, "")):
        client = _client(releases, **config)
        page = html(client.get(f"/doc/{doc_id}/page/2", headers={"Host": "evil.example"}))
        assert page.select_one("#permalink")["href"] == f"{root}/doc/{doc_id}/page/2"
        citation = page.select_one("#citation").get_text()
        assert "evil.example" not in citation
        assert f", {root}/doc/{doc_id}/page/2 (accessed {date.today().isoformat()})" in citation
        small = _client(releases, RESULTS_PER_PAGE=1, **config)
        data = small.get("/api/search?q=custody", headers={"Host": "evil.example"}).json
        assert data["next"].startswith(f"{root}/api/search?")
        spec = client.get("/openapi.json", headers={"Host": "evil.example"}).json
        assert spec["servers"] == [{"url": root or "/"}]


def test_named_trusted_hosts(releases: Settings) -> None:
    named = dataclasses.replace(releases, trusted_hosts="foia.example.org, .agency.gov")
    client = _client(named)
    for host, status in (("foia.example.org", 200), ("records.agency.gov", 200),
                         ("localhost", 400), ("evil.example", 400)):
        assert client.get("/", headers={"Host": host}).status_code == status, host
    # a loopback server also answers to its own address
    served = _client(named, **listening_config(named, "127.0.0.1", 8080))
    assert served.get("/", headers={"Host": "127.0.0.1:8080"}).status_code == 200


def test_a_base_url_that_is_not_an_address_is_refused(releases: Settings) -> None:
    with pytest.raises(SettingError, match="ARCHIVE_BASE_URL"):
        create_app({"ARCHIVE_SETTINGS": dataclasses.replace(releases, base_url="foia.org")})
    served = subprocess.run(
        [sys.executable, "-m", "archive", "--home", str(releases.home), "serve",
         "--port", str(free_port())],
        env={**os.environ, "ARCHIVE_BASE_URL": "ftp://foia.example.org"},
        capture_output=True, text=True, timeout=120, check=False)
    assert served.returncode == 2
    assert served.stderr.startswith("archive: ARCHIVE_BASE_URL must be")


@pytest.fixture
def live(strips: Settings) -> Iterator[int]:
    """`archive serve` on loopback (waitress, in its own process) on a free port."""
    port = free_port()
    with server_process([sys.executable, "-m", "archive", "--home", str(strips.home),
                         "serve", "--port", str(port)], port):
        yield port


def _get(port: int, host: str, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_a_dns_rebinding_request_to_a_live_server_is_refused(live: int) -> None:
    status, body = _get(live, f"evil.example:{live}", "/")
    assert status == 400 and "evil.example" not in body
    status, body = _get(live, f"evil.example:{live}", "/api/search?q=x")
    assert status == 400 and json.loads(body)["status"] == 400
    status, body = _get(live, f"127.0.0.1:{live}", "/api/search?q=production:strip*")
    assert status == 200
    status, _ = _get(live, f"localhost:{live}", "/")
    assert status == 200


# --- 10. paging ends at its bound -------------------------------------------------------------


def test_following_next_ends_at_the_last_page_served(releases: Settings) -> None:
    client = _client(releases, RESULTS_PER_PAGE=1, MAX_RESULTS_PAGE=2)
    url: str | None = "/api/search?q=custody"  # 6 matching pages, 2 pages of 1 served
    seen = []
    while url is not None and len(seen) < 10:
        data = client.get(url).json
        seen.append(data)
        url = data["next"]
    assert len(seen) == 2 and url is None
    assert seen[-1]["truncated"] is True and "first 2 matching pages" in seen[-1]["notice"]
    assert "truncated" not in seen[0]
    clamped = client.get("/api/search?q=custody&page=7").json
    assert clamped["next"] is None and clamped["truncated"] is True


def test_the_html_next_stops_at_the_bound_and_says_so(releases: Settings) -> None:
    client = _client(releases, RESULTS_PER_PAGE=1, MAX_RESULTS_PAGE=2)
    first = html(client.get("/search?q=custody"))
    assert "Results page 1 of 2" in words(first.select_one("nav.pagination"))
    assert first.select_one("a[rel=next]") is not None
    last = html(client.get("/search?q=custody&page=2"))
    assert "Results page 2 of 2" in words(last.select_one("nav.pagination"))
    assert last.select_one("a[rel=next]") is None
    assert "narrow the search" in last.select_one(".limit-notice").get_text()
    whole = html(_client(releases).get("/search?q=custody"))
    assert whole.select_one(".limit-notice") is None


# --- 11. originals are sandboxed -------------------------------------------------------------


def test_an_original_with_javascript_is_served_sandboxed(releases: Settings) -> None:
    client, doc_id = _client(releases), _doc_id(releases, "Early release")
    with client.get(f"/doc/{doc_id}/original") as response:
        assert response.status_code == 200 and response.content_type == "application/pdf"
        assert response.headers["Content-Security-Policy"] == RELEASED_FILE_POLICY == "sandbox"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        data = response.data
    with pymupdf.open(stream=data, filetype="pdf") as pdf:  # the file as released: scripted
        assert "JavaScript" in pdf.xref_get_key(pdf.pdf_catalog(), "OpenAction")[1]
    missing = client.get("/doc/0123456789abcdef/original")
    assert missing.status_code == 404
    assert missing.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


# --- 12. collapse counts what it shows -------------------------------------------------------


def test_collapse_counts_the_pages_shown_and_the_copies_folded(releases: Settings) -> None:
    with open_searcher(releases) as searcher:
        plain = search(searcher, '"sally port"', releases)
        folded = search(searcher, '"sally port"', releases, collapse=True)
        one = search(searcher, '"detainer outcome 2"', releases, collapse=True, pagelen=1)
    assert (plain.total, plain.folded) == (6, None)
    assert (folded.total, len(folded.hits), folded.folded) == (3, 3, 3)
    assert folded.facets["production"] == {"early-release": 3}
    assert folded.facets["redacted"] == {"yes": 3}
    assert {h.production for h in folded.hits} == {"Early release"}
    assert (one.total, len(one.hits), one.folded) == (1, 1, 1)
    assert one.to_json()["folded"] == 1 and "folded" not in plain.to_json()


def test_collapse_is_said_the_same_by_the_cli_and_the_web(releases: Settings) -> None:
    q = '"detainer outcome 2"'
    out = CliRunner().invoke(cli, ["--home", str(releases.home), "search", q, "--collapse"])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[0] == "1 matching page (1 copy folded)"
    many = CliRunner().invoke(cli, ["--home", str(releases.home), "search", '"sally port"',
                                    "--collapse", "--json"])
    assert (json.loads(many.output)["total"], json.loads(many.output)["folded"]) == (3, 3)
    client = _client(releases)
    page = html(client.get("/search", query_string={"q": q, "collapse": "1"}))
    assert words(page.select_one("h1.summary")).startswith(
        "1 matching page (1 copy folded) · showing 1–1")
    counts = {words(li.select_one("a")): int(li.select_one(".count").get_text())
              for li in page.select("section.facet[data-facet=production] li")}
    assert counts == {"Early release": 1}
    api = client.get("/api/search", query_string={"q": q, "collapse": "1"}).json
    assert (api["total"], api["folded"], api["facets"]["production"]) == (
        1, 1, {"early-release": 1})


# --- 16. counted nouns; Bates as stamped ------------------------------------------------------


def test_counts_agree_with_their_nouns(strips: Settings) -> None:
    client = _client(strips)
    home = html(client.get("/"))
    assert words(home.select_one(".stats")) == "2 pages in 1 document"
    assert words(home.select_one(".production-list .meta")).endswith("1 document, 2 pages")
    production = html(client.get("/production/strip-release"))
    contents = [dd for dt, dd in zip(production.select("dt"), production.select("dd"),
                                     strict=False) if dt.get_text() == "Contents"]
    assert [words(dd) for dd in contents] == ["1 document, 2 pages"]


def test_bates_numbers_are_shown_as_stamped(releases: Settings) -> None:
    client, doc_id = _client(releases), _doc_id(releases, "Early release")
    hits = html(client.get("/search", query_string={
        "q": '"detainer outcome 2" AND production:"Early release"'}))
    assert hits.select_one(".hit-foia .bates").get_text() == "Bates 2019-ICLI-00003-022455"
    viewer = html(client.get(f"/doc/{doc_id}/page/2"))
    bates = [dd for dt, dd in zip(viewer.select("dt"), viewer.select("dd"), strict=False)
             if dt.get_text() == "Bates"]
    assert [dd.get_text() for dd in bates] == ["2019-ICLI-00003-022455"]
    assert "Bates 2019-ICLI-00003-022455, http" in viewer.select_one("#citation").get_text()
    typed = "2019-icli-00003 - 022455"
    jump = client.get("/search", query_string={"q": typed})
    assert jump.status_code == 302
    assert urlsplit(jump.location).path == f"/doc/{doc_id}/page/2"
    notice = html(client.get(jump.location)).select_one(".bates-jump")
    assert words(notice.select_one("p")) == "Bates 2019-ICLI-00003-022455 is stamped on this page."
    assert notice.select_one("a .query-text").get_text() == typed  # the search as typed
