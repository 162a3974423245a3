#!/usr/bin/env python3
"""Rebuild the three DERIVED test resources from public-domain NTSB files in this repo.

    DERIVED_truncated60_ntsb_12-rzcommu_1-058.pdf
        the first 60 % of the bytes (floor) of scan_ntsb_12-rzcommu_1-058.pdf:
        an interrupted download (no xref, no trailer, cut inside the page image).
    DERIVED_sideways_ntsb_01-rzcommu_1-019.pdf
        page 1 of scans/ntsb-mu5735/01-rzcommu_1-019.pdf with its scan image turned
        90 degrees clockwise in the pixels (text runs top to bottom) on a landscape
        page, and NO /Rotate: like a sheet fed sideways through the scanner. Only
        orientation detection (e.g. Tesseract OSD) can put it upright.
    DERIVED_whiteboxes_ntsb_12-rzcommu_1-058.pdf
        scan_ntsb_12-rzcommu_1-058.pdf with each of its six black redaction boxes turned
        into a white box with a thin dark border: the pixels inside each box are inverted
        (so its white "(b)(6)" label becomes black on white) and a 2-pixel border is drawn
        on the box's edge, as agencies that redact with outlined white boxes do.

    DERIVED_hybrid_scotus-11-889-p24_ntsb-058.pdf
        four pages built from page 24 (the PDF's 28th) of the Supreme Court's slip opinion
        in Tarrant Regional Water Dist. v. Herrmann, No. 11-889 (../shared/corpus
        foia_pdfs/gov_born_digital/vector-pdf.pdf) and the scan of
        scan_ntsb_12-rzcommu_1-058.pdf:
        1. hybrid: the opinion page as published, with the NTSB scan (its JPEG as
           released) pasted into the empty lower half, as an exhibit is;
        2. short born-digital: the opinion page with all its text but the closing line
           "It is so ordered." removed (PyMuPDF redaction, nothing drawn);
        3. the opinion page as published (born-digital, no image);
        4. the NTSB scan on a whole Letter page under a thin invisible text layer (two
           header lines of the email, typed where they stand), as an agency's poor OCR
           layer is.

Deterministic (no dates, no /ID, fixed JPEG settings). Needs PyMuPDF and Pillow, and
../shared/corpus for the hybrid file. Run from anywhere:  python tests/resources/make_derived.py
"""

from __future__ import annotations

import io
from pathlib import Path

import pymupdf
from PIL import Image, ImageDraw, ImageOps

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

    return _scan_pdf(buf.getvalue(), (792, 612),  # landscape Letter, no /Rotate
                     "DERIVED test file: NTSB 01-rzcommu_1-019 page 1 scanned sideways",
                     HERE / "DERIVED_sideways_ntsb_01-rzcommu_1-019.pdf")


def _scan_pdf(jpeg: bytes, size: tuple[int, int], title: str, out: Path) -> Path:
    """A one-page PDF of a gray JPEG scan filling the page, with fixed metadata."""
    doc = pymupdf.open()
    page = doc.new_page(width=size[0], height=size[1])
    xref = page.insert_image(page.rect, stream=jpeg)
    doc.xref_set_key(xref, "ColorSpace", "/DeviceGray")  # MuPDF would tag it ICC-based
    doc.set_metadata({
        "title": title, "author": "", "subject": "", "keywords": "",
        "creator": "tests/resources/make_derived.py", "producer": "PyMuPDF",
        "creationDate": "", "modDate": "",
    })
    doc.save(out, garbage=4, deflate=True, no_new_id=True)
    return out


# The six black boxes of scan_ntsb_12-rzcommu_1-058.pdf, in pixels of its 150-dpi image
# (x0, y0, x1, y1, exclusive), measured as the rows and columns more than half dark.
NTSB_058_BOXES = [(399, 207, 557, 229), (399, 240, 561, 262), (434, 479, 871, 511),
                  (147, 719, 299, 746), (146, 748, 350, 768), (145, 947, 1191, 1498)]


def white_boxes() -> Path:
    src = pymupdf.open(HERE / "scan_ntsb_12-rzcommu_1-058.pdf")
    xref = src[0].get_images()[0][0]
    img = Image.open(io.BytesIO(src.extract_image(xref)["image"])).convert("L")
    draw = ImageDraw.Draw(img)
    for x0, y0, x1, y1 in NTSB_058_BOXES:
        img.paste(ImageOps.invert(img.crop((x0, y0, x1, y1))), (x0, y0))
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), outline=40, width=2)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=60, optimize=True, dpi=(150, 150))

    return _scan_pdf(buf.getvalue(), (612, 792),
                     "DERIVED test file: NTSB 12-rzcommu_1-058 with white redaction boxes",
                     HERE / "DERIVED_whiteboxes_ntsb_12-rzcommu_1-058.pdf")


SCOTUS_OPINION = REPO.parent / "shared" / "corpus" / "foia_pdfs" / "gov_born_digital" / \
    "vector-pdf.pdf"
OPINION_PAGE = 27  # 0-based: printed page 24, the last page of the opinion of the Court
EXHIBIT_BOX = (155, 372, 456, 762)  # the empty lower half of that page, in points
# Invisible words of the thin layer on page 4: (x, baseline y) in points, text.
THIN_LAYER = [((150, 155), "Subject: RE: Wall Street journal article"),
              ((150, 167), "Date: 2022/05/18 09:29:00")]


def hybrid() -> Path:
    opinion = pymupdf.open(SCOTUS_OPINION)
    scan = pymupdf.open(HERE / "scan_ntsb_12-rzcommu_1-058.pdf")
    jpeg = scan.extract_image(scan[0].get_images()[0][0])["image"]
    doc = pymupdf.open()
    for _ in range(3):
        doc.insert_pdf(opinion, from_page=OPINION_PAGE, to_page=OPINION_PAGE)
    doc[0].insert_image(pymupdf.Rect(EXHIBIT_BOX), stream=jpeg)
    short = doc[1]
    keep = short.search_for("It is so ordered.")[0]
    short.add_redact_annot(pymupdf.Rect(0, 0, short.rect.width, keep.y0 - 1), fill=False)
    short.apply_redactions(images=pymupdf.PDF_REDACT_IMAGE_NONE,
                           graphics=pymupdf.PDF_REDACT_LINE_ART_NONE)
    page = doc.new_page(width=612, height=792)
    page.insert_image(page.rect, stream=jpeg)
    for (x, y), line in THIN_LAYER:
        page.insert_text((x, y), line, fontsize=8, render_mode=3)  # 3: invisible
    doc.set_metadata({
        "title": "DERIVED test file: hybrid, short, born-digital and thinly-OCR'd pages",
        "author": "", "subject": "", "keywords": "",
        "creator": "tests/resources/make_derived.py", "producer": "PyMuPDF",
        "creationDate": "", "modDate": "",
    })
    out = HERE / "DERIVED_hybrid_scotus-11-889-p24_ntsb-058.pdf"
    doc.subset_fonts()
    doc.save(out, garbage=4, deflate=True, no_new_id=True)
    return out


if __name__ == "__main__":
    for p in (truncated(), sideways(), white_boxes(), hybrid()):
        print(f"wrote {p.name} ({p.stat().st_size} bytes)")
