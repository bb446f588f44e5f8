"""Text normalisation shared by parsing and change detection.

Two uploads that differ only in encoding (UTF-8 vs UTF-16 vs Windows-1252),
line ends, composed vs decomposed accents, or runs of whitespace must look
identical to everything that compares articles. This module is that one
definition of "identical".
"""

import hashlib
import re
import unicodedata
from collections.abc import Iterable

# Invisible characters that editors' tools insert or drop at will: zero-width
# space/joiners, word joiner, and a stray byte-order mark inside the text.
INVISIBLE_CHARACTERS = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_INVISIBLE = re.compile(f"[{INVISIBLE_CHARACTERS}]")
# Keeps the fields apart in the hash input so text cannot migrate between
# headline, dateline and body without changing the hash.
_FIELD_SEPARATOR = "\x1f"


def normalise_text(text: str) -> str:
    """NFC, invisible characters removed, every whitespace run one space, trimmed."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    # str.split() splits on exactly the Unicode whitespace \s means, and is
    # several times faster than a regex substitution on long bodies.
    return " ".join(text.split())


def content_hash(headline: str, dateline: str | None, paragraphs: Iterable[str]) -> str:
    """sha256 hex over the normalised headline, dateline and body.

    The body is hashed as one run of text, so re-flowing paragraphs (a
    whitespace-only change) keeps the hash; any change to the words moves it.
    """
    body = normalise_text(" ".join(paragraphs))
    material = _FIELD_SEPARATOR.join(
        (normalise_text(headline), normalise_text(dateline or ""), body)
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()
