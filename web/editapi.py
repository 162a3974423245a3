"""Blueprint "editapi": the editors' JSON API. Every route needs `Authorization: Bearer
TOKEN` (`archive users token NAME`) or a signed-in session with its CSRF token; without
one it answers 401 and changes nothing."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from werkzeug.wrappers import Response

from archive.editing import withdrawals
from archive.errors import InvalidMetadataError
from web.auth import require
from web.db import get_settings
from web.editors import apply_edit, job_data, page_arg, release_meta, start_upload
from web.links import absolute_url

bp = Blueprint("editapi", __name__)


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True) if request.data else {}
    if not isinstance(body, dict):
        raise InvalidMetadataError("send a JSON object, e.g. {\"reason\": \"...\"}")
    return body


@bp.post("/api/productions")
def upload() -> tuple[Response, int, dict[str, str]]:
    """Upload a production (multipart: `files`, `production` and the release metadata
    fields); 202 with the job's URL, where its progress and report are."""
    job_id = start_upload()
    url = absolute_url("editapi.job", job_id=job_id)
    return jsonify(id=job_id, status="queued", url=url), 202, {"Location": url}


@bp.get("/api/jobs/<job_id>")
def job(job_id: str) -> Response:
    """An upload's status, files and pages done, and at the end its `add --json` report."""
    require("editor")
    return jsonify(job_data(job_id))


@bp.patch("/api/productions/<slug>")
def edit_production(slug: str) -> Response:
    """Change a production's release metadata (JSON fields, as `archive production edit`)."""
    require("editor")  # before the body is read: 401 first
    return jsonify(apply_edit(slug, release_meta(_json_body())))


@bp.post("/api/doc/<doc_id>/withdraw")
def withdraw(doc_id: str) -> Response:
    """Withdraw a document (no `page`) or one page from public view; `reason` required."""
    user = require("editor")
    body = _json_body()
    found = withdrawals.withdraw(get_settings(), user, doc_id, page_arg(body),
                                 str(body.get("reason") or ""))
    return jsonify(found.to_json())


@bp.post("/api/doc/<doc_id>/restore")
def restore(doc_id: str) -> Response:
    """Put a withdrawn document (no `page`) or page back in public view."""
    user = require("editor")
    body = _json_body()
    page = page_arg(body)
    withdrawals.restore(get_settings(), user, doc_id, page, str(body.get("reason") or ""))
    return jsonify(doc_id=doc_id, page=page, restored=True)
