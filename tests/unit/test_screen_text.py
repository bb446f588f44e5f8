"""What reaches a reader's screen is plain, visible, valid Unicode text, whatever was uploaded.

The hostile text is generated, not listed: control characters, bidirectional
formatting, surrogates, invisible characters, tags (whole, with attributes,
closing, and broken up by other tags or by characters that vanish), the same
escaped as HTML character references of every spelling (double escapes
included), script and style blocks, comments and CDATA sections, and YAML
escapes. It goes into every field a reader can see (headline, dateline, lead,
tags), in each of the three formats. Script, style, comment and CDATA content
carries a marker that must never come out.
"""

import html
import json
import re
import unicodedata
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stoppress.articles.model import Article, Audience, ChangeKind, SourceObject, Version
from stoppress.articles.normalise import normalise_text
from stoppress.articles.parse import parse_article
from stoppress.articles.screen import screen_text
from stoppress.core.errors import ArticleParseError
from stoppress.notify.payload import build_payload

MARK = "PAYLOAD"
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
TAG_OPENER = re.compile(r"<[A-Za-z/!?]")
LINE_BREAKS = re.compile("[\n\r\x85\u2028\u2029]")

LT = [
    "&lt;",
    "&LT;",
    "&lt",
    "&#60;",
    "&#060;",
    "&#x3c;",
    "&#X3C;",
    "&#x003C;",
    "&amp;lt;",
    "&amp;#60;",
]
GT = [">", "&gt;", "&GT;", "&#62;", "&#x3e;", "&amp;gt;"]
# References to what must not be shown, or to what is not a character at all.
BAD_REFERENCES = [
    "&#x202E;",
    "&#8238;",
    "&#x2066;",
    "&#x200F;",
    "&#xD800;",
    "&#xDFFF;",
    "&#0;",
    "&#1;",
    "&#x1b;",
    "&#x85;",
    "&#x9f;",
    "&NoBreak;",
    "&ZeroWidthSpace;",
    "&amp;#x202e;",
]
YAML_ESCAPES = [
    "\\0",
    "\\a",
    "\\e",
    "\\t",
    "\\N",
    "\\L",
    "\\P",
    "\\_",
    "\\x1b",
    "\\x7f",
    "\\u202E",
    "\\u2066",
    "\\ud800",
    "\\udfff",
    "\\ud83d\\ude00",
    "\\U0001F600",
    f"\\x3cscript\\x3e{MARK}\\x3c/script\\x3e",
    "\\u003cb\\u003e",
    f"\\x3c!--{MARK}--\\x3e",
]

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=7).map(
    lambda word: f" {word} "
)
controls = st.characters(categories=["Cc"], min_codepoint=1)
bidi = st.sampled_from(BIDI)
surrogates = st.characters(categories=["Cs"])
invisible = st.sampled_from(INVISIBLE)
# What disappears entirely, so that a tag name split by it joins up again.
vanishing = st.one_of(
    controls.filter(lambda c: not c.isspace()),
    bidi,
    invisible,
    st.sampled_from(["&#x202E;", "&#1;", "<b>", "</i>", "<!---->", "&lt;b&gt;"]),
)


@st.composite
def obfuscated(draw: st.DrawFn, markup: str, *, parsed_as_html: bool = False) -> str:
    """``markup`` with its name split by vanishing text, its brackets escaped, or both.

    Raw in an HTML page a split name is another element's name, which is not the
    markup any more; there a split is only made inside an escaped tag.
    """
    split = draw(st.booleans())
    escape = draw(st.booleans()) or (parsed_as_html and split)
    if split:
        name_start = 2 if markup.startswith("</") else 1
        at = draw(st.integers(min_value=name_start, max_value=max(name_start, len(markup) - 1)))
        markup = markup[:at] + draw(vanishing) + markup[at:]
    if escape:
        lt, gt = draw(st.sampled_from(LT)), draw(st.sampled_from(GT))
        markup = markup.replace("<", "\0").replace(">", gt).replace("\0", lt)
    return markup


@st.composite
def tags(draw: st.DrawFn, *, parsed_as_html: bool = False) -> str:
    name = draw(st.sampled_from(["b", "i", "a", "img", "svg", "iframe", "div", "x-y", "math"]))
    name = draw(st.sampled_from([name, name.upper()]))
    attributes = draw(
        st.sampled_from(["", " x", ' href="javascript:alert(1)"', " onerror=alert(1)", " /"])
    )
    tag = f"</{name}>" if draw(st.booleans()) else f"<{name}{attributes}>"
    return draw(obfuscated(tag, parsed_as_html=parsed_as_html))


@st.composite
def source_blocks(draw: st.DrawFn, *, closed: bool, parsed_as_html: bool = False) -> str:
    """A script or style block holding the marker; unless ``closed``, without its end tag."""
    name = draw(st.sampled_from(["script", "style", "SCRIPT", "Style"]))
    attributes = draw(st.sampled_from(["", ' type="text/javascript"', " src=x.js", "/"]))
    source = MARK + draw(st.sampled_from(["", " alert(1)", " body{color:red}", " </b> ", " <i>"]))
    opener = draw(obfuscated(f"<{name}{attributes}>", parsed_as_html=parsed_as_html))
    if not closed:
        return opener + source
    end = draw(st.sampled_from([f"</{name}>", f"</{name.lower()} >", f"</{name.upper()}>"]))
    return opener + source + draw(obfuscated(end, parsed_as_html=parsed_as_html))


@st.composite
def comments(draw: st.DrawFn, *, closed: bool, parsed_as_html: bool = False) -> str:
    """A comment or CDATA section holding the marker; unless ``closed``, without its end."""
    forms = [("<!--", "-->"), ("<!--", "--!>"), ("<![CDATA[", "]]>")]
    if parsed_as_html and not closed:
        # A page's parser ends an unclosed CDATA section at the next ">", whatever follows.
        forms = forms[:1]
    opener, closer = draw(st.sampled_from(forms))
    if not parsed_as_html:
        opener = draw(obfuscated(opener))
    return opener + MARK + (closer if closed else "")


def hostile(*, parsed_as_html: bool = False, unclosed: bool = True) -> st.SearchStrategy[str]:
    """Hostile text; ``parsed_as_html``: to be placed raw in a page, where a parser reads it.

    A block without its end runs to the end of the text, so only the last piece may be
    one, and only in text that no other field's text follows (``unclosed``).
    """
    piece = st.one_of(
        words,
        controls,
        bidi,
        surrogates,
        invisible,
        st.sampled_from(BAD_REFERENCES + LT + GT),
        tags(parsed_as_html=parsed_as_html),
        source_blocks(closed=True, parsed_as_html=parsed_as_html),
        comments(closed=True, parsed_as_html=parsed_as_html),
    )
    tail = st.just("")
    if unclosed:
        tail = st.one_of(
            tail,
            source_blocks(closed=False, parsed_as_html=parsed_as_html),
            comments(closed=False, parsed_as_html=parsed_as_html),
        )
    return st.tuples(st.lists(piece, max_size=8), tail).map(
        lambda parts: "".join(parts[0]) + parts[1]
    )


def one_line(text: str) -> str:
    """Line-based formats: a generated line break would only move text to another paragraph."""
    return LINE_BREAKS.sub(" ", text)


def yaml_quoted(text: str) -> str:
    """``text`` as the inside of a YAML double-quoted scalar, escaped where it must be."""
    out = []
    for character in text:
        code = ord(character)
        if character in '"\\':
            out.append("\\" + character)
        elif character in "<>":
            out.append(f"\\x{code:02x}")
        elif 0x20 <= code < 0x7F:
            out.append(character)
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return "".join(out)


yaml_hostile = st.tuples(
    st.lists(
        st.one_of(hostile(unclosed=False).map(yaml_quoted), st.sampled_from(YAML_ESCAPES)),
        max_size=4,
    ),
    hostile().map(yaml_quoted),
).map(lambda parts: "".join(parts[0]) + parts[1])

# Enough ordinary prose that a few stray control characters do not make the file look binary.
FILLER = "The council met again on Tuesday to hear from residents about the plan. " * 30
LEAD = "The council voted on Monday to approve {} the new budget for the city."
SECOND = "{} Officials said the plan would take effect early next year."


def referenced_surrogates(text: str) -> str:
    """Lone surrogates as character references: UTF-8 bytes cannot hold them."""
    return re.sub("[\ud800-\udfff]", lambda m: f"&#x{ord(m.group()):X};", text)


def as_html_text(text: str) -> str:
    return referenced_surrogates(html.escape(text, quote=True))


@st.composite
def text_files(draw: st.DrawFn) -> bytes:
    h, d, t, u, p1, p2 = (referenced_surrogates(one_line(draw(hostile()))) for _ in range(6))
    document = "\n".join(
        [
            f"Dateline: PARIS {d}",
            f"Tags: news, {t}",
            f"Update: Police named {u}",
            "",
            f"Council {h} vote",
            "",
            LEAD.format(p1),
            "",
            SECOND.format(p2),
            "",
            FILLER,
            "",
        ]
    )
    return document.encode("utf-8")


@st.composite
def markdown_files(draw: st.DrawFn) -> bytes:
    title, dateline, tag = draw(yaml_hostile), draw(yaml_hostile), draw(yaml_hostile)
    p1, p2 = (referenced_surrogates(one_line(draw(hostile()))) for _ in range(2))
    note = draw(yaml_hostile)
    front = [
        f'dateline: "PARIS {dateline}"',
        f'tags: ["news", "{tag}"]',
        f'update_note: "Police named {note}"',
    ]
    heading = ""
    if draw(st.booleans()):
        front.append(f'title: "Council {title} vote"')
    else:
        heading = f"# Council {referenced_surrogates(one_line(draw(hostile())))} vote\n\n"
    document = (
        "---\n" + "\n".join(front) + "\n---\n\n" + heading
        + f"{LEAD.format(p1)}\n\n{SECOND.format(p2)}\n\n"
        + f"<script>\n{MARK}\n\n{MARK}\n</script>\n\n{FILLER}\n"
    )  # fmt: skip
    return document.encode("utf-8")


@st.composite
def html_files(draw: st.DrawFn) -> bytes:
    title, og_title, h1, tag, note, p1 = (as_html_text(draw(hostile())) for _ in range(6))
    # The dateline shares its paragraph with the lead.
    dateline = as_html_text(draw(hostile(unclosed=False)))
    raw = referenced_surrogates(draw(hostile(parsed_as_html=True)))
    linked_data = json.dumps(
        {"@type": "NewsArticle", "headline": f"Council {draw(hostile())} vote"}
    ).replace("</", "<\\/")
    page = f"""<!doctype html><html><head><meta charset="utf-8">
<title>Council {title} vote</title>
<meta property="og:title" content="Council {og_title} vote">
<meta name="keywords" content="news, {tag}">
<meta name="stoppress:update" content="Police named {note}">
<script type="application/ld+json">{linked_data}</script>
<style>body {{ color: red }} {MARK}</style>
</head><body><article>
<h1>Council {h1} vote<script>{MARK}</script></h1>
<p><span class="dateline">PARIS {dateline}</span> {LEAD.format(p1)}</p>
<p>{SECOND.format(raw)}<style>{MARK}</style></p>
<!-- {MARK} -->
<p>{FILLER}</p>
</article></body></html>"""
    return page.encode("utf-8")


def assert_screen_text(value: str) -> None:
    value.encode("utf-8")  # strict: a lone surrogate raises
    assert not any(unicodedata.category(c) in ("Cc", "Cs") for c in value), ascii(value)
    assert not any(c in BIDI for c in value), ascii(value)
    assert TAG_OPENER.search(value) is None, ascii(value)
    assert html.unescape(value) == value, ascii(value)
    assert MARK not in value, ascii(value)
    assert screen_text(value) == value, ascii(value)


def shown(article: Article) -> list[str]:
    optional = [article.dateline, article.overrides.update_note]
    return [
        article.headline,
        *(value for value in optional if value is not None),
        article.summary,
        *article.paragraphs,
        *article.tags,
    ]


CREATED = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


def check_upload(data: bytes, key: str, max_payload_bytes: int) -> Article | None:
    try:
        article = parse_article(data, key=key)
    except ArticleParseError as e:
        e.reason.encode("utf-8")  # stored with the rejection
        return None
    for value in shown(article):
        assert_screen_text(value)
    version = Version(
        article_id=article.id,
        number=1,
        headline=article.headline,
        dateline=article.dateline,
        summary=article.summary,
        body=article.body,
        change=ChangeKind.NEW,
        audience=Audience.ALL,
        content_hash=article.content_hash,
        tags=article.tags,
        source=SourceObject(bucket="b", key=key, event_time=CREATED),
        created_at=CREATED,
    )
    notification = build_payload(
        version, site_base_url="https://news.example", max_bytes=max_payload_bytes
    )["notification"]
    for field in ("title", "body"):
        assert_screen_text(notification[field])
    return article


PAYLOAD_LIMITS = st.integers(min_value=300, max_value=2700)
HOSTILE_FILES = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@HOSTILE_FILES
@given(data=text_files(), limit=PAYLOAD_LIMITS)
def test_plain_text_shows_only_screen_text(data: bytes, limit: int) -> None:
    check_upload(data, "articles/hostile.txt", limit)


@HOSTILE_FILES
@given(data=markdown_files(), limit=PAYLOAD_LIMITS)
def test_markdown_shows_only_screen_text(data: bytes, limit: int) -> None:
    check_upload(data, "articles/hostile.md", limit)


@HOSTILE_FILES
@given(data=html_files(), limit=PAYLOAD_LIMITS)
def test_html_shows_only_screen_text(data: bytes, limit: int) -> None:
    check_upload(data, "articles/hostile.html", limit)


@settings(max_examples=500, deadline=None)
@given(text=hostile())
def test_screened_text_holds_nothing_a_screen_must_not_show(text: str) -> None:
    assert_screen_text(screen_text(text))


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(
        alphabet=st.characters(
            exclude_categories=("Cc", "Cs"), exclude_characters="<&" + BIDI + INVISIBLE
        )
    )
)
def test_ordinary_text_is_only_normalised(text: str) -> None:
    assert screen_text(text) == normalise_text(text)


def test_the_examples_in_the_rule() -> None:
    assert screen_text("Budget \u202epasses\u202c today") == "Budget passes today"
    assert screen_text("Budget&#x202E; passes") == "Budget passes"
    assert screen_text("Budget &lt;script&gt;alert(1)&lt;/script&gt; passes") == "Budget passes"
    assert screen_text("&#60;b&#62;Budget&#60;/b&#62; passes") == "Budget passes"
    assert screen_text("<scr<script>ipt>alert(1)</script>Budget") == "scrBudget"
    assert screen_text("<scr<b>ipt>alert(1)</script> Budget") == ""
    assert screen_text("Budget <![CDATA[x]]> <!-- note --> passes") == "Budget passes"
    assert screen_text("Budget\x00\x1b passes\n\tnow") == "Budget passes now"
    assert screen_text("Budget \ud800 passes \ud83d\ude00") == "Budget \ufffd passes 😀"
    assert screen_text("&amp;amp;lt;b&amp;amp;gt;Budget") == "Budget"
    assert screen_text("AT&T and R&D say x < y, 3 > 2") == "AT&T and R&D say x < y, 3 > 2"
    assert screen_text("Fish &amp; chips") == "Fish & chips"


def test_a_yaml_escaped_headline_is_screened() -> None:
    data = (
        b'---\ntitle: "Budget \\u202Epasses\\x00 \\ud800 \\x3cscript\\x3ex\\x3c/script\\x3e"\n'
        b"---\n\nThe council voted on Monday to approve the budget for next year.\n"
    )
    article = parse_article(data, key="articles/budget.md")
    assert article.headline == "Budget passes \ufffd"


def test_script_in_a_headline_element_is_not_read_as_words() -> None:
    data = (
        b"<html><body><article><h1>Budget passes<script>alert(1)</script></h1>"
        b"<p>The council voted on Monday to approve the budget for next year.</p>"
        b"</article></body></html>"
    )
    assert parse_article(data, key="articles/budget.html").headline == "Budget passes"


def test_a_script_block_in_markdown_is_dropped_across_blank_lines() -> None:
    data = b"# Budget passes\n\n<script>\nalert(1)\n\nalert(2)\n</script>\n\nThe council voted.\n"
    assert parse_article(data, key="articles/budget.md").paragraphs == ("The council voted.",)


def test_what_vanishes_cannot_hide_a_script_from_the_tag_stripper() -> None:
    assert screen_text("<s\x7fcript>alert(1)</script> Budget passes") == "Budget passes"
    assert screen_text("&lt;\x7fb&amp;gt;&amp;lt;script>alert(1)") == ""


def test_a_self_closed_script_in_a_page_still_holds_source() -> None:
    data = (
        b"<html><body><article><h1>Budget passes</h1>"
        b"<p>The council voted on Monday to approve the budget for next year.</p>"
        b"<p><script/>alert(1)</script> Officials said it takes effect in May.</p>"
        b"</article></body></html>"
    )
    body = parse_article(data, key="articles/budget.html").body
    assert "alert" not in body
    assert "Officials said it takes effect in May." in body


def test_a_markdown_comment_ends_where_a_browser_ends_it() -> None:
    data = b"# Budget passes\n\nThe council <!-- a --!> voted <!-- b --> today.\n"
    assert parse_article(data, key="articles/budget.md").paragraphs == ("The council voted today.",)
