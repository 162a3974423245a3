"""Atom 1.0 (RFC 4287) feeds of pages, newest first, built with ElementTree (every text is
escaped by the serializer; an excerpt goes out as escaped HTML, `type="html"`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree

from markupsafe import escape

from archive.models import Hit

ATOM = "http://www.w3.org/2005/Atom"
MIMETYPE = "application/atom+xml"
ElementTree.register_namespace("", ATOM)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class FeedInfo:
    """What a feed says about itself: its title, its own address (also its id) and the
    reading-room page it follows."""

    title: str
    self_url: str
    page_url: str


def timestamp(seconds: float) -> str:
    """An RFC 3339 time in UTC: `2026-12-03T19:40:02Z`."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def entry_html(hit: Hit) -> str:
    """An entry's content: the production and release date, then the highlighted excerpt
    (already escaped, matched words in <mark>)."""
    released = (hit.extra.get("production_meta") or {}).get("released")
    when = f" · released {escape(released)}" if released else ""
    return f"<p>{escape(hit.production)}{when}</p><p>{hit.excerpt}</p>"


def feed(info: FeedInfo, hits: Sequence[Hit], permalink: Callable[[Hit], str],
         updated: float) -> bytes:
    """The feed document: one entry per page, titled "Document · p. N", linking to the
    page's permalink, `updated` when the page was added (`hit.extra["added"]`)."""
    root = ElementTree.Element(f"{{{ATOM}}}feed")
    _text(root, "title", info.title)
    _text(root, "id", info.self_url)
    newest = max((float(h.extra.get("added") or 0) for h in hits), default=updated)
    _text(root, "updated", timestamp(newest))
    _link(root, info.self_url, "self", MIMETYPE)
    _link(root, info.page_url, "alternate", "text/html")
    author = ElementTree.SubElement(root, f"{{{ATOM}}}author")
    _text(author, "name", "FOIA reading room")
    _text(root, "generator", "foia-archive")
    for hit in hits:
        entry = ElementTree.SubElement(root, f"{{{ATOM}}}entry")
        url = permalink(hit)
        _text(entry, "title", f"{hit.title} · p. {hit.page}")
        _text(entry, "id", url)
        added = timestamp(float(hit.extra.get("added") or 0))
        _text(entry, "updated", added)
        _text(entry, "published", added)
        _link(entry, url, "alternate", "text/html")
        for slug, name in zip(hit.extra.get("production_ids") or [],
                              hit.production.split("; "), strict=False):
            ElementTree.SubElement(entry, f"{{{ATOM}}}category", term=slug, label=name)
        content = _text(entry, "content", entry_html(hit))
        content.set("type", "html")
    body: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def _text(parent: ElementTree.Element, tag: str, text: str) -> ElementTree.Element:
    element = ElementTree.SubElement(parent, f"{{{ATOM}}}{tag}")
    element.text = _NOT_XML.sub("", text)  # characters XML 1.0 cannot carry at all
    return element


def _link(parent: ElementTree.Element, href: str, rel: str, kind: str) -> None:
    ElementTree.SubElement(parent, f"{{{ATOM}}}link", href=href, rel=rel, type=kind)
