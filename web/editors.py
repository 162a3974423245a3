"""Blueprint "editors": the signed-in side of the reading room. Upload a production (added
in the background, with a progress page), edit a production's release metadata, withdraw
and restore documents and pages, and (admins) read the audit log."""

from __future__ import annotations

import json
import time
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from archive import releases
from archive.editing import jobs, withdrawals
from archive.errors import InvalidMetadataError, NotFoundError
from web.auth import require, signed_in, writable_catalog
from web.db import get_catalog, get_settings

bp = Blueprint("editors", __name__)

META_FIELDS = (("agency", "Agency"), ("request_number", "Request number"),
               ("released", "Released (YYYY-MM-DD)"), ("interim", "Interim release"),
               ("source_url", "Source URL"))


def release_meta(values: Any) -> dict[str, Any]:
    """The release metadata fields of a form or JSON body (absent ones left out)."""
    return {key: values.get(key) for key, _ in META_FIELDS if values.get(key) is not None}


def start_upload() -> str:
    """Stage the request's files (`files`, any number; a zip is unpacked by the add) and
    start the job that adds them; return its id.

    Raises:
        InvalidMetadataError: no production name, no file, or metadata in the wrong form.
    """
    user = require("editor")
    files = [(f.filename or "", f.stream) for f in request.files.getlist("files")
             if f.filename]
    settings = get_settings()
    job_id = jobs.create(settings, user, request.form.get("production", ""),
                         release_meta(request.form), files)
    jobs.start(settings, job_id)
    return job_id


@bp.route("/upload", methods=["GET", "POST"])
@signed_in("editor")
def upload() -> str | Response:
    """The upload form; a sent form goes to its job's progress page."""
    if request.method == "POST":
        return redirect(url_for("editors.job", job_id=start_upload()), code=303)
    catalog = get_catalog()
    return render_template("upload.html", fields=META_FIELDS,
                           productions=catalog.productions() if catalog else [],
                           jobs=[jobs.describe(j) for j in catalog.recent_jobs(10)]
                           if catalog else [])


@bp.get("/jobs/<job_id>")
@signed_in("editor")
def job(job_id: str) -> str:
    """An upload's progress (the page reloads itself until the add has finished), then
    its per-file report."""
    found = job_data(job_id)
    catalog = get_catalog()
    production = catalog.production(found["production"]) if catalog else None
    return render_template("job.html", job=found, production=production,
                           finished=found["status"] in jobs.FINISHED)


def job_data(job_id: str) -> dict[str, Any]:
    """A job as the API gives it.

    Raises:
        NotFoundError: no such job.
    """
    catalog = get_catalog()
    row = catalog.job(job_id) if catalog is not None else None
    if row is None:
        raise NotFoundError("There is no upload job with that id.")
    return jobs.describe(row)


@bp.route("/production/<slug>/edit", methods=["GET", "POST"])
@signed_in("editor")
def edit_production(slug: str) -> str | Response:
    """Change a production's release metadata (as `archive production edit`)."""
    catalog = get_catalog()
    row = catalog.production(slug) if catalog is not None else None
    if row is None or row["slug"] != slug:
        raise NotFoundError("There is no production with that name in the archive.")
    if request.method == "POST":
        apply_edit(slug, release_meta(request.form))
        return redirect(url_for("search.production", slug=slug), code=303)
    return render_template("edit_production.html", production=row, fields=META_FIELDS)


def apply_edit(slug: str, meta: dict[str, Any]) -> dict[str, Any]:
    """Edit a production's metadata as the signed-in user, audited; its new metadata.

    Raises:
        InvalidMetadataError: nothing to change, or a value in the wrong form.
        ArchiveLockedError: an add is running (try again when it has finished).
    """
    user = require("editor")
    if not meta:
        raise InvalidMetadataError("give at least one field to change, e.g. agency")
    changed = releases.edit_production(get_settings(), slug, meta)
    with writable_catalog() as catalog:
        catalog.audit(user.name, "production.edit", slug, meta)
    return changed


def page_arg(values: Any) -> int | None:
    """The `page` of a withdrawal: a page number, or none for the whole document.

    Raises:
        InvalidMetadataError: not a whole number of 1 or more.
    """
    value = values.get("page")
    if value in (None, "", 0, "0"):
        return None
    try:
        page = int(value)
    except (TypeError, ValueError):
        page = 0
    if page < 1:
        raise InvalidMetadataError(f"page {value!r} is not a page number (1, 2, ...)")
    return page


def _change(doc_id: str, change: Any) -> Response:
    """Withdraw or restore (`change`) what the form names, then go back to it."""
    page = page_arg(request.form)
    change(get_settings(), require("editor"), doc_id, page, request.form.get("reason", ""))
    target = (url_for("documents.page", doc_id=doc_id, page_no=page) if page
              else url_for("documents.document", doc_id=doc_id))
    return redirect(target, code=303)


@bp.post("/doc/<doc_id>/withdraw")
def withdraw(doc_id: str) -> Response:
    """Withdraw the document, or the page given, from public view, with a reason."""
    return _change(doc_id, withdrawals.withdraw)


@bp.post("/doc/<doc_id>/restore")
def restore(doc_id: str) -> Response:
    """Put a withdrawn document, or page, back in public view."""
    return _change(doc_id, withdrawals.restore)


@bp.get("/admin/audit")
@signed_in("admin")
def audit() -> str:
    """Who changed what, when: the latest changes first (admins only)."""
    before = request.args.get("before", type=int)
    catalog = get_catalog()
    rows = catalog.audit_log(limit=200, before=before) if catalog is not None else []
    records = [{"id": r["id"], "user": r["user_name"], "action": r["action"],
                "target": r["target"], "detail": json.loads(r["detail"] or "{}"),
                "at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(r["at"]))}
               for r in rows]
    return render_template("audit.html", records=records,
                           older=records[-1]["id"] if len(records) == 200 else None)


@bp.get("/admin")
def admin_home() -> Response:
    """The audit log is the admins' page."""
    return redirect(url_for("editors.audit"))
