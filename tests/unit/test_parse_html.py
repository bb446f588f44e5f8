"""HTML pages as a CMS exports them."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from stoppress.articles.model import Audience
from stoppress.articles.parse import parse_article
from stoppress.core.errors import ArticleParseError
from stoppress.webpush.headers import Urgency

SAMPLES = Path(__file__).resolve().parents[2] / "samplecontent"


def page(head: str = "", body: str = "") -> bytes:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>".encode()


def test_wildfire_sample_keeps_the_story_and_drops_the_chrome() -> None:
    data = (SAMPLES / "wildfire-evacuations.html").read_bytes()

    article = parse_article(data, key="articles/wildfire-evacuations.html")

    assert article.source_format == "html"
    assert article.headline == "Wildfire forces evacuations near Paso Robles as winds pick up"
    assert article.dateline == "PASO ROBLES, Calif."
    assert article.published_at == datetime(2026, 8, 14, 22, 20, tzinfo=UTC)
    assert article.updated_at == datetime(2026, 8, 15, 2, 45, tzinfo=UTC)
    assert article.tags == ("wildfire", "San Luis Obispo County")
    assert article.overrides.urgency is Urgency.HIGH
    assert article.overrides.notify is None
    assert len(article.paragraphs) == 5
    assert article.paragraphs[0].startswith("A fast-moving wildfire east of Paso Robles forced")
    assert article.paragraphs[2].startswith("“The wind is the whole story tonight,” said Cal Fire")
    assert article.paragraphs[-1].endswith("before Saturday morning.")
    for chrome in (
        "Subscribe for $1",
        "Tracking pixel",
        "Fire season outlook",
        "Advertisement",
        "breaking news alerts",
        "Marisol Vega",
        "Smoke rises",
        "All rights reserved",
        "Council delays vote",
        "gtag",
    ):
        assert chrome not in article.body
    assert article.summary == (
        "A fast-moving wildfire east of Paso Robles forced the evacuation of about 1,200 homes "
        "on Friday as afternoon winds pushed flames across Highway 46 and toward the vineyards "
        "along Union Road, fire…"
    )


def test_headline_falls_back_from_h1_to_og_title_to_title() -> None:
    body = "<article><p>The story.</p></article>"
    og = '<meta property="og:title" content="From og:title"><title>From title | Courier</title>'

    with_h1 = page(og, "<article><h1>From <em>h1</em></h1><p>The story.</p></article>")
    assert parse_article(with_h1, key="a.html").headline == "From h1"
    assert parse_article(page(og, body), key="a.html").headline == "From og:title"
    titled = page("<title>From title | The Courier</title>", body)
    assert parse_article(titled, key="a.html").headline == "From title"
    # A site logo in an <h1> loses to the article's own headline.
    logo = page(
        "", "<header><h1>The Courier</h1></header><article><h1>Real</h1><p>The story.</p></article>"
    )
    assert parse_article(logo, key="a.html").headline == "Real"


def test_dates_from_meta_tags_and_first_time_element() -> None:
    meta = (
        '<meta property="article:published_time" content="2026-05-01T08:00:00Z">'
        '<meta property="article:modified_time" content="2026-05-01T09:15:00+01:00">'
    )
    article = parse_article(page(meta, "<h1>H</h1><p>Body.</p>"), key="a.html")
    assert article.published_at == datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    assert article.updated_at == datetime(2026, 5, 1, 8, 15, tzinfo=UTC)

    timed = page(
        "", '<article><h1>H</h1><time datetime="2026-05-02">May 2</time><p>B.</p></article>'
    )
    article = parse_article(timed, key="a.html")
    assert article.published_at == datetime(2026, 5, 2, tzinfo=UTC)
    assert article.updated_at == article.published_at  # nothing newer stated

    garbled = page("", '<article><h1>H</h1><time datetime="soon">soon</time><p>B.</p></article>')
    assert parse_article(garbled, key="a.html").published_at is None


def test_overrides_from_meta_and_dateline_element() -> None:
    head = '<meta name="stoppress:notify" content="none"><meta name="keywords" content="a, b">'
    body = '<article><h1>H</h1><p><span class="dateline">OSLO</span> The lead.</p></article>'
    article = parse_article(page(head, body), key="a.html")
    assert article.overrides.notify is Audience.NONE
    assert article.dateline == "OSLO"
    assert article.paragraphs == ("The lead.",)
    assert article.tags == ("a", "b")


def test_line_breaks_separate_words_and_entities_decode() -> None:
    body = "<article><h1>Fish &amp; chips</h1><p>One line<br>next&nbsp;line</p></article>"
    article = parse_article(page("", body), key="a.html")
    assert article.headline == "Fish & chips"
    assert article.paragraphs == ("One line next line",)


def test_the_article_with_most_text_is_the_story() -> None:
    body = (
        "<article class='teaser'><h2>Other</h2><p>Short teaser.</p></article>"
        "<article><h1>Main story</h1><p>A much longer first paragraph of the story.</p>"
        "<p>And a second one.</p></article>"
    )
    article = parse_article(page("", body), key="a.html")
    assert article.headline == "Main story"
    assert article.paragraphs == (
        "A much longer first paragraph of the story.",
        "And a second one.",
    )


def test_html_is_sniffed_when_the_key_has_no_known_extension() -> None:
    data = page("", "<article><h1>Sniffed</h1><p>Body.</p></article>")
    article = parse_article(data, key="articles/sniffed")
    assert article.source_format == "html"
    assert article.headline == "Sniffed"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (page("", "<article><p>No headline anywhere.</p></article>"), "no <h1>, og:title"),
        (page("<title>T</title>", "<nav><p>Only menu</p></nav>"), "no story text"),
        (page("<title>T</title>", "<script>var s = '<p>x</p>';</script>"), "no story text"),
    ],
)
def test_pages_that_are_not_articles_say_why(data: bytes, reason: str) -> None:
    with pytest.raises(ArticleParseError, match=reason):
        parse_article(data, key="articles/page.html")


STORY = "".join(
    f"<p>Paragraph {n} of the story tells readers what the council decided on the budget.</p>"
    for n in range(1, 7)
)


def test_a_body_paragraph_the_description_repeats_stays_where_it_is() -> None:
    second = "Paragraph 2 of the story tells readers what the council decided on the budget."
    head = f'<meta name="description" content="{second}">'
    article = parse_article(
        page(head, f"<article><h1>Budget passes</h1>{STORY}</article>"), key="a.html"
    )

    assert article.paragraphs[0].startswith("Paragraph 1")
    assert article.summary.startswith("Paragraph 1")


def test_a_marked_standfirst_is_the_lead() -> None:
    dek = "Councillors approved the spending plan after a night of talks with the unions."
    body = f"<article><h1>Budget passes</h1>{STORY}<p class='standfirst'>{dek}</p></article>"

    article = parse_article(page("", body), key="a.html")

    assert article.summary == dek


def test_a_run_of_other_stories_teasers_ends_the_story() -> None:
    teasers = "".join(
        f"<div class='story-block'><h4>Opinion <a href='/o{n}'>Another columnist on topic {n}"
        f"</a></h4><p>A teaser line for the other column number {n}, with some words.</p></div>"
        for n in range(3)
    )
    body = f"<div><h1>Budget passes</h1>{STORY}</div><div class='group'>{teasers}</div>"

    article = parse_article(page("", body), key="a.html")

    assert not any("teaser line" in p or "columnist" in p for p in article.paragraphs)
    assert article.paragraphs[-1].startswith("Paragraph 6")


def test_inline_code_stays_in_its_sentence() -> None:
    body = (
        "<article><h1>Bug found</h1><p>The root of the object, <code>rekt</code>, contains 300"
        " lists of lists that take the server down in seconds.</p>" + STORY + "</article>"
    )

    article = parse_article(page("", body), key="a.html")

    assert article.paragraphs[0] == (
        "The root of the object, rekt, contains 300 lists of lists that take the server down in"
        " seconds."
    )
