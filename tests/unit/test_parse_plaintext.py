"""Plain-text articles: the wire desk's format, header lines and the sample."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from stoppress.articles.model import Audience
from stoppress.articles.parse import parse_article
from stoppress.articles.plaintext import parse_plain_text
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


PAGE_SAVED_AS_TEXT = """\
Get the latest updates as we post them — right on your browser
Skip to main content
Sign in
Subscribe now

. Last Updated: 11/19/2024

Share this:
Facebook
Twitter
Copy link

NATO Will Resume Top-Level Contacts

By Jane Doe
Updated 5:30 PM
5 Min Read

NATO will resume top-level contacts

Photo: Reuters

BRUSSELS -- NATO said Monday that it would resume within weeks top-level
contacts with Russia frozen because of last year's Russia-Georgia war.

Read more: Russia says no obstacle to full ties

Advertisement

NATO spokesman James Appathurai said the alliance was looking to the future.
The contact could be between NATO Secretary-General Jaap de Hoop Scheffer and
Deputy Prime Minister Sergei Ivanov at a Munich conference on Feb. 6.
Sharing is caring!

Filed under: NATO, Russia, Georgia

Sign up for our newsletter
Get the latest news delivered to your inbox

© 2024 Example News. All rights reserved.
"""
STORY_PARAGRAPHS = [
    "BRUSSELS -- NATO said Monday that it would resume within weeks top-level contacts with "
    "Russia frozen because of last year's Russia-Georgia war.",
    "NATO spokesman James Appathurai said the alliance was looking to the future. The contact "
    "could be between NATO Secretary-General Jaap de Hoop Scheffer and Deputy Prime Minister "
    "Sergei Ivanov at a Munich conference on Feb. 6.",
]


def test_a_page_saved_as_text_keeps_the_story_and_drops_its_furniture() -> None:
    draft = parse_plain_text(PAGE_SAVED_AS_TEXT)

    assert draft.headline == "NATO Will Resume Top-Level Contacts"
    assert draft.updated_at == datetime(2024, 11, 19, tzinfo=UTC)
    # The byline is the story's (never its lead); its timestamp and reading time are not.
    assert draft.paragraphs == ["By Jane Doe", *STORY_PARAGRAPHS]

    article = parse_article(PAGE_SAVED_AS_TEXT.encode(), key=NATO_KEY)
    assert article.headline == "NATO Will Resume Top-Level Contacts"
    assert article.dateline == "BRUSSELS"
    assert article.summary.startswith("NATO said Monday that it would resume within weeks")


def test_editing_only_the_furniture_of_a_saved_page_keeps_the_content_hash() -> None:
    edited = (
        PAGE_SAVED_AS_TEXT.replace("Updated 5:30 PM", "Updated 9:05 PM")
        .replace("5 Min Read", "6 Min Read")
        .replace("Share this:", "Share this story:")
        .replace(
            "Read more: Russia says no obstacle to full ties", "Related: Kremlin welcomes move"
        )
        .replace("© 2024 Example News", "© 2025 Example News")
        .replace("Sharing is caring!", "Copy this link")
        + "\n34 comments\n"
    )
    before = parse_article(PAGE_SAVED_AS_TEXT.encode(), key=NATO_KEY)
    after = parse_article(edited.encode(), key=NATO_KEY)
    assert after.content_hash == before.content_hash
    assert after.paragraphs == before.paragraphs

    added = PAGE_SAVED_AS_TEXT.replace(
        "Filed under:", "Rogozin said he saw no obstacle to restoring full ties.\n\nFiled under:"
    )
    assert parse_article(added.encode(), key=NATO_KEY).content_hash != before.content_hash


def test_furniture_above_the_headline_never_becomes_the_headline() -> None:
    data = (
        "Sign in\nShare this:\n5 Min Read\nNov 19, 2024, 6:55 AM\nBy Jane Doe\n"
        "Advertisement\n© 2024 Example News\n\n"
        "Storm closes ferry routes\n\n"
        "ABERDEEN — Ferries to Orkney and Shetland were cancelled on Friday.\n"
    )
    draft = parse_plain_text(data)
    assert draft.headline == "Storm closes ferry routes"
    assert draft.paragraphs == [
        "ABERDEEN — Ferries to Orkney and Shetland were cancelled on Friday."
    ]


def test_a_file_of_nothing_but_furniture_has_no_headline() -> None:
    data = b"Sign in\nShare this:\n5 Min Read\nNov 19, 2024\n\nAdvertisement\n"
    with pytest.raises(ArticleParseError, match="no headline"):
        parse_article(data, key="articles/x.txt")


def test_a_hard_wrapped_sentence_is_never_cut_where_a_line_looks_like_furniture() -> None:
    data = (
        "Treaty ratified\n\n"
        "The treaty, which ministers signed in Paris after a decade of talks, was dated\n"
        "November 19, 2024\n"
        "and ratified a year later by all twelve parliaments.\n"
    )
    assert parse_plain_text(data).paragraphs == [
        "The treaty, which ministers signed in Paris after a decade of talks, was dated "
        "November 19, 2024 and ratified a year later by all twelve parliaments."
    ]


def test_furniture_lines_standing_alone_inside_a_paragraph_are_dropped() -> None:
    data = (
        "Harbour reopens after storm\n\n"
        "The port reopened on Monday after three days of gales.\n"
        "Advertisement\n"
        "Ferries will run a reduced timetable until Wednesday.\n"
        "Share on Facebook\n"
    )
    assert parse_plain_text(data).paragraphs == [
        "The port reopened on Monday after three days of gales.",
        "Ferries will run a reduced timetable until Wednesday.",
    ]


def test_a_byline_that_carries_a_timestamp_is_dropped() -> None:
    data = "Harbour reopens\n\nBy Jane Doe | Updated 5:30 PM\n\nThe port reopened on Monday.\n"
    assert parse_plain_text(data).paragraphs == ["The port reopened on Monday."]


def test_the_headline_is_found_below_the_site_name_menu_and_section_lines() -> None:
    data = (
        "Skip to content\n"
        "The Lakeshore Sentinel\n"
        "Home | News | Sports | Obituaries\n"
        "Politik  Wirtschaft  Panorama  Sport\n"
        "Log In\n"
        "\n"
        "Local News\n"
        "\n"
        "Home > News > City\n"
        "\n"
        "City to replace lead service lines by 2030\n"
        "\n"
        "By Renee Walters\n"
        "Published 9:14 AM CST, March 2, 2026\n"
        "\n"
        "The city will replace all of its remaining lead water service lines by 2030, "
        "Water Commissioner Tamara Hughes said Monday.\n"
    )
    draft = parse_plain_text(data)
    assert draft.headline == "City to replace lead service lines by 2030"
    assert draft.paragraphs == [
        "By Renee Walters",
        "The city will replace all of its remaining lead water service lines by 2030, "
        "Water Commissioner Tamara Hughes said Monday.",
    ]


def test_a_standfirst_under_the_headline_does_not_take_its_place() -> None:
    data = (
        "Section · Politics\n\n"
        "Council passes budget\n\n"
        "The vote ends a three-week standoff over bus routes\n\n"
        "The City Council approved a $412 million budget just before midnight on Tuesday.\n"
    )
    draft = parse_plain_text(data)
    assert draft.headline == "Council passes budget"
    assert draft.paragraphs[0] == "The vote ends a three-week standoff over bus routes"


def test_a_caption_between_headline_and_story_is_dropped() -> None:
    data = (
        "Snowstorm cancels hundreds of flights\n\n"
        "Snow piles up on cars near the airport on Thursday.\n"
        "Photo: David Zalubowski / AP\n"
        "Caption\n\n"
        "DENVER — A spring snowstorm dumped more than a foot of snow on the Denver area.\n"
    )
    draft = parse_plain_text(data)
    assert draft.headline == "Snowstorm cancels hundreds of flights"
    assert draft.paragraphs == [
        "DENVER — A spring snowstorm dumped more than a foot of snow on the Denver area."
    ]


@pytest.mark.parametrize(
    "listing",
    [
        "Recommended\nAvalanche danger high across the mountains\nRTD adds buses",
        "Mehr zum Thema\nHitzeschutz: Was Arbeitgeber jetzt tun müssen",
        "Les plus lus\nRéforme des retraites : ce qui change au 1er avril",
        "Share this:\nFacebook\nX\nCopy link",
        "Log In\nUsername or Email Address\nPassword\nKeep Me Logged In\nLost your password?",
        "Terms of Service | Privacy Policy",
        "Impressum  Datenschutz  Kontakt",
    ],
)
def test_link_lists_login_forms_and_footer_menus_after_the_story_are_dropped(
    listing: str,
) -> None:
    story = "The port reopened on Monday after three days of gales."
    data = f"Harbour reopens\n\n{story}\n\n{listing}\n"
    assert parse_plain_text(data).paragraphs == [story]
