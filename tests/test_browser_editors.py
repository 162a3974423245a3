"""The editors' side in a real browser (Playwright driving Debian's chromium) against
`archive serve` in a process of its own: sign in, upload a small production, watch it
finish, find it; and the public side: no upload link, 401 on the API, a form without its
CSRF token refused, a withdrawn page gone."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import CHROMIUM, free_port, server_process, write_text_pdf

from archive.config import load_settings
from archive.editing import accounts
from archive.ingest.pipeline import add_production

pytestmark = pytest.mark.browser

JOB_WAIT_MS = 180_000  # how long the upload may take before the test gives up

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)",
                allow_module_level=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """An archive with one production and an editor, served by `archive serve`."""
    root = tmp_path_factory.mktemp("browser-editors")
    write_text_pdf(root / "in" / "old" / "memo.pdf", [["an older memo about the harbor"]])
    settings = load_settings(root / "home", jobs=1, ocr_mode="never", ocr_lang="eng")
    assert not add_production([root / "in" / "old"], settings, production="Old release").failed
    password = accounts.add_user(settings, "editor1", "editor")
    upload = write_text_pdf(root / "upload" / "zebra-report.pdf",
                            [["The zebra crossing report", "quartermaster signed it"],
                             ["second page: the private address of a witness"]])
    port = free_port()
    command = ["env", "ARCHIVE_OCR_MODE=never", "ARCHIVE_JOBS=1", "ARCHIVE_OCR_LANG=eng",
               sys.executable, "-m", "archive", "--home", str(settings.home), "serve",
               "--port", str(port)]  # `env` execs the server: the same process
    with server_process(command, port):
        yield {"url": f"http://127.0.0.1:{port}", "password": password, "upload": upload}


def test_sign_in_upload_watch_it_finish_find_it_then_withdraw_a_page(browser, site) -> None:  # type: ignore[no-untyped-def]
    base = site["url"]
    public = browser.new_context().new_page()
    public.goto(base + "/")
    assert public.locator("a.upload-link").count() == 0
    refused = public.request.post(base + "/api/productions",
                                  multipart={"production": "Sneaky"})
    assert refused.status == 401

    editor_context = browser.new_context()
    editor = editor_context.new_page()
    errors: list[str] = []
    editor.on("pageerror", lambda exc: errors.append(str(exc)))
    editor.goto(base + "/upload")  # sends the public to the sign-in page
    editor.wait_for_url(re.compile(r"/login\?next="))
    editor.fill("input[name=name]", "editor1")
    editor.fill("input[name=password]", site["password"])
    editor.click("main form button[type=submit]")
    editor.wait_for_url(base + "/upload")

    editor.fill("input[name=production]", "Zebra release")
    editor.fill("input[name=agency]", "Department of Crossings")
    editor.set_input_files("input[name=files]", str(site["upload"]))
    editor.click("#upload-form button[type=submit]")
    editor.wait_for_url(re.compile(r"/jobs/[0-9a-f]{16}$"))
    editor.wait_for_selector("[data-status=done]", timeout=JOB_WAIT_MS)
    assert "Finished: 1 added" in editor.inner_text(".job-status")
    editor.click("text=Open the production")
    editor.wait_for_url(base + "/production/zebra-release")
    assert "Department of Crossings" in editor.inner_text("main")

    public.goto(base + "/")
    public.fill("main input[name=q]", "quartermaster")
    public.press("main input[name=q]", "Enter")
    public.wait_for_selector(".hit")
    assert "zebra" in public.inner_text(".hit").lower()

    # a form sent without its CSRF token changes nothing
    hits = public.request.get(base + "/api/search?q=witness").json()["hits"]
    doc_id, page_no = hits[0]["doc_id"], hits[0]["page"]
    forged = editor_context.request.post(f"{base}/doc/{doc_id}/withdraw",
                                         form={"reason": "forged", "page": str(page_no)})
    assert forged.status == 400
    assert public.request.get(f"{base}/doc/{doc_id}/page/{page_no}").status == 200

    # withdrawn from the page viewer: gone for the public at once
    editor.goto(f"{base}/doc/{doc_id}/page/{page_no}")
    editor.fill(".withdraw-form input[name=reason]", "private address of a witness")
    editor.click(".withdraw-form button[type=submit]")
    editor.wait_for_selector(".withdrawn-banner")
    public.goto(f"{base}/doc/{doc_id}/page/{page_no}")
    assert re.search(r"withdrawn on \d{4}-\d{2}-\d{2}: private address of a witness",
                     public.inner_text("main"))
    assert public.request.get(f"{base}/doc/{doc_id}/page/{page_no}/image").status == 410
    public.goto(base + "/search?q=witness")
    assert public.locator(".hit").count() == 0
    public.goto(base + "/search?q=quartermaster")  # its other page is still found
    assert public.locator(".hit").count() == 1
    assert not errors
