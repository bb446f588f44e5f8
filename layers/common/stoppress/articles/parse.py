"""Uploaded bytes to an ``Article``: the one entry point ingest calls.

``parse_article(data, key=...)`` decodes the bytes (see ``decoding``), picks
the format from the key's extension (``.txt``/``.text``, ``.md``/``.markdown``,
``.html``/``.htm``) or, for other keys, from the content, lets that format's
parser read it, and finishes every format the same way:

- text is screened and normalised (``screen.screen_text``: no markup, script
  source, character references, controls or bidirectional formatting, valid
  Unicode; then ``normalise.normalise_text``: NFC, whitespace folded), so
  every field a reader may see is plain text, whatever the format;
- paragraphs without a letter or digit ("###", "* * *") are dropped;
- the lead's dateline ("BRUSSELS --") moves into ``Article.dateline``, so
  ``paragraphs`` hold the story's words only (an explicit dateline from
  front matter, a header line or the page wins over the lead's);
- the lead is the first paragraph of prose (not a subheading, not a
  "By Jane Doe" byline); ``summary`` is the lead cut to
  ``lead.SUMMARY_MAX_CHARS`` on a word boundary;
- ``updated_at`` falls back to ``published_at``; times are UTC;
- ``content_hash`` covers headline, dateline and body (``normalise.content_hash``).

Anything that cannot be an article raises ``ArticleParseError`` with a reason
an editor can act on: empty, binary, undecodable, over ``MAX_ARTICLE_BYTES``,
HTML nested over ``MAX_HTML_DEPTH``, over ``MAX_PARAGRAPHS``, no headline, a
headline over ``HEADLINE_MAX_CHARS``, no story text, or a bad editor override
(front matter, header line, meta tag).

Only the Markdown and HTML parsers import their libraries (PyYAML,
selectolax), and only when such a file arrives, to keep cold starts short.
"""

import re
from typing import Final

from pydantic import ValidationError

from stoppress.articles.draft import ArticleDraft
from stoppress.articles.furniture import Furniture, furniture_kind, is_lead_candidate
from stoppress.articles.lead import is_byline, split_dateline, summarise
from stoppress.articles.model import Article, SourceFormat
from stoppress.articles.normalise import content_hash, normalise_text
from stoppress.articles.screen import screen_text
from stoppress.contracts.keys import article_id_from_key
from stoppress.core.errors import ArticleParseError

# Far beyond any story (a long feature is ~100 KB of HTML); a bigger upload is
# a mistake (a PDF, a video, a site dump) and would not fit a table item anyway.
MAX_ARTICLE_BYTES: Final = 2 * 1024 * 1024
HEADLINE_MAX_CHARS: Final = 300
# Which reader made a version. Raise it whenever parsing changes what it takes from a
# file (headline, paragraphs, lead, dateline): ingest then reads the previous version
# again with the new reader before judging a change, so an upgrade is never news.
READER_VERSION: Final = "3"
DATELINE_MAX_CHARS: Final = 100
# Real pages nest elements a few dozen deep, and a long story has a few hundred
# paragraphs. Far past either, a file is a dump or an attack, and the HTML
# parser's work grows with the square of the nesting.
MAX_HTML_DEPTH: Final = 1_000
MAX_PARAGRAPHS: Final = 10_000

_EXTENSIONS: Final[dict[str, SourceFormat]] = {
    "txt": "text",
    "text": "text",
    "md": "markdown",
    "markdown": "markdown",
    "html": "html",
    "htm": "html",
}
_LOOKS_HTML: Final = re.compile(r"^\s*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])", re.I)
_LOOKS_HTML_ANYWHERE: Final = re.compile(r"<(?:article|h1|p)[\s>]", re.I)
_LOOKS_MARKDOWN: Final = re.compile(r"\A(?:---[ \t]*\n|\s*#{1,6}[ \t]+\S)")
_BLANK_LINE: Final = re.compile(r"\n[ \t]*\n")
_TAG_NAME: Final = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)")
# Elements that never hold others, or that the next one like them closes.
_NOT_NESTING: Final = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
        "param",
        "keygen",
        "p",
        "li",
        "dt",
        "dd",
        "option",
        "optgroup",
        "tr",
        "td",
        "th",
        "tbody",
        "thead",
        "tfoot",
        "rb",
        "rt",
        "rp",
        "colgroup",
        "caption",
    ]
)


def parse_article(data: bytes, *, key: str) -> Article:
    """Parse one uploaded file into an Article, or raise ArticleParseError."""
    try:
        article_id = article_id_from_key(key)
    except ValueError:
        raise ArticleParseError(
            f"the file name {key!r} has no letters or digits to make an article id from; "
            "rename the file"
        ) from None
    if len(data) > MAX_ARTICLE_BYTES:
        raise ArticleParseError(
            f"the file is {len(data):,} bytes; articles are limited to "
            f"{MAX_ARTICLE_BYTES:,} bytes (was a document or image uploaded by mistake?)"
        )
    if not data.strip():
        raise ArticleParseError("the file is empty; upload the article text")

    from stoppress.articles.decoding import decode_article_bytes

    text = decode_article_bytes(data)
    if not normalise_text(text):
        raise ArticleParseError("the file has only whitespace; upload the article text")
    source_format = detect_format(key, text)
    _refuse_oversized_structure(source_format, text)
    draft = _read(source_format, text)
    return _finish(article_id, source_format, draft)


def detect_format(key: str, text: str) -> SourceFormat:
    """The format from the key's extension, else from what the text looks like."""
    name = key.rsplit("/", 1)[-1]
    _, dot, extension = name.rpartition(".")
    if dot and extension.lower() in _EXTENSIONS:
        return _EXTENSIONS[extension.lower()]
    head = text[:4096]
    if _LOOKS_HTML.match(head) or (
        head.lstrip().startswith("<") and _LOOKS_HTML_ANYWHERE.search(head)
    ):
        return "html"
    if _LOOKS_MARKDOWN.match(head):
        return "markdown"
    return "text"


def _refuse_oversized_structure(source_format: SourceFormat, text: str) -> None:
    if source_format == "html":
        depth = _nesting_depth(text)
        if depth > MAX_HTML_DEPTH:
            raise ArticleParseError(
                f"the page nests elements about {depth:,} deep; the limit is "
                f"{MAX_HTML_DEPTH:,} (is a closing tag missing in a template loop?)"
            )
    elif source_format == "text":
        blocks = sum(1 for _ in _BLANK_LINE.finditer(text))
        if blocks > MAX_PARAGRAPHS:
            raise ArticleParseError(_too_many_paragraphs(blocks))


def _too_many_paragraphs(count: int) -> str:
    return (
        f"the file has {count:,} paragraphs; the limit is {MAX_PARAGRAPHS:,} "
        "(was a data file uploaded by mistake?)"
    )


def _nesting_depth(text: str) -> int:
    """The deepest nesting of elements, counted from the tags (an estimate: no parsing)."""
    depth = deepest = 0
    for match in _TAG_NAME.finditer(text):
        if match.group(2).lower() in _NOT_NESTING:
            continue
        if match.group(1):
            depth = max(depth - 1, 0)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def _read(source_format: SourceFormat, text: str) -> ArticleDraft:
    if source_format == "markdown":
        from stoppress.articles.markdown import parse_markdown

        return parse_markdown(text)
    if source_format == "html":
        from stoppress.articles.htmlpage import parse_html

        return parse_html(text)
    from stoppress.articles.plaintext import parse_plain_text

    return parse_plain_text(text)


def _finish(article_id: str, source_format: SourceFormat, draft: ArticleDraft) -> Article:
    headline = screen_text(draft.headline)
    if not headline:
        raise ArticleParseError(_no_headline(source_format))
    if len(headline) > HEADLINE_MAX_CHARS:
        raise ArticleParseError(
            f"the headline is {len(headline)} characters; the limit is {HEADLINE_MAX_CHARS}. "
            f"It starts {headline[:60]!r}: put a short headline on its own line, "
            "then a blank line, then the story"
        )
    if source_format == "text" and _is_lead_sentence(headline):
        raise ArticleParseError(
            f"no headline: the first line {headline[:60]!r} is the dateline paragraph; "
            "put the headline above it, followed by a blank line"
        )
    if len(draft.paragraphs) > MAX_PARAGRAPHS:
        raise ArticleParseError(_too_many_paragraphs(len(draft.paragraphs)))
    paragraphs: list[str] = []
    lead_index: int | None = None
    fallback_lead: int | None = None
    for index, raw in enumerate(draft.paragraphs):
        paragraph = screen_text(raw)
        # "###", "* * *": section breaks and end marks, not story text. Page
        # furniture (captions, share prompts, timestamps, copyright lines) is
        # not story text either: it never becomes the lead, and editing it
        # changes neither the content hash nor the change judgement.
        if not any(character.isalnum() for character in paragraph):
            continue
        if furniture_kind(paragraph, headline=headline) not in (None, Furniture.BYLINE):
            continue
        may_lead = index >= draft.lead_index and index not in draft.not_lead
        if may_lead and fallback_lead is None and not is_byline(paragraph):
            fallback_lead = len(paragraphs)
        if (
            may_lead
            and lead_index is None
            and not is_byline(paragraph)
            and is_lead_candidate(paragraph, headline=headline)
        ):
            lead_index = len(paragraphs)
        paragraphs.append(paragraph)
    if not paragraphs:
        raise ArticleParseError(
            f"the article {headline[:60]!r} has a headline but no story text after it"
        )
    if lead_index is None:
        lead_index = fallback_lead if fallback_lead is not None else 0

    # The dateline moves out of the lead into its own field, so the body is
    # the story's words only and the site renders the dateline its own way.
    # A standfirst as the lead leaves the dateline on the story's first paragraph.
    lead_dateline = None
    for index in (lead_index, lead_index + 1)[: len(paragraphs) - lead_index]:
        found, rest = split_dateline(paragraphs[index])
        if found is not None and rest.strip():
            lead_dateline, paragraphs[index] = found, rest.strip()
            break
    dateline = screen_text(draft.dateline or "") or lead_dateline
    summary_source = paragraphs[lead_index]
    if dateline is not None and len(dateline) > DATELINE_MAX_CHARS:
        raise ArticleParseError(
            f"the dateline is {len(dateline)} characters; the limit is {DATELINE_MAX_CHARS}"
        )

    try:
        return Article(
            id=article_id,
            headline=headline,
            dateline=dateline,
            updated_at=draft.updated_at or draft.published_at,
            published_at=draft.published_at,
            paragraphs=tuple(paragraphs),
            summary=summarise(summary_source),
            tags=tuple(dict.fromkeys(tag for raw in draft.tags if (tag := screen_text(raw)))),
            overrides=draft.overrides(),
            source_format=source_format,
            lang=draft.lang,
            image=draft.image,
            content_hash=content_hash(headline, dateline, paragraphs),
        )
    except ValidationError as e:
        # Every limit above is checked with a readable reason first; this is
        # the backstop that keeps the contract (only ArticleParseError escapes).
        raise ArticleParseError(f"the article does not fit the article model: {e}") from e


def _is_lead_sentence(headline: str) -> bool:
    """A "headline" that is really the dateline and first sentence of the story."""
    dateline, rest = split_dateline(headline)
    return dateline is not None and (len(rest) > 100 or rest.rstrip("\"'”’").endswith("."))


def _no_headline(source_format: SourceFormat) -> str:
    if source_format == "markdown":
        return "no headline: add 'title:' to the front matter or a '# Heading' line"
    if source_format == "html":
        return "no headline: the page has no <h1>, og:title or <title>"
    return "no headline: put the headline on the first line of the file"
