"""Plain-text articles, as the newsroom's wire desk writes them.

Layout, top to bottom::

    Get the latest updates as we post them — right on your browser   <- site banner, ignored
    . Last Updated: 07/27/2016                                       <- article's update date
    Notify: none                                                     <- optional header lines
    Urgency: high
    NATO Will Resume Top-Level Contacts                              <- headline: first other line
    BRUSSELS -- NATO said Monday that ...                            <- lead, with its dateline
    More paragraphs, separated by blank lines ...

Blank lines between the top lines do not matter. Lines inside a paragraph
are joined with a space (hard-wrapped text reads as one paragraph).

Header lines (before the headline only, one per line, ``Name: value``, the
name in any case):

- ``Notify: none | followers | all`` who hears about this upload; ``none``
  stores it silently, ``all`` alerts every subscriber.
- ``Urgency: very-low | low | normal | high`` the Web Push urgency.
- ``Tags: politics, europe`` comma-separated tags.
- ``Dateline: BRUSSELS`` the dateline, when the lead does not start with one.

A header line with an unknown value is an error (so a typo in ``Notify:``
never alerts a million readers by accident). The banner and the
``Last Updated: MM/DD/YYYY`` line (optionally followed by ``HH:MM`` and
``AM``/``PM``; read as UTC) are recognised anywhere, since the site's
templates put them in different places.
"""

import re
from datetime import UTC, datetime
from typing import Final

from stoppress.articles.draft import ArticleDraft, parse_notify, parse_tags, parse_urgency
from stoppress.core.errors import ArticleParseError

_BANNER: Final = re.compile(
    r"^\W*get\s+the\s+latest\s+updates\s+as\s+we\s+post\s+them\W+right\s+on\s+your\s+browser\W*$",
    re.IGNORECASE,
)
_LAST_UPDATED: Final = re.compile(
    r"^\W{0,3}(?:last\s+)?updated\s*:?\s*(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})"
    r"(?:,?\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<ampm>[ap]\.?m\.?)?)?\s*(?:UTC|GMT)?\s*$",
    re.IGNORECASE,
)
_HEADER: Final = re.compile(r"^(?P<name>notify|urgency|tags|dateline)\s*:\s*(?P<value>.*)$", re.I)


def parse_plain_text(text: str) -> ArticleDraft:
    draft = ArticleDraft()
    lines = [line.strip() for line in text.split("\n")]
    index = 0
    for index, line in enumerate(lines):
        if not line or _BANNER.match(line):
            continue
        if _read_last_updated(line, draft, index):
            continue
        header = _HEADER.match(line)
        if header:
            _read_header(header.group("name").lower(), header.group("value"), draft, index)
            continue
        draft.headline = line
        break
    else:
        raise ArticleParseError(
            "no headline: the file has no text besides the banner, date and header lines"
        )

    paragraph: list[str] = []
    for number, line in enumerate(lines[index + 1 :], start=index + 1):
        if _BANNER.match(line) or _read_last_updated(line, draft, number):
            continue
        if line:
            paragraph.append(line)
        elif paragraph:
            draft.paragraphs.append(" ".join(paragraph))
            paragraph = []
    if paragraph:
        draft.paragraphs.append(" ".join(paragraph))
    return draft


def _read_last_updated(line: str, draft: ArticleDraft, index: int) -> bool:
    match = _LAST_UPDATED.match(line)
    if match is None:
        return False
    hour = int(match.group("hour") or 0)
    ampm = (match.group("ampm") or "").lower().replace(".", "")
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    try:
        updated = datetime(
            int(match.group("year")),
            int(match.group("month")),
            int(match.group("day")),
            hour,
            int(match.group("minute") or 0),
            tzinfo=UTC,
        )
    except ValueError:
        raise ArticleParseError(
            f"line {index + 1}: {line!r} is not a real date (the format is MM/DD/YYYY)"
        ) from None
    if draft.updated_at is None:
        draft.updated_at = updated
    return True


def _read_header(name: str, value: str, draft: ArticleDraft, index: int) -> None:
    where = f"line {index + 1} ({name.capitalize()}:)"
    if name == "notify":
        draft.notify = parse_notify(value, where)
    elif name == "urgency":
        draft.urgency = parse_urgency(value, where)
    elif name == "tags":
        draft.tags = parse_tags(value, where)
    else:
        draft.dateline = " ".join(value.split()) or None
