"""Uploads added in the background: the files are staged under `index/uploads/<job>/`, a
job is recorded, and a process of its own runs `add_production` on them (the same pipeline,
page workers included, taking the archive's write lock), writing its progress and, at the
end, the `add --json` report into the job. Never inside a web request.

`python -m archive.editing.jobs HOME JOB_ID` is that process; the settings come on stdin
(JSON), so the add runs with the reading room's own.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import fields
from pathlib import Path
from typing import IO, Any

from werkzeug.utils import secure_filename

from archive.config import Settings, load_settings
from archive.editing.accounts import User
from archive.errors import ArchiveError, ArchiveLockedError, InvalidMetadataError
from archive.ingest.pipeline import add_production
from archive.ingest.progress import Progress
from archive.releases import validate_meta
from archive.store import Store, open_store

LOCK_RETRY = 2.0  # seconds between tries while another add holds the write lock
FINISHED = ("done", "failed")


def staging_dir(settings: Settings, job_id: str) -> Path:
    """Where a job's uploaded files wait to be added."""
    return settings.index_dir / "uploads" / job_id


def safe_names(names: list[str]) -> list[str]:
    """File names made safe (werkzeug's `secure_filename`: no folders, no dot files) and
    distinct; a name with nothing usable left becomes `upload-N`."""
    taken: set[str] = set()
    out = []
    for n, name in enumerate(names, 1):
        safe = secure_filename(name).lstrip(".") or f"upload-{n}"
        stem, dot, suffix = safe.rpartition(".")
        candidate, k = safe, 2
        while candidate.lower() in taken:
            candidate = f"{stem}-{k}.{suffix}" if dot and stem else f"{safe}-{k}"
            k += 1
        taken.add(candidate.lower())
        out.append(candidate)
    return out


def create(settings: Settings, user: User, production: str, meta: dict[str, Any],
           files: list[tuple[str, IO[bytes]]]) -> str:
    """Stage uploaded files and record the job that will add them; return its id.

    Args:
        settings: the archive.
        user: who uploads.
        production: the production's name (new, or one to add to).
        meta: release metadata, as for `archive add` (agency, request_number, ...).
        files: (name as uploaded, stream) of each file or zip.

    Raises:
        InvalidMetadataError: no production name, no file, or metadata in the wrong form.
    """
    production = " ".join(production.split())
    if not production or len(production) > 200:
        raise InvalidMetadataError("give the production a name (1 to 200 characters), e.g. "
                                   "\"DHS ICE detainers, Oct 2017\"")
    if not files:
        raise InvalidMetadataError("choose at least one file (PDF, image, email or zip)")
    meta = validate_meta({k: v for k, v in meta.items() if v not in (None, "")})
    job_id = secrets.token_hex(8)
    folder = staging_dir(settings, job_id)
    folder.mkdir(parents=True)
    names = safe_names([name for name, _ in files])
    for name, (_, stream) in zip(names, files, strict=True):
        with (folder / name).open("xb") as out:
            shutil.copyfileobj(stream, out, 1 << 20)
    with open_store(settings) as catalog:
        catalog.add_job(job_id, user.name, production, {"meta": meta, "files": names})
        catalog.audit(user.name, "upload", production, {"job": job_id, "files": names,
                                                         "meta": meta})
    return job_id


def start(settings: Settings, job_id: str) -> subprocess.Popen[bytes]:
    """Run a job in a process of its own (it outlives the request, and the server); a
    thread waits for it so that it does not linger as a zombie."""
    log = settings.index_dir / "uploads" / f"{job_id}.log"
    values = {f.name: getattr(settings, f.name) for f in fields(Settings) if f.name != "home"}
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "archive.editing.jobs", str(settings.home), job_id],
            stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    assert process.stdin is not None
    process.stdin.write(json.dumps(values, default=str).encode())
    process.stdin.close()
    threading.Thread(target=process.wait, daemon=True, name=f"job-{job_id}").start()
    return process


class JobProgress(Progress):
    """The add's progress, written into its job (at most twice a second, and per file)."""

    def __init__(self, catalog: Store, job_id: str) -> None:
        super().__init__(enabled=False)
        self.catalog, self.job_id = catalog, job_id
        self.pages_total = self.pages_done = 0
        self.saved = 0.0

    def save(self, force: bool = False) -> None:
        """Write the counts to the job."""
        now = time.monotonic()
        if force or now - self.saved >= 0.5:
            self.saved = now
            self.catalog.update_job(self.job_id, files_total=self.files,
                                    files_done=self.files_done, pages_total=self.pages_total,
                                    pages_done=self.pages_done)

    def start(self, files: int) -> None:  # noqa: D102
        super().start(files)
        self.save(force=True)

    def add_pages(self, pages: int, already: int = 0) -> None:  # noqa: D102
        self.pages_total += pages
        self.pages_done += already
        self.save()

    def page_done(self, ocr: bool) -> None:  # noqa: D102
        super().page_done(ocr)
        self.pages_done += 1
        self.save()

    def file_done(self) -> None:  # noqa: D102
        super().file_done()
        self.save(force=True)

    def notice(self, message: str) -> None:  # noqa: D102
        print(f"archive: {message}", file=sys.stderr, flush=True)


def run(settings: Settings, job_id: str) -> None:
    """Add a job's staged files as its production, recording progress and the report.

    Waits while another add holds the write lock. The staged files are removed once added
    (their originals are then under scans/); after a failure they are kept.
    """
    folder = staging_dir(settings, job_id)
    with open_store(settings) as catalog:
        job = catalog.job(job_id)
        if job is None or job["status"] in FINISHED:
            return
        request = json.loads(job["request"])
        catalog.update_job(job_id, status="running", pid=os.getpid())
        progress = JobProgress(catalog, job_id)
        try:
            while True:
                try:
                    report = add_production([folder], settings, production=job["production"],
                                            meta=request["meta"], progress=progress)
                    break
                except ArchiveLockedError:
                    catalog.update_job(job_id, status="queued")
                    time.sleep(LOCK_RETRY)
                    catalog.update_job(job_id, status="running")
        except ArchiveError as exc:
            catalog.update_job(job_id, status="failed", error=exc.message, finished=time.time())
            catalog.audit(job["user_name"], "upload.failed", job["production"],
                          {"job": job_id, "error": exc.message})
            return
        except BaseException:
            catalog.update_job(job_id, status="failed", finished=time.time(),
                               error="the add stopped on an unexpected error (see "
                                     f"index/uploads/{job_id}.log); upload the files again")
            raise
        progress.save(force=True)
        data = _relative(report.to_json(), f"{folder}{os.sep}")
        catalog.update_job(job_id, status="done", report=json.dumps(data), finished=time.time())
        catalog.audit(job["user_name"], "upload.done", job["production"],
                      {"job": job_id, "added": len(report.added),
                       "failed": len(report.failed), "pages": report.pages})
    shutil.rmtree(folder, ignore_errors=True)


def _relative(data: Any, prefix: str) -> Any:
    """The report with the staging folder left out of file names (`scan.pdf`, not a path on
    the server)."""
    if isinstance(data, str):
        return data.replace(prefix, "")
    if isinstance(data, list):
        return [_relative(item, prefix) for item in data]
    if isinstance(data, dict):
        return {key: _relative(value, prefix) for key, value in data.items()}
    return data


def describe(row: Any) -> dict[str, Any]:
    """A job as `GET /api/jobs/<id>` gives it (`report` is `add --json`'s, once done)."""
    status = str(row["status"])
    if status == "running" and row["pid"] and not _alive(int(row["pid"])):
        status = "failed"
    error = row["error"] or (None if status == row["status"] else
                             "the add stopped before it finished; upload the files again "
                             "(pages already read are kept)")
    return {"id": row["id"], "status": status, "production": row["production"],
            "user": row["user_name"],
            "files_total": row["files_total"], "files_done": row["files_done"],
            "pages_total": row["pages_total"], "pages_done": row["pages_done"],
            "report": json.loads(row["report"]) if row["report"] else None,
            "error": error,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(row["created"])),
            "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(row["finished"]))
            if row["finished"] else None}


def _alive(pid: int) -> bool:
    """Whether the process running a job is still there (on this machine)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main(argv: list[str]) -> int:
    """`python -m archive.editing.jobs HOME JOB_ID`, settings as JSON on stdin."""
    home, job_id = argv
    values = json.loads(sys.stdin.read() or "{}")
    run(load_settings(home, **values), job_id)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
