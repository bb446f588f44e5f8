"""Markdown articles with YAML front matter.

::

    ---
    title: City council passes budget      # headline (else the first "# Heading")
    dateline: SPRINGFIELD                  # else read from the lead ("SPRINGFIELD —")
    updated: 2026-03-04T18:30:00Z          # ISO date or time; no offset means UTC
    published: 2026-03-04                  # ("date" works too)
    notify: followers                      # none | followers | all
    urgency: high                          # very-low | low | normal | high
    tags: [city hall, budget]              # a list, or "city hall, budget"
    ---

    SPRINGFIELD — The city council passed a **$412 million** budget ...

Front matter is optional; unknown keys are ignored (CMSs add their own).
Markup is stripped to plain text: emphasis, code, links (their text stays),
images (dropped), HTML tags and comments, block quotes, list markers.
Each list item is its own paragraph; ``##`` subheadings are kept as
paragraphs but never become the summary.
"""

import html
import re
from datetime import datetime
from typing import Any, Final

from stoppress.articles.draft import (
    ArticleDraft,
    as_aware_datetime,
    parse_notify,
    parse_tags,
    parse_urgency,
)
from stoppress.articles.normalise import normalise_text
from stoppress.core.errors import ArticleParseError

# Front matter is a handful of keys; a bigger block is a mistake, and keeping
# YAML's input small bounds what a hostile file can make it do.
MAX_FRONT_MATTER_CHARS: Final = 16 * 1024

_FRONT_MATTER_START: Final = re.compile(r"\A---[ \t]*\n")
_FRONT_MATTER_END: Final = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_COMMENT: Final = re.compile(r"<!--.*?-->", re.DOTALL)
_FENCE: Final = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX: Final = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT_1: Final = re.compile(r"^ {0,3}=+[ \t]*$")
_SETEXT_2: Final = re.compile(r"^ {0,3}-+[ \t]*$")
_RULE: Final = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_QUOTE: Final = re.compile(r"^ {0,3}>[ \t]?")
_LIST_ITEM: Final = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])[ \t]+")
_LINK_DEFINITION: Final = re.compile(r"^ {0,3}\[[^\]]+\]:[ \t]*\S")

_ESCAPE: Final = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>~|<])")
_IMAGE: Final = re.compile(r"!\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\[[^\]]*\]")
_LINK: Final = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\[[^\]]*\]")
_AUTOLINK: Final = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_TAG: Final = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_CODE: Final = re.compile(r"(`+)(.+?)\1")
_STRONG: Final = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EM_STAR: Final = re.compile(r"\*(?=\S)(.+?)(?<=\S)\*")
_EM_UNDERSCORE: Final = re.compile(r"(?<![\w])_(?=\S)(.+?)(?<=\S)_(?![\w])")
_STRIKE: Final = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
# Escaped characters hide in the private use area while markup is stripped.
_PRIVATE_BASE: Final = 0xF0000


def parse_markdown(text: str) -> ArticleDraft:
    draft = ArticleDraft()
    title: str | None = None
    body = text.lstrip("\n")
    if _FRONT_MATTER_START.match(body):
        meta, body = _split_front_matter(body)
        title = _read_front_matter(meta, draft)

    blocks = _blocks(_COMMENT.sub("", body))
    paragraphs: list[str] = []
    headings: set[int] = set()
    for level, raw in blocks:
        words = normalise_text(strip_inline(raw))
        if not words:
            continue
        if level == 1 and title is None:
            title = words
            continue
        if level and title is not None and words == normalise_text(title):
            continue  # the title repeated as the page's first heading
        if level:
            headings.add(len(paragraphs))
        paragraphs.append(words)

    draft.headline = title or ""
    draft.paragraphs = paragraphs
    draft.lead_index = next((i for i in range(len(paragraphs)) if i not in headings), 0)
    return draft


def strip_inline(text: str) -> str:
    """Inline Markdown to the words a reader sees."""
    text = _ESCAPE.sub(lambda m: chr(_PRIVATE_BASE + ord(m.group(1))), text)
    text = _CODE.sub(lambda m: m.group(2).strip(), text)
    text = _IMAGE.sub("", text)
    text = _LINK.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _TAG.sub("", text)
    for pattern in (_STRONG, _STRIKE):
        text = pattern.sub(lambda m: m.group(2) if m.lastindex == 2 else m.group(1), text)
    text = _EM_STAR.sub(r"\1", text)
    text = _EM_UNDERSCORE.sub(r"\1", text)
    text = re.sub("[\U000f0000-\U000f007f]", lambda m: chr(ord(m.group()) - _PRIVATE_BASE), text)
    return html.unescape(text)


def _split_front_matter(text: str) -> tuple[str, str]:
    start = _FRONT_MATTER_START.match(text)
    assert start is not None
    end = _FRONT_MATTER_END.search(text, start.end())
    if end is None:
        raise ArticleParseError(
            "the front matter starts with '---' but has no closing '---' line; add one "
            "after the last key"
        )
    meta = text[start.end() : end.start()]
    if len(meta) > MAX_FRONT_MATTER_CHARS:
        raise ArticleParseError(
            f"the front matter is {len(meta):,} characters; the limit is "
            f"{MAX_FRONT_MATTER_CHARS:,} (is the closing '---' line missing?)"
        )
    return meta, text[end.end() :]


def _read_front_matter(meta: str, draft: ArticleDraft) -> str | None:
    import yaml  # only Markdown uploads pay for PyYAML

    try:
        data = yaml.safe_load(meta)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at front matter line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or "invalid YAML"
        raise ArticleParseError(f"the front matter is not valid YAML{where}: {problem}") from e
    except (ValueError, RecursionError) as e:
        # PyYAML builds dates itself: "2026-02-30" fails with ValueError.
        raise ArticleParseError(f"the front matter has a value YAML cannot read: {e}") from e
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ArticleParseError("the front matter must be 'key: value' lines")
    fields = {str(k).strip().lower(): v for k, v in data.items()}

    if fields.get("notify") is not None:
        draft.notify = parse_notify(fields["notify"], "front matter")
    if fields.get("urgency") is not None:
        draft.urgency = parse_urgency(fields["urgency"], "front matter")
    draft.tags = parse_tags(fields.get("tags"), "front matter")
    draft.updated_at = _date(fields, ("updated", "last_updated", "modified"))
    draft.published_at = _date(fields, ("published", "date"))
    dateline = fields.get("dateline")
    if dateline is not None:
        draft.dateline = _scalar(dateline, "dateline")
    title = fields.get("title", fields.get("headline"))
    return None if title is None else _scalar(title, "title")


def _date(fields: dict[str, Any], names: tuple[str, ...]) -> datetime | None:
    for name in names:
        value = fields.get(name)
        if value is None:
            continue
        parsed = as_aware_datetime(value)
        if parsed is None:
            raise ArticleParseError(
                f"front matter: {name} must be a date like 2026-03-04 or a time like "
                f"2026-03-04T18:30:00Z (got {value!r})"
            )
        return parsed
    return None


def _scalar(value: object, name: str) -> str:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    raise ArticleParseError(f"front matter: {name} must be text (got {value!r})")


def _blocks(body: str) -> list[tuple[int, str]]:
    """(heading level or 0, raw text) for each block of the body, in order."""
    blocks: list[tuple[int, str]] = []
    current: list[str] = []
    fence: str | None = None

    def flush() -> None:
        if current:
            blocks.append((0, " ".join(current)))
            current.clear()

    for raw_line in body.split("\n"):
        line = raw_line.rstrip()
        if fence is not None:
            if line.lstrip().startswith(fence):
                fence = None
                flush()
            elif line.strip():
                current.append(line.strip())
            continue
        fence_match = _FENCE.match(line)
        if fence_match:
            flush()
            fence = fence_match.group(1)
            continue
        while _QUOTE.match(line):
            line = _QUOTE.sub("", line, count=1)
        if not line.strip():
            flush()
            continue
        if current and _SETEXT_1.match(line):
            blocks.append((1, " ".join(current)))
            current.clear()
            continue
        if current and _SETEXT_2.match(line):
            blocks.append((2, " ".join(current)))
            current.clear()
            continue
        if _RULE.match(line) or _LINK_DEFINITION.match(line):
            flush()
            continue
        heading = _ATX.match(line)
        if heading:
            flush()
            blocks.append((len(heading.group(1)), heading.group(2) or ""))
            continue
        item = _LIST_ITEM.match(line)
        if item:
            flush()
            line = line[item.end() :]
        # Two trailing spaces or a backslash mark a hard break: a space here.
        current.append(line.strip().removesuffix("\\"))
    flush()
    return blocks
