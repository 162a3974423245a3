"""Decode email bytes and headers in whatever charset they claim, or really use.

Mail in the wild mislabels its charsets: `iso-8859-8-i`, `ks_c_5601-1987`, `x-sjis`,
`unknown-8bit`, 8-bit bytes in headers that declare nothing. Every declared name is mapped to
a codec Python knows (a superset where senders use one: GB2312 text is often GBK, Shift_JIS
text is often CP932), and undecodable text falls back to UTF-8, then windows-1252, so text is
never lost and decoding never raises.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re

# Declared names -> the codecs that read what senders actually wrote, best first.
_SUPERSETS: dict[str, tuple[str, ...]] = {
    "iso-8859-8-i": ("iso8859_8",), "iso-8859-8-e": ("iso8859_8",),
    "iso-8859-6-i": ("iso8859_6",), "iso-8859-6-e": ("iso8859_6",),
    "gb2312": ("gb18030",), "gbk": ("gb18030",), "x-gbk": ("gb18030",), "cp936": ("gb18030",),
    "euc-cn": ("gb18030",), "x-euc-cn": ("gb18030",),
    "ks_c_5601-1987": ("cp949",), "ks_c_5601": ("cp949",), "euc-kr": ("cp949",),
    "x-windows-949": ("cp949",), "uhc": ("cp949",),
    "shift_jis": ("cp932",), "shift-jis": ("cp932",), "x-sjis": ("cp932",), "sjis": ("cp932",),
    "ms_kanji": ("cp932",), "windows-31j": ("cp932",), "csshiftjis": ("cp932",),
    "iso-2022-jp": ("iso2022_jp", "iso2022_jp_2", "iso2022_jp_ext", "iso2022_jp_3"),
    "euc-jp": ("euc_jp", "euc_jis_2004"), "x-euc-jp": ("euc_jp", "euc_jis_2004"),
    "big5": ("big5hkscs", "cp950"), "x-x-big5": ("big5hkscs", "cp950"),
    "windows-874": ("cp874",), "tis-620": ("cp874",), "x-mac-roman": ("mac_roman",),
    # WHATWG practice: text labelled Latin-1 or ASCII is usually windows-1252
    "iso-8859-1": ("cp1252",), "latin1": ("cp1252",), "us-ascii": ("ascii",),
}
# Names that say "I do not know": decode by trying UTF-8, then the fallback.
UNKNOWN = frozenset({"", "unknown-8bit", "x-unknown", "unknown", "8bit", "default",
                     "x-user-defined", "charset", "none", "binary"})

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")
_SPACE_BETWEEN_WORDS = re.compile(r"(\?=)\s+(=\?)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def codecs_for(declared: str | None) -> list[str]:
    """The Python codecs to try for a declared charset name (empty when unknown)."""
    name = (declared or "").strip().strip("\"'").lower()
    if name in UNKNOWN:
        return []
    if name in _SUPERSETS:
        return list(_SUPERSETS[name])
    try:
        return [codecs.lookup(name).name]
    except LookupError:
        return []


def decode_bytes(data: bytes, declared: str | None = None, fallback: str | None = None) -> str:
    """Text of `data`: the declared charset if it reads cleanly, else UTF-8, else a fallback.

    Args:
        data: the bytes as sent.
        declared: the charset the part or header names (may be wrong, unknown or absent).
        fallback: a charset to prefer over windows-1252 when guessing (the message's other
            parts' charset, or an Outlook file's ANSI code page).
    """
    tried = codecs_for(declared)
    for name in [*tried, "utf-8", *codecs_for(fallback)]:
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    last = (tried or codecs_for(fallback) or ["cp1252"])[0]
    return data.decode(last, errors="replace")


def decode_header(raw: str | bytes | None, fallback: str | None = None) -> str:
    """A header value as readable text: RFC 2047 words decoded, 8-bit bytes guessed, unfolded.

    `raw` is the header as parsed by `email` with the compat32 policy: str holding 8-bit bytes
    as surrogate escapes.
    """
    if raw is None:
        return ""
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", "surrogateescape")
    raw = str(raw)
    raw = _SPACE_BETWEEN_WORDS.sub(r"\1\2", re.sub(r"\r?\n[ \t]*", " ", raw))
    out: list[str] = []
    position = 0
    for match in _ENCODED_WORD.finditer(raw):
        out.append(_plain(raw[position:match.start()], fallback))
        out.append(_encoded_word(match, fallback))
        position = match.end()
    out.append(_plain(raw[position:], fallback))
    return clean_text(" ".join("".join(out).split()))


def _plain(text: str, fallback: str | None) -> str:
    if not text:
        return ""
    data = text.encode("utf-8", "surrogateescape")
    return decode_bytes(data, "utf-8", fallback)


def _encoded_word(match: re.Match[str], fallback: str | None) -> str:
    charset, encoding, payload = match.group(1).split("*")[0], match.group(2), match.group(3)
    try:
        if encoding in "bB":
            data = base64.b64decode(payload + "=" * (-len(payload) % 4))
        else:
            data = binascii.a2b_qp(payload.encode("ascii", "surrogateescape"), header=True)
    except (binascii.Error, ValueError):
        return match.group(0)
    return decode_bytes(data, charset, fallback)


def clean_text(text: str) -> str:
    """Text safe to lay out and index: no control characters (but newline and tab), no lone
    surrogates, CRLF as LF."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\ud800-\udfff]", "\ufffd", text)
    return _CONTROL.sub("", text)
