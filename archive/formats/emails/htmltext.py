"""HTML email bodies as plain text, with the standard library's parser only.

Nothing is executed or fetched: the HTML is tokenised, never rendered. Scripts, styles and
other non-text elements are dropped with their content; links keep their address next to
their text, images their alt text, tables one row per line.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = {"script", "style", "head", "title", "template", "object", "embed", "iframe",
         "svg", "math", "xml", "noembed", "frameset", "select", "audio", "video", "canvas"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
         "param", "source", "track", "wbr"}
_BLOCK = {"p", "div", "tr", "table", "ul", "ol", "dl", "h1", "h2", "h3", "h4", "h5", "h6",
          "blockquote", "pre", "section", "article", "header", "footer", "address", "form",
          "fieldset", "center", "nav", "aside", "main", "figure", "figcaption", "caption",
          "tbody", "thead", "tfoot", "dt", "dd", "body", "html"}
_MAX_LINK = 300


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip: list[str] = []
        self.pre = 0
        self.links: list[tuple[str | None, int]] = []  # (address, where its text starts)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skip:
            if tag == self.skip[-1] and tag not in _VOID:
                self.skip.append(tag)
            return
        if tag in _SKIP:
            if tag not in _VOID:
                self.skip.append(tag)
            return
        values = dict(attrs)
        if tag in _BLOCK:
            self._newline()
        if tag == "pre":
            self.pre += 1
        elif tag == "br":
            self.out.append("\n")
        elif tag == "hr":
            self.out.append("\n" + "-" * 40 + "\n")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag in ("td", "th"):
            self.out.append("  ")
        elif tag == "img" and (values.get("alt") or "").strip():
            self.out.append(f" [image: {values['alt'].strip()}] ")  # type: ignore[union-attr]
        elif tag == "a":
            href = (values.get("href") or "").strip()
            shown = href.lower().startswith(("http:", "https:", "mailto:"))
            self.links.append((href if shown else None, len(self.out)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.skip:
            if tag == self.skip[-1]:
                self.skip.pop()
            return
        if tag == "pre" and self.pre:
            self.pre -= 1
        if tag == "a" and self.links:
            href, start = self.links.pop()
            shown = "".join(self.out[start:])
            if href and href.removeprefix("mailto:") not in shown and len(href) <= _MAX_LINK:
                self.out.append(f" <{href}>")
        if tag in _BLOCK or tag == "li":
            self._newline()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        self.out.append(data if self.pre else re.sub(r"\s+", " ", data))

    def _newline(self) -> None:
        self.out.append("\n")


def html_to_text(markup: str) -> str:
    """The readable text of an HTML document or fragment."""
    parser = _Text()
    parser.feed(markup)
    parser.close()
    text = "".join(parser.out).replace("\xa0", " ")
    lines = [line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
