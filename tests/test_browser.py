"""End to end in a real browser: Playwright driving Debian's chromium (never a downloaded one).

The archive is built once: the reconstructed scanned email (real OCR) and a born-digital PDF
whose text, title and file name are HTML and script. The app is served by waitress, as by
`archive serve`. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    CHROMIUM,
    HOSTILE_LINES,
    HOSTILE_NAME,
    REPO,
    RESOURCES,
    has_tesseract,
    reading_room,
    write_text_pdf,
)

from archive.catalog import Catalog
from archive.config import load_settings

pytestmark = [pytest.mark.browser, pytest.mark.ocr]  # the demo scan is OCR'd for real

ARTIFACTS = REPO / "tests" / "artifacts"
SCAN = REPO / "scans" / "reconstructed-ice-email"
HYBRID = REPO / "tests" / "resources" / "DERIVED_hybrid_scotus-11-889-p24_ntsb-058.pdf"

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)",
                allow_module_level=True)
if not has_tesseract:
    pytest.skip("tesseract is not installed; the demo scan needs OCR", allow_module_level=True)


@pytest.fixture(scope="session")
def browser_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo scan (OCR'd for real) and a hostile born-digital PDF, added once."""
    from archive.ingest.pipeline import add_production

    root = tmp_path_factory.mktemp("browser")
    scan = root / "in" / "ice"
    scan.mkdir(parents=True)
    for name in ("ice-email-2017-03-21.pdf", "production.toml"):
        shutil.copy(SCAN / name, scan / name)
    hostile = root / "in" / "hostile"
    write_text_pdf(hostile / HOSTILE_NAME, [[*HOSTILE_LINES, "a hostile record: its text is "
                                             "markup that must never run as script"]],
                   metadata={"title": "<script>alert(2)</script>"})
    hybrid = root / "in" / "hybrid"  # a text layer with a scan pasted in (issue 11)
    hybrid.mkdir(parents=True)
    shutil.copy(HYBRID, hybrid / HYBRID.name)
    settings = load_settings(root / "home", jobs=1, ocr_lang="eng")
    for folder, name in ((scan, None), (hostile, "Hostile <b>release</b>"),
                         (hybrid, "Hybrid pages")):
        report = add_production([folder], settings, production=name)
        assert not report.failed, report.failed
    return settings.home


@pytest.fixture(scope="session")
def base_url(browser_home: Path) -> Iterator[str]:
    """The reading room served by waitress on a free loopback port."""
    with reading_room(browser_home) as url:
        yield url


@pytest.fixture(scope="session")
def opinion_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A reading room of its own over the First Circuit opinion (a born-digital PDF)."""
    from archive.ingest.pipeline import add_production

    root = tmp_path_factory.mktemp("opinion")
    (root / "in").mkdir()
    shutil.copy(RESOURCES / "born_digital_ca1_opinion_20-1507.pdf", root / "in")
    settings = load_settings(root / "home", jobs=1, ocr_mode="never", ocr_lang="eng")
    assert not add_production([root / "in"], settings, production="Opinions").failed
    with reading_room(settings.home) as url:
        yield url


@pytest.fixture
def context(browser: Any, base_url: str) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    yield ctx
    ctx.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def doc_id_titled(home: Path, title: str) -> str:
    with Catalog(home / "index" / "catalog.sqlite", readonly=True) as catalog:
        return next(r["doc_id"] for r in catalog.documents() if r["title"] == title)


def overlap(a: dict[str, float], b: dict[str, float]) -> float:
    """The area of the intersection of two boxes {x, y, width, height}."""
    w = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
    h = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
    return max(0.0, w) * max(0.0, h)


def wait_for_image(page: Any, selector: str) -> None:
    page.wait_for_function(
        "s => { const i = document.querySelector(s); return i && i.complete && "
        "i.naturalWidth > 0; }", arg=selector)


def search_from_home(page: Any, base_url: str, query: str) -> list[str]:
    """Type `query` in the home page's search box and wait for the hits; returns the list
    the page's script errors go to."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(base_url + "/")
    page.fill("main input[name=q]", query)
    page.press("main input[name=q]", "Enter")
    page.wait_for_selector(".hit")
    return errors


def test_search_click_hit_highlight_and_cite(context, base_url, artifacts) -> None:  # type: ignore[no-untyped-def]
    page = context.new_page()
    errors = search_from_home(page, base_url, '"sally port"')
    assert page.locator("h1.summary").inner_text().startswith("1 matching page")
    wait_for_image(page, ".hit .thumb img")
    assert page.locator(".hit svg.overlay rect.match").count() == 1
    page.screenshot(path=str(artifacts / "results.png"))

    page.locator("a.hit-link").first.click()
    page.wait_for_url(re.compile(r"/doc/[0-9a-f]{16}/page/1\?q=%22sally\+port%22$"))
    doc_id = re.search(r"/doc/([0-9a-f]{16})/", page.url).group(1)  # type: ignore[union-attr]
    wait_for_image(page, "#page-figure img")

    # the box drawn over the image covers the words OCR found, and little else
    data = page.request.get(f"{base_url}/api/doc/{doc_id}/page/1").json()
    words = data["words"]
    i = next(i for i in range(len(words) - 1)
             if words[i][4].lower() == "sally" and words[i + 1][4].lower().startswith("port"))
    image = page.locator("#page-figure img").bounding_box()
    scale = image["width"] / data["width"]
    x0, y0 = words[i][0], min(words[i][1], words[i + 1][1])
    x1, y1 = words[i + 1][2], max(words[i][3], words[i + 1][3])
    expected = {"x": image["x"] + x0 * scale, "y": image["y"] + y0 * scale,
                "width": (x1 - x0) * scale, "height": (y1 - y0) * scale}
    drawn = page.locator("#page-figure rect.match").bounding_box()
    area = expected["width"] * expected["height"]
    assert overlap(drawn, expected) >= 0.95 * area
    assert drawn["width"] * drawn["height"] <= 2.0 * area
    page.screenshot(path=str(artifacts / "viewer.png"))

    # one click copies the citation line
    citation = page.locator("#citation").inner_text()
    assert citation.startswith('U.S. Immigration and Customs Enforcement, Reconstructed ICE '
                               'email (demo), "ice-email-2017-03-21", p. 1 of 1, ')
    assert f"{base_url}/doc/{doc_id}/page/1 (accessed " in citation
    page.click("button[data-copy=citation]")
    page.wait_for_selector("button[data-copy=citation].done")
    assert page.evaluate("navigator.clipboard.readText()") == citation
    assert errors == []


def test_narrow_screen(context, base_url, artifacts) -> None:  # type: ignore[no-untyped-def]
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    for name, path in (("narrow-results.png", '/search?q="sally port"'),
                       ("narrow-empty.png", "/search?q=xylophone")):
        page.goto(base_url + path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(artifacts / name), full_page=True)
    page.goto(base_url + '/search?q="sally port"')
    page.locator("a.hit-link").first.click()
    wait_for_image(page, "#page-figure img")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    image = page.locator("#page-figure img").bounding_box()
    assert image["width"] > 300  # the page image takes the screen's width
    page.screenshot(path=str(artifacts / "narrow-viewer.png"), full_page=True)


def test_hostile_record_never_runs(context, base_url, browser_home, artifacts) -> None:  # type: ignore[no-untyped-def]
    doc_id = doc_id_titled(browser_home, Path(HOSTILE_NAME).stem)
    page = context.new_page()
    dialogs: list[str] = []
    policy_violations: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("console", lambda msg: policy_violations.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    for path in ("/search?q=alert", "/search?q=hostile", f"/doc/{doc_id}",
                 f"/doc/{doc_id}/page/1?q=alert", "/production/hostile-b-release-b", "/",
                 "/search?q=<script>alert(3)</script>"):
        response = page.goto(base_url + path)
        assert response is not None and response.status in (200, 400), path
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
        assert page.evaluate("document.scripts.length") == 1  # only /static/app.js
    page.goto(f"{base_url}/doc/{doc_id}/page/1?q=alert")
    shown = page.locator("pre.page-text").inner_text()
    assert HOSTILE_LINES[0] in shown and HOSTILE_LINES[1] in shown  # shown as text
    page.screenshot(path=str(artifacts / "hostile.png"))
    assert dialogs == [] and policy_violations == []
    page.evaluate("alert('probe')")  # the listener does see a dialog when one opens
    assert dialogs == ["probe"]


def test_redaction_outlines_toggle(context, base_url, browser_home, artifacts) -> None:  # type: ignore[no-untyped-def]
    doc_id = doc_id_titled(browser_home, "ice-email-2017-03-21")
    data = context.request.get(f"{base_url}/api/doc/{doc_id}/page/1").json()
    boxes = data["redactions"]["boxes"]
    assert len(boxes) >= 4  # the scan's (b)(6) bars
    page = context.new_page()
    page.goto(f"{base_url}/doc/{doc_id}/page/1")
    wait_for_image(page, "#page-figure img")
    outlines, toggle = page.locator("#redaction-boxes"), page.locator("#show-redactions")
    assert toggle.is_visible() and not outlines.is_visible()
    toggle.check()
    assert outlines.is_visible()
    # each outline sits on its box of the page image, as the match boxes do
    image = page.locator("#page-figure img").bounding_box()
    scale = image["width"] / data["width"]
    for rect, (x0, y0, x1, y1) in zip(outlines.locator("rect.redaction").all(), boxes,
                                      strict=True):
        drawn = rect.bounding_box()
        expected = {"x": image["x"] + x0 * scale, "y": image["y"] + y0 * scale,
                    "width": (x1 - x0) * scale, "height": (y1 - y0) * scale}
        for start, size in (("x", "width"), ("y", "height")):  # edges within the stroke
            assert abs(drawn[start] - expected[start]) <= 1.5, (drawn, expected)
            assert abs(drawn[start] + drawn[size] - expected[start] - expected[size]) <= 1.5
    page.screenshot(path=str(artifacts / "viewer-redactions.png"))
    page.reload()  # the choice is remembered from page to page
    wait_for_image(page, "#page-figure img")
    assert toggle.is_checked() and outlines.is_visible()
    toggle.uncheck()
    assert not outlines.is_visible()


def test_a_phrase_over_a_page_break_is_marked_on_both_pages(browser, opinion_url,  # type: ignore[no-untyped-def]
                                                             artifacts) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    errors = search_from_home(page, opinion_url, "\"parties' agreement alone\"")
    assert "agreement [p. 8] alone" in " ".join(page.locator(".hit .excerpt").inner_text().split())
    page.locator("a.hit-link").first.click()
    page.wait_for_url(re.compile(r"/doc/[0-9a-f]{16}/page/7\?q="))
    for number, link in ((7, "a.across-to"), (8, "a.across-from")):
        wait_for_image(page, "#page-figure img")
        image = page.locator("#page-figure img").bounding_box()
        (box,) = [r.bounding_box() for r in page.locator("#page-figure rect.match").all()]
        # page 7's part sits at the foot of its page, page 8's at the top of its body
        where = (box["y"] - image["y"]) / image["height"]
        assert (where > 0.85) if number == 7 else (where < 0.15), (number, where)
        assert page.locator("pre.page-text mark").all_inner_texts() == (
            ["parties' agreement"] if number == 7 else ["alone"])
        page.screenshot(path=str(artifacts / f"page-break-{number}.png"))
        if number == 7:
            page.locator(link).click()
            page.wait_for_url(re.compile(r"/page/8\?q="))
    assert page.locator(".query-bar a.across-from").inner_text() == "p. 7"
    assert errors == []
    page.close()


def test_hybrid_page_shows_which_words_ocr_read(context, base_url, browser_home, artifacts) -> None:  # type: ignore[no-untyped-def]
    doc_id = doc_id_titled(browser_home, HYBRID.stem)
    data = context.request.get(f"{base_url}/api/doc/{doc_id}/page/1").json()
    [region] = data["ocr_regions"]
    page = context.new_page()
    page.goto(f"{base_url}/doc/{doc_id}/page/1?q=%22Wall+Street+journal%22")
    wait_for_image(page, "#page-figure img")
    # the picture read by OCR is outlined where it is on the image, the phrase boxed inside
    image = page.locator("#page-figure img").bounding_box()
    scale = image["width"] / data["width"]
    outline = page.locator("#ocr-regions rect.ocr-region")
    assert outline.is_visible()
    drawn, (x0, y0, x1, y1) = outline.bounding_box(), region["box"]
    for start, size, low, high in (("x", "width", x0, x1), ("y", "height", y0, y1)):
        assert abs(drawn[start] - (image[start] + low * scale)) <= 1.5
        assert abs(drawn[start] + drawn[size] - (image[start] + high * scale)) <= 1.5
    match = page.locator("#page-figure rect.match").bounding_box()
    assert overlap(match, drawn) == match["width"] * match["height"]
    # its words in the text are underlined in dots, the text layer's are not
    ocr_text = page.locator("pre.page-text span.from-ocr")
    assert "Wall Street journal article" in ocr_text.inner_text()
    assert ocr_text.evaluate("e => getComputedStyle(e).textDecorationStyle") == "dotted"
    assert "It is so ordered." not in ocr_text.inner_text()
    assert page.locator(".page-text-box .badge.text-ocr").text_content() == "text layer + OCR"
    page.screenshot(path=str(artifacts / "viewer-hybrid.png"))


def test_tolerant_switch_finds_a_misreading_and_boxes_it(context, base_url, artifacts) -> None:  # type: ignore[no-untyped-def]
    """"sallv port" (as OCR misreads "sally") is nowhere; ticking "Tolerate OCR
    misreadings" finds the scanned email's "sally port", names the word and boxes it."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(base_url + '/search?q="sallv port"')
    assert page.locator("h1.summary").inner_text().startswith("No pages match")
    page.check("input[type=checkbox][name=tolerant]")  # the form is sent at once
    page.wait_for_selector(".hit")
    assert "tolerant=1" in page.url
    assert page.locator("h1.summary").inner_text().startswith("1 matching page")
    assert page.locator(".fuzzy-words").inner_text().lower() == "matched fuzzily: sally"
    assert page.locator("input[type=checkbox][name=tolerant]").is_checked()
    wait_for_image(page, ".hit .thumb img")
    assert page.locator(".hit svg.overlay rect.match").count() == 1
    page.screenshot(path=str(artifacts / "tolerant-results.png"))
    page.locator("a.hit-link").first.click()
    page.wait_for_url(re.compile(r"/doc/[0-9a-f]{16}/page/1\?q=.*&tolerant=1$"))
    assert page.locator("#page-figure rect.match").count() == 1
    assert errors == []
