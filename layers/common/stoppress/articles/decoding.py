"""Bytes to text for uploaded articles: BOMs, UTF-8, Windows-1252, line ends.

Editors upload from many tools. The rules, in order:

1. A byte-order mark decides: UTF-8, UTF-16 LE or UTF-16 BE (UTF-32 BOMs are
   refused, nobody writes articles in it and it hides binary files).
2. No BOM: UTF-8 if the bytes are valid UTF-8.
3. Otherwise a ``<meta charset>`` an HTML file declares, when it names a
   character set web pages are written in (``_DECLARABLE``). Python also
   knows codecs that are not character sets at all (``rot13``, ``base64``,
   ``zlib``, ``undefined``, ``unicode_escape``, ``utf-7``); a page that names
   one is read as if it had declared nothing.
4. Otherwise Windows-1252, the encoding "ANSI" editors on Windows save in,
   which also covers Latin-1 for every printable character.

Binary files are refused before any of that: NUL bytes (outside UTF-16) or
too many control characters mean the upload is not text.
"""

import codecs
import re
from typing import Final

from stoppress.core.errors import ArticleParseError

# Share of C0/C1 control characters (other than tab, newlines, form feed)
# above which a file is taken for binary. Real text has none; a stray one from
# a copy-paste should not reject a story.
MAX_CONTROL_SHARE: Final = 0.01
MAX_CONTROL_ABSOLUTE: Final = 8

_UTF32_BOMS: Final = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I)
# Legacy character sets of the web (the WHATWG Encoding Standard's, by Python's
# codec names), and ASCII. Anything else a page declares is ignored.
_DECLARABLE: Final = re.compile(
    r"ascii|cp\d{3,4}|iso8859-\d{1,2}|koi8-[ru]|mac-(?:roman|cyrillic)|tis-620|"
    r"big5|big5hkscs|gb2312|gbk|gb18030|euc_jp|euc_kr|shift_jis|iso2022_jp|cp932|cp949"
)
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_NEWLINES = re.compile("\r\n?|[\u2028\u2029\x85]")


def decode_article_bytes(data: bytes) -> str:
    """Decode an upload to text with ``\\n`` line ends, or raise ArticleParseError."""
    text = _decode(data)
    _refuse_binary(text)
    return _NEWLINES.sub("\n", text)


def _decode(data: bytes) -> str:
    if data.startswith(_UTF32_BOMS):
        raise ArticleParseError(
            "the file is UTF-32 encoded; save it as UTF-8 (or UTF-16) and upload again"
        )
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[len(codecs.BOM_UTF8) :], "utf-8", "UTF-8 (it starts with a UTF-8 BOM)")
    if data.startswith(codecs.BOM_UTF16_LE):
        return _strict(data[2:], "utf-16-le", "UTF-16 (it starts with a UTF-16 BOM)")
    if data.startswith(codecs.BOM_UTF16_BE):
        return _strict(data[2:], "utf-16-be", "UTF-16 (it starts with a UTF-16 BOM)")
    if b"\x00" in data:
        raise ArticleParseError(
            "the file contains NUL bytes, so it is binary (or UTF-16 without a byte-order "
            "mark); upload the article as text, saved as UTF-8"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _declared_charset(data)
    if declared is not None:
        try:
            return data.decode(declared)
        except (UnicodeError, LookupError):
            pass  # the declaration is wrong: read the bytes as Windows-1252
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as e:
        raise ArticleParseError(
            "the file is neither UTF-8 nor Windows-1252 text (byte "
            f"0x{data[e.start]:02x} at offset {e.start}); save it as UTF-8 and upload again"
        ) from e


def _strict(data: bytes, codec: str, what: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as e:
        raise ArticleParseError(
            f"the file claims to be {what} but byte offset {e.start} is not valid there; "
            "save it again as UTF-8 and upload it"
        ) from e


def _declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    if match is None:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name
    except LookupError:
        return None
    # A declared UTF-16/32 without a BOM is not what these bytes are (no NULs
    # got this far), and UTF-8 failed already: neither is in the list.
    return name if _DECLARABLE.fullmatch(name) else None


def _refuse_binary(text: str) -> None:
    if "\x00" in text:
        raise ArticleParseError(
            "the file contains NUL characters, so it is binary, not an article; "
            "upload the article as text"
        )
    controls = len(_CONTROL.findall(text))
    if controls > MAX_CONTROL_ABSOLUTE and controls > MAX_CONTROL_SHARE * len(text):
        raise ArticleParseError(
            f"the file has {controls} control characters in {len(text)}, so it looks "
            "binary, not like an article; upload the article as text"
        )
