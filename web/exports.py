"""Blueprint "exports": every hit of a search, streamed (`/search.csv`; the API's
`format=jsonl` uses `rows_response`), and the matching pages' images bound into one PDF,
each stamped with its citation (`/search.pdf`)."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from flask import Blueprint, Response, current_app, send_file, stream_with_context

from archive import exports
from archive.errors import NotFoundError
from archive.models import Hit
from archive.read import extract
from archive.search import streams
from archive.search.query import search as run_search
from archive.store import Store
from web import pageimages
from web.db import get_catalog, get_searcher, get_settings
from web.feeds import permalink
from web.search import Query

bp = Blueprint("exports", __name__)

MIMETYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson"}


def _download_name(q: str, extension: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", q.lower()).strip("-")[:60]
    return f"search-{words or 'pages'}.{extension}"


def _query() -> Query:
    query = Query.from_request()
    if not query.q:
        raise NotFoundError("An export is of a search: add ?q=WORDS to the address.")
    return query


def rows_response(fmt: str) -> Response:
    """Every matching page of the request's search, up to ARCHIVE_EXPORT_MAX_ROWS, as
    `fmt` rows written while the index is walked. `X-Archive-Total` says how many pages
    match, `X-Archive-Rows` how many rows follow.

    Raises:
        QueryError, SearchTimeoutError: before anything is sent.
    """
    query = _query()
    settings = get_settings()
    found = streams.export(get_searcher(), query.text, settings,
                           streams.Window(production=query.production),
                           settings.export_max_rows)
    hits = found.hits() if found is not None else iter(())
    lines = exports.lines(fmt, exports.rows(hits, permalink, date.today()))
    response = Response(stream_with_context(lines), mimetype=MIMETYPES[fmt])
    total = found.total if found is not None else 0
    response.headers["X-Archive-Total"] = str(total)
    response.headers["X-Archive-Rows"] = str(min(total, settings.export_max_rows))
    if fmt == "csv":
        response.headers["Content-Disposition"] = \
            f'attachment; filename="{_download_name(query.q, "csv")}"'
    return response


@bp.get("/search.csv")
def search_csv() -> Response:
    """Every matching page as a CSV row (formula cells neutralised)."""
    return rows_response("csv")


@bp.get("/search.pdf")
def search_pdf() -> Response:
    """The best matching pages (up to ARCHIVE_EXPORT_MAX_PDF_PAGES) as one PDF of their
    images, each stamped at the foot with its citation line."""
    query = _query()
    settings = get_settings()
    found = run_search(get_searcher(), query.text, settings,
                       pagelen=settings.export_max_pdf_pages, production=query.production)
    catalog = get_catalog()
    if not found.hits or catalog is None:
        raise NotFoundError("No page matches this search, so there is nothing to download.")
    handle, name = tempfile.mkstemp(suffix=".pdf", prefix="search-")
    os.close(handle)
    try:
        extract.stamped_pdf(_stamped_pages(found.hits, catalog), Path(name))
        bound = Path(name).open("rb")  # noqa: SIM115 (send_file closes it)
    finally:
        Path(name).unlink()  # gone once the response is sent and the file closed
    return send_file(bound, mimetype="application/pdf", as_attachment=True,
                     download_name=_download_name(query.q, "pdf"))


def _stamped_pages(hits: list[Hit], catalog: Store) -> Iterator[tuple[Path | bytes, str]]:
    """Each hit's page image (rendered once, then cached) and its citation line.

    Raises:
        NotFoundError: a page's original file is missing from the archive.
    """
    settings = get_settings()
    width = current_app.config["IMAGE_WIDTH"]
    today = date.today()
    for hit in hits:
        doc, row = catalog.document(hit.doc_id), catalog.page(hit.doc_id, hit.page)
        if doc is None or row is None:
            continue  # withdrawn since the search: no longer in the catalog
        hit.extra["pages"] = int(doc["page_count"] or 0)
        image = pageimages.page_png(settings, dict(doc), hit.page, float(row["width"]), width)
        yield image, exports.citation(hit, permalink(hit), today)
