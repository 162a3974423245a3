"""Server mode (ARCHIVE_DATABASE_URL) against the tests' own PostgreSQL cluster: the errors
a user meets (server stopped, wrong password, a newer schema), `archive check`, what server
mode refuses for now, and document claims between two connections."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pgserver
import pytest

from archive.config import Settings
from archive.errors import ExitCode, StoreLoginError, StoreUnavailableError, StoreVersionError
from archive.store import open_store, store_exists
from archive.store.postgres import SCHEMA_VERSION, PostgresCatalog

pytestmark = pytest.mark.server


def run(home: Path, url: str | None, *args: str,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`archive [--database-url URL] ARGS` as a user runs it."""
    given = ["--database-url", url] if url else []
    environ = {k: v for k, v in os.environ.items() if k != "ARCHIVE_DATABASE_URL"}
    return subprocess.run([sys.executable, "-m", "archive", "--home", str(home), *given,
                           *args], capture_output=True, text=True, timeout=300,
                          env={**environ, "ARCHIVE_JOBS": "1", **(env or {})})


@pytest.fixture
def server(settings: Settings, pg_url: str) -> Settings:
    """Settings in server mode over a new, empty database."""
    return replace(settings, database_url=pg_url)


def _one_production(server: Settings) -> None:
    with open_store(server) as store:
        prod = store.ensure_production("NTSB release")
        store.start_document("0123456789abcdef", "0" * 64, "memo", "scans/ntsb/memo.pdf",
                             "pdf", 10)
        store.link("0123456789abcdef", prod["id"], "memo.pdf")
        store.set_probe("0123456789abcdef", 4, [], {})
        store.set_state("0123456789abcdef", "indexed")


def test_an_empty_database_is_an_empty_archive_until_a_writable_open(server: Settings
                                                                     ) -> None:
    assert not store_exists(server)
    proc = run(server.home, server.database_url, "stats", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"productions": 0, "documents": 0, "pages": 0,
                                       "ocr_pages": 0}
    assert not store_exists(server)  # reading made nothing
    _one_production(server)
    assert store_exists(server)
    listed = run(server.home, None, "production", "list", "--json",
                 env={"ARCHIVE_DATABASE_URL": server.database_url})  # the variable works too
    assert listed.returncode == 0, listed.stderr
    (prod,) = json.loads(listed.stdout)
    assert (prod["name"], prod["documents"], prod["pages"]) == ("NTSB release", 1, 4)
    assert not server.catalog_path.exists()  # nothing embedded was made


def test_check_reports_the_server_and_schema(server: Settings) -> None:
    _one_production(server)
    proc = run(server.home, server.database_url, "check")
    lines = dict(line.split(None, 1) for line in proc.stdout.splitlines() if line.strip())
    assert re.search(r": PostgreSQL \d+\.\d+ ", lines["database"]), lines["database"]
    assert f"schema version {SCHEMA_VERSION}" in lines["database"]
    assert "password" not in lines["database"]
    assert lines["catalog"] == "1 documents, 0 pages"  # pages read: none here
    assert "server mode's search is not built yet" in proc.stdout


@pytest.mark.parametrize("command", [["search", "sally"], ["add", "."], ["reindex"],
                                     ["serve", "--port", "1"],
                                     ["production", "edit", "x", "--agency", "ICE"]])
def test_what_needs_search_refuses_in_server_mode(server: Settings,
                                                  command: list[str]) -> None:
    proc = run(server.home, server.database_url, *command)
    assert proc.returncode == ExitCode.usage, proc.stderr
    assert proc.stderr.strip() == ("archive: server mode's search is not built yet; unset "
                                   "ARCHIVE_DATABASE_URL to use the embedded archive")
    assert not store_exists(server) and not (server.home / "index").exists()


def test_saved_searches_and_users_live_on_the_server(server: Settings) -> None:
    """What needs no search works in server mode: the saved search and the user are in the
    server's catalog; listing saved searches (it counts new pages) refuses."""
    url = server.database_url
    for args in (["alerts", "add", "sally-port", '"sally port"'], ["users", "add", "ana"]):
        proc = run(server.home, url, *args)
        assert proc.returncode == 0, proc.stderr
    with open_store(server, readonly=True) as store:
        assert [a["name"] for a in store.alerts()] == ["sally-port"]
        assert store.user("ana")["role"] == "editor"  # type: ignore[index]
        assert [r["action"] for r in store.audit_log()] == ["user.add"]
    listed = run(server.home, url, "alerts", "list")
    assert listed.returncode == ExitCode.usage
    assert "server mode's search is not built yet" in listed.stderr
    assert run(server.home, url, "alerts", "remove", "sally-port").returncode == 0
    assert not server.catalog_path.exists()


def test_a_stopped_server_is_one_line_and_exit_2(server: Settings,
                                                 pg_cluster: pgserver.Cluster) -> None:
    _one_production(server)
    pg_cluster.stop()
    try:
        proc = run(server.home, server.database_url, "stats")
        with pytest.raises(StoreUnavailableError):
            open_store(server, readonly=True)
        checked = run(server.home, server.database_url, "check")
    finally:
        pg_cluster.start()
    assert proc.returncode == ExitCode.usage
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("archive: cannot reach the database server at archive@/tmp/")
    assert "No such file or directory" in line
    assert line.endswith("; start it, or fix ARCHIVE_DATABASE_URL, or unset it to use the "
                         "embedded archive")
    assert checked.returncode == ExitCode.missing_dependency  # check's code for what is missing
    assert "ERROR" in checked.stdout and "cannot reach the database server" in checked.stdout
    assert run(server.home, server.database_url, "stats").returncode == 0  # back again


def test_a_server_lost_mid_command_says_run_it_again(server: Settings,
                                                     pg_cluster: pgserver.Cluster) -> None:
    with open_store(server) as store:
        pg_cluster.stop()
        try:
            with pytest.raises(StoreUnavailableError, match="run the same command again"):
                store.stats()
        finally:
            pg_cluster.start()


def test_wrong_password_is_one_line_and_exit_2(server: Settings,
                                               pg_cluster: pgserver.Cluster) -> None:
    database = server.database_url.split("@/", 1)[1].split("?", 1)[0]
    good = pg_cluster.url(database, pgserver.PASSWORD_ROLE, pgserver.PASSWORD)
    with open_store(replace(server, database_url=good)) as store:  # the right one works
        assert store.stats()["productions"] == 0
    wrong = pg_cluster.url(database, pgserver.PASSWORD_ROLE, "hunter2")
    proc = run(server.home, wrong, "production", "list")
    assert proc.returncode == ExitCode.usage
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"archive: the database server at {pgserver.PASSWORD_ROLE}@/tmp/")
    assert "password authentication failed" in line and "hunter2" not in line
    assert line.endswith("; check the user and password in ARCHIVE_DATABASE_URL")
    with pytest.raises(StoreLoginError):
        open_store(replace(server, database_url=pg_cluster.url("no_such_db")))


def test_a_newer_schema_is_refused_and_left_alone(server: Settings,
                                                  pg_cluster: pgserver.Cluster) -> None:
    _one_production(server)
    database = server.database_url.split("@/", 1)[1].split("?", 1)[0]
    pg_cluster.sql(f"UPDATE schema_version SET version = {SCHEMA_VERSION + 1}", database)
    for readonly in (True, False):
        with pytest.raises(StoreVersionError, match="upgrade the archive on this machine"):
            open_store(server, readonly=readonly)
    proc = run(server.home, server.database_url, "stats")
    assert proc.returncode == ExitCode.usage
    assert f"schema version {SCHEMA_VERSION + 1}, newer than this program's" in proc.stderr
    assert pg_cluster.sql("SELECT version FROM schema_version", database).strip() == str(
        SCHEMA_VERSION + 1)


def test_a_url_that_is_not_one(settings: Settings) -> None:
    proc = run(settings.home, "not a url at all", "stats")
    assert proc.returncode == ExitCode.usage
    assert "is not a PostgreSQL URL" in proc.stderr and len(proc.stderr.splitlines()) == 1


def test_readonly_never_writes(server: Settings) -> None:
    _one_production(server)
    with open_store(server, readonly=True) as store, pytest.raises(Exception,
                                                                   match="read-only"):
        store.set_state("0123456789abcdef", "failed", "no")
    with open_store(server, readonly=True) as store:
        assert store.document("0123456789abcdef")["state"] == "indexed"  # type: ignore[index]


def test_two_machines_opening_at_once_make_the_tables_once(server: Settings) -> None:
    first = PostgresCatalog(server.database_url)
    second = PostgresCatalog(server.database_url)  # finds the tables, makes none
    with first, second:
        first.ensure_production("R")
        assert [p["name"] for p in second.productions()] == ["R"]


def test_the_database_url_never_goes_on_the_page_queue(server: Settings) -> None:
    """Page workers get the archive's settings with each page; not its database password."""
    from archive.read import tasks

    sent = tasks.page_args((server.home / "scans/r/memo.pdf", "pdf", "0123456789abcdef", 1,
                            server, "auto", "eng", False))
    assert "database_url" not in sent[4] and server.database_url not in json.dumps(sent)


def test_a_document_is_claimed_by_one_connection_at_a_time(server: Settings) -> None:
    """Two `archive add` runs (two connections) cannot read the same document; a claimant
    that goes away (its connection closes) frees it."""
    doc_id = "0123456789abcdef"
    first, second = PostgresCatalog(server.database_url), PostgresCatalog(server.database_url)
    with second:
        with first:
            for store in (first, second):  # both find the file: one row
                store.start_document(doc_id, "0" * 64, "memo", "scans/r/memo.pdf", "pdf", 1)
            assert len(second.documents()) == 1
            assert first.claim_document(doc_id) is True
            assert second.claim_document(doc_id) is False
            assert second.claim_document("fedcba9876543210") is True  # others are free
            first.release_document(doc_id)
            assert second.claim_document(doc_id) is True
            assert first.claim_document(doc_id) is False
            second.release_document(doc_id)
            assert first.claim_document(doc_id) is True
        assert _claim_soon(second, doc_id)  # the first connection ended


def _claim_soon(store: PostgresCatalog, doc_id: str) -> bool:
    """Claim, retrying while the server finishes ending a closed connection's session (its
    locks go when its backend exits, just after the client hangs up)."""
    for _ in range(300):
        if store.claim_document(doc_id):
            return True
        time.sleep(0.1)
    return False
