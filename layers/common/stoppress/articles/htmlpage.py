"""HTML articles as a CMS exports them (a whole page: chrome, scripts and all).

Read with selectolax's lexbor parser (a fast, standards-following HTML5
parser), imported only when an HTML file arrives.

- Headline: the article's ``<h1>``, else ``<main>``'s, else ``og:title``,
  else any ``<h1>``, else ``<title>`` without a " | Site name" suffix.
- Dates: ``<time datetime>`` marked as modified/updated or published
  (``itemprop``, ``class``), else ``article:modified_time`` /
  ``article:published_time`` meta tags, else the article's first
  ``<time datetime>`` as the publication time. ``updated_at`` falls back to
  the publication time.
- Dateline: an element with class ``dateline``, else the lead's "CITY —".
- Body: the ``<p>`` elements of the story: ``[itemprop=articleBody]``, else the
  ``<article>`` with the most paragraph text, else ``<main>``, else ``<body>``.
  Paragraphs inside script, style, nav, aside, header, footer, figure, form
  and the usual furniture classes (byline, caption, related, share,
  newsletter, ad) are not story text.
- Tags: ``article:tag`` meta tags, else ``<meta name="keywords">``.
- Editor overrides: ``<meta name="stoppress:notify" content="none">`` and
  ``<meta name="stoppress:urgency" content="high">``.
"""

import re
from datetime import datetime
from typing import TYPE_CHECKING, Final

from stoppress.articles.draft import (
    ArticleDraft,
    as_aware_datetime,
    parse_notify,
    parse_tags,
    parse_urgency,
)
from stoppress.articles.normalise import normalise_text

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser, LexborNode

_NOT_STORY_TAGS: Final = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "nav",
        "aside",
        "header",
        "footer",
        "figure",
        "figcaption",
        "form",
        "button",
        "iframe",
        "svg",
        "dialog",
    }
)
_NOT_STORY_CLASSES: Final = frozenset(
    {
        "byline",
        "dateline",
        "caption",
        "related",
        "share",
        "social",
        "newsletter",
        "ad",
        "advert",
        "advertisement",
        "promo",
        "paywall",
        "comments",
    }
)
_NOT_STORY_ROLES: Final = frozenset({"navigation", "complementary", "banner", "contentinfo"})
_LINE_BREAK: Final = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TITLE_SUFFIX: Final = re.compile(r"\s+[|–—·-]\s+[^|–—·]+$")


def parse_html(text: str) -> ArticleDraft:
    from selectolax.lexbor import LexborHTMLParser  # only HTML uploads pay for it

    # <br> separates words in a paragraph; lexbor's text() would glue them.
    tree = LexborHTMLParser(_LINE_BREAK.sub(" ", text))
    draft = ArticleDraft()
    story = _story_root(tree)

    draft.headline = _headline(tree)
    draft.updated_at, draft.published_at = _dates(tree, story)
    dateline = story.css_first(".dateline") if story is not None else None
    if dateline is not None:
        draft.dateline = normalise_text(dateline.text()).rstrip(" -–—") or None
    draft.tags = _tags(tree)
    notify = _meta(tree, "stoppress:notify")
    if notify is not None:
        draft.notify = parse_notify(notify, "<meta name=stoppress:notify>")
    urgency = _meta(tree, "stoppress:urgency")
    if urgency is not None:
        draft.urgency = parse_urgency(urgency, "<meta name=stoppress:urgency>")
    if story is not None:
        draft.paragraphs = [
            words
            for p in story.css("p")
            if _is_story(p, story) and (words := normalise_text(p.text()))
        ]
    if draft.dateline and draft.paragraphs and draft.paragraphs[0].startswith(draft.dateline):
        # <p><span class="dateline">PARIS</span> The lead...: the dateline is
        # kept in its field, not repeated as the lead's first word.
        lead = draft.paragraphs[0][len(draft.dateline) :].lstrip(" -–—")
        if lead:
            draft.paragraphs[0] = lead
    return draft


def _story_root(tree: "LexborHTMLParser") -> "LexborNode | None":
    marked = tree.css_first('[itemprop="articleBody"]')
    if marked is not None:
        return marked
    articles = tree.css("article")
    if articles:
        return max(articles, key=lambda a: sum(len(p.text()) for p in a.css("p")))
    return tree.css_first("main") or tree.body


def _headline(tree: "LexborHTMLParser") -> str:
    for selector in ("article h1", "main h1"):
        node = tree.css_first(selector)
        if node is not None and normalise_text(node.text()):
            return normalise_text(node.text())
    og_title = _meta(tree, "og:title")
    if og_title:
        return og_title
    node = tree.css_first("h1")
    if node is not None and normalise_text(node.text()):
        return normalise_text(node.text())
    title = tree.css_first("title")
    if title is not None:
        return _TITLE_SUFFIX.sub("", normalise_text(title.text()))
    return ""


def _dates(
    tree: "LexborHTMLParser", story: "LexborNode | None"
) -> tuple[datetime | None, datetime | None]:
    updated = _time(
        tree,
        (
            'time[itemprop="dateModified"]',
            "time.updated",
            "time.modified",
            '[class*="updated"] time',
            '[class*="modified"] time',
        ),
    ) or as_aware_datetime(_meta(tree, "article:modified_time") or _meta(tree, "og:updated_time"))
    published = _time(
        tree,
        (
            'time[itemprop="datePublished"]',
            "time.published",
            "time[pubdate]",
            '[class*="published"] time',
        ),
    ) or as_aware_datetime(_meta(tree, "article:published_time"))
    if published is None and story is not None:
        for node in story.css("time[datetime]"):
            published = as_aware_datetime(node.attributes.get("datetime"))
            if published is not None:
                break
    return updated, published


def _time(tree: "LexborHTMLParser", selectors: tuple[str, ...]) -> datetime | None:
    for selector in selectors:
        for node in tree.css(selector):
            parsed = as_aware_datetime(node.attributes.get("datetime"))
            if parsed is not None:
                return parsed
    return None


def _meta(tree: "LexborHTMLParser", name: str) -> str | None:
    for node in tree.css("meta"):
        attributes = node.attributes
        if name in (attributes.get("property"), attributes.get("name")):
            content = normalise_text(attributes.get("content") or "")
            if content:
                return content
    return None


def _tags(tree: "LexborHTMLParser") -> list[str]:
    tags = [
        node.attributes.get("content") or ""
        for node in tree.css("meta")
        if node.attributes.get("property") == "article:tag"
    ]
    if tags:
        return parse_tags(tags, "<meta property=article:tag>")
    keywords = _meta(tree, "keywords")
    return parse_tags(keywords, "<meta name=keywords>") if keywords else []


def _is_story(node: "LexborNode", story: "LexborNode") -> bool:
    """False when the paragraph sits in page furniture between it and the story root."""
    current: LexborNode | None = node
    while current is not None and current.mem_id != story.mem_id:
        if current.tag in _NOT_STORY_TAGS:
            return False
        attributes = current.attributes
        classes = set((attributes.get("class") or "").lower().split())
        if classes & _NOT_STORY_CLASSES:
            return False
        if attributes.get("role") in _NOT_STORY_ROLES or attributes.get("hidden") is not None:
            return False
        if "hidden" in attributes or attributes.get("aria-hidden") == "true":
            return False
        current = current.parent
    return True
