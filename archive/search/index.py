"""Whoosh write side: the schema, its analyzer, and idempotent per-page writes.

One Whoosh document per page, keyed by `page_key(doc_id, page_no)`; every write is an
update by that key, so a crash between a Whoosh commit and the catalog's record of it can
never duplicate a page.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from whoosh import fields, formats, index
from whoosh.analysis import (
    CharsetFilter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StripFilter,
    Token,
    Tokenizer,
)
from whoosh.index import LockError
from whoosh.support.charset import accent_map
from whoosh.writing import IndexWriter

from archive import records
from archive.errors import ArchiveLockedError, IndexLostError, IndexOutOfDateError
from archive.foia import kinds, line_numbers
from archive.search import bridges

SCHEMA_VERSION = 8  # 2: foia, dup_group, release_order; 3: agency_name, year, kind
# of page; 4: added (when the page entered the index: feeds, alerts); 5: margins (the
# spans of margin line numbers, kept out of the phrase sequence); 6: the tokenizer's
# positions (line-end hyphen joins, soft hyphens, apostrophes, glued footnote marks);
# 7: words (the words stemming changes, as written: fuzzy terms, archive.search.fuzzy);
# 8: bridge (page N's end + page N+1's start)
_VERSION_FILE = ".schema_version"

_WORD = re.compile(r"\w+(?:['’]\w+)*", re.UNICODE)
_LINE_BREAK_HYPHEN = re.compile(r"-[ \t]*\r?\n[ \t]*")
_ANY_LINE_BREAK_HYPHEN = re.compile(r"-[ \t]*\r?\n")
# A soft hyphen (U+00AD) is a typesetter's: at a line end, or left inside a reflowed word.
_SOFT_HYPHEN = "\u00ad"
_SOFT_HYPHEN_GAP = re.compile(r"\u00ad[ \t]*(?:\r?\n[ \t]*)?")
# A footnote mark printed against its word ("feet6", "7the"): the word is also indexed alone.
# Ordinals (1st, 22nd, 3rd, 4th) are words of their own.
_GLUED_MARK = re.compile(r"([^\W\d_]{2,})\d{1,2}|\d{1,2}(?!(?:st|nd|rd|th)\Z)([^\W\d_]{2,})")
_LINE_END = re.compile(r"[ \t]*\r?\n\s*")


class HyphenJoiningTokenizer(Tokenizer):
    """Words, plus the joined form of words hyphenated across a line break.

    "sal-\\nly port" and "sally-\\nport" must both be found by the phrase "sally port". The
    halves keep their own positions; the joined word is added at the positions of both
    halves, so a phrase can run into it from the left and out of it to the right.
    """

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(self, value: str, positions: bool = False, chars: bool = False,
                 keeporiginal: bool = False, removestops: bool = True, start_pos: int = 0,
                 start_char: int = 0, tokenize: bool = True, mode: str = "",
                 **kwargs: Any) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = value
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        for pos, text, start, end in word_tokens(value, getattr(value, "margins", ())):
            yield self._token(token, text, pos + start_pos, start + start_char,
                              end + start_char, positions, chars, keeporiginal)

    @staticmethod
    def _token(token: Token, text: str, pos: int, start: int, end: int, positions: bool,
               chars: bool, keeporiginal: bool) -> Token:
        token.text = text
        token.boost = 1.0
        token.stopped = False
        if keeporiginal:
            token.original = text
        if positions:
            token.pos = pos
        if chars:
            token.startchar, token.endchar = start, end
        return token


class BridgeTokenizer(HyphenJoiningTokenizer):
    """The words of a bridge (`archive.search.bridges`), the next page's first word at
    position `bridges.JOIN`: a phrase at positions on both sides of it crosses the break.
    """

    def __call__(self, value: str, positions: bool = False, chars: bool = False,
                 keeporiginal: bool = False, removestops: bool = True, start_pos: int = 0,
                 start_char: int = 0, tokenize: bool = True, mode: str = "",
                 **kwargs: Any) -> Iterator[Token]:
        joined, join = bridges.halves(value)
        if join < 0 or not tokenize:  # not a bridge (a query typed as bridge:...)
            yield from super().__call__(value, positions, chars, keeporiginal, removestops,
                                        start_pos, start_char, tokenize, mode, **kwargs)
            return
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        found = list(word_tokens(joined))
        # A word over the break (joined across a hyphen or soft hyphen: "sal-" + "ly") is
        # the tail's last word, at join - 1, and stands at join too, so a phrase that ends
        # or starts on it is seen to cross the break.
        tail = 1 + max((pos for pos, _, start, _ in found if start < join), default=-1)
        shift = bridges.JOIN - tail + start_pos
        for pos, text, start, end in found:
            yield self._token(token, text, pos + shift, start + start_char, end + start_char,
                              positions, chars, keeporiginal)
            if start < join < end and pos + shift == bridges.JOIN - 1 + start_pos:
                yield self._token(token, text, pos + shift + 1, start + start_char,
                                  end + start_char, positions, chars, keeporiginal)


def text_analyzer(tokenizer: Tokenizer | None = None) -> Any:
    """The analyzer of every full-text field: words, lowercased, accents folded, stemmed."""
    return ((tokenizer or HyphenJoiningTokenizer()) | LowercaseFilter()
            | CharsetFilter(accent_map) | StemFilter())


class PageText(str):
    """A page's text as given to the index, carrying the character spans of its margin line
    numbers (`archive.foia.line_numbers`) to the tokenizer; it reads as the text itself."""

    margins: tuple[tuple[int, int], ...]

    def __new__(cls, text: str, margins: Iterable[Sequence[int]] = ()) -> PageText:
        made = super().__new__(cls, text)
        made.margins = tuple((int(s), int(e)) for s, e in margins)
        return made


def word_tokens(text: str, margins: Iterable[Sequence[int]] = ()
                ) -> Iterator[tuple[int, str, int, int]]:
    """(position, word, start, end) of each word of `text`: the tokenizer's output.

    A word hyphenated across a line end ("sal-⏎ly", "down-⏎stream") is indexed joined, at the
    position of its first half, and the word after it follows at the next position, so a
    phrase runs through it ("farther downstream and"). The halves are kept too, for a
    compound broken at its own hyphen ("sally-⏎port" is found by "the sally port"): the
    first half beside the joined word, the second half beside the next word.

    A word broken by a soft hyphen (U+00AD: "can\u00adnot") is one word, its halves are
    not. The word under a footnote mark printed against it ("feet6", "7the") is added at
    the mark's position. Typographic apostrophes are made plain ("state’s" is "state's").

    A word inside one of the `margins` spans (a margin line number) is given the position of
    the word after it and does not move the count on: `for oral 13 argument` holds the
    phrase "oral argument", and 13 is still found on its own.
    """
    skip = {k for start, end in margins for k in range(start, end)}
    previous: tuple[str, int, int] | None = None
    pos = -1
    for word, start, end in words_of(text):
        if skip and start in skip:
            yield pos + 1, _apostrophes(word), start, end
            continue
        if previous is not None:
            gap = text[previous[2]:start]
            if skip and "-" in gap and "\n" in gap:  # "Okla-\n14\nhoma": the number's line
                gap = _LINE_END.sub("\n", "".join(
                    c for k, c in enumerate(gap, previous[2]) if k not in skip))
            if "-" in gap and "\n" in gap and _LINE_BREAK_HYPHEN.fullmatch(gap):
                yield pos, _apostrophes(previous[0] + word), previous[1], end
                yield pos + 1, _apostrophes(word), start, end  # beside the next word
                previous = None  # one join at a time: "a-⏎b-⏎c" joins a+b only
                continue
        pos += 1
        yield pos, _apostrophes(word), start, end
        glued = _GLUED_MARK.fullmatch(word) if word[0].isdigit() or word[-1].isdigit() else None
        if glued:
            part = 1 if glued.group(1) else 2
            yield pos, glued.group(part), start + glued.start(part), start + glued.end(part)
        previous = word, start, end


def words_of(text: str) -> list[tuple[str, int, int]]:
    """(word, start, end) of each word of `text`, in order: token position i is word i. The
    parts of a word broken by soft hyphens are one word (its text without them)."""
    found = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
    if _SOFT_HYPHEN not in text:
        return found
    merged: list[tuple[str, int, int]] = []
    for word in found:
        if merged and _SOFT_HYPHEN_GAP.fullmatch(text, merged[-1][2], word[1]):
            last = merged[-1]
            merged[-1] = (last[0] + word[0], last[1], word[2])
        else:
            merged.append(word)
    return merged


def _apostrophes(word: str) -> str:
    """A word with its typographic apostrophes (’) made plain ('): "state’s" is "state's"."""
    return word.replace("’", "'") if "’" in word else word


_ANALYZER = text_analyzer()


@lru_cache(maxsize=100_000)
def analyse_word(word: str) -> str:
    """One tokenizer word as the index stores it (the filters work word by word)."""
    for token in _ANALYZER(word):
        return str(token.text)
    return word


def fold_word(word: str) -> str:
    """A word as written, folded as the index folds it (apostrophes, case, accents), not
    stemmed."""
    return _apostrophes(word).lower().translate(accent_map)


def surface_words(text: str) -> set[str]:
    """The distinct words of `text` as the tokenizer gives them (joined across line-end
    hyphens, soft hyphens left out, glued footnote marks taken off), folded for case and
    accents, not stemmed: what fuzzy terms are matched against (archive.search.fuzzy).
    Done in C when the text has none of those."""
    if _SOFT_HYPHEN in text or _ANY_LINE_BREAK_HYPHEN.search(text):
        return {fold_word(word) for _, word, _, _ in word_tokens(text)}
    found = set(_WORD.findall(text))
    for word in [w for w in found if not w.isalpha()]:  # "feet6": "feet" too
        glued = _GLUED_MARK.fullmatch(word)
        if glued:
            found.add(glued.group(1) or glued.group(2))
    return {fold_word(word) for word in found}


class SurfaceWordsField(fields.FieldType):
    """The words as written (folded) that stemming changes, with no positions and no
    scores: with the stems of `text` (where every word stemming leaves alone already is),
    the vocabulary a fuzzy term walks, nothing more.

    A stemmed index cannot answer `investigaton~1`: "investigation" is stored as
    "investig", four edits away. Here the edit distance is taken on the words as printed;
    each word found is then searched for in `text` as if it had been typed, so its pages
    come from `text`, and each word is stored once per document (`add_pages`), on the
    first page that has it: a document's pages are always written and deleted together.
    Cost (real born-digital text, 438 pages): Whoosh indexing +23 to +35 % CPU (0.6 to
    0.9 ms a page) and the index +14 % in size; every word on every page cost +50 % and
    +35 %.
    """

    def __init__(self) -> None:
        self.format = formats.Existence()
        self.analyzer = HyphenJoiningTokenizer() | LowercaseFilter() | CharsetFilter(accent_map)
        self.column_type = None
        self.scorable = False
        self.stored = False
        self.unique = False
        self.indexed = True
        self.vector = None
        self.spelling = False

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        """(word, 1, 1.0, b"") for each word: a list of words as they are, or a text's
        `surface_words` (not the analyzer: faster)."""
        words = value if isinstance(value, list | tuple) else sorted(surface_words(str(value)))
        for word in words:
            yield word.encode("utf-8"), 1, 1.0, b""


def analysed_words(text: str) -> tuple[list[str], list[tuple[str, int, int]], set[str]]:
    """The indexed forms of the words of `text`, the words (`words_of`), and the forms whose
    positions the tokenizer moves or adds (words joined across line-break hyphens and the
    second halves, words under glued footnote marks): token position i is word i until the
    first of those, which callers check for (`excerpts` then asks `matches`). Done mostly in
    C: fast.
    """
    found = words_of(text)
    forms = [analyse_word(word) for word, _, _ in found]
    joined: set[str] = set()
    for hyphen in _ANY_LINE_BREAK_HYPHEN.finditer(text):
        after = bisect_right(found, hyphen.start(), key=lambda w: w[1])
        if 0 < after < len(found):
            before, following = found[after - 1], found[after]
            if _LINE_BREAK_HYPHEN.fullmatch(text, before[2], following[1]):
                joined.add(analyse_word(before[0] + following[0]))
                joined.add(analyse_word(following[0]))  # not at its word's position
    for word, _, _ in found:
        if word[0].isdigit() or word[-1].isdigit():
            glued = _GLUED_MARK.fullmatch(word)
            if glued:
                joined.add(analyse_word(glued.group(1) or glued.group(2)))
    return forms, found, joined


def analysed_tokens(text: str, margins: Iterable[Sequence[int]] = ()
                    ) -> list[tuple[int, str, int, int]]:
    """(position, indexed form, start, end) of every token of `text`, as the analyzer gives
    them (`margins`: see `word_tokens`), but fast: each distinct word is stemmed once per
    process.
    """
    return [(pos, analyse_word(word), start, end)
            for pos, word, start, end in word_tokens(text, margins)]


def make_schema() -> fields.Schema:
    """The page schema. Change it and bump SCHEMA_VERSION; `archive reindex` rebuilds."""
    analyzer = text_analyzer()
    return fields.Schema(
        id=fields.ID(unique=True, stored=True),
        doc_id=fields.ID(stored=True),
        page=fields.NUMERIC(int, stored=True, sortable=True),
        pages=fields.NUMERIC(int, stored=True),
        title=fields.TEXT(analyzer=analyzer, stored=True),
        production=fields.TEXT(analyzer=analyzer, stored=True),
        production_id=fields.KEYWORD(commas=True, stored=True, sortable=True),
        text=fields.TEXT(analyzer=analyzer, stored=True, phrase=True),
        # The last words of the page and the first of the next (archive.search.bridges).
        bridge=fields.TEXT(analyzer=text_analyzer(BridgeTokenizer()), stored=True,
                           phrase=True),
        words=SurfaceWordsField(),  # the words stemming changes, as written: fuzzy terms
        margins=fields.STORED(),  # [[start, end]] of the text's margin line numbers
        text_source=fields.ID(stored=True),
        kind=fields.ID(stored=True, sortable=True),  # archive.foia.kinds: email, scan, ...
        agency=fields.TEXT(analyzer=analyzer, stored=True),
        # the releasing agencies' names whole, one a line (facet; `agency_name:"ICE"`)
        agency_name=fields.KEYWORD(analyzer=RegexTokenizer(r"[^\n]+") | StripFilter()),
        year=fields.ID(sortable=True),  # of the record's own date (facet; `year:2017`)
        released=fields.DATETIME(stored=True, sortable=True),
        date=fields.DATETIME(stored=True, sortable=True),
        sender=fields.TEXT(analyzer=analyzer),
        recipients=fields.TEXT(analyzer=analyzer),
        cc=fields.TEXT(analyzer=analyzer),
        subject=fields.TEXT(analyzer=analyzer),
        bates=fields.KEYWORD(lowercase=True, stored=True, commas=True),
        exemption=fields.KEYWORD(lowercase=True, commas=True, stored=True),
        redacted=fields.ID(stored=True),
        foia=fields.STORED(),  # the page's JSON additions (archive.records)
        dup_group=fields.ID(stored=True, sortable=True),  # near-duplicate pages share it
        release_order=fields.ID(sortable=True),  # first release date, for collapse=1
        added=fields.NUMERIC(int, bits=64, stored=True, sortable=True),  # see added_key
    )


def open_existing(path: Path) -> index.Index | None:
    """Open the index at `path`; None when there is none. Never creates one.

    Raises:
        IndexOutOfDateError: the index was built with another schema version.
    """
    if not index.exists_in(str(path)):
        return None
    version_file = path / _VERSION_FILE
    found = version_file.read_text().strip() if version_file.exists() else "?"
    if found != str(SCHEMA_VERSION):
        raise IndexOutOfDateError(
            f"the search index at {path} has schema version {found}, this program "
            f"needs {SCHEMA_VERSION}; run `archive reindex` (no OCR is redone)"
        )
    try:
        return index.open_dir(str(path))
    except (index.EmptyIndexError, FileNotFoundError):  # removed since exists_in looked
        return None


def check_not_lost(path: Path, found: int | None, indexed_pages: int) -> None:
    """Refuse an index that lost the catalog's pages: missing (`found` is None) or empty
    while the catalog records `indexed_pages` pages as indexed.

    A deleted or emptied `index/whoosh` must not pass for an empty archive: its pages would
    never be found again, and an add would write into it as if nothing were missing.

    Raises:
        IndexLostError: with the command that rebuilds the index from the catalog.
    """
    if indexed_pages > 0 and not found:
        state = "missing" if found is None else "empty"
        raise IndexLostError(
            f"the search index at {path} is {state} but the catalog has {indexed_pages} "
            "indexed pages; run `archive reindex` to rebuild it from the catalog (no OCR "
            "is redone)"
        )


def open_or_create(path: Path, *, indexed_pages: int = 0) -> index.Index:
    """Open the index at `path`, creating it if absent.

    Args:
        path: the index folder.
        indexed_pages: the pages the catalog records as indexed (`Catalog.stats()["pages"]`);
            writers pass it so that a lost index is refused instead of silently restarted.

    Raises:
        IndexOutOfDateError: the index was built with another schema version.
        IndexLostError: the index is missing or empty but the catalog has indexed pages.
    """
    ix = open_existing(path)
    check_not_lost(path, ix.doc_count() if ix is not None else None, indexed_pages)
    if ix is not None:
        return ix
    return recreate(path)


def recreate(path: Path) -> index.Index:
    """An empty index at `path`, replacing whatever was there (the catalog is untouched)."""
    path.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(path), make_schema())
    (path / _VERSION_FILE).write_text(f"{SCHEMA_VERSION}\n")
    return ix


@contextmanager
def writer(ix: index.Index, timeout: float = 0.0) -> Iterator[IndexWriter]:
    """A writer that commits on success and cancels, then re-raises, on any error.

    Raises:
        ArchiveLockedError: another process holds the index's write lock.
    """
    try:
        w = ix.writer(timeout=timeout, limitmb=128)
    except LockError as exc:
        raise ArchiveLockedError(
            "the search index is locked by another `archive add` or `reindex`; "
            "wait for it to finish and run the command again"
        ) from exc
    try:
        yield w
    except BaseException:
        w.cancel()
        raise
    w.commit()


def page_fields(doc: dict[str, Any], page: dict[str, Any]) -> dict[str, Any]:
    """The Whoosh document of one page, from catalog rows turned into dicts.

    `doc` carries: doc_id, title, kind, page_count, productions (list of dicts with slug,
    name, agency, released), added_at (when its pages entered the index, epoch seconds).
    `page` carries: page_no, text, text_source, annotations.
    """
    productions = doc["productions"]
    notes = page.get("annotations") or {}
    email = notes.get("email") or {}
    margins = line_numbers.spans(notes)
    text = normalize_text(page["text"])
    out: dict[str, Any] = {
        "id": f"{doc['doc_id']}:{page['page_no']:05d}",
        "doc_id": doc["doc_id"],
        "page": page["page_no"],
        "pages": doc.get("page_count") or 0,
        "title": doc["title"],
        "production": "; ".join(p["name"] for p in productions),
        "production_id": ",".join(p["slug"] for p in productions),
        "text": PageText(text, margins),
        "_stored_text": text,  # shown as it is: the Whoosh document stores a plain str
        "bridge": page.get("bridge") or "",
        "text_source": page["text_source"],
        "kind": kinds.page_kind(doc["kind"], page["text_source"], notes),
        "agency": "; ".join(p["agency"] for p in productions if p.get("agency")),
        "agency_name": "\n".join(dict.fromkeys(agency_names(productions))),
        "sender": email.get("from") or "",
        "recipients": email.get("to") or "",
        "cc": email.get("cc") or "",
        "subject": email.get("subject") or "",
        "bates": ",".join(notes.get("bates_keys") or []),
        "exemption": ",".join(notes.get("exemption_keys") or []),
        "redacted": "yes" if (notes.get("redactions") or {}).get("count") else "no",
        "foia": records.page_record(productions, notes),
        "release_order": records.release_order(productions),
        "dup_group": notes.get("dup_group") or f"{doc['doc_id']}:{page['page_no']:05d}",
        "added": added_key(doc.get("added_at")),
    }
    released = [_date(p.get("released")) for p in productions]
    if any(released):
        out["released"] = min(d for d in released if d)
    if margins:
        out["margins"] = [list(span) for span in margins]
    record_date = _date(notes.get("record_date"))
    if record_date:
        out["date"] = record_date
        out["year"] = f"{record_date.year:04d}"
    return out


def added_key(seconds: float | None) -> int:
    """When a page entered the index as the `added` field holds it: microseconds since the
    epoch (Whoosh's sortable float columns fail; whole numbers sort and compare exactly)."""
    return round(float(seconds or 0.0) * 1_000_000)


def added_seconds(key: int | None) -> float:
    """The `added` field back in seconds since the epoch."""
    return int(key or 0) / 1_000_000


def agency_names(productions: list[dict[str, Any]]) -> list[str]:
    """The agencies that released a document, as the `agency_name` field holds them: each
    name on one line, without double quotes (a filter quotes it)."""
    return [" ".join(str(p["agency"]).replace('"', "").split())
            for p in productions if p.get("agency") and str(p["agency"]).strip()]


def normalize_text(text: str) -> str:
    """Text as indexed: NUL and other control characters removed, whitespace kept."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", " ", text)


def _date(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def add_pages(w: IndexWriter, doc: dict[str, Any], pages: list[dict[str, Any]]) -> None:
    """Write (or overwrite) the pages of one document: all of them, always (the `words`
    field carries each of the document's words that stemming changes once, on the first
    page that has it), each with its bridge to the next page (given in `pages`: a page's
    bridge is written with the page after it)."""
    seen: set[str] = set()
    for page, bridge in zip(pages, page_bridges(pages), strict=True):
        fields = page_fields(doc, {**page, "bridge": bridge})
        words = {w for w in surface_words(fields["text"]) if analyse_word(w) != w} - seen
        seen |= words
        w.update_document(**fields, words=sorted(words))


def page_bridges(pages: list[dict[str, Any]]) -> list[str]:
    """The bridge of each page to the next one (`archive.search.bridges`), margin line
    numbers left out; "" where the next page is not among `pages`."""
    found = bridges.page_bridges(
        [normalize_text(page["text"] or "") for page in pages],
        margins=[line_numbers.spans(page.get("annotations") or {}) for page in pages])
    return [bridge if i + 1 < len(pages) and pages[i + 1]["page_no"] == page["page_no"] + 1
            else "" for i, (page, bridge) in enumerate(zip(pages, found, strict=True))]


def delete_document(w: IndexWriter, doc_id: str) -> None:
    """Remove every page of a document from the index."""
    w.delete_by_term("doc_id", doc_id)
