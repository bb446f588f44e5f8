"""Judging a change: who hears about a new version, and how urgently.

The rules (docs/design.md, "Versioning"):

- the first version of an article is news for everyone: ``new`` / ``all``;
- a changed headline, or a substantial body change, is an ``update`` for the
  story's followers;
- anything smaller is a ``correction`` that is stored but announced to nobody;
- an editor's ``notify:`` override decides the audience whatever the change,
  and ``urgency:`` the push urgency (``normal`` otherwise).

"Substantial" in one sentence: a body change is substantial when a word-level
diff of the two normalised, case-folded bodies inserts, deletes or replaces at
least ``SUBSTANTIAL_WORDS`` words (a replaced run counts as the longer of its
two sides). Punctuation and whitespace are not words, so fixing a comma or a
line break is never more than a correction.
"""

import difflib
import re
from dataclasses import dataclass
from typing import Final

from stoppress.articles.model import Article, Audience, ChangeKind
from stoppress.articles.normalise import normalise_text
from stoppress.webpush.headers import Urgency

# A typo fix touches one to three words; a real development in a story (a new
# quote, a new figure with its context, a new sentence) touches more.
SUBSTANTIAL_WORDS: Final = 5

# Scripts written without spaces (Chinese, Japanese): each character counts as
# a word, so a new sentence there is as substantial as one in English, and a one-
# character fix stays a correction.
_UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(rf"[{_UNSPACED}]|[^\W{_UNSPACED}]+")


@dataclass(frozen=True)
class ChangeDecision:
    """What a new version is, who hears about it, and why (for logs)."""

    change: ChangeKind
    audience: Audience
    urgency: Urgency
    headline_changed: bool
    changed_words: int | None


def words(text: str) -> list[str]:
    """The words of ``text`` as change detection sees them: normalised and case-folded."""
    return _WORD.findall(normalise_text(text).casefold())


def changed_word_count(before: str, after: str) -> int:
    """How many words a word-level diff inserts, deletes or replaces between two texts."""
    old, new = words(before), words(after)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    return sum(
        max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    )


def classify_change(
    article: Article,
    *,
    previous_headline: str | None,
    previous_body: str | None,
) -> ChangeDecision:
    """Judge ``article`` against the latest stored version.

    ``previous_headline`` is None for a new article. ``previous_body`` is None
    when the previous body cannot be read back; the change then counts as
    substantial, since announcing a correction is a smaller harm than missing
    an update.
    """
    urgency = article.overrides.urgency or Urgency.NORMAL
    if previous_headline is None:
        return ChangeDecision(
            change=ChangeKind.NEW,
            audience=article.overrides.notify or Audience.ALL,
            urgency=urgency,
            headline_changed=True,
            changed_words=None,
        )

    headline_changed = words(previous_headline) != words(article.headline)
    changed = None if previous_body is None else changed_word_count(previous_body, article.body)
    substantial = changed is None or changed >= SUBSTANTIAL_WORDS
    if headline_changed or substantial:
        change, audience = ChangeKind.UPDATE, Audience.FOLLOWERS
    else:
        change, audience = ChangeKind.CORRECTION, Audience.NONE
    return ChangeDecision(
        change=change,
        audience=article.overrides.notify or audience,
        urgency=urgency,
        headline_changed=headline_changed,
        changed_words=changed,
    )
