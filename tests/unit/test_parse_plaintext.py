"""Plain-text articles: the wire desk's format, header lines and the sample."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from stoppress.articles.model import Audience
from stoppress.articles.parse import parse_article
from stoppress.core.errors import ArticleParseError
from stoppress.webpush.headers import Urgency

SAMPLES = Path(__file__).resolve().parents[2] / "samplecontent"
NATO_KEY = "articles/nato-resumes-contacts.txt"


@pytest.fixture
def nato_bytes() -> bytes:
    return (SAMPLES / "nato-resumes-contacts.txt").read_bytes()


def test_sample_parses_to_its_headline_dateline_date_and_summary(nato_bytes: bytes) -> None:
    article = parse_article(nato_bytes, key=NATO_KEY)

    assert article.id == "nato-resumes-contacts"
    assert article.source_format == "text"
    assert article.headline == "NATO Will Resume Top-Level Contacts"
    assert article.dateline == "BRUSSELS"
    assert article.updated_at == datetime(2016, 7, 27, tzinfo=UTC)
    assert article.published_at is None
    assert len(article.paragraphs) == 13
    # The dateline lives in its own field; the lead keeps the story's words.
    assert article.paragraphs[0].startswith("NATO said Monday that it would resume")
    assert article.paragraphs[-1].endswith('conflict in the North Caucasus."')
    assert article.summary == (
        "NATO said Monday that it would resume within weeks top-level contacts with Russia "
        "frozen because of last year's Russia-Georgia war, while Russia said it saw no "
        "obstacle to restoring full ties as…"
    )
    assert len(article.summary) <= 200
    assert article.overrides.notify is None
    assert article.overrides.urgency is None
    # The banner and the date line are page furniture, not story text.
    assert not any("Get the latest updates" in p for p in article.paragraphs)
    assert not any("Last Updated" in p for p in article.paragraphs)


def test_header_lines_set_overrides_tags_and_dateline() -> None:
    data = (
        b"Notify: none\n"
        b"URGENCY: very low\n"
        b"Tags: transport, city hall , transport\n"
        b"Dateline: LEEDS\n"
        b"\n"
        b"Bus lanes return to Kirkgate\n"
        b"\n"
        b"The council reopened the bus lanes on Tuesday after six weeks of roadworks.\n"
    )

    article = parse_article(data, key="articles/bus-lanes.txt")

    assert article.headline == "Bus lanes return to Kirkgate"
    assert article.overrides.notify is Audience.NONE
    assert article.overrides.urgency is Urgency.VERY_LOW
    assert article.tags == ("transport", "city hall")
    assert article.dateline == "LEEDS"
    assert article.summary == (
        "The council reopened the bus lanes on Tuesday after six weeks of roadworks."
    )


def test_header_line_with_unknown_value_is_refused_with_the_line_number() -> None:
    data = b"Notify: everyone\nHeadline\n\nBody text here.\n"
    with pytest.raises(ArticleParseError, match=r"line 1 \(Notify:\): notify must be one of"):
        parse_article(data, key="articles/x.txt")


def test_header_like_lines_after_the_headline_are_story_text() -> None:
    data = b"Headline here\n\nNotify: the council says residents must act.\n"
    article = parse_article(data, key="articles/x.txt")
    assert article.overrides.notify is None
    assert article.paragraphs == ("Notify: the council says residents must act.",)


def test_wrapped_lines_join_text_under_the_headline_is_the_lead_and_end_marks_drop() -> None:
    data = (
        b"Storm closes ferry routes\n"
        b"ABERDEEN \xe2\x80\x94 Ferries to Orkney and Shetland were cancelled\n"
        b"on Friday as gusts reached 80 mph.\n"
        b"\n\n\n"
        b"Operators expect services to resume on Sunday.\n"
        b"\n###\n"
    )
    article = parse_article(data, key="articles/storm.txt")
    assert article.dateline == "ABERDEEN"
    assert article.paragraphs == (
        "Ferries to Orkney and Shetland were cancelled on Friday as gusts reached 80 mph.",
        "Operators expect services to resume on Sunday.",
    )


def test_a_byline_is_kept_but_the_summary_starts_at_the_lead() -> None:
    data = (
        b"Harbour reopens after storm\n\n"
        b"By Jane Doe and Ali Khan, Associated Press\n\n"
        b"DOVER -- The port reopened on Monday.\n"
    )
    article = parse_article(data, key="articles/x.txt")
    assert article.paragraphs == (
        "By Jane Doe and Ali Khan, Associated Press",
        "The port reopened on Monday.",
    )
    assert article.dateline == "DOVER"
    assert article.summary == "The port reopened on Monday."


def test_a_headline_in_capitals_with_a_dash_is_still_a_headline() -> None:
    data = "BREAKING — Storm closes all ferry routes\n\nABERDEEN — No ferries will sail.\n"
    article = parse_article(data.encode(), key="articles/x.txt")
    assert article.headline == "BREAKING — Storm closes all ferry routes"
    assert article.dateline == "ABERDEEN"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (". Last Updated: 07/27/2016", datetime(2016, 7, 27, tzinfo=UTC)),
        ("Last Updated: 1/5/2024 3:07 PM", datetime(2024, 1, 5, 15, 7, tzinfo=UTC)),
        ("Updated: 12/31/2023 12:30 a.m.", datetime(2023, 12, 31, 0, 30, tzinfo=UTC)),
    ],
)
def test_last_updated_line_variants(line: str, expected: datetime) -> None:
    data = f"{line}\nHeadline\n\nBody.\n".encode()
    assert parse_article(data, key="articles/x.txt").updated_at == expected


def test_impossible_last_updated_date_is_refused() -> None:
    with pytest.raises(ArticleParseError, match="not a real date"):
        parse_article(b". Last Updated: 13/45/2016\nHeadline\n\nBody.\n", key="articles/x.txt")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"  \n\n\t \n", "empty"),
        (b"Get the latest updates as we post them -- right on your browser\n", "no headline"),
        (b"Just a headline\n", "no story text"),
        (b"BRUSSELS -- NATO said Monday that it would resume contacts.\n", "dateline paragraph"),
        (("x" * 301 + "\n\nbody").encode(), "the headline is 301 characters"),
    ],
)
def test_files_that_cannot_be_articles_say_why(data: bytes, reason: str) -> None:
    with pytest.raises(ArticleParseError, match=reason):
        parse_article(data, key="articles/broken.txt")
