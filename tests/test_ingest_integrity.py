"""Ingest integrity: what a file is, zips read member by member, every failure named.

Every test adds real files (zips built with the `zip` tool or the zipfile module, PDFs made
with PyMuPDF or written by hand) through `archive add` or `add_production`, and checks what
landed: the report, the exit code, the searchable pages, the files left under scans/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pymupdf
import pytest

from archive.config import Settings, load_settings
from archive.ingest.inputs import collect
from archive.ingest.pipeline import add_production
from archive.search.query import open_searcher, search

ENV = {**os.environ, "ARCHIVE_JOBS": "1", "ARCHIVE_OCR_LANG": "eng"}


def _pdf(*pages: str) -> bytes:
    """A born-digital PDF, one page per string."""
    doc = pymupdf.open()
    for text in pages:
        doc.new_page(width=612, height=792).insert_text((72, 100), text, fontsize=12)
    data = doc.tobytes()
    doc.close()
    return data


def _add(home: Path, *paths: Path) -> tuple[int, dict]:  # type: ignore[type-arg]
    """`archive add --json` as a user runs it: (exit code, report)."""
    proc = subprocess.run([sys.executable, "-m", "archive", "--home", str(home), "add",
                           *map(str, paths), "--production", "Release", "--ocr", "never",
                           "--json"], capture_output=True, text=True, env=ENV, timeout=300)
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def _pages(home: Path, query: str) -> list[tuple[str, int]]:
    """(title, page) of every page that matches `query`."""
    settings = load_settings(home)
    with open_searcher(settings) as searcher:
        hits = search(searcher, query, settings, pagelen=100).hits
    return sorted((hit.title, hit.page) for hit in hits)


def _temporary_files(home: Path) -> list[Path]:
    """Files left half-written (`.part-*`) or hidden under scans/."""
    return [p for p in (home / "scans").rglob("*") if p.name.startswith(".")]


# --- 1. a stored zip is a zip, whatever PDF bytes show through it ------------------------


@pytest.mark.skipif(shutil.which("zip") is None, reason="the `zip` tool is not installed")
def test_a_stored_zip_of_pdfs_is_read_member_by_member(tmp_path: Path) -> None:
    folder = tmp_path / "release"
    folder.mkdir()
    for name in ("alpha", "bravo", "charlie"):
        (folder / f"{name}.pdf").write_bytes(_pdf(f"{name} first page", f"{name} second page"))
    archive = tmp_path / "release.zip"
    subprocess.run(["zip", "-0", "-q", str(archive), "alpha.pdf", "bravo.pdf", "charlie.pdf"],
                   cwd=folder, check=True)
    assert b"%PDF-" in archive.read_bytes()[:1024]  # what used to make it "a PDF"
    home = tmp_path / "home"
    code, report = _add(home, archive)
    assert code == 0, report
    assert sorted(Path(p).name for p in report["added"]) == ["alpha.pdf", "bravo.pdf",
                                                            "charlie.pdf"]
    assert report["pages"] == 6 and report["failed"] == [] and report["warnings"] == []
    assert _pages(home, "charlie") == [("charlie", 1), ("charlie", 2)]
    assert _pages(home, '"second page"') == [("alpha", 2), ("bravo", 2), ("charlie", 2)]


def test_a_stored_zip_goes_through_the_zip_safety_checks(settings: Settings,
                                                         tmp_path: Path) -> None:
    archive = tmp_path / "escape.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as z:
        z.writestr("../escape.pdf", _pdf("escape"))
    got = collect([archive], "escape", settings)
    assert got.files == []
    assert "outside the production folder" in got.failed[0].error
    assert not (settings.scans_dir / "escape.pdf").exists()


def test_a_zip_after_leading_bytes_is_found_by_its_directory_at_the_end(
        settings: Settings, tmp_path: Path) -> None:
    plain = tmp_path / "plain.zip"
    with zipfile.ZipFile(plain, "w", zipfile.ZIP_STORED) as z:
        z.writestr("inner.pdf", _pdf("inner page"))
    prefixed = tmp_path / "prefixed.zip"
    prefixed.write_bytes(b"MZ self-extractor stub " * 40 + plain.read_bytes())
    got = collect([prefixed], "prefixed", settings)
    assert [f.path.name for f in got.files] == ["inner.pdf"] and got.failed == []


def test_a_pdf_is_known_by_its_header_and_structure(settings: Settings,
                                                    tmp_path: Path) -> None:
    folder = tmp_path / "release"
    folder.mkdir()
    # leading junk before %PDF- (as a mail gateway leaves it): still a PDF, and read
    (folder / "junk-first.pdf").write_bytes(b"X-Gateway: scanned\r\n" * 20 + _pdf("kilo lima"))
    # %PDF- in the first KB, but no PDF after it
    (folder / "notes.pdf").write_bytes(b"Release notes. Files start with %PDF-1.7 and end "
                                       b"with %%EOF; see the standard.\n" * 5)
    (folder / "blob.pdf").write_bytes(bytes(range(1, 200)) + b"%PDF-1.4" + bytes(800))
    # a PDF header and nothing of a PDF after it (OCRmyPDF's invalid.pdf): a damaged PDF
    (folder / "header-only.pdf").write_bytes(b"%PDF-1.3\nThis is not a valid PDF file\n%%EOF\n")
    report = add_production([folder], settings, production="R")
    assert report.added == [str(folder / "junk-first.pdf")]
    with open_searcher(settings) as searcher:
        hits = search(searcher, '"kilo lima"', settings).hits
    assert [(hit.title, hit.page) for hit in hits] == [("junk-first", 1)]
    reasons = {Path(f.file).name: f.error for f in report.failed}
    assert set(reasons) == {"notes.pdf", "blob.pdf", "header-only.pdf"}
    assert reasons["header-only.pdf"] == ("is a damaged PDF: no PDF object follows its header; "
                                          "ask the agency for a new copy")
    assert reasons["notes.pdf"].startswith("is a plain text file, not a PDF;")
    assert reasons["blob.pdf"].startswith("is an unrecognised binary file, not a PDF;")


# --- 3, 17. a bad member is that member's failure; the rest lands -------------------------


def _member_data_offset(data: bytes, info: zipfile.ZipInfo) -> int:
    name_length = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28],
                                 "little")
    extra_length = int.from_bytes(data[info.header_offset + 28:info.header_offset + 30],
                                  "little")
    return info.header_offset + 30 + name_length + extra_length


def _central_offsets(data: bytes, start: int) -> dict[str, int]:
    """Where each member's central directory entry starts, by name."""
    out, at = {}, start
    while data[at:at + 4] == b"PK\x01\x02":
        lengths = [int.from_bytes(data[at + k:at + k + 2], "little") for k in (28, 30, 32)]
        out[data[at + 46:at + 46 + lengths[0]].decode()] = at
        at += 46 + sum(lengths)
    return out


def _hostile_zip(path: Path) -> dict[str, str]:
    """A zip with two good members and five that cannot be unpacked; {bad member: why}."""
    members = [("good/alpha.pdf", zipfile.ZIP_DEFLATED, "alpha echo"),
               ("bad/deflate.pdf", zipfile.ZIP_DEFLATED, "deflate"),
               ("bad/bzip2.pdf", zipfile.ZIP_BZIP2, "bzip2"),
               ("bad/lzma.pdf", zipfile.ZIP_LZMA, "lzma"),
               ("bad/deflate64.pdf", zipfile.ZIP_DEFLATED, "deflate64"),
               ("bad/aes.pdf", zipfile.ZIP_DEFLATED, "aes"),
               ("good/charlie.pdf", zipfile.ZIP_STORED, "charlie echo")]
    with zipfile.ZipFile(path, "w") as z:
        for name, method, words in members:
            z.writestr(name, _pdf(f"{words} page one", f"{words} page two"),
                       compress_type=method)
        infos = {info.filename: info for info in z.infolist()}
        directory = z.start_dir
    data = bytearray(path.read_bytes())
    central = _central_offsets(bytes(data), directory)
    for name in ("bad/deflate.pdf", "bad/bzip2.pdf", "bad/lzma.pdf"):
        start = _member_data_offset(bytes(data), infos[name])
        for i in range(start + 40, start + 80):  # inside the compressed stream
            data[i] ^= 0x5A
    # Deflate64 (method 9) and WinZip AES (method 99, encrypted flag): patched into both
    # the local header and the central directory, as those tools write them.
    for name, method, flag in (("bad/deflate64.pdf", 9, 0), ("bad/aes.pdf", 99, 1)):
        for at, flag_at, method_at in ((infos[name].header_offset, 6, 8),
                                       (central[name], 8, 10)):
            data[at + flag_at] |= flag
            data[at + method_at:at + method_at + 2] = method.to_bytes(2, "little")
    path.write_bytes(bytes(data))
    return {"bad/deflate.pdf": "is damaged in the zip", "bad/bzip2.pdf": "is damaged in the zip",
            "bad/lzma.pdf": "is damaged in the zip",
            "bad/deflate64.pdf": "compression method or encryption the archive cannot unpack",
            "bad/aes.pdf": "is encrypted in the zip"}


def test_corrupt_and_unreadable_members_fail_alone_and_the_rest_lands(tmp_path: Path) -> None:
    archive = tmp_path / "release-7.zip"
    bad = _hostile_zip(archive)
    home = tmp_path / "home"
    code, report = _add(home, archive)
    assert code == 3, report  # partial: some files failed, the rest landed
    assert sorted(Path(p).name for p in report["added"]) == ["alpha.pdf", "charlie.pdf"]
    failed = {f["file"]: f["error"] for f in report["failed"]}
    assert set(failed) == {f"{archive} ({name})" for name in bad}
    for name, why in bad.items():
        error = failed[f"{archive} ({name})"]
        assert error.startswith(f"member {name!r} ") and why in error, error
        assert "\n" not in error and "None" not in error and "Traceback" not in error
    assert _pages(home, "echo") == [("alpha", 1), ("alpha", 2), ("charlie", 1), ("charlie", 2)]
    assert _temporary_files(home) == []
    unpacked = sorted(p.name for p in (home / "scans").rglob("*.pdf"))
    assert unpacked == ["alpha.pdf", "charlie.pdf"]

    again_code, again = _add(home, archive)  # idempotent: the same outcome, nothing new
    assert again_code == 3
    assert again["added"] == [] and again["pages"] == 0
    assert sorted(Path(p).name for p in again["unchanged"]) == ["alpha.pdf", "charlie.pdf"]
    assert {f["file"]: f["error"] for f in again["failed"]} == failed
    assert _temporary_files(home) == []
    assert _pages(home, "echo") == [("alpha", 1), ("alpha", 2), ("charlie", 1), ("charlie", 2)]


def test_members_of_the_same_name_are_both_kept(settings: Settings, tmp_path: Path) -> None:
    archive = tmp_path / "dup.zip"
    first, second, same = _pdf("first memo"), _pdf("second memo"), _pdf("same memo")
    with pytest.warns(UserWarning, match="Duplicate name"), \
            zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("memo.pdf", first)
        z.writestr("memo.pdf", second)
        z.writestr("same.pdf", same)
        z.writestr("same.pdf", same)
    report = add_production([archive], settings, production="Dup")
    assert report.failed == []
    with open_searcher(settings) as searcher:
        memos = search(searcher, '"first memo" OR "second memo"', settings).hits
        assert search(searcher, '"same memo"', settings).total == 1
    assert sorted(h.title for h in memos) == ["memo", f"memo-{zipfile.crc32(second):08x}"]
    folder = settings.scans_dir / "dup" / "dup"
    assert (folder / "memo.pdf").read_bytes() == first
    assert (folder / f"memo-{zipfile.crc32(second):08x}.pdf").read_bytes() == second
    assert len(report.added) == 3 and len(report.unchanged) == 1  # the identical copy
    again = add_production([archive], settings, production="Dup")
    assert again.added == [] and again.failed == [] and again.pages == 0
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["memo.pdf", f"memo-{zipfile.crc32(second):08x}.pdf", "same.pdf",
         f"same-{zipfile.crc32(same):08x}.pdf"])


def test_a_changed_zip_never_overwrites_what_an_earlier_one_unpacked(
        settings: Settings, tmp_path: Path) -> None:
    archive = tmp_path / "rel.zip"
    old, new = _pdf("old text"), _pdf("new text")  # the same size, other bytes
    assert len(old) == len(new)
    for data in (old, new):
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("doc.pdf", data)
        report = add_production([archive], settings, production="Rel")
        assert report.failed == [] and len(report.added) == 1
    folder = settings.scans_dir / "rel" / "rel"
    assert (folder / "doc.pdf").read_bytes() == old
    assert (folder / f"doc-{zipfile.crc32(new):08x}.pdf").read_bytes() == new


@pytest.mark.parametrize("name", ["n" * 300 + ".pdf", "d" * 300 + "/inner.pdf"])
def test_a_member_name_too_long_to_store_fails_alone_naming_it(
        settings: Settings, tmp_path: Path, name: str) -> None:
    archive = tmp_path / "long.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, _pdf("too long"))
        z.writestr("fine.pdf", _pdf("fine page"))
    report = add_production([archive], settings, production="Long")
    assert [Path(p).name for p in report.added] == ["fine.pdf"]
    (failure,) = report.failed
    assert failure.file == f"{archive} ({name})"
    assert failure.error.startswith(f"member {name!r} has a name too long")
    assert "shorten the name" in failure.error
    assert _temporary_files(settings.home) == []


# --- 17. special files and damaged page trees get their own reasons -----------------------


def test_a_named_pipe_or_a_link_in_a_folder_is_reported_not_read(tmp_path: Path) -> None:
    folder = tmp_path / "release"
    folder.mkdir()
    (folder / "memo.pdf").write_bytes(_pdf("hotel india"))
    os.mkfifo(folder / "pipe.pdf")  # reading it would wait forever
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "outside.pdf").write_bytes(_pdf("juliet"))
    (folder / "linked").symlink_to(elsewhere)  # a link to a folder was passed over silently
    home = tmp_path / "home"
    code, report = _add(home, folder)
    assert code == 3
    assert report["added"] == [str(folder / "memo.pdf")]
    assert report["failed"] == [
        {"file": str(folder / "linked"), "error": "is a symbolic link, not a file; nothing "
         "was read from it: copy the real file in instead"},
        {"file": str(folder / "pipe.pdf"), "error": "is a named pipe (FIFO), not a file; "
         "nothing was read from it: copy the real file in instead"}]
    assert _pages(home, "hotel") == [("memo", 1)]


def _handmade_pdf(objects: list[bytes]) -> bytes:
    """A PDF written object by object, with a correct cross-reference table."""
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGE = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>")
CONTENT = b"BT /F1 12 Tf 72 700 Td (mike november) Tj ET"
STREAM = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(CONTENT), CONTENT)
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def test_a_page_tree_that_contains_itself_fails_saying_why(tmp_path: Path) -> None:
    folder = tmp_path / "release"
    folder.mkdir()
    (folder / "loop.pdf").write_bytes(_handmade_pdf(
        [CATALOG, b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"]))
    (folder / "half.pdf").write_bytes(_handmade_pdf(
        [CATALOG, b"<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>", PAGE, STREAM, FONT]))
    home = tmp_path / "home"
    code, report = _add(home, folder)
    assert code == 3
    assert report["added"] == [str(folder / "half.pdf")]  # its first page can be read
    failed = {Path(f["file"]).name: f["error"] for f in report["failed"]}
    assert failed["loop.pdf"] == ("is damaged: none of the 1 page(s) it lists can be opened "
                                  "(cycle in page tree); ask the agency for a new copy")
    assert failed["half.pdf"].startswith("1 of 2 pages could not be read (page 2: is damaged "
                                         "(cycle in page tree); ask the agency for a new copy)")
    assert "pickle" not in json.dumps(report)
    assert _pages(home, '"mike november"') == [("half", 1)]
    assert report["pages"] == 2  # half.pdf's two; nothing of loop.pdf
