"""Plain dataclasses passed between the stages; no I/O here.

Vocabulary, settled once:
- a *production* is one release (a folder under scans/);
- a *document* is one source file, identified by `doc_id`, the first 16 hex characters of the
  sha256 of its bytes (so the same file added twice is one document);
- a *page* is one page of a document; `page_no` is 1-based everywhere outside `extract.py`;
- a *hit* is one page that matched a query.

Word boxes are `[x0, y0, x1, y1, word]` in PDF points (1/72 inch) of the page as displayed
(rotation applied), origin at the top left; multiply by dpi/72 for pixels of a rendering.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Word = list[Any]  # [x0, y0, x1, y1, text]

OCR_SOURCES = ("ocr", "text+ocr")
"""The `text_source` of pages OCR read, in whole or in part (counted as OCR'd pages)."""


def page_key(doc_id: str, page_no: int) -> str:
    """The unique key of a page in the catalog and the index."""
    return f"{doc_id}:{page_no:05d}"



def counted(count: int, singular: str, plural: str | None = None) -> str:
    """A count and its noun, in agreement: `1 document`, `2,140 pages`, `3 copies`."""
    noun = singular if count == 1 else (plural or f"{singular}s")
    return f"{count:,} {noun}"


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file to add, after it has been stored under scans/."""

    path: Path  # where the original is kept (under scans/)
    given: Path  # what the user named (a file, or a member of a folder or zip)
    sha256: str
    size: int
    kind: str  # pdf, image, email, mbox, text (an email's attachment), or unsupported

    @property
    def doc_id(self) -> str:
        """The first 16 hex characters of the file's sha256."""
        return self.sha256[:16]


@dataclass(slots=True)
class ChildFile:
    """A file found inside a document (an email's attachment, an mbox's message).

    The worker leaves its bytes at `staged` (under the cache); the supervisor stores them as
    an original under scans/ and adds them as a document whose parent is the container.
    """

    name: str  # safe: one path component
    staged: Path
    kind: str  # pdf, image, email, mbox, text, or unsupported
    content_type: str = ""
    reason: str = ""  # why an unsupported file cannot be read
    title: str = ""  # a better title than the file name, if any
    hints: dict[str, Any] = field(default_factory=dict)  # charset, html: for text files


@dataclass(slots=True)
class DocumentProbe:
    """What a worker learned by opening a file, before any page is read."""

    page_count: int
    warnings: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    children: list[ChildFile] = field(default_factory=list)


@dataclass(slots=True)
class OcrResult:
    """tesseract's reading of one image: text, words in pixels, mean word confidence."""

    text: str
    words: list[Word]
    confidence: float | None
    rotation: int = 0  # degrees the image was turned clockwise before reading
    lines: list[int] = field(default_factory=list)  # each word's line, counted from 0


@dataclass(frozen=True, slots=True)
class TextBlock:
    """A block of a page's text layer: its box (displayed-page points), text and words."""

    box: tuple[float, ...]
    text: str
    words: list[Word]


@dataclass(frozen=True, slots=True)
class Picture:
    """Where a page paints images (overlapping ones merged): a box in displayed-page points
    and the finest resolution of the images in it, in pixels per point; for one image
    painted straight (not skewed), its pixels across and down as displayed."""

    box: tuple[float, float, float, float]
    pixels_per_point: float
    pixels: tuple[int, int] | None = None

    @property
    def area(self) -> float:
        """Square points."""
        return (self.box[2] - self.box[0]) * (self.box[3] - self.box[1])


@dataclass(slots=True)
class PageResult:
    """One page as extracted: the text users search, its words, and where they came from.

    A "text+ocr" page kept its text layer and had the pictures on it that hold text read by
    OCR (a pasted-in letter, a scanned exhibit): `annotations["ocr_regions"]` lists them,
    `{"box": [x0, y0, x1, y1], "chars": [start, end], "words": [start, end], "confidence"}`,
    the picture's box in points and the ranges of `text` and `words` its reading fills;
    every other word is the text layer's.
    """

    doc_id: str
    page_no: int
    text: str
    words: list[Word]
    text_source: str  # "text" (the PDF's text layer), "ocr", "text+ocr" (see below), "none"
    width: float  # points
    height: float  # points
    ocr_confidence: float | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    annotations: dict[str, Any] = field(default_factory=dict)  # found on the image (redactions)


@dataclass(slots=True)
class Failure:
    """A file that could not be added, with a one-line reason naming what to do."""

    file: str
    error: str


@dataclass(slots=True)
class AddReport:
    """What one `archive add` did, file by file."""

    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    pages: int = 0
    ocr_pages: int = 0
    failed_pages: int = 0

    def to_json(self) -> dict[str, Any]:
        """The `add --json` contract."""
        return {
            "added": self.added,
            "unchanged": self.unchanged,
            "failed": [{"file": f.file, "error": f.error} for f in self.failed],
            "warnings": self.warnings,
            "pages": self.pages,
            "ocr_pages": self.ocr_pages,
            "failed_pages": self.failed_pages,
        }


@dataclass(slots=True)
class Hit:
    """One page that matched a query."""

    doc_id: str
    page: int
    title: str
    production: str
    excerpt: str  # HTML: document text escaped, matched words in <mark>
    text_source: str
    score: float
    extra: dict[str, Any] = field(default_factory=dict)
    fuzzy_words: list[str] = field(default_factory=list)  # page words matched fuzzily

    @property
    def url(self) -> str:
        """The page's permalink path."""
        return f"/doc/{self.doc_id}/page/{self.page}"

    def to_json(self) -> dict[str, Any]:
        """One hit of the `search --json` contract."""
        data = {
            "doc_id": self.doc_id,
            "page": self.page,
            "title": self.title,
            "production": self.production,
            "excerpt": self.excerpt,
            "url": self.url,
            "text_source": self.text_source,
            "score": round(self.score, 4),
            "fuzzy_words": self.fuzzy_words,
        }
        data.update(self.extra)
        return data


@dataclass(slots=True)
class SearchResults:
    """One page of hits for a query, with the total and facet counts."""

    query: str
    total: int
    hits: list[Hit]
    page: int = 1
    pagelen: int = 20
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    folded: int | None = None  # copies of shown pages left out by collapse; None: no collapse
    total_is_estimate: bool = False  # more pages match than are counted exactly: "about N"
    tolerant: bool = False  # phrases' long words could be one edit off (archive.search.fuzzy)

    @property
    def folded_note(self) -> str:
        """`(1 copy folded)` after the total of a collapsed search; "" otherwise."""
        if self.folded is None:
            return ""
        if not self.folded:
            return "(no copies folded)"
        return f"({counted(self.folded, 'copy', 'copies')} folded)"

    def to_json(self) -> dict[str, Any]:
        """The `search --json` contract, plus `facets`: matching pages by production slug,
        by exemption label (`"(b)(7)(E)"`), by redacted (`"yes"`/`"no"`), by releasing
        agency's name, by year of the record's date (`"2017"`) and by kind
        (`archive.foia.kinds`: `"scan"`, `"printed-email"`, ...); with collapse,
        `folded`: the copies left out (`total` and `facets` count the pages shown);
        `total_is_estimate`: the total and the facets are estimated (more pages match
        than ARCHIVE_COUNT_EXACT_UP_TO)."""
        from archive.foia.exemptions import label  # models stay free of imports otherwise

        facets = {name: {(label(key) or key) if name == "exemption" else key: count
                         for key, count in counts.items() if count and key is not None}
                  for name, counts in self.facets.items()}
        data: dict[str, Any] = {
            "query": self.query,
            "total": self.total,
            "total_is_estimate": self.total_is_estimate,
            "hits": [h.to_json() for h in self.hits],
            "facets": facets,
        }
        if self.folded is not None:
            data["folded"] = self.folded
        if self.tolerant:
            data["tolerant"] = True
        return data
