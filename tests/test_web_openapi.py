"""/openapi.json describes what the API really answers: real responses checked by a validator.

The archive is real (born-digital PDFs added into SQLite and Whoosh on disk, no OCR), with
what makes every field of a hit or a page non-trivial: a printed email labelled (b)(6) and
(b)(7)(C) under a redaction box and a Bates stamp, released twice (so it has a duplicate),
in productions with release metadata, and 25 more pages so that a search has a next page.
Each response is validated with jsonschema (JSON Schema 2020-12, the dialect of OpenAPI 3.1)
against the schema the spec gives for that path and status; undescribed fields fail too.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pymupdf
import pytest
from jsonschema import Draft202012Validator

from archive.config import load_settings
from archive.ingest.pipeline import add_production

EMAIL = ("From: (b)(6); (b)(7)(C)\nSent: Tuesday, March 21, 2017 10:47 AM\n"
         "To: ERO Duty Officer\nSubject: Detainer outcome\n\n"
         "Hennepin County Adult Detention Center released the subject out the front door of "
         "the jail while an officer was waiting in their sally port to take him into custody. "
         "The detainer was declined by the county, which does not honor civil detainers "
         "without a judicial warrant. The field office was notified after the release, and "
         "the duty officer recorded the outcome in the weekly declined detainer report sent "
         "to headquarters on Friday. No further action was requested by the field office.")


def _email_pdf(path: Path, stamp: str) -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_textbox(pymupdf.Rect(72, 72, 540, 700), EMAIL + "\n\n" + EMAIL.split("\n\n")[1],
                        fontsize=10)  # text enough to be compared with its copy
    page.draw_rect(pymupdf.Rect(300, 90, 420, 102), color=(0, 0, 0), fill=(0, 0, 0))
    page.insert_text((420, 770), stamp, fontsize=9)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(path)
    doc.close()


def _log_pdf(path: Path, pages: int) -> None:
    doc = pymupdf.open()
    for n in range(1, pages + 1):
        doc.new_page(width=612, height=792).insert_text(
            (72, 100), f"Detainer log, entry {n}: no transfer to the sally port today.")
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(path)
    doc.close()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from web import create_app

    root = tmp_path_factory.mktemp("openapi")
    settings = load_settings(root / "home", jobs=1, ocr_mode="never", ocr_lang="eng")
    _email_pdf(root / "first" / "email.pdf", "DHS-000101")
    _log_pdf(root / "first" / "log.pdf", 25)
    _email_pdf(root / "second" / "email.pdf", "ICE-2-000001")
    for folder, name, meta in (
        ("first", "ICE release 1", {"agency": "ICE", "request_number": "2019-ICLI-00003",
                                    "released": "2020-03-05", "interim": "1",
                                    "source_url": "https://example.org/foia/1"}),
        ("second", "ICE release 2", {"agency": "ICE", "released": "2021-06-01"}),
    ):
        report = add_production([root / folder], settings, production=name, meta=meta)
        assert not report.failed, report.failed
    return create_app({"ARCHIVE_HOME": str(settings.home), "TESTING": True}).test_client()


@pytest.fixture(scope="module")
def spec(client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    document: dict[str, Any] = client.get("/openapi.json").json
    return document


def _closed(schema: Any) -> Any:
    """The schema with every described object closed: a field it does not list is an error."""
    if isinstance(schema, list):
        return [_closed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    closed = {key: _closed(value) for key, value in schema.items()}
    if "properties" in schema and "additionalProperties" not in schema:
        closed["additionalProperties"] = False
    return closed


def check(spec: dict[str, Any], path: str, response: Any) -> dict[str, Any]:
    """Validate a real response against the spec's schema for `path` and its status."""
    described = spec["paths"][path]["get"]["responses"]
    status = str(response.status_code)
    assert status in described, f"{path} answered {status}, which the spec does not list"
    assert response.mimetype == "application/json"
    assert described[status]["content"]["application/json"]["schema"]
    # The spec itself is the root document, so "#/components/..." references resolve.
    root = {**_closed(copy.deepcopy(spec)), "$ref": f"#/paths/{_pointer(path)}/get/responses/"
            f"{status}/content/application~1json/schema"}
    Draft202012Validator.check_schema(root)
    errors = sorted(Draft202012Validator(root).iter_errors(response.json), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    data: dict[str, Any] = response.json
    return data


def _pointer(path: str) -> str:
    return path.replace("~", "~0").replace("/", "~1")


def test_the_spec_is_openapi_3_1_with_its_paths(spec: dict[str, Any]) -> None:
    assert spec["openapi"] == "3.1.0"
    assert {"/api/search", "/api/doc/{doc_id}/page/{page}"} <= set(spec["paths"])
    assert spec["servers"] == [{"url": "http://localhost"}]


def test_search_with_hits_facets_and_a_next_page(client, spec) -> None:  # type: ignore[no-untyped-def]
    data = check(spec, "/api/search", client.get("/api/search?q=detainer"))
    assert data["total"] == 27 and len(data["hits"]) == 20 and data["next"]
    assert data["facets"]["production"] == {"ice-release-1": 26, "ice-release-2": 1}
    last = check(spec, "/api/search", client.get(data["next"]))
    assert len(last["hits"]) == 7 and last["next"] is None
    email = next(h for h in data["hits"] + last["hits"] if h["bates"] == "DHS-000101")
    assert email["exemptions"] == ["(b)(6)", "(b)(7)(C)"] and email["redactions"]["count"] == 1
    assert email["email"]["subject"] == "Detainer outcome"
    assert email["record_date"] == "2017-03-21"


def test_search_with_every_filter(client, spec) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/search?q=%22sally+port%22&production=ice-release-1"
                          "&exemption=b6&redacted=yes&agency=ICE&year=2017"
                          "&kind=printed-email&collapse=1")
    data = check(spec, "/api/search", response)
    assert [h["bates"] for h in data["hits"]] == ["DHS-000101"]
    assert data["hits"][0]["production_meta"]["interim"] is not None
    assert (data["facets"]["agency"], data["facets"]["year"], data["facets"]["kind"]) == (
        {"ICE": 1}, {"2017": 1}, {"printed-email": 1})


def test_a_page_with_matches_and_duplicates(client, spec) -> None:  # type: ignore[no-untyped-def]
    hit = client.get("/api/search?q=bates:DHS-000101").json["hits"][0]
    data = check(spec, "/api/doc/{doc_id}/page/{page}",
                 client.get(f"/api/doc/{hit['doc_id']}/page/1?q=%22sally+port%22"))
    assert data["matches"] and data["words"] and data["redactions"]["boxes"]
    assert [d["production"] for d in data["duplicates"]] == ["ICE release 2"]
    plain = check(spec, "/api/doc/{doc_id}/page/{page}",
                  client.get(f"/api/doc/{hit['doc_id']}/page/1"))
    assert "matches" not in plain


def test_two_releases_of_a_page_compared(client, spec) -> None:  # type: ignore[no-untyped-def]
    hit = client.get("/api/search?q=bates:DHS-000101").json["hits"][0]
    other = client.get(f"/api/doc/{hit['doc_id']}/page/1").json["duplicates"][0]
    path = "/api/doc/{doc_id}/page/{page}/compare/{other_doc_id}/{other_page}"
    data = check(spec, path, client.get(
        f"/api/doc/{hit['doc_id']}/page/1/compare/{other['doc_id']}/{other['page']}"))
    assert data["copies"] is True
    assert [w[4] for w in data["only_here"]] == ["DHS-000101"]  # the stamps differ
    assert [w[4] for w in data["only_there"]] == ["ICE-2-000001"]
    assert data["exemptions_here"] == data["exemptions_there"] == ["(b)(6)", "(b)(7)(C)"]
    assert data["here"]["redactions"]["boxes"] and data["there"]["production"] == "ICE release 2"
    missing = client.get(f"/api/doc/{hit['doc_id']}/page/1/compare/{other['doc_id']}/9")
    assert missing.status_code == 404
    check(spec, path, missing)


@pytest.mark.parametrize(("url", "status"), [
    ("/api/search?q=%22sally+port", 400),  # unbalanced quote
    ("/api/doc/0123456789abcdef/page/1", 404),
])
def test_search_and_unknown_document_errors(client, spec, url: str, status: int) -> None:  # type: ignore[no-untyped-def]
    path = "/api/search" if url.startswith("/api/search") else "/api/doc/{doc_id}/page/{page}"
    response = client.get(url)
    assert response.status_code == status
    data = check(spec, path, response)
    assert data["status"] == status and data["message"]


def test_the_described_query_length_limit_is_the_real_one(client, spec) -> None:  # type: ignore[no-untyped-def]
    (q,) = [p for p in spec["paths"]["/api/search"]["get"]["parameters"] if p["name"] == "q"]
    longest = q["schema"]["maxLength"]
    assert longest == 1000  # ARCHIVE_QUERY_MAX_CHARS's default
    check(spec, "/api/search", client.get("/api/search?q=" + "a" * longest))
    over = client.get("/api/search?q=" + "a" * (longest + 1))
    assert over.status_code == 400
    assert f"{longest}" in check(spec, "/api/search", over)["message"]


def test_page_errors(client, spec) -> None:  # type: ignore[no-untyped-def]
    hit = client.get("/api/search?q=bates:DHS-000101").json["hits"][0]
    past_the_end = client.get(f"/api/doc/{hit['doc_id']}/page/2")
    assert past_the_end.status_code == 404
    check(spec, "/api/doc/{doc_id}/page/{page}", past_the_end)
    bad_query = client.get(f"/api/doc/{hit['doc_id']}/page/1?q=%22sally")
    assert bad_query.status_code == 400
    check(spec, "/api/doc/{doc_id}/page/{page}", bad_query)
