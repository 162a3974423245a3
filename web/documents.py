"""Blueprint "documents": a document, its page viewer, page images and the original file."""

from __future__ import annotations

import io
import mimetypes
from datetime import date
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    render_template,
    request,
    send_file,
    send_from_directory,
)

from archive import records as foia_records
from archive import storage
from archive.citation import citation_line
from archive.errors import IndexLostError, NotFoundError, QueryError
from archive.foia import line_numbers
from archive.search import crossing, rewrites
from archive.search.matches import highlight_text, match_boxes
from archive.search.query import closed_bridges, matching_pages, query_terms
from web import foia, pageimages, sources
from web.db import get_catalog, get_searcher, get_settings
from web.links import absolute_url
from web.present import trusted_marks
from web.records import (
    PageRecord,
    hidden_from_public,
    load_document,
    load_page,
    valid_doc_id,
    withdrawal,
)
from web.search import tolerant_arg

bp = Blueprint("documents", __name__)

YEAR = 365 * 24 * 3600


def query_arg() -> str:
    """The `q` argument, stripped."""
    return request.args.get("q", "", type=str).strip()


def query_matches(doc_id: str, q: str, text_source: str = "ocr",
                  ) -> tuple[list[int], list[list[str]], str | None]:
    """The pages of a document matching `q`, the query's word sequences (for a page with
    this text source), and a notice if the query could not be used (a page stays readable
    whatever its link's query says)."""
    if not q:
        return [], [], None
    settings = get_settings()
    tolerant = tolerant_arg() is not None
    try:
        pages = matching_pages(get_searcher(), q, settings, doc_id, tolerant=tolerant)
    except (QueryError, IndexLostError) as exc:
        return [], [], f"Matches are not highlighted: {exc.message}"
    return pages, query_terms(q, settings, get_searcher(), tolerant=tolerant,
                              text_layer=text_source == "text"), None


@bp.get("/doc/<doc_id>")
def document(doc_id: str) -> str:
    """A document: its metadata, productions and a grid of page thumbnails."""
    doc = load_document(doc_id)
    q = query_arg()
    hit_pages, _, notice = query_matches(doc_id, q)
    count = int(doc["page_count"] or 0)
    step = current_app.config["GRID_PAGES"]
    start = min(max(request.args.get("start", 1, type=int), 1), max(count, 1))
    grid = range(start, min(start + step, count + 1))
    catalog = get_catalog()
    meta = doc["meta"]
    return render_template(
        "document.html", doc=doc, q=q, notice=notice, hit_pages=set(hit_pages),
        hit_count=len(hit_pages), grid=grid, step=step, start=start, count=count,
        thumb_width=current_app.config["THUMB_WIDTH"],
        email=foia.email_rows(meta.get("email")), record_date=meta.get("record_date"),
        parent=foia.parent(catalog, doc) if catalog is not None else None,
        attachments=_public_attachments(foia.attachments(catalog, doc))
        if catalog is not None else [],
        fields=foia.load_file_fields(meta), bates_range=foia.bates_range(meta))


def _public_attachments(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Attachments, those withdrawn from public view unlinked (for the public)."""
    docs, _ = hidden_from_public()
    return [{**a, "readable": False, "note": "withdrawn from public view"}
            if a.get("doc_id") in docs else a for a in found]


@bp.get("/doc/<doc_id>/page/<int:page_no>")
def page(doc_id: str, page_no: int) -> str:
    """The page viewer: the image with the query's matches boxed, the text, a citation."""
    record = load_page(doc_id, page_no)
    q = query_arg()
    hit_pages, sequences, notice = query_matches(doc_id, q, record.text_source)
    margins = line_numbers.spans(record.annotations)
    margin_words = line_numbers.word_indexes(record.annotations)
    across = crossing.on_page(get_searcher() if sequences else None, doc_id, page_no,
                              record.text, record.words, sequences,
                              closed_bridges(get_settings()), margins=margins,
                              margin_words=margin_words)
    width, height = page_image_size(record.width, record.height,
                                    current_app.config["IMAGE_WIDTH"])
    catalog = get_catalog()
    found = (foia_records.for_page(catalog, doc_id, page_no) if catalog is not None
             else None) or {}
    return render_template(
        "page.html", r=record, doc=record.doc, q=q, notice=notice,
        exemptions=foia.exemption_links(
            found.get("exemptions") or [],
            record.productions[0]["slug"] if len(record.productions) == 1 else None),
        redactions=foia.redactions(found.get("redactions")),
        email=foia.email_rows(found.get("email")), record_date=found.get("record_date"),
        duplicates=_public_duplicates(foia.duplicates(catalog, found.get("duplicates") or []))
        if catalog is not None else [],
        parent=foia.parent(catalog, record.doc) if catalog is not None else None,
        bates_typed=stamped(request.args.get("bates", "", type=str), record),
        boxes=(match_boxes(record.words, sequences, margin_words) if sequences else [])
        + across.boxes,
        text_html=trusted_marks(highlight_text(record.text, sequences, margins, across.spans)),
        text_parts=sources.text_parts(record.text, record.annotations, sequences, margins,
                                      across.spans),
        ocr_regions=sources.ocr_regions(record.annotations, len(record.text)),
        across=across,
        hit_pages=hit_pages,
        previous_hit=max((p for p in hit_pages if p < page_no), default=None),
        next_hit=min((p for p in hit_pages if p > page_no), default=None),
        img_width=width, img_height=height, citation=cite(record),
        permalink=absolute_url("documents.page", doc_id=doc_id, page_no=page_no))


def _public_duplicates(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Other copies of a page, without those withdrawn from public view (for the public)."""
    docs, pages = hidden_from_public()
    return [d for d in found if d.get("doc_id") not in docs
            and (d.get("doc_id"), d.get("page")) not in pages]


@bp.app_template_global()
def page_image_size(width_pts: float, height_pts: float, width_px: int) -> tuple[int, int]:
    """The pixel size of a page image or thumbnail asked `width_px` wide, as it is served."""
    return pageimages.image_size(get_settings(), width_pts, height_pts, width_px)


def stamped(typed: str, record: PageRecord) -> str | None:
    """`typed` (the Bates number a search jumped from) if it is stamped on this page."""
    key = rewrites.bates_key(typed[:200].upper())
    keys = {str(k).lower() for k in record.annotations.get("bates_keys") or []}
    return typed.strip() if key and key in keys else None


def cite(record: PageRecord) -> str:
    """The page's citation line, naming the production it was first released in."""
    production = record.productions[0] if record.productions else None
    permalink = absolute_url("documents.page", doc_id=record.doc["doc_id"],
                             page_no=record.page_no)
    return citation_line(production=production, title=str(record.doc["title"]),
                         page=record.page_no, pages=record.pages, permalink=permalink,
                         accessed=date.today(), bates=record.bates)


def _page_image(doc_id: str, page_no: int, width: int) -> Response:
    if not valid_doc_id(doc_id):
        raise NotFoundError("There is no document with that id in the archive.")
    if withdrawal(doc_id, page_no) is not None:  # before the cache and the 304: at once
        return _private(_page_image_served(doc_id, page_no, width))  # an editor's view
    return _page_image_served(doc_id, page_no, width)


def _page_image_served(doc_id: str, page_no: int, width: int) -> Response:
    settings = get_settings()
    tag = pageimages.etag(doc_id, page_no, width)
    if request.if_none_match.contains(tag):  # the image never changes: no need to open it
        not_modified = Response(status=304)
        not_modified.set_etag(tag)
        not_modified.cache_control.public = True
        not_modified.cache_control.max_age = YEAR
        return _immutable(not_modified)
    cached = pageimages.cache_path(settings, doc_id, page_no, width)
    if not cached.is_file():  # first request: check the page exists, then render it
        record = load_page(doc_id, page_no)
        found = pageimages.page_png(settings, record.doc, page_no, record.width, width)
        if isinstance(found, bytes):
            return _immutable(send_file(io.BytesIO(found), mimetype="image/png", etag=tag,
                                        conditional=True, max_age=YEAR))
    return _immutable(send_from_directory(cached.parent, cached.name, mimetype="image/png",
                                          etag=tag, conditional=True, max_age=YEAR))


def _private(response: Response) -> Response:
    """A withdrawn page or file shown to an editor: never kept by a shared cache."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _immutable(response: Response) -> Response:
    response.cache_control.immutable = True
    return response


@bp.get("/doc/<doc_id>/page/<int:page_no>/image")
def page_image(doc_id: str, page_no: int) -> Response:
    """The page at reading size, as PNG."""
    return _page_image(doc_id, page_no, current_app.config["IMAGE_WIDTH"])


@bp.get("/doc/<doc_id>/page/<int:page_no>/thumb")
def page_thumb(doc_id: str, page_no: int) -> Response:
    """The page as a small thumbnail, as PNG."""
    return _page_image(doc_id, page_no, current_app.config["THUMB_WIDTH"])


@bp.get("/doc/<doc_id>/original")
def original(doc_id: str) -> Response:
    """The original file as released, byte for byte."""
    doc = load_document(doc_id)
    hidden = withdrawal(doc_id, any_page=True)  # the original holds a withdrawn page too
    path = pageimages.original_path(get_settings(), doc)
    if doc["kind"] == "loadfile":  # page images a load file binds: served as one PDF
        path = storage.readable_path(get_settings(), doc)[0]
    mimetype, inline = _original_type(doc, path)
    response = send_file(path, mimetype=mimetype, as_attachment=not inline,
                         download_name=path.name, conditional=True, max_age=YEAR)
    return _private(response) if hidden else _immutable(response)


@bp.get("/doc/<doc_id>/native")
def native(doc_id: str) -> Response:
    """The native file a load file gives beside a document's page images (a spreadsheet,
    an email), as released, for download."""
    doc = load_document(doc_id)
    hidden = withdrawal(doc_id, any_page=True)
    settings = get_settings()
    named = doc["meta"].get("native")
    path = (settings.home / str(named)).resolve() if isinstance(named, str) and named else None
    if path is None or not path.is_relative_to(settings.scans_dir.resolve()) \
            or not path.is_file():
        raise NotFoundError("This document has no native file in the archive.")
    response = send_file(path, mimetype="application/octet-stream", as_attachment=True,
                         download_name=path.name, conditional=True, max_age=YEAR)
    return _private(response) if hidden else _immutable(response)


def _original_type(doc: dict[str, Any], path: Path) -> tuple[str, bool]:
    """The MIME type to serve an original as, and whether the browser may show it inline."""
    if doc["kind"] in ("pdf", "loadfile"):
        return "application/pdf", True
    guessed = mimetypes.guess_type(path.name)[0] or ""
    if doc["kind"] == "image" and guessed in ("image/png", "image/jpeg", "image/gif",
                                              "image/tiff", "image/bmp", "image/webp"):
        return guessed, True
    return "application/octet-stream", False
