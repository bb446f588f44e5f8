"""What each format parser hands back, before the shared finishing steps."""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Final

from stoppress.articles.model import Audience, EditorOverrides
from stoppress.core.errors import ArticleParseError
from stoppress.webpush.headers import Urgency


@dataclass
class ArticleDraft:
    """An article as one format read it: text still raw, dateline maybe still in the lead."""

    headline: str = ""
    paragraphs: list[str] = field(default_factory=list)
    dateline: str | None = None
    updated_at: datetime | None = None
    published_at: datetime | None = None
    tags: list[str] = field(default_factory=list)
    notify: Audience | None = None
    urgency: Urgency | None = None
    # The editor's own line for an update's push; the article's language and lead image.
    update_note: str | None = None
    lang: str | None = None
    image: str | None = None
    # Not to be pushed before (an aware datetime); the horizon is ingest's to judge.
    embargo: datetime | None = None
    # How many leading paragraphs are subheadings or similar, so the summary
    # skips them and starts at the first paragraph of prose.
    lead_index: int = 0
    # Paragraphs that are story text but never the lead: headings, list items, table rows.
    not_lead: set[int] = field(default_factory=set)

    def overrides(self) -> EditorOverrides:
        return EditorOverrides(
            notify=self.notify,
            urgency=self.urgency,
            update_note=self.update_note,
            embargo=self.embargo,
        )


_URGENCY_ALIASES: Final = {"very low": "very-low", "verylow": "very-low", "very_low": "very-low"}

# A story carries a handful of tags; a CMS that exports thousands (or one tag
# that is a paragraph) is a mistake, and every tag rides in the version item.
# The first ones are kept: CMSs list the most important tags first.
MAX_TAGS: Final = 20
MAX_TAG_CHARS: Final = 50
# Reasons are read by an editor and stored in a rejection item: a few lines at most.
REASON_MAX_CHARS: Final = 500
# How much of a bad value a reason quotes.
_SHOWN_CHARS: Final = 60


def shown(value: object) -> str:
    """``value`` for an error message: a short quote of text, never an expanded container."""
    if isinstance(value, str):
        if len(value) > _SHOWN_CHARS:
            return repr(value[:_SHOWN_CHARS] + "…")
        return repr(value)
    if isinstance(value, bool | int | float | date) or value is None:
        return cut_reason(str(value), _SHOWN_CHARS)
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def cut_reason(reason: str, limit: int = REASON_MAX_CHARS) -> str:
    """``reason`` cut to ``limit`` characters, marked with an ellipsis when cut."""
    return reason if len(reason) <= limit else reason[: limit - 1] + "…"


def parse_notify(value: object, where: str) -> Audience:
    """An editor's ``notify`` value; ``where`` names the line or key for the error."""
    if value is False:  # YAML reads a bare ``no``/``off`` as false
        return Audience.NONE
    text = value.strip().lower() if isinstance(value, str) else ""
    try:
        return Audience(text)
    except ValueError:
        raise ArticleParseError(
            f"{where}: notify must be one of none, followers, all (got {shown(value)})"
        ) from None


def parse_urgency(value: object, where: str) -> Urgency:
    """An editor's ``urgency`` value (RFC 8030 names; ``very low`` accepted)."""
    text = value.strip().lower() if isinstance(value, str) else ""
    text = _URGENCY_ALIASES.get(text, text)
    try:
        return Urgency(text)
    except ValueError:
        raise ArticleParseError(
            f"{where}: urgency must be one of very-low, low, normal, high (got {shown(value)})"
        ) from None


# An embargo is a promise to a source: a time read one way by the editor and another
# by the server would break it. So only a full date and time with its offset is
# taken, never a guess at a zone (unlike the article's own dates, where a guess is cheap).
EMBARGO_FORM: Final = (
    "an ISO 8601 date and time with its UTC offset, such as 2026-12-01T09:00:00+01:00 "
    "(or 2026-12-01T08:00:00Z for UTC)"
)
_EMBARGO: Final = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})[Tt ]"
    r"(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?"
    r"[ ]?(?:(?P<utc>[Zz])|(?P<sign>[+-])(?P<off_h>\d{2}):?(?P<off_m>\d{2}))?"
)
_DATE_ONLY: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_embargo(value: object, where: str) -> datetime:
    """An editor's embargo as an aware UTC datetime: ISO 8601 with a time and an offset.

    A date alone, a time without a zone, or anything else is refused with the
    accepted form: the file is better rejected than pushed at the wrong hour.
    """
    if isinstance(value, datetime):  # YAML reads an unquoted timestamp itself
        if value.tzinfo is None:
            raise ArticleParseError(_embargo_reason(where, value, "has no time zone"))
        return _in_utc(value, where, value)
    if isinstance(value, date):
        raise ArticleParseError(_embargo_reason(where, value, "is a date without a time"))
    text = value.strip() if isinstance(value, str) else ""
    match = _EMBARGO.fullmatch(text)
    if match is None:
        problem = (
            "is a date without a time" if _DATE_ONLY.fullmatch(text) else "is not a date and time"
        )
        raise ArticleParseError(_embargo_reason(where, value, problem))
    if not match["utc"] and not match["sign"]:
        raise ArticleParseError(_embargo_reason(where, value, "has no time zone"))
    offset = timedelta(0)
    if match["sign"]:
        offset = timedelta(hours=int(match["off_h"]), minutes=int(match["off_m"]))
        offset = -offset if match["sign"] == "-" else offset
    try:
        parsed = datetime(
            int(match["year"]),
            int(match["month"]),
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"] or 0),
            int((match["fraction"] or "0").ljust(6, "0")[:6]),
            tzinfo=timezone(offset),
        )
    except ValueError:  # month 13, 25:00, an offset of a day or more
        raise ArticleParseError(
            _embargo_reason(where, value, "is not a real date and time")
        ) from None
    return _in_utc(parsed, where, value)


def _in_utc(parsed: datetime, where: str, value: object) -> datetime:
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 pushed past the calendar's edge
        raise ArticleParseError(
            _embargo_reason(where, value, "is not a real date and time")
        ) from None


def _embargo_reason(where: str, value: object, problem: str) -> str:
    return f"{where}: embargo {shown(value)} {problem}; give {EMBARGO_FORM}"


def parse_tags(value: object, where: str) -> list[str]:
    """Tags as a list, or one comma-separated string: the first ``MAX_TAGS``, each cut short."""
    if value is None:
        return []
    items: list[object]
    if isinstance(value, str):
        items = list(value.split(","))
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise ArticleParseError(f"{where}: tags must be a list or a comma-separated line")
    tags: dict[str, None] = {}
    for item in items:
        if not isinstance(item, str | int | float) or isinstance(item, bool):
            raise ArticleParseError(
                f"{where}: each tag must be a word or phrase, not {shown(item)}"
            )
        if len(tags) < MAX_TAGS:
            tag = " ".join(str(item).split())[:MAX_TAG_CHARS].rstrip()
            if tag:
                tags[tag] = None
    return list(tags)


def as_aware_datetime(value: object) -> datetime | None:
    """A date or time from metadata as an aware datetime, or None if it is not one.

    Dates become midnight UTC; times without an offset are taken as UTC (CMS
    exports and front matter usually mean UTC, and a wrong guess costs less
    than a rejected story); times with an offset are converted to UTC.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time(0, 0))
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 pushed past the calendar's edge
        return None
