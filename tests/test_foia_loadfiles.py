"""Concordance .dat and Opticon .opt load files of a small synthetic production."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from archive.foia import bates
from archive.formats import loadfiles

OPT = """ABC0000001,VOL001,IMAGES\\0001\\ABC0000001.tif,Y,,,2
ABC0000002,VOL001,IMAGES\\0001\\ABC0000002.tif,,,,
ABC0000003,VOL001,IMAGES\\0001\\ABC0000003.png,Y,,,1
"""
S, Q = loadfiles.FIELD_SEP, loadfiles.QUOTE
DAT = (f"\ufeff{Q}BEGBATES{Q}{S}{Q}ENDBATES{Q}{S}{Q}SUBJECT{Q}{S}{Q}DATESENT{Q}\r\n"
       f"{Q}ABC0000001{Q}{S}{Q}ABC0000002{Q}{S}{Q}Detainer; two lines\nof subject{Q}{S}"
       f"{Q}03/21/2017{Q}\r\n"
       f"{Q}ABC0000003{Q}{S}{Q}ABC0000003{Q}{S}{Q}{Q}{S}{Q}{Q}\r\n")


def test_opt_and_dat_give_documents_with_bates_per_page(tmp_path: Path) -> None:
    folder = tmp_path / "prod" / "IMAGES" / "0001"
    folder.mkdir(parents=True)
    for name in ("ABC0000001.tif", "ABC0000002.tif", "ABC0000003.png"):
        Image.new("L", (85, 110), 255).save(folder / name)
    opt_file = tmp_path / "prod" / "export.opt"
    opt_file.write_text(OPT)
    pages = loadfiles.read_opt(opt_file.read_text())
    dat = loadfiles.read_dat(DAT)
    assert dat[0]["SUBJECT"] == "Detainer; two lines\nof subject"
    docs = loadfiles.documents(pages, dat)
    assert [d.begin for d in docs] == ["ABC0000001", "ABC0000003"]
    assert [[p.bates for p in d.pages] for d in docs] == [["ABC0000001", "ABC0000002"],
                                                          ["ABC0000003"]]
    assert docs[0].pages[0].pages == 2 and docs[0].fields["DATESENT"] == "03/21/2017"
    assert docs[1].fields["ENDBATES"] == "ABC0000003"
    image = loadfiles.resolve(docs[0].pages[1].image, opt_file, tmp_path / "prod")
    assert image == folder / "ABC0000002.tif" and image.exists()
    # the load file's numbers compare with detected ones through the same key
    found = bates.parse(docs[0].pages[1].bates)
    assert found is not None and found.key == bates.normalize("abc-0000002")


def test_empty_and_headerless_files() -> None:
    assert loadfiles.read_opt("\n\n") == []
    assert loadfiles.read_dat("") == []
    assert loadfiles.documents([]) == []
