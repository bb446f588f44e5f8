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

import bisect
import difflib
import re
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from stoppress.articles.model import Article, Audience, ChangeKind
from stoppress.articles.normalise import normalise_text
from stoppress.webpush.headers import Urgency

# A typo fix touches one to three words; a real development in a story (a new
# quote, a new figure with its context, a new sentence) touches more.
SUBSTANTIAL_WORDS: Final = 5

_P = TypeVar("_P", bound=Hashable)

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
    """How many words a word-level diff inserts, deletes or replaces between two texts.

    Paragraphs (``\\n\\n``-separated) are aligned first, cheaply and in near-
    linear time: equal paragraphs at either end, then paragraphs that occur
    once on each side, kept in order (the longest increasing run of them, as
    in patience diff). Only the stretches between aligned paragraphs are
    word-diffed. A stretch too long to diff exactly within the budget counts
    as the longer of its sides, which is far past ``SUBSTANTIAL_WORDS``.
    """
    old = [tuple(words(p)) for p in before.split("\n\n")]
    new = [tuple(words(p)) for p in after.split("\n\n")]
    budget = _DIFF_BUDGET
    changed = 0
    for old_run, new_run in _unaligned(old, new):
        a, b = _trimmed([w for p in old_run for w in p], [w for p in new_run for w in p])
        if not a or not b:
            changed += len(a) + len(b)
        elif len(a) * len(b) <= min(budget, _STRETCH_BUDGET):
            budget -= len(a) * len(b)
            matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
            changed += sum(
                max(i2 - i1, j2 - j1)
                for tag, i1, i2, j1, j2 in matcher.get_opcodes()
                if tag != "equal"
            )
        else:
            changed += max(len(a), len(b))
    return changed


# SequenceMatcher costs up to about len(a) * len(b) steps (more on repetitive
# text); these bound the product per stretch and for the whole diff. A typo fix
# or a new sentence is a stretch of a few words; a rewritten paragraph a few
# hundred.
_STRETCH_BUDGET: Final = 250_000
_DIFF_BUDGET: Final = 2_000_000


def _trimmed(a: Sequence[Hashable], b: Sequence[Hashable]) -> tuple[Sequence[Any], Sequence[Any]]:
    """``a`` and ``b`` without the items they share at the start and at the end."""
    start = 0
    limit = min(len(a), len(b))
    while start < limit and a[start] == b[start]:
        start += 1
    end = 0
    while end < limit - start and a[-1 - end] == b[-1 - end]:
        end += 1
    return a[start : len(a) - end], b[start : len(b) - end]


def _unaligned(old: list[_P], new: list[_P]) -> Iterator[tuple[Sequence[_P], Sequence[_P]]]:
    """The stretches of paragraphs the alignment leaves unmatched, as (old, new) pairs."""
    a, b = _trimmed(old, new)
    if not a and not b:
        return
    counts: dict[_P, list[int]] = {}
    for paragraph in a:
        counts.setdefault(paragraph, [0, 0, -1])[0] += 1
    for j, paragraph in enumerate(b):
        if paragraph in counts:
            entry = counts[paragraph]
            entry[1] += 1
            entry[2] = j
    pairs = [(i, counts[p][2]) for i, p in enumerate(a) if counts[p][0] == 1 and counts[p][1] == 1]
    i0 = j0 = 0
    for i, j in _increasing(pairs):
        if i > i0 or j > j0:
            yield a[i0:i], b[j0:j]
        i0, j0 = i + 1, j + 1
    if i0 < len(a) or j0 < len(b):
        yield a[i0:], b[j0:]


@dataclass(frozen=True, eq=False)
class _Paragraph:
    """A paragraph's text, equal to another when their words are (as ``words`` sees them)."""

    key: tuple[str, ...]
    text: str

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Paragraph) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)


def unaligned_runs(before: str, after: str) -> Iterator[tuple[list[str], list[str]]]:
    """The paragraphs of ``before`` and ``after`` that differ, stretch by stretch, as text.

    The same alignment ``changed_word_count`` uses: what it leaves unmatched.
    """
    old = [_Paragraph(tuple(words(p)), p) for p in before.split("\n\n")]
    new = [_Paragraph(tuple(words(p)), p) for p in after.split("\n\n")]
    for old_run, new_run in _unaligned(old, new):
        yield [p.text for p in old_run], [p.text for p in new_run]


def _increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of ``pairs`` (in order of their first item) whose second items increase."""
    tails: list[int] = []  # tails[k]: second item ending the best run of length k + 1
    tail_index: list[int] = []
    back: list[int] = []
    for index, (_, j) in enumerate(pairs):
        k = bisect.bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            tail_index.append(index)
        else:
            tails[k] = j
            tail_index[k] = index
        back.append(tail_index[k - 1] if k else -1)
    run = []
    index = tail_index[-1] if tail_index else -1
    while index != -1:
        run.append(pairs[index])
        index = back[index]
    return run[::-1]


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
