"""The results page's Follow (Atom), Export CSV and Download these pages (PDF) links, in a
real browser: Playwright driving Debian's chromium (never a downloaded one) over the
reading room served by waitress. What each link points to is fetched and parsed."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser
import pymupdf
import pytest
from conftest import CHROMIUM, reading_room

from archive import exports

pytestmark = pytest.mark.browser

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)",
                allow_module_level=True)


@pytest.fixture(scope="module")
def browsing(web_home: Path, browser: Any) -> Iterator[tuple[Any, str]]:
    """A chromium tab (the session's browser: one Playwright per thread), and the reading
    room over `web_home` (text-layer PDFs, no OCR)."""
    with reading_room(web_home) as url:
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        yield context.new_page(), url
        context.close()


def test_follow_export_and_download_links_work(browsing: tuple[Any, str]) -> None:
    page, base_url = browsing
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(base_url + "/")
    page.fill("main input[name=q]", '"sally port"')
    page.press("main input[name=q]", "Enter")
    page.wait_for_selector(".follow-export")
    links = {name: page.get_by_role("link", name=name, exact=True)
             for name in ("Follow (Atom)", "Export CSV", "Download these pages (PDF)")}
    for link in links.values():
        assert link.is_visible()

    feed_url = links["Follow (Atom)"].get_attribute("href")
    feed = page.request.get(base_url + feed_url)
    assert feed.ok and feed.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(feed.body())
    assert not parsed.bozo and parsed.version == "atom10"
    assert [e.title for e in parsed.entries] == ["detainer-reports · p. 2",
                                                 "detainer-reports · p. 3"]
    assert parsed.entries[0].link.startswith("http://127.0.0.1:")

    with page.expect_download() as download:  # the browser saves it as a file
        links["Export CSV"].click()
    saved = Path(download.value.path()).read_text()
    assert download.value.suggested_filename == "search-sally-port.csv"
    rows = list(csv.DictReader(io.StringIO(saved)))
    assert [(r["title"], r["page"]) for r in rows] == [("detainer-reports", "2"),
                                                       ("detainer-reports", "3")]
    assert list(rows[0]) == list(exports.COLUMNS)

    with page.expect_download() as download:
        links["Download these pages (PDF)"].click()
    with pymupdf.open(download.value.path()) as pdf:
        assert pdf.page_count == 2
        assert rows[0]["url"] in " ".join(pdf[0].get_text().split())
    assert not errors
