"""Shared fixtures: settings over a temp archive, PDF factories, paths to real resources."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pgserver
import pymupdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from archive.config import Settings, load_settings
from archive.store import Store, open_store

REPO = Path(__file__).resolve().parents[1]
RESOURCES = REPO / "tests" / "resources"
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"

has_tesseract = shutil.which("tesseract") is not None
needs_tesseract = pytest.mark.skipif(not has_tesseract, reason="tesseract is not installed "
                                     "(apt-get install tesseract-ocr tesseract-ocr-eng)")
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")


@pytest.fixture
def resources() -> Path:
    """The small real files committed with the tests (see tests/resources/README.md)."""
    return RESOURCES


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for an empty archive in a temp folder; one worker, no OCR unless asked."""
    home = tmp_path / "home"
    home.mkdir()
    return load_settings(home, jobs=1, ocr_mode="never", ocr_lang="eng")


# --- server mode: a PostgreSQL cluster of the tests' own (tests/pgserver.py) ---------------------


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[pgserver.Cluster]:
    """A PostgreSQL server for the whole run, on a unix socket in a temp folder; stopped at
    the end, whatever the tests did. Skipped only when PostgreSQL is not installed."""
    bindir = pgserver.find_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql; "
                    "scripts/setup.sh does it)")
    cluster = pgserver.Cluster(bindir)
    try:
        cluster.init()
        cluster.start()
        cluster.create_roles()
        yield cluster
    finally:
        if cluster.is_running():
            cluster.stop()
        cluster.remove()


@pytest.fixture
def pg_url(pg_cluster: pgserver.Cluster) -> str:
    """The URL of a new, empty database on the test cluster, for this test alone."""
    return pg_cluster.url(pg_cluster.new_database())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.server)])
def store_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """`settings` for the embedded catalog, then for a PostgreSQL one (server mode)."""
    if request.param == "sqlite":
        return settings
    url = request.getfixturevalue("pg_url")
    return replace(settings, database_url=url)


@pytest.fixture
def store(store_settings: Settings) -> Iterator[Store]:
    """A writable catalog on each backend in turn (the tests run once per backend)."""
    with open_store(store_settings) as opened:
        yield opened


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for candidate in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                      "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"):
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size)


def text_image(lines: list[str], width: int = 1275, height: int = 1650,
               size: int = 34) -> Image.Image:
    """A clean 150-dpi letter page image with the given lines typed on it."""
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = _font(size)
    y = 120
    for line in lines:
        draw.text((110, y), line, fill=0, font=font)
        y += int(size * 1.6)
    return image


PageSpec = str  # "t:words" for a text-layer page, "s:words" for a scanned (image-only) page


@pytest.fixture
def make_pdf(tmp_path: Path) -> Callable[..., Path]:
    """Build a PDF: make_pdf("name.pdf", "t:Alpha text", "s:Bravo scan", folder=...)."""

    def build(name: str, *pages: PageSpec, folder: Path | None = None) -> Path:
        target = (folder or tmp_path / "in") / name
        target.parent.mkdir(parents=True, exist_ok=True)
        doc = pymupdf.open()
        for spec in pages:
            kind, _, text = spec.partition(":")
            page = doc.new_page(width=612, height=792)
            if kind == "t":
                page.insert_textbox(pymupdf.Rect(72, 72, 540, 720), text, fontsize=12)
            else:
                image = text_image(text.split("\n"))
                png = target.parent / f".{name}.{len(doc)}.png"
                image.save(png, dpi=(150, 150))
                page.insert_image(page.rect, filename=str(png))
                png.unlink()
        doc.save(target)
        doc.close()
        return target

    return build


# --- the reading room (web/) ---------------------------------------------------------------

HOSTILE_LINES = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")
HOSTILE_NAME = "<img src=x onerror=alert(1)>.pdf"  # a file name is released text too


def write_text_pdf(path: Path, pages: list[list[str]],
                   metadata: dict[str, str] | None = None) -> Path:
    """A born-digital PDF: each page's lines typed one per line, so line breaks are known."""
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = pymupdf.open()
    for lines in pages:
        page = doc.new_page(width=612, height=792)
        for n, line in enumerate(lines):
            page.insert_text((72, 100 + 24 * n), line, fontsize=12)
    if metadata:
        doc.set_metadata(metadata)
    doc.save(path)
    doc.close()
    return path


DETAINER_PAGES = [
    ["Declined detainer outcome report", "Hennepin County Adult Detention Center",
     "Subject: weekly summary of detainers filed and declined by the county"],
    ["Hennepin County released an alien out the front door of the jail",
     "as an officer was waiting in their sally port to take him",
     "into custody. Another port was busy that morning.",
     "The second sally port at the annex was closed for repairs."],
    ["Rikers Island transfer requests for the week of March 20", "The gate of the sal-",
     "ly port was open at noon, the report says."],
    ["Port authority notes", "nothing about the gate here, only the harbor schedule"],
]


@pytest.fixture(scope="session")
def web_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive of text-layer PDFs (no OCR) for the reading room's tests, built once.

    Production "DHS detainers <2017>": detainer-reports.pdf (4 pages, "sally port" on pages
    2 and 3, hyphenated across a line on 3) and a one-page PDF whose name, title and text
    are HTML/script. Production "NTSB release": long-report.pdf, 25 pages with "aircraft".
    """
    from archive.ingest.pipeline import add_production

    root = tmp_path_factory.mktemp("web")
    dhs, ntsb = root / "in" / "dhs", root / "in" / "ntsb"
    write_text_pdf(dhs / "detainer-reports.pdf", DETAINER_PAGES)
    write_text_pdf(dhs / HOSTILE_NAME, [[*HOSTILE_LINES, "a hostile record: its text is markup",
                                         "that must be shown as text, never run as script"]],
                   metadata={"title": "<script>alert(2)</script>"})
    write_text_pdf(ntsb / "long-report.pdf", [
        [f"Aircraft maintenance log, entry {n}", "The aircraft was inspected by the crew",
         "before departure; no defects were recorded on this page."] for n in range(1, 26)])
    settings = load_settings(root / "home", jobs=1, ocr_mode="never", ocr_lang="eng")
    for folder, name, meta in (
        (dhs, "DHS detainers <2017>", {"agency": "U.S. Dept. of Homeland Security",
                                       "request_number": "2019-ICLI-00003",
                                       "released": "2020-03-05"}),
        (ntsb, "NTSB release", {"agency": "National Transportation Safety Board"}),
    ):
        report = add_production([folder], settings, production=name, meta=meta)
        assert not report.failed, report.failed
    return settings.home


@pytest.fixture
def app(web_home: Path):  # type: ignore[no-untyped-def]
    """The reading room over `web_home` (flaskr's `app` fixture)."""
    from web import create_app

    return create_app({"ARCHIVE_HOME": str(web_home), "TESTING": True})


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    """A Flask test client of `app`."""
    return app.test_client()


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server_process(command: list[str], port: int) -> Iterator[subprocess.Popen[str]]:
    """A server started by `command` in a process of its own, once it listens on `port` on
    loopback; stopped afterwards. A server that exits or never listens fails the test."""
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                pytest.fail(f"{command[:3]} exited: {server.communicate()[1]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"{command[:3]} did not listen within 120 s")
                time.sleep(0.1)
        yield server
    finally:
        server.terminate()
        server.communicate(timeout=60)


# --- a real browser over the reading room (tests marked `browser`) -------------------------

CHROMIUM = Path("/usr/bin/chromium")  # Debian's, never one Playwright downloads
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@contextmanager
def reading_room(home: Path) -> Iterator[str]:
    """The reading room over `home` served by waitress (as by `archive serve`) on a free
    loopback port, in a thread; its root URL."""
    import waitress

    from web import create_app

    server: Any = waitress.create_server(create_app({"ARCHIVE_HOME": str(home)}),
                                         host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        server.task_dispatcher.shutdown()


@contextmanager
def chromium_browser() -> Iterator[Any]:
    """Debian's chromium, headless, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless chromium, once per session, for the tests marked `browser` (one Playwright
    per thread: a test must not start its own)."""
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with chromium_browser() as chromium:
        yield chromium
