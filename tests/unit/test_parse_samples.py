"""Every file in samplecontent/ is an article, and the NATO series reads as a story's versions."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from stoppress.articles.parse import parse_article

SAMPLES = Path(__file__).resolve().parents[2] / "samplecontent"
ARTICLE_FILES = sorted(
    p for p in SAMPLES.iterdir() if p.suffix in {".txt", ".md", ".html"} and p.name != "README.md"
)
NATO_KEY = "articles/nato-resumes-contacts.txt"


def nato(suffix: str = ""):
    return parse_article(
        (SAMPLES / f"nato-resumes-contacts{suffix}.txt").read_bytes(), key=NATO_KEY
    )


def test_samples_cover_every_format() -> None:
    assert {p.suffix for p in ARTICLE_FILES} == {".txt", ".md", ".html"}
    assert len(ARTICLE_FILES) >= 6


@pytest.mark.parametrize("path", ARTICLE_FILES, ids=lambda p: p.name)
def test_every_sample_parses_with_a_dateline_and_a_short_summary(path: Path) -> None:
    article = parse_article(path.read_bytes(), key=f"articles/{path.name}")
    assert article.headline
    assert article.dateline
    assert article.updated_at is not None
    assert 40 <= len(article.summary) <= 200
    assert len(article.paragraphs) >= 5
    assert not article.summary.startswith(article.dateline)


def test_update_has_a_new_headline_date_and_lead() -> None:
    original, update = nato(), nato("-update")
    assert update.id == original.id == "nato-resumes-contacts"
    assert update.headline == (
        "NATO, Russia Set Munich Date for First Top-Level Talks Since Georgia War"
    )
    assert update.headline != original.headline
    assert update.updated_at == datetime(2016, 7, 28, tzinfo=UTC)
    assert update.summary.startswith("NATO Secretary-General Jaap de Hoop Scheffer will meet")
    new_paragraphs = set(update.paragraphs) - set(original.paragraphs)
    assert len(new_paragraphs) >= 4
    assert update.content_hash != original.content_hash


def test_correction_differs_from_the_update_by_one_word() -> None:
    update, correction = nato("-update"), nato("-correction")
    assert correction.headline == update.headline
    assert correction.content_hash != update.content_hash
    changed = [
        (a, b) for a, b in zip(update.paragraphs, correction.paragraphs, strict=True) if a != b
    ]
    assert len(changed) == 1
    before, after = changed[0]
    assert set(before.split()) ^ set(after.split()) == {"announcment.", "announcement."}
