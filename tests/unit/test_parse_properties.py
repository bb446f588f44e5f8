"""Whatever is uploaded, parsing ends in an Article or an ArticleParseError, nothing else."""

import codecs

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from stoppress.articles.lead import SUMMARY_MAX_CHARS
from stoppress.articles.model import Article
from stoppress.articles.parse import parse_article
from stoppress.core.errors import ArticleParseError

KEYS = st.sampled_from(
    [
        "articles/story.txt",
        "articles/story.md",
        "articles/story.html",
        "articles/story",
        "articles/story.bin",
    ]
)
FRAGMENTS = st.sampled_from(
    [
        "---\n",
        "title: ",
        "notify: ",
        "Notify: none\n",
        "urgency: high\n",
        "updated: 2026-02-30\n",
        ". Last Updated: 07/27/2016\n",
        "# ",
        "## ",
        "\n\n",
        "BRUSSELS -- ",
        "NEW YORK (AP) — ",
        "<!doctype html>",
        "<article>",
        "<h1>",
        "</h1>",
        "<p>",
        "</p>",
        '<time datetime="2026-01-01T00:00:00Z">',
        '<meta property="og:title" content="',
        "<script>",
        "**",
        "[",
        "](",
        "`",
        "&amp;",
        "\r\n",
        "\ufeff",
        "“quoted”",
    ]
)
TEXTY = st.lists(st.one_of(FRAGMENTS, st.text(max_size=30)), max_size=25).map("".join)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "cp1252", "latin-1"])


def outcome(data: bytes, key: str) -> Article | ArticleParseError:
    try:
        return parse_article(data, key=key)
    except ArticleParseError as e:
        return e


def check(data: bytes, key: str) -> None:
    article = outcome(data, key)
    if isinstance(article, ArticleParseError):
        assert article.reason
        return
    assert isinstance(article, Article)
    assert article.headline.strip() == article.headline
    assert article.paragraphs
    assert len(article.summary) <= SUMMARY_MAX_CHARS
    if article.updated_at is not None:
        assert article.updated_at.tzinfo is not None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=2048), key=KEYS)
@example(data=b"\xff\xfe\x00", key="articles/story.txt")
@example(data=b"---\n: :\n---\n", key="articles/story.md")
@example(data=b"---\n!!python/object:os.system ls\n---\n# T\n\nx", key="articles/story.md")
@example(data=b"---\ntitle: &a [*a]\n---\nx", key="articles/story.md")
@example(data=b"<h1>\x00</h1>", key="articles/story.html")
def test_arbitrary_bytes_parse_or_raise_the_typed_error(data: bytes, key: str) -> None:
    check(data, key)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXTY, encoding=ENCODINGS, key=KEYS)
def test_article_shaped_text_in_any_encoding_parses_or_raises_the_typed_error(
    text: str, encoding: str, key: str
) -> None:
    data = text.encode(encoding, errors="replace")
    check(data, key)


@settings(max_examples=75, deadline=None)
@given(
    headline=st.text(
        alphabet=st.characters(codec="cp1252", exclude_categories=("Cc", "Cs")), max_size=80
    ).filter(lambda s: s.strip() and not s.lstrip().startswith(("#", "-", ">", "<"))),
    body=st.text(
        alphabet=st.characters(codec="cp1252", exclude_categories=("Cc", "Cs")), max_size=300
    ).filter(str.strip),
)
def test_encoding_and_line_ends_never_change_the_hash(headline: str, body: str) -> None:
    text = f"{headline.strip()}\n\n{body}\n"
    try:
        reference = parse_article(text.encode("utf-8"), key="articles/a.txt")
    except ArticleParseError:
        return
    variants = [codecs.BOM_UTF8 + text.encode("utf-8"), text.encode("utf-16")]
    ansi = text.replace("\n", "\r\n").encode("cp1252")
    if not _also_utf8(ansi):
        # Windows-1252 bytes that happen to be valid UTF-8 ("Â¡") are read as
        # UTF-8: without a BOM nothing can tell them apart, and real prose in
        # Windows-1252 almost never forms valid multi-byte UTF-8 sequences.
        variants.append(ansi)
    for variant in variants:
        article = parse_article(variant, key="articles/a.txt")
        assert article.content_hash == reference.content_hash
        assert article.headline == reference.headline
        assert article.summary == reference.summary


def _also_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not data.isascii()
