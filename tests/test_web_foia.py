"""The reading room's FOIA features: facets, collapse, Bates jump, what the viewer shows of
exemptions, redactions, emails and repeated records, attachments, production counts.

One archive is built for the module (born-digital PDFs and one native email, no OCR):
- "ICE release 1" (2020-03-05): emails.pdf, three printed emails stamped
  2019-ICLI-00003 022454..022456, labelled (b)(6) and (b)(7)(C), one redaction box each;
  withheld.pdf, one page labelled (b)(7)(E) and covered by a box (withheld in full);
- "ICE release 2" (2021-06-01): the same three emails, re-stamped, two boxes each;
- "Mail release": mail.eml with hostile header fields, a PDF and an empty zip attached.
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
from test_foia_archive import BODY, OTHER  # the same released emails

from archive import records
from archive.catalog import Catalog
from archive.config import Settings, load_settings
from archive.ingest.pipeline import add_production
from web import create_app

HOSTILE = "<script>alert(1)</script>"
HOSTILE_SUBJECT = "<img src=x onerror=alert(1)> transfer"


def _emails(folder: Path, stamps: list[str], boxes: int) -> None:
    doc = pymupdf.open()
    for n, stamp in enumerate(stamps):
        page = doc.new_page(width=612, height=792)
        header = (f"From: (b)(6); (b)(7)(C)\nSent: Tuesday, March {21 + n}, 2017 10:47 AM\n"
                  f"To: ERO Duty Officer\nSubject: Detainer outcome {n + 1}\n\n")
        page.insert_textbox(pymupdf.Rect(72, 72, 540, 700), header + BODY + OTHER[n] * 3,
                            fontsize=10)
        for b in range(boxes):
            page.draw_rect(pymupdf.Rect(300, 90 + 40 * b, 420, 102 + 40 * b),
                           color=(0, 0, 0), fill=(0, 0, 0))
        page.insert_text((420, 770), stamp, fontsize=9)
    folder.mkdir(parents=True, exist_ok=True)
    doc.save(folder / "emails.pdf")


def _withheld(folder: Path) -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_text((72, 100), "(b)(7)(E)", fontsize=12)
    page.insert_text((72, 120), "Techniques for taking a detainee into custody", fontsize=12)
    page.draw_rect(pymupdf.Rect(72, 140, 540, 720), color=(0, 0, 0), fill=(0, 0, 0))
    doc.save(folder / "withheld.pdf")


def _memo_pdf() -> bytes:
    doc = pymupdf.open()
    doc.new_page(width=612, height=792).insert_text((72, 100), "Quarterly detainer memo")
    data = doc.tobytes()
    doc.close()
    return data


def _mail(folder: Path) -> None:
    msg = EmailMessage()
    msg["From"] = f'"{HOSTILE}" <evil@example.com>'
    msg["To"] = "Records Office <records@agency.gov>"
    msg["Cc"] = "Counsel <counsel@agency.gov>"
    msg["Subject"] = HOSTILE_SUBJECT
    msg["Date"] = "Tue, 21 Mar 2017 10:47:00 -0500"
    msg.set_content("The detainee list is attached.\n")
    msg.add_attachment(_memo_pdf(), maintype="application", subtype="pdf", filename="memo.pdf")
    msg.add_attachment(b"PK\x05\x06" + b"\x00" * 18, maintype="application", subtype="zip",
                       filename="bundle.zip")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mail.eml").write_bytes(msg.as_bytes())


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("webfoia")
    settings = load_settings(root / "home", jobs=1, ocr_mode="never", ocr_lang="eng")
    _emails(root / "first", ["2019-ICLI-00003 022454", "2019-ICLI-00003 022455",
                             "2019-ICLI-00003 022456"], boxes=1)
    _withheld(root / "first")
    _emails(root / "second", ["ICE-2-000001", "ICE-2-000002", "ICE-2-000003"], boxes=2)
    _mail(root / "mail")
    for folder, name, meta in (
        ("first", "ICE release 1", {"agency": "ICE", "released": "2020-03-05"}),
        ("second", "ICE release 2", {"agency": "ICE", "released": "2021-06-01"}),
        ("mail", "Mail release", {}),
    ):
        add_production([root / folder], settings, production=name, meta=meta)
    with Catalog(settings.catalog_path) as catalog:  # as a load file would have given them
        doc_id = _doc_id(catalog, "emails", "ICE release 1")
        catalog.update_document_meta(doc_id, {
            "fields": {"CUSTODIAN": HOSTILE, "DOCTYPE": "Email", "EMPTY": ""},
            "bates_range": ["2019-ICLI-00003 022454", "2019-ICLI-00003 022456"]})
        catalog.db.commit()
    return settings


def _doc_id(catalog: Catalog, title: str, production: str | None = None) -> str:
    for row in catalog.documents():
        names = [p["name"] for p in catalog.document_productions(row["doc_id"])]
        if row["title"] == title and (production is None or production in names):
            return str(row["doc_id"])
    raise KeyError(title)


@pytest.fixture(scope="module")
def ids(home: Settings) -> dict[str, str]:
    with Catalog(home.catalog_path, readonly=True) as catalog:
        return {"first": _doc_id(catalog, "emails", "ICE release 1"),
                "second": _doc_id(catalog, "emails", "ICE release 2"),
                "withheld": _doc_id(catalog, "withheld"),
                "mail": _doc_id(catalog, "mail"), "memo": _doc_id(catalog, "memo")}


@pytest.fixture
def client(home: Settings) -> Any:
    return create_app({"ARCHIVE_SETTINGS": home, "TESTING": True}).test_client()


def html(response: Any) -> BeautifulSoup:
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def facet(page: BeautifulSoup, name: str) -> dict[str, tuple[int, str]]:
    """{label: (count, href)} of one facet beside the results."""
    section = page.select_one(f"section.facet[data-facet={name}]")
    if section is None:
        return {}
    return {li.select_one("a").get_text(strip=True): (int(li.select_one(".count").get_text()),
                                                       li.select_one("a")["href"])
            for li in section.select("li")}


def total(page: BeautifulSoup) -> int:
    strong = page.select_one("h1.summary strong")
    return int(strong.get_text()) if strong else 0


def words(tag: Any) -> str:
    """A tag's text, whitespace squeezed."""
    return " ".join(tag.get_text().split())


def args(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


# --- search ----------------------------------------------------------------------------------


def test_exemption_facet_counts_and_narrows_within_a_production(client) -> None:  # type: ignore[no-untyped-def]
    everywhere = html(client.get("/search?q=custody"))
    assert facet(everywhere, "exemption") == {
        "(b)(6)": (6, "/search?q=custody&exemption=b6"),
        "(b)(7)(C)": (6, "/search?q=custody&exemption=b7c"),
        "(b)(7)(E)": (1, "/search?q=custody&exemption=b7e")}
    in_first = html(client.get("/search?q=custody&production=ice-release-1"))
    exemption = facet(in_first, "exemption")
    assert {k: v[0] for k, v in exemption.items()} == {"(b)(6)": 3, "(b)(7)(C)": 3,
                                                      "(b)(7)(E)": 1}
    assert {k: v[0] for k, v in facet(in_first, "redacted").items()} == {"Redacted": 4}
    # how much was withheld under (b)(7)(E) in this production: one page, this one
    narrowed = html(client.get(exemption["(b)(7)(E)"][1]))
    assert total(narrowed) == 1
    assert [h.get_text(strip=True) for h in narrowed.select("article.doc-group h2")] == [
        "withheld"]
    assert narrowed.select_one("section.facet[data-facet=exemption] li.active a").get_text() == (
        "(b)(7)(E)")
    assert words(narrowed.select_one("p.filters")) == "Only pages withheld under (b)(7)(E) ×"
    # the filters ride along in the search box, and the clear link drops only the exemption
    hidden = {i["name"]: i["value"] for i in narrowed.select("header form input[type=hidden]")}
    assert hidden == {"production": "ice-release-1", "exemption": "b7e"}
    clear = narrowed.select_one("section.facet[data-facet=exemption] a.clear")["href"]
    assert args(clear) == {"q": ["custody"], "production": ["ice-release-1"]}


def test_redacted_facet_narrows_and_old_urls_still_work(client) -> None:  # type: ignore[no-untyped-def]
    page = html(client.get("/search?q=detainee"))
    redacted = facet(page, "redacted")
    assert {k: v[0] for k, v in redacted.items()} == {"Redacted": 3, "Not redacted": 1}
    unredacted = html(client.get(redacted["Not redacted"][1]))
    assert total(unredacted) == 1
    assert [h.get_text(strip=True) for h in unredacted.select("article.doc-group h2")] == [
        "mail"]
    assert words(unredacted.select_one("p.filters")) == (
        "Only pages without redaction boxes ×")
    old = html(client.get("/search?q=custody&production=ice-release-2"))
    assert total(old) == 3
    assert args(old.select_one("section.facet[data-facet=production] li.active a")["href"]) == {
        "q": ["custody"], "production": ["ice-release-2"]}


def test_hits_show_bates_exemptions_and_redactions(client) -> None:  # type: ignore[no-untyped-def]
    page = html(client.get('/search?q="detainer outcome 2" AND production:"ICE release 1"'))
    line = page.select_one(".hit .hit-foia")
    assert line.select_one(".bates").get_text() == "Bates 2019-ICLI-00003 022455"
    assert [b.get_text() for b in line.select(".badge.exemption")] == ["(b)(6)", "(b)(7)(C)"]
    assert line.select_one(".badge.redacted").get_text() == "1 redaction"


def test_collapse_shows_each_record_once_and_is_kept_in_links(home, client) -> None:  # type: ignore[no-untyped-def]
    assert total(html(client.get('/search?q="sally port"'))) == 6
    page = html(client.get('/search?q="sally port"&collapse=1'))
    assert total(page) == 3
    bates = sorted(b.get_text() for b in page.select(".hit-foia .bates"))
    assert bates == ["Bates 2019-ICLI-00003 022454", "Bates 2019-ICLI-00003 022455",
                     "Bates 2019-ICLI-00003 022456"]  # the earliest release of each
    toggle = page.select_one("form.collapse-toggle input[name=collapse]")
    assert toggle.has_attr("checked")
    assert all(args(href)["collapse"] == ["1"] for _, href in facet(page, "exemption").values())
    assert page.select_one("header form input[name=collapse]")["value"] == "1"
    unticked = html(client.get('/search?q="sally port"'))
    assert not unticked.select_one("form.collapse-toggle input[name=collapse]").has_attr("checked")
    # the API takes it too, and "next" keeps it with the other filters
    small = create_app({"ARCHIVE_SETTINGS": home, "TESTING": True, "RESULTS_PER_PAGE": 2})
    data = small.test_client().get('/api/search?q="sally port"&collapse=1&exemption=(b)(6)').json
    assert data["total"] == 3 and len(data["hits"]) == 2
    assert args(data["next"]) == {"q": ['"sally port"'], "exemption": ["b6"],
                                  "collapse": ["1"], "page": ["2"]}
    spec = client.get("/openapi.json").json
    names = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert {"collapse", "exemption", "redacted"} <= names


@pytest.mark.parametrize(("typed", "page"), [
    ("ICLI-00003-022455", 2), ("2019-ICLI-00003 -022454", 1), ("2019-icli-00003-022456", 3)])
def test_a_bates_number_jumps_to_its_page(client, ids, typed, page) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/search", query_string={"q": typed})
    assert response.status_code == 302
    assert urlsplit(response.location).path == f"/doc/{ids['first']}/page/{page}"
    viewer = html(client.get(response.location))
    notice = viewer.select_one(".bates-jump")
    assert typed in notice.get_text()
    stay = notice.select_one("a")["href"]
    assert args(stay) == {"q": [typed], "jump": ["0"]}
    results = html(client.get(stay))  # the search itself, that page first
    first = results.select_one("a.hit-link")["href"]
    assert urlsplit(first).path == f"/doc/{ids['first']}/page/{page}"
    for _, href in facet(results, "production").values():  # narrowing does not jump away
        assert args(href)["jump"] == ["0"] and client.get(href).status_code == 200


def test_an_unknown_bates_number_is_an_ordinary_search(client, ids) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/search?q=ICE-2-000009")
    assert response.status_code == 200
    # a made-up link cannot make the viewer claim a Bates number the page does not carry
    viewer = html(client.get(f"/doc/{ids['first']}/page/1?bates=ICE-2-000009"))
    assert viewer.select_one(".bates-jump") is None


# --- the page viewer -------------------------------------------------------------------------


def test_viewer_shows_what_was_withheld_and_outlines_the_boxes(home, client, ids) -> None:  # type: ignore[no-untyped-def]
    page = html(client.get(f"/doc/{ids['first']}/page/2"))
    withheld = page.select_one("section.withheld")
    links = {a.get_text(): a["href"] for a in withheld.select(".exemptions a")}
    assert links == {"(b)(6)": "/search?q=exemption:b6&production=ice-release-1",
                     "(b)(7)(C)": "/search?q=exemption:b7c&production=ice-release-1"}
    assert withheld.select_one(".redactions").get_text() == "1 box, 0.3 % of the page"
    assert withheld.select_one(".withheld-full") is None
    # the outlines: hidden until the toggle (app.js) shows them, in the page's points
    with Catalog(home.catalog_path, readonly=True) as catalog:
        found = records.for_page(catalog, ids["first"], 2)
    assert found is not None
    svg = page.select_one("#page-figure svg#redaction-boxes")
    assert svg["viewbox"] == page.select_one("#page-figure svg.overlay")["viewbox"] == (
        "0 0 612.0 792.0")
    rects = [[float(r[k]) for k in ("x", "y", "width", "height")]
             for r in svg.select("rect.redaction")]
    assert rects == [[pytest.approx(x0, abs=0.06), pytest.approx(y0, abs=0.06),
                      pytest.approx(x1 - x0, abs=0.1), pytest.approx(y1 - y0, abs=0.1)]
                     for x0, y0, x1, y1 in found["redactions"]["boxes"]]
    x, y, w, h = rects[0]  # where the PDF has its black box: 300, 90 to 420, 102
    assert abs(x - 300) <= 2 and abs(y - 90) <= 2 and abs(w - 120) <= 3 and abs(h - 12) <= 3
    toggle = page.select_one("#show-redactions")
    assert toggle["type"] == "checkbox" and toggle["data-figure"] == "page-figure"
    assert page.select_one(".redaction-toggle").has_attr("hidden")  # until app.js runs
    email = {dt.get_text(): dt.find_next_sibling("dd").get_text()
             for dt in page.select("section.email-headers dt")}
    assert email["Subject"] == "Detainer outcome 2" and email["Date"] == "2017-03-22"
    assert "Record date" in page.select_one("section.about").get_text()


def test_viewer_lists_the_same_record_in_other_releases(client, ids) -> None:  # type: ignore[no-untyped-def]
    page = html(client.get(f"/doc/{ids['first']}/page/2"))
    (link, compare) = page.select("section.also-released li a")
    assert (link["href"], link.get_text()) == (f"/doc/{ids['second']}/page/2", "ICE release 2")
    assert compare["href"] == f"/doc/{ids['first']}/page/2/compare/{ids['second']}/2"
    assert "released 2021-06-01" in link.find_parent("li").get_text()
    other = html(client.get(link["href"]))
    back = [a["href"] for a in other.select("section.also-released li a")]
    assert back == [f"/doc/{ids['first']}/page/2",
                    f"/doc/{ids['second']}/page/2/compare/{ids['first']}/2"]
    assert len(other.select("svg#redaction-boxes rect.redaction")) == 2


def test_a_page_withheld_in_full(client, ids) -> None:  # type: ignore[no-untyped-def]
    page = html(client.get(f"/doc/{ids['withheld']}/page/1"))
    full = page.select_one("section.withheld .withheld-full")
    assert "Withheld in full" in full.get_text()
    assert [a.get_text() for a in page.select("section.withheld .exemptions a")] == [
        "(b)(7)(E)"]
    assert page.select_one("section.also-released") is None
    with client.get(f"/api/doc/{ids['withheld']}/page/1") as api:
        assert api.get_json()["redactions"]["full"] is True
    with client.get(f"/api/doc/{ids['first']}/page/1") as api:
        assert api.get_json()["redactions"]["full"] is False


# --- documents, emails, attachments ----------------------------------------------------------


def test_email_document_lists_headers_and_attachments(client, ids) -> None:  # type: ignore[no-untyped-def]
    page = html(client.get(f"/doc/{ids['mail']}"))
    grid = {dt.get_text(strip=True): dt.find_next_sibling("dd").get_text(strip=True)
            for dt in page.select(".meta-grid dt")}
    assert grid["From"] == f'"{HOSTILE}" <evil@example.com>'  # shown as text
    assert grid["Subject"] == HOSTILE_SUBJECT and grid["Date"] == "2017-03-21"
    assert grid["Cc"] == "Counsel <counsel@agency.gov>"
    items = page.select("section.attachments li")
    assert [li.select_one("a, .name").get_text() for li in items] == ["memo.pdf", "bundle.zip"]
    assert items[0].select_one("a")["href"] == f"/doc/{ids['memo']}"
    assert "zip archive" in items[1].select_one(".notice").get_text()
    assert items[1].select_one("a") is None


def test_an_attachment_links_back_to_its_email(client, ids) -> None:  # type: ignore[no-untyped-def]
    for url in (f"/doc/{ids['memo']}", f"/doc/{ids['memo']}/page/1"):
        parent = html(client.get(url)).select_one("a.parent")
        assert (parent["href"], parent.get_text()) == (f"/doc/{ids['mail']}", "mail"), url


def test_load_file_fields_and_bates_range(client, ids) -> None:  # type: ignore[no-untyped-def]
    page = html(client.get(f"/doc/{ids['first']}"))
    fields = {dt.get_text(): dt.find_next_sibling("dd").get_text()
              for dt in page.select(".meta-grid dt.load-field")}
    assert fields == {"CUSTODIAN": HOSTILE, "DOCTYPE": "Email"}
    assert page.select_one(".bates-range").get_text() == (
        "2019-ICLI-00003 022454 \u2013 2019-ICLI-00003 022456")


def test_hostile_email_fields_and_load_file_values_stay_text(client, ids) -> None:  # type: ignore[no-untyped-def]
    for url in (f"/doc/{ids['mail']}", f"/doc/{ids['mail']}/page/1", f"/doc/{ids['first']}",
                "/search?q=detainee", "/production/mail-release"):
        response = client.get(url)
        page = html(response)
        scripts = page.find_all("script")
        assert all(s.get("src") == "/static/app.js" and not s.string for s in scripts), url
        assert page.find("img", src="x") is None, url
        for tag in page.find_all(True):
            assert not [a for a in tag.attrs if a.startswith("on") or a == "style"], (url, tag)
        body = response.get_data(as_text=True)
        assert "<script>alert" not in body and "<img src=x" not in body, url
    viewer = html(client.get(f"/doc/{ids['mail']}/page/1"))
    email = {dt.get_text(): dt.find_next_sibling("dd").get_text()
             for dt in viewer.select("section.email-headers dt")}
    assert email["Subject"] == HOSTILE_SUBJECT and HOSTILE in email["From"]


# --- productions -----------------------------------------------------------------------------


def test_production_page_counts_what_was_withheld(client) -> None:  # type: ignore[no-untyped-def]
    page = html(client.get("/production/ice-release-1"))
    rows = {tr.select_one("a").get_text(): (int(tr.select_one(".num").get_text()),
                                            tr.select_one("a")["href"])
            for tr in page.select("table.exemption-counts tbody tr")}
    assert rows == {
        "(b)(6)": (3, "/search?q=exemption:b6&production=ice-release-1"),
        "(b)(7)(C)": (3, "/search?q=exemption:b7c&production=ice-release-1"),
        "(b)(7)(E)": (1, "/search?q=exemption:b7e&production=ice-release-1")}
    redacted = page.select_one(".redacted-count")
    assert redacted.get_text(" ", strip=True).startswith("4 pages of 4 with redaction boxes")
    assert total(html(client.get(redacted.select_one("a")["href"]))) == 4
    assert total(html(client.get(rows["(b)(7)(E)"][1]))) == 1
    # a production with nothing withheld says nothing about it
    assert html(client.get("/production/mail-release")).select_one(".withheld-counts") is None


def test_api_page_boxes_match_the_viewer(client, ids) -> None:  # type: ignore[no-untyped-def]
    data = client.get(f"/api/doc/{ids['second']}/page/1").json
    page = html(client.get(f"/doc/{ids['second']}/page/1"))
    rects = page.select("svg#redaction-boxes rect.redaction")
    assert len(rects) == len(data["redactions"]["boxes"]) == 2
    assert json.dumps(data["duplicates"][0]["production"]) == '"ICE release 1"'


@pytest.mark.parametrize("value", ["<script>alert(1)</script>", "b7c", "(b)(7)(C)", "b99",
                                   "yes", "\x00", "1", "", "x" * 2000])
def test_hostile_filter_values_never_500(client, value) -> None:  # type: ignore[no-untyped-def]
    for q in ("custody", "\\", "sally)", "ICLI-00003-022455", "a" * 995):
        for url in ("/search", "/api/search"):
            response = client.get(url, query_string={
                "q": q, "exemption": value, "redacted": value, "collapse": value,
                "production": value, "jump": value, "page": value})
            assert response.status_code in (200, 302, 400), (url, q, response.status_code)
            body = response.get_data(as_text=True)
            assert "Traceback" not in body and "<script>alert" not in body
