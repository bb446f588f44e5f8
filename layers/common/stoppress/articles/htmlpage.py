"""HTML articles as a CMS exports them, or as saved from the site (chrome, scripts and all).

Two readers, each doing what it is best at, both imported only when an HTML
file arrives:

- **The story's text** comes from trafilatura, the field's standard article
  extractor (docs/design.md, "Reading real pages", says why and how it was
  measured): it finds the story among navigation, rails, comments, promos
  and footers whatever the markup, and reads text in ``<p>``, ``<div>``,
  ``<br>``-separated lines, lists and tables. Its output tree is walked here
  into paragraphs: list items and table rows are paragraphs of their own,
  headings are kept but never become the lead. When it finds nothing (a very
  short brief), the ``<p>`` and ``<div>`` text of the story root is read
  instead.
- **Everything editors and the notification rely on** is read with
  selectolax's lexbor parser, by our own rules:

  - Headline: this story's own. Candidates are the page's ``<h1>``s outside
    site chrome (header, nav, footer, aside, links, logos) and the page's
    own statements of its title (JSON-LD ``headline``, ``og:title``,
    ``twitter:title``, ``<title>`` without a " | Site" suffix). An ``<h1>``
    that agrees with one of those statements wins (it is the story's
    rendering); else the JSON-LD or Open Graph title; else the story root's
    ``<h1>``; else ``<title>``. A logo or another story's ``<h1>`` in a list
    of links never agrees, so never wins.
  - Dates: ``<time datetime>`` marked as modified/updated or published
    (``itemprop``, ``class``), else ``article:modified_time`` /
    ``article:published_time`` meta tags, else JSON-LD ``dateModified`` /
    ``datePublished``, else the story's first ``<time datetime>``.
  - Dateline: an element with class ``dateline`` when it names a place;
    CMSs also use that class for timestamps ("Updated Nov 19, 6:55 AM"),
    which are not datelines and must not enter the content hash.
  - Tags: ``article:tag`` meta tags, else ``<meta name="keywords">``.
  - Editor overrides: ``<meta name="stoppress:notify" content="none">``,
    ``<meta name="stoppress:urgency" content="high">``,
    ``<meta name="stoppress:update" content="...">`` (an update's push line) and
    ``<meta name="stoppress:embargo" content="2026-12-01T09:00:00+01:00">``.
  - Language and lead image (``articles.presentation``): ``<html lang>`` or
    ``og:locale``; ``og:image``, ``twitter:image``, JSON-LD ``image`` or the
    story's first picture, absolute https and never from an ad host.
"""

import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from stoppress.articles.draft import (
    ArticleDraft,
    as_aware_datetime,
    parse_embargo,
    parse_notify,
    parse_tags,
    parse_urgency,
)
from stoppress.articles.normalise import normalise_text
from stoppress.articles.presentation import page_image, page_lang, update_note

if TYPE_CHECKING:
    from lxml.etree import _Element
    from selectolax.lexbor import LexborHTMLParser, LexborNode

# Not the story, wherever they appear (headline candidates and the fallback reader).
_CHROME_TAGS: Final = frozenset({"nav", "footer", "aside", "a", "form", "button", "dialog"})
_HEADER_CLASS: Final = re.compile(r"^(?:.*[\s_-])?header$", re.IGNORECASE)
_NOT_TEXT_TAGS: Final = frozenset(
    {"script", "style", "noscript", "template", "svg", "iframe", "figure", "figcaption"}
)
_CHROME_CLASS: Final = re.compile(
    r"(?:^|[\s_-])(?:logo|brand|site-?(?:title|name|header)|masthead|nav|menu|breadcrumbs?|"
    r"related|more|trending|popular|most-?read|recirc|teaser|promo|newsletter|share|social|"
    r"comments?|byline|caption|credit|ad|ads|advert|advertisement|sponsor|footer|sidebar|"
    r"rail|widget|cookie|consent|paywall|subscribe)(?:$|[\s_-])",
    re.IGNORECASE,
)
_CHROME_ROLES: Final = frozenset(
    {"navigation", "complementary", "banner", "contentinfo", "search", "dialog"}
)
_ARTICLE_TYPES: Final = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "backgroundnewsarticle",
        "blogposting",
        "liveblogposting",
        "webpage",
        "report",
    }
)
# " | ", " - ", " — ", " :: " between a headline and the site's name, either side.
_TITLE_SEPARATOR: Final = re.compile(r"\s+(?:[|–—·-]|::)\s+")
_WORD: Final = re.compile(r"\w+")
_KICKERS: Final = ", ".join(
    f"h1 [class*='{name}']" for name in ("topline", "kicker", "overline", "eyebrow", "dachzeile")
)
_STANDFIRSTS: Final = ", ".join(
    [
        '[itemprop="description"]',
        *(
            f"[class*='{name}']"
            for name in ("standfirst", "dek", "summary", "subtitle", "subhead", "bajada", "intro")
        ),
    ]
)
_ARTICLE_TAG: Final = re.compile(r"<(/?)article\b", re.IGNORECASE)
_LIVE_CLASS: Final = re.compile(r"(?:^|[\s_-])live(?:$|[\s_-])", re.IGNORECASE)
# Less story text than this from the extractor means it found no article of its own.
_MIN_EXTRACTED_TEXT: Final = 250
# A story root with less text than this is a template or a teaser, not the story.
_MIN_ROOT_TEXT: Final = 200


def parse_html(text: str) -> ArticleDraft:
    from selectolax.lexbor import LexborHTMLParser  # only HTML uploads pay for it

    tree = LexborHTMLParser(text)
    json_ld = [node.text() or "" for node in tree.css('script[type="application/ld+json"]')]
    # Scripts and styles hold source, not words. Every reading below, the
    # extractor's included, sees the page without them, as the HTML standard
    # parses it: the extractor's own parser reads ``<script/>`` as empty.
    tree.strip_tags(["script", "style"])
    page = tree.html or ""
    for kicker in tree.css(_KICKERS):
        # "Gesetz verabschiedet: Bundestag beschließt ...": the label above a
        # headline, set inside its <h1>, is not part of it.
        kicker.decompose()
    draft = ArticleDraft()
    story = _story_root(tree)
    linked_data = _linked_data(json_ld)

    draft.headline = _headline(tree, story, linked_data)
    draft.updated_at, draft.published_at = _dates(tree, story, linked_data)
    draft.dateline = _dateline(story)
    draft.tags = _tags(tree)
    notify = _meta(tree, "stoppress:notify")
    if notify is not None:
        draft.notify = parse_notify(notify, "<meta name=stoppress:notify>")
    urgency = _meta(tree, "stoppress:urgency")
    if urgency is not None:
        draft.urgency = parse_urgency(urgency, "<meta name=stoppress:urgency>")
    draft.update_note = update_note(_meta(tree, "stoppress:update"), "<meta name=stoppress:update>")
    embargo = _meta(tree, "stoppress:embargo")
    if embargo is not None:
        draft.embargo = parse_embargo(embargo, "<meta name=stoppress:embargo>")
    draft.lang = page_lang(tree)
    draft.image = page_image(tree, story, linked_data)

    if _is_live_blog(tree, json_ld):
        # Each entry of a live blog is an <article>; the extractor would take the
        # first entry for the story. Read as sections, they are one story.
        page = _ARTICLE_TAG.sub(r"<\1section", page)
    blocks = _extracted_blocks(page)
    if sum(len(block) for _, block in blocks) < _MIN_EXTRACTED_TEXT:
        # On a very short page the extractor falls back to the whole page's text;
        # the story root's own paragraphs are the better reading there.
        blocks = _fallback_blocks(story)
    blocks = _without_teasers(_standfirst_first(blocks, _standfirst(tree)), _teasers(tree))
    headline_words = _words(draft.headline)
    for kind, block in blocks:
        if kind == "head" and _words(block) == headline_words:
            continue  # the headline, repeated at the top of the extracted text
        if kind != "p":
            draft.not_lead.add(len(draft.paragraphs))
        draft.paragraphs.append(block)
    if draft.dateline and draft.paragraphs and draft.paragraphs[0].startswith(draft.dateline):
        # <p><span class="dateline">PARIS</span> The lead...: the dateline is
        # kept in its field, not repeated as the lead's first word.
        lead = draft.paragraphs[0][len(draft.dateline) :].lstrip(" -–—")
        if lead:
            draft.paragraphs[0] = lead
    return draft


# -- the story's text ------------------------------------------------------------------


def _extracted_blocks(text: str) -> list[tuple[str, str]]:
    """The story as trafilatura finds it: (kind, text) blocks, kind p, head, item or row."""
    import trafilatura

    document = trafilatura.bare_extraction(
        text, include_comments=False, include_tables=True, include_images=False
    )
    body = getattr(document, "body", None)
    if body is None:
        return []
    return [(kind, block) for kind, raw in _walk(body) if (block := normalise_text(raw))]


def _walk(element: "_Element") -> Iterator[tuple[str, str]]:
    """Blocks of trafilatura's output tree, in reading order.

    Its vocabulary: ``p``, ``head``, ``quote``, ``list``/``item``, ``table``/
    ``row``/``cell``, ``lb`` (a line break), ``hi``/``ref`` (inline). Two line
    breaks in a row end a paragraph, as on the page; one is a space. A
    ``table`` holding raw HTML rows (``tr``) is a leftover copy of one the
    extractor also gives properly, so it is skipped.
    """
    parts: list[str] = []
    kind = "p"

    def flush() -> Iterator[tuple[str, str]]:
        if parts:
            yield kind, "".join(parts)
            parts.clear()

    def visit(node: "_Element") -> Iterator[tuple[str, str]]:
        nonlocal kind
        tag = node.tag if isinstance(node.tag, str) else ""
        # Inline <code> stays in its sentence; a code block of its own is a paragraph.
        block = tag in ("p", "head", "quote", "item", "row", "list", "table") or (
            tag == "code" and not parts
        )
        if tag == "table" and any(child.tag == "tr" for child in node):
            yield from flush()
            return
        if tag in ("tr", "td", "th", "tbody", "thead"):
            return
        if block:
            yield from flush()
            kind = {"head": "head", "item": "item", "row": "row"}.get(tag, "p")
        if tag == "cell" and parts:
            parts.append(" ")  # cells of a row are words apart
        if tag == "lb":
            if parts and parts[-1] == "\n":
                parts.pop()
                yield from flush()
            elif parts:
                parts.append("\n")
        elif node.text:
            parts.append(node.text)
        for child in node:
            yield from visit(child)
            if child.tail and child.tail.strip():
                if parts and parts[-1] == "\n":
                    parts[-1] = " "
                parts.append(child.tail)
        if block:
            yield from flush()
            kind = "p"

    yield from visit(element)
    yield from flush()


def _standfirst_first(
    blocks: list[tuple[str, str]], standfirst: str | None
) -> list[tuple[str, str]]:
    """The standfirst comes first.

    Pages set a standfirst apart from the body, and the extractor can place it
    after the paragraphs it found first; on the page, and in a notification,
    it comes before them. Only a paragraph the page marks as its standfirst
    moves: a body paragraph is never reordered.
    """
    if not standfirst:
        return blocks
    wanted = _words(standfirst)
    for index, (kind, block) in enumerate(blocks):
        if kind == "p" and index > 0 and _words(block) == wanted:
            return [blocks[index], *blocks[:index], *blocks[index + 1 :]]
    return blocks


def _standfirst(tree: "LexborHTMLParser") -> str | None:
    """The text of the element the page marks as its standfirst (dek, summary, subtitle)."""
    for node in tree.css(_STANDFIRSTS):
        text = normalise_text(node.text(separator=" "))
        if len(_words(text)) >= 6 and not _in_chrome(node):
            return text
    return None


def _teasers(tree: "LexborHTMLParser") -> tuple[set[str], set[str]]:
    """Other stories' teasers on the page: (linked headline texts, teaser line texts).

    A teaser is a heading made of a link to another story (a kicker may come
    first), often followed by a short line about it. Texts are folded words.
    """
    headlines: set[str] = set()
    lines: set[str] = set()
    for heading in tree.css("h2, h3, h4, h5, h6"):
        link = heading.css_first("a")
        linked = _words(link.text(separator=" ")) if link is not None else []
        if len(linked) < 3 or len(linked) < 0.6 * len(_words(heading.text(separator=" "))):
            continue
        headlines.add(" ".join(linked))
        after = heading.next
        while after is not None and after.tag in ("-text", "#text"):
            after = after.next
        if after is not None and after.tag in ("p", "div"):
            line = _words(after.text(separator=" "))
            if 0 < len(line) <= 60:
                lines.add(" ".join(line))
    return headlines, lines


def _without_teasers(
    blocks: list[tuple[str, str]], teasers: tuple[set[str], set[str]]
) -> list[tuple[str, str]]:
    """The story without the run of other stories' teasers an extractor can append.

    Two or more teaser headings or lines after the story's third paragraph end
    the story at the first of them: a single linked subheading inside a story
    does not.
    """
    headlines, lines = teasers
    found = [
        index
        for index, (kind, block) in enumerate(blocks)
        if index >= 3
        and ((kind == "head" and _ends_with(block, headlines)) or " ".join(_words(block)) in lines)
    ]
    if len(found) >= 2:
        return blocks[: found[0]]
    return blocks


def _ends_with(block: str, texts: set[str]) -> bool:
    words = _words(block)
    return any(" ".join(words[start:]) in texts for start in range(min(len(words), 4)))


def _fallback_blocks(story: "LexborNode | None") -> list[tuple[str, str]]:
    """The story root's paragraphs (``<p>``, and ``<div>``s holding text directly)."""
    if story is None:
        return []
    containers = _holding_blocks(story)
    blocks = []
    for node in _story_nodes(story):
        if node.tag not in ("p", "li", "h2", "h3", "div"):
            continue
        if node.tag == "div" and node.mem_id in containers:
            continue  # a container: its own children are read
        words = normalise_text(node.text(separator=" "))
        if words:
            kind = {"li": "item", "h2": "head", "h3": "head"}.get(node.tag or "", "p")
            blocks.append((kind, words))
    return blocks


def _holding_blocks(root: "LexborNode") -> set[int]:
    """``mem_id``s of the elements under ``root`` that hold a p, div, li, h2 or h3."""
    holding: set[int] = set()
    for node in root.css("p, div, li, h2, h3"):
        current = node.parent
        # Each element is marked once: the walk stops where an earlier one did.
        while current is not None and current.mem_id != root.mem_id:
            if current.mem_id in holding:
                break
            holding.add(current.mem_id)
            current = current.parent
    return holding


def _story_nodes(root: "LexborNode") -> Iterator["LexborNode"]:
    """The elements under ``root`` in document order, without furniture and all it holds."""
    stack = list(root.iter())[::-1]
    while stack:
        node = stack.pop()
        if node.tag in _NOT_TEXT_TAGS or _is_chrome(node):
            continue
        yield node
        stack.extend(list(node.iter())[::-1])


def _story_root(tree: "LexborHTMLParser") -> "LexborNode | None":
    """The element holding the story: the marked article body, else the richest article."""
    candidates = [
        node
        for node in tree.css('[itemprop="articleBody"], article, [role="main"], main')
        if not _in_chrome(node)
    ]
    sizes = _story_text_sizes(candidates)
    rich = [node for node in candidates if sizes[node.mem_id][0] >= _MIN_ROOT_TEXT]
    if rich:
        marked = [n for n in rich if n.attributes.get("itemprop") == "articleBody"]
        # Of several articles (the story, teasers, comments marked up as articles),
        # the story is the one with the most text of its own.
        return marked[0] if marked else max(rich, key=lambda n: sizes[n.mem_id][0])
    with_text = [node for node in candidates if sizes[node.mem_id][1]]
    if with_text:
        return max(with_text, key=lambda n: sizes[n.mem_id][0])
    return tree.body


def _story_text_sizes(roots: list["LexborNode"]) -> dict[int, tuple[int, bool]]:
    """For each root: the length of its story text, and whether it has any words.

    Its story text is its ``<p>``s outside furniture between them and it, joined
    with spaces. One pass from the outermost roots measures every root inside them
    too, so nested candidates cost no more than the page.
    """
    wanted = {root.mem_id for root in roots}
    sizes: dict[int, tuple[int, bool]] = {}
    for top in roots:
        if top.mem_id in sizes:
            continue
        order: list[tuple[LexborNode, int | None]] = []
        stack: list[tuple[LexborNode, int | None]] = [(top, None)]
        while stack:
            node, parent = stack.pop()
            order.append((node, parent))
            stack.extend((child, node.mem_id) for child in node.iter())
        # (characters, paragraphs, any words) of the story text below each element
        below: dict[int, tuple[int, int, bool]] = {}
        for node, parent in reversed(order):  # children before their parents
            chars, count, has_words = below.pop(node.mem_id, (0, 0, False))
            if node.mem_id in wanted:
                sizes[node.mem_id] = (chars + max(count - 1, 0), has_words)
            if parent is None or node.tag in _NOT_TEXT_TAGS or _is_chrome(node):
                continue
            if node.tag == "p":
                text = node.text()
                chars, count = chars + len(text), count + 1
                has_words = has_words or bool(text.strip())
            up = below.get(parent, (0, 0, False))
            below[parent] = (up[0] + chars, up[1] + count, up[2] or has_words)
    return sizes


def _is_story(node: "LexborNode", root: "LexborNode") -> bool:
    """False when the node sits in page furniture between it and ``root``."""
    current: LexborNode | None = node
    while current is not None and current.mem_id != root.mem_id:
        if current.tag in _NOT_TEXT_TAGS or _is_chrome(current):
            return False
        current = current.parent
    return True


def _is_chrome(node: "LexborNode") -> bool:
    attributes = node.attributes
    if node.tag == "header" or _HEADER_CLASS.search(attributes.get("class") or ""):
        # A story's own header holds its headline and dek; the site's header is chrome.
        return not _inside_story(node)
    if node.tag in _CHROME_TAGS:
        return True
    if attributes.get("role") in _CHROME_ROLES or "hidden" in attributes:
        return True
    if attributes.get("aria-hidden") == "true":
        return True
    classes = f"{attributes.get('class') or ''} {attributes.get('id') or ''}"
    return bool(classes.strip()) and _CHROME_CLASS.search(classes) is not None


def _inside_story(node: "LexborNode") -> bool:
    current = node.parent
    while current is not None and current.tag not in ("body", "html"):
        if current.tag in ("article", "main") or current.attributes.get("itemprop") == (
            "articleBody"
        ):
            return True
        current = current.parent
    return False


def _in_chrome(node: "LexborNode") -> bool:
    current = node.parent
    while current is not None and current.tag not in ("body", "html"):
        if _is_chrome(current):
            return True
        current = current.parent
    return False


# -- headline ----------------------------------------------------------------------------


def _headline(
    tree: "LexborHTMLParser", story: "LexborNode | None", linked_data: dict[str, Any]
) -> str:
    stated = [
        text
        for text in (
            _string(linked_data.get("headline")),
            _without_site(_meta(tree, "og:title")),
            _without_site(_meta(tree, "twitter:title")),
            _without_site(_title(tree)),
        )
        if text
    ]
    headings = [
        words
        for node in tree.css("h1")
        if not _is_chrome(node) and not _in_chrome(node)
        if (words := normalise_text(node.text(separator=" ")))
    ]
    for heading in headings:
        if any(_same_title(heading, title) for title in stated):
            return heading
    if story is not None:
        for node in story.css("h1"):
            words = normalise_text(node.text(separator=" "))
            if words and _is_story(node, story):
                return words
    if stated[:1] and stated[0] != _without_site(_title(tree)):
        return stated[0]
    if headings:
        return headings[0]
    return stated[0] if stated else ""


def _same_title(heading: str, title: str) -> bool:
    """Whether a page heading and a stated title name the same story."""
    a, b = _words(heading), _words(title)
    if not a or not b:
        return False
    if a == b:
        return True
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    # A stated title often carries a site suffix or drops a subtitle; the heading
    # must still hold most of the words, and be more than a word or two.
    overlap = len(set(shorter) & set(longer)) / len(set(shorter))
    return len(shorter) >= 3 and overlap >= 0.8 and len(shorter) >= 0.5 * len(longer)


def _words(text: str | None) -> list[str]:
    return _WORD.findall((text or "").casefold())


def _title(tree: "LexborHTMLParser") -> str | None:
    node = tree.css_first("title")
    return normalise_text(node.text()) if node is not None else None


def _without_site(title: str | None) -> str | None:
    """``"Story headline | Site name"`` or ``"Site - Story headline"`` → ``"Story headline"``.

    The headline usually comes first; a later part that has at least twice its
    words is the headline behind a site name.
    """
    if not title:
        return None
    parts = [part for part in _TITLE_SEPARATOR.split(title) if part.strip()]
    if len(parts) < 2:
        return title
    first = parts[0]
    longest = max(parts, key=lambda part: len(_words(part)))
    return longest if len(_words(longest)) >= 2 * len(_words(first)) else first


# -- dates, dateline, tags, metadata -----------------------------------------------------


def _dates(
    tree: "LexborHTMLParser", story: "LexborNode | None", linked_data: dict[str, Any]
) -> tuple[datetime | None, datetime | None]:
    updated = (
        _time(
            tree,
            (
                'time[itemprop="dateModified"]',
                "time.updated",
                "time.modified",
                '[class*="updated"] time',
                '[class*="modified"] time',
            ),
        )
        or as_aware_datetime(_meta(tree, "article:modified_time") or _meta(tree, "og:updated_time"))
        or as_aware_datetime(linked_data.get("dateModified"))
    )
    published = (
        _time(
            tree,
            (
                'time[itemprop="datePublished"]',
                "time.published",
                "time[pubdate]",
                '[class*="published"] time',
            ),
        )
        or as_aware_datetime(_meta(tree, "article:published_time"))
        or as_aware_datetime(linked_data.get("datePublished"))
    )
    if published is None and story is not None:
        for node in story.css("time[datetime]"):
            published = as_aware_datetime(node.attributes.get("datetime"))
            if published is not None:
                break
    return updated, published


def _dateline(story: "LexborNode | None") -> str | None:
    from stoppress.articles.furniture import looks_like_place

    node = story.css_first(".dateline") if story is not None else None
    if node is None:
        return None
    text = normalise_text(node.text(separator=" ")).rstrip(" -–—")
    return text if text and looks_like_place(text) else None


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


def _linked_data(json_ld: list[str]) -> dict[str, Any]:
    """The page's JSON-LD article object (NewsArticle and kin), or an empty dict."""
    for text in json_ld:
        try:
            data = json.loads(text)
        except ValueError:
            continue
        for item in _ld_items(data):
            types = item.get("@type")
            names = [types] if isinstance(types, str) else types if isinstance(types, list) else []
            is_article = any(isinstance(t, str) and t.casefold() in _ARTICLE_TYPES for t in names)
            if is_article and item.get("headline"):
                return item
    return {}


def _is_live_blog(tree: "LexborHTMLParser", json_ld: list[str]) -> bool:
    """A live blog: JSON-LD says so, or its entries are articles marked "live"."""
    if any("liveblogposting" in text.casefold() for text in json_ld):
        return True
    entries = [
        node
        for node in tree.css("article")
        if _LIVE_CLASS.search(node.attributes.get("class") or "")
    ]
    return len(entries) >= 2


def _ld_items(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for entry in data[:50]:
            yield from _ld_items(entry)
    elif isinstance(data, dict):
        yield data
        graph = data.get("@graph")
        if isinstance(graph, list):
            for entry in graph[:50]:
                if isinstance(entry, dict):
                    yield entry


def _string(value: Any) -> str | None:
    return normalise_text(value) or None if isinstance(value, str) else None
