"""Litigation load files: a Concordance `.dat` (documents and their fields) and an Opticon
`.opt` (one line per page image: its Bates number, and where a new document starts).

`find_sets` finds the load files in a production folder and resolves every path they name,
refusing paths that lead outside the folder. `archive.formats.bundles` turns each document into one
archive document (its page images printed to one PDF, a Bates number per page, the .dat's
fields as metadata) instead of adding the images as loose files.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path, PureWindowsPath

FIELD_SEP = "\x14"  # Concordance's default field separator (DC4)
QUOTE = "\xfe"  # and its text qualifier, þ


@dataclass(slots=True)
class OptPage:
    """One page image of an Opticon load file."""

    bates: str
    volume: str
    image: str  # path as written (often Windows style, relative to the load file)
    new_document: bool
    pages: int | None  # page count, given on a document's first line


@dataclass(slots=True)
class LoadDocument:
    """A document as the load files describe it: its pages' Bates and images, its fields.

    `images` (one per page, None where the file is missing or outside the production),
    `native` and `text` are filled in by `find_sets`.
    """

    begin: str
    pages: list[OptPage] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    images: list[Path | None] = field(default_factory=list)
    native: Path | None = None
    text: Path | None = None

    @property
    def end(self) -> str:
        """The last page's Bates number (the .dat's ENDBATES when there are no pages)."""
        return self.pages[-1].bates if self.pages else (field_value(self.fields, END) or
                                                        self.begin)

    @property
    def family(self) -> str | None:
        """The first Bates number of the document's family (the parent email), if given."""
        return field_value(self.fields, FAMILY) or None


@dataclass(slots=True)
class LoadSet:
    """One production's load files: an .opt and/or a .dat, and the documents they list."""

    root: Path  # every file they name must lie inside this folder
    opt: Path | None
    dat: Path | None
    documents: list[LoadDocument] = field(default_factory=list)

    @property
    def load_file(self) -> Path:
        """The load file that defines the documents (the .opt, else the .dat)."""
        path = self.opt or self.dat
        assert path is not None
        return path

    def claimed(self) -> set[Path]:
        """Every file the load files account for (they are not added as loose files)."""
        files = {p for p in (self.opt, self.dat) if p is not None}
        for doc in self.documents:
            files.update(p for p in (*doc.images, doc.native, doc.text) if p is not None)
        return files


# Field names as producing parties spell them, compared upper-case without punctuation.
BEGIN = ("BEGBATES", "BEGDOC", "BEGNO", "BATESBEGIN", "PRODBEGBATES", "BEGINBATES",
         "BEGBATESNUMBER", "STARTBATES", "BATESSTART", "BEGPROD", "PRODBEG")
END = ("ENDBATES", "ENDDOC", "ENDNO", "BATESEND", "PRODENDBATES", "ENDBATESNUMBER",
       "ENDPROD", "PRODEND")
FAMILY = ("BEGATTACH", "BEGFAMILY", "BEGATT", "ATTACHBEGIN", "FAMILYBEGIN", "BEGINATTACH",
          "PARENTBATES", "BEGATTACHMENT", "PRODBEGATTACH")
NATIVE = ("NATIVEPATH", "NATIVELINK", "NATIVE", "NATIVEFILE", "NATIVEFILEPATH", "FILEPATH",
          "DOCLINK", "NATIVEFILELINK")
TEXT = ("TEXTPATH", "TEXTLINK", "TEXT", "EXTRACTEDTEXT", "OCRPATH", "TEXTFILEPATH",
        "EXTRACTEDTEXTPATH", "OCRTEXTPATH", "FULLTEXT")


def field_key(name: str) -> str:
    """A field name for comparison: `Beg Bates`, `BEG_BATES`, `BegBates` -> `BEGBATES`."""
    return re.sub(r"[^A-Z0-9]", "", name.upper())


def field_value(fields: dict[str, str], names: tuple[str, ...]) -> str:
    """The first non-empty value among fields with one of `names` (compared by field_key)."""
    for key, value in fields.items():
        if field_key(key) in names and value.strip():
            return value.strip()
    return ""


def decode(data: bytes) -> str:
    """A load file's text: UTF-16 or UTF-8 by its byte-order mark, else UTF-8, else
    Windows-1252 (what Concordance exports without saying)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_opt(text: str) -> list[OptPage]:
    """Parse an Opticon file: `BATES,VOLUME,IMAGEPATH,Y|blank,,,PAGECOUNT` per line."""
    pages = []
    for row in csv.reader(io.StringIO(text)):
        if not row or not row[0].strip():
            continue
        row += [""] * (7 - len(row))
        count = row[6].strip()
        pages.append(OptPage(bates=row[0].strip(), volume=row[1].strip(), image=row[2].strip(),
                             new_document=row[3].strip().upper() == "Y",
                             pages=int(count) if count.isdigit() else None))
    return pages


def read_dat(text: str) -> list[dict[str, str]]:
    """Parse a Concordance file: a header row of field names, then one row per document;
    fields separated by \\x14 and wrapped in þ. Newlines inside a value are kept.
    """
    rows: list[list[str]] = []
    current: list[str] = []
    value: list[str] = []
    inside = False
    for char in text.lstrip("\ufeff"):
        if char == QUOTE:
            inside = not inside
        elif char == FIELD_SEP and not inside:
            current.append("".join(value))
            value = []
        elif char in "\r\n" and not inside:
            if value or current:
                current.append("".join(value))
                rows.append(current)
            current, value = [], []
        else:
            value.append(char)
    if value or current:
        current.append("".join(value))
        rows.append(current)
    if not rows:
        return []
    header = [name.strip() for name in rows[0]]
    return [dict(zip(header, (v.strip() for v in row), strict=False)) for row in rows[1:]]


def documents(opt: list[OptPage], dat: list[dict[str, str]] | None = None) -> list[LoadDocument]:
    """Group the pages into documents (a `Y` starts one), and attach each document's .dat
    fields by its first Bates number (the BEGBATES / BegBates / BEGDOC field).
    """
    docs: list[LoadDocument] = []
    for page in opt:
        if page.new_document or not docs:
            docs.append(LoadDocument(begin=page.bates))
        docs[-1].pages.append(page)
    by_begin = {}
    for row in dat or []:
        begin = field_value(row, BEGIN)
        if begin:
            by_begin[begin] = row
    for doc in docs:
        doc.fields = by_begin.get(doc.begin, {})
    return docs


def is_concordance(text: str) -> bool:
    """Whether a `.dat` file's first line is a Concordance header (þ-quoted, DC4-separated)."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    return QUOTE in first or FIELD_SEP in first


def find_sets(folder: Path) -> list[LoadSet]:
    """The load files in a production folder, each with its documents and their files.

    An .opt is paired with the .dat of the same name beside it (or the only .dat there); a
    .dat alone lists documents by their native files. A `.dat` that is not a Concordance
    file is not a load file and is passed over.
    """
    visible = [p for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()
               and not any(part.startswith(".") for part in p.relative_to(folder).parts)]
    opts = [p for p in visible if p.suffix.lower() == ".opt"]
    dats = {p: decode(p.read_bytes()) for p in visible if p.suffix.lower() == ".dat"}
    dats = {p: text for p, text in dats.items() if is_concordance(text)}
    sets: list[LoadSet] = []
    for opt in opts:
        beside = [d for d in dats if d.parent == opt.parent]
        dat = next((d for d in beside if d.stem.lower() == opt.stem.lower()),
                   beside[0] if len(beside) == 1 else None)
        rows = read_dat(dats.pop(dat)) if dat is not None else []
        pages = read_opt(decode(opt.read_bytes()))
        if pages:
            sets.append(_resolve(LoadSet(folder, opt, dat, documents(pages, rows))))
    for dat, text in dats.items():
        docs = [LoadDocument(begin=field_value(row, BEGIN), fields=row)
                for row in read_dat(text) if field_value(row, BEGIN)]
        if docs:
            sets.append(_resolve(LoadSet(folder, None, dat, docs)))
    return sets


def _resolve(found: LoadSet) -> LoadSet:
    """Fill in each document's files (None for a missing or unsafe one)."""
    base = found.load_file
    for doc in found.documents:
        doc.images = [resolve(page.image, base, found.root, page.volume) for page in doc.pages]
        native = field_value(doc.fields, NATIVE)
        text = field_value(doc.fields, TEXT)
        doc.native = resolve(native, base, found.root) if native else None
        doc.text = resolve(text, base, found.root) if text else None
    return found


def resolve(written: str, load_file: Path, root: Path, volume: str = "") -> Path | None:
    """The file a load file names (often a Windows path relative to the load file, or to
    its volume folder, in another letter case), or None when it is missing or would lie
    outside `root`."""
    parts = [p for p in PureWindowsPath(written.strip()).parts
             if p not in ("\\", "/") and not p.endswith((":", ":\\"))]
    if not parts or ".." in parts:
        return None
    inside = root.resolve()
    bases = [load_file.parent, load_file.parent / volume if volume else None,
             load_file.parent.parent, root]
    for base in dict.fromkeys(b for b in bases if b is not None):
        candidate = _find(base, parts)
        if candidate is not None and candidate.resolve().is_relative_to(inside):
            return candidate
    return None


def _find(base: Path, parts: list[str]) -> Path | None:
    """`base/parts...` as it exists, matching each part's letter case loosely; no links."""
    path = base
    for part in parts:
        exact = path / part
        if not exact.exists():
            try:
                exact = next(p for p in path.iterdir() if p.name.lower() == part.lower())
            except (StopIteration, OSError):
                return None
        if exact.is_symlink():
            return None
        path = exact
    return path if path.is_file() else None
