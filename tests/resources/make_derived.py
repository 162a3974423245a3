#!/usr/bin/env python3
"""Rebuild the two DERIVED test resources from public-domain NTSB files in this repo.

    DERIVED_truncated60_ntsb_12-rzcommu_1-058.pdf
        the first 60 % of the bytes (floor) of scan_ntsb_12-rzcommu_1-058.pdf:
        an interrupted download (no xref, no trailer, cut inside the page image).
    DERIVED_sideways_ntsb_01-rzcommu_1-019.pdf
        page 1 of scans/ntsb-mu5735/01-rzcommu_1-019.pdf with its scan image turned
        90 degrees clockwise in the pixels (text runs top to bottom) on a landscape
        page, and NO /Rotate: like a sheet fed sideways through the scanner. Only
        orientation detection (e.g. Tesseract OSD) can put it upright.

Deterministic (no dates, no /ID, fixed JPEG settings). Needs PyMuPDF and Pillow.
Run from anywhere:  python tests/resources/make_derived.py
"""

from __future__ import annotations

import io
from pathlib import Path

import pymupdf
from PIL import Image

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def truncated() -> Path:
    src = (HERE / "scan_ntsb_12-rzcommu_1-058.pdf").read_bytes()
    out = HERE / "DERIVED_truncated60_ntsb_12-rzcommu_1-058.pdf"
    out.write_bytes(src[: len(src) * 60 // 100])
    return out


def sideways() -> Path:
    src = pymupdf.open(REPO / "scans" / "ntsb-mu5735" / "01-rzcommu_1-019.pdf")
    xref = src[0].get_images()[0][0]
    img = Image.open(io.BytesIO(src.extract_image(xref)["image"]))
    img = img.convert("L").transpose(Image.Transpose.ROTATE_270)  # 90 deg clockwise
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=50, optimize=True, dpi=(150, 150))

    doc = pymupdf.open()
    page = doc.new_page(width=792, height=612)  # landscape Letter, no /Rotate
    xref = page.insert_image(page.rect, stream=buf.getvalue())
    doc.xref_set_key(xref, "ColorSpace", "/DeviceGray")  # MuPDF would tag it ICC-based
    doc.set_metadata({
        "title": "DERIVED test file: NTSB 01-rzcommu_1-019 page 1 scanned sideways",
        "author": "", "subject": "", "keywords": "",
        "creator": "tests/resources/make_derived.py", "producer": "PyMuPDF",
        "creationDate": "", "modDate": "",
    })
    out = HERE / "DERIVED_sideways_ntsb_01-rzcommu_1-019.pdf"
    doc.save(out, garbage=4, deflate=True, no_new_id=True)
    return out


if __name__ == "__main__":
    for p in (truncated(), sideways()):
        print(f"wrote {p.name} ({p.stat().st_size} bytes)")
