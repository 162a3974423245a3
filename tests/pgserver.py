"""A throwaway PostgreSQL cluster for the server-mode tests (the approach of pytest-postgresql).

`initdb` in a temporary folder, the server listening on a unix socket in that folder only
(`listen_addresses = ''`: no TCP port), stopped with `pg_ctl stop -m fast` at the end. initdb
and postgres refuse to run as root, so as root (CI) they run as the `postgres` user Debian's
`postgresql` package creates, and the folder is handed to that user. Two roles: `archive`
(trust over the socket) owns the databases the tests make, one per test; `archive_pw` logs in
with a password only, for the wrong-password test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

ROLE, PASSWORD_ROLE, PASSWORD = "archive", "archive_pw", "right horse battery"
PORT = 5432  # names the socket file (.s.PGSQL.5432); nothing listens on TCP


def find_bindir() -> Path | None:
    """Debian's newest /usr/lib/postgresql/<version>/bin holding pg_ctl, else pg_ctl on PATH."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                   else 0)
    if found:
        return found[-1].parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


class Cluster:
    """One PostgreSQL server in `folder`: data in data/, its socket and log beside it."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        # /tmp itself, not pytest's tmp folder: that one is closed to the postgres user.
        self.folder = Path(tempfile.mkdtemp(prefix="archive-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.databases = 0

    def _run(self, *command: str) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        proc = subprocess.run([*prefix, *command], capture_output=True, text=True,
                              timeout=120, cwd=self.folder)
        if proc.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{command[0]} failed: {proc.stderr.strip()}\n{log}")
        return proc

    def init(self) -> None:
        """initdb, the server settings and the client authentication rules."""
        if self.as_root:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(f"\nlisten_addresses = ''\nunix_socket_directories = '{self.folder}'\n"
                       f"port = {PORT}\nfsync = off\nfull_page_writes = off\n"
                       "synchronous_commit = off\nmax_connections = 40\n"
                       "shared_buffers = 32MB\n")
        (self.data / "pg_hba.conf").write_text(
            f"local all {PASSWORD_ROLE} scram-sha-256\nlocal all all trust\n")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                  "-w", "-t", "60", "start")

    def stop(self) -> None:
        """Stop the server at once (`pg_ctl stop -m fast`)."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-w", "-m", "fast",
                  "stop")

    def is_running(self) -> bool:
        """Whether pg_ctl sees the server running."""
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        return subprocess.run([*prefix, str(self.bindir / "pg_ctl"), "-D", str(self.data),
                               "status"], capture_output=True, timeout=60).returncode == 0

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run one statement as the superuser with psql; its output."""
        return self._run(str(self.bindir / "psql"), "-h", str(self.folder), "-p", str(PORT),
                         "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-tAc",
                         statement).stdout

    def create_roles(self) -> None:
        """The trusted role the tests connect as, and one that needs a password."""
        self.sql(f"CREATE ROLE {ROLE} LOGIN CREATEDB")
        self.sql(f"CREATE ROLE {PASSWORD_ROLE} LOGIN PASSWORD '{PASSWORD}'")

    def new_database(self) -> str:
        """A fresh, empty database owned by the tests' role; its name."""
        self.databases += 1
        name = f"test_{self.databases}"
        self.sql(f"CREATE DATABASE {name} OWNER {ROLE}")
        self.sql(f"GRANT ALL ON SCHEMA public TO {PASSWORD_ROLE}", database=name)
        return name

    def url(self, database: str, user: str = ROLE, password: str | None = None) -> str:
        """A libpq URL reaching `database` through the socket."""
        secret = f":{quote(password, safe='')}" if password is not None else ""
        return (f"postgresql://{user}{secret}@/{database}"
                f"?host={quote(str(self.folder), safe='')}&port={PORT}")

    def remove(self) -> None:
        """Delete the cluster's folder (after `stop`)."""
        shutil.rmtree(self.folder, ignore_errors=True)
