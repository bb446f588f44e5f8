"""Text that reaches a reader's screen: headline, dateline, summary, paragraphs, tags.

Every format's reader hands its text to ``parse_article``'s finishing step, and
that step passes every field through ``screen_text``, so the rule below holds
whatever the format and however the file spelled its text (HTML character
references, YAML escapes, tags broken up by other tags or by characters that
vanish). What comes out:

- holds no markup: no tags, comments, CDATA sections or declarations, and no
  ``<`` that could open one;
- holds no script or style source: a ``<script>`` or ``<style>`` goes with
  everything up to its end tag, or to the end of the text when it has none,
  as in a browser;
- holds no character reference (``&lt;``, ``&#x202E;``): what one stands for
  is decoded and screened like the rest;
- holds no control characters (line breaks and tabs become spaces) and no
  bidirectional embeddings, overrides, isolates or marks, which can make a
  headline read backwards or hide its end;
- is valid Unicode: an escaped surrogate pair becomes its character, a lone
  surrogate U+FFFD;
- is normalised (``normalise.normalise_text``).

Undoing one layer can reveal another (``&amp;lt;b&amp;gt;``, ``<scr<b>ipt>``,
``<scr&#x7f;ipt>``), so the steps repeat until nothing changes: references are
decoded first, then what vanishes goes, then markup. Real text settles in a
few rounds, a hostile one in a few more; text still changing after
``_MAX_ROUNDS`` is built to be hostile, and loses every ``<`` and ``&`` it has
left, which settles it.
"""

import html
import re
import unicodedata
from typing import Final

from stoppress.articles.normalise import INVISIBLE_CHARACTERS, normalise_text

_MAX_ROUNDS: Final = 16

_BIDI_FORMATTING: Final = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# Anything that may need more than ``normalise_text``; text without any of it
# (nearly every paragraph) takes the fast path.
_SUSPECT: Final = re.compile(f"[<&\x00-\x1f\x7f-\x9f{_BIDI_FORMATTING}\ud800-\udfff]")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
# Controls that are not whitespace (``normalise_text`` makes the others spaces),
# bidirectional formatting, and the invisible characters ``normalise_text`` drops.
_VANISHING: Final = re.compile(
    f"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f{_BIDI_FORMATTING}{INVISIBLE_CHARACTERS}]"
)
# One pass, left to right, over comments, CDATA sections, script and style blocks
# and tags; what removing one joins up is left for the next round. Linear: a tag
# stops at the next ``<`` or ``>``, and a comment or block without its end runs
# to the end of the text, so nothing is scanned twice.
_MARKUP: Final = re.compile(
    r"<!--.*?(?:--!?>|\Z)"
    r"|<!\[CDATA\[.*?(?:\]\]>|\Z)"
    r"|<(script|style)(?:[\s/][^<>]*)?>.*?(?:</\1(?:[\s/][^<>]*)?>|\Z)"
    r"|<[A-Za-z/!?][^<>]*>",
    re.IGNORECASE | re.DOTALL,
)
_TAG_OPENER: Final = re.compile(r"<(?=[A-Za-z/!?])")


def screen_text(text: str) -> str:
    """``text`` as a reader may see it: plain, visible, valid Unicode, normalised."""
    return normalise_text(visible_text(text))


def visible_text(text: str) -> str:
    """``screen_text`` short of normalising: whitespace, line breaks included, stays."""
    if _SUSPECT.search(text) is None:
        return text
    for _ in range(_MAX_ROUNDS):
        # References are decoded all the way before markup is looked for, so that a
        # tag is read as the text means it, not as half of its escapes spell it.
        cleaner = _decoded(text)
        if cleaner == text:
            # What vanishes goes before markup is looked for: it cannot hide a tag.
            cleaner = _MARKUP.sub("", unicodedata.normalize("NFC", _VANISHING.sub("", text)))
        if cleaner == text:
            # A ``<`` that opens nothing yet could open a tag once joined with
            # what follows elsewhere; dropping it can join an ``&`` to a name.
            cleaner = _TAG_OPENER.sub("", text)
            if cleaner == text:
                return text
        text = cleaner
    return _MARKUP.sub("", _VANISHING.sub("", _decoded(text.replace("<", "").replace("&", ""))))


def _decoded(text: str) -> str:
    if _SURROGATE.search(text) is not None:
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return html.unescape(text)
