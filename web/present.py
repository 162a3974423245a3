"""What the templates show: hits grouped by document, match boxes, safe excerpts, counts."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from archive.foia import line_numbers
from archive.models import Hit
from archive.search import crossing
from archive.search.matches import Box, match_boxes
from archive.store import Store

_NOT_OUR_TAG = re.compile(r"<(?!/?mark>)")


def trusted_marks(html: str) -> Markup:
    """HTML that is escaped text plus our <mark> tags, made safe to insert.

    Excerpts come escaped from `archive.search.query` and page text from
    `archive.search.matches`; as a second line of defence any `<` that does not open or close
    a bare <mark> is escaped.
    """
    return Markup(_NOT_OUR_TAG.sub("&lt;", html))


@dataclass(slots=True)
class HitView:
    """One hit with what its thumbnail needs: the page size and the boxes of its matches."""

    hit: Hit
    excerpt: Markup
    pages: int
    width: float
    height: float
    boxes: list[Box] = field(default_factory=list)


@dataclass(slots=True)
class HitGroup:
    """The hits of one document on this page of results, best first."""

    doc_id: str
    title: str
    production: str
    hits: list[HitView]
    shown: int

    @property
    def first(self) -> list[HitView]:
        """The hits shown at once."""
        return self.hits[: self.shown]

    @property
    def more(self) -> list[HitView]:
        """The hits behind "N more matching pages in this document"."""
        return self.hits[self.shown :]


def hit_views(hits: Sequence[Hit], sequences: Sequence[Sequence[str]],
              catalog: Store | None,
              text_layer: Sequence[Sequence[str]] | None = None, searcher: Any = None,
              closed: frozenset[str] = frozenset()) -> list[HitView]:
    """Each hit with its page's size, its document's page count and its match boxes
    (`text_layer`: the sequences for a hit with a text layer, when they differ; with
    `searcher`, those of a phrase running over a page break too, but over none of the
    `closed` bridges: `query.closed_bridges`)."""
    views = []
    pages: dict[str, int] = {}
    for hit in hits:
        row = catalog.page(hit.doc_id, hit.page) if catalog is not None else None
        if hit.doc_id not in pages:
            doc = catalog.document(hit.doc_id) if catalog is not None else None
            pages[hit.doc_id] = int(doc["page_count"] or 0) if doc is not None else 0
        width = float(row["width"]) if row is not None else 612.0
        height = float(row["height"]) if row is not None else 792.0
        marks = text_layer if text_layer is not None and hit.text_source == "text" \
            else sequences
        boxes: list[Box] = []
        if row is not None and marks:
            words = json.loads(row["words"] or "[]")
            notes = json.loads(row["annotations"] or "{}")
            margin_words = line_numbers.word_indexes(notes)
            boxes = match_boxes(words, marks, margin_words) + crossing.on_page(
                searcher, hit.doc_id, hit.page, row["text"], words, marks, closed,
                margins=line_numbers.spans(notes), margin_words=margin_words).boxes
        views.append(HitView(hit=hit, excerpt=trusted_marks(hit.excerpt),
                             pages=pages[hit.doc_id], width=width, height=height, boxes=boxes))
    return views


def group_by_document(views: Sequence[HitView], shown: int) -> list[HitGroup]:
    """Hits grouped by document, groups in the order of their best hit."""
    groups: dict[str, HitGroup] = {}
    for view in views:
        hit = view.hit
        if hit.doc_id not in groups:
            groups[hit.doc_id] = HitGroup(doc_id=hit.doc_id, title=hit.title,
                                          production=hit.production, hits=[], shown=shown)
        groups[hit.doc_id].hits.append(view)
    return list(groups.values())
