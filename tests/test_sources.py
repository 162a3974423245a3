"""Collecting inputs: type sniffing, copies into scans/, zip safety."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from archive.config import Settings
from archive.ingest.inputs import collect
from archive.ingest.sniff import sniff


def test_sniff_tells_real_type_whatever_the_name(tmp_path: Path, resources: Path) -> None:
    assert sniff(resources / "scan_ntsb_12-rzcommu_1-058.pdf")[0] == "pdf"
    kind, description = sniff(resources / "not_a_pdf_docsplit_actually_an_image.pdf")
    assert kind == "image"
    rtf = tmp_path / "letter.pdf"
    rtf.write_bytes(b"{\\rtf1\\ansi hello}")
    assert sniff(rtf) == ("unsupported", "an RTF document")
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    assert sniff(empty) == ("unsupported", "an empty file")


def test_folder_is_copied_into_scans_and_sidecars_are_skipped(
        settings: Settings, make_pdf, tmp_path: Path) -> None:
    folder = tmp_path / "release"
    make_pdf("a.pdf", "t:Alpha", folder=folder)
    make_pdf("b.pdf", "t:Bravo", folder=folder / "sub")
    (folder / "production.toml").write_text('name = "X"\n')
    (folder / "notes.docx").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    (folder / "readme.txt").write_text("just text")
    got = collect([folder], "release", settings)
    stored = sorted(str(f.path.relative_to(settings.home)) for f in got.files)
    assert stored == ["scans/release/a.pdf", "scans/release/sub/b.pdf"]
    assert [Path(s).name for s in got.skipped] == ["production.toml"]
    reasons = {Path(f.file).name: f.error for f in got.failed}
    assert "plain text file" in reasons["readme.txt"]
    assert set(reasons) == {"readme.txt", "notes.docx"}
    # stored originals are read-only and identical to the input
    assert (settings.scans_dir / "release/a.pdf").read_bytes() == (folder / "a.pdf").read_bytes()


def test_production_under_scans_is_read_in_place(settings: Settings, make_pdf) -> None:
    inside = make_pdf("c.pdf", "t:Charlie", folder=settings.scans_dir / "mine")
    got = collect([settings.scans_dir / "mine"], "mine", settings)
    assert [f.path for f in got.files] == [inside.resolve()]


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def test_zip_members_are_unpacked_into_scans(settings: Settings, make_pdf,
                                             tmp_path: Path) -> None:
    pdf = make_pdf("inner.pdf", "t:Delta")
    archive = _zip(tmp_path / "release-7.zip", {"docs/inner.pdf": pdf.read_bytes()})
    got = collect([archive], "r7", settings)
    assert [f.path.name for f in got.files] == ["inner.pdf"]
    assert got.files[0].path.is_relative_to(settings.scans_dir / "r7")
    assert not got.failed


@pytest.mark.parametrize("name", ["../escape.pdf", "/etc/evil.pdf", "a/../../escape.pdf"])
def test_zip_path_escapes_are_refused(settings: Settings, tmp_path: Path, name: str) -> None:
    archive = _zip(tmp_path / "bad.zip", {name: b"%PDF-1.4 x"})
    got = collect([archive], "bad", settings)
    assert not got.files
    assert "outside the production folder" in got.failed[0].error
    assert not (settings.home / "escape.pdf").exists()
    assert not (settings.scans_dir / "escape.pdf").exists()


def test_zip_bomb_is_refused(settings: Settings, tmp_path: Path) -> None:
    archive = _zip(tmp_path / "bomb.zip", {"big.pdf": b"\0" * 50_000_000})
    got = collect([archive], "bomb", settings)
    assert not got.files
    assert "zip bomb" in got.failed[0].error
