"""The shared rules: normalisation and hashing, datelines, summaries, format detection."""

import subprocess
import sys

import pytest

from stoppress.articles.lead import SUMMARY_MAX_CHARS, is_byline, split_dateline, summarise
from stoppress.articles.normalise import content_hash, normalise_text
from stoppress.articles.parse import detect_format, parse_article


def test_normalise_text_folds_unicode_forms_invisible_characters_and_whitespace() -> None:
    assert normalise_text("  Cafe\u0301\u00a0\u200bopens\r\n\tlate \ufeff ") == "Café opens late"
    assert normalise_text("\n \t") == ""


def test_content_hash_ignores_whitespace_and_reflowing_but_not_words() -> None:
    base = content_hash("Headline", "PARIS", ["One two.", "Three four."])
    assert base == content_hash(" Headline ", "PARIS", ["One  two.\n", "Three\tfour."])
    assert base == content_hash("Headline", "PARIS", ["One two. Three four."])
    assert base != content_hash("Headline", "PARIS", ["One two.", "Three five."])
    assert base != content_hash("Headline", "LYON", ["One two.", "Three four."])
    assert base != content_hash("Headline PARIS", None, ["One two.", "Three four."])
    assert len(base) == 64


@pytest.mark.parametrize(
    ("lead", "dateline", "rest"),
    [
        ("BRUSSELS -- NATO said Monday.", "BRUSSELS", "NATO said Monday."),
        ("NEW YORK (AP) — Stocks rose.", "NEW YORK", "Stocks rose."),
        ("SPRINGFIELD, Ill. – The council met.", "SPRINGFIELD, Ill.", "The council met."),
        ("SÃO PAULO — Rain fell.", "SÃO PAULO", "Rain fell."),
        ("КИЕВ — Снег.", "КИЕВ", "Снег."),
        ("Officials said -- again -- no.", None, "Officials said -- again -- no."),
        ("NATO-led forces moved in.", None, "NATO-led forces moved in."),
        ("Paris — The city said.", None, "Paris — The city said."),
    ],
)
def test_split_dateline(lead: str, dateline: str | None, rest: str) -> None:
    assert split_dateline(lead) == (dateline, rest)


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("By Jane Doe", True),
        ("BY MARISOL VEGA, Staff Writer", True),
        ("By noon, the river had crested.", False),
        ("By the time firefighters arrived the roof had collapsed and " + "x " * 10, False),
        ("Bystanders watched", False),
    ],
)
def test_is_byline(paragraph: str, expected: bool) -> None:
    assert is_byline(paragraph) is expected


def test_summary_cuts_on_a_word_boundary_with_an_ellipsis() -> None:
    lead = "The council voted " + "again and " * 40 + "adjourned."
    summary = summarise(lead)
    assert len(summary) <= SUMMARY_MAX_CHARS
    assert summary.endswith("again…") or summary.endswith("and…")
    assert lead.startswith(summary[:-1])
    assert summarise("Short lead.") == "Short lead."
    assert summarise("x" * 500) == "x" * (SUMMARY_MAX_CHARS - 1) + "…"


@pytest.mark.parametrize(
    ("key", "text", "expected"),
    [
        ("articles/a.txt", "<html><h1>x</h1>", "text"),  # the extension wins
        ("articles/a.TEXT", "x", "text"),
        ("articles/a.md", "x", "markdown"),
        ("articles/a.Markdown", "x", "markdown"),
        ("articles/a.htm", "x", "html"),
        ("articles/a", "  <!doctype html><p>x", "html"),
        ("articles/a", "<div><h1>x</h1></div>", "html"),
        ("articles/a.doc", "---\ntitle: x\n---\n", "markdown"),
        ("articles/a", "# Heading\n\nBody", "markdown"),
        ("articles/a", "Headline\n\nBody", "text"),
    ],
)
def test_detect_format(key: str, text: str, expected: str) -> None:
    assert detect_format(key, text) == expected


def test_sniffed_markdown_parses_as_markdown() -> None:
    article = parse_article(b"# Sniffed\n\nBody **text**.\n", key="articles/upload")
    assert article.source_format == "markdown"
    assert article.paragraphs == ("Body text.",)


def test_a_key_with_no_usable_id_is_a_parse_error() -> None:
    from stoppress.core.errors import ArticleParseError

    with pytest.raises(ArticleParseError, match="rename the file"):
        parse_article(b"Headline\n\nBody", key="articles/___.txt")


def test_plain_text_parsing_does_not_import_yaml_or_selectolax() -> None:
    code = (
        "import sys\n"
        "from stoppress.articles.parse import parse_article\n"
        "parse_article(b'Headline\\n\\nBody.', key='articles/a.txt')\n"
        "print(sorted(m for m in ('yaml', 'selectolax') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    )
    assert result.stdout.strip() == "[]"
