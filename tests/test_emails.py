"""Native email: .eml, .msg and mbox files become documents, their attachments children."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pymupdf
import pytest
from conftest import CORPUS, RESOURCES, needs_corpus

from archive import extract, storage
from archive.catalog import Catalog
from archive.config import Settings
from archive.emails import charsets, mbox
from archive.emails.htmltext import html_to_text
from archive.emails.ingest import read_message
from archive.emails.names import safe_name
from archive.emails.parse import parse_bytes
from archive.pipeline import add_production
from archive.reindex import page_rows, reindex
from archive.search import open_searcher, search

EMAILS = RESOURCES / "emails"


def _hits(settings: Settings, q: str) -> list[tuple[str, int]]:
    with open_searcher(settings) as s:
        return sorted((h.title, h.page) for h in search(s, q, settings, pagelen=100).hits)


def _pdf_bytes(*lines: str) -> bytes:
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_textbox(pymupdf.Rect(72, 72, 540, 720), "\n".join(lines), fontsize=12)
    data = doc.tobytes()
    doc.close()
    return data


# --- decoding ------------------------------------------------------------------------------

_HEBREW = base64.b64encode("שלום".encode("iso8859_8")).decode()


@pytest.mark.parametrize(("raw", "expected"), [
    ("=?windows-1250?Q?odpowied=9F:_mi=EAsiem?=", "odpowiedź: mięsiem"),
    (f"=?iso-8859-8-i?B?{_HEBREW}?= Invoice", "שלום Invoice"),
    ("=?ks_c_5601-1987?B?u+fB+A==?=.JPG", "사진.JPG"),
    ("=?utf-8?q?J=C3=B6rg?=\r\n =?utf-8?q?_M=C3=BCller?= <j@x.de>", "Jörg Müller <j@x.de>"),
    ("Re: caf\udcc3\udca9", "Re: café"),  # raw UTF-8 bytes in a header, as the parser keeps them
    ("=?x-unknown?Q?caf=E9?=", "café"),
    ("=?iso-2022-jp?B?GyRCJygnJS1iGyhCNDEgGyRCJ2AnZBsoQiAyOC4wOS4yMDE2?=",
     "ЖД№41 от 28.09.2016"),  # NEC row 13 (№): Outlook's code page 50220
    ("=?utf-8?B?broken base64!?=", "=?utf-8?B?broken base64!?="),
])
def test_headers_are_decoded_whatever_their_charset(raw: str, expected: str) -> None:
    assert charsets.decode_header(raw) == expected


@pytest.mark.parametrize(("data", "declared", "fallback", "expected"), [
    ("日本語の本文".encode("cp932"), "shift_jis", None, "日本語の本文"),  # CP932 beyond Shift_JIS
    ("①②".encode("cp932"), "x-sjis", None, "①②"),
    ("Привет".encode("cp1251"), "unknown-8bit", "windows-1251", "Привет"),
    ("Grüße".encode(), "us-ascii", None, "Grüße"),  # mislabelled UTF-8
    ("Grüße".encode("cp1252"), "utf-8", None, "Grüße"),  # mislabelled windows-1252
    ("中文".encode("gbk"), "gb2312", None, "中文"),
    ("テスト".encode("iso2022_jp"), None, None, "テスト"),  # ISO-2022-JP whatever the label
])
def test_bodies_are_decoded_with_fallbacks(data: bytes, declared: str | None,
                                           fallback: str | None, expected: str) -> None:
    assert charsets.decode_bytes(data, declared, fallback) == expected


@pytest.mark.parametrize(("name", "content_type", "expected"), [
    ("../../etc/passwd", "", "passwd"),
    ("1234/../../1234.txt", "", "1234.txt"),
    ("/absolute/path/report.pdf", "", "report.pdf"),
    ("C:\\Users\\x\\Desktop\\memo.docx", "", "memo.docx"),
    ("a\x00b\x1f\x7fc.pdf", "", "abc.pdf"),
    ("invoice\u202egpj.exe", "", "invoicegpj.exe"),  # right-to-left override dropped
    ("  ..hidden.pdf", "", "hidden.pdf"),
    ("..", "application/pdf", "attachment-3.pdf"),
    ("", "image/png", "attachment-3.png"),
    (None, "message/rfc822", "attachment-3.eml"),
    ("CON.txt", "", "_CON.txt"),
    ('what?<is>:"this"|*.pdf', "", "what__is___this___.pdf"),
])
def test_attachment_names_are_made_safe(name: str | None, content_type: str,
                                        expected: str) -> None:
    assert safe_name(name, content_type, 3) == expected


def test_long_attachment_names_are_shortened_keeping_the_extension() -> None:
    name = safe_name("Ü" * 300 + ".pdf")
    assert name.endswith(".pdf") and len(name) <= 120 and len(name.encode()) <= 210


def test_html_is_reduced_to_text_without_running_or_fetching_anything() -> None:
    text = html_to_text(
        "<html><head><title>T</title><style>p {color: red}</style>"
        "<script>document.write('<p>injected</p>')</script></head><body>"
        "<p>Meet at the <b>sally&nbsp;port</b></p><img src='http://tracker.invalid/x.gif'>"
        "<img src='cid:logo' alt='Agency seal'><table><tr><td>Name</td><td>Role</td></tr>"
        "</table><a href='https://agency.gov/memo'>the memo</a><iframe src='x'>frame</iframe>"
        "<p>&lt;script&gt; stays text</p></body></html>")
    assert "Meet at the sally port" in text
    assert "injected" not in text and "color" not in text and "frame" not in text
    assert "tracker" not in text and "[image: Agency seal]" in text
    assert "Name  Role" in text and "the memo <https://agency.gov/memo>" in text
    assert "<script> stays text" in text


# --- parsing -------------------------------------------------------------------------------

def _rich_message() -> EmailMessage:
    """A message with every kind of part: alternatives, a PDF, hostile names, a nested mail."""
    msg = EmailMessage()
    msg["From"] = "Jörg Müller <j.mueller@agency.gov>"
    msg["To"] = "Records Office <records@agency.gov>, Ann Lee <ann@agency.gov>"
    msg["Cc"] = "Counsel <counsel@agency.gov>"
    msg["Subject"] = "Sally port transfer — Привет"
    msg["Date"] = "Tue, 21 Mar 2017 10:47:00 -0500"
    msg.set_content("The detainee left through the sally port at noon.\n")
    msg.add_alternative("<p>The detainee left through the <b>sally port</b></p>"
                        "<script>alert('x')</script>", subtype="html")
    msg.add_attachment(_pdf_bytes("Quarterly detainer statistics", "Hennepin County"),
                       maintype="application", subtype="pdf", filename="../../etc/memo.pdf")
    inner = EmailMessage()
    inner["From"] = "Field Office <field@agency.gov>"
    inner["Subject"] = "Original report"
    inner.set_content("Forwarded: the Rikers Island transfer list is attached.\n")
    inner.add_attachment(b"Rikers transfer list: 12 names\n", maintype="text",
                         subtype="plain", filename="list.txt")
    msg.add_attachment(inner)
    msg.add_attachment(b"PK\x05\x06" + b"\x00" * 18, maintype="application", subtype="zip",
                       filename="bundle.zip")
    return msg


def test_a_message_is_parsed_into_headers_body_and_attachments() -> None:
    parsed = parse_bytes(_rich_message().as_bytes())
    assert parsed.sender == "Jörg Müller <j.mueller@agency.gov>"
    assert parsed.to == "Records Office <records@agency.gov>, Ann Lee <ann@agency.gov>"
    assert parsed.subject == "Sally port transfer — Привет"
    assert parsed.date is not None and parsed.date.isoformat() == "2017-03-21T10:47:00-05:00"
    assert parsed.body == "The detainee left through the sally port at noon."
    assert [(a.name, a.content_type, a.is_message) for a in parsed.attachments] == [
        ("memo.pdf", "application/pdf", False),
        ("Original report.eml", "message/rfc822", True),
        ("bundle.zip", "application/zip", False)]
    nested = parse_bytes(parsed.attachments[1].data)
    assert nested.sender == "Field Office <field@agency.gov>"
    assert [a.name for a in nested.attachments] == ["list.txt"]
    assert parsed.annotations() == {
        "email": {"from": parsed.sender, "to": parsed.to, "cc": "Counsel <counsel@agency.gov>",
                  "subject": parsed.subject, "date": "2017-03-21"},
        "record_date": "2017-03-21"}


def test_html_only_bodies_and_odd_charsets_in_raw_messages() -> None:
    raw = (b"From: =?shift_jis?B?k/qWe4zq?= <a@example.jp>\r\n"
           b"Subject: \xd0\x9e\xd1\x82\xd1\x87\xd0\xb5\xd1\x82\r\n"  # raw UTF-8: no MIME word
           b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n"
           b"--b1\r\nContent-Type: text/html; charset=windows-1251\r\n\r\n"
           b"<p>\xcf\xf0\xe8\xe2\xe5\xf2</p><script>steal()</script>\r\n"
           b"--b1\r\nContent-Type: text/plain; charset=shift_jis\r\n\r\n"
           + "①日本語".encode("cp932") + b"\r\n--b1--\r\n")
    parsed = parse_bytes(raw)
    assert parsed.sender == "日本語 <a@example.jp>"
    assert parsed.subject == "Отчет"
    assert parsed.body == "Привет\n\n①日本語"
    assert parsed.date is None and parsed.attachments == []


def test_damaged_structure_is_read_as_far_as_possible() -> None:
    raw = (b"From: a@b.c\r\nSubject: broken\r\nContent-Type: multipart/mixed; boundary=declared"
           b"\r\n\r\n--actual\r\nContent-Type: text/plain\r\n\r\nreal text\r\n"
           b"--actual\r\nContent-Type: application/pdf; name=x.pdf\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--actual--\r\n")
    parsed = parse_bytes(raw)
    assert parsed.body == "real text"
    assert [a.name for a in parsed.attachments] == ["x.pdf"]
    assert parsed.warnings and "damaged MIME structure" in parsed.warnings[0]


def test_resource_messages() -> None:
    traversal = read_message(EMAILS / "traversal_php-mime-mail-parser_m0027.eml")
    assert [(a.name, a.data) for a in traversal.attachments] == [("1234.txt", b"")]
    japanese = read_message(EMAILS / "iso2022jp_php-mime-mail-parser_issue116.eml")
    assert japanese.subject == "ЖД№41 от 28.09.2016" and japanese.body == "toto"
    outlook = read_message(EMAILS / "cp932_msgreader_nonUnicodeCP932.msg")
    assert outlook.subject == "日本語 Non Unicode タイトル"
    assert outlook.body == "日本語 Non Unicode 本文"
    assert outlook.to.startswith("xmailuser2@xmailserver.test")
    assert outlook.date is not None and outlook.date.date().isoformat() == "2021-11-05"


def test_mbox_is_split_only_at_real_separator_lines(tmp_path: Path) -> None:
    box = tmp_path / "box.mbox"
    box.write_bytes(
        b"From alice@example.com Sat Nov 28 00:12:32 2026\nFrom: alice@example.com\n"
        b"Subject: first\n\nHello\n\nFrom time to time we meet.\n\n"
        b"From bob@example.com  Mon Jan  2 03:04:05 2017\nFrom: bob@example.com\n"
        b"Subject: =?utf-8?q?zweite_Gr=C3=BC=C3=9Fe?=\n\nBye\n")
    messages = list(mbox.split(box))
    assert [(m.number, m.sender, m.subject) for m in messages] == [
        (1, "alice@example.com", "first"), (2, "bob@example.com", "zweite Grüße")]
    assert messages[0].data.endswith(b"From time to time we meet.\n")
    assert not messages[1].data.startswith(b"From ")


# --- the pipeline --------------------------------------------------------------------------

def _write(path: Path, message: EmailMessage | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(message if isinstance(message, bytes) else message.as_bytes())
    return path


def test_an_email_and_its_attachments_become_linked_documents(settings: Settings,
                                                             tmp_path: Path) -> None:
    eml = _write(tmp_path / "rel" / "mail.eml", _rich_message())
    report = add_production([tmp_path / "rel"], settings, production="Mail release")
    folder = settings.scans_dir / "mail-release"
    attachments = folder / "mail.attachments"
    assert report.added == sorted([
        str(eml), str(attachments / "memo.pdf"), str(attachments / "Original report.eml"),
        str(attachments / "Original report.attachments" / "list.txt")])
    assert [(f.file, f.error) for f in report.failed] == [(
        str(attachments / "bundle.zip"), "is an attachment of mail.eml and is an empty zip "
        "archive (sent as application/zip); unpack it and add its files")]
    assert not list(settings.home.rglob("etc")), "a traversal name escaped its folder"
    assert sorted(p.name for p in attachments.iterdir()) == [
        "Original report.attachments", "Original report.eml", "bundle.zip", "memo.pdf"]

    with Catalog(settings.catalog_path) as catalog:
        parent = next(r for r in catalog.documents() if r["kind"] == "email"
                      and r["parent_doc_id"] is None)
        meta = json.loads(parent["meta"])
        kids = catalog.children(parent["doc_id"])
        assert parent["path"] == "scans/mail-release/mail.eml" and parent["state"] == "indexed"
        assert sorted(meta["children"]) == sorted(k["doc_id"] for k in kids)
        assert sorted((k["kind"], k["title"]) for k in kids) == [
            ("email", "Original report"), ("pdf", "memo")]
        zip_record = next(a for a in meta["attachments"] if a["name"] == "bundle.zip")
        assert zip_record["doc_id"] is None and "zip archive" in zip_record["reason"]
        assert zip_record["path"] == "scans/mail-release/mail.attachments/bundle.zip"
        notes = json.loads(catalog.page(parent["doc_id"], 1)["annotations"])
        assert notes["email"]["from"] == "Jörg Müller <j.mueller@agency.gov>"
        assert notes["record_date"] == "2017-03-21"
        assert "redactions" not in notes  # the archive printed it: no image to search
        memo = next(k for k in kids if k["kind"] == "pdf")
        assert "redactions" in json.loads(catalog.page(memo["doc_id"], 1)["annotations"])
        rendered, kind = storage.readable_path(settings, parent)
        assert kind == "pdf" and rendered == storage.derived_pdf(settings, parent["doc_id"])
        with pymupdf.open(rendered) as pdf:  # a text layer, and nothing to fetch or run
            assert "sally port" in pdf[0].get_text()
            assert not pdf[0].get_images() and not pdf[0].get_links()
        rendered.unlink()  # derived data: printed again on demand
        again, _ = storage.readable_path(settings, parent)
        assert extract.render_png(again, "pdf", 1, 40, settings).startswith(b"\x89PNG")

    assert _hits(settings, "from:mueller") == [("mail", 1)]
    assert _hits(settings, "subject:привет") == [("mail", 1)]
    assert _hits(settings, "cc:counsel") == [("mail", 1)]
    assert _hits(settings, '"Quarterly detainer statistics"') == [("memo", 1)]
    assert _hits(settings, "from:field") == [("Original report", 1)]
    assert _hits(settings, '"Rikers transfer list"') == [("list", 1)]
    assert _hits(settings, "date:20170321") == [("mail", 1)]

    again = add_production([tmp_path / "rel"], settings, production="Mail release")
    assert again.added == [] and again.pages == 0 and again.unchanged == [str(eml)]


def test_native_headers_win_over_headers_printed_in_the_body(settings: Settings,
                                                             tmp_path: Path) -> None:
    msg = EmailMessage()
    msg["From"] = "Real Sender <real@agency.gov>"
    msg["To"] = "records@agency.gov"
    msg["Subject"] = "Fwd: detainer"
    msg["Date"] = "Mon, 20 Mar 2017 09:00:00 +0000"
    quoted = ("-----Original Message-----\nFrom: Impostor <fake@example.com>\n"
              "Sent: Monday, January 2, 2012 8:00 AM\nTo: someone@example.com\n"
              "Subject: quoted message\n\nquoted body\n")
    msg.set_content("filler line\n" * 80 + quoted)  # the quoted block lands on page 2
    _write(tmp_path / "fwd" / "fwd.eml", msg)
    add_production([tmp_path / "fwd"], settings, production="Fwd")
    reindex(settings)
    with Catalog(settings.catalog_path) as catalog:
        doc = next(r for r in catalog.documents() if r["kind"] == "email")
        assert doc["page_count"] == 2
        pages = page_rows(catalog, doc["doc_id"])
    assert "Impostor" in pages[1]["text"]
    for page in pages:
        assert page["annotations"]["email"]["from"] == "Real Sender <real@agency.gov>"
        assert page["annotations"]["record_date"] == "2017-03-20"
    assert _hits(settings, "from:impostor") == []
    assert _hits(settings, "from:real") == [("fwd", 1), ("fwd", 2)]


def test_mbox_messages_become_documents_under_the_mailbox(settings: Settings,
                                                          tmp_path: Path) -> None:
    box = tmp_path / "in" / "archive.mbox"
    box.parent.mkdir()
    box.write_bytes(
        b"From a@x.gov Sat Nov 28 00:12:32 2026\nFrom: Alice <a@x.gov>\nSubject: budget\n\n"
        b"The budget memo.\n\nFrom time to time we meet.\n\n"
        b"From b@x.gov Sat Nov 28 00:12:33 2026\nFrom: Bob <b@x.gov>\nSubject: gate\n\n"
        b"The sally port gate.\n")
    report = add_production([box], settings, production="Box")
    messages = settings.scans_dir / "box" / "archive.messages"
    assert report.added == sorted([str(box), str(messages / "1.eml"), str(messages / "2.eml")])
    assert (messages / "1.eml").read_bytes().startswith(b"From: Alice")
    assert _hits(settings, "from:bob") == [("archive #2: gate", 1)]
    assert _hits(settings, '"from time to time"') == [("archive #1: budget", 1)]
    assert _hits(settings, "budget") == [("archive", 1), ("archive #1: budget", 1)]
    with Catalog(settings.catalog_path) as catalog:
        mailbox = next(r for r in catalog.documents() if r["kind"] == "mbox")
        first, second = catalog.children(mailbox["doc_id"])
        assert {first["parent_doc_id"], second["parent_doc_id"]} == {mailbox["doc_id"]}
        assert json.loads(mailbox["meta"])["children"] == [first["doc_id"], second["doc_id"]]
        # as if `add` had been killed after the mailbox was indexed, before message 2 was read
        catalog.set_state(second["doc_id"], "reading")
        catalog.db.execute("DELETE FROM pages WHERE doc_id = ?", (second["doc_id"],))
    again = add_production([box], settings, production="Box")
    assert again.added == [str(messages / "2.eml")] and again.unchanged == [str(box)]
    assert _hits(settings, "from:bob") == [("archive #2: gate", 1)]


def test_damaged_emails_fail_with_a_reason_naming_them(settings: Settings,
                                                       tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    bad_msg = _write(folder / "broken.msg", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    _write(folder / "fine.eml", b"From: ok@x.gov\nSubject: fine\n\nall good\n")
    report = add_production([folder], settings, production="Bad")
    assert report.added == [str(folder / "fine.eml")]
    assert [f.file for f in report.failed] == [str(bad_msg)]
    assert "Outlook message" in report.failed[0].error and "\n" not in report.failed[0].error


def test_resource_emails_are_added(settings: Settings) -> None:
    files = sorted(p for p in EMAILS.iterdir() if p.suffix in (".eml", ".msg"))
    report = add_production(files, settings, production="Resources")
    assert sorted(Path(a).name for a in report.added) == [
        "cp932_msgreader_nonUnicodeCP932.msg", "iso2022jp_php-mime-mail-parser_issue116.eml",
        "traversal_php-mime-mail-parser_m0027.eml"]
    stored = settings.scans_dir / "resources" / "traversal_php-mime-mail-parser_m0027.attachments"

    assert [(f.file, "is empty" in f.error) for f in report.failed] == [
        (str(stored / "1234.txt"), True)]
    assert _hits(settings, "subject:unicode") == [("cp932_msgreader_nonUnicodeCP932", 1)]
    assert _hits(settings, "subject:от") == [("iso2022jp_php-mime-mail-parser_issue116", 1)]


# --- the real corpus -----------------------------------------------------------------------

@pytest.mark.corpus
@needs_corpus
def test_every_corpus_email_is_added_or_fails_with_a_reason(tmp_path: Path) -> None:
    source = CORPUS / "emails"
    home = tmp_path / "home"
    env = {**os.environ, "ARCHIVE_JOBS": "2", "ARCHIVE_OCR_LANG": "eng"}
    proc = subprocess.run(
        [sys.executable, "-m", "archive", "--home", str(home), "add", str(source),
         "--production", "emails", "--ocr", "never", "--json"],
        capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode in (0, 3), proc.stderr
    assert "Traceback" not in proc.stderr
    report = json.loads(proc.stdout)
    failed = {f["file"]: f["error"] for f in report["failed"]}
    for file, error in failed.items():
        assert error and "\n" not in error, file
    given = {str(p) for p in source.rglob("*") if p.is_file()}
    accounted = set(report["added"]) | set(report["unchanged"]) | set(failed)
    assert given <= accounted
    assert set(failed) & given == {str(source / "eml/paperless-ng__broken.eml")}
    stored = home / "scans" / "emails"
    assert all(Path(f).is_relative_to(stored) for f in set(failed) - given)
    assert len(report["added"]) > 300  # 328 attachments of issue408 among them

    def titles(q: str) -> set[str]:
        out = subprocess.run([sys.executable, "-m", "archive", "--home", str(home), "search",
                              q, "--json", "--limit", "50"], capture_output=True, text=True,
                             env=env, timeout=120, check=True).stdout
        return {hit["title"] for hit in json.loads(out)["hits"]}

    assert "sicos1977__HtmlSampleEmail" in titles("from:wilson")
    assert "hiraokahyper__nonUnicodeCP932" in titles("subject:unicode")
    assert "php-mime-mai__issue116" in titles("subject:от")
    assert "sicos1977__EmailWithAttachments" in titles("cc:tinkerbel")
