"""The OpenAPI 3.1 description of the reading room's JSON API, written by hand."""

from __future__ import annotations

from typing import Any

from archive import __version__
from archive.foia.kinds import KINDS

_ERROR = {"$ref": "#/components/schemas/Error"}
_KIND_HELP = ("email (a native message), printed-email (an email's header printed on the "
              "page), scan (text by OCR), born-digital (the file's own text), load-file (a "
              "page image a litigation load file lists)")


def _param(name: str, where: str, schema: dict[str, Any], description: str,
           required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "schema": schema,
            "description": description}


def _page_params(doc_id: str, page: str, which: str) -> list[dict[str, Any]]:
    """The path parameters naming a page: its document id and 1-based page number."""
    return [_param(doc_id, "path", {"type": "string", "pattern": "^[0-9a-f]{16}$"},
                   f"document id of {which}", required=True),
            _param(page, "path", {"type": "integer", "minimum": 1},
                   f"1-based page number of {which}", required=True)]


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

_TEXT_SOURCE = {"type": "string", "enum": ["text", "ocr", "text+ocr", "none"],
                "description": "text: the file's text layer; ocr: the page image read by OCR; "
                               "text+ocr: the text layer and pictures on the page read by OCR"}
_SPAN = {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 2,
         "maxItems": 2}
_OCR_REGION = {
    "type": "object", "required": ["box", "chars", "words", "confidence"],
    "properties": {"box": _BOX,
                   "chars": {**_SPAN, "description": "[start, end) of `text` it gave"},
                   "words": {**_SPAN, "description": "[start, end) of `words` it gave"},
                   "confidence": {"type": "number", "description": "mean word confidence"}}}

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
        "text_source": _TEXT_SOURCE,
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
                 "ocr_confidence", "width", "height", "unit", "words", "ocr_regions", "url",
                 "image", *_FOIA_REQUIRED, "duplicates"],
    "properties": {
        "doc_id": {"type": "string"},
        "page": {"type": "integer", "minimum": 1},
        "pages": {"type": "integer", "minimum": 1},
        "title": {"type": "string"},
        "production": {"type": "string"},
        "text": {"type": "string"},
        "text_source": _TEXT_SOURCE,
        "ocr_confidence": {"type": ["number", "null"], "description": "mean word confidence"},
        "width": {"type": "number", "description": "page width in `unit`"},
        "height": {"type": "number", "description": "page height in `unit`"},
        "unit": {"type": "string", "const": "pt",
                 "description": "PDF points (1/72 inch) of the page as displayed, origin top "
                                "left; pixels of an image W pixels wide = points * W / width"},
        "words": {"type": "array", "items": _WORD, "description": "the words on the page"},
        "ocr_regions": {"type": "array", "items": _OCR_REGION,
                        "description": "on a text+ocr page, the pictures read by OCR; the "
                                       "other words are the text layer's"},
        "matches": {"type": "array", "description": "with q: [x0, y0, x1, y1] of the words "
                    "the query matched (a phrase's words on one line share a box; a phrase "
                    "running over a page break has its part on each page)",
                    "items": _BOX},
        "url": {"type": "string"},
        "image": {"type": "string"},
        **_FOIA,
        "redactions": _PAGE_REDACTIONS,
        "duplicates": {"type": "array", "items": _DUPLICATE, "description": "the same record "
                       "elsewhere, earliest release first"},
    },
}

_SIDE = {
    "type": "object",
    "required": ["doc_id", "page", "pages", "title", "production", "released", "width",
                 "height", "unit", "redactions", "url", "image"],
    "properties": {
        "doc_id": {"type": "string"},
        "page": {"type": "integer", "minimum": 1},
        "pages": {"type": "integer", "minimum": 1},
        "title": {"type": "string"},
        "production": {"type": ["string", "null"], "description": "its earliest release's name"},
        "released": {"type": ["string", "null"], "description": "YYYY-MM-DD"},
        "width": {"type": "number"},
        "height": {"type": "number"},
        "unit": {"type": "string", "const": "pt"},
        "redactions": _PAGE_REDACTIONS,
        "url": {"type": "string"},
        "image": {"type": "string"},
    },
}
_COMPARE = {
    "type": "object",
    "required": ["only_here", "only_there", "exemptions_here", "exemptions_there", "copies",
                 "here", "there"],
    "properties": {
        "only_here": {"type": "array", "items": _WORD, "description": "the words of this page "
                      "the other does not show (withheld there, or read differently), with "
                      "their boxes on this page"},
        "only_there": {"type": "array", "items": _WORD,
                       "description": "the words of the other page this one does not show"},
        "exemptions_here": _FOIA["exemptions"],
        "exemptions_there": _FOIA["exemptions"],
        "copies": {"type": "boolean", "description": "whether the pages are recorded as "
                   "near-duplicates (the same record)"},
        "here": _SIDE,
        "there": _SIDE,
    },
}

_COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
_RESULTS = {
    "type": "object",
    "required": ["query", "total", "total_is_estimate", "hits", "facets", "next"],
    "properties": {
        "query": {"type": "string", "description": "the query as run, filters included"},
        "total": {"type": "integer", "minimum": 0, "description": "matching pages; exact "
                  "up to ARCHIVE_COUNT_EXACT_UP_TO (10,000), estimated beyond"},
        "total_is_estimate": {"type": "boolean", "description": "true when total and the "
                              "facets are estimated from a random sample (say \"about\")"},
        "hits": {"type": "array", "items": _HIT},
        "facets": {"type": "object", "description": "the matching pages counted by "
                   "production (slug), exemption (label), redacted (yes/no), agency (the "
                   "releasing agency's name), year (of the record's own date) and kind",
                   "required": ["production", "exemption", "redacted", "agency", "year",
                                "kind"],
                   "properties": {"production": _COUNTS, "exemption": _COUNTS,
                                  "redacted": {**_COUNTS, "propertyNames": {
                                      "enum": ["yes", "no"]}},
                                  "agency": _COUNTS,
                                  "year": {**_COUNTS, "propertyNames": {
                                      "pattern": "^[0-9]{4}$"}},
                                  "kind": {**_COUNTS, "propertyNames": {"enum": list(KINDS)},
                                           "description": _KIND_HELP}}},
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
_TEXT_OR_NULL = {"type": ["string", "null"]}
EXPORT_ROW = {
    "type": "object",
    "description": "one matching page (a line of format=jsonl; a row of /search.csv)",
    "required": ["doc_id", "page", "title", "production", "agency", "released", "record_date",
                 "bates", "exemptions", "redacted", "text_source", "score", "url", "citation",
                 "excerpt"],
    "properties": {
        "doc_id": {"type": "string"}, "page": {"type": "integer", "minimum": 1},
        "title": {"type": "string"},
        "production": {"type": "string", "description": "production names, '; '-separated"},
        "agency": {**_TEXT_OR_NULL, "description": "of the earliest release"},
        "released": {**_TEXT_OR_NULL, "description": "YYYY-MM-DD, the earliest release"},
        "record_date": {**_TEXT_OR_NULL, "description": "YYYY-MM-DD"},
        "bates": _TEXT_OR_NULL,
        "exemptions": {"type": "array", "items": {"type": "string"}},
        "redacted": {"type": "string", "enum": ["yes", "no"]},
        "text_source": _TEXT_SOURCE,
        "score": {"type": "number"},
        "url": {"type": "string", "description": "the page's permalink (absolute)"},
        "citation": {"type": "string", "description": "the page's citation line"},
        "excerpt": {"type": "string", "description": "plain text, no markup"},
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
                 "description": "Search over released records, page by page, for anyone; "
                                "uploads, edits and withdrawals for editors with a token."},
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
                    _param("agency", "query", {"type": "string"},
                           "only pages released by this agency (its name, as the agency "
                           "facet gives it)"),
                    _param("year", "query", {"type": "string", "pattern": "^[0-9]{4}$"},
                           "only pages whose record is dated in this year"),
                    _param("kind", "query", {"type": "string", "enum": list(KINDS)},
                           "only pages of this kind: " + _KIND_HELP),
                    _param("collapse", "query", {"type": "integer", "enum": [0, 1],
                                                 "default": 0},
                           "1: near-duplicate pages (the same record in several releases) "
                           "once, as their earliest release"),
                    tolerant,
                    _param("format", "query", {"type": "string", "enum": ["json", "jsonl"],
                                               "default": "json"},
                           "jsonl: every matching page (up to ARCHIVE_EXPORT_MAX_ROWS, "
                           "header X-Archive-Total: how many match), one ExportRow a line, "
                           "streamed; page and collapse do not apply"),
                ],
                "responses": {
                    "200": {"description": "hits; with format=jsonl, export rows",
                            "content": {"application/json": {"schema": _RESULTS},
                                        "application/x-ndjson": {"schema": {
                                            "$ref": "#/components/schemas/ExportRow"}}}},
                    "400": _json(_ERROR, "the query cannot be parsed or is over a limit"),
                    "503": _json(_ERROR, "the search ran past its time limit "
                                 "(ARCHIVE_SEARCH_DEADLINE), or the index needs `archive "
                                 "reindex`; narrow it or try again"),
                    "default": _OTHER_ERROR,
                },
            }},
            "/api/doc/{doc_id}/page/{page}/compare/{other_doc_id}/{other_page}": {"get": {
                "summary": "Two releases of a page compared: the words only each shows",
                "parameters": [*_page_params("doc_id", "page", "this page"),
                               *_page_params("other_doc_id", "other_page",
                                             "the other release's page")],
                "responses": {
                    "200": _json(_COMPARE, "the comparison"),
                    "404": _json(_ERROR, "no such document or page"),
                    "default": _OTHER_ERROR,
                },
            }},
            "/api/doc/{doc_id}/page/{page}": {"get": {
                "summary": "One page: text, word boxes, and with q the matched words' boxes",
                "parameters": [*_page_params("doc_id", "page", "the page"), q,
                               {**tolerant, "description": "1: box the words a tolerant "
                                "search (see /api/search) matched"}],
                "responses": {
                    "200": _json(_PAGE, "the page"),
                    "400": _json(_ERROR, "the query cannot be parsed"),
                    "404": _json(_ERROR, "no such document or page"),
                    "410": _json(_WITHDRAWN, "withdrawn from public view"),
                    "default": _OTHER_ERROR,
                },
            }},
            **_editor_paths(),
        },
        "components": {
            "schemas": {"Error": {
                "type": "object", "required": ["error", "status", "message"],
                "properties": {"error": {"type": "string"}, "status": {"type": "integer"},
                               "message": {"type": "string",
                                           "description": "what went wrong, in plain words"}}},
                        "Job": _JOB, "ExportRow": EXPORT_ROW},
            "securitySchemes": {"token": {
                "type": "http", "scheme": "bearer",
                "description": "an editor's API token (`archive users token NAME`); a "
                               "signed-in browser session with its CSRF token works too"}},
        },
    }


# --- the editors' side: every route needs a token (401 without, 403 for a lower role) ----

_WITHDRAWN = {"type": "object", "required": ["error", "status", "message", "withdrawn_on",
                                             "reason"],
              "properties": {"error": {"type": "string"}, "status": {"const": 410},
                             "message": {"type": "string"},
                             "withdrawn_on": {"type": "string", "description": "YYYY-MM-DD"},
                             "reason": {"type": "string"}}}
_REPORT = {"type": "object", "description": "the report `archive add --json` prints",
           "required": ["added", "unchanged", "failed", "warnings", "pages", "ocr_pages",
                        "failed_pages"],
           "properties": {
               "added": {"type": "array", "items": {"type": "string"}},
               "unchanged": {"type": "array", "items": {"type": "string"}},
               "failed": {"type": "array", "items": {
                   "type": "object", "required": ["file", "error"],
                   "properties": {"file": {"type": "string"}, "error": {"type": "string"}}}},
               "warnings": {"type": "array", "items": {"type": "string"}},
               "pages": {"type": "integer"}, "ocr_pages": {"type": "integer"},
               "failed_pages": {"type": "integer"}}}
_JOB = {"type": "object",
        "required": ["id", "status", "production", "user", "files_total", "files_done",
                     "pages_total", "pages_done", "report", "error", "created", "finished"],
        "properties": {
            "id": {"type": "string"},
            "status": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
            "production": {"type": "string"}, "user": {"type": "string"},
            "files_total": {"type": "integer"}, "files_done": {"type": "integer"},
            "pages_total": {"type": "integer", "description": "grows as files are opened"},
            "pages_done": {"type": "integer"},
            "report": {"oneOf": [_REPORT, {"type": "null"}],
                       "description": "once done: as `archive add --json`"},
            "error": {"type": ["string", "null"]},
            "created": {"type": "string"}, "finished": {"type": ["string", "null"]}}}
_META_PROPERTIES = {k: {"type": "string"} for k in _META_FIELDS if k != "name"}
_WITHDRAWAL = {"type": "object", "required": ["doc_id", "page", "reason", "by", "withdrawn_on"],
               "properties": {"doc_id": {"type": "string"},
                              "page": {"type": ["integer", "null"],
                                       "description": "null: the whole document"},
                              "reason": {"type": "string"}, "by": {"type": "string"},
                              "withdrawn_on": {"type": "string"}}}
_DENIED = {"401": _json(_ERROR, "no valid token or session: nothing was changed"),
           "403": _json(_ERROR, "the user's role does not allow it")}
_DOC_ID = _param("doc_id", "path", {"type": "string", "pattern": "^[0-9a-f]{16}$"},
                 "document id", required=True)
_PAGE_BODY = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "properties": {
        "page": {"type": ["integer", "null"], "minimum": 1,
                 "description": "a page; absent or null: the whole document"},
        "reason": {"type": "string", "description": "why (required to withdraw)"}}}}}}


def _editor_paths() -> dict[str, Any]:
    secured: dict[str, Any] = {"security": [{"token": []}]}
    return {
        "/api/productions": {"post": {
            **secured,
            "summary": "Upload a production; it is added in the background (as `archive add`)",
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["production", "files"],
                "properties": {
                    "production": {"type": "string", "description": "its name (new, or one "
                                   "to add to)"},
                    "files": {"type": "array", "items": {"type": "string", "format": "binary"},
                              "description": "PDFs, images, emails, or zips of them"},
                    **_META_PROPERTIES}}}}},
            "responses": {
                "202": {**_json({"type": "object", "required": ["id", "status", "url"],
                                 "properties": {"id": {"type": "string"},
                                                "status": {"const": "queued"},
                                                "url": {"type": "string",
                                                        "description": "/api/jobs/<id>"}}},
                                "the job that adds it; also in Location"),
                        "headers": {"Location": {"schema": {"type": "string"}}}},
                "400": _json(_ERROR, "no name, no file, or metadata in the wrong form"),
                **_DENIED, "default": _OTHER_ERROR}}},
        "/api/jobs/{job_id}": {"get": {
            **secured,
            "summary": "An upload's status, files and pages done, and at the end its report",
            "parameters": [_param("job_id", "path", {"type": "string"}, "job id",
                                  required=True)],
            "responses": {"200": _json({"$ref": "#/components/schemas/Job"}, "the job"),
                          "404": _json(_ERROR, "no such job"), **_DENIED,
                          "default": _OTHER_ERROR}}},
        "/api/productions/{slug}": {"patch": {
            **secured,
            "summary": "Change a production's release metadata (as `archive production edit`)",
            "parameters": [_param("slug", "path", {"type": "string"}, "production slug",
                                  required=True)],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "properties": _META_PROPERTIES}}}},
            "responses": {"200": _json({"type": "object", "properties": {
                k: {"type": ["string", "integer", "null"]}
                for k in ("slug", *_META_FIELDS, "notes")}}, "the new metadata, as "
                "`archive production list --json`"),
                "400": _json(_ERROR, "nothing to change, or a value in the wrong form"),
                "404": _json(_ERROR, "no such production"),
                "409": _json(_ERROR, "an add is running; try again when it has finished"),
                **_DENIED, "default": _OTHER_ERROR}}},
        "/api/doc/{doc_id}/withdraw": {"post": {
            **secured,
            "summary": "Withdraw a document or a page from public view, with a reason",
            "parameters": [_DOC_ID], "requestBody": _PAGE_BODY,
            "responses": {"200": _json(_WITHDRAWAL, "withdrawn: gone from search, pages, "
                                       "images, originals and this API for the public"),
                          "400": _json(_ERROR, "no reason"),
                          "404": _json(_ERROR, "no such document or page"),
                          **_DENIED, "default": _OTHER_ERROR}}},
        "/api/doc/{doc_id}/restore": {"post": {
            **secured,
            "summary": "Put a withdrawn document or page back in public view",
            "parameters": [_DOC_ID], "requestBody": _PAGE_BODY,
            "responses": {"200": _json({"type": "object", "required": ["doc_id", "restored"],
                                        "properties": {"doc_id": {"type": "string"},
                                                       "page": {"type": ["integer", "null"]},
                                                       "restored": {"const": True}}},
                                       "restored"),
                          "404": _json(_ERROR, "not withdrawn, or no such document"),
                          **_DENIED, "default": _OTHER_ERROR}}},
    }
