"""The lead paragraph: its dateline, and the summary a notification shows."""

import re
from typing import Final

from stoppress.articles.normalise import normalise_text

# A push notification body shows about two lines on a phone; longer is cut.
SUMMARY_MAX_CHARS: Final = 200
ELLIPSIS: Final = "…"

_PLACE_WORD = r"[^\W\d_][^\W\d_'’.\-]+"
# "BRUSSELS --", "NEW YORK (AP) —", "SPRINGFIELD, Ill. –", "МОСКВА, 12 мар —": the
# place (up to five words, in capitals: checked after matching, so any script
# works), an optional ", State" part, an optional ", 12 Mar" date (which is not
# part of the place), an optional agency in brackets, then a dash of some kind
# followed by a space.
_DATELINE: Final = re.compile(
    rf"^(?P<place>(?P<city>{_PLACE_WORD}(?:[ ]{_PLACE_WORD}){{0,4}})"
    r"(?:,[ ][^\W\d_][\w.'’\- ]{0,30}?)?)"
    r"(?:,[ ]\d{1,2}[ ][^\W\d_]{3,10}\.?)?"
    r"(?:\s+\([^\W\d_][\w .&\-]{0,30}\))?"
    r"\s*(?:--|—|–)\s+"
    # "МОСКВА, 12 мар — РИА Новости. Власти ...": a wire agency's credit after the dash.
    r"(?:(?:РИА Новости|ТАСС|Интерфакс|AFP|AP|dpa|Reuters|EFE|ANSA|Europa Press|Xinhua)\.\s+)?"
)


# "By Jane Doe" / "By Jane Doe and Ali Khan, Associated Press": short, and not
# a sentence ("By noon, the river had crested." ends like one).
_BYLINE: Final = re.compile(r"^by\s+[^\W\d_][^.!?]{0,80}[^.!?:;,]$", re.IGNORECASE)


def is_byline(paragraph: str) -> bool:
    """A byline paragraph: story text, but never the lead a summary is made from."""
    return len(paragraph.split()) <= 12 and _BYLINE.match(paragraph) is not None


def split_dateline(paragraph: str) -> tuple[str | None, str]:
    """(dateline, rest of the paragraph); (None, paragraph) when it has none."""
    match = _DATELINE.match(paragraph)
    if match is None or not match.group("city").isupper():
        return None, paragraph
    return match.group("place").strip(), paragraph[match.end() :]


def summarise(lead: str, limit: int = SUMMARY_MAX_CHARS) -> str:
    """The lead cut on a word boundary to at most ``limit`` characters, "…" included."""
    text = normalise_text(lead)
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS) + 1]
    space = cut.rfind(" ")
    # A single enormous "word" (a URL) still has to fit.
    cut = cut[:space] if space > limit // 2 else cut[: limit - len(ELLIPSIS)]
    return cut.rstrip(" ,;:-–—") + ELLIPSIS
