"""Editing a corpus page's chrome never notifies; adding a paragraph to its story does.

For each page in ``tests/corpus`` (see ``benchmarks/extract_corpus.py``), the
reference gives two edits of the source file:

- ``chrome_edit`` changes page chrome only (navigation, footer, related or
  most-read lists, a script, a header timestamp, a comment). The result must
  hash the same as the original, or be judged a silent correction (audience
  ``none``) against it;
- ``story_edit`` adds one paragraph to the story, which must be an update for
  the story's followers.
"""

import pytest

from benchmarks.extract_corpus import CorpusPage, Edit, load_corpus
from stoppress.articles.changes import classify_change
from stoppress.articles.model import Article, Audience
from stoppress.articles.parse import parse_article
from stoppress.core.errors import ArticleParseError

PAGES = load_corpus()


def _name(page: CorpusPage) -> str:
    return page.name


def _parse(page: CorpusPage, edit: Edit | None = None) -> Article:
    data = page.source if edit is None else edit.apply(page.source)
    try:
        return parse_article(data, key=page.key)
    except ArticleParseError as e:
        what = "the page" if edit is None else "the edited page"
        pytest.fail(f"{what} was rejected: {e.reason}")


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_chrome_edit_makes_no_notifying_version(page: CorpusPage) -> None:
    before = _parse(page)
    after = _parse(page, page.chrome_edit)
    if after.content_hash == before.content_hash:
        return
    decision = classify_change(after, previous_headline=before.headline, previous_body=before.body)
    assert decision.audience is Audience.NONE, (
        f"a chrome edit notified {decision.audience.value}: headline changed "
        f"{decision.headline_changed} ({before.headline!r} -> {after.headline!r}), "
        f"{decision.changed_words} body words changed"
    )


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_story_edit_notifies_followers(page: CorpusPage) -> None:
    before = _parse(page)
    after = _parse(page, page.story_edit)
    decision = classify_change(after, previous_headline=before.headline, previous_body=before.body)
    assert decision.audience is Audience.FOLLOWERS, (
        f"an added paragraph reached {decision.audience.value}: "
        f"{decision.changed_words} body words changed"
    )
