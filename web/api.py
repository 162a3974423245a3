"""Blueprint "api": JSON search (as `archive search --json`, plus "next"), page data, OpenAPI."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request
from werkzeug.wrappers import Response

from archive import records as foia_records
from archive.foia import line_numbers
from archive.search import crossing
from archive.search.matches import match_boxes
from archive.search.query import closed_bridges, parse, query_terms
from web.db import get_catalog, get_searcher, get_settings
from web.exports import rows_response
from web.links import absolute_url, public_root
from web.openapi import openapi_spec
from web.records import load_page
from web.search import Query, execute, results_limit_notice, tolerant_arg
from web.sources import ocr_regions

bp = Blueprint("api", __name__)


@bp.get("/api/search")
def search() -> Response:
    """One page of hits as JSON; "next" is the URL of the next page (same filters), or null
    on the last page that can be served: there "truncated" (true) and "notice" say when hits
    remain past it. With `format=jsonl`: every hit (up to ARCHIVE_EXPORT_MAX_ROWS) as
    export rows, one JSON object a line, streamed."""
    if request.args.get("format") == "jsonl":
        return rows_response("jsonl")
    query = Query.from_request()
    results = execute(query)
    data: dict[str, Any] = results.to_json()
    more = query.page * current_app.config["RESULTS_PER_PAGE"] < results.total
    last = query.page >= current_app.config["MAX_RESULTS_PAGE"]
    data["next"] = absolute_url("api.search", **query.args(page=query.page + 1)) \
        if more and not last else None
    if more and last:  # hits remain that no page can serve
        data.update(truncated=True, notice=results_limit_notice())
    return jsonify(data)


@bp.get("/api/doc/<doc_id>/page/<int:page_no>")
def page(doc_id: str, page_no: int) -> Response:
    """One page's text and word boxes (PDF points, origin top left); with `q`, the boxes of
    the words the query matched."""
    record = load_page(doc_id, page_no)
    data: dict[str, Any] = {
        "doc_id": doc_id,
        "page": page_no,
        "pages": record.pages,
        "title": record.doc["title"],
        "production": record.production_names,
        "text": record.text,
        "text_source": record.text_source,
        "ocr_confidence": record.ocr_confidence,
        "width": record.width,
        "height": record.height,
        "unit": "pt",
        "words": record.words,
        "ocr_regions": ocr_regions(record.annotations, len(record.text)),
        "url": absolute_url("documents.page", doc_id=doc_id, page_no=page_no),
        "image": absolute_url("documents.page_image", doc_id=doc_id, page_no=page_no),
    }
    catalog = get_catalog()
    if catalog is not None:  # bates, exemptions, redactions (+ boxes), email, duplicates...
        data.update(foia_records.for_page(catalog, doc_id, page_no) or {})
    q = request.args.get("q", "", type=str).strip()
    if q:
        settings = get_settings()
        parse(q, settings)  # a malformed query is a 400, not an empty list
        sequences = query_terms(q, settings, get_searcher(), tolerant=tolerant_arg() is not None,
                                text_layer=record.text_source == "text")
        margin_words = line_numbers.word_indexes(record.annotations)
        across = crossing.on_page(  # a phrase's part on this side of a page break
            get_searcher(), doc_id, page_no, record.text, record.words, sequences,
            closed_bridges(settings), margins=line_numbers.spans(record.annotations),
            margin_words=margin_words)
        data["matches"] = match_boxes(record.words, sequences, margin_words) + across.boxes
    return jsonify(data)


@bp.get("/openapi.json")
def openapi() -> Response:
    """The API's OpenAPI 3.1 description."""
    return jsonify(openapi_spec(public_root() or "/",
                                query_max_chars=get_settings().query_max_chars))
