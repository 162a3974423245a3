"""The reading room through Flask's test client, HTML parsed with BeautifulSoup.

The archive (`web_home` in conftest.py) is built once from text-layer PDFs, no OCR.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from conftest import DETAINER_PAGES, HOSTILE_LINES, write_text_pdf
from PIL import Image

from archive.catalog import Catalog
from archive.cli import cli
from archive.config import load_settings
from archive.ingest.pipeline import add_production
from archive.search.query import open_searcher
from archive.search.query import search as run_search
from archive.search.writer import reindex
from web import create_app
from web.headers import CONTENT_SECURITY_POLICY
from web.pageimages import RENDER_VERSION
from web.server import is_loopback


def html(response: Any) -> BeautifulSoup:
    assert response.content_type.startswith("text/html")
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.fixture(scope="module")
def ids(web_home: Path) -> dict[str, str]:
    """doc_id by document title."""
    with Catalog(web_home / "index" / "catalog.sqlite", readonly=True) as catalog:
        return {row["title"]: row["doc_id"] for row in catalog.documents()}


@pytest.fixture(scope="module")
def detainers(ids: dict[str, str]) -> str:
    return ids["detainer-reports"]


# --- search ---------------------------------------------------------------------------------


def test_home_lists_productions_escaped(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/")
    assert response.status_code == 200
    page = html(response)
    names = [h.get_text(strip=True) for h in page.select(".production-list h3")]
    assert names == ["DHS detainers <2017>", "NTSB release"]
    assert "DHS detainers &lt;2017&gt;" in response.get_data(as_text=True)
    assert page.select_one("form[role=search] input[name=q]") is not None


def test_phrase_search_finds_the_pages_that_say_it(client, detainers) -> None:  # type: ignore[no-untyped-def]
    page = html(client.get('/search?q="sally port"'))
    assert "2 matching pages" in page.select_one("h1.summary").get_text(" ", strip=True)
    links = [a["href"] for a in page.select("a.hit-link")]
    assert links == [f"/doc/{detainers}/page/2?q=%22sally+port%22",
                     f"/doc/{detainers}/page/3?q=%22sally+port%22"] or links == [
        f"/doc/{detainers}/page/3?q=%22sally+port%22",
        f"/doc/{detainers}/page/2?q=%22sally+port%22"]
    first = page.select_one(".hit")
    marked = " ".join(m.get_text() for m in first.select(".excerpt mark")).lower()
    assert re.fullmatch(r"(sal-?\s*ly|sally)\s+port( (sal-?\s*ly|sally)\s+port)*",
                        " ".join(marked.split())), marked
    meta = first.select_one(".hit-meta").get_text(" ", strip=True)
    assert re.match(r"DHS detainers <2017> · detainer-reports · p\. [23] of 4", meta)
    # the query stays in the box
    assert page.select_one("header form input[name=q]")["value"] == '"sally port"'


def test_hit_thumbnails_are_lazy_and_box_only_the_phrase(client, detainers) -> None:  # type: ignore[no-untyped-def]
    page = html(client.get('/search?q="sally port"'))
    hits = {h.select_one("a.hit-link")["href"].split("?")[0]: h for h in page.select(".hit")}
    page2 = hits[f"/doc/{detainers}/page/2"]
    img = page2.select_one(".thumb img")
    assert img["src"] == f"/doc/{detainers}/page/2/thumb"
    assert img["loading"] == "lazy"
    assert int(img["width"]) == 200 and int(img["height"]) == round(792 * 200 / 612)
    # two occurrences of the phrase on page 2, and not the lone "port" of line 3
    assert len(page2.select("svg.overlay rect.match")) == 2
    ys = sorted(float(r["y"]) for r in page2.select("svg.overlay rect.match"))
    assert ys[0] < 100 + 24 and 100 + 24 * 3 - 20 < ys[1] < 100 + 24 * 3
    # the hyphenated occurrence on page 3 is found and boxed on both of its lines
    assert len(hits[f"/doc/{detainers}/page/3"].select("svg.overlay rect.match")) == 2


def test_hits_grouped_by_document_with_more_pages_expandable(client, ids) -> None:  # type: ignore[no-untyped-def]
    page = html(client.get("/search?q=aircraft"))
    assert page.select_one("h1.summary strong").get_text() == "25"
    groups = page.select("article.doc-group")
    assert len(groups) == 1
    group = groups[0]
    assert len(group.select(":scope > .hit")) == 2
    more = group.select_one("details.more")
    assert more.select_one("summary").get_text(strip=True) == (
        "18 more matching pages in this document")
    assert len(more.select(".hit")) == 18
    # 20 hits a page: page 2 has the last 5
    next_link = page.select_one(".pagination a[rel=next]")["href"]
    assert parse_qs(urlsplit(next_link).query) == {"q": ["aircraft"], "page": ["2"]}
    second = html(client.get(next_link))
    assert len(second.select(".hit")) == 5
    assert "21–25" in second.select_one("h1.summary").get_text()


def test_facets_count_by_production_and_filter(client) -> None:  # type: ignore[no-untyped-def]
    page = html(client.get("/search?q=page OR report"))
    facets = {li.select_one("a").get_text(strip=True): int(li.select_one(".count").get_text())
              for li in page.select(".facets li")}
    assert facets["NTSB release"] == 25
    assert facets["DHS detainers <2017>"] >= 1
    link = next(a["href"] for a in page.select(".facets li a") if a.get_text() == "NTSB release")
    narrowed = html(client.get(link))
    assert narrowed.select_one(".facets li.active a").get_text() == "NTSB release"
    titles = {h.get_text(strip=True) for h in narrowed.select("article.doc-group h2")}
    assert titles == {"long-report"}
    # the filter is kept by the search box
    assert narrowed.select_one("header form input[name=production]")["value"] == (
        "ntsb-release")


def test_empty_state_has_tips(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/search?q=xylophone")
    assert response.status_code == 200
    page = html(response)
    assert page.select_one("h1.summary").get_text(" ", strip=True).startswith("No pages match")
    assert len(page.select(".empty .tips li")) >= 3
    assert page.select_one("a[href='/help']") is not None


def test_results_page_past_the_end_is_empty_not_a_repeat(client) -> None:  # type: ignore[no-untyped-def]
    page = html(client.get("/search?q=aircraft&page=9"))
    assert page.select(".hit") == []
    assert "past the end" in page.get_text()


def test_blank_query_goes_home(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/search?q=+")
    assert response.status_code == 302 and response.location == "/"


def test_help_page(client) -> None:  # type: ignore[no-untyped-def]
    page = html(client.get("/help"))
    codes = {c.get_text() for c in page.select("table.syntax code")}
    assert '"sally port"' in codes and "detain*" in codes


def test_production_page_lists_documents(client, ids) -> None:  # type: ignore[no-untyped-def]
    page = html(client.get("/production/ntsb-release"))
    assert page.select_one("h1").get_text() == "NTSB release"
    assert [a["href"] for a in page.select("table.documents a")] == [
        f"/doc/{ids['long-report']}"]


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("q, words", [
    ('"sally port', "quote"),
    ("(sally AND port", "parenthesis"),
    ("sally)", "parenthesis"),
    ("*", "*"),
    ("x" * 10_000, "limit"),
    ("(" * 2000 + "a" + ")" * 2000, "limit"),
])
def test_bad_query_is_a_400_with_the_message_and_the_query_kept(client, q, words) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/search", query_string={"q": q})
    assert response.status_code == 400
    page = html(response)
    assert words in page.select_one(".message").get_text()
    assert page.select_one("header form input[name=q]")["value"] == q
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize("url", [
    "/doc/0000000000000000", "/doc/x/page/1", "/doc/../page/1/image",
    "/doc/{detainers}/page/5", "/doc/{detainers}/page/0", "/doc/{detainers}/page/-1",
    "/doc/{detainers}/page/99999999999999999999999999", "/doc/{detainers}/page/5/image",
    "/doc/{detainers}/page/5/thumb", "/doc/..%2f..%2fetc/page/1/image",
    "/production/nope", "/no/such/route",
])
def test_unknown_things_are_404_pages(client, detainers, url) -> None:  # type: ignore[no-untyped-def]
    response = client.get(url.format(detainers=detainers))
    assert response.status_code == 404
    page = html(response)
    assert page.select_one(".error-page h1").get_text() == "Not found"


HOSTILE_QUERIES = [
    '"', '"sally', "((", "))", "(sally", "sally)", "*", "**", "?", "a*", "*port", "field:",
    "text:", ":", "production:", "from:", "page:[1 TO", "page:>", "~", "sally~9", "AND",
    "OR OR", "NOT", "x" * 10_000, "(" * 2000 + "a" + ")" * 2000, "(" * 2000, "\x00",
    "sally\x00port", "\x01\x02\x1b[31m", "\u202e\ufeff", "<script>alert(1)</script>",
    "'; DROP TABLE pages; --", "%00", "\\", "sally^", "sally^abc", "[a TO", "{a TO b}",
    "date:2017", "released:>2020", "released:[2020 TO 2019]", "bates:", "a" * 1001,
    "detain* OR " * 200, "\ud7ff", "port~2 OR sal~1",
]


@pytest.mark.parametrize("q", HOSTILE_QUERIES)
def test_crawl_hostile_queries_never_500(client, detainers, q) -> None:  # type: ignore[no-untyped-def]
    for url in ("/search", "/api/search", f"/doc/{detainers}/page/2", f"/doc/{detainers}",
                f"/api/doc/{detainers}/page/2", "/doc/x/page/1"):
        for page in ("1", "-5", "abc", "99999999999999999999"):
            response = client.get(url, query_string={"q": q, "page": page, "production": q})
            assert response.status_code in (200, 302, 400, 404), (url, q, response.status_code)
            body = response.get_data(as_text=True)
            assert "Traceback" not in body and "<script>alert" not in body


def test_api_errors_are_json(client, detainers) -> None:  # type: ignore[no-untyped-def]
    bad = client.get("/api/search", query_string={"q": '"sally'})
    assert bad.status_code == 400 and bad.is_json
    assert bad.json["status"] == 400 and "quote" in bad.json["message"]
    empty = client.get("/api/search")
    assert empty.status_code == 400 and "empty" in empty.json["message"]
    missing = client.get("/api/doc/0000000000000000/page/1")
    assert missing.status_code == 404 and missing.is_json
    assert client.get(f"/api/doc/{detainers}/page/9").json["status"] == 404
    assert client.get(f"/api/doc/{detainers}/page/2?q=((").status_code == 400


# --- the page viewer ------------------------------------------------------------------------


def test_viewer_shows_the_page_with_matches_boxed(client, detainers) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f'/doc/{detainers}/page/2?q="sally port"')
    assert response.status_code == 200
    page = html(response)
    img = page.select_one("#page-figure img")
    assert img["src"] == f"/doc/{detainers}/page/2/image"
    svg = page.select_one("#page-figure svg.overlay")
    assert svg["viewbox"] == "0 0 612.0 792.0"
    api = client.get(f'/api/doc/{detainers}/page/2?q="sally port"').json
    rects = [[float(r[k]) for k in ("x", "y", "width", "height")]
             for r in svg.select("rect.match")]
    assert len(rects) == len(api["matches"]) == 2
    for (x, y, w, h), (x0, y0, x1, y1) in zip(rects, api["matches"], strict=True):
        assert x < x0 and y < y0 and x + w > x1 and y + h > y1  # drawn around the words
        assert abs(x - x0) <= 3 and abs((x + w) - x1) <= 3
    # text beside the image, phrase marked, lone "port" not
    marks = [m.get_text() for m in page.select("pre.page-text mark")]
    assert marks == ["sally port", "sally port"]
    assert "text layer" in page.select_one(".page-text-box .source").get_text()


def test_viewer_navigation_pages_and_hits(client, detainers) -> None:  # type: ignore[no-untyped-def]
    page = html(client.get(f'/doc/{detainers}/page/2?q="sally port"'))
    assert page.select_one("a.prev-page")["href"] == (
        f"/doc/{detainers}/page/1?q=%22sally+port%22")
    assert page.select_one("a.next-page")["href"] == (
        f"/doc/{detainers}/page/3?q=%22sally+port%22")
    assert page.select_one("a.next-hit")["href"] == f"/doc/{detainers}/page/3?q=%22sally+port%22"
    assert "2 pages" in page.select_one(".query-bar").get_text()
    last = html(client.get(f"/doc/{detainers}/page/4"))
    assert last.select_one("a.next-page") is None
    assert last.select_one(".query-bar") is None


def test_viewer_citation_and_permalink(client, detainers) -> None:  # type: ignore[no-untyped-def]
    page = html(client.get(f'/doc/{detainers}/page/2?q="sally port"'))
    permalink = f"http://localhost/doc/{detainers}/page/2"
    assert page.select_one("#permalink")["href"] == permalink
    assert page.select_one("#citation").get_text() == (
        'U.S. Dept. of Homeland Security, FOIA 2019-ICLI-00003 (released 2020-03-05), '
        f'"detainer-reports", p. 2 of 4, {permalink} (accessed {date.today().isoformat()})')
    buttons = {b["data-copy"]: b.get_text() for b in page.select("button.copy")}
    assert buttons == {"citation": "Copy citation", "permalink": "Copy link"}


def test_viewer_with_bad_query_still_shows_the_page(client, detainers) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/doc/{detainers}/page/2", query_string={"q": "(sally"})
    assert response.status_code == 200
    page = html(response)
    assert "parenthesis" in page.select_one(".query-bar .notice").get_text()
    assert page.select("rect.match") == []


def test_document_page_grid_marks_matching_pages(client, detainers) -> None:  # type: ignore[no-untyped-def]
    page = html(client.get(f'/doc/{detainers}?q="sally port"'))
    thumbs = page.select(".page-grid img")
    assert [t["src"] for t in thumbs] == [f"/doc/{detainers}/page/{n}/thumb" for n in range(1, 5)]
    assert all(t["loading"] == "lazy" for t in thumbs)
    marked = [li.select_one("a")["href"] for li in page.select(".page-grid li.match")]
    assert marked == [f"/doc/{detainers}/page/{n}?q=%22sally+port%22" for n in (2, 3)]


# --- images and originals -------------------------------------------------------------------


def test_page_images_are_cached_with_etag_and_immutable(client, detainers, web_home) -> None:  # type: ignore[no-untyped-def]
    url = f"/doc/{detainers}/page/1/thumb"
    with client.get(url) as first:  # file responses are closed by the server, here by us
        assert first.status_code == 200 and first.content_type == "image/png"
        assert first.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        etag, thumb = first.headers["ETag"], first.data
    with Image.open(io.BytesIO(thumb)) as image:
        assert abs(image.width - 200) <= 1
    cached = web_home / "index" / "cache" / detainers / f"1-200-r{RENDER_VERSION}.png"
    assert cached.read_bytes() == thumb
    assert not list(cached.parent.glob(".part-*"))
    with client.get(url, headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304 and again.data == b""
        assert again.headers["ETag"] == etag
    with client.get(url) as warm:  # from the cache this time
        assert warm.data == thumb and warm.headers["ETag"] == etag
    with client.get(f"/doc/{detainers}/page/1/image") as big:
        image_bytes = big.data
    with Image.open(io.BytesIO(image_bytes)) as image:
        assert abs(image.width - 1200) <= 1
        assert abs(image.height - 1200 * 792 / 612) <= 1


def test_original_is_served_byte_for_byte(client, detainers, web_home) -> None:  # type: ignore[no-untyped-def]
    with client.get(f"/doc/{detainers}/original") as response:
        assert response.status_code == 200 and response.content_type == "application/pdf"
        data = response.data
    stored = next((web_home / "scans").rglob("detainer-reports.pdf"))
    assert data == stored.read_bytes()
    assert hashlib.sha256(data).hexdigest().startswith(detainers)


# --- released records are untrusted --------------------------------------------------------


def _no_markup_from_records(page: BeautifulSoup) -> None:
    scripts = page.find_all("script")
    assert all(s.get("src") == "/static/app.js" and not s.string for s in scripts)
    assert page.find("img", src="x") is None
    for tag in page.find_all(True):
        assert not [a for a in tag.attrs if a.startswith("on")], tag
        assert "style" not in tag.attrs, tag


def test_hostile_text_title_and_name_are_escaped(client, ids) -> None:  # type: ignore[no-untyped-def]
    doc_id = ids["<img src=x onerror=alert(1)>"]
    for url in ("/search?q=hostile", f"/doc/{doc_id}", f"/doc/{doc_id}/page/1?q=alert",
                "/production/dhs-detainers-2017", "/search?q=alert"):
        response = client.get(url)
        assert response.status_code == 200, url
        page = html(response)
        _no_markup_from_records(page)
        body = response.get_data(as_text=True)
        assert "<script>alert" not in body and "<img src=x" not in body
    viewer = html(client.get(f"/doc/{doc_id}/page/1?q=alert"))
    text = viewer.select_one("pre.page-text").get_text()
    assert HOSTILE_LINES[0] in text and HOSTILE_LINES[1] in text  # shown, as text
    assert [m.get_text() for m in viewer.select("pre.page-text mark")] == ["alert", "alert"]
    document = html(client.get(f"/doc/{doc_id}"))
    assert "<script>alert(2)</script>" in document.select_one(".meta-grid").get_text()


def test_excerpts_contain_only_our_marks(client) -> None:  # type: ignore[no-untyped-def]
    page = html(client.get("/search?q=alert OR hostile"))
    for excerpt in page.select(".excerpt"):
        assert {t.name for t in excerpt.find_all(True)} <= {"mark"}
    excerpt = page.select_one(".excerpt").get_text()
    assert "alert(1)</script>" in excerpt and "<img src=x onerror=alert(1)>" in excerpt


def test_security_headers_everywhere(client, detainers) -> None:  # type: ignore[no-untyped-def]
    for url in ("/", "/search?q=port", "/search?q=((", f"/doc/{detainers}/page/1",
                "/nope", "/api/search?q=port", f"/doc/{detainers}/page/1/thumb"):
        response = client.get(url)
        response.close()
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, url
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY


def test_reading_room_is_read_only(client, detainers, web_home) -> None:  # type: ignore[no-untyped-def]
    def snapshot() -> dict[str, str]:
        return {str(p.relative_to(web_home)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(web_home.rglob("*")) if p.is_file()
                and "cache" not in p.relative_to(web_home).parts}

    before = snapshot()
    for url in ("/", "/search?q=port", f"/doc/{detainers}", f"/doc/{detainers}/page/2?q=port",
                f"/doc/{detainers}/page/3/image", f"/doc/{detainers}/original",
                "/api/search?q=port", f"/api/doc/{detainers}/page/1"):
        with client.get(url) as response:
            assert response.status_code == 200
    for method in ("post", "put", "delete", "patch"):
        assert getattr(client, method)("/search?q=port").status_code == 405
    assert snapshot() == before


# --- the JSON API ---------------------------------------------------------------------------


def test_api_search_is_the_cli_json_plus_next(client, web_home) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(web_home)
    with open_searcher(settings) as searcher:
        expected = run_search(searcher, "aircraft", settings, pagelen=20).to_json()
    got = client.get("/api/search?q=aircraft").json
    assert {k: v for k, v in got.items() if k != "next"} == expected
    assert got["next"] == "http://localhost/api/search?q=aircraft&page=2"
    second = client.get(got["next"]).json
    assert len(second["hits"]) == 5 and second["next"] is None
    cli_out = CliRunner().invoke(cli, ["--home", str(web_home), "search", "aircraft", "--json"])
    assert json.loads(cli_out.output) == expected


def test_api_page_contract(client, detainers) -> None:  # type: ignore[no-untyped-def]
    data = client.get(f'/api/doc/{detainers}/page/3?q="sally port"').json
    for key in ("doc_id", "page", "pages", "title", "production", "text", "text_source",
                "ocr_confidence", "width", "height", "words", "matches"):
        assert key in data, key
    assert (data["doc_id"], data["page"], data["pages"]) == (detainers, 3, 4)
    assert data["production"] == "DHS detainers <2017>"
    assert data["text_source"] == "text" and data["ocr_confidence"] is None
    assert data["unit"] == "pt" and (data["width"], data["height"]) == (612.0, 792.0)
    assert data["text"].startswith(DETAINER_PAGES[2][0])
    words = {w[4]: w[:4] for w in data["words"]}
    # the hyphenated phrase: "sal-" on one line, "ly port" on the next
    assert data["matches"] == [words["sal-"], [words["ly"][0], words["ly"][1],
                                               words["port"][2], words["port"][3]]]
    assert "matches" not in client.get(f"/api/doc/{detainers}/page/3").json


# --- archive serve --------------------------------------------------------------------------


def test_serve_command_runs_waitress_on_loopback(web_home, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("web.server.waitress.serve",
                        lambda app, **kw: calls.append({"app": app, **kw}))
    result = CliRunner().invoke(cli, ["--home", str(web_home), "serve", "--port", "8099",
                                      "--processes", "1"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8099/" in result.output
    (call,) = calls
    assert (call["host"], call["port"]) == ("127.0.0.1", 8099)
    assert call["app"].config["ARCHIVE_HOME"] == str(web_home)


def test_is_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")


def test_searcher_sees_new_pages_and_a_rebuilt_index(tmp_path, settings) -> None:  # type: ignore[no-untyped-def]
    def add(name: str) -> None:
        pdf = write_text_pdf(tmp_path / name / f"{name}.pdf", [[f"{name} quokka sighting"]])
        assert not add_production([pdf.parent], settings, production=name).failed

    add("first")
    client = create_app({"ARCHIVE_SETTINGS": settings}).test_client()
    assert client.get("/api/search?q=quokka").json["total"] == 1
    add("second")  # committed while the app holds a searcher
    assert client.get("/api/search?q=quokka").json["total"] == 2
    reindex(settings)  # a new index folder swapped in, its generations counted afresh
    assert client.get("/api/search?q=quokka").json["total"] == 2
    add("third")
    assert client.get("/api/search?q=quokka").json["total"] == 3
    assert client.get("/search?q=quokka").status_code == 200
