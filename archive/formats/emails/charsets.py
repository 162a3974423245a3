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
    if b"\x1b$" in data and not any(name.startswith("iso2022") for name in tried):
        tried = [*_SUPERSETS["iso-2022-jp"], *tried]  # ISO-2022-JP whatever the label says
    # ASCII bytes always read as UTF-8: that proves nothing when the declared charset failed
    guesses = [] if tried and data.isascii() else ["utf-8", *codecs_for(fallback)]
    for name in [*tried, *guesses]:
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    if tried and tried[0].startswith("iso2022_jp"):
        return iso2022jp_as_cp932(data)
    # bytes that are not what the label says: Latin text mislabelled is the usual case
    last = [n for n in [*tried, *codecs_for(fallback)] if n not in ("ascii", "utf-8")] or [
        "cp1252"]
    return data.decode(last[0], errors="replace")


def iso2022jp_as_cp932(data: bytes) -> str:
    """ISO-2022-JP as Outlook writes it (code page 50220): JIS X 0208 plus NEC and IBM
    extensions (circled digits, №, Roman numerals) that Python's iso2022_jp codecs refuse.

    Each two-byte JIS character is moved to its Shift_JIS position and read as CP932.
    """
    out = bytearray()
    mode = "ascii"
    i = 0
    while i < len(data):
        if data[i] == 0x1B:
            sequence = data[i + 1:i + 3]
            mode = {b"$@": "jis", b"$B": "jis", b"(I": "kana"}.get(sequence, "ascii")
            i += 3
            continue
        byte = data[i]
        if mode == "jis" and 0x21 <= byte <= 0x7E and i + 1 < len(data):
            out += _jis_to_sjis(byte, data[i + 1])
            i += 2
            continue
        out.append(byte + 0x80 if mode == "kana" and 0x21 <= byte <= 0x5F else byte)
        i += 1
    return out.decode("cp932", errors="replace")


def _jis_to_sjis(j1: int, j2: int) -> bytes:
    s1 = ((j1 - 0x21) >> 1) + 0x81
    if s1 > 0x9F:
        s1 += 0x40
    s2 = j2 + 0x1F + (j2 >= 0x60) if j1 % 2 else j2 + 0x7E
    return bytes((s1, s2 & 0xFF))


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
            payload = payload.rstrip("=")
            data = base64.b64decode(payload + "=" * (-len(payload) % 4), validate=True)
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
