"""Every method of the catalog (`archive.store.Store`) on both backends: the embedded SQLite
file and a PostgreSQL server (server mode). Each test runs once per backend through the
`store` fixture (tests/conftest.py); the PostgreSQL runs are marked `server`."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from archive import records
from archive.config import Settings
from archive.models import PageResult
from archive.search.writer import document_fields, page_rows, sign_pages
from archive.store import Store, open_store

DOC, OTHER, THIRD = "0123456789abcdef", "fedcba9876543210", "0123aaaaaaaaaaaa"


def _document(store: Store, doc_id: str = DOC, path: str = "scans/r/memo.pdf",
              parent: str | None = None, title: str = "memo") -> None:
    store.start_document(doc_id, doc_id * 4, title, path, "pdf", 1234, parent_doc_id=parent)


def _page(doc_id: str, page_no: int, text: str = "", **extra: Any) -> PageResult:
    return PageResult(doc_id=doc_id, page_no=page_no, text=text or f"page {page_no} text",
                      words=[[72.0, 72.0, 100.0, 84.0, "page"]], text_source="text",
                      width=612.0, height=792.0, **extra)


# productions ---------------------------------------------------------------------------


def test_ensure_production_creates_once_and_updates_given_fields(store: Store) -> None:
    made = store.ensure_production("DHS ICE detainers, Oct 2017",
                                   {"agency": "ICE", "released": None, "bogus": "x"})
    assert made["slug"] == "dhs-ice-detainers-oct-2017" and made["agency"] == "ICE"
    assert made["released"] is None and isinstance(made["created"], float)
    again = store.ensure_production("DHS ICE detainers, Oct 2017", {"released": "2017-10-02"})
    assert again["id"] == made["id"] and again["agency"] == "ICE"
    assert again["released"] == "2017-10-02"
    assert set(again.keys()) == {"id", "slug", "name", "agency", "request_number", "released",
                                 "interim", "source_url", "notes", "created"}


def test_production_by_name_or_slug_and_free_slugs(store: Store) -> None:
    first = store.ensure_production("NTSB release")
    second = store.ensure_production("NTSB  Release!")  # the same slug: the next one free
    assert (first["slug"], second["slug"]) == ("ntsb-release", "ntsb-release-2")
    assert store.production("ntsb-release-2")["name"] == "NTSB  Release!"  # type: ignore[index]
    assert store.production("NTSB release")["id"] == first["id"]  # type: ignore[index]
    assert store.production("nothing") is None


def test_productions_count_indexed_documents_and_pages_oldest_first(store: Store) -> None:
    old, new = store.ensure_production("Old"), store.ensure_production("New")
    _document(store, DOC)
    _document(store, OTHER, path="scans/r/other.pdf")
    store.set_probe(DOC, 3, [], {})
    store.set_probe(OTHER, 5, [], {})
    store.set_state(DOC, "indexed")  # OTHER is not indexed yet: its pages do not count
    for doc_id in (DOC, OTHER):
        assert store.link(doc_id, old["id"], "memo.pdf")
    found = [dict(row) for row in store.productions()]
    assert [(p["name"], p["documents"], p["pages"]) for p in found] == [
        ("Old", 2, 3), ("New", 0, 0)]
    assert found[1]["id"] == new["id"]


# documents -----------------------------------------------------------------------------


def test_start_document_keeps_a_known_document(store: Store) -> None:
    _document(store, title="first title")
    _document(store, title="second title")
    doc = store.document(DOC)
    assert doc is not None and store.document(OTHER) is None
    assert (doc["title"], doc["state"], doc["size"], doc["page_count"]) == (
        "first title", "reading", 1234, None)
    assert (doc["warnings"], doc["meta"], doc["parent_doc_id"]) == ("[]", "{}", None)
    assert set(doc.keys()) == {"doc_id", "sha256", "title", "path", "kind", "size",
                               "page_count", "state", "error", "warnings", "meta",
                               "parent_doc_id", "added"}


def test_doc_ids_starting_in_order_up_to_the_limit(store: Store) -> None:
    for doc_id in (THIRD, DOC, OTHER):
        _document(store, doc_id)
    assert store.doc_ids_starting("0123") == [DOC, THIRD]
    assert store.doc_ids_starting("0123", limit=1) == [DOC]
    assert store.doc_ids_starting("9999") == []


def test_link_is_new_once(store: Store) -> None:
    prod = store.ensure_production("R")
    _document(store)
    assert store.link(DOC, prod["id"], "memo.pdf") is True
    assert store.link(DOC, prod["id"], "copy of memo.pdf") is False
    (linked,) = store.document_productions(DOC)
    assert (linked["name"], linked["original_name"]) == ("R", "memo.pdf")


def test_probe_state_and_meta(store: Store) -> None:
    _document(store)
    store.set_probe(DOC, 2, ["page 2 is blank"], {"author": "ICE", "when": time.gmtime(0)})
    store.set_state(DOC, "failed", "damaged: truncated file")
    store.update_document_meta(DOC, {"fields": {"CUSTODIAN": "Doe"}})
    store.update_document_meta(DOC, {"author": "DHS"})
    store.update_document_meta(OTHER, {"ignored": True})  # unknown: nothing happens
    doc = store.document(DOC)
    assert doc is not None and doc["page_count"] == 2
    assert (doc["state"], doc["error"]) == ("failed", "damaged: truncated file")
    assert json.loads(doc["warnings"]) == ["page 2 is blank"]
    meta = json.loads(doc["meta"])
    assert meta["author"] == "DHS" and meta["fields"] == {"CUSTODIAN": "Doe"}
    assert isinstance(meta["when"], str | list)  # not JSON itself: written as text
    store.set_state(DOC, "indexed")
    assert store.document(DOC)["error"] is None  # type: ignore[index]


def test_documents_by_state_in_order_added(store: Store) -> None:
    for doc_id in (OTHER, DOC, THIRD):
        _document(store, doc_id)
    store.set_state(DOC, "indexed")
    assert [d["doc_id"] for d in store.documents()] == [OTHER, DOC, THIRD]
    assert [d["doc_id"] for d in store.documents("indexed")] == [DOC]
    assert store.documents("failed") == []


def test_children_and_production_documents_in_path_order(store: Store) -> None:
    prod = store.ensure_production("Mail")
    _document(store, DOC, path="scans/mail/mail.eml")
    _document(store, OTHER, path="scans/mail/mail.attachments/b.pdf", parent=DOC)
    _document(store, THIRD, path="scans/mail/mail.attachments/B.pdf", parent=DOC)
    for doc_id in (DOC, OTHER, THIRD):
        store.link(doc_id, prod["id"], doc_id)
    # byte order, as SQLite sorts: upper case first
    assert [d["doc_id"] for d in store.children(DOC)] == [THIRD, OTHER]
    assert store.children(OTHER) == []
    assert [d["path"] for d in store.production_documents(prod["id"])] == [
        "scans/mail/mail.attachments/B.pdf", "scans/mail/mail.attachments/b.pdf",
        "scans/mail/mail.eml"]


def test_document_productions_earliest_link_first(store: Store) -> None:
    second, first = store.ensure_production("Second"), store.ensure_production("First")
    _document(store)
    store.link(DOC, second["id"], "a.pdf")
    store.link(DOC, first["id"], "b.pdf")
    assert [(p["name"], p["original_name"]) for p in store.document_productions(DOC)] == [
        ("Second", "a.pdf"), ("First", "b.pdf")]


# pages ---------------------------------------------------------------------------------


def test_pages_saved_replaced_and_read_in_order(store: Store) -> None:
    _document(store)
    store.save_page(_page(DOC, 2, annotations={"bates": "DHS-000002"}))
    store.save_page(_page(DOC, 1, error="timed out"))
    store.save_page(_page(DOC, 3, ocr_confidence=91.5))
    assert store.stored_page_numbers(DOC) == {2, 3}
    assert store.failed_page_count(DOC) == 1
    store.save_page(_page(DOC, 1, "read again"))  # replaces the failed reading
    assert store.stored_page_numbers(DOC) == {1, 2, 3} and store.failed_page_count(DOC) == 0
    rows = list(store.pages(DOC))
    assert [(r["page_no"], r["text"]) for r in rows] == [
        (1, "read again"), (2, "page 2 text"), (3, "page 3 text")]
    page = store.page(DOC, 3)
    assert page is not None and store.page(DOC, 4) is None
    assert (page["ocr_confidence"], page["width"], page["error"]) == (91.5, 612.0, None)
    assert json.loads(page["words"]) == [[72.0, 72.0, 100.0, 84.0, "page"]]
    assert json.loads(store.page(DOC, 2)["annotations"]) == {  # type: ignore[index]
        "bates": "DHS-000002"}
    assert set(page.keys()) == {"doc_id", "page_no", "text", "words", "text_source",
                                "ocr_confidence", "width", "height", "error", "annotations"}


def test_set_annotations_replaces_them(store: Store) -> None:
    _document(store)
    store.save_page(_page(DOC, 1, annotations={"bates": "X-1"}))
    store.set_annotations(DOC, 1, {"exemptions": ["(b)(6)"]})
    assert json.loads(store.page(DOC, 1)["annotations"]) == {  # type: ignore[index]
        "exemptions": ["(b)(6)"]}


def test_released_text_with_a_nul_character_is_stored(store: Store) -> None:
    """PostgreSQL text cannot hold U+0000: it is kept as U+FFFD there, the rest intact."""
    _document(store)
    store.save_page(_page(DOC, 1, "sally\x00port <b>"))
    text = store.page(DOC, 1)["text"]  # type: ignore[index]
    assert text.replace("\ufffd", "\x00") == "sally\x00port <b>"


# near-duplicate pages ------------------------------------------------------------------


def test_signatures_bands_candidates_and_duplicates(store: Store) -> None:
    for doc_id in (DOC, OTHER, THIRD):
        _document(store, doc_id)
        store.save_page(_page(doc_id, 1))
    store.save_signature(OTHER, 1, 40, b"other-sig", [7, -2**63], [])
    store.save_signature(THIRD, 1, 30, b"third-sig", [7, 2**63 - 1], [])
    store.save_signature(DOC, 2, 0, None, [], [])  # too short to compare
    assert store.signed_pages(DOC) == set() and store.signed_pages(OTHER) == {1}
    assert store.duplicate_candidates([7], DOC) == [
        (OTHER, 1, 40, b"other-sig"), (THIRD, 1, 30, b"third-sig")]
    assert store.duplicate_candidates([-2**63, 2**63 - 1], DOC) == [
        (OTHER, 1, 40, b"other-sig"), (THIRD, 1, 30, b"third-sig")]
    assert store.duplicate_candidates([7], OTHER) == [(THIRD, 1, 30, b"third-sig")]
    assert store.duplicate_candidates([8], DOC) == []
    store.save_signature(DOC, 1, 50, b"doc-sig", [7], [(OTHER, 1, 0.9), (THIRD, 1, 0.8)],
                         {"dup_group": f"{OTHER}:00001"})
    assert store.duplicates_of(DOC, 1) == [(THIRD, 1), (OTHER, 1)]  # in key order
    assert store.duplicates_of(THIRD, 1) == [(DOC, 1)]  # stored both ways round
    assert json.loads(store.page(DOC, 1)["annotations"]) == {  # type: ignore[index]
        "dup_group": f"{OTHER}:00001"}
    store.save_signature(OTHER, 1, 41, b"other-again", [7], [])  # signed anew: last now
    assert [c[0] for c in store.duplicate_candidates([7], DOC)] == [THIRD, OTHER]


def test_save_signature_is_one_transaction(store: Store) -> None:
    _document(store)
    store.save_page(_page(DOC, 1))
    with pytest.raises(TypeError):  # the annotations cannot be written: nothing is
        store.save_signature(DOC, 1, 50, b"sig", [7], [(OTHER, 1, 0.9)], {"x": object()})
    assert store.signed_pages(DOC) == set() and store.duplicates_of(OTHER, 1) == []
    assert store.duplicate_candidates([7], OTHER) == []


def test_catalog_callers_find_duplicates_on_either_backend(store: Store) -> None:
    """The catalog's own callers (signing pages, a page's record) work on either backend."""
    text = ("Hennepin County released an alien out the front door of the jail as an officer "
            "was waiting in their sally port to take him into custody on March 20. ") * 4
    for name, doc_id in (("First", DOC), ("Second", OTHER)):
        prod = store.ensure_production(name, {"released": f"20{len(name):02d}-01-01"})
        _document(store, doc_id)
        store.link(doc_id, prod["id"], "memo.pdf")
        store.save_page(_page(doc_id, 1, text))
        store.set_state(doc_id, "extracted")
    assert sign_pages(store, DOC) == 0 and sign_pages(store, OTHER) == 1
    record = records.for_page(store, DOC, 1)
    assert record is not None
    assert record["duplicates"] == [{"doc_id": OTHER, "page": 1, "production": "Second",
                                     "released": "2006-01-01"}]
    assert document_fields(store, OTHER)["productions"][0]["name"] == "Second"
    assert page_rows(store, OTHER)[0]["annotations"]["dup_group"] == f"{DOC}:00001"


def test_stats_count_indexed_material(store: Store) -> None:
    store.ensure_production("R")
    _document(store, DOC)
    _document(store, OTHER)
    store.save_page(_page(DOC, 1))
    store.save_page(PageResult(doc_id=DOC, page_no=2, text="scanned", words=[],
                               text_source="ocr", width=612.0, height=792.0))
    store.save_page(PageResult(doc_id=DOC, page_no=3, text="a caption and a pasted scan",
                               words=[], text_source="text+ocr", width=612.0, height=792.0))
    store.save_page(_page(OTHER, 1))
    assert store.stats() == {"productions": 1, "documents": 0, "pages": 0, "ocr_pages": 0}
    store.set_state(DOC, "indexed")
    assert store.stats() == {"productions": 1, "documents": 1, "pages": 3, "ocr_pages": 2}


# when pages were added (feeds, alerts) ---------------------------------------------------


def test_stamps_grow_and_an_indexed_document_keeps_its_own(store: Store) -> None:
    for doc_id in (DOC, OTHER):
        _document(store, doc_id)
    assert store.added_watermark() == 0.0
    store.stamp_added([DOC])
    first = store.added_at(DOC)
    store.set_state(DOC, "indexed")
    store.stamp_added([DOC, OTHER])  # DOC is indexed: its stamp stays
    assert store.added_at(DOC) == first and store.added_at(OTHER) > first
    assert store.added_watermark() == first  # OTHER is not indexed yet
    store.set_state(OTHER, "indexed")
    assert store.added_watermark() == store.added_at(OTHER)
    assert store.added_at("0000000000000000") == 0.0


# saved searches --------------------------------------------------------------------------


def test_alerts_saved_listed_seen_and_removed(store: Store) -> None:
    assert store.add_alert("sally", '"sally port"', "desk@example.org", 5.0) is True
    assert store.add_alert("sally", "other", None, 6.0) is False  # left unchanged
    assert store.add_alert("Rikers", "rikers", None, 1.0) is True
    assert [a["name"] for a in store.alerts()] == ["Rikers", "sally"]
    store.set_alert_seen("sally", 9.5)
    saved = store.alert("sally")
    assert saved is not None and store.alert("none") is None
    assert (saved["query"], saved["email"], saved["seen"]) == ('"sally port"',
                                                               "desk@example.org", 9.5)
    assert store.remove_alert("sally") is True and store.remove_alert("sally") is False
    assert [a["name"] for a in store.alerts()] == ["Rikers"]


# the editors' side -------------------------------------------------------------------------


def test_users_tokens_and_sign_in_failures(store: Store) -> None:
    assert store.has_table("users") and not store.has_table("no_such_table")
    assert store.add_user("ana", "editor", "scrypt:hash") is True
    assert store.add_user("ana", "admin", "other") is False
    store.add_user("Bob", "admin", "scrypt:bob")
    assert [(u["name"], u["role"]) for u in store.users()] == [("Bob", "admin"),
                                                              ("ana", "editor")]
    assert store.user("ana")["password_hash"] == "scrypt:hash"  # type: ignore[index]
    assert store.user("nobody") is None
    store.add_token("tokenhash", "ana")
    assert store.token_user("tokenhash")["name"] == "ana"  # type: ignore[index]
    assert store.token_user("other") is None
    now = time.time()
    store.record_sign_in_failure("ana", "10.0.0.1", forget_before=now - 60)
    store.record_sign_in_failure("ana", "10.0.0.1", forget_before=now - 60)
    store.record_sign_in_failure("ana", "10.0.0.2", forget_before=now - 60)
    assert store.sign_in_failures("ana", "10.0.0.1", since=now - 60) == 2
    assert store.sign_in_failures("ana", "10.0.0.1", since=time.time() + 60) == 0
    store.clear_sign_in_failures("ana", "10.0.0.1")
    assert store.sign_in_failures("ana", "10.0.0.1", since=0) == 0
    assert store.sign_in_failures("ana", "10.0.0.2", since=0) == 1
    store.record_sign_in_failure("ana", "10.0.0.3", forget_before=time.time() + 1)
    assert store.sign_in_failures("ana", "10.0.0.2", since=0) == 0  # forgotten


def test_audit_log_newest_first_in_pages(store: Store) -> None:
    for n in range(5):
        store.audit("ana", "production.edit", f"r{n}", {"n": n, "when": time.gmtime(0)})
    latest = store.audit_log(limit=2)
    assert [r["target"] for r in latest] == ["r4", "r3"]
    assert json.loads(latest[0]["detail"])["n"] == 4
    assert [r["target"] for r in store.audit_log(limit=10, before=latest[1]["id"])] == [
        "r2", "r1", "r0"]


def test_withdrawals_withdrawn_replaced_and_restored(store: Store) -> None:
    store.withdraw(OTHER, 0, "privacy", "ana")
    store.withdraw(DOC, 3, "(b)(6) missed", "ana")
    store.withdraw(DOC, 1, "wrong file", "ana")
    store.withdraw(DOC, 3, "(b)(6) left unredacted", "bob")  # replaces the first
    assert [(w["doc_id"], w["page_no"]) for w in store.withdrawals()] == [
        (DOC, 1), (DOC, 3), (OTHER, 0)]
    mine = store.withdrawals(DOC)
    assert [(w["page_no"], w["reason"], w["user_name"]) for w in mine] == [
        (1, "wrong file", "ana"), (3, "(b)(6) left unredacted", "bob")]
    assert store.restore(DOC, 1) is True and store.restore(DOC, 1) is False
    assert [w["page_no"] for w in store.withdrawals(DOC)] == [3]


def test_jobs_recorded_updated_and_listed(store: Store) -> None:
    store.add_job("job-1", "ana", "NTSB release", {"staged": "cache/staging/1"})
    time.sleep(0.01)  # created stamps apart, to order them
    store.add_job("job-2", "ana", "DHS", {})
    store.update_job("job-1", status="running", files_total=3, pid=4242, bogus="x")
    store.update_job("job-1")  # nothing to change
    job = store.job("job-1")
    assert job is not None and store.job("job-3") is None
    assert (job["status"], job["files_total"], job["files_done"], job["pid"]) == (
        "running", 3, 0, 4242)
    assert json.loads(job["request"]) == {"staged": "cache/staging/1"}
    assert [j["id"] for j in store.recent_jobs()] == ["job-2", "job-1"]
    assert [j["id"] for j in store.recent_jobs(limit=1)] == ["job-2"]


def test_data_version_changes_when_another_connection_writes(store_settings: Settings
                                                             ) -> None:
    with open_store(store_settings) as writer, \
            open_store(store_settings, readonly=True) as reader:
        before = reader.data_version()
        assert reader.data_version() == before  # reading changes nothing
        writer.audit("ana", "user.add", "bob")
        assert reader.data_version() != before
