"""The OpenAPI 3.1 description of the reading room's JSON API, written by hand."""

from __future__ import annotations

from typing import Any

from archive import __version__

_ERROR = {"$ref": "#/components/schemas/Error"}


def _param(name: str, where: str, schema: dict[str, Any], description: str,
           required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "schema": schema,
            "description": description}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_EMAIL = {"type": ["object", "null"], "description": "the page's email header fields",
          "properties": {k: {"type": ["string", "null"]}
                         for k in ("from", "to", "cc", "subject", "date")}}
_FOIA: dict[str, Any] = {
    "bates": {"type": ["string", "null"], "description": "Bates number as printed"},
    "exemptions": {"type": "array", "items": {"type": "string"},
                   "description": 'exemption labels on the page: "(b)(6)", "(b)(7)(C)"'},
    "redactions": {"type": "object", "properties": {
        "count": {"type": "integer"},
        "area": {"type": "number", "description": "fraction of the page covered, 0..1"}}},
    "email": _EMAIL,
    "record_date": {"type": ["string", "null"], "description": "YYYY-MM-DD"},
    "production_meta": {"type": "object", "description": "the earliest release's metadata",
                        "properties": {k: {"type": ["string", "integer", "null"]} for k in (
                            "name", "agency", "request_number", "released", "interim",
                            "source_url")}},
}
_BOX = {"type": "array", "items": {"type": "number"}, "description": "[x0, y0, x1, y1] in pt"}

_HIT = {
    "type": "object",
    "required": ["doc_id", "page", "title", "production", "excerpt", "url", "text_source",
                 "score"],
    "properties": {
        "doc_id": {"type": "string", "description": "first 16 hex digits of the sha256"},
        "page": {"type": "integer", "minimum": 1, "description": "1-based page number"},
        "title": {"type": "string"},
        "production": {"type": "string", "description": "production names, '; '-separated"},
        "production_ids": {"type": "array", "items": {"type": "string"}},
        "excerpt": {"type": "string",
                    "description": "HTML: escaped text, matched words in <mark>"},
        "url": {"type": "string", "description": "the page's permalink path"},
        "text_source": {"type": "string", "enum": ["text", "ocr", "none"]},
        "score": {"type": "number"},
        **_FOIA,
    },
}

_PAGE = {
    "type": "object",
    "required": ["doc_id", "page", "pages", "title", "production", "text", "text_source",
                 "ocr_confidence", "width", "height", "words"],
    "properties": {
        "doc_id": {"type": "string"},
        "page": {"type": "integer", "minimum": 1},
        "pages": {"type": "integer"},
        "title": {"type": "string"},
        "production": {"type": "string"},
        "text": {"type": "string"},
        "text_source": {"type": "string", "enum": ["text", "ocr", "none"]},
        "ocr_confidence": {"type": ["number", "null"], "description": "mean word confidence"},
        "width": {"type": "number", "description": "page width in `unit`"},
        "height": {"type": "number", "description": "page height in `unit`"},
        "unit": {"type": "string", "const": "pt",
                 "description": "PDF points (1/72 inch) of the page as displayed, origin top "
                                "left; pixels of an image W pixels wide = points * W / width"},
        "words": {"type": "array", "description": "[x0, y0, x1, y1, word]",
                  "items": {"type": "array", "prefixItems": [
                      {"type": "number"}, {"type": "number"}, {"type": "number"},
                      {"type": "number"}, {"type": "string"}]}},
        "matches": {"type": "array", "description": "with q: [x0, y0, x1, y1] of the words "
                    "the query matched (a phrase's words on one line share a box)",
                    "items": {"type": "array", "items": {"type": "number"}}},
        "url": {"type": "string"},
        "image": {"type": "string"},
        **_FOIA,
        "redactions": {"type": "object", "properties": {
            "count": {"type": "integer"},
            "area": {"type": "number", "description": "fraction of the page covered, 0..1"},
            "boxes": {"type": "array", "items": _BOX,
                      "description": "the redaction boxes found on the page image"},
            "full": {"type": "boolean", "description": "withheld in full: boxes cover at "
                     "least half the page"}}},
        "duplicates": {"type": "array", "description": "the same record elsewhere, earliest "
                       "release first", "items": {"type": "object", "properties": {
                           "doc_id": {"type": "string"}, "page": {"type": "integer"},
                           "production": {"type": ["string", "null"]},
                           "released": {"type": ["string", "null"]}}}},
    },
}


def openapi_spec(server: str) -> dict[str, Any]:
    """The description, with `server` (the app's root URL) as its server."""
    q = _param("q", "query", {"type": "string", "maxLength": 1000},
               'Whoosh query: words, "phrases", AND/OR/NOT, field:value, wild*, fuzzy~')
    return {
        "openapi": "3.1.0",
        "info": {"title": "FOIA archive reading room API", "version": __version__,
                 "description": "Read-only search over released records, page by page."},
        "servers": [{"url": server}],
        "paths": {
            "/api/search": {"get": {
                "summary": "Pages matching a query, best first (as `archive search --json`)",
                "parameters": [
                    {**q, "required": True},
                    _param("page", "query", {"type": "integer", "minimum": 1, "default": 1},
                           "page of results, 20 hits each, at most 500 (then `next` is null)"),
                    _param("production", "query", {"type": "string"},
                           "only hits from the production with this slug"),
                    _param("exemption", "query", {"type": "string"},
                           "only pages labelled with this exemption: b6, b7c, (b)(7)(C)"),
                    _param("redacted", "query", {"type": "string", "enum": ["yes", "no"]},
                           "only pages with (yes) or without (no) redaction boxes"),
                    _param("collapse", "query", {"type": "integer", "enum": [0, 1],
                                                 "default": 0},
                           "1: near-duplicate pages (the same record in several releases) "
                           "once, as their earliest release"),
                ],
                "responses": {
                    "200": _json({"type": "object", "required": ["query", "total", "hits",
                                                                 "next"],
                                  "properties": {
                                      "query": {"type": "string", "description":
                                                "the query as run, filters included"},
                                      "total": {"type": "integer"},
                                      "hits": {"type": "array", "items": _HIT},
                                      "next": {"type": ["string", "null"],
                                               "description": "URL of the next page, "
                                                              "same filters; null on the "
                                                              "last page that is served"},
                                      "truncated": {"type": "boolean", "description":
                                                    "present (true) when matching pages "
                                                    "remain past the last page served"},
                                      "notice": {"type": "string", "description":
                                                 "with truncated: how to reach the rest"},
                                      "folded": {"type": "integer", "description":
                                                 "with collapse=1: copies left out; total "
                                                 "and facets count the pages shown"},
                                      "facets": {"type": "object", "description":
                                                 "matching pages by production (slug), "
                                                 "exemption (label) and redacted (yes/no)",
                                                 "additionalProperties": {
                                                     "type": "object",
                                                     "additionalProperties": {
                                                         "type": "integer"}}}}},
                                 "hits"),
                    "400": _json(_ERROR, "the query cannot be parsed or is over a limit"),
                    "503": _json(_ERROR, "the search ran past its time limit "
                                 "(ARCHIVE_SEARCH_DEADLINE); narrow it or try again"),
                },
            }},
            "/api/doc/{doc_id}/page/{page}": {"get": {
                "summary": "One page: text, word boxes, and with q the matched words' boxes",
                "parameters": [
                    _param("doc_id", "path", {"type": "string", "pattern": "^[0-9a-f]{16}$"},
                           "document id", required=True),
                    _param("page", "path", {"type": "integer", "minimum": 1},
                           "1-based page number", required=True),
                    q,
                ],
                "responses": {
                    "200": _json(_PAGE, "the page"),
                    "400": _json(_ERROR, "the query cannot be parsed"),
                    "404": _json(_ERROR, "no such document or page"),
                },
            }},
        },
        "components": {"schemas": {"Error": {
            "type": "object", "required": ["error", "status", "message"],
            "properties": {"error": {"type": "string"}, "status": {"type": "integer"},
                           "message": {"type": "string",
                                       "description": "what went wrong, in plain words"}}}}},
    }
