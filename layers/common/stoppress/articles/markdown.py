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
    update_note: The vote was 7 to 2.      # an update's push shows this line
    lang: en                               # the article's language
    image: https://img.example/budget.jpg  # its lead image (absolute https)
    embargo: 2026-03-05T09:00:00+01:00     # pushed not before; offset or Z ("publish_at" too)
    ---

    SPRINGFIELD — The city council passed a **$412 million** budget ...

Front matter is optional; unknown keys are ignored (CMSs add their own).
Markup is stripped to plain text: emphasis, code, links (their text stays),
images (dropped), HTML tags and comments, block quotes, list markers.
Each list item is its own paragraph; ``##`` subheadings are kept as
paragraphs but never become the summary.
"""

import functools
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from stoppress.articles.draft import (
    ArticleDraft,
    as_aware_datetime,
    parse_embargo,
    parse_notify,
    parse_tags,
    parse_urgency,
    shown,
)
from stoppress.articles.normalise import normalise_text
from stoppress.articles.presentation import clean_image_url, clean_lang, update_note
from stoppress.articles.screen import visible_text
from stoppress.core.errors import ArticleParseError

if TYPE_CHECKING:
    import yaml

# Front matter is a handful of keys; a bigger block is a mistake, and keeping
# YAML's input small bounds what a hostile file can make it do.
MAX_FRONT_MATTER_CHARS: Final = 16 * 1024
# Lists inside lists inside mappings: no real front matter goes past two or three.
MAX_FRONT_MATTER_DEPTH: Final = 10

_FRONT_MATTER_START: Final = re.compile(r"\A---[ \t]*\n")
_FRONT_MATTER_END: Final = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_FENCE: Final = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX: Final = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]|$)")
_SETEXT_1: Final = re.compile(r"^ {0,3}=+[ \t]*$")
_SETEXT_2: Final = re.compile(r"^ {0,3}-+[ \t]*$")
_RULE: Final = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_QUOTE: Final = re.compile(r" {0,3}>[ \t]?")
_LIST_ITEM: Final = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])[ \t]+")
_LINK_DEFINITION: Final = re.compile(r"^ {0,3}\[[^\]]+\]:[ \t]*\S")
# HTML blocks whose content is not Markdown and may hold blank lines: they end only
# at their end marker, so their source stays one block for the finishing step to drop.
_RAW_BLOCK: Final = re.compile(r"^ {0,3}(?:<(script|style)(?=[\s>]|$)|<!\[CDATA\[)", re.I)

_ESCAPE: Final = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>~|<])")
# Every pattern below runs in time linear in the text: link text stops at the
# next bracket, a destination holds at most one level of balanced parentheses,
# and the lazy emphasis patterns only see text up to their last possible closer
# (``_sub_paired``), so an opener without a closer never scans to the end again.
_LINK_TARGET: Final = r"(?:\((?:[^()]++|\([^()]*+\))*+\)|\[[^\[\]]*+\])"
_IMAGE: Final = re.compile(r"!\[[^\[\]]*+\]" + _LINK_TARGET)
_LINK: Final = re.compile(r"\[([^\[\]]*+)\]" + _LINK_TARGET)
_AUTOLINK: Final = re.compile(r"<((?:https?|mailto):[^<>\s]+)>")
_BACKTICKS: Final = re.compile(r"`+")
# "--!>" ends a comment too, for a browser.
_COMMENT_END: Final = re.compile(r"--!?>")
# (pattern, where its closing delimiter can start, the delimiter's length)
_PAIRED: Final = (
    (re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"), re.compile(r"(?<=\S)(?=\*\*)"), 2),
    (re.compile(r"__(?=\S)(.+?)(?<=\S)__"), re.compile(r"(?<=\S)(?=__)"), 2),
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"), re.compile(r"(?<=\S)(?=~~)"), 2),
    (re.compile(r"\*(?=\S)(.+?)(?<=\S)\*"), re.compile(r"(?<=\S)(?=\*)"), 1),
    (
        re.compile(r"(?<![\w])_(?=\S)(.+?)(?<=\S)_(?![\w])"),
        re.compile(r"(?<=\S)(?=_(?![\w]))"),
        1,
    ),
)
# Escaped characters hide in the private use area while markup is stripped.
_PRIVATE_BASE: Final = 0xF0000


def parse_markdown(text: str) -> ArticleDraft:
    draft = ArticleDraft()
    title: str | None = None
    body = text.lstrip("\n")
    if _FRONT_MATTER_START.match(body):
        meta, body = _split_front_matter(body)
        title = _read_front_matter(meta, draft)

    blocks = _blocks(_without_comments(body))
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
    text = _strip_code(text)
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    for pattern, closer, width in _PAIRED:
        text = _sub_paired(pattern, closer, width, text)
    text = re.sub("[\U000f0000-\U000f007f]", lambda m: chr(ord(m.group()) - _PRIVATE_BASE), text)
    # HTML in the text (tags, character references) goes the way all shown text does.
    return visible_text(text)


def _strip_code(text: str) -> str:
    """Code spans to their text: a run of backticks closes at the next run as long."""
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(text)]
    if len(runs) < 2:
        return text
    closing: list[int | None] = [None] * len(runs)
    latest: dict[int, int] = {}
    for index in range(len(runs) - 1, -1, -1):
        start, end = runs[index]
        closing[index] = latest.get(end - start)
        latest[end - start] = index
    out: list[str] = []
    done = 0
    index = 0
    while index < len(runs):
        close = closing[index]
        if close is None:
            index += 1
            continue
        out += [text[done : runs[index][0]], text[runs[index][1] : runs[close][0]].strip()]
        done = runs[close][1]
        index = close + 1
    out.append(text[done:])
    return "".join(out)


def _sub_paired(pattern: re.Pattern[str], closer: re.Pattern[str], width: int, text: str) -> str:
    """``pattern.sub(r"\\1", text)``, tried only on the text up to the last possible closer.

    An opener before the last closer always finds one, so each attempt either
    matches or fails at once; openers after it could only fail, each after a
    scan to the end of the text.
    """
    last = max((m.start() for m in closer.finditer(text)), default=-1)
    if last == -1:
        return text
    end = last + width
    return pattern.sub(r"\1", text[:end]) + text[end:]


def _without_comments(text: str) -> str:
    """HTML comments removed; an unclosed one is left as it is."""
    out: list[str] = []
    done = 0
    while (start := text.find("<!--", done)) != -1:
        end = _COMMENT_END.search(text, start + 4)
        if end is None:
            break
        out.append(text[done:start])
        done = end.end()
    out.append(text[done:])
    return "".join(out)


def _heading_text(rest: str) -> str:
    """An ATX heading's text: ``rest`` after the ``#``s, without a closing run of ``#``s."""
    text = rest.strip(" \t")
    without = text.rstrip("#")
    if without != text and without[-1:] in (" ", "\t"):
        return without.rstrip(" \t")
    return text


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
        data = _load_front_matter(meta)
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
    draft.update_note = update_note(fields.get("update_note"), "front matter (update_note)")
    for name in ("embargo", "publish_at"):
        if fields.get(name) is not None:
            draft.embargo = parse_embargo(fields[name], f"front matter ({name})")
            break
    _presentation(fields, draft)
    title = fields.get("title", fields.get("headline"))
    return None if title is None else _scalar(title, "title")


def _presentation(fields: dict[str, Any], draft: ArticleDraft) -> None:
    """``lang`` and ``image`` from front matter: an editor's value, so a bad one is refused."""
    if fields.get("lang") is not None:
        draft.lang = clean_lang(fields["lang"])
        if draft.lang is None:
            raise ArticleParseError(
                f"front matter: lang {shown(fields['lang'])} is not a language tag (e.g. en, pt-BR)"
            )
    if fields.get("image") is not None:
        draft.image = clean_image_url(fields["image"])
        if draft.image is None:
            raise ArticleParseError("front matter: image must be an absolute https URL")


def _load_front_matter(meta: str) -> object:
    loader = _front_matter_loader()(meta)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


@functools.cache
def _front_matter_loader() -> type["yaml.SafeLoader"]:
    """PyYAML's safe loader, refusing aliases and deep nesting while it composes.

    An alias shares a node, so a few hundred bytes of ``&a``/``*a`` make a tree
    of billions of values once anything walks it; no editor's front matter
    needs one. The check runs on the composed nodes, before any Python object
    is built.
    """
    import yaml

    class FrontMatterLoader(yaml.SafeLoader):
        depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                raise ArticleParseError(
                    "the front matter uses a YAML alias (*name); write each value out in full"
                )
            self.depth += 1
            if self.depth > MAX_FRONT_MATTER_DEPTH:
                raise ArticleParseError(
                    f"the front matter nests values {MAX_FRONT_MATTER_DEPTH} levels deep; "
                    "use plain 'key: value' lines"
                )
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    return FrontMatterLoader


def _date(fields: dict[str, Any], names: tuple[str, ...]) -> datetime | None:
    for name in names:
        value = fields.get(name)
        if value is None:
            continue
        parsed = as_aware_datetime(value)
        if parsed is None:
            raise ArticleParseError(
                f"front matter: {name} must be a date like 2026-03-04 or a time like "
                f"2026-03-04T18:30:00Z (got {shown(value)})"
            )
        return parsed
    return None


def _scalar(value: object, name: str) -> str:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    raise ArticleParseError(f"front matter: {name} must be text (got {shown(value)})")


def _blocks(body: str) -> list[tuple[int, str]]:
    """(heading level or 0, raw text) for each block of the body, in order."""
    blocks: list[tuple[int, str]] = []
    current: list[str] = []
    fence: str | None = None
    raw_end: str | None = None

    def flush() -> None:
        if current:
            blocks.append((0, " ".join(current)))
            current.clear()

    for raw_line in body.split("\n"):
        line = raw_line.rstrip()
        if raw_end is not None:
            current.append(line)
            if raw_end in line.lower():
                raw_end = None
                flush()
            continue
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
        raw_block = _RAW_BLOCK.match(line)
        if raw_block:
            flush()
            current.append(line)
            raw_end = f"</{raw_block.group(1).lower()}>" if raw_block.group(1) else "]]>"
            if raw_end in line[raw_block.end() :].lower():
                raw_end = None
                flush()
            continue
        quoted = 0
        while quote := _QUOTE.match(line, quoted):
            quoted = quote.end()
        line = line[quoted:]
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
            blocks.append((len(heading.group(1)), _heading_text(line[heading.end() :])))
            continue
        item = _LIST_ITEM.match(line)
        if item:
            flush()
            line = line[item.end() :]
        # Two trailing spaces or a backslash mark a hard break: a space here.
        current.append(line.strip().removesuffix("\\"))
    flush()
    return blocks
