"""Markdown with YAML front matter."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from stoppress.articles.markdown import strip_inline
from stoppress.articles.model import Audience
from stoppress.articles.parse import parse_article
from stoppress.core.errors import ArticleParseError
from stoppress.webpush.headers import Urgency

SAMPLES = Path(__file__).resolve().parents[2] / "samplecontent"


def test_budget_sample_reads_front_matter_and_strips_markup() -> None:
    data = (SAMPLES / "city-council-budget.md").read_bytes()

    article = parse_article(data, key="articles/city-council-budget.md")

    assert article.id == "city-council-budget"
    assert article.source_format == "markdown"
    assert article.headline == "City Council Passes $412 Million Budget After Late-Night Vote"
    assert article.dateline == "SPRINGFIELD"
    assert article.updated_at == datetime(2026, 3, 4, 23, 40, tzinfo=UTC)
    assert article.published_at == datetime(2026, 3, 4, 18, 5, tzinfo=UTC)
    assert article.overrides.notify is Audience.FOLLOWERS
    assert article.overrides.urgency is Urgency.HIGH
    assert article.tags == ("city hall", "budget", "transit")
    assert article.paragraphs[0] == (
        "The City Council approved a $412 million operating budget just before midnight "
        "Tuesday, ending a three-week standoff over bus service and library hours that had "
        "threatened to delay paychecks for city workers."
    )
    assert article.paragraphs[2].startswith('"Nobody got everything they wanted tonight')
    assert "What changes on July 1" in article.paragraphs  # subheading kept as text
    assert (
        "Branch libraries keep their Saturday hours; the downtown branch adds evening hours "
        "on Thursdays." in article.paragraphs
    )
    assert article.paragraphs[-1] == (
        "The budget takes effect July 1. The mayor is expected to sign it Thursday."
    )
    assert not any(mark in article.body for mark in ("**", "](", "<!--", "editor:", "> "))
    assert article.summary.startswith("The City Council approved a $412 million operating")
    assert article.summary.endswith("…")
    assert len(article.summary) <= 200


def test_heading_is_the_headline_without_front_matter_and_subheads_are_not_the_summary() -> None:
    data = (
        b"# Flood warning for the Severn\n\n"
        b"## Latest\n\n"
        b"WORCESTER -- The Environment Agency issued a *severe* flood warning on Sunday.\n"
    )

    article = parse_article(data, key="articles/severn.md")

    assert article.headline == "Flood warning for the Severn"
    assert article.paragraphs == (
        "Latest",
        "The Environment Agency issued a severe flood warning on Sunday.",
    )
    assert article.dateline == "WORCESTER"
    assert article.summary == "The Environment Agency issued a severe flood warning on Sunday."
    assert article.overrides.notify is None


def test_setext_heading_and_repeated_title_heading() -> None:
    setext = parse_article(b"Harbour reopens\n===============\n\nShips sail again.\n", key="a.md")
    assert setext.headline == "Harbour reopens"
    assert setext.paragraphs == ("Ships sail again.",)

    repeated = parse_article(
        b"---\ntitle: Harbour reopens\n---\n# Harbour reopens\n\nShips sail again.\n", key="a.md"
    )
    assert repeated.headline == "Harbour reopens"
    assert repeated.paragraphs == ("Ships sail again.",)


@pytest.mark.parametrize(
    ("front_matter", "notify", "urgency"),
    [
        ("notify: none", Audience.NONE, None),
        ("notify: no", Audience.NONE, None),  # YAML 1.1 reads this as false
        ("notify: ALL\nurgency: very low", Audience.ALL, Urgency.VERY_LOW),
        ("urgency: low", None, Urgency.LOW),
    ],
)
def test_front_matter_overrides(
    front_matter: str, notify: Audience | None, urgency: Urgency | None
) -> None:
    data = f"---\ntitle: T\n{front_matter}\n---\nBody.\n".encode()
    article = parse_article(data, key="articles/t.md")
    assert article.overrides.notify == notify
    assert article.overrides.urgency == urgency


def test_front_matter_dates_tags_and_headline_key() -> None:
    data = (
        b"---\nheadline: Ferry fares frozen\ndate: 2026-01-05\n"
        b"updated: 2026-01-06T09:30:00+02:00\ntags: ferries, fares\n---\nBody.\n"
    )
    article = parse_article(data, key="articles/fares.markdown")
    assert article.headline == "Ferry fares frozen"
    assert article.published_at == datetime(2026, 1, 5, tzinfo=UTC)
    assert article.updated_at == datetime(2026, 1, 6, 7, 30, tzinfo=UTC)
    assert article.tags == ("ferries", "fares")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "**bold**, __strong__, *em*, _em_ and snake_case_name",
            "bold, strong, em, em and snake_case_name",
        ),
        ("[the report](https://example.org/r.pdf) ![chart](c.png)", "the report "),
        ("[ref link][1] and <https://example.org>", "ref link and https://example.org"),
        ("`git push` and ~~old~~ new", "git push and old new"),
        (r"\*not emphasis\* and 5 \* 3", "*not emphasis* and 5 * 3"),
        ("Fish &amp; chips <span class='x'>today</span>", "Fish & chips today"),
    ],
)
def test_inline_markup_is_stripped(text: str, expected: str) -> None:
    assert strip_inline(text) == expected


def test_lists_quotes_code_and_rules_become_paragraphs_of_text() -> None:
    data = (
        b"# Election night\n\n"
        b"1. Turnout was 61%.\n"
        b"2. Counting ends at 4 a.m.\n\n"
        b"> A quoted\n> statement.\n\n"
        b"---\n\n"
        b"```\nresults.csv\n```\n\n"
        b"[1]: https://example.org/results\n"
    )
    article = parse_article(data, key="articles/election.md")
    assert article.paragraphs == (
        "Turnout was 61%.",
        "Counting ends at 4 a.m.",
        "A quoted statement.",
        "results.csv",
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"Just a paragraph, no heading.\n", "no headline: add 'title:'"),
        (b"---\ntitle: Never closed\n\nBody\n", "no closing '---'"),
        (b"---\ntitle: [unclosed\n---\nBody\n", "not valid YAML at front matter line"),
        (b"---\n- a\n- list\n---\n# T\n\nBody\n", "must be 'key: value' lines"),
        (b"---\ntitle: T\nnotify: sometimes\n---\nBody\n", "notify must be one of"),
        (b"---\ntitle: T\nurgency: 11\n---\nBody\n", "urgency must be one of"),
        (b"---\ntitle: T\nupdated: 2026-02-30\n---\nBody\n", "front matter"),
        (b"---\ntitle: T\nupdated: last week\n---\nBody\n", "updated must be a date"),
        (b"---\ntitle: {a: 1}\n---\nBody\n", "title must be text"),
        (b"---\ntitle: T\ntags: {a: 1}\n---\nBody\n", "tags must be a list"),
        (b"---\ntitle: T\n---\n\n", "no story text"),
    ],
)
def test_bad_markdown_says_what_to_fix(data: bytes, reason: str) -> None:
    with pytest.raises(ArticleParseError, match=reason):
        parse_article(data, key="articles/bad.md")


def test_a_title_shaped_like_a_lead_is_trusted_in_front_matter() -> None:
    data = b"---\ntitle: PARIS -- The Louvre will close for a week.\n---\nIt reopens on the 9th.\n"
    article = parse_article(data, key="articles/louvre.md")
    assert article.headline == "PARIS -- The Louvre will close for a week."
    assert article.dateline is None
