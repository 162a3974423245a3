#!/usr/bin/env python3
"""Build ice-email-2017-03-21.pdf: a RECONSTRUCTED scan of a printed ICE email.

This is NOT an agency record. The one quoted sentence in the body is the text of an
ICE email of 2017-03-21 as quoted in press coverage; everything else (layout, subject,
times, the other sentences, the redaction boxes, the "Bates" stamp) is invented so that
the demo archive has an image-only page on which "sally port" can be searched for.
The page says so in a header and a footer line.

What it does:
  1. lays the email out as a US Letter page with PyMuPDF (built-in Helvetica fonts),
  2. renders it at 200 dpi in grayscale,
  3. degrades it like a copier scan with Pillow: 0.7 degree skew, blur, toner speckle,
     paper dropouts, a dark edge strip, then thresholds it to a bitonal image,
  4. writes a one-page PDF holding only that image (no text layer). The image goes in
     as a bitonal PNG; MuPDF stores it as a 1-bit CCITT G4 (CCITTFaxDecode) DeviceGray
     image, which is also how office copiers store bitonal scans.

Deterministic: fixed random seed, fixed PDF metadata, no dates and no document /ID, so
re-running it gives a byte-identical PDF for the same PyMuPDF/Pillow versions.

Usage:
    python make_reconstruction.py [--out ice-email-2017-03-21.pdf] [--png page.png]

--png also writes the degraded page image (the exact image embedded in the PDF) so that
it can be checked with:  tesseract page.png - --dpi 200 -l eng
Requires only PyMuPDF (`import pymupdf`) and Pillow.
"""

from __future__ import annotations

import argparse
import io
import random
from pathlib import Path

import pymupdf
from PIL import Image, ImageChops, ImageDraw, ImageFilter

SEED = 20170321
DPI = 200
PAGE_W, PAGE_H = 612, 792  # US Letter, points

QUOTE = (
    "Hennepin County Adult Detention Center released an alien out the front door of "
    "the jail as an ICE officer was waiting in their sally port to take him into custody."
)
DISCLAIMER = (
    "RECONSTRUCTION \u2014 not an agency record; text as quoted in press coverage, "
    "layout invented"
)
BATES = "RECON-000001"
REDACTION_LABEL = "(b)(6); (b)(7)(C)"

# PyMuPDF's built-in Helvetica clones (Nimbus Sans), used through pymupdf.Font so that
# the output does not depend on system fonts and non-Latin-1 glyphs (the em dash) work.
BODY_FONT, BOLD_FONT = pymupdf.Font("helv"), pymupdf.Font("hebo")
BODY_SIZE = 11.0
LABEL_SIZE = 9.0
LEFT, RIGHT = 72.0, PAGE_W - 72.0
VALUE_X = LEFT + 78.0  # where header values start (Outlook print layout)


def text(page: pymupdf.Page, pos: tuple[float, float], s: str, font: pymupdf.Font,
         size: float, color: tuple[float, float, float] = (0, 0, 0)) -> None:
    """Write one line of text with its baseline at pos."""
    tw = pymupdf.TextWriter(page.rect)
    tw.append(pos, s, font=font, fontsize=size)
    tw.write_text(page, color=color)


def text_width(s: str, font: pymupdf.Font, size: float) -> float:
    return font.text_length(s, fontsize=size)


def redaction_box(page: pymupdf.Page, x: float, baseline: float, width: float,
                  label: str = REDACTION_LABEL) -> float:
    """Black box over a line of text, exemption label in white on it. Returns box end x."""
    rect = pymupdf.Rect(x, baseline - 10.0, x + width, baseline + 3.0)
    page.draw_rect(rect, color=(0, 0, 0), fill=(0, 0, 0), width=0)
    text(page, (x + 3.0, baseline - 0.6), label, BOLD_FONT, LABEL_SIZE, color=(1, 1, 1))
    return rect.x1


def wrap(s: str, font: pymupdf.Font, size: float, width: float) -> list[str]:
    """Greedy word wrap by measured text width."""
    lines, line = [], ""
    for word in s.split():
        trial = f"{line} {word}".strip()
        if text_width(trial, font, size) <= width:
            line = trial
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def layout() -> pymupdf.Document:
    doc = pymupdf.open()
    page = doc.new_page(width=PAGE_W, height=PAGE_H)

    # Disclaimer header (framed) so nobody mistakes the page for a record.
    text(page, (LEFT, 40), DISCLAIMER, BOLD_FONT, 8.5)
    w = text_width(DISCLAIMER, BOLD_FONT, 8.5)
    page.draw_rect(pymupdf.Rect(LEFT - 4, 30, LEFT + w + 4, 44), color=(0, 0, 0), width=0.8)

    # Outlook print: the mailbox owner's name in bold, then a thick rule.
    y = 84.0
    redaction_box(page, LEFT, y, 150)
    page.draw_line((LEFT, y + 8), (RIGHT, y + 8), color=(0, 0, 0), width=2.2)

    # Header block.
    y += 34.0
    step = 15.5

    def header(label: str, y: float) -> None:
        text(page, (LEFT, y), label, BOLD_FONT, BODY_SIZE)

    header("From:", y)
    redaction_box(page, VALUE_X, y, 132)
    y += step
    header("Sent:", y)
    text(page, (VALUE_X, y), "Tuesday, March 21, 2017 10:47 AM", BODY_FONT, BODY_SIZE)
    y += step
    header("To:", y)
    x = redaction_box(page, VALUE_X, y, 132)
    text(page, (x + 2, y), ";", BODY_FONT, BODY_SIZE)
    redaction_box(page, x + 9, y, 132)
    y += step
    header("Cc:", y)
    redaction_box(page, VALUE_X, y, 132)
    y += step
    header("Subject:", y)
    text(page, (VALUE_X, y), "Hennepin County ADC release", BODY_FONT, BODY_SIZE)

    # Body.
    y += 36.0
    leading = 15.0
    paragraphs = [
        "Good afternoon,",
        QUOTE + " This is provided for your awareness.",
        "Please let me know if you have any questions.",
        "Thank you,",
    ]
    for para in paragraphs:
        for line in wrap(para, BODY_FONT, BODY_SIZE, RIGHT - LEFT):
            text(page, (LEFT, y), line, BODY_FONT, BODY_SIZE)
            y += leading
        y += 9.0

    # Signature block: redacted name and phone.
    y += 4.0
    redaction_box(page, LEFT, y, 120)
    y += leading
    text(page, (LEFT, y), "Enforcement and Removal Operations", BODY_FONT, BODY_SIZE)
    y += leading
    text(page, (LEFT, y), "U.S. Immigration and Customs Enforcement", BODY_FONT, BODY_SIZE)
    y += leading
    redaction_box(page, LEFT, y, 95)

    # Footer: disclaimer again, and a Bates-like stamp at bottom right.
    text(page, (LEFT, PAGE_H - 40), DISCLAIMER, BODY_FONT, 7.5)
    text(page, (RIGHT - text_width(BATES, BOLD_FONT, 10), PAGE_H - 24), BATES, BOLD_FONT, 10)
    return doc


def noise_image(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """Uniform 8-bit noise from a seeded Python RNG (Pillow's effect_noise is unseeded)."""
    return Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))


# Degradation knobs (tuned so that Tesseract still reads "sally port" and
# "Hennepin County" at 200 dpi; see README.md).
SKEW_DEG = 0.7          # clockwise skew of the sheet on the glass
BLUR_OPTICS = 0.8       # Gaussian radius (px) before thresholding: scanner optics
GRAIN_GAIN = 1.5        # paper/toner grain strength
N_SPECKLE = 1500        # dark toner specks
N_DROPOUT = 900         # white paper dropouts
BLUR_FINAL = 0.45       # slight smear before the copier's threshold
THRESHOLD = 140         # gray level above which a pixel turns white


def degrade(clean: Image.Image, rng: random.Random) -> Image.Image:
    """Copier-scan look: skew, blur, grain, speckle, dropouts, edge shadow, threshold."""
    w, h = clean.size
    img = clean.rotate(-SKEW_DEG, resample=Image.Resampling.BICUBIC, expand=False,
                       fillcolor=255)
    img = img.filter(ImageFilter.GaussianBlur(radius=BLUR_OPTICS))

    # Gray paper/toner variation: mid-frequency noise, lightly blurred.
    grain = noise_image(rng, (w, h)).filter(ImageFilter.GaussianBlur(radius=1.2))
    grain = grain.point(lambda v: int(max(0, v - 118) * GRAIN_GAIN))
    img = ImageChops.subtract(img, grain)

    draw = ImageDraw.Draw(img)
    # Toner speckle: small dark dots, denser towards the left edge (lid shadow).
    for _ in range(N_SPECKLE):
        x = int(w * (rng.random() ** 1.6))
        y = rng.randrange(h)
        r = rng.choice((0, 0, 0, 1, 1, 2))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=rng.randrange(20, 110))
    # Paper dropouts: white specks (they also punch holes in the black boxes).
    for _ in range(N_DROPOUT):
        x, y, r = rng.randrange(w), rng.randrange(h), rng.choice((0, 0, 1))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    # A couple of faint horizontal streaks from a dirty drum.
    for _ in range(2):
        y = rng.randrange(h // 5, h - h // 5)
        draw.line((0, y, w, y + rng.randrange(-3, 4)), fill=170, width=1)
    # Dark strip along the left edge, ragged.
    for y in range(0, h, 4):
        draw.rectangle((0, y, 10 + rng.randrange(0, 14), y + 3), fill=rng.randrange(0, 60))

    img = img.filter(ImageFilter.GaussianBlur(radius=BLUR_FINAL))
    # Copier threshold: bitonal.
    return img.point(lambda v: 255 if v > THRESHOLD else 0).convert(
        "1", dither=Image.Dither.NONE)


def build(out: Path, png: Path | None = None) -> None:
    rng = random.Random(SEED)
    src = layout()
    pix = src[0].get_pixmap(dpi=DPI, colorspace=pymupdf.csGRAY, alpha=False)
    clean = Image.frombytes("L", (pix.width, pix.height), pix.samples)
    scan = degrade(clean, rng)

    buf = io.BytesIO()
    scan.save(buf, format="PNG", optimize=True, dpi=(DPI, DPI))
    data = buf.getvalue()
    if png is not None:
        png.write_bytes(data)

    doc = pymupdf.open()
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    xref = page.insert_image(page.rect, stream=data)
    # MuPDF tags the image with an ICC-based gray space; copier scans use DeviceGray.
    doc.xref_set_key(xref, "ColorSpace", "/DeviceGray")
    doc.set_metadata({
        "title": "RECONSTRUCTION (not an agency record): ICE email of 2017-03-21",
        "author": "",
        "subject": "Demo page: text as quoted in press coverage, layout invented",
        "keywords": "reconstruction; not an agency record",
        "creator": "scans/reconstructed-ice-email/make_reconstruction.py",
        "producer": "PyMuPDF",
        # No creation/modification dates: keeps the file byte-reproducible, and a
        # date here could be mistaken for the date of the (reconstructed) email.
        "creationDate": "",
        "modDate": "",
    })
    doc.save(out, garbage=4, deflate=True, no_new_id=True)


def main() -> None:
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=here / "ice-email-2017-03-21.pdf")
    ap.add_argument("--png", type=Path, default=None,
                    help="also write the embedded page image here (for OCR checks)")
    args = ap.parse_args()
    build(args.out, args.png)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
