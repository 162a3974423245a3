"""Fuzzy terms on the words as written, fuzzy words inside phrases, and the OCR-tolerant
phrase switch (`tolerant`).

- `investigaton~1` is matched against the page's words as printed (folded for case and
  accents: the `words` field), not against stems: "investigation" is one edit away, while
  its stem "investig" is four. Each word found is then searched for in `text` as if it had
  been typed (so, stemmed), and so is the typed word itself; the error messages quote the
  term as typed.
- `"irigation~1 permit"`: a phrase may hold fuzzy words (`FuzzyPhrase`), expanded like
  fuzzy terms (one budget per query, `bounds.Expander`) and matched on the positions of
  `text` with every word a fuzzy word found standing for it.
- Tolerant (`archive search --tolerant`, `tolerant=1`): every word of 5 or more letters of
  every phrase may be one edit off, on pages read by OCR only (a text layer has no OCR
  misreadings); text-layer pages still need the phrase as typed.

A page where the typed words stand together ranks before one matched only fuzzily: the
first scores as the plain phrase would, the second `FUZZY_WEIGHT` of that.

Part of the Whoosh seam in archive/search/.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from whoosh import matching, query
from whoosh.qparser import plugins, syntax

from archive.errors import QueryError
from archive.search import collectors
from archive.search.index import analyse_word, fold_word, words_of

TOLERANT_MIN_LETTERS = 5  # shorter words are too easily another word one edit away
FUZZY_WEIGHT = 0.001  # a page matched only fuzzily scores this share of an exact match
_TILDE = re.compile(r"~(?P<maxdist>[0-9])?(?:/(?P<prefix>[1-9][0-9]*))?")


class SurfaceFuzzy(query.FuzzyTerm):
    """`word~N/P` in page text: the words as written within N edits of the word as typed
    (folded), sharing its first P letters.

    `bounds.Expander` walks the `words` field for it and replaces it by the analysed forms
    of the words found, plus the typed word's own (`exact`).
    """

    def __init__(self, typed: str, maxdist: int = 1, prefixlength: int = 0,
                 boost: float = 1.0) -> None:
        super().__init__("text", fold_word(typed), boost=boost, maxdist=maxdist,
                         prefixlength=prefixlength)
        self.typed = typed

    @property
    def exact(self) -> str:
        """The typed word as the index stores it (stemmed)."""
        return analyse_word(self.text)

    def pattern(self) -> str:
        """The word to mark for it when its words were not looked up (`matches`)."""
        return f"{self.exact}~{self.maxdist}/{self.prefixlength}"

    def __str__(self) -> str:
        prefix = f"/{self.prefixlength}" if self.prefixlength else ""
        return f"{self.typed}~{self.maxdist}{prefix}"

    __unicode__ = __str__


@dataclass(frozen=True)
class Member:
    """One word of a phrase: the typed word as indexed, and the fuzzy term that may stand
    for it (a `SurfaceFuzzy`, or once expanded the words it found); None: exact only."""

    exact: str
    fuzzy: Any = None


class FuzzyPhrase(query.Query):
    """A phrase some of whose words are fuzzy: adjacent positions of `text`, each holding
    the typed word or one of the words its fuzzy term found.

    Args:
        members: the phrase's words, in order.
        typed: the phrase as typed, for messages.
        ocr_only: fuzzy matches count on pages read by OCR only (tolerant mode).
    """

    def __init__(self, members: tuple[Member, ...], typed: str, *, boost: float = 1.0,
                 ocr_only: bool = False) -> None:
        self.fieldname = "text"
        self.members = members
        self.typed = typed
        self.boost = boost
        self.ocr_only = ocr_only

    def fuzzy_terms(self) -> list[Any]:
        """The fuzzy terms of its words."""
        return [m.fuzzy for m in self.members if m.fuzzy is not None]

    def with_fuzzy(self, change: Callable[[Any], Any]) -> FuzzyPhrase:
        """A copy with each fuzzy term replaced by `change(term)`."""
        members = tuple(m if m.fuzzy is None else replace(m, fuzzy=change(m.fuzzy))
                        for m in self.members)
        return FuzzyPhrase(members, self.typed, boost=self.boost, ocr_only=self.ocr_only)

    def sequence(self, reader: Any = None, *, text_layer: bool = False) -> list[str]:
        """What `matches` marks for it: each word's analysed form, with the forms its fuzzy
        term found as `typed|found|...` (the typed word's form first), or a fuzzy pattern
        when they were not looked up; on a page with a text layer (`text_layer`) a
        tolerant phrase as typed."""
        return [m.exact if m.fuzzy is None or (text_layer and self.ocr_only)
                else alternatives(m.exact, m.fuzzy, reader) for m in self.members]

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, FuzzyPhrase) and self.members == other.members
                and self.boost == other.boost and self.ocr_only == other.ocr_only)

    def __hash__(self) -> int:
        return hash((self.members, self.boost, self.ocr_only))

    def __repr__(self) -> str:
        return f"FuzzyPhrase({self.typed!r}, {self.members!r}, ocr_only={self.ocr_only})"

    def __str__(self) -> str:
        return f'"{self.typed}"'

    __unicode__ = __str__

    def estimate_size(self, ixreader: Any) -> int:  # noqa: D102
        return min(ixreader.doc_frequency("text", m.exact) if m.fuzzy is None
                   else ixreader.doc_count_all() for m in self.members)

    def matcher(self, searcher: Any, context: Any = None) -> Any:  # noqa: D102
        if not searcher.is_atomic():
            subs = searcher.leaf_searchers()
            return matching.MultiMatcher([self.matcher(sub, context) for sub, _ in subs],
                                         [offset for _, offset in subs])
        reader = searcher.reader()
        slots = [[m.exact, *([] if m.fuzzy is None else found_words(m.fuzzy, reader))]
                 for m in self.members]
        fuzzy_on = None
        if self.ocr_only:
            sources = collectors.doc_values(reader, "text_source")
            fuzzy_on = lambda docnum: sources[docnum] != ("text",)  # noqa: E731
        return collectors.phrase_matcher(searcher, context, "text", slots, self.boost,
                                         fuzzy_weight=FUZZY_WEIGHT, fuzzy_on=fuzzy_on)


def found_words(fuzzy: Any, reader: Any) -> list[str]:
    """The analysed words a fuzzy term found in the segment `reader` reads; none when it was
    not expanded (`bounds.Expander` expands every query that is matched)."""
    if isinstance(fuzzy, SurfaceFuzzy):
        return []
    return [w.decode("utf-8") if isinstance(w, bytes) else str(w)
            for w in fuzzy._btexts(reader)]


def alternatives(exact: str, fuzzy: Any, reader: Any = None) -> str:
    """`exact|found|...` for a fuzzy term expanded (the words found in the segment `reader`
    reads, or in all of them), else its pattern (`salli~1/0`)."""
    if isinstance(fuzzy, SurfaceFuzzy):
        return fuzzy.pattern()
    return "|".join(dict.fromkeys([exact, *found_words(fuzzy, reader)]))


def _letters(word: str) -> int:
    return sum(c.isalpha() for c in word)


def phrase_members(text: str, *, tolerant: bool) -> Iterator[tuple[Member, bool]]:
    """The words of a phrase's text, each with whether it was typed fuzzy (`word~1`);
    tolerant, every other word of `TOLERANT_MIN_LETTERS` letters is one edit off."""
    skip_to = 0
    for typed, start, end in words_of(text):
        if start < skip_to:  # the distance after a ~ (`~1`, `~2/3`)
            continue
        tilde = _TILDE.match(text, end)
        if tilde:
            skip_to = tilde.end()
            maxdist = int(tilde.group("maxdist") or 1)
            prefix = int(tilde.group("prefix") or 0)
            yield Member(analyse_word(typed), SurfaceFuzzy(typed, maxdist, prefix)), True
        elif tolerant and _letters(typed) >= TOLERANT_MIN_LETTERS:
            yield Member(analyse_word(typed), SurfaceFuzzy(typed, 1, 0)), False
        else:
            yield Member(analyse_word(typed)), False


class SurfaceFuzzyPlugin(plugins.FuzzyTermPlugin):
    """Whoosh's `word~N/P` syntax, made a `SurfaceFuzzy` in page text."""

    class FuzzyTermNode(plugins.FuzzyTermPlugin.FuzzyTermNode):
        """A fuzzy word; in page text, matched against the words as written."""

        def query(self, parser: Any) -> Any:  # noqa: D102
            fieldname = self.fieldname or parser.fieldname
            words = [word for word, _, _ in words_of(self.text)]
            if fieldname != "text" or words != [self.text]:  # another field, or `e-mail~`
                return super().query(parser)
            q = SurfaceFuzzy(self.text, self.maxdist, self.prefixlength, boost=self.boost)
            return syntax.attach(q, self)


class FuzzyPhrasePlugin(plugins.PhrasePlugin):
    """Whoosh's "phrases", whose words may be fuzzy (`"irigation~1 permit"`); with the
    parser's `tolerant` set, every long word of a phrase in page text is."""

    class PhraseNode(plugins.PhrasePlugin.PhraseNode):
        """A phrase; a `FuzzyPhrase` when a word of it is fuzzy."""

        def query(self, parser: Any) -> Any:  # noqa: D102
            fieldname = self.fieldname or parser.fieldname
            tolerant = bool(getattr(parser, "tolerant", False))
            if fieldname != "text" or ("~" not in self.text and not tolerant):
                return super().query(parser)
            found = list(phrase_members(self.text, tolerant=tolerant and self.slop == 1))
            typed_fuzzy = any(typed for _, typed in found)
            if not any(member.fuzzy is not None for member, _ in found):
                return super().query(parser)
            if self.slop != 1:
                raise QueryError(f'"{self.text}"~{self.slop}: a phrase with fuzzy words '
                                 "matches them side by side only; remove the ~ after it")
            members = tuple(member for member, _ in found)
            q = FuzzyPhrase(members, self.text, boost=self.boost,
                            ocr_only=tolerant and not typed_fuzzy)
            return syntax.attach(q, self)

    class PhraseTagger(plugins.PhrasePlugin.PhraseTagger):
        """Makes this plugin's phrase nodes."""

        def create(self, parser: Any, match: Any) -> Any:  # noqa: D102
            slop = match.group("slop")
            return FuzzyPhrasePlugin.PhraseNode(match.group("text"), match.start("text"),
                                                int(slop) if slop else 1)
