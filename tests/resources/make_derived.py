#!/usr/bin/env python3
"""Rebuild the DERIVED test resources from public-domain files (NTSB, the Supreme Court,
the First Circuit).

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
    DERIVED_rereleased_ntsb_12-rzcommu_1-058.pdf
        scan_ntsb_12-rzcommu_1-058.pdf released again with one more redaction: a PyMuPDF
        redaction annotation over the signature line "Major Investigations Division",
        applied (the image's pixels under it are blanked, a black box is drawn), the page
        image then re-encoded as gray JPEG: what a second release after an appeal looks like.
    DERIVED_page3_ntsb_21-rzcommu_1-056.pdf
        page 3 of scans/ntsb-mu5735/21-rzcommu_1-056.pdf as released (the page copied, its
        JPEG untouched): a short record, two short paragraphs of an email.
    DERIVED_rereleased_page3_ntsb_21-rzcommu_1-056.pdf
        the same page released again: the name under the first signature ("Yanfeng MAO")
        redacted as above, the image re-encoded as gray JPEG.
    DERIVED_scanned_ca1_opinion_20-1507_p7-9.pdf
        pages 7, 8 and 9 of born_digital_ca1_opinion_20-1507.pdf as a scan: each page
        rendered at 200 dpi in black and white (PNG), no text layer.

    DERIVED_pleading_scotus_tarrant-v-herrmann.pdf
        the opening of the syllabus of the US Supreme Court's slip opinion in Tarrant
        Regional Water District v. Herrmann (2013; vector-pdf.pdf of the shared corpus,
        pages 1-2; quotes and dashes made ASCII) typed on pleading paper: 28 lines,
        double-spaced, Times 12, each numbered in the left margin (right-aligned at 1
        inch, beside a double rule), a centred page number and a footer, as court filings
        are printed. The text layer gives each margin number its own line, between the
        words of a sentence.
    DERIVED_page2_scotus_tarrant-v-herrmann.pdf
        page 2 of the same slip opinion alone, as published: numbers in the prose (a
        numbered holding "1.", "(a)", "subject to a 25 percent cap", "Pp. 9-22").
    DERIVED_hybrid_scotus-11-889-p24_ntsb-058.pdf
        four pages built from page 24 (the PDF's 28th) of the same slip opinion and the
        scan of scan_ntsb_12-rzcommu_1-058.pdf:
        1. hybrid: the opinion page as published, with the NTSB scan (its JPEG as
           released) pasted into the empty lower half, as an exhibit is;
        2. short born-digital: the opinion page with all its text but the closing line
           "It is so ordered." removed (PyMuPDF redaction, nothing drawn);
        3. the opinion page as published (born-digital, no image);
        4. the NTSB scan on a whole Letter page under a thin invisible text layer (two
           header lines of the email, typed where they stand), as an agency's poor OCR
           layer is.

Deterministic (no dates, no /ID, fixed JPEG settings). Needs PyMuPDF and Pillow; the
three Supreme Court ones read ../shared/corpus (where they were made from).
Run from anywhere:  python tests/resources/make_derived.py
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


def _scan_pdf(jpeg: bytes | list[bytes], size: tuple[int, int], title: str,
              out: Path) -> Path:
    """A PDF of gray JPEG (or black and white PNG) scans, one filling each page, with
    fixed metadata."""
    doc = pymupdf.open()
    for scan in [jpeg] if isinstance(jpeg, bytes) else jpeg:
        page = doc.new_page(width=size[0], height=size[1])
        xref = page.insert_image(page.rect, stream=scan)
        doc.xref_set_key(xref, "ColorSpace", "/DeviceGray")  # MuPDF would tag it ICC-based
    return _save(doc, title, out)


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


def _redacted(src: pymupdf.Document, page_no: int, boxes: list[tuple[float, float, float, float]],
              title: str, out: Path) -> Path:
    """One page of `src` with redaction annotations over `boxes` (PDF points) applied, its
    image re-encoded as gray JPEG q60, with fixed metadata."""
    doc = pymupdf.open()
    doc.insert_pdf(src, from_page=page_no, to_page=page_no)
    page = doc[0]
    for box in boxes:
        page.add_redact_annot(pymupdf.Rect(box), fill=(0, 0, 0))
    page.apply_redactions(images=pymupdf.PDF_REDACT_IMAGE_PIXELS)  # the pixels are gone
    xref = page.get_images()[0][0]
    pix = pymupdf.Pixmap(doc, xref)
    img = Image.frombytes("RGB" if pix.n >= 3 else "L", (pix.width, pix.height),
                          pix.samples if pix.n in (1, 3) else pymupdf.Pixmap(
                              pymupdf.csRGB, pix).samples).convert("L")
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=60, optimize=True, dpi=(150, 150))
    page.replace_image(xref, stream=buf.getvalue())
    return _save(doc, title, out)


def _save(doc: pymupdf.Document, title: str, out: Path) -> Path:
    """Save with fixed metadata, no dates and no /ID: the same bytes every time."""
    doc.set_metadata({
        "title": title, "author": "", "subject": "", "keywords": "",
        "creator": "tests/resources/make_derived.py", "producer": "PyMuPDF",
        "creationDate": "", "modDate": "",
    })
    doc.save(out, garbage=4, deflate=True, no_new_id=True)
    return out


def rereleased_058() -> Path:
    src = pymupdf.open(HERE / "scan_ntsb_12-rzcommu_1-058.pdf")
    return _redacted(src, 0, [(69, 311, 195, 325)],
                     "DERIVED test file: NTSB 12-rzcommu_1-058 released again, one more "
                     "redaction", HERE / "DERIVED_rereleased_ntsb_12-rzcommu_1-058.pdf")


def page3_056() -> Path:
    src = pymupdf.open(REPO / "scans" / "ntsb-mu5735" / "21-rzcommu_1-056.pdf")
    doc = pymupdf.open()
    doc.insert_pdf(src, from_page=2, to_page=2)
    return _save(doc, "DERIVED test file: NTSB 21-rzcommu_1-056 page 3",
                 HERE / "DERIVED_page3_ntsb_21-rzcommu_1-056.pdf")


def rereleased_page3_056() -> Path:
    src = pymupdf.open(REPO / "scans" / "ntsb-mu5735" / "21-rzcommu_1-056.pdf")
    return _redacted(src, 2, [(70, 183, 142, 198)],
                     "DERIVED test file: NTSB 21-rzcommu_1-056 page 3 released again",
                     HERE / "DERIVED_rereleased_page3_ntsb_21-rzcommu_1-056.pdf")


def scanned_opinion() -> Path:
    """Pages 7-9 of the First Circuit opinion as a copier scans them: rendered at 200 dpi,
    black and white (threshold 160), image only (no text layer), so OCR reads its stamps
    and page numbers."""
    src = pymupdf.open(HERE / "born_digital_ca1_opinion_20-1507.pdf")
    scans = []
    for number in (7, 8, 9):
        pixmap = src[number - 1].get_pixmap(dpi=200, colorspace=pymupdf.csGRAY)
        img = Image.frombytes("L", (pixmap.width, pixmap.height), pixmap.samples)
        buf = io.BytesIO()
        img.point(lambda v: 255 if v > 160 else 0).convert("1").save(
            buf, format="PNG", optimize=True, dpi=(200, 200))
        scans.append(buf.getvalue())
    return _scan_pdf(scans, (612, 792),
                     "DERIVED test file: First Circuit No. 20-1507, pages 7-9 scanned",
                     HERE / "DERIVED_scanned_ca1_opinion_20-1507_p7-9.pdf")


TARRANT = REPO.parent / "shared" / "corpus" / "foia_pdfs" / "gov_born_digital" / "vector-pdf.pdf"
PLEADING_LINES = 28
# The base-14 Times has no curly quotes or dashes: typed as a typewriter would.
_PLAIN = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2019": "'", "\u2014": "--",
                        "\u2013": "-"})


def _syllabus_text() -> str:
    """The syllabus of the slip opinion from "The Red River Compact" on, as one paragraph
    (soft hyphens at line ends joined, the running head of page 2 left out)."""
    src = pymupdf.open(TARRANT)
    first = src[0].get_text()
    second = src[1].get_text()
    text = first[first.index("The Red River Compact"):] + second[second.index("of Reach II"):]
    text = text.replace("\u00ad\n", "").replace("\u00ad", "").translate(_PLAIN)
    return " ".join(text.split())


def pleading() -> Path:
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    words = _syllabus_text().split()
    for number in range(1, PLEADING_LINES + 1):
        baseline = 72 + (number - 1) * 24
        label = str(number)
        page.insert_text((72 - pymupdf.get_text_length(label, "tiro", 12), baseline), label,
                         fontname="tiro", fontsize=12)
        line: list[str] = []
        while words and pymupdf.get_text_length(" ".join([*line, words[0]]), "tiro",
                                                 12) <= 450:
            line.append(words.pop(0))
        page.insert_text((90, baseline), " ".join(line), fontname="tiro", fontsize=12)
    for x in (78, 81):
        page.draw_line((x, 36), (x, 756), width=0.6)
    page.draw_line((558, 36), (558, 756), width=0.6)
    page.insert_text((302, 746), "1", fontname="tiro", fontsize=12)
    page.insert_text((150, 770), "TARRANT REGIONAL WATER DIST. v. HERRMANN - SYLLABUS",
                     fontname="tiro", fontsize=10)
    return _save(doc, "DERIVED test file: Tarrant v. Herrmann syllabus on pleading paper",
                 HERE / "DERIVED_pleading_scotus_tarrant-v-herrmann.pdf")


def page_two() -> Path:
    doc = pymupdf.open()
    doc.insert_pdf(pymupdf.open(TARRANT), from_page=1, to_page=1)
    return _save(doc, "DERIVED test file: Tarrant v. Herrmann slip opinion, page 2",
                 HERE / "DERIVED_page2_scotus_tarrant-v-herrmann.pdf")


OPINION_PAGE = 27  # 0-based: printed page 24, the last page of the opinion of the Court
EXHIBIT_BOX = (155, 372, 456, 762)  # the empty lower half of that page, in points
# Invisible words of the thin layer on page 4: (x, baseline y) in points, text.
THIN_LAYER = [((150, 155), "Subject: RE: Wall Street journal article"),
              ((150, 167), "Date: 2022/05/18 09:29:00")]


def hybrid() -> Path:
    opinion = pymupdf.open(TARRANT)
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
    doc.subset_fonts()
    return _save(doc, "DERIVED test file: hybrid, short, born-digital and thinly-OCR'd pages",
                 HERE / "DERIVED_hybrid_scotus-11-889-p24_ntsb-058.pdf")


if __name__ == "__main__":
    for p in (truncated(), sideways(), white_boxes(), rereleased_058(), page3_056(),
              rereleased_page3_056(), scanned_opinion(), pleading(), page_two(), hybrid()):
        print(f"wrote {p.name} ({p.stat().st_size} bytes)")
