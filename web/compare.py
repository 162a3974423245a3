"""Blueprint "compare": two releases of the same page side by side, what one withheld and the
other disclosed (`archive.foia.compare`), in HTML and as JSON.

"Here" is the page of the URL's first half, "there" the other release's page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template

from archive import records as foia_records
from archive.foia.compare import differing_words
from web import foia
from web.db import get_catalog
from web.links import absolute_url
from web.records import PageRecord, load_page

bp = Blueprint("compare", __name__)

_PATH = "/doc/<doc_id>/page/<int:page_no>/compare/<other_doc_id>/<int:other_page_no>"


def _side(record: PageRecord) -> tuple[dict[str, Any], dict[str, Any]]:
    """One page of the comparison (where it is, its size, its release, its redactions), and
    its FOIA fields (`records.for_page`)."""
    doc_id, page_no = str(record.doc["doc_id"]), record.page_no
    catalog = get_catalog()
    found = (foia_records.for_page(catalog, doc_id, page_no) if catalog is not None
             else None) or {}
    release = found.get("production_meta") or {}
    side = {"doc_id": doc_id, "page": page_no, "pages": record.pages,
            "title": record.doc["title"], "production": release.get("name"),
            "released": release.get("released"), "width": record.width,
            "height": record.height, "unit": "pt",
            "redactions": found.get("redactions") or {"count": 0, "area": 0.0, "boxes": [],
                                                      "full": False},
            "url": absolute_url("documents.page", doc_id=doc_id, page_no=page_no),
            "image": absolute_url("documents.page_image", doc_id=doc_id, page_no=page_no)}
    return side, found


def comparison(doc_id: str, page_no: int, other_doc_id: str,
               other_page_no: int) -> tuple[dict[str, Any], PageRecord, PageRecord]:
    """The comparison's JSON, and the two pages.

    Raises:
        NotFoundError: either page is unknown.
    """
    here, there = load_page(doc_id, page_no), load_page(other_doc_id, other_page_no)
    only_here, only_there = differing_words(here.words, there.words)
    side_here, found_here = _side(here)
    side_there, found_there = _side(there)
    copies = any((d["doc_id"], d["page"]) == (other_doc_id, other_page_no)
                 for d in found_here.get("duplicates") or [])
    data = {"only_here": only_here, "only_there": only_there,
            "exemptions_here": list(found_here.get("exemptions") or []),
            "exemptions_there": list(found_there.get("exemptions") or []),
            "copies": copies, "here": side_here, "there": side_there}
    return data, here, there


@bp.get(_PATH)
def page(doc_id: str, page_no: int, other_doc_id: str, other_page_no: int) -> str:
    """Both page images, the words only one of them shows highlighted on each, redaction
    boxes outlined, each release's exemptions."""
    data, here, there = comparison(doc_id, page_no, other_doc_id, other_page_no)
    width = current_app.config["IMAGE_WIDTH"]
    return render_template(
        "compare.html", data=data, here=here, there=there, image_width=width,
        redactions_here=foia.redactions(data["here"]["redactions"]),
        redactions_there=foia.redactions(data["there"]["redactions"]))


@bp.get("/api" + _PATH)
def api(doc_id: str, page_no: int, other_doc_id: str, other_page_no: int) -> Response:
    """The comparison as JSON: the words only each page shows (with their boxes, PDF points,
    origin top left), each page's exemptions, and both pages' redaction boxes."""
    return jsonify(comparison(doc_id, page_no, other_doc_id, other_page_no)[0])
