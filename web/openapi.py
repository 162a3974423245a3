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


_EMAIL_FIELDS = ("from", "to", "cc", "subject", "date")
_EMAIL = {"type": ["object", "null"], "description": "the page's email header fields",
          "required": list(_EMAIL_FIELDS),
          "properties": {k: {"type": ["string", "null"]} for k in _EMAIL_FIELDS}}
_META_FIELDS = ("name", "agency", "request_number", "released", "interim", "source_url")
_FOIA: dict[str, Any] = {
    "bates": {"type": ["string", "null"], "description": "Bates number as printed"},
    "exemptions": {"type": "array", "items": {"type": "string"},
                   "description": 'exemption labels on the page: "(b)(6)", "(b)(7)(C)"'},
    "redactions": {"type": "object", "required": ["count", "area"], "properties": {
        "count": {"type": "integer", "minimum": 0},
        "area": {"type": "number", "description": "fraction of the page covered, 0..1"}}},
    "email": _EMAIL,
    "record_date": {"type": ["string", "null"], "description": "YYYY-MM-DD"},
    "production_meta": {"type": "object", "description": "the earliest release's metadata",
                        "required": list(_META_FIELDS),
                        "properties": {k: {"type": ["string", "integer", "null"]}
                                       for k in _META_FIELDS}},
}
_FOIA_REQUIRED = list(_FOIA)  # every hit and page carries them, null or empty when absent
_BOX = {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4,
        "description": "[x0, y0, x1, y1] in pt"}
_WORD = {"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"},
                                          {"type": "number"}, {"type": "number"},
                                          {"type": "string"}],
         "minItems": 5, "items": False, "description": "[x0, y0, x1, y1, word] in pt"}
_PAGE_REDACTIONS = {
    "type": "object", "required": ["count", "area", "boxes", "full"],
    "properties": {
        **_FOIA["redactions"]["properties"],
        "boxes": {"type": "array", "items": _BOX,
                  "description": "the redaction boxes found on the page image"},
        "full": {"type": "boolean",
                 "description": "withheld in full: boxes cover at least half the page"}}}
_DUPLICATE = {
    "type": "object", "required": ["doc_id", "page", "production", "released"],
    "properties": {"doc_id": {"type": "string"}, "page": {"type": "integer", "minimum": 1},
                   "production": {"type": ["string", "null"],
                                  "description": "its earliest release's name"},
                   "released": {"type": ["string", "null"], "description": "YYYY-MM-DD"}}}

_HIT = {
    "type": "object",
    "required": ["doc_id", "page", "title", "production", "production_ids", "excerpt", "url",
                 "text_source", "score", "fuzzy_words", *_FOIA_REQUIRED],
    "properties": {
        "doc_id": {"type": "string", "description": "first 16 hex digits of the sha256"},
        "page": {"type": "integer", "minimum": 1, "description": "1-based page number"},
        "title": {"type": "string"},
        "production": {"type": "string", "description": "production names, '; '-separated"},
        "production_ids": {"type": "array", "items": {"type": "string"},
                           "description": "the productions' slugs (as `production=` takes)"},
        "excerpt": {"type": "string",
                    "description": "HTML: escaped text, matched words in <mark>"},
        "url": {"type": "string", "description": "the page's permalink path"},
        "text_source": {"type": "string", "enum": ["text", "ocr", "none"]},
        "score": {"type": "number"},
        "fuzzy_words": {"type": "array", "items": {"type": "string"},
                        "description": "the page's words, as written, that matched only "
                        "fuzzily: misread by OCR (tolerant=1) or found by a fuzzy term "
                        "(word~1); empty when every match is the word typed"},
        **_FOIA,
    },
}

_PAGE = {
    "type": "object",
    "required": ["doc_id", "page", "pages", "title", "production", "text", "text_source",
                 "ocr_confidence", "width", "height", "unit", "words", "url", "image",
                 *_FOIA_REQUIRED, "duplicates"],
    "properties": {
        "doc_id": {"type": "string"},
        "page": {"type": "integer", "minimum": 1},
        "pages": {"type": "integer", "minimum": 1},
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
        "words": {"type": "array", "items": _WORD, "description": "the words on the page"},
        "matches": {"type": "array", "description": "with q: [x0, y0, x1, y1] of the words "
                    "the query matched (a phrase's words on one line share a box)",
                    "items": _BOX},
        "url": {"type": "string"},
        "image": {"type": "string"},
        **_FOIA,
        "redactions": _PAGE_REDACTIONS,
        "duplicates": {"type": "array", "items": _DUPLICATE, "description": "the same record "
                       "elsewhere, earliest release first"},
    },
}

_COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
_RESULTS = {
    "type": "object",
    "required": ["query", "total", "hits", "facets", "next"],
    "properties": {
        "query": {"type": "string", "description": "the query as run, filters included"},
        "total": {"type": "integer", "minimum": 0},
        "hits": {"type": "array", "items": _HIT},
        "facets": {"type": "object", "description": "the matching pages counted by "
                   "production (slug), exemption (label) and redacted (yes/no)",
                   "required": ["production", "exemption", "redacted"],
                   "properties": {"production": _COUNTS, "exemption": _COUNTS,
                                  "redacted": {**_COUNTS, "propertyNames": {
                                      "enum": ["yes", "no"]}}}},
        "next": {"type": ["string", "null"],
                 "description": "URL of the next page, same filters; null on the last page "
                 "that is served"},
        "truncated": {"type": "boolean", "description": "present (true) when matching pages "
                      "remain past the last page served"},
        "notice": {"type": "string", "description": "with truncated: how to reach the rest"},
        "folded": {"type": "integer", "minimum": 0, "description": "with collapse=1: copies "
                   "left out; total and facets count the pages shown"},
        "tolerant": {"type": "boolean", "description": "present (true) with tolerant=1"},
    },
}
_OTHER_ERROR = _json(_ERROR, "another error, in the same shape: 500 unexpected (logged), "
                     "503 the archive needs attention")


def openapi_spec(server: str, query_max_chars: int = 1000) -> dict[str, Any]:
    """The description, with `server` (the app's root URL) as its server and the archive's
    longest accepted query (`query_max_chars`, ARCHIVE_QUERY_MAX_CHARS)."""
    q = _param("q", "query", {"type": "string", "maxLength": query_max_chars},
               'Whoosh query: words, "phrases", AND/OR/NOT, field:value, wild*, fuzzy~ '
               '(on the words as written, in phrases too: "irigation~1 permit")')
    tolerant = _param("tolerant", "query", {"type": "integer", "enum": [0, 1], "default": 0},
                      "1: in phrases, every word of 5 or more letters may be one edit off "
                      "on pages read by OCR (OCR misreadings); pages with the phrase as "
                      "typed rank first, and each hit lists its `fuzzy_words`")
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
                    tolerant,
                ],
                "responses": {
                    "200": _json(_RESULTS, "hits"),
                    "400": _json(_ERROR, "the query cannot be parsed or is over a limit"),
                    "503": _json(_ERROR, "the search ran past its time limit "
                                 "(ARCHIVE_SEARCH_DEADLINE), or the index needs `archive "
                                 "reindex`; narrow it or try again"),
                    "default": _OTHER_ERROR,
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
                    {**tolerant, "description": "1: box the words a tolerant search "
                     "(see /api/search) matched"},
                ],
                "responses": {
                    "200": _json(_PAGE, "the page"),
                    "400": _json(_ERROR, "the query cannot be parsed"),
                    "404": _json(_ERROR, "no such document or page"),
                    "default": _OTHER_ERROR,
                },
            }},
        },
        "components": {"schemas": {"Error": {
            "type": "object", "required": ["error", "status", "message"],
            "properties": {"error": {"type": "string"}, "status": {"type": "integer"},
                           "message": {"type": "string",
                                       "description": "what went wrong, in plain words"}}}}},
    }
