"""Findability benchmark, the files: real documents picked from ../shared/corpus, the derived
examples made from them (`make_examples`, deterministic), and each page's true text.

See bench/findability.py for what each class tests and how the derived files are made.
"""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pymupdf
from findability_phrases import flow_segments, join_hyphenated
from ocr_accuracy import normalize_words

RECIPE_VERSION = 1  # bump to remake the input files (they are also remade when RECIPE changes)

GT = "ocr_ground_truth/scribe_pages"
SCRIBE = ("chart_01", "deposition_01", "filing_01", "form_01", "multicol_04", "table_02",
          "table_09")
NUMBERED_SCANS = ("deposition_01",)  # a real 4-up deposition: 25 numbered lines a quarter
_BORN = "foia_pdfs/gov_born_digital/"
_CHICAGO = "foia_pdfs/chicago_pd_foia/"
TEXT_DOCS = (  # real born-digital documents; every page with a text layer feeds class a
    _BORN + "vector-pdf.pdf", _BORN + "missouri.pdf",
    _BORN + "la-precinct-bulletin-2014-p1.pdf", _BORN + "san-jose-pd-firearm-sample.pdf",
    _BORN + "senate-expenditures.pdf", _BORN + "ca-warn-report.pdf",
    _CHICAGO + "freddy_lawsuit_CPD3.pdf", _CHICAGO + "CCSO_FOIA1505_Money_Laundering_Redacted.pdf",
    _CHICAGO + "15-3528PenLinkResponse.pdf", _CHICAGO + "FOIA121515.pdf",
    _CHICAGO + "CPD_FOIA14-5298ResponseLetter.pdf",
)
BATES = (_BORN + "ca1_00117684624.pdf", "CA1-FOIA", 4101)  # stamped as a producing party does
PAGE_BREAK_DOCS = {  # multi-page documents with running headers/footers (input file: pages)
    "derived/ca1_00117684624-bates.pdf": None, "real/vector-pdf.pdf": None,
    "real/freddy_lawsuit_CPD3.pdf": (1, 2, 3, 4),  # 5-7 are exhibits
    "real/missouri.pdf": None, "real/15-3528PenLinkResponse.pdf": None,
    "real/CPD_FOIA14-5298ResponseLetter.pdf": None,
}
NOISE = (  # real scans nobody transcribed: OCR'd pages among which the right one must rank
    "foia_pdfs/ntsb_mu5735/01-rzcommu_1-019.pdf", "foia_pdfs/ntsb_mu5735/12-rzcommu_1-058.pdf",
    "foia_pdfs/ntsb_mu5735/02-rzcommu_1-012.pdf", _CHICAGO + "CPD_FOIA14-5298Hailstorm.pdf",
    _CHICAGO + "CPD_15-4684correction.pdf",
)
HYBRID_BASES = (  # (document, page): the born-digital half of each hybrid, one per picture
    (_BORN + "ca1_00117684624.pdf", 3), (_BORN + "ca1_00117684624.pdf", 9),
    (_CHICAGO + "freddy_lawsuit_CPD3.pdf", 2), (_BORN + "missouri.pdf", 2),
    (_BORN + "vector-pdf.pdf", 4), (_CHICAGO + "FOIA121515.pdf", 1),
    (_CHICAGO + "15-3528PenLinkResponse.pdf", 3),
)
SHORT_REAL = (  # real born-digital pages of a few words and no image
    ("odd_pdfs/redaction/x-ray__no_bad_redactions.5.5.pdf", (3, 18)),
    ("odd_pdfs/misc_features/paperless__multi-page-mixed.pdf", (4, 5, 6)),
    ("odd_pdfs/misc_features/paperless__with-form.pdf", (1,)),
)
SHORT_LINE_SOURCES = (  # documents whose first real line of 4+ words is set alone on a page
    _BORN + "la-precinct-bulletin-2014-p1.pdf", _BORN + "san-jose-pd-firearm-sample.pdf",
    _BORN + "senate-expenditures.pdf", _BORN + "missouri.pdf", _BORN + "ca-warn-report.pdf",
    _CHICAGO + "CCSO_FOIA1505_Money_Laundering_Redacted.pdf",
)
PLEADING_TEXT = (_CHICAGO + "freddy_lawsuit_CPD3.pdf", (1, 2))  # its 3|4 break stays a test
LINES_PER_PAGE = 28
_NUMBER = re.compile(r"^\d{1,2}$")
_ASCII = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                        "\u2013": "-", "\u2014": "-"})  # the base-14 Courier has no curly ones


@dataclass
class Line:
    """One line of a text layer: its words as printed, its font size, its block."""

    words: list[str]
    size: float
    block: int


@dataclass
class Source:
    """One input file: the class its pages feed, where it comes from, what is on it."""

    file: str
    cls: str  # text, scan, noise, hybrid, numbered, short
    origin: str
    pictures: dict[int, str] = field(default_factory=dict)  # page -> scribe page shown
    lines: dict[int, list[str]] = field(default_factory=dict)  # page -> laid-out lines


# --------------------------------------------------------------------------- truth


def page_lines(page: pymupdf.Page) -> list[Line]:
    """A page's text-layer lines in the archive's reading order (archive/read/extract.py:
    blocks top to bottom, then left to right; lines in their block's order), footnote marks
    left out."""
    blocks = [b for b in page.get_text("dict")["blocks"] if b["type"] == 0]
    blocks.sort(key=lambda b: (round(b["bbox"][1], 1), b["bbox"][0]))
    lines = []
    for rank, block in enumerate(blocks):
        for line in block["lines"]:
            spans = [span for span in line["spans"] if span["text"].strip()]
            if not spans:
                continue
            size = max(span["size"] for span in spans)
            # a footnote mark (a small raised number) is not a word a reader types
            text = "".join(span["text"] for span in line["spans"]
                           if not (span["text"].strip().isdigit() and span["size"] < 0.75 * size))
            if text.split():
                lines.append(Line(text.split(), size, rank))
    return lines


def normalized(lines: list[list[str]]) -> list[list[str]]:
    """Printed lines' words, hyphenated words made whole, normalised."""
    return [normalize_words(" ".join(line)) for line in join_hyphenated(lines)]


def page_words(lines: list[Line]) -> list[str]:
    """A text-layer page's true words, in reading order."""
    return [w for line in normalized([ln.words for ln in lines]) for w in line]


def block_segments(lines: list[Line]) -> list[list[str]]:
    """The normalised words of each text block: the runs a text-layer phrase is drawn from."""
    blocks: dict[int, list[list[str]]] = {}
    for line in lines:
        blocks.setdefault(line.block, []).append(line.words)
    return [[w for ln in normalized(block) for w in ln] for block in blocks.values()]


def transcript_lines(text: str) -> list[list[str] | None]:
    """A numbered transcript's lines without their line numbers; None where a line was only
    a number (a run of line numbers, a page number): nothing runs on across it."""
    return [line or None for line in normalized(_unnumbered(text))]


def _unnumbered(text: str) -> list[list[str]]:
    """A transcript's lines as printed words, a leading line number dropped (a line that was
    only a number becomes empty)."""
    printed = []
    for raw in text.splitlines():
        words = raw.split()
        printed.append(words[1:] if words and _NUMBER.match(words[0]) else words)
    return printed


def gt_lines(corpus: Path, name: str) -> list[list[str] | None]:
    """A hand transcription's lines, normalised (numbered transcripts: numbers dropped)."""
    text = (corpus / GT / f"{name}.gt.txt").read_text(encoding="utf-8")
    if name in NUMBERED_SCANS:
        return transcript_lines(text)
    return [line or None for line in normalized([ln.split() for ln in text.splitlines()])]


def body_lines(doc: pymupdf.Document) -> dict[int, list[Line]]:
    """Each page's body: its lines less running headers and footers (a line whose digits
    masked recur on 40 %+ of the pages: page stamps, Bates), page numbers (no word of 2+
    letters), and footnotes and stamps (printed smaller than the document's main size)."""
    return {number: [line for line, kind in lines if kind == "body"]
            for number, lines in page_parts(doc).items()}


def page_parts(doc: pymupdf.Document) -> dict[int, list[tuple[Line, str]]]:
    """Each page's lines in reading order, each marked body, furniture or small (print
    smaller than the document's main size: footnotes, stamps)."""
    pages = {page.number + 1: page_lines(page) for page in doc}
    recurring: dict[str, int] = {}
    sizes: dict[float, int] = {}
    for lines in pages.values():
        for shape in {_shape(line) for line in lines}:
            recurring[shape] = recurring.get(shape, 0) + 1
        for line in lines:
            sizes[round(line.size)] = sizes.get(round(line.size), 0) + len(line.words)
    main = max(sizes, key=lambda s: sizes[s]) if sizes else 0
    limit = max(2, 0.4 * len(pages))

    def kind(line: Line) -> str:
        if recurring[_shape(line)] >= limit or not any(
                len(re.findall(r"[^\W\d_]", w)) >= 2 for w in line.words):
            return "furniture"
        return "small" if line.size < 0.85 * main else "body"

    return {number: [(line, kind(line)) for line in lines] for number, lines in pages.items()}


def notes_after_body(parts: list[tuple[Line, str]]) -> bool:
    """Whether small print (footnotes) follows the page's last body line."""
    kinds = [kind for _, kind in parts]
    last = max((i for i, k in enumerate(kinds) if k == "body"), default=len(kinds))
    return "small" in kinds[last + 1:]


def _shape(line: Line) -> str:
    return re.sub(r"\d+", "#", " ".join(line.words))


# --------------------------------------------------------------------------- the recipe


def make_examples(corpus: Path, dest: Path) -> list[Source]:
    """Write the benchmark's input files into `dest` (deterministic: same corpus, same bytes)
    and return what each one is. Recipe: see bench/findability.py's docstring."""
    sources = [_copy(corpus, rel, dest / "real", "text") for rel in TEXT_DOCS]
    sources += [_copy(corpus, rel, dest / "noise", "noise") for rel in NOISE]
    for name in SCRIBE:
        sources.append(_copy(corpus, f"{GT}/{name}.png", dest / "scans", "scan"))
    derived = dest / "derived"
    derived.mkdir(parents=True, exist_ok=True)
    sources.append(_bates(corpus, derived))
    for (base, page_no), name in zip(HYBRID_BASES, SCRIBE, strict=True):
        sources.append(_hybrid(corpus, base, page_no, name, derived))
    sources.append(_numbered(corpus, derived, "transcript", "deposition_01"))
    sources.append(_numbered(corpus, derived, "pleading", "filing_01"))
    sources.append(_short_real(corpus, derived))
    sources.append(_short_lines(corpus, derived))
    (dest / "sources.json").write_text(
        json.dumps([s.__dict__ for s in sources], indent=1), encoding="utf-8")
    return sources


def load_sources(dest: Path) -> list[Source]:
    """What `make_examples` wrote, as it described it."""
    rows = json.loads((dest / "sources.json").read_text(encoding="utf-8"))
    return [Source(r["file"], r["cls"], r["origin"],
                   {int(k): v for k, v in r["pictures"].items()},
                   {int(k): v for k, v in r["lines"].items()}) for r in rows]


def _copy(corpus: Path, rel: str, folder: Path, cls: str) -> Source:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / Path(rel).name
    shutil.copyfile(corpus / rel, target)
    pictures = {1: Path(rel).name.removesuffix(".png")} if cls == "scan" else {}
    return Source(f"{folder.name}/{target.name}", cls, rel, pictures)


def _save(doc: pymupdf.Document, path: Path) -> None:
    """Save with no date and no random /ID, so the same recipe gives the same bytes."""
    doc.set_metadata({})
    doc.save(path, garbage=3, deflate=True, no_new_id=True)
    doc.close()


def _bates(corpus: Path, folder: Path) -> Source:
    """A real multi-page document with a Bates number stamped on each page's bottom right
    (Helvetica 10, as producing parties stamp), besides its own running header and footer."""
    rel, prefix, first = BATES
    doc = pymupdf.open(corpus / rel)
    for page in doc:
        page.insert_text((page.rect.width - 140, page.rect.height - 14),
                         f"{prefix}-{first + page.number:06d}", fontname="helv", fontsize=10)
    name = f"{Path(rel).stem}-bates.pdf"
    _save(doc, folder / name)
    return Source(f"derived/{name}", "text", f"{rel}, Bates {prefix}-{first:06d}...")


def _hybrid(corpus: Path, base: str, page_no: int, picture: str, folder: Path) -> Source:
    """A real born-digital page whose lower two thirds are blanked (text removed) and carry
    a real scanned page as a figure: a small text layer over a large picture of text."""
    with pymupdf.open(corpus / base) as src:
        doc = pymupdf.open()
        doc.insert_pdf(src, from_page=page_no - 1, to_page=page_no - 1)
    page = doc[0]
    width, height = page.rect.width, page.rect.height
    lower = pymupdf.Rect(0, height * 0.3, width, height)
    page.add_redact_annot(lower, fill=(1, 1, 1))
    page.apply_redactions(images=pymupdf.PDF_REDACT_IMAGE_REMOVE)
    page.insert_image(pymupdf.Rect(54, height * 0.31, width - 54, height - 36),
                      filename=str(corpus / GT / f"{picture}.png"))
    name = f"hybrid-{picture}.pdf"
    _save(doc, folder / name)
    return Source(f"derived/{name}", "hybrid", f"{base} p{page_no} + {GT}/{picture}.png",
                  pictures={1: picture})


def _numbered(corpus: Path, folder: Path, style: str, name: str) -> Source:
    """Real text laid out on 28 numbered lines a page (Courier 12, 24 pt apart).

    `transcript`: a deposition's transcribed lines, the number just left of the text, as
    court reporters print it. `pleading`: a complaint's transcribed paragraphs, then the
    body of the real Cook County complaint (PLEADING_TEXT), wrapped again to 64 characters,
    numbers in a margin left of a double rule, as on pleading paper.
    """
    raw = (corpus / GT / f"{name}.gt.txt").read_text(encoding="utf-8").translate(_ASCII)
    origin = f"{GT}/{name}.gt.txt"
    if style == "transcript":
        lines = [" ".join(words) for words in _unnumbered(raw) if words]
    else:  # paragraphs (lines of 5+ words run on) wrapped again to the pleading's width
        printed = [line.split() for line in raw.splitlines()]
        rel, pages = PLEADING_TEXT
        with pymupdf.open(corpus / rel) as src:
            body = body_lines(src)
        printed += [[w.translate(_ASCII) for w in line.words] for n in pages for line in body[n]]
        runs = flow_segments(join_hyphenated(printed))
        lines = [part for run in runs for part in textwrap.wrap(" ".join(run), 64,
                                                                  break_on_hyphens=False)]
        origin += f" + {rel} p{pages[0]}-{pages[-1]} body"
    doc = pymupdf.open()
    laid: dict[int, list[str]] = {}
    for start in range(0, len(lines), LINES_PER_PAGE):
        page = doc.new_page(width=612, height=792)
        chunk = lines[start:start + LINES_PER_PAGE]
        laid[page.number + 1] = chunk
        right, text_x = (62, 72) if style == "transcript" else (52, 80)
        if style == "pleading":
            for x in (64, 67):
                page.draw_line((x, 54), (x, 750), width=0.6)
        for i in range(LINES_PER_PAGE):
            y = 84 + 24 * i
            label = str(i + 1)
            page.insert_text((right - pymupdf.get_text_length(label, "cour", 12), y), label,
                             fontname="cour", fontsize=12)
            if i < len(chunk):
                page.insert_text((text_x, y), chunk[i], fontname="cour", fontsize=12)
    file = f"{style}-numbered.pdf"
    _save(doc, folder / file)
    return Source(f"derived/{file}", "numbered", f"{origin}, {style} layout", lines=laid)


def _short_real(corpus: Path, folder: Path) -> Source:
    """Real short pages (an exhibit slip sheet, one-line pages) copied out of their files."""
    doc = pymupdf.open()
    origin = []
    for rel, pages in SHORT_REAL:
        with pymupdf.open(corpus / rel) as src:
            for number in pages:
                doc.insert_pdf(src, from_page=number - 1, to_page=number - 1)
        origin.append(f"{rel} p{','.join(map(str, pages))}")
    _save(doc, folder / "short-real-pages.pdf")
    return Source("derived/short-real-pages.pdf", "short", "; ".join(origin))


def _short_lines(corpus: Path, folder: Path) -> Source:
    """The first line of 4+ words of real documents, each alone on a page (Helvetica 11)."""
    doc = pymupdf.open()
    laid: dict[int, list[str]] = {}
    for rel in SHORT_LINE_SOURCES:
        with pymupdf.open(corpus / rel) as src:
            line = next(" ".join(ln.words) for ln in page_lines(src[0]) if len(ln.words) >= 4)
        page = doc.new_page(width=612, height=792)
        page.insert_text((72, 96), line, fontname="helv", fontsize=11)
        laid[page.number + 1] = [line]
    _save(doc, folder / "short-lines.pdf")
    return Source("derived/short-lines.pdf", "short",
                  "first line of 4+ words of " + ", ".join(Path(r).name for r in
                                                           SHORT_LINE_SOURCES), lines=laid)


def describe(sources: list[Source]) -> dict[str, Any]:
    """Files per class, for the report."""
    out: dict[str, Any] = {}
    for s in sources:
        out.setdefault(s.cls, []).append(s.file)
    return out


# what the input files' cache key is made of: the recipe's code and what it picks
RECIPE = (make_examples, _copy, _save, _bates, _hybrid, _numbered, _unnumbered, _short_real,
          _short_lines, page_lines, body_lines, page_parts, join_hyphenated)
def corpus_files() -> list[str]:
    """Every file of the corpus the recipe reads, relative to it."""
    picked = [*TEXT_DOCS, *NOISE, *SHORT_LINE_SOURCES, BATES[0], PLEADING_TEXT[0],
              *(rel for rel, _ in HYBRID_BASES), *(rel for rel, _ in SHORT_REAL)]
    picked += [f"{GT}/{name}.{ext}" for name in SCRIBE for ext in ("png", "gt.txt")]
    return list(dict.fromkeys(picked))


RECIPE_DATA = (SCRIBE, TEXT_DOCS, NOISE, HYBRID_BASES, SHORT_REAL, SHORT_LINE_SOURCES, BATES,
               PLEADING_TEXT, LINES_PER_PAGE)
