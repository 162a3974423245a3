"""Productions delivered with litigation load files (Opticon .opt, Concordance .dat).

A synthetic production laid out the way review platforms export one: group-4 TIFF page
images under VOL001/IMAGES, load files under VOL001/DATA, per-document text under
VOL001/TEXT. Adding it binds each document's images into one document (not one per image),
gives every page the Bates number the .opt says, and takes the .dat's fields and family.
"""

from __future__ import annotations

import json
from pathlib import Path

import pymupdf
import pytest
from conftest import needs_tesseract, text_image

from archive.catalog import Catalog
from archive.config import Settings, load_settings
from archive.formats import loadfiles
from archive.ingest.pipeline import add_production
from archive.read import derived
from archive.search.query import bates_lookup, open_searcher, search

S, Q = loadfiles.FIELD_SEP, loadfiles.QUOTE
PAGES = {  # Bates -> the words typed on that page image
    "ABC0000001": ["From: Duty Officer", "Subject: Detainer outcome", "The sally port was empty."],
    "ABC0000002": ["Second page of the email", "Hennepin County declined the detainer."],
    "ABC0000003": ["Attachment: release roster", "Rikers Island transfer list"],
    "ABC0000004": ["Roster continued", "Magistrate warrant requested Monday"],
    "ABC0000005": ["Memorandum for the field office", "Snowstorm closed the clerk office"],
}
OPT = ("ABC0000001,VOL001,IMAGES\\0001\\ABC0000001.TIF,Y,,,2\r\n"
       "ABC0000002,VOL001,IMAGES\\0001\\ABC0000002.TIF,,,,\r\n"
       "ABC0000003,VOL001,IMAGES\\0001\\ABC0000003.TIF,Y,,,2\r\n"
       "ABC0000004,VOL001,IMAGES\\0001\\ABC0000004.TIF,,,,\r\n"
       "ABC0000005,VOL001,IMAGES\\0001\\ABC0000005.TIF,Y,,,1\r\n")
FIELDS = ["BEGBATES", "ENDBATES", "BEGATTACH", "ENDATTACH", "CUSTODIAN", "FROM", "TO",
          "SUBJECT", "DATESENT", "TEXTPATH"]
ROWS = [
    ["ABC0000001", "ABC0000002", "ABC0000001", "ABC0000004", "Smith, Jane",
     "duty.officer@ice.dhs.gov", "field.office@ice.dhs.gov", "Detainer outcome", "03/21/2017",
     "TEXT\\0001\\ABC0000001.txt"],
    ["ABC0000003", "ABC0000004", "ABC0000001", "ABC0000004", "Smith, Jane", "", "",
     "", "", "TEXT\\0001\\ABC0000003.txt"],
    ["ABC0000005", "ABC0000005", "", "", "Doe, Señor", "", "", "Snowstorm memo", "",
     "TEXT\\0001\\ABC0000005.txt"],
]


def _dat(fields: list[str], rows: list[list[str]]) -> bytes:
    lines = [S.join(f"{Q}{v}{Q}" for v in row) for row in [fields, *rows]]
    return "\r\n".join(lines).encode("cp1252")  # Concordance's unannounced Windows-1252


def write_production(root: Path, opt: str = OPT, rows: list[list[str]] | None = None) -> Path:
    """A production folder as review platforms export it; returns its root."""
    images = root / "VOL001" / "IMAGES" / "0001"
    images.mkdir(parents=True)
    for bates, lines in PAGES.items():
        page = text_image(lines).convert("1")
        page.save(images / f"{bates}.tif", compression="group4", dpi=(150, 150))
    data = root / "VOL001" / "DATA"
    data.mkdir()
    (data / "export.opt").write_text(opt)
    (data / "export.dat").write_bytes(_dat(FIELDS, ROWS if rows is None else rows))
    text = root / "VOL001" / "TEXT" / "0001"
    text.mkdir(parents=True)
    for row in ROWS:
        (text / f"{row[0]}.txt").write_text("producing party's text")
    return root


@pytest.fixture(scope="module")
def added(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, object]:
    root = tmp_path_factory.mktemp("loadfile")
    home = root / "home"
    home.mkdir()
    settings = load_settings(home, jobs=2, ocr_mode="auto", ocr_lang="eng")
    production = write_production(root / "PROD001")
    report = add_production([production], settings, production="Smith custodial production")
    return settings, report


@pytest.mark.ocr
@needs_tesseract
def test_documents_come_from_the_load_file_not_one_per_image(added) -> None:  # type: ignore[no-untyped-def]
    settings, report = added
    assert report.failed == [] and len(report.added) == 3  # 5 images, 3 documents
    assert report.added[0].endswith("DATA/export.opt [ABC0000001\u2013ABC0000002]")
    with Catalog(settings.catalog_path, readonly=True) as catalog:
        docs = {json.loads(d["meta"])["bates_range"][0]: d for d in catalog.documents()}
        assert sorted(docs) == ["ABC0000001", "ABC0000003", "ABC0000005"]
        assert [docs[b]["page_count"] for b in sorted(docs)] == [2, 2, 1]
        email, attachment, memo = (docs[b] for b in sorted(docs))
        assert all(d["state"] == "indexed" and d["kind"] == "loadfile" for d in docs.values())
        # the family: the roster is an attachment of the email, and listed as its child
        assert attachment["parent_doc_id"] == email["doc_id"]
        assert [c["doc_id"] for c in catalog.children(email["doc_id"])] == [attachment["doc_id"]]
        assert email["title"] == "Detainer outcome (ABC0000001\u2013ABC0000002)"
        assert attachment["title"] == "ABC0000003\u2013ABC0000004"
        meta = json.loads(memo["meta"])
        assert meta["fields"]["CUSTODIAN"] == "Doe, Señor"  # decoded from Windows-1252
        assert meta["load_file"].endswith("VOL001/DATA/export.opt")
        # each page carries the Bates number the .opt gives it, and its own OCR'd text
        pages = {p["page_no"]: p for p in catalog.pages(attachment["doc_id"])}
        assert json.loads(pages[2]["annotations"])["bates"] == "ABC0000004"
        assert "Magistrate" in pages[2]["text"] and pages[2]["text_source"] == "ocr"
        email_notes = json.loads(catalog.page(email["doc_id"], 1)["annotations"])
        assert email_notes["email"]["from"] == "duty.officer@ice.dhs.gov"
        assert email_notes["record_date"] == "2017-03-21"
        assert json.loads(email["meta"])["email"]["to"] == "field.office@ice.dhs.gov"
    # the bound PDF is the document's pages; the images stay as released under scans/
    with pymupdf.open(settings.index_dir / "derived" / f"{email['doc_id']}.pdf") as pdf:
        assert pdf.page_count == 2
        assert abs(pdf[0].rect.width - 612) < 1  # 1275 px at 150 dpi: a letter page
    kept = sorted(p.name for p in (settings.scans_dir).rglob("*") if p.is_file())
    assert kept == sorted([*(f"{b}.tif" for b in PAGES), "export.opt", "export.dat",
                           *(f"{r[0]}.txt" for r in ROWS)])


@pytest.mark.ocr
@needs_tesseract
def test_bates_and_fields_from_the_load_file_are_searchable(added) -> None:  # type: ignore[no-untyped-def]
    settings, _ = added
    with open_searcher(settings) as searcher:
        found = search(searcher, "bates:ABC0000004", settings)
        assert [(h.page, h.extra["bates"]) for h in found.hits] == [(2, "ABC0000004")]
        spread = search(searcher, "bates:[ABC0000002 TO ABC0000004]", settings)
        assert sorted(h.extra["bates"] for h in spread.hits) == ["ABC0000002", "ABC0000003",
                                                        "ABC0000004"]
        assert search(searcher, "from:duty.officer", settings).total == 2  # both pages
        assert search(searcher, '"sally port"', settings).hits[0].extra["bates"] == "ABC0000001"
        jump = bates_lookup(searcher, "ABC-0000005")
        assert jump is not None and jump[1] == 1


@pytest.mark.ocr
@needs_tesseract
def test_adding_the_production_again_changes_nothing(added) -> None:  # type: ignore[no-untyped-def]
    settings, first = added
    production = next(p for p in settings.home.parent.iterdir() if p.name == "PROD001")
    again = add_production([production], settings, production="Smith custodial production")
    assert again.added == [] and again.failed == [] and len(again.unchanged) == 3
    with Catalog(settings.catalog_path, readonly=True) as catalog:
        assert catalog.stats()["documents"] == 3


def test_a_missing_image_or_a_path_outside_fails_only_its_document(settings: Settings,
                                                                    tmp_path: Path) -> None:
    opt = OPT.replace("IMAGES\\0001\\ABC0000003.TIF", "..\\..\\..\\etc\\passwd")
    production = write_production(tmp_path / "PROD002", opt=opt)
    (production / "VOL001" / "IMAGES" / "0001" / "ABC0000005.tif").unlink()
    report = add_production([production], settings, production="Broken export")
    # the email is added; the image the .opt no longer names is added as a loose image
    assert sorted(Path(a).name for a in report.added) == [
        "ABC0000003.tif", "export.opt [ABC0000001\u2013ABC0000002]"]
    failed = sorted(report.failed, key=lambda f: f.file)
    assert [f.file.rsplit(" ", 1)[-1] for f in failed] == ["(ABC0000003)", "(ABC0000005)"]
    assert all("is not in the production folder" in f.error for f in failed)
    assert "..\\..\\..\\etc\\passwd for page ABC0000003" in failed[0].error
    assert "ABC0000005.TIF for page ABC0000005" in failed[1].error
    with Catalog(settings.catalog_path, readonly=True) as catalog:
        kinds = sorted(d["kind"] for d in catalog.documents())
    assert kinds == ["image", "loadfile"]


def test_a_file_that_is_not_an_image_fails_its_document_with_a_reason(
        settings: Settings, tmp_path: Path) -> None:
    production = write_production(tmp_path / "PROD003")
    (production / "VOL001" / "IMAGES" / "0001" / "ABC0000005.tif").write_text("not a TIFF")
    report = add_production([production], settings, production="Odd export")
    assert len(report.added) == 2
    [failure] = report.failed
    assert "ABC0000005.tif as a page image, but it is a plain text file" in failure.error


def test_a_dat_alone_gives_native_files_their_fields_and_counted_bates(
        settings: Settings, tmp_path: Path) -> None:
    root = tmp_path / "PROD004"
    (root / "NATIVES").mkdir(parents=True)
    pdf = pymupdf.open()
    for n in range(3):
        pdf.new_page().insert_text((72, 72), f"Budget line {n + 1} for detention beds")
    pdf.save(root / "NATIVES" / "DOJ-000010.pdf")
    rows = [["DOJ-000010", "DOJ-000012", "", "", "Roe, R.", "", "", "Budget", "2019-04-02",
             "NATIVES\\DOJ-000010.pdf"]]
    (root / "loadfile.dat").write_bytes(_dat([*FIELDS[:-1], "NATIVEPATH"], rows))
    report = add_production([root], settings, production="Natives only")
    assert report.failed == [] and len(report.added) == 1
    with Catalog(settings.catalog_path, readonly=True) as catalog:
        [doc] = catalog.documents()
        assert doc["kind"] == "pdf" and doc["title"] == "Budget (DOJ-000010\u2013DOJ-000012)"
        notes = [json.loads(p["annotations"]) for p in catalog.pages(doc["doc_id"])]
        assert [n["bates"] for n in notes] == ["DOJ-000010", "DOJ-000011", "DOJ-000012"]
        assert json.loads(doc["meta"])["fields"]["CUSTODIAN"] == "Roe, R."


def test_resolve_matches_windows_paths_loosely_and_never_leaves_the_production(
        tmp_path: Path) -> None:
    root = tmp_path / "prod"
    (root / "VOL001" / "Images").mkdir(parents=True)
    image = root / "VOL001" / "Images" / "a.tif"
    image.write_bytes(b"II*\x00")
    load = root / "VOL001" / "x.opt"
    assert loadfiles.resolve("IMAGES\\A.TIF", load, root) == image
    assert loadfiles.resolve("D:\\VOL001\\IMAGES\\a.tif", load, root) == image
    assert loadfiles.resolve("..\\x.opt", load, root) is None
    outside = tmp_path / "secret.tif"
    outside.write_bytes(b"II*\x00")
    (root / "VOL001" / "Images" / "link.tif").symlink_to(outside)
    assert loadfiles.resolve("IMAGES\\link.tif", load, root) is None
    assert loadfiles.resolve(str(outside), load, root) is None


def test_decode_reads_utf16_utf8_and_windows_1252() -> None:
    assert loadfiles.decode("þBEGBATESþ".encode("utf-16")) == "þBEGBATESþ"
    assert loadfiles.decode("\ufeffþaþ".encode()) == "þaþ"
    assert loadfiles.decode("þSeñorþ".encode("cp1252")) == "þSeñorþ"
    assert not loadfiles.is_concordance("GARBAGE,1,2\n")


def test_a_zipped_production_with_load_files_is_bound_too(settings: Settings,
                                                          tmp_path: Path) -> None:
    import shutil

    production = write_production(tmp_path / "PROD005")
    archive = shutil.make_archive(str(tmp_path / "PROD005"), "zip", production)
    report = add_production([Path(archive)], settings, production="Zipped export")
    assert report.failed == [] and len(report.added) == 3
    with Catalog(settings.catalog_path, readonly=True) as catalog:
        assert sorted(d["page_count"] for d in catalog.documents()) == [1, 2, 2]


def test_the_load_file_alone_is_refused_with_what_to_add_instead(settings: Settings,
                                                                 tmp_path: Path) -> None:
    production = write_production(tmp_path / "PROD006")
    opt = production / "VOL001" / "DATA" / "export.opt"
    report = add_production([opt], settings, production="Just the opt")
    [failure] = report.failed
    assert failure.file == str(opt) and "add the production folder" in failure.error


@pytest.mark.ocr
@needs_tesseract
def test_the_reading_room_shows_a_bound_document(added) -> None:  # type: ignore[no-untyped-def]
    from web import create_app

    settings, _ = added
    with Catalog(settings.catalog_path, readonly=True) as catalog:
        email = next(d for d in catalog.documents() if d["parent_doc_id"] is None
                     and "Detainer" in d["title"])
    client = create_app({"ARCHIVE_HOME": str(settings.home), "TESTING": True}).test_client()
    page = client.get(f"/doc/{email['doc_id']}/page/2")
    assert page.status_code == 200 and b"ABC0000002" in page.data
    bound = settings.index_dir / "derived" / f"{email['doc_id']}.pdf"
    bound.unlink()  # derived data: the reading room says how to make it, it never binds it
    with client.get(f"/doc/{email['doc_id']}/page/2/image") as image:
        assert image.status_code == 404 and b"archive reindex" in image.data
    assert not bound.exists()
    assert derived.remake_missing(settings) == (1, [])
    with client.get(f"/doc/{email['doc_id']}/page/2/image") as image:
        assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
    with client.get(f"/doc/{email['doc_id']}/original") as original:
        assert original.mimetype == "application/pdf"
        with pymupdf.open("pdf", original.data) as pdf:
            assert pdf.page_count == 2


def test_a_multipage_tiff_listed_once_or_once_per_page_gets_a_bates_per_page(
        settings: Settings, tmp_path: Path) -> None:
    root = tmp_path / "PROD007"
    (root / "IMAGES").mkdir(parents=True)
    frames = [text_image([f"Frame {n}"], width=425, height=550) for n in (1, 2, 3)]
    for name in ("XYZ000010.tif", "XYZ000020.tif"):
        frames[0].save(root / "IMAGES" / name, save_all=True, append_images=frames[1:],
                       dpi=(50, 50))
    (root / "export.opt").write_text(
        "XYZ000010,VOL1,IMAGES\\XYZ000010.tif,Y,,,3\n"  # one line for a 3-page image
        "XYZ000020,VOL1,IMAGES\\XYZ000020.tif,Y,,,3\n"  # one line per page, same image
        "XYZ000021,VOL1,IMAGES\\XYZ000020.tif,,,,\n"
        "XYZ000022,VOL1,IMAGES\\XYZ000020.tif,,,,\n")
    report = add_production([root], settings, production="Multipage TIFFs")
    assert report.failed == [] and report.warnings == [] and len(report.added) == 2
    with Catalog(settings.catalog_path, readonly=True) as catalog:
        stamps = sorted([json.loads(p["annotations"])["bates"] for p in catalog.pages(d["doc_id"])]
                        for d in catalog.documents())
    assert stamps == [["XYZ000010", "XYZ000011", "XYZ000012"],
                      ["XYZ000020", "XYZ000021", "XYZ000022"]]


@pytest.mark.ocr
@needs_tesseract
def test_archive_show_names_the_page_bates_number(added) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from archive import cli

    settings, _ = added
    with Catalog(settings.catalog_path, readonly=True) as catalog:
        roster = next(d for d in catalog.documents() if d["parent_doc_id"] is not None)
    shown = CliRunner().invoke(cli.cli, ["--home", str(settings.home), "show",
                                         roster["doc_id"], "2"])
    assert shown.exit_code == 0, shown.output
    assert "Bates ABC0000004" in shown.output.splitlines()[3]


def test_a_native_file_is_kept_and_offered_for_download(settings: Settings,
                                                        tmp_path: Path) -> None:
    from web import create_app

    production = write_production(tmp_path / "PROD008")
    (production / "VOL001" / "NATIVES").mkdir()
    (production / "VOL001" / "NATIVES" / "ABC0000005.xlsx").write_bytes(b"PK\x03\x04 sheet")
    rows = [[*row, "NATIVES\\ABC0000005.xlsx" if row[0] == "ABC0000005" else ""]
            for row in ROWS]
    (production / "VOL001" / "DATA" / "export.dat").write_bytes(
        _dat([*FIELDS, "NATIVEPATH"], rows))
    report = add_production([production], settings, production="With natives")
    assert report.failed == [] and len(report.added) == 3  # the native is no 4th document
    with Catalog(settings.catalog_path, readonly=True) as catalog:
        docs = {json.loads(d["meta"])["bates_range"][0]: d["doc_id"]
                for d in catalog.documents()}
    client = create_app({"ARCHIVE_HOME": str(settings.home), "TESTING": True}).test_client()
    with client.get(f"/doc/{docs['ABC0000005']}") as page:
        assert b'class="native"' in page.data and b"ABC0000005.xlsx" in page.data
    with client.get(f"/doc/{docs['ABC0000005']}/native") as native:
        assert native.status_code == 200 and native.data == b"PK\x03\x04 sheet"
        assert "attachment" in native.headers["Content-Disposition"]
    with client.get(f"/doc/{docs['ABC0000001']}/native") as none:
        assert none.status_code == 404


def test_an_oversized_page_image_fails_its_document_naming_the_image(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "home", jobs=1, ocr_mode="never",
                             max_image_pixels=1_000_000)  # the pages are 1275 x 1650
    production = write_production(tmp_path / "PROD009")
    report = add_production([production], settings, production="Huge scans")
    assert len(report.failed) == 3 and report.added == []
    first = min(report.failed, key=lambda f: f.file)  # the email, ABC0000001-ABC0000002
    assert "has a page image, ABC0000001.tif, that is a 1275 x 1650 pixel image, over the " \
           "limit of 1,000,000 pixels" in first.error


def test_a_missing_native_file_is_reported_once_naming_it(settings: Settings,
                                                          tmp_path: Path) -> None:
    root = tmp_path / "PROD010"
    root.mkdir()
    rows = [["DOJ-000010", "DOJ-000012", "", "", "Roe, R.", "", "", "Budget", "2019-04-02",
             "NATIVES\\DOJ-000010.pdf"]]
    (root / "loadfile.dat").write_bytes(_dat([*FIELDS[:-1], "NATIVEPATH"], rows))
    report = add_production([root], settings, production="Natives missing")
    [failure] = report.failed
    assert failure.file.endswith("loadfile.dat (DOJ-000010)")
    assert "names NATIVES\\DOJ-000010.pdf as its native file, but it is not in the " \
           "production folder" in failure.error
