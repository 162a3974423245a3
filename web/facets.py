"""Facets beside the results (production, exemption, redacted, agency, record year, kind)
and a production's counts.

Each facet value carries the URL of the narrowed search, built from the current search's
arguments, so a click keeps the query, the other filters and `collapse`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import url_for

from archive.foia import exemptions
from archive.foia.kinds import KINDS
from archive.models import SearchResults
from archive.search.query import search as run_search
from web.db import get_searcher, get_settings

if TYPE_CHECKING:
    from web.search import Query

REDACTED_LABELS = {"yes": "Redacted", "no": "Not redacted"}


@dataclass(slots=True)
class FacetValue:
    """One value of a facet: its label, how many matching pages carry it, its narrowed URL."""

    label: str
    count: int
    url: str
    active: bool = False
    key: str = ""


@dataclass(slots=True)
class Facet:
    """A facet: its values, and the URL that drops its filter when one is chosen."""

    name: str
    title: str
    values: list[FacetValue] = field(default_factory=list)
    clear_label: str = ""
    clear_url: str | None = None


def _url(query: Query, **changes: Any) -> str:
    return url_for("search.results", **query.args(**changes))


def facets(query: Query, found: SearchResults,
           productions: dict[str, dict[str, Any]]) -> list[Facet]:
    """The facets to show beside the results, empty ones left out."""
    counts = found.facets
    out: list[Facet] = []

    by_production = sorted(
        ((productions.get(slug, {"name": slug})["name"], slug, count)
         for slug, count in counts.get("production", {}).items() if slug and count),
        key=lambda item: (-item[2], str(item[0]).lower()))
    production = Facet("production", "Productions", [
        FacetValue(str(name), count, _url(query, production=slug), slug == query.production,
                   slug) for name, slug, count in by_production],
        "All productions", _url(query, production=None) if query.production else None)
    out.append(production)

    by_exemption = sorted((key, count) for key, count in counts.get("exemption", {}).items()
                          if key and count and exemptions.label(str(key)))
    exemption = Facet("exemption", "Exemptions", [
        FacetValue(str(exemptions.label(key)), count, _url(query, exemption=key),
                   key == query.exemption, key) for key, count in by_exemption],
        "Any exemption", _url(query, exemption=None) if query.exemption else None)
    out.append(exemption)

    redacted_counts = counts.get("redacted", {})
    redacted = Facet("redacted", "Redactions", [
        FacetValue(label, redacted_counts[key], _url(query, redacted=key),
                   key == query.redacted, key)
        for key, label in REDACTED_LABELS.items() if redacted_counts.get(key)],
        "Redacted or not", _url(query, redacted=None) if query.redacted else None)
    if redacted_counts.get("yes") or query.redacted:
        out.append(redacted)
    out.extend(_record_facets(query, counts))
    return [f for f in out if f.values or f.clear_url]


def _record_facets(query: Query, counts: dict[str, dict[Any, int]]) -> list[Facet]:
    """Agency (most pages first), record year (in order) and kind (in KINDS' order)."""
    agencies = sorted(((str(name), count) for name, count in counts.get("agency", {}).items()
                       if name and count), key=lambda item: (-item[1], item[0].lower()))
    years = sorted((str(year), count) for year, count in counts.get("year", {}).items()
                   if year and count)
    kind_counts = counts.get("kind", {})
    kinds = [(key, kind_counts[key]) for key in KINDS if kind_counts.get(key)]
    return [
        _facet(query, "agency", "Agencies", "Any agency", agencies, query.agency),
        _facet(query, "year", "Record year", "Any year", years, query.year),
        _facet(query, "kind", "Kind", "Any kind", kinds, query.kind, KINDS),
    ]


def _facet(query: Query, name: str, title: str, clear_label: str,
           values: list[tuple[str, int]], chosen: str | None,
           labels: dict[str, str] | None = None) -> Facet:
    """A facet whose values narrow the search by the URL argument `name`."""
    return Facet(name, title, [
        FacetValue((labels or {}).get(key, key), count, _url(query, **{name: key}),
                   key == chosen, key) for key, count in values],
        clear_label, _url(query, **{name: None}) if chosen else None)


@dataclass(slots=True)
class ProductionCounts:
    """How much of a production was withheld: indexed pages, pages per exemption label,
    pages with redaction boxes; each with the URL of the search that lists them."""

    pages: int
    exemptions: list[FacetValue]
    redacted: FacetValue


def production_counts(slug: str) -> ProductionCounts:
    """Pages per exemption and redacted pages of one production, from the index's facets."""
    results = run_search(get_searcher(), f'production_id:"{slug}"', get_settings(),
                         pagelen=1, production=slug)
    by_exemption = sorted((key, count) for key, count in
                          results.facets.get("exemption", {}).items()
                          if key and count and exemptions.label(str(key)))
    return ProductionCounts(
        pages=results.total,
        exemptions=[FacetValue(str(exemptions.label(key)), count,
                               url_for("search.results", q=f"exemption:{key}",
                                       production=slug), key=key)
                    for key, count in by_exemption],
        redacted=FacetValue("Redacted", results.facets.get("redacted", {}).get("yes", 0),
                            url_for("search.results", q="redacted:yes", production=slug),
                            key="yes"))
