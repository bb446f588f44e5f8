"""Real-world page structures in, the story out: each corpus page against its reference.

``tests/corpus`` holds pages modelled on what CMSs serve and what browsers save
(``benchmarks/extract_corpus.py`` describes the references). Each check is
one parametrised test, so a failure names the page and what went wrong:

- the page is read as an article, not rejected;
- the headline is the story's own;
- the summary (the notification body) is the story's lead, whole or cut;
- the dateline is the place the story is filed from, or none;
- the body matches the reference: token-shingle F1 of at least ``MIN_BODY_F1``
  (``benchmarks/extract_scoring.py``).
"""

import functools
from collections import Counter

import pytest

from benchmarks.extract_corpus import CorpusPage, load_corpus
from benchmarks.extract_scoring import body_score, fold, summary_is_lead
from stoppress.articles.model import Article
from stoppress.articles.parse import parse_article
from stoppress.core.errors import ArticleParseError

MIN_BODY_F1 = 0.9

PAGES = load_corpus()
BY_NAME = {page.name: page for page in PAGES}


def _name(page: CorpusPage) -> str:
    return page.name


@functools.cache
def _read(name: str) -> Article | ArticleParseError:
    """The page parsed once per test session; a rejection is returned, not raised."""
    page = BY_NAME[name]
    try:
        return parse_article(page.source, key=page.key)
    except ArticleParseError as e:
        return e


def _article(page: CorpusPage) -> Article:
    result = _read(page.name)
    if isinstance(result, ArticleParseError):
        pytest.fail(f"{page.name} was rejected: {result.reason}")
    return result


def test_corpus_covers_the_kinds_of_pages_it_models() -> None:
    suffixes = Counter(page.path.suffix for page in PAGES)
    assert suffixes[".html"] >= 40
    assert suffixes[".txt"] >= 6
    languages = {page.language for page in PAGES}
    assert {"en", "de", "fr", "es", "pt", "it", "ja", "zh", "ar", "ru"} <= languages


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_reference_is_well_formed(page: CorpusPage) -> None:
    text = page.source.decode("utf-8")
    assert page.headline.strip()
    assert page.body
    assert all(line.strip() for line in page.body)
    assert page.lead in page.body or page.lead in page.lead_alternatives
    for edit in (page.chrome_edit, page.story_edit):
        assert text.count(edit.find) == 1, f"{edit.find[:60]!r} must occur exactly once"
    assert page.story_edit.replace.startswith(page.story_edit.find)


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_page_is_not_rejected(page: CorpusPage) -> None:
    result = _read(page.name)
    assert not isinstance(result, ArticleParseError), f"rejected: {result.reason}"


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_headline_is_the_storys(page: CorpusPage) -> None:
    article = _article(page)
    assert fold(article.headline) == fold(page.headline)


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_summary_is_the_lead(page: CorpusPage) -> None:
    article = _article(page)
    others = len(page.lead_alternatives)
    assert summary_is_lead(article.summary, page.leads), (
        f"summary {article.summary!r} is not the lead {page.lead[:120]!r}"
        + (f" or one of {others} alternatives" if others else "")
    )


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_dateline_is_the_place(page: CorpusPage) -> None:
    article = _article(page)
    assert article.dateline == page.dateline


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_body_matches_the_reference(page: CorpusPage) -> None:
    article = _article(page)
    score = body_score(article.body, page.reference_body)
    extra = [p for p in article.paragraphs if body_score(p, page.reference_body).precision < 0.5]
    missing = [line for line in page.body if body_score(line, article.body).precision < 0.5]
    assert score.f1 >= MIN_BODY_F1, (
        f"F1 {score.f1:.3f} (precision {score.precision:.3f}, recall {score.recall:.3f}); "
        f"not in the reference: {[p[:60] for p in extra[:4]]}; "
        f"missing: {[line[:60] for line in missing[:4]]}"
    )
