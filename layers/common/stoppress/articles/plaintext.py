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
- ``Update: Police named the suspect.`` the line an update's push shows,
  instead of the one computed from the changes (at most 300 characters).
- ``Lang: de`` the article's language; ``Image: https://…`` its lead image.
- ``Embargo: 2026-12-01T09:00:00+01:00`` stored now, pushed not before then
  (a date and time with its UTC offset, or ``Z``).

A header line with an unknown value is an error (so a typo in ``Notify:``
never alerts a million readers by accident). The banner and the
``Last Updated: MM/DD/YYYY`` line (optionally followed by ``HH:MM`` and
``AM``/``PM``; read as UTC) are recognised anywhere, since the site's
templates put them in different places.

A page saved as text from a site (select-all, or the browser's "Save as
text") carries the rest of the page too:

- Above the story: the site's name, menu and section lines, sign-in links,
  then the headline, and between the headline and the story its byline,
  timestamps, reading time, share links, perhaps a photo caption. The
  headline is the line above the story's opening (its byline, or its first
  paragraph of prose) that reads most like one: alone between blank lines, a
  few words long, not a sentence, not a "Section · Subsection" line. A file
  with no such opening (a brief) takes its first line, as the wire desk
  writes it.
- Page furniture (``furniture``) is dropped wherever it is: share links,
  timestamps, "Read more:" links, copyright lines, promos, menus, and lists
  of other stories under a "Recommended" or "Most read" label. So it never
  becomes the headline or the lead, and editing it never changes the story's
  text. A whole paragraph goes when it is furniture; inside a paragraph, a
  line goes when it stands on its own (the line before it ends a sentence or
  is short, and the next does not continue it in lower case), so a
  hard-wrapped sentence is never cut. Bylines stay (story text, never the
  lead) unless they carry a timestamp.
"""

import re
from datetime import UTC, datetime
from itertools import takewhile
from typing import Final

from stoppress.articles.draft import (
    ArticleDraft,
    parse_embargo,
    parse_notify,
    parse_tags,
    parse_urgency,
    shown,
)
from stoppress.articles.furniture import (
    Furniture,
    furniture_kind,
    is_lead_candidate,
    is_volatile,
)
from stoppress.articles.presentation import clean_image_url, clean_lang, update_note
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
_HEADER: Final = re.compile(
    r"^(?P<name>notify|urgency|tags|dateline|update|lang|image|embargo)\s*:\s*(?P<value>.*)$",
    re.I,
)
# Hard-wrapped text fills its lines; a line shorter than this ends a paragraph
# or is a page element of its own (a byline, a date, a share link).
_SHORT_LINE_CHARS: Final = 40
_ENDS_UNIT: Final = re.compile(r"[.!?:…\"”’)\]]$")
_ENDS_SENTENCE: Final = re.compile(r"[.!?…][\"'”’»)\]]{0,3}$")
# A saved page's menu keeps the gaps between its items: "Politik  Wirtschaft  Sport".
_MENU_GAP: Final = re.compile(r" {2,}|\t+")
_MENU_ITEM_WORDS: Final = 4
# "Société · Éducation", "Home > News": a section or breadcrumb line, not a headline.
_SECTIONED: Final = re.compile(r"\s[|·•>›»/]\s")
# How far past the first headline-like line the story's opening is looked for,
# and how many lines of a paragraph are read to tell whether it opens the story.
_TOP_LINES: Final = 400
_OPENING_LINES: Final = 40
_MIN_OPENING_WORDS: Final = 8
# Section labels ("Local News", "Panorama") are a word or two; headlines longer.
_HEADLINE_WORDS: Final = 3
# A label over a list of links: the lines under it are other stories' headlines.
_LIST_LABELS: Final = frozenset({Furniture.RELATED, Furniture.SHARE, Furniture.LABEL})


def parse_plain_text(text: str) -> ArticleDraft:
    draft = ArticleDraft()
    lines = [line.strip() for line in text.split("\n")]
    # Gaps of several spaces mark a saved menu only where words are otherwise
    # one space apart: a file spaced out throughout has them everywhere.
    gaps_mark_menus = text.count(" ") > 3 * text.count("  ")
    index = _read_top(lines, draft, gaps_mark_menus)
    draft.headline = lines[index]

    block: list[str] = []
    for number, line in enumerate(lines[index + 1 :], start=index + 1):
        if _BANNER.match(line) or _read_last_updated(line, draft, number):
            continue
        if line:
            block.append(line)
        elif block:
            draft.paragraphs.extend(_story_paragraphs(block, draft.headline, gaps_mark_menus))
            block = []
    if block:
        draft.paragraphs.extend(_story_paragraphs(block, draft.headline, gaps_mark_menus))
    return draft


def _read_top(lines: list[str], draft: ArticleDraft, gaps_mark_menus: bool) -> int:
    """Read the header lines and the date above the story; return the headline's index."""
    candidates: list[int] = []
    for index, line in enumerate(lines):
        if candidates and index - candidates[0] > _TOP_LINES:
            break
        if not line or _BANNER.match(line) or _read_last_updated(line, draft, index):
            continue
        header = None if candidates else _HEADER.match(line)
        if header:
            _read_header(header.group("name").lower(), header.group("value"), draft, index)
            continue
        kind = _line_kind(line, None, gaps_mark_menus)
        if candidates and _opens_story(lines, index, kind):
            return _likeliest_headline(lines, candidates, index)
        if kind is None:
            candidates.append(index)
    if not candidates:
        raise ArticleParseError(
            "no headline: the file has no text besides the banner, date and header lines "
            "and page furniture (share links, bylines, timestamps, copyright lines)"
        )
    return candidates[0]


def _opens_story(lines: list[str], index: int, kind: Furniture | None) -> bool:
    """Whether the line at ``index`` opens the story: its byline, or a paragraph of prose."""
    if kind is Furniture.BYLINE:
        return True
    if kind is not None:
        return False
    paragraph = " ".join(takewhile(bool, lines[index : index + _OPENING_LINES]))
    return (
        len(paragraph.split()) >= _MIN_OPENING_WORDS
        and _ENDS_SENTENCE.search(paragraph) is not None
        and is_lead_candidate(paragraph)
    )


def _likeliest_headline(lines: list[str], candidates: list[int], opening: int) -> int:
    """The candidate line that reads most like a headline; the first of equals.

    A headline stands between blank lines, or directly above the story's
    opening; a site's name sits among its menu lines, a section label is a
    word or two, a caption is a sentence, a breadcrumb has separators.
    """

    def set_apart(index: int) -> bool:
        alone = (index == 0 or not lines[index - 1]) and (
            index + 1 == len(lines) or not lines[index + 1]
        )
        return alone or all(lines[index:opening])

    def score(index: int) -> int:
        line = lines[index]
        return (
            2 * set_apart(index)
            + (len(line.split()) >= _HEADLINE_WORDS)
            - 2 * line.endswith(".")
            - 2 * (_SECTIONED.search(line) is not None)
        )

    return max(candidates, key=lambda index: (score(index), -index))


def _story_paragraphs(block: list[str], headline: str, gaps_mark_menus: bool) -> list[str]:
    """The paragraphs a block of consecutive lines holds, without its furniture."""
    joined = " ".join(block)
    kind = _line_kind(joined, headline, gaps_mark_menus)
    if kind is not None:
        if _kept(kind, joined):
            return [joined]
        # A byline with a timestamp line under it keeps its name line (read
        # line by line below); other furniture goes whole.
        if kind is not Furniture.BYLINE or len(block) == 1:
            return []
    elif len(block) == 1:
        return [joined]
    if _is_link_list(block, headline):
        return []
    paragraphs: list[str] = []
    current: list[str] = []
    for position, line in enumerate(block):
        following = block[position + 1] if position + 1 < len(block) else ""
        alone = _stands_alone(current, following)
        kind = _line_kind(line, headline, gaps_mark_menus) if alone else None
        if kind is None:
            current.append(line)
            continue
        if current:
            paragraphs.append(" ".join(current))
            current = []
        if _kept(kind, line):
            paragraphs.append(line)
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def _line_kind(line: str, headline: str | None, gaps_mark_menus: bool) -> Furniture | None:
    """The furniture a single line is, menus with their saved gaps included."""
    kind = furniture_kind(line, headline=headline)
    if kind is None and gaps_mark_menus and _is_spaced_menu(line):
        return Furniture.NAVIGATION
    return kind


def _is_spaced_menu(line: str) -> bool:
    items = _MENU_GAP.split(line)
    return len(items) >= 3 and all(
        0 < len(item.split()) <= _MENU_ITEM_WORDS
        and not _ENDS_SENTENCE.search(item)
        and not any(character.isdigit() for character in item)
        for item in items
    )


def _is_link_list(block: list[str], headline: str) -> bool:
    """A "Recommended" or "Les plus lus" label over other stories' headlines, one a line."""
    label = furniture_kind(block[0], headline=headline)
    return label in _LIST_LABELS and not any(_ENDS_SENTENCE.search(line) for line in block[1:])


def _stands_alone(before: list[str], following: str) -> bool:
    """Whether a line is a unit of its own rather than part of a wrapped sentence."""
    if following[:1].islower():
        return False
    if not before:
        return True
    previous = before[-1]
    return len(previous) < _SHORT_LINE_CHARS or _ENDS_UNIT.search(previous) is not None


def _kept(kind: Furniture, text: str) -> bool:
    # A byline is part of the story as written (the lead skips it); one that
    # carries a timestamp changes by itself and would make versions on its own.
    return kind is Furniture.BYLINE and not is_volatile(text)


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
    elif name == "update":
        draft.update_note = update_note(value, where)
    elif name == "embargo":
        draft.embargo = parse_embargo(value, where)
    elif name == "lang":
        draft.lang = clean_lang(value)
        if draft.lang is None:
            raise ArticleParseError(
                f"{where}: {shown(value)} is not a language tag (e.g. en, pt-BR)"
            )
    elif name == "image":
        draft.image = clean_image_url(value)
        if draft.image is None:
            raise ArticleParseError(f"{where}: the image must be an absolute https URL")
    else:
        draft.dateline = " ".join(value.split()) or None
