"""PyMuPDF only: open PDFs and images, read text layers and word boxes, render pages.

PyMuPDF numbers pages from 0; everything this module returns is 1-based.
"""

from __future__ import annotations

import contextlib
import html
import io
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pymupdf
from PIL import Image, ImageChops

from archive.config import Settings
from archive.errors import DamagedDocumentError, EncryptedDocumentError, TooLargeError
from archive.models import DocumentProbe, Picture, TextBlock, Word

pymupdf.TOOLS.mupdf_display_errors(False)
pymupdf.TOOLS.mupdf_display_warnings(False)

# Text-layer quality: characters that say "this font had no Unicode mapping".
_BAD_CHARS = re.compile(r"[\ufffd\ue000-\uf8ff\x00-\x08\x0b\x0c\x0e-\x1f]")
_WORDLIKE = re.compile(r"^[A-Za-z][a-z]{1,}$|^[A-Z]{2,}$|^\d[\d,.:/-]*$")
_LETTERS = re.compile(r"[^\W\d_]{2,}")  # two letters in a row, in any script
_LAST = float("inf")  # the box of words in no block: they come last in reading order

MUPDF_ERRORS: tuple[type[Exception], ...] = (pymupdf.mupdf.FzErrorBase,)
"""What MuPDF raises from deep inside a document ("cycle in page tree"). These hold a C++
object that cannot be sent between processes: a worker reports them as damage instead."""
_MUPDF_CODE = re.compile(r"^code=\d+: ")
# What opening a page of a damaged PDF raises (PyMuPDF turns some MuPDF errors into these).
_PAGE_ERRORS: tuple[type[Exception], ...] = (*MUPDF_ERRORS, RuntimeError, ValueError)


def open_document(path: Path, kind: str, settings: Settings) -> pymupdf.Document:
    """Open a PDF or image read-only, refusing encrypted, damaged or oversized files.

    Raises:
        EncryptedDocumentError, DamagedDocumentError, TooLargeError.
    """
    try:
        doc = pymupdf.open(path, filetype="pdf" if kind == "pdf" else None)
    except (pymupdf.FileDataError, RuntimeError, ValueError) as exc:
        reason = _first_line(exc)
        if "Failed to open file" in reason:
            reason = "MuPDF cannot make sense of it"
        raise DamagedDocumentError(
            f"is a damaged {'PDF' if kind == 'pdf' else 'image'} ({reason}); "
            "ask the agency for a new copy"
        ) from exc
    if doc.needs_pass and not doc.authenticate(""):
        doc.close()
        raise EncryptedDocumentError(
            "is password-protected; ask the agency for an unencrypted copy, or decrypt it "
            "with `qpdf --password=PASSWORD --decrypt in.pdf out.pdf` and add the result"
        )
    if doc.page_count == 0:
        doc.close()
        if kind == "pdf" and not _has_eof_marker(path):
            raise DamagedDocumentError(
                "is truncated (it ends without an end-of-file marker and no page can be read); "
                "download it again or ask the agency for a complete copy"
            )
        raise DamagedDocumentError(
            "is damaged: no page can be read; ask the agency for a new copy"
        )
    if doc.page_count > settings.max_pages:
        doc.close()
        raise TooLargeError(
            f"has {doc.page_count} pages, over the limit of {settings.max_pages}; "
            "raise ARCHIVE_MAX_PAGES to add it"
        )
    return doc


def probe(path: Path, kind: str, settings: Settings) -> DocumentProbe:
    """Open a file and check it is whole; return its page count and warnings.

    A truncated PDF often opens "successfully" after MuPDF repairs it, with its last pages
    empty: a repaired file without an end-of-file marker whose pages have no content is
    refused as damaged rather than stored as an empty document.
    """
    doc = open_document(path, kind, settings)
    try:
        _check_page_tree(doc)
        warnings: list[str] = []
        meta = {k: v for k, v in (doc.metadata or {}).items() if v}
        truncated = kind == "pdf" and not _has_eof_marker(path)
        if kind == "pdf" and (doc.is_repaired or truncated):
            empty = [i + 1 for i in range(doc.page_count) if _page_is_blank(doc, i)]
            if truncated and (empty or doc.page_count == 1):
                raise DamagedDocumentError(
                    "is truncated (no end-of-file marker, "
                    f"{len(empty)} of {doc.page_count} pages empty); "
                    "download it again or ask the agency for a complete copy"
                )
            if empty and len(empty) == doc.page_count:
                raise DamagedDocumentError(
                    "is damaged: MuPDF had to repair it and no page has content; "
                    "ask the agency for a new copy"
                )
            warnings.append(
                "may be truncated (no end-of-file marker); its pages were kept, but check them "
                "against a fresh download" if truncated else
                "damaged PDF repaired on opening; check its pages against the original")
        return DocumentProbe(page_count=doc.page_count, warnings=warnings, meta=meta)
    finally:
        doc.close()


def _check_page_tree(doc: pymupdf.Document) -> None:
    """Refuse a PDF none of whose pages can be found: its page tree is broken (a /Pages
    node that lists itself among its kids, say). A page that alone cannot be found fails
    when it is read; the others are added.

    Raises:
        DamagedDocumentError: saying what MuPDF found.
    """
    if not doc.is_pdf:
        return
    reason = ""
    for number in range(doc.page_count):
        try:
            doc.load_page(number)  # walks the page tree to the page, as reading it will
            return
        except _PAGE_ERRORS as exc:
            reason = reason or mupdf_reason(exc)
    raise DamagedDocumentError(
        f"is damaged: none of the {doc.page_count} page(s) it lists can be opened "
        f"({reason}); ask the agency for a new copy"
    )


def mupdf_reason(exc: BaseException) -> str:
    """MuPDF's own words for an error ("cycle in page tree"), without its error code."""
    said = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
    lines = _MUPDF_CODE.sub("", said.strip()).splitlines()
    return lines[0] if lines else type(exc).__name__



_PDF_SYNTAX = re.compile(rb"\b(obj|endobj|xref|trailer|startxref|stream)\b")


def _has_eof_marker(path: Path) -> bool:
    """Whether the file ends with an end-of-file marker and nothing after it but whitespace.

    A download cut inside an incremental update still holds the previous update's %%EOF;
    PDF syntax after the last marker gives it away.
    """
    with path.open("rb") as fh:
        fh.seek(0, io.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - 2048))
        tail = fh.read()
    at = tail.rfind(b"%%EOF")
    return at >= 0 and not _PDF_SYNTAX.search(tail[at + 5:])


def _page_is_blank(doc: pymupdf.Document, number: int) -> bool:
    """Whether a page (0-based) shows nothing; one that cannot be opened counts as blank."""
    try:
        page = doc.load_page(number)
        has_images = bool(page.get_images())
        contents = page.read_contents()
    except _PAGE_ERRORS:
        return True
    return not has_images and not contents.strip()


def page_size(page: pymupdf.Page, settings: Settings) -> tuple[float, float]:
    """The page's displayed width and height in points, refusing absurd sizes."""
    rect = page.rect
    limit = settings.max_page_inches * 72
    if rect.width > limit or rect.height > limit or rect.width < 1 or rect.height < 1:
        raise TooLargeError(
            f"page {page.number + 1} measures {rect.width / 72:.0f} x {rect.height / 72:.0f} "
            f"inches, outside the sane range; raise ARCHIVE_MAX_PAGE_INCHES to read it"
        )
    return rect.width, rect.height


def text_layer(page: pymupdf.Page) -> tuple[str, list[Word]]:
    """The page's own text and its words in reading order, boxes in displayed-page points.

    Text blocks are read top to bottom, then left to right, as the page is displayed; lines
    and words within a block in their own order. One text extraction serves both, and the
    ordering is done here: PyMuPDF's `sort=True` spent ~70 ms of a born-digital page's
    ~85 ms merging rectangles in Python.
    """
    text, words, _ = join_blocks(text_blocks(page))
    return text, words


def text_blocks(page: pymupdf.Page) -> list[TextBlock]:
    """The text layer's blocks in reading order (see `text_layer`), each with its words."""
    textpage = page.get_textpage()
    matrix = page.rotation_matrix
    turned = page.rotation % 360 != 0
    blocks = [b for b in page.get_text("blocks", textpage=textpage) if b[6] == 0]
    shown = {b[5]: _displayed(matrix, b[:4]) if turned else b[:4] for b in blocks}
    ranked = sorted(shown, key=lambda n: reading_key(shown[n]))
    grouped: dict[int, list[Word]] = {n: [] for n in ranked}
    stray: list[Word] = []  # words MuPDF put in no text block: kept, after the others
    for x0, y0, x1, y1, word, number, *_ in sorted(
            page.get_text("words", textpage=textpage), key=lambda w: (w[5], w[6], w[7])):
        box = _displayed(matrix, (x0, y0, x1, y1)) if turned else (x0, y0, x1, y1)
        grouped.get(number, stray).append([round(box[0], 2), round(box[1], 2),
                                           round(box[2], 2), round(box[3], 2), word])
    by_number = {b[5]: b[4] for b in blocks}
    ordered = [TextBlock(tuple(shown[n]), by_number[n], grouped[n]) for n in ranked]
    if stray:
        ordered.append(TextBlock((_LAST,) * 4, "", stray))
    return ordered


def reading_key(box: tuple[float, ...]) -> tuple[float, float]:
    """Where a block of the displayed page comes in reading order: top, then left."""
    return round(box[1], 1), box[0]


def join_blocks(blocks: list[TextBlock]) -> tuple[str, list[Word], list[tuple[int, int, int, int]]]:
    """The text and words of blocks in the order given, and where each block landed:
    (first character, end character, first word, end word) in the joined text and words."""
    parts: list[str] = []
    words: list[Word] = []
    spans: list[tuple[int, int, int, int]] = []
    at = 0
    for block in blocks:
        text = block.text if not block.text or block.text.endswith("\n") else block.text + "\n"
        spans.append((at, at + len(text), len(words), len(words) + len(block.words)))
        parts.append(text)
        words.extend(block.words)
        at += len(text)
    return "".join(parts), words, spans


def _displayed(matrix: pymupdf.Matrix, box: tuple[float, ...]) -> tuple[float, ...]:
    """A box of the unrotated page in displayed-page points (plain arithmetic: PyMuPDF's
    Rect operations are slow in bulk)."""
    x0, y0, x1, y1 = box[:4]
    xs = (matrix.a * x0 + matrix.c * y0 + matrix.e, matrix.a * x1 + matrix.c * y1 + matrix.e)
    ys = (matrix.b * x0 + matrix.d * y0 + matrix.f, matrix.b * x1 + matrix.d * y1 + matrix.f)
    return min(xs), min(ys), max(xs), max(ys)


# Content-stream operators that paint something other than text: paths (`re`, fills, strokes
# with fill), shadings, XObjects (images, forms) and inline images.
_PAINTS = re.compile(rb"(?:re|f\*?|F|B\*?|b\*?|sh|Do|BI)(?=[\s\[/(<]|$)")
_BLOCK_GLYPHS = re.compile("[\u2580-\u259f\u25a0\u25ac\u25ae]")  # █ ■ ▬ ▮: "redacted" text


def may_show_boxes(page: pymupdf.Page, text: str) -> bool:
    """Whether a page with a text layer can show a redaction box: it draws a path, an image
    or a form, has an annotation, or prints block characters (`█████`). A page of plain
    text cannot, and need not be rendered to look (a born-digital page: ~6 of its ~14 ms).
    """
    if not page.parent.is_pdf:
        return True  # an image file is all picture
    if page.first_annot is not None or _BLOCK_GLYPHS.search(text):
        return True
    return _operator(_PAINTS, page.read_contents())


def _operator(pattern: re.Pattern[bytes], contents: bytes) -> bool:
    """Whether the content stream holds one of the operators `pattern` finds, standing
    alone (after whitespace or a delimiter). Checked here rather than by a look-behind in
    the pattern: that made the search scan byte by byte (6 ms on a 140 KB stream, 0.4 now)."""
    for found in pattern.finditer(contents):
        at = found.start()
        if at == 0 or contents[at - 1] in _BEFORE_OPERATOR:
            return True
    return False


_BEFORE_OPERATOR = frozenset(b" \t\r\n\f\x0b\x00])>")


# Content-stream operators that paint an image, or a form that may hold one.
_PAINTS_IMAGE = re.compile(rb"(?:Do|BI)(?=[\s\[/(<]|$)")

MIN_PICTURE_INCHES = 1.0
"""Square inches a picture needs to hold lines of text: smaller ones (a seal, a logo, an
icon) are neither read alone nor make a page of a few words a scan."""

TEXT_PER_SQUARE_INCH = 3.0
"""Below this many text-layer characters per square inch of picture, the picture's words
are not in the text layer: a typed page has ~200; agencies' OCR layers measured 6.9-16,
garbage layers 0.07-1.7 (../shared/corpus survey)."""


def paints_images(page: pymupdf.Page) -> bool:
    """Whether the page may paint an image: a look at its content stream for the operators
    that do, and for annotations (a signature stamped as one); an image file is all
    picture. A page of plain text answers in microseconds."""
    if not page.parent.is_pdf or page.first_annot is not None:
        return True
    return _operator(_PAINTS_IMAGE, page.read_contents())


def pictures(page: pymupdf.Page) -> list[Picture]:
    """The images the page paints, overlapping ones merged, in displayed-page points, with
    their resolution; none without rendering or listing anything when the content stream
    paints no image (a born-digital page)."""
    if not paints_images(page):
        return []
    matrix = page.rotation_matrix
    unrotated = pymupdf.Rect(0, 0, page.cropbox.width, page.cropbox.height)
    found: list[Picture] = []
    for info in page.get_image_info():
        whole = pymupdf.Rect(info["bbox"])
        bbox = whole & unrotated
        if bbox.is_empty or not info.get("width") or not info.get("height"):
            continue
        box = _displayed(matrix, tuple(bbox))
        long_side = max(box[2] - box[0], box[3] - box[1])
        found.append(Picture((box[0], box[1], box[2], box[3]),
                             max(info["width"], info["height"]) / long_side,
                             _grid(info, matrix) if bbox == whole else None))
    return merge_pictures(found)


def _grid(info: dict[str, Any], matrix: pymupdf.Matrix) -> tuple[int, int] | None:
    """An image's pixels (across, down) on the displayed page, when it is painted straight
    or turned by a quarter; None when skewed."""
    shown = pymupdf.Matrix(info["transform"]) * matrix
    width, height = int(info["width"]), int(info["height"])
    if abs(shown.b) < 1e-6 and abs(shown.c) < 1e-6:
        return width, height
    if abs(shown.a) < 1e-6 and abs(shown.d) < 1e-6:
        return height, width
    return None


def merge_pictures(found: list[Picture], gap: float = 2.0) -> list[Picture]:
    """Pictures that overlap or touch (within `gap` points) become one: the strips a scanner
    driver tiles a page into, a logo on a background."""
    merged = list(found)
    changed = True
    while changed:
        changed = False
        for i, one in enumerate(merged):
            for j in range(i + 1, len(merged)):
                other = merged[j]
                a, b = one.box, other.box
                if a[0] - gap <= b[2] and b[0] - gap <= a[2] and \
                        a[1] - gap <= b[3] and b[1] - gap <= a[3]:
                    merged[i] = Picture((min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]),
                                         max(a[3], b[3])),
                                        max(one.pixels_per_point, other.pixels_per_point))
                    del merged[j]
                    changed = True
                    break
            if changed:
                break
    return merged


def image_coverage(page: pymupdf.Page, found: list[Picture] | None = None) -> float:
    """Fraction of the page covered by images (0..1)."""
    area = abs(page.rect)
    if area <= 0:
        return 0.0
    found = pictures(page) if found is None else found
    return min(1.0, sum(p.area for p in found) / area)


def needs_ocr(page: pymupdf.Page, text: str, words: list[Word], min_chars: int,
              found: list[Picture] | None = None) -> bool:
    """Whether the whole page must be read by OCR: its text layer is missing, garbage, or
    too thin for the scan it lies on.

    Agencies attach bad OCR layers: a full-page scan with a few dozen characters, or text in
    fonts without a Unicode mapping. Either way the page is read again with OCR. A page that
    paints no image is not, unless its text is garbage: its text layer, however short, is
    all its text (a cover sheet, "It is so ordered.", a line of Arabic), and OCR could only
    read it worse. `found`: `pictures(page)`, when the caller has them.
    """
    stripped = "".join(text.split())
    if not stripped:  # nothing to keep: read what it paints (a scan, text drawn as outlines)
        return not page.parent.is_pdf or _operator(_PAINTS, page.read_contents())
    bad = len(_BAD_CHARS.findall(stripped)) / len(stripped)
    if bad > 0.1:
        return True
    tokens = [w[4].strip(".,;:()[]\"'") for w in words]
    tokens = [t for t in tokens if t]
    if len(tokens) >= 20:
        wordlike = sum(1 for t in tokens if _WORDLIKE.match(t)) / len(tokens)
        if wordlike < 0.3:
            return True
    found = pictures(page) if found is None else found
    if not found:  # its text is all there is, unless no word of it has letters (no mapping)
        return not any(_LETTERS.search(t) for t in tokens)
    if len(stripped) < min_chars:  # a scan, unless its only pictures are a seal or a logo
        return any(p.area >= MIN_PICTURE_INCHES * 72 * 72 for p in found)
    coverage = image_coverage(page, found)
    if coverage > 0.5:
        inches = abs(page.rect) / 72 / 72 * coverage
        if len(stripped) / max(inches, 1.0) < TEXT_PER_SQUARE_INCH and \
                chars_outside(words, found) < min_chars:
            return True
    return False


def chars_outside(words: list[Word], found: list[Picture]) -> int:
    """Text-layer characters whose words lie outside every picture (their centre does)."""
    return sum(len(str(w[4])) for w in words if not any(inside(w, p.box) for p in found))


def inside(word: Word, box: tuple[float, ...]) -> bool:
    """Whether a word's centre lies in a box (points)."""
    x, y = (word[0] + word[2]) / 2, (word[1] + word[3]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def ocr_resolution(page: pymupdf.Page, kind: str, target_dpi: int,
                   upsample_below: int = 150) -> tuple[float, float]:
    """(render dpi in page points, true dpi of that rendering) for reading a page with OCR.

    Scans are rendered at their native resolution; scans coarser than `upsample_below` are
    upsampled to `target_dpi` (measured: a 96-dpi page went from 95.5 to 100 % of words, while
    upsampling 180-235 dpi scans cost up to 11 points). An image file without resolution metadata
    is taken by MuPDF at 96 dpi, which makes a 300-dpi letter scan a 26-inch page; its true
    resolution is estimated from a letter-size page instead, and told to tesseract.
    """
    images = [i for i in page.get_image_info() if i.get("width") and i.get("bbox")]
    if not images:
        return float(target_dpi), float(target_dpi)
    largest = max(images, key=lambda i: abs(pymupdf.Rect(i["bbox"])))
    bbox = pymupdf.Rect(largest["bbox"])
    if bbox.width <= 0 or bbox.height <= 0:
        return float(target_dpi), float(target_dpi)
    px_per_pt = max(largest["width"], largest["height"]) / max(bbox.width, bbox.height)
    true_dpi = 72.0 * px_per_pt
    inches = max(page.rect.width, page.rect.height) / 72
    if kind == "image" and inches > 14.5:  # no (or bogus) resolution metadata
        true_dpi = max(largest["width"], largest["height"]) / 11.0
    true_dpi = min(max(true_dpi, 50.0), 1200.0)
    upsample = target_dpi / true_dpi if true_dpi < upsample_below else 1.0
    return 72.0 * px_per_pt * upsample, true_dpi * upsample


def render_page(page: pymupdf.Page, dpi: float, max_pixels: int) -> tuple[Image.Image, float]:
    """Render a page in grayscale; lower the dpi if the image would exceed `max_pixels`.

    Returns the image and the dpi actually used.
    """
    return render_clip(page, tuple(page.rect), dpi, max_pixels)


def render_clip(page: pymupdf.Page, box: tuple[float, ...], dpi: float,
                max_pixels: int) -> tuple[Image.Image, float]:
    """Render one area of the displayed page (points) in grayscale, as `render_page` does
    the whole page; the image's top left is the box's."""
    pixels = ((box[2] - box[0]) * dpi / 72) * ((box[3] - box[1]) * dpi / 72)
    if pixels > max_pixels:
        dpi = max(36.0, dpi * (max_pixels / pixels) ** 0.5 * 0.995)
    zoom = dpi / 72
    pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), clip=pymupdf.Rect(box[:4]),
                          colorspace=pymupdf.csGRAY, alpha=False)
    return Image.frombytes("L", (pix.width, pix.height), pix.samples), dpi


def render_picture(page: pymupdf.Page, picture: Picture, dpi: float,
                   max_pixels: int) -> tuple[Image.Image, float, float]:
    """Render a picture of the page in grayscale for OCR: one image pixel for one pixel when
    it is a single image painted straight and `dpi` is its own resolution (as a scan alone
    on its page is read: resampling it cost OCR words), else at `dpi` (a coarse picture
    upsampled, a very fine one reduced). Returns the image and the points per pixel across
    and down, from the picture's top left."""
    x0, y0, x1, y1 = picture.box
    if picture.pixels and picture.pixels[0] * picture.pixels[1] <= max_pixels and \
            abs(dpi - 72 * picture.pixels_per_point) < 1:
        across, down = picture.pixels[0] / (x1 - x0), picture.pixels[1] / (y1 - y0)
        pix = page.get_pixmap(matrix=pymupdf.Matrix(across, 0, 0, down, -x0 * across,
                                                    -y0 * down),
                              clip=pymupdf.Rect(picture.box), colorspace=pymupdf.csGRAY,
                              alpha=False)
        return Image.frombytes("L", (pix.width, pix.height), pix.samples), \
            1 / across, 1 / down
    image, used = render_clip(page, picture.box, dpi, max_pixels)
    return image, 72.0 / used, 72.0 / used


def render_png(path: Path, kind: str, page_no: int, dpi: float, settings: Settings) -> bytes:
    """A PNG of one page (1-based), for the reading room.

    Grayscale unless the page shows colour: most released pages are gray scans, and a gray
    PNG takes half the time to make and half the bytes. A fractional dpi gives an exact
    pixel width. The image is bounded by `view_size`: a page of extreme aspect (a long
    receipt, a strip) is scaled down as a whole rather than rendered at its full length.
    """
    doc = open_document(path, kind, settings)
    try:
        page = doc[page_no - 1]
        rect = page.rect
        width, height = view_size(rect.width, rect.height, dpi, settings.view_max_pixels,
                                  settings.view_max_side)
        matrix = pymupdf.Matrix(width / max(rect.width, 1e-6), height / max(rect.height, 1e-6))
        colorspace = pymupdf.csRGB if _has_colour(page) else pymupdf.csGRAY
        pix = page.get_pixmap(matrix=matrix, colorspace=colorspace, alpha=False)
        return pix.tobytes("png")
    finally:
        doc.close()


def view_size(width_pt: float, height_pt: float, dpi: float, max_pixels: int,
              max_side: int) -> tuple[int, int]:
    """The pixel size of a page rendered at `dpi`, scaled down (aspect kept, to the pixel)
    until it has at most `max_pixels` pixels and neither side is over `max_side`.

    A 2 x 14,390 pt strip asked for 200 pixels wide would be 200 x 1,439,000 pixels; it is
    rendered 1 x 4,800 instead.
    """
    width, height = max(width_pt, 1e-6) * dpi / 72, max(height_pt, 1e-6) * dpi / 72
    scale = min(1.0, max_side / max(width, height), (max_pixels / (width * height)) ** 0.5)
    across = min(max(1, round(width * scale)), max_side, max_pixels)
    down = min(max(1, round(height * scale)), max_side, max(1, max_pixels // across))
    return across, down


def _has_colour(page: pymupdf.Page, probe_width: int = 96, tolerance: int = 28) -> bool:
    """Whether a small rendering of the page has more than a speck of coloured pixels."""
    zoom = probe_width / max(page.rect.width, 1.0)
    pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False)
    red, green, blue = Image.frombytes("RGB", (pix.width, pix.height), pix.samples).split()
    spread = ImageChops.lighter(ImageChops.difference(red, green),
                                ImageChops.difference(green, blue))
    coloured = sum(spread.histogram()[tolerance + 1:])
    return coloured > max(3, pix.width * pix.height // 1000)


_LETTER = pymupdf.paper_rect("letter")
_TEXT_AREA = _LETTER + (54, 54, -54, -54)  # 3/4-inch margins
_TEXT_CSS = """
body { font-family: sans-serif; font-size: 10pt; }
p.field { margin: 0 0 2pt 0; }
pre { font-family: monospace; font-size: 9pt; white-space: pre-wrap; margin-top: 12pt; }
"""
_LONG_RUN = re.compile(r"\S{90}(?=\S)")


def text_to_pdf(dest: Path, fields: list[tuple[str, str]], body: str, max_pages: int) -> int:
    """Lay out labelled fields and a monospaced body on Letter pages, with a text layer.

    For documents that have no pages of their own (native emails, text attachments). The
    text is escaped into a small HTML page, never interpreted: nothing is executed or
    fetched. MuPDF's built-in fallback fonts cover CJK, Cyrillic, Greek, Hebrew and more.
    The file is written beside `dest` and moved into place when complete.

    Returns:
        The number of pages.

    Raises:
        TooLargeError: the text needs more than `max_pages` pages.
    """
    head = "".join(f'<p class="field"><b>{html.escape(label)}:</b> '
                   f"{html.escape(_breakable(value))}</p>" for label, value in fields)
    markup = f"<body>{head}<pre>{html.escape(_breakable(body))}</pre></body>"
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    story = pymupdf.Story(markup, user_css=_TEXT_CSS)
    writer = pymupdf.DocumentWriter(str(part))
    pages, more = 0, True
    try:
        while more:
            pages += 1
            if pages > max_pages:
                raise TooLargeError(f"needs more than {max_pages} pages to print; raise "
                                    "ARCHIVE_MAX_PAGES to add it")
            device = writer.begin_page(_LETTER)
            more, _ = story.place(_TEXT_AREA)
            story.draw(device)
            writer.end_page()
        writer.close()
        part.replace(dest)
    except BaseException:
        with contextlib.suppress(Exception):  # the error being raised is the one to report
            writer.close()
        part.unlink(missing_ok=True)
        raise
    return pages


def images_to_pdf(dest: Path, images: list[Path], settings: Settings) -> int:
    """Bind page images (every frame of a multi-page TIFF) into one PDF, a page per image.

    For documents a load file assembles from page images. The images are embedded as they
    are (no re-encoding); a scan without resolution metadata (which MuPDF takes at 96 dpi,
    making a 300-dpi letter page 26 inches tall) gets an 11-inch long side. The file is
    written beside `dest` and moved into place when complete.

    Returns:
        The number of pages.

    Raises:
        DamagedDocumentError, TooLargeError: naming the image at fault.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    out = pymupdf.open()
    try:
        for image in images:
            source = open_document(image, "image", settings)
            try:
                pdf = pymupdf.open("pdf", source.convert_to_pdf())
            finally:
                source.close()
            for number in range(pdf.page_count):
                rect = pdf[number].rect
                scale = min(1.0, 11 * 72 / max(rect.width, rect.height, 1.0)) \
                    if max(rect.width, rect.height) > 14.5 * 72 else 1.0
                bound = out.new_page(width=rect.width * scale, height=rect.height * scale)
                bound.show_pdf_page(bound.rect, pdf, number)
            pdf.close()
            if out.page_count > settings.max_pages:
                raise TooLargeError(f"has more than {settings.max_pages} pages; raise "
                                    "ARCHIVE_MAX_PAGES to add it")
        pages = out.page_count
        out.save(part, garbage=3, deflate=True)
        part.replace(dest)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    finally:
        out.close()
    return pages


_STAMP_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf")
_STAMP_WIDTH, _STAMP_MARGIN, _STAMP_FOOT, _STAMP_SIZE = 612.0, 18.0, 46.0, 7.5


def stamped_pdf(pages: Iterable[tuple[Path | bytes, str]], dest: Path) -> int:
    """Bind page images into one PDF, each on a page of its own (612 pt wide, as tall as
    the image needs) with a text line stamped in a band at its foot (a citation), and
    save it as `dest`. Returns the number of pages.

    The line is set in DejaVu Sans (any script it covers), else Liberation Sans, else
    Helvetica; one too long for the band is shrunk until it fits.
    """
    fontfile = next((f for f in _STAMP_FONTS if Path(f).is_file()), None)
    fontname = "stamp" if fontfile else "helv"
    doc = pymupdf.open()
    try:
        for image, line in pages:
            with Image.open(io.BytesIO(image) if isinstance(image, bytes) else image) as im:
                width_px, height_px = im.size
            height = _STAMP_WIDTH * height_px / max(width_px, 1)
            page = doc.new_page(width=_STAMP_WIDTH, height=height + _STAMP_FOOT)
            picture = pymupdf.Rect(0, 0, _STAMP_WIDTH, height)
            if isinstance(image, bytes):
                page.insert_image(picture, stream=image)
            else:
                page.insert_image(picture, filename=str(image))
            page.draw_line((_STAMP_MARGIN, height + 4), (_STAMP_WIDTH - _STAMP_MARGIN,
                                                          height + 4), width=0.5)
            band = pymupdf.Rect(_STAMP_MARGIN, height + 8, _STAMP_WIDTH - _STAMP_MARGIN,
                                height + _STAMP_FOOT - 2)
            size = _STAMP_SIZE
            while page.insert_textbox(band, _breakable(line), fontsize=size, fontname=fontname,
                                      fontfile=fontfile) < 0 and size > 3:
                size -= 1  # too long for the band: nothing was written; smaller
        count = doc.page_count
        doc.save(dest, garbage=3, deflate=True)
    finally:
        doc.close()
    return count


def _breakable(text: str) -> str:
    """Text whose words fit a line: runs of over 90 characters without a space are broken."""
    return _LONG_RUN.sub(lambda m: m.group(0) + "\n", text)


def release_caches() -> None:
    """Empty MuPDF's object store: decoded images would otherwise pile up page after page."""
    pymupdf.TOOLS.store_shrink(100)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
