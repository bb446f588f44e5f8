"""Hostile uploads end as an article or an ArticleParseError with a short reason, quickly.

The inputs here are small; ``benchmarks/adversarial.py`` runs the same shapes at
the 2 MiB upload limit. Timings use inputs where the old quadratic code took
many times the bound asserted here.
"""

import time

import pytest

from stoppress.articles import draft
from stoppress.articles.changes import changed_word_count
from stoppress.articles.draft import (
    MAX_TAG_CHARS,
    MAX_TAGS,
    REASON_MAX_CHARS,
    cut_reason,
    parse_notify,
    parse_tags,
    parse_urgency,
)
from stoppress.articles.markdown import strip_inline
from stoppress.articles.parse import parse_article
from stoppress.core.errors import ArticleParseError

BILLION_LAUGHS = (
    b"---\n"
    b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    b"b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    b"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    b"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    b"e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    b"f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    b"title: *f\n"
    b"---\n\nBody text.\n"
)


def _reason(data: bytes, key: str) -> str:
    with pytest.raises(ArticleParseError) as caught:
        parse_article(data, key=key)
    return caught.value.reason


def _elapsed(action: object) -> float:
    assert callable(action)
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


# -- reasons are short and never echo expanded input ------------------------------------


@pytest.mark.parametrize("name", ["title", "notify", "urgency", "tags", "updated", "dateline"])
def test_yaml_aliases_in_front_matter_are_refused_with_a_short_reason(name: str) -> None:
    data = BILLION_LAUGHS.replace(b"title: *f", f"{name}: *f".encode())
    if name != "title":
        data = data.replace(b"---\n\nBody", b"---\n\n# Headline\n\nBody")
    reason = _reason(data, "articles/lol.md")
    assert "alias" in reason
    assert len(reason) <= REASON_MAX_CHARS


def test_deeply_nested_front_matter_is_refused_with_a_short_reason() -> None:
    data = b"---\ntitle: T\nx: " + b"[" * 2000 + b"]" * 2000 + b"\n---\n\nBody.\n"
    reason = _reason(data, "articles/deep.md")
    assert "deep" in reason
    assert len(reason) <= REASON_MAX_CHARS


@pytest.mark.parametrize(
    ("value", "check"),
    [
        ([["x" * 1000] * 100] * 100, parse_notify),
        ({"k": list(range(10_000))}, parse_urgency),
        ("y" * 100_000, parse_notify),
    ],
)
def test_a_bad_override_is_shown_in_at_most_a_few_dozen_characters(
    value: object, check: object
) -> None:
    assert callable(check)
    with pytest.raises(ArticleParseError) as caught:
        check(value, "front matter")
    assert len(caught.value.reason) < 200


def test_a_bad_tag_is_shown_without_expanding_it() -> None:
    with pytest.raises(ArticleParseError) as caught:
        parse_tags(["ok", [["x" * 1000] * 1000]], "front matter")
    assert len(caught.value.reason) < 200


def test_front_matter_values_of_the_wrong_type_have_short_reasons() -> None:
    nested = "[" + ", ".join(["[" + ", ".join(["word"] * 300) + "]"] * 20) + "]"
    for name in ("title", "dateline", "updated"):
        data = f"---\n{name}: {nested}\n---\n\n# Headline\n\nBody.\n".encode()
        assert len(_reason(data, "articles/x.md")) < 200


def test_cut_reason_keeps_short_reasons_and_cuts_long_ones() -> None:
    assert cut_reason("the file is empty") == "the file is empty"
    cut = cut_reason("x" * 10_000)
    assert len(cut) <= REASON_MAX_CHARS
    assert cut.endswith("…")


# -- declared charsets -------------------------------------------------------------------


@pytest.mark.parametrize(
    "charset", ["rot13", "base64", "hex", "zlib", "undefined", "unicode_escape", "utf-7", "idna"]
)
def test_a_charset_that_is_not_a_text_encoding_never_escapes(charset: str) -> None:
    data = (
        f'<html><head><meta charset="{charset}"><title>Caf\xe9 opens</title></head>'
        "<body><h1>Caf\xe9 opens</h1><p>The caf\xe9 opened on Monday morning in town.</p>"
        "</body></html>"
    ).encode("latin-1")
    article = parse_article(data, key="articles/cafe.html")
    assert article.headline == "Café opens"  # the claim is ignored: read as Windows-1252
    with pytest.raises(ArticleParseError, match="neither UTF-8 nor Windows-1252"):
        parse_article(data.replace(b"</p>", b"\x81</p>"), key="articles/cafe.html")


def test_a_legacy_charset_is_still_honoured() -> None:
    text = (
        '<html><head><meta charset="koi8-r"></head><body><h1>Новости дня</h1>'
        "<p>Совет принял бюджет города на следующий год.</p></body></html>"
    )
    article = parse_article(text.encode("koi8-r"), key="articles/news.html")
    assert article.headline == "Новости дня"


# -- tags ---------------------------------------------------------------------------------


def test_tags_are_capped_in_number_and_length_keeping_the_first() -> None:
    tags = parse_tags([f"tag {i}" for i in range(1000)] + ["z" * 500], "front matter")
    assert tags == [f"tag {i}" for i in range(MAX_TAGS)]
    assert parse_tags(["a" * 500], "front matter") == ["a" * MAX_TAG_CHARS]


def test_fifty_thousand_tags_are_read_quickly() -> None:
    line = ", ".join(f"t{i}" for i in range(50_000))
    assert _elapsed(lambda: parse_tags(line, "Tags:")) < 0.5
    data = f"Tags: {line}\n\nHeadline\n\nThe story starts here and goes on.\n".encode()
    article = parse_article(data, key="articles/tags.txt")
    assert len(article.tags) == MAX_TAGS


def test_many_keywords_in_a_page_are_capped() -> None:
    keywords = ", ".join(f"k{i}" for i in range(5000))
    data = (
        f'<html><head><meta name="keywords" content="{keywords}"></head><body>'
        "<h1>Budget passes</h1><p>The council passed the budget on Monday evening.</p>"
        "</body></html>"
    ).encode()
    assert len(parse_article(data, key="articles/k.html").tags) == MAX_TAGS


# -- work that must not grow with the square of the input --------------------------------


def _paragraphs(count: int, *, edit_every: int = 0) -> str:
    out = []
    for i in range(count):
        word = "changed" if edit_every and i % edit_every == 0 else "original"
        out.append(f"Paragraph {i} says the {word} thing about the council and its budget.")
    return "\n\n".join(out)


def test_a_diff_of_long_bodies_with_scattered_changes_is_near_linear() -> None:
    before, after = _paragraphs(6000), _paragraphs(6000, edit_every=7)
    assert _elapsed(lambda: changed_word_count(before, after)) < 1.0
    assert changed_word_count(before, after) == len(range(0, 6000, 7))


def test_a_diff_of_unrelated_repetitive_bodies_is_bounded() -> None:
    before = " ".join(["the council"] * 40_000)
    after = " ".join(["council the budget"] * 30_000)
    assert _elapsed(lambda: changed_word_count(before, after)) < 1.0
    assert changed_word_count(before, after) >= 5


def test_reordered_paragraphs_are_diffed_in_bounded_time() -> None:
    paragraphs = [f"p{i} alpha beta" for i in range(20_000)]
    shuffled = paragraphs[1::2] + paragraphs[0::2]
    before, after = "\n\n".join(paragraphs), "\n\n".join(shuffled)
    assert _elapsed(lambda: changed_word_count(before, after)) < 1.0


@pytest.mark.parametrize(
    "text",
    [
        "**a " * 20_000,
        "__a " * 20_000,
        "*a " * 20_000,
        "_a " * 20_000,
        "~~a " * 20_000,
        "[" * 60_000,
        "[a](" * 20_000,
        "![a](" * 20_000,
        "`" * 60_000,
        "``a `" * 15_000,
        "<http:a" * 10_000,
    ],
)
def test_inline_markdown_is_stripped_in_linear_time(text: str) -> None:
    assert _elapsed(lambda: strip_inline(text)) < 0.5


@pytest.mark.parametrize(
    "body",
    [
        "<!--" * 30_000,
        "# " + " " * 60_000 + "x",
        ">" * 100_000 + " quote",
    ],
)
def test_markdown_blocks_are_read_in_linear_time(body: str) -> None:
    data = f"# Headline\n\nThe story.\n\n{body}\n".encode()
    assert _elapsed(lambda: parse_article(data, key="articles/m.md")) < 1.0


def test_the_story_root_is_scored_in_linear_time() -> None:
    from selectolax.lexbor import LexborHTMLParser

    from stoppress.articles import htmlpage

    nested = "<div>" * 300 + "<p>Story text here.</p>" * 3000 + "</div>" * 300
    page = f"<html><body><article>{nested}</article><article>{nested}</article></body></html>"
    tree = LexborHTMLParser(page)
    assert _elapsed(lambda: htmlpage._story_root(tree)) < 1.0
    root = htmlpage._story_root(tree)
    assert root is not None
    assert _elapsed(lambda: htmlpage._fallback_blocks(root)) < 1.0


def test_helpers_show_values_briefly() -> None:
    assert draft.shown("x" * 1000).endswith("…'")
    assert len(draft.shown("x" * 1000)) < 80
    assert draft.shown([[1] * 10] * 10) == "a list"
    assert draft.shown({"a": 1}) == "a mapping"
    assert draft.shown("high!") == "'high!'"


def test_deeply_nested_pages_are_refused_before_parsing() -> None:
    page = "<html><body><h1>T</h1>" + "<article>" * 20_000 + "<p>Story text.</p></body></html>"
    started = time.perf_counter()
    reason = _reason(page.encode(), "articles/deep.html")
    assert time.perf_counter() - started < 1.0
    assert "nests elements" in reason


def test_a_text_file_of_endless_paragraphs_is_refused() -> None:
    data = ("Headline\n\n" + "p alpha beta\n\n" * 20_000).encode()
    started = time.perf_counter()
    assert "paragraphs" in _reason(data, "articles/dump.txt")
    assert time.perf_counter() - started < 1.0


def test_a_markdown_list_of_endless_items_is_refused() -> None:
    data = ("# Headline\n\n" + "- item\n" * 20_000).encode()
    assert "paragraphs" in _reason(data, "articles/dump.md")
