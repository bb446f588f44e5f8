"""An editor's embargo in each format: a date and time with its offset, or the file is refused.

Whether an embargo is too far ahead, or already past, needs the clock: ingest
judges that (``tests/integration/test_embargo_ingest.py``).
"""

from datetime import UTC, datetime

import pytest

from stoppress.articles.draft import EMBARGO_FORM, parse_embargo
from stoppress.articles.model import Article
from stoppress.articles.parse import parse_article
from stoppress.core.errors import ArticleParseError

LEAD = (
    "SPRINGFIELD — The council passed the budget late on Tuesday after a debate that ran "
    "for more than six hours."
)
NINE_IN_PARIS = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def text_file(value: str) -> Article:
    data = f"Embargo: {value}\nCouncil passes the budget\n\n{LEAD}\n"
    return parse_article(data.encode(), key="articles/budget.txt")


def markdown_file(value: str, key: str = "embargo") -> Article:
    data = f"---\ntitle: Council passes the budget\n{key}: {value}\n---\n\n{LEAD}\n"
    return parse_article(data.encode(), key="articles/budget.md")


def html_file(value: str) -> Article:
    data = (
        f'<html><head><meta name="stoppress:embargo" content="{value}"></head><body>'
        f"<article><h1>Council passes the budget</h1><p>{LEAD}</p></article></body></html>"
    )
    return parse_article(data.encode(), key="articles/budget.html")


FORMATS = {"text": text_file, "markdown": markdown_file, "html": html_file}
FORMAT_IDS = list(FORMATS)


@pytest.mark.parametrize("fmt", FORMAT_IDS)
@pytest.mark.parametrize(
    "value",
    [
        "2026-12-01T09:00:00+01:00",
        "2026-12-01T08:00:00Z",
        "2026-12-01T08:00Z",
        "2026-12-01T03:00:00.000-05:00",
        "2026-12-01 08:00:00+00:00",
    ],
)
def test_a_date_and_time_with_its_offset_is_read_in_utc(fmt: str, value: str) -> None:
    article = FORMATS[fmt](value)
    assert article.overrides.embargo == NINE_IN_PARIS
    assert article.overrides.embargo.tzinfo is UTC


@pytest.mark.parametrize("fmt", FORMAT_IDS)
@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("2026-12-01T09:00:00", "has no time zone"),
        ("2026-12-01 09:00", "has no time zone"),
        ("2026-12-01", "is a date without a time"),
        ("next Tuesday", "is not a date and time"),
        ("01/12/2026 09:00 CET", "is not a date and time"),
        ("2026-12-01T09:00:00 CET", "is not a date and time"),
        ("2026-13-01T09:00:00Z", "is not a real date and time"),
        ("2026-12-01T09:00:00+24:00", "is not a real date and time"),
        ("9999-12-31T23:00:00-05:00", "is not a real date and time"),
    ],
)
def test_anything_else_is_refused_with_the_accepted_form(
    fmt: str, value: str, problem: str
) -> None:
    with pytest.raises(ArticleParseError) as caught:
        FORMATS[fmt](value)
    if fmt == "markdown" and caught.value.reason.startswith("the front matter has a value YAML"):
        # YAML builds an unquoted timestamp itself, and refuses an impossible one first.
        assert problem == "is not a real date and time"
        return
    assert problem in caught.value.reason
    assert EMBARGO_FORM in caught.value.reason


def test_each_format_names_where_the_bad_value_was() -> None:
    for fmt, where in (
        ("text", "line 1 (Embargo:)"),
        ("markdown", "front matter (embargo)"),
        ("html", "<meta name=stoppress:embargo>"),
    ):
        with pytest.raises(ArticleParseError, match="soon") as caught:
            FORMATS[fmt]("soon")
        assert caught.value.reason.startswith(where)


def test_front_matter_takes_publish_at_too() -> None:
    assert (
        markdown_file("2026-12-01T08:00:00Z", key="publish_at").overrides.embargo == NINE_IN_PARIS
    )
    assert markdown_file('"2026-12-01T08:00:00Z"', key="publish_at").overrides.embargo == (
        NINE_IN_PARIS
    )
    with pytest.raises(ArticleParseError, match=r"front matter \(publish_at\).*no time zone"):
        markdown_file("2026-12-01T09:00:00", key="publish_at")


def test_front_matter_values_yaml_reads_as_other_things() -> None:
    # YAML makes an unquoted date a date, a bare word a boolean, a number a number.
    for value in ("2026-12-01", "yes", "20261201", "[2026-12-01T08:00:00Z]"):
        with pytest.raises(ArticleParseError, match="embargo"):
            markdown_file(value)
    assert markdown_file("null").overrides.embargo is None


def test_a_file_without_an_embargo_has_none() -> None:
    plain = parse_article(f"Council passes the budget\n\n{LEAD}\n".encode(), key="articles/b.txt")
    assert plain.overrides.embargo is None


def test_the_parser_on_its_own() -> None:
    assert parse_embargo(datetime(2026, 12, 1, 8, tzinfo=UTC), "x") == NINE_IN_PARIS
    with pytest.raises(ArticleParseError, match="has no time zone"):
        parse_embargo(datetime(2026, 12, 1, 8), "x")  # noqa: DTZ001 - YAML gives naive ones
    with pytest.raises(ArticleParseError, match="is not a date and time"):
        parse_embargo(None, "x")
    long = "2026-12-01T08:00:00Z" + "x" * 500
    with pytest.raises(ArticleParseError) as caught:
        parse_embargo(long, "x")
    assert len(caught.value.reason) < 300
