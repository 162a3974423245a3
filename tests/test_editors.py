"""The editors' side: users and tokens, sign-in (CSRF, rate limit), uploads added in the
background, production edits, withdrawals hidden from the public, and the audit log.

Real parts: a real SQLite catalog and Whoosh index on disk, a real PDF added by the real
pipeline in a job process of its own, Flask's test client over the real app.
"""

from __future__ import annotations

import copy
import io
import re
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import write_text_pdf
from jsonschema import Draft202012Validator
from test_web_openapi import _closed

from archive.cli import cli
from archive.config import Settings, load_settings
from archive.editing import accounts
from archive.ingest.pipeline import add_production

WAIT = 120  # seconds a job may take before the test gives up (not a timing assertion)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """An archive with one born-digital production and three users."""
    root = tmp_path_factory.mktemp("editors")
    write_text_pdf(root / "in" / "first" / "first.pdf",
                   [["alpha bravo charlie"], ["delta echo foxtrot personal"]])
    settings = load_settings(root / "home", jobs=1, ocr_mode="never", ocr_lang="eng")
    report = add_production([root / "in" / "first"], settings, production="First release")
    assert not report.failed
    return settings


@pytest.fixture(scope="module")
def users(home: Settings) -> dict[str, str]:
    """Passwords and tokens: an editor, an admin."""
    return {"editor": accounts.add_user(home, "ed", "editor"),
            "admin": accounts.add_user(home, "ada", "admin"),
            "editor_token": accounts.issue_token(home, "ed"),
            "admin_token": accounts.issue_token(home, "ada")}


@pytest.fixture
def app(home: Settings, users: dict[str, str]):  # type: ignore[no-untyped-def]
    from web import create_app

    return create_app({"ARCHIVE_SETTINGS": home, "TESTING": True})


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the form has no CSRF token"
    return found.group(1)


def sign_in(client: Any, name: str, password: str) -> str:
    """Sign in through the form; the CSRF token of the session, for later forms."""
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"name": name, "password": password,
                                           "csrf_token": token})
    assert response.status_code == 302, response.text
    return csrf_of(client.get("/upload").text)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def wait_for_job(client: Any, url: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT
    while True:
        data: dict[str, Any] = client.get(url, headers=headers or {}).json
        if data["status"] in ("done", "failed") or time.monotonic() > deadline:
            return data
        time.sleep(0.2)


def check(client: Any, path: str, method: str, response: Any) -> dict[str, Any]:
    """Validate a real API response against /openapi.json for its path, method and status."""
    spec = client.get("/openapi.json").json
    described = spec["paths"][path][method]["responses"]
    status = str(response.status_code)
    assert status in described, f"{method} {path} answered {status}, not in the spec"
    pointer = path.replace("~", "~0").replace("/", "~1")
    root = {**_closed(copy.deepcopy(spec)), "$ref": f"#/paths/{pointer}/{method}/responses/"
            f"{status}/content/application~1json/schema"}
    errors = sorted(Draft202012Validator(root).iter_errors(response.json), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    data: dict[str, Any] = response.json
    return data


def first_doc(client: Any, q: str) -> str:
    hits = client.get(f"/api/search?q={q}").json["hits"]
    assert hits, f"no hit for {q}"
    return str(hits[0]["doc_id"])


# --- the command line -------------------------------------------------------------------


def test_users_add_prints_a_password_once_and_token_a_token(tmp_path: Path) -> None:
    runner = CliRunner()
    home = str(tmp_path / "a")
    added = runner.invoke(cli, ["--home", home, "users", "add", "carol", "--role", "admin"])
    assert added.exit_code == 0, added.output
    password = added.output.rsplit(": ", 1)[1].strip()
    again = runner.invoke(cli, ["--home", home, "users", "add", "carol"])
    assert again.exit_code != 0
    token = runner.invoke(cli, ["--home", home, "users", "token", "carol"]).output.strip()
    assert token.startswith(accounts.TOKEN_PREFIX)
    unknown = runner.invoke(cli, ["--home", home, "users", "token", "nobody"])
    assert unknown.exit_code != 0
    settings = load_settings(home)
    from archive.catalog import Catalog

    with Catalog(settings.catalog_path) as catalog:
        row = catalog.user("carol")
        assert row is not None and row["role"] == "admin"
        assert password not in row["password_hash"] and row["password_hash"].startswith("scrypt")
        assert accounts.user_for_token(catalog, token) == accounts.User("carol", "admin")
        stored = [r[0] for r in catalog.db.execute("SELECT token_hash FROM api_tokens")]
        assert token not in stored and accounts.token_hash(token) in stored
        assert accounts.sign_in(catalog, "carol", password, "1.2.3.4") is not None


# --- the public side stays public and read-only ----------------------------------------


def test_public_sees_no_upload_link_and_every_write_answers_401(app, home) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    page = client.get("/")
    assert page.status_code == 200 and "Upload" not in page.text
    assert "Set-Cookie" not in page.headers  # the public gets no cookie
    doc_id = first_doc(client, "alpha")
    staged = home.index_dir / "uploads"
    before = sorted(staged.iterdir()) if staged.exists() else []
    writes = [
        ("post", "/api/productions", {"data": {"production": "Nope", "files": (
            io.BytesIO(b"%PDF-1.4"), "x.pdf")}, "content_type": "multipart/form-data"}),
        ("patch", "/api/productions/first-release", {"json": {"agency": "X"}}),
        ("post", f"/api/doc/{doc_id}/withdraw", {"json": {"reason": "x"}}),
        ("post", f"/api/doc/{doc_id}/restore", {"json": {}}),
        ("post", f"/doc/{doc_id}/withdraw", {"data": {"reason": "x"}}),
        ("post", "/upload", {"data": {"production": "Nope"}}),
        ("post", "/production/first-release/edit", {"data": {"agency": "X"}}),
    ]
    for method, url, kwargs in writes:
        response = getattr(client, method)(url, **kwargs)
        assert response.status_code == 401, (url, response.status_code)
        if url.startswith("/api/"):
            spec_path = re.sub(r"/doc/[0-9a-f]+/", "/doc/{doc_id}/", url).replace(
                "/first-release", "/{slug}")
            check(client, spec_path, method, response)
    bad = client.post(f"/api/doc/{doc_id}/withdraw", json={"reason": "x"},
                      headers=bearer("fa_not-a-token"))
    assert bad.status_code == 401 and "WWW-Authenticate" in bad.headers
    assert client.get("/api/jobs/whatever").status_code == 401
    assert client.get("/upload").status_code == 302  # to the sign-in page
    assert client.get("/admin/audit").status_code == 302
    assert (sorted(staged.iterdir()) if staged.exists() else []) == before
    assert client.get(f"/doc/{doc_id}/page/1").status_code == 200  # nothing withdrawn


def test_sign_in_needs_the_csrf_token_and_sets_a_lax_httponly_cookie(app, users) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    refused = client.post("/login", data={"name": "ed", "password": users["editor"]})
    assert refused.status_code == 400 and "CSRF" in refused.text
    token = csrf_of(client.get("/login").text)
    ok = client.post("/login", data={"name": "ed", "password": users["editor"],
                                     "csrf_token": token})
    assert ok.status_code == 302
    cookie = ok.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Upload" in client.get("/").text
    other = app.test_client()
    token = csrf_of(other.get("/login").text)
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        away = other.post("/login", data={"name": "ed", "password": users["editor"],
                                          "csrf_token": token, "next": target})
        assert away.headers["Location"] == "/", target  # never off the site
        token = csrf_of(other.get("/login").text)


def test_the_cookie_is_secure_over_https(home, users) -> None:  # type: ignore[no-untyped-def]
    from web import create_app

    secure = load_settings(home.home, base_url="https://foia.example.org", jobs=1,
                           ocr_mode="never")
    client = create_app({"ARCHIVE_SETTINGS": secure, "TESTING": True}).test_client()
    token = csrf_of(client.get("/login", base_url="https://foia.example.org").text)
    ok = client.post("/login", base_url="https://foia.example.org",
                     headers={"Referer": "https://foia.example.org/login"},  # checked on HTTPS
                     data={"name": "ed", "password": users["editor"], "csrf_token": token})
    assert "Secure" in ok.headers["Set-Cookie"]


def test_a_signed_in_form_without_its_csrf_token_changes_nothing(app, users) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    sign_in(client, "ed", users["editor"])
    doc_id = first_doc(client, "alpha")
    refused = client.post(f"/doc/{doc_id}/withdraw", data={"reason": "no token", "page": "1"})
    assert refused.status_code == 400
    forged = client.post(f"/doc/{doc_id}/withdraw", data={"reason": "forged", "page": "1",
                                                          "csrf_token": "forged"})
    assert forged.status_code == 400
    assert app.test_client().get(f"/doc/{doc_id}/page/1").status_code == 200


def test_failed_sign_ins_are_limited_per_name_and_address(app, home) -> None:  # type: ignore[no-untyped-def]
    password = accounts.add_user(home, "limited", "editor")
    client = app.test_client()
    token = csrf_of(client.get("/login").text)
    for _ in range(accounts.MAX_FAILURES):
        wrong = client.post("/login", data={"name": "limited", "password": "wrong",
                                            "csrf_token": token})
        assert wrong.status_code == 401
    right = client.post("/login", data={"name": "limited", "password": password,
                                        "csrf_token": token})
    assert right.status_code == 429 and "wait" in right.text
    elsewhere = client.post("/login", data={"name": "limited", "password": password,
                                            "csrf_token": token},
                            environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert elsewhere.status_code == 302  # another address is not held up


def test_the_session_key_is_made_with_the_first_user_even_while_serving(settings) -> None:  # type: ignore[no-untyped-def]
    from web import create_app

    app = create_app({"ARCHIVE_SETTINGS": settings})  # a new archive: nobody to sign in
    client = app.test_client()
    assert csrf_of(client.get("/login").text)  # the form works, with a key of its own
    assert not settings.index_dir.exists()  # serving it wrote nothing
    password = accounts.add_user(settings, "first", "editor")  # meanwhile, on the command line
    token = csrf_of(client.get("/login").text)  # the form of the archive's own key
    signed = client.post("/login", data={"name": "first", "password": password,
                                         "csrf_token": token})
    assert signed.status_code == 302
    key = (settings.index_dir / accounts.SESSION_KEY_FILE).read_text().strip()
    assert app.config["SECRET_KEY"] == key


def test_the_secret_key_persists_in_the_archive_with_mode_0600(app, home) -> None:  # type: ignore[no-untyped-def]
    from web import create_app

    path = home.index_dir / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = create_app({"ARCHIVE_SETTINGS": home})
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"] == path.read_text().strip()


# --- uploads -----------------------------------------------------------------------------


def test_api_upload_answers_202_and_the_job_ends_with_the_add_report(app, home, users,
                                                                     tmp_path) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    pdf = write_text_pdf(tmp_path / "golf.pdf", [["golf hotel india juliet"]])
    response = client.post("/api/productions", headers=bearer(users["editor_token"]),
                           content_type="multipart/form-data", data={
                               "production": "API release", "agency": "FBI",
                               "released": "2021-02-03",
                               "files": [(pdf.open("rb"), "../../etc/<b>golf</b>.pdf")]})
    assert response.status_code == 202, response.text
    url = check(client, "/api/productions", "post", response)["url"]
    assert re.fullmatch(r".*/api/jobs/[0-9a-f]{16}", url) and response.headers["Location"] == url
    job = wait_for_job(client, url, bearer(users["editor_token"]))
    assert job["status"] == "done", job
    check(client, "/api/jobs/{job_id}", "get",
          client.get(url, headers=bearer(users["editor_token"])))
    assert job["report"]["added"] == ["etc_bgolf_b.pdf"] and job["report"]["failed"] == []
    assert job["pages_done"] == job["pages_total"] == 1 and job["files_done"] == 1
    assert set(job["report"]) >= {"added", "unchanged", "failed", "warnings", "pages"}
    hits = client.get("/api/search?q=juliet").json["hits"]
    assert [h["production"] for h in hits] == ["API release"]
    assert hits[0]["production_meta"]["agency"] == "FBI"
    assert (home.scans_dir / "api-release" / "etc_bgolf_b.pdf").is_file()
    assert not (home.index_dir / "uploads" / url.rsplit("/", 1)[1]).exists()


def test_an_upload_waits_for_the_write_lock_then_runs(app, home, users, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from archive.ingest.locking import write_lock

    client = app.test_client()
    pdf = write_text_pdf(tmp_path / "lima.pdf", [["november oscar papa"]])
    with write_lock(home):  # an `archive add` is running
        response = client.post("/api/productions", headers=bearer(users["editor_token"]),
                               content_type="multipart/form-data", data={
                                   "production": "Locked", "files": [(pdf.open("rb"), "l.pdf")]})
        url = response.json["url"]
        deadline = time.monotonic() + WAIT
        seen = []
        while time.monotonic() < deadline and (not seen or seen[-1] != "queued"
                                               or len(seen) < 3):
            seen.append(client.get(url, headers=bearer(users["editor_token"])).json["status"])
            time.sleep(0.2)
        assert seen[-1] == "queued" and "done" not in seen
        assert client.get("/api/search?q=november").json["total"] == 0
        busy = client.patch("/api/productions/first-release", json={"agency": "Busy"},
                            headers=bearer(users["editor_token"]))
        assert busy.status_code == 409 and "run" in busy.json["message"]
    job = wait_for_job(client, url, bearer(users["editor_token"]))
    assert job["status"] == "done" and job["report"]["added"] == ["l.pdf"]
    assert client.get("/api/search?q=november").json["total"] == 1


def test_a_hostile_zip_is_refused_by_the_add_and_reported(app, users, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import zipfile

    bundle = tmp_path / "evil.zip"
    with zipfile.ZipFile(bundle, "w") as z:
        z.writestr("../../escape.pdf", b"%PDF-1.4 nothing")
    client = app.test_client()
    response = client.post("/api/productions", headers=bearer(users["editor_token"]),
                           content_type="multipart/form-data", data={
                               "production": "Evil", "files": [(bundle.open("rb"), "evil.zip")]})
    job = wait_for_job(client, response.json["url"], bearer(users["editor_token"]))
    assert job["status"] == "done" and job["report"]["added"] == []
    assert [f["file"] for f in job["report"]["failed"]] == ["evil.zip"]


def test_upload_without_a_name_or_files_is_a_400(app, users) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    missing = client.post("/api/productions", headers=bearer(users["editor_token"]),
                          data={"production": "Empty"}, content_type="multipart/form-data")
    assert missing.status_code == 400 and "file" in missing.json["message"]
    bad_date = client.post("/api/productions", headers=bearer(users["editor_token"]),
                           content_type="multipart/form-data", data={
                               "production": "Dated", "released": "yesterday",
                               "files": [(io.BytesIO(b"x"), "x.pdf")]})
    assert bad_date.status_code == 400 and "YYYY-MM-DD" in bad_date.json["message"]


def test_form_upload_leads_to_a_progress_page_that_ends_with_the_report(app, users,
                                                                        tmp_path) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    token = sign_in(client, "ed", users["editor"])
    pdf = write_text_pdf(tmp_path / "kilo.pdf", [["kilo lima mike"]])
    response = client.post("/upload", content_type="multipart/form-data", data={
        "csrf_token": token, "production": "Form release", "files": [(pdf.open("rb"), "kilo.pdf")]})
    assert response.status_code == 303
    page_url = response.headers["Location"]
    job = wait_for_job(client, "/api" + page_url)
    assert job["status"] == "done", job
    page = client.get(page_url).text
    assert "Finished: 1 added" in page and "kilo.pdf" in page and "http-equiv" not in page


# --- editing a production ------------------------------------------------------------------


def test_production_edit_through_the_api_and_the_form(app, users) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    edited = client.patch("/api/productions/first-release", headers=bearer(users["editor_token"]),
                          json={"agency": "NTSB", "released": "2020-01-02"})
    assert check(client, "/api/productions/{slug}", "patch", edited)["agency"] == "NTSB"
    hit = client.get("/api/search?q=alpha").json["hits"][0]
    assert hit["production_meta"]["released"] == "2020-01-02"
    bad = client.patch("/api/productions/first-release", headers=bearer(users["editor_token"]),
                       json={"interim": "two"})
    assert check(client, "/api/productions/{slug}", "patch", bad)["status"] == 400
    token = sign_in(client, "ed", users["editor"])
    form = client.post("/production/first-release/edit",
                       data={"csrf_token": token, "request_number": "F-1"})
    assert form.status_code == 303
    assert "F-1" in client.get("/production/first-release").text


# --- withdrawals -----------------------------------------------------------------------


def test_a_withdrawn_page_is_gone_for_the_public_and_back_when_restored(app, users) -> None:  # type: ignore[no-untyped-def]
    public, editor = app.test_client(), app.test_client()
    doc_id = first_doc(public, "foxtrot")
    assert public.get("/api/search?q=foxtrot").json["total"] == 1
    done = editor.post(f"/api/doc/{doc_id}/withdraw", headers=bearer(users["editor_token"]),
                       json={"page": 2, "reason": "personal data <b>(b)(6)</b>"})
    assert check(public, "/api/doc/{doc_id}/withdraw", "post", done)["page"] == 2
    assert public.get("/api/search?q=foxtrot").json["total"] == 0
    assert public.get("/search?q=foxtrot").status_code == 200
    # every public search leaves it out: the feed, the exports, the PDF of the pages
    assert "<entry>" not in public.get("/search.atom?q=foxtrot").text
    assert "<entry>" in public.get("/search.atom?q=alpha").text
    assert public.get("/search.csv?q=foxtrot").text.count("\n") == 1  # the header only
    assert public.get("/api/search?q=foxtrot&format=jsonl").text.strip() == ""
    assert public.get("/search.pdf?q=foxtrot").status_code == 404  # no page to download
    assert public.get("/api/search?q=alpha").json["total"] == 1  # page 1 stays
    viewer = public.get(f"/doc/{doc_id}/page/2")
    assert viewer.status_code == 410
    assert re.search(r"withdrawn on \d{4}-\d{2}-\d{2}: personal data &lt;b&gt;", viewer.text)
    for url in (f"/doc/{doc_id}/page/2/image", f"/doc/{doc_id}/page/2/thumb",
                f"/api/doc/{doc_id}/page/2", f"/doc/{doc_id}/original"):
        assert public.get(url).status_code == 410, url
    gone = check(public, "/api/doc/{doc_id}/page/{page}", "get",
                 public.get(f"/api/doc/{doc_id}/page/2"))
    assert gone["reason"].startswith("personal")
    assert public.get(f"/doc/{doc_id}/page/1").status_code == 200
    assert "withdrawn" in public.get(f"/doc/{doc_id}").text
    assert f"/doc/{doc_id}/page/2/thumb" not in public.get(f"/doc/{doc_id}").text
    sign_in(editor, "ed", users["editor"])
    seen = editor.get(f"/doc/{doc_id}/page/2")
    assert seen.status_code == 200 and "Restore this page" in seen.text
    assert seen.headers["Cache-Control"] == "private, no-store"  # never in a shared cache
    with editor.get(f"/doc/{doc_id}/page/2/image") as image:
        assert image.status_code == 200
        assert image.headers["Cache-Control"] == "private, no-store"
    back = editor.post(f"/api/doc/{doc_id}/restore", headers=bearer(users["editor_token"]),
                       json={"page": 2})
    assert check(public, "/api/doc/{doc_id}/restore", "post", back)["restored"] is True
    assert public.get("/api/search?q=foxtrot").json["total"] == 1
    with public.get(f"/doc/{doc_id}/page/2/image") as image:
        assert image.status_code == 200 and image.mimetype == "image/png"


def test_a_withdrawn_document_leaves_its_production_list_and_search(app, users) -> None:  # type: ignore[no-untyped-def]
    public, editor = app.test_client(), app.test_client()
    doc_id = first_doc(public, "bravo")
    token = sign_in(editor, "ed", users["editor"])
    editor.post(f"/doc/{doc_id}/withdraw", data={"csrf_token": token, "reason": "wrong file"})
    assert public.get("/api/search?q=bravo OR foxtrot").json["total"] == 0
    assert public.get(f"/doc/{doc_id}").status_code == 410
    assert doc_id not in public.get("/production/first-release").text
    assert doc_id in editor.get("/production/first-release").text
    restored = editor.post(f"/doc/{doc_id}/restore", data={"csrf_token": token})
    assert restored.status_code == 303
    assert public.get("/api/search?q=bravo").json["total"] == 1


def test_withdrawing_needs_a_reason_and_a_real_page(app, users) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    doc_id = first_doc(client, "alpha")
    no_reason = client.post(f"/api/doc/{doc_id}/withdraw", headers=bearer(users["editor_token"]),
                            json={"page": 1, "reason": "  "})
    assert no_reason.status_code == 400
    no_page = client.post(f"/api/doc/{doc_id}/withdraw", headers=bearer(users["editor_token"]),
                          json={"page": 9, "reason": "x"})
    assert no_page.status_code == 404
    assert client.get("/api/search?q=alpha").json["total"] == 1


# --- the audit log ---------------------------------------------------------------------


def test_every_write_is_in_the_audit_log_which_only_admins_read(app, users) -> None:  # type: ignore[no-untyped-def]
    editor, admin = app.test_client(), app.test_client()
    sign_in(editor, "ed", users["editor"])
    assert editor.get("/admin/audit").status_code == 403
    doc_id = first_doc(admin, "alpha")
    admin.post(f"/api/doc/{doc_id}/withdraw", headers=bearer(users["editor_token"]),
               json={"page": 1, "reason": "audited reason"})
    admin.post(f"/api/doc/{doc_id}/restore", headers=bearer(users["editor_token"]),
               json={"page": 1})
    sign_in(admin, "ada", users["admin"])
    log = admin.get("/admin/audit")
    assert log.status_code == 200
    assert "audited reason" in log.text and f"page 1 of document {doc_id}" in log.text
    for action in ("user.add", "token.add", "sign-in", "withdraw", "restore"):
        assert f'class="action">{action}<' in log.text, action


def test_a_job_whose_process_died_reads_as_failed(home, users) -> None:  # type: ignore[no-untyped-def]
    import subprocess

    from archive.catalog import Catalog
    from archive.editing import jobs

    gone = subprocess.Popen(["true"])
    gone.wait()  # a process id nothing runs under any more
    with Catalog(home.catalog_path) as catalog:
        catalog.add_job("deadbeefdeadbeef", "ed", "Lost", {"meta": {}, "files": []})
        catalog.update_job("deadbeefdeadbeef", status="running", pid=gone.pid)
        described = jobs.describe(catalog.job("deadbeefdeadbeef"))
    assert described["status"] == "failed" and "upload the files again" in described["error"]
