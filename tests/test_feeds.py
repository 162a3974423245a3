"""Follow a search: Atom feeds of the newest pages, saved searches and their digests.

Real archives (text-layer PDFs added into SQLite and Whoosh on disk), feeds read by a real
parser (feedparser), `archive alerts` run as a process, digests received by a real SMTP
server (aiosmtpd) started by the test on a loopback port.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import feedparser
import pytest
from bs4 import BeautifulSoup
from conftest import DETAINER_PAGES, HOSTILE_LINES, free_port, write_text_pdf

from archive.catalog import Catalog
from archive.config import load_settings
from archive.ingest.pipeline import add_production
from web import create_app
from web.atom import timestamp


def archive(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`archive --home HOME ARGS...` in a process of its own."""
    return subprocess.run([sys.executable, "-m", "archive", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "ARCHIVE_JOBS": "1", **env})


def add(home: Path, folder: Path, name: str, **meta: str) -> None:
    settings = load_settings(home, jobs=1, ocr_mode="never", ocr_lang="eng")
    report = add_production([folder], settings, production=name, meta=meta)
    assert not report.failed, report.failed


def doc_ids(home: Path) -> dict[str, str]:
    with Catalog(home / "index" / "catalog.sqlite", readonly=True) as catalog:
        return {row["title"]: row["doc_id"] for row in catalog.documents()}


ATOM = "{http://www.w3.org/2005/Atom}"


def check_rfc4287(body: bytes) -> None:
    """What RFC 4287 requires and feedparser forgives: one id, title and updated on the feed
    and on each entry (RFC 3339 UTC times), an author, a self link, an alternate link per
    entry, absolute IRIs."""
    feed = ElementTree.fromstring(body)
    assert feed.tag == f"{ATOM}feed"
    assert feed.find(f"{ATOM}author/{ATOM}name") is not None
    assert [link.get("rel") for link in feed.findall(f"{ATOM}link")] == ["self", "alternate"]
    for element in [feed, *feed.findall(f"{ATOM}entry")]:
        for tag in ("id", "title", "updated"):
            assert len(element.findall(f"{ATOM}{tag}")) == 1, (element.tag, tag)
        assert urlsplit(element.findtext(f"{ATOM}id") or "").scheme == "http"
        datetime.strptime(element.findtext(f"{ATOM}updated") or "", "%Y-%m-%dT%H:%M:%SZ")
    for entry in feed.findall(f"{ATOM}entry"):
        assert entry.find(f"{ATOM}link[@rel='alternate']") is not None
        assert entry.find(f"{ATOM}content[@type='html']") is not None


def parse_feed(response: Any) -> Any:
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "application/atom+xml"
    check_rfc4287(response.data)
    feed = feedparser.parse(response.data, sanitize_html=False)  # <mark> kept as sent
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    return feed


def test_a_search_feed_lists_the_newest_pages_first(web_home: Path, client) -> None:  # type: ignore[no-untyped-def]
    feed = parse_feed(client.get('/search.atom?q="sally port" OR inspected'))
    titles = [entry.title for entry in feed.entries]
    # NTSB release was added after the DHS one: its 25 pages come first, then DHS's two
    assert len(titles) == 27
    assert titles[:25] == sorted(titles[:25], key=lambda t: int(t.rsplit(" ", 1)[1]))
    assert {t.split(" · ")[0] for t in titles[:25]} == {"long-report"}
    assert titles[25:] == ["detainer-reports · p. 2", "detainer-reports · p. 3"]
    ids = doc_ids(web_home)
    entry = feed.entries[25]
    assert entry.link == f"http://localhost/doc/{ids['detainer-reports']}/page/2"
    with Catalog(web_home / "index" / "catalog.sqlite", readonly=True) as catalog:
        added = catalog.added_at(ids["detainer-reports"])
        assert feed.entries[0].updated == timestamp(catalog.added_at(ids["long-report"]))
    assert entry.updated == timestamp(added)
    assert [t.term for t in entry.tags] == ["dhs-detainers-2017"]
    content = entry.content[0]
    assert content.type == "text/html"
    assert "<mark>sally</mark> <mark>port</mark>" in content.value
    assert "DHS detainers &lt;2017&gt; · released 2020-03-05" in content.value
    assert feed.feed.title == '"sally port" OR inspected · FOIA reading room'


def test_a_feed_keeps_the_search_filters_and_escapes_records(client) -> None:  # type: ignore[no-untyped-def]
    only_dhs = parse_feed(client.get("/search.atom?q=markup OR port&production=dhs-detainers-2017"))
    assert {e.tags[0].term for e in only_dhs.entries} == {"dhs-detainers-2017"}
    raw = client.get("/search.atom?q=markup").data.decode()
    # the hostile record's markup is text inside HTML inside XML: escaped twice over
    assert "<img" not in raw and "&amp;lt;img src=x onerror=alert(1)&amp;gt;" in raw
    (entry,) = feedparser.parse(raw, sanitize_html=False).entries
    assert entry.title == f"{HOSTILE_LINES[1]} · p. 1"  # the file name, as text
    assert HOSTILE_LINES[1] not in entry.content[0].value
    assert "&lt;img src=x onerror=alert(1)&gt;" in entry.content[0].value


def test_a_feed_needs_a_query_and_refuses_a_bad_one(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/search.atom").status_code == 404
    bad = client.get('/search.atom?q="sally')
    assert bad.status_code == 400 and b"unbalanced quote" in bad.data


def test_the_results_page_links_to_its_feed_and_exports(client) -> None:  # type: ignore[no-untyped-def]
    page = BeautifulSoup(client.get('/search?q="sally port"&redacted=no').data, "html.parser")
    links = {a.get_text(strip=True): a["href"] for a in page.select(".follow-export a")}
    assert links == {
        "Follow (Atom)": "/search.atom?q=%22sally+port%22&redacted=no",
        "Export CSV": "/search.csv?q=%22sally+port%22&redacted=no",
        "Download these pages (PDF)": "/search.pdf?q=%22sally+port%22&redacted=no"}
    alternate = page.select_one('link[rel="alternate"][type="application/atom+xml"]')
    assert alternate is not None and alternate["href"] == links["Follow (Atom)"]
    assert len(parse_feed(client.get(links["Follow (Atom)"])).entries) == 2


# --- saved searches -------------------------------------------------------------------------


@pytest.fixture
def releases(tmp_path: Path) -> dict[str, Path]:
    """Three releases to add one after another: each says "sally port" on some pages."""
    first, second, third = (tmp_path / name for name in ("first", "second", "third"))
    write_text_pdf(first / "detainer-reports.pdf", DETAINER_PAGES)
    write_text_pdf(second / "transfers.pdf", [
        ["Transfer log", "The van waited in the sally port for an hour."],
        ["Nothing here but the weather."],
        ["Second sally port inspection, north gate."]])
    write_text_pdf(third / "annex.pdf", [["Annex memo: the sally port camera failed."]])
    return {"first": first, "second": second, "third": third}


def test_saved_searches_count_the_pages_each_add_brings(tmp_path: Path,
                                                        releases: dict[str, Path]) -> None:
    home = tmp_path / "home"
    add(home, releases["first"], "DHS release 1", released="2020-03-05")
    saved = archive(home, "alerts", "add", "sally-port", '"sally port"')
    assert saved.returncode == 0, saved.stderr
    assert archive(home, "alerts", "add", "gates", "gate").returncode == 0

    def listed() -> dict[str, int]:
        out = archive(home, "alerts", "list", "--json")
        assert out.returncode == 0, out.stderr
        return {a["name"]: a["new"] for a in json.loads(out.stdout)}

    assert listed() == {"gates": 0, "sally-port": 0}  # what was there is not new
    add(home, releases["second"], "ICE release 2", released="2021-06-01")
    assert listed() == {"gates": 1, "sally-port": 2}
    text = archive(home, "alerts", "list").stdout
    assert "sally-port" in text and "2 new pages" in text and '"sally port"' in text

    app = create_app({"ARCHIVE_HOME": str(home), "TESTING": True}).test_client()
    page = BeautifulSoup(app.get("/alerts/sally-port").data, "html.parser")
    assert [h.get_text() for h in page.select(".production-group h2")] == ["ICE release 2"]
    assert "2 new pages" in page.select_one(".new-count").get_text()
    ids = doc_ids(home)
    hrefs = {a["href"].split("?")[0] for a in page.select(".production-group .hit a[href]")}
    assert {f"/doc/{ids['transfers']}/page/1", f"/doc/{ids['transfers']}/page/3"} <= hrefs
    feed = parse_feed(app.get("/alerts/sally-port.atom"))
    assert [e.title for e in feed.entries][:2] == ["transfers · p. 1", "transfers · p. 3"]
    assert len(feed.entries) == 4  # the feed follows every matching page, newest first
    overview = BeautifulSoup(app.get("/alerts").data, "html.parser").get_text(" ")
    assert "sally-port" in overview and "2 new pages" in overview

    seen = archive(home, "alerts", "seen", "sally-port")
    assert seen.returncode == 0 and "seen sally-port" in seen.stdout
    assert listed() == {"gates": 1, "sally-port": 0}
    added = archive(home, "add", str(releases["third"]), "--production", "ICE release 3",
                    "--ocr", "never")
    assert added.returncode == 0, added.stderr
    assert "saved search sally-port: 1 new page (archive alerts list)" in added.stdout
    assert "saved search gates: 1 new page" in added.stdout
    assert listed() == {"gates": 1, "sally-port": 1}
    assert archive(home, "alerts", "remove", "gates").returncode == 0
    assert listed() == {"sally-port": 1}
    assert app.get("/alerts/gates.atom").status_code == 404
    assert app.get("/alerts/gates").status_code == 404


def test_pages_are_stamped_in_the_order_they_are_committed(tmp_path: Path,
                                                           releases: dict[str, Path]) -> None:
    home = tmp_path / "home"
    add(home, releases["first"], "one")
    with Catalog(home / "index" / "catalog.sqlite", readonly=True) as catalog:
        first = catalog.added_watermark()
    add(home, releases["second"], "two")
    ids = doc_ids(home)
    with Catalog(home / "index" / "catalog.sqlite", readonly=True) as catalog:
        assert catalog.added_at(ids["detainer-reports"]) == first
        assert catalog.added_at(ids["transfers"]) > first
        assert catalog.added_watermark() == catalog.added_at(ids["transfers"])
    assert archive(home, "reindex").returncode == 0  # the stamps come from the catalog
    app = create_app({"ARCHIVE_HOME": str(home), "TESTING": True}).test_client()
    feed = parse_feed(app.get('/search.atom?q="sally port"'))
    assert feed.entries[0].updated == timestamp(catalog_added(home, ids["transfers"]))
    assert feed.entries[-1].updated == timestamp(first)


def test_a_document_whose_commit_failed_is_stamped_again(tmp_path: Path) -> None:
    with Catalog(tmp_path / "catalog.sqlite") as catalog:
        catalog.start_document("a" * 16, "a" * 64, "a", "scans/a.pdf", "pdf", 1)
        catalog.stamp_added(["a" * 16])  # then the index commit failed: not marked indexed
        failed = catalog.added_at("a" * 16)
        assert catalog.added_watermark() == 0.0  # nothing indexed, nothing seen
        catalog.stamp_added(["a" * 16])  # written again by the next add
        again = catalog.added_at("a" * 16)
        assert again > failed
        catalog.set_state("a" * 16, "indexed")
        assert catalog.added_watermark() == again
        catalog.stamp_added(["a" * 16])  # re-indexed (production edit, reindex): kept
        assert catalog.added_at("a" * 16) == again


def catalog_added(home: Path, doc_id: str) -> float:
    with Catalog(home / "index" / "catalog.sqlite", readonly=True) as catalog:
        return catalog.added_at(doc_id)


@pytest.mark.parametrize(("args", "code", "message"), [
    (("alerts", "add", "Sally Port", "x"), 2, "cannot name a saved search"),
    (("alerts", "add", "ok", '"sally'), 4, "unbalanced quote"),
    (("alerts", "remove", "nothing"), 5, "no saved search called nothing"),
    (("alerts", "seen", "nothing"), 5, "no saved search called nothing"),
])
def test_alert_mistakes_are_one_line_messages(tmp_path: Path, args: tuple[str, ...],
                                              code: int, message: str) -> None:
    proc = archive(tmp_path / "home", *args)
    assert proc.returncode == code and message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_a_name_is_saved_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert archive(home, "alerts", "add", "ports", "port").returncode == 0
    again = archive(home, "alerts", "add", "ports", "gate")
    assert again.returncode == 2 and "archive alerts remove ports" in again.stderr


# --- digests by mail ------------------------------------------------------------------------


class Inbox:
    """An aiosmtpd handler keeping what it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Any:
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, f"smtp://127.0.0.1:{port}?from=archive@example.org&to=desk@example.org"
    finally:
        controller.stop()


def test_send_mails_each_saved_search_its_new_pages_once(tmp_path: Path, smtp: Any,
                                                         releases: dict[str, Path]) -> None:
    inbox, url = smtp
    env = {"ARCHIVE_SMTP_URL": url, "ARCHIVE_BASE_URL": "https://foia.example.org"}
    home = tmp_path / "home"
    add(home, releases["first"], "DHS release 1")
    assert archive(home, "alerts", "add", "sally-port", '"sally port"').returncode == 0
    assert archive(home, "alerts", "add", "gates", "gate",
                   "--email", "gates@example.org").returncode == 0
    nothing = archive(home, "alerts", "send", **env)
    assert nothing.returncode == 0 and "0 digests sent" in nothing.stdout and not inbox.messages

    add(home, releases["second"], "ICE release 2", released="2021-06-01")
    sent = archive(home, "alerts", "send", **env)
    assert sent.returncode == 0, sent.stderr
    assert "sent gates: 1 new page" in sent.stdout and "sent sally-port: 2 new pages" in sent.stdout
    by_subject = {m["Subject"]: (to, m) for to, m in inbox.messages}
    assert set(by_subject) == {'sally-port: 2 new pages for "sally port"',
                               "gates: 1 new page for gate"}
    to, message = by_subject['sally-port: 2 new pages for "sally port"']
    assert to == ["desk@example.org"] and message["From"] == "archive@example.org"
    body = message.get_payload(decode=True).decode()
    transfers = doc_ids(home)["transfers"]
    assert "ICE release 2 (released 2021-06-01)" in body
    assert f"https://foia.example.org/doc/{transfers}/page/1" in body
    assert f"https://foia.example.org/doc/{transfers}/page/3" in body
    assert "waited in the sally port for an hour" in body and "detainer" not in body
    assert by_subject["gates: 1 new page for gate"][0] == ["gates@example.org"]

    again = archive(home, "alerts", "send", **env)
    assert "0 digests sent" in again.stdout and len(inbox.messages) == 2
    listed = json.loads(archive(home, "alerts", "list", "--json").stdout)
    assert [a["new"] for a in listed] == [0, 0]


def test_send_without_a_mail_server_says_what_to_set(tmp_path: Path) -> None:
    home = tmp_path / "home"
    archive(home, "alerts", "add", "ports", "port")
    proc = archive(home, "alerts", "send", ARCHIVE_SMTP_URL="")
    assert proc.returncode == 1 and "set ARCHIVE_SMTP_URL" in proc.stderr
    refused = archive(home, "alerts", "send",
                      ARCHIVE_SMTP_URL=f"smtp://127.0.0.1:{free_port()}?from=a@example.org")
    assert refused.returncode == 0  # nothing new: no message, so no server needed
