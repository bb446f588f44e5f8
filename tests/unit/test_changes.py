"""The change classifier: new, update or correction, and who hears about it."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stoppress.articles.changes import (
    SUBSTANTIAL_WORDS,
    changed_word_count,
    classify_change,
    words,
)
from stoppress.articles.model import Article, Audience, ChangeKind, EditorOverrides
from stoppress.articles.normalise import content_hash
from stoppress.webpush.headers import Urgency

HEADLINE = "NATO resumes contacts with Russia"
BODY = (
    "BRUSSELS -- NATO said on Friday it would resume high-level contacts with Russia, "
    "suspended since the crisis began.\n\n"
    "The decision was taken by ambassadors of the alliance's member states at a meeting "
    "in Brussels on Thursday evening, officials said."
)


def _article(headline: str = HEADLINE, body: str = BODY, **overrides: object) -> Article:
    paragraphs = tuple(body.split("\n\n"))
    return Article(
        id="nato-resumes-contacts",
        headline=headline,
        paragraphs=paragraphs,
        summary=paragraphs[0][:100],
        overrides=EditorOverrides.model_validate(overrides),
        source_format="text",
        content_hash=content_hash(headline, None, paragraphs),
    )


def _replace_words(text: str, count: int) -> str:
    """``text`` with its first ``count`` words after the dateline each replaced by another word."""
    parts = text.split(" ")
    for i in range(2, 2 + count):
        parts[i] = f"changed{i}"
    return " ".join(parts)


def test_first_version_is_news_for_everyone() -> None:
    decision = classify_change(_article(), previous_headline=None, previous_body=None)
    assert (decision.change, decision.audience, decision.urgency) == (
        ChangeKind.NEW,
        Audience.ALL,
        Urgency.NORMAL,
    )


def test_headline_change_is_an_update_for_followers() -> None:
    article = _article(headline="NATO restores contacts with Russia")
    decision = classify_change(article, previous_headline=HEADLINE, previous_body=BODY)
    assert (decision.change, decision.audience) == (ChangeKind.UPDATE, Audience.FOLLOWERS)
    assert decision.headline_changed
    assert decision.changed_words == 0


def test_headline_case_and_spacing_are_not_a_headline_change() -> None:
    article = _article(headline="  Nato Resumes  Contacts with RUSSIA ")
    decision = classify_change(article, previous_headline=HEADLINE, previous_body=BODY)
    assert not decision.headline_changed
    assert decision.change is ChangeKind.CORRECTION


@pytest.mark.parametrize(
    ("changed", "kind", "audience"),
    [
        (1, ChangeKind.CORRECTION, Audience.NONE),
        (SUBSTANTIAL_WORDS - 1, ChangeKind.CORRECTION, Audience.NONE),
        (SUBSTANTIAL_WORDS, ChangeKind.UPDATE, Audience.FOLLOWERS),
        (SUBSTANTIAL_WORDS + 2, ChangeKind.UPDATE, Audience.FOLLOWERS),
    ],
)
def test_body_change_is_substantial_from_the_threshold_on(
    changed: int, kind: ChangeKind, audience: Audience
) -> None:
    body = _replace_words(BODY, changed)
    decision = classify_change(_article(body=body), previous_headline=HEADLINE, previous_body=BODY)
    assert decision.changed_words == changed
    assert (decision.change, decision.audience) == (kind, audience)


def test_a_typo_fix_is_a_correction() -> None:
    typo = BODY.replace("suspended", "suspnded")
    decision = classify_change(_article(), previous_headline=HEADLINE, previous_body=typo)
    assert decision.changed_words == 1
    assert (decision.change, decision.audience) == (ChangeKind.CORRECTION, Audience.NONE)


def test_an_added_sentence_is_an_update() -> None:
    longer = BODY + "\n\nRussia's foreign ministry welcomed the move in a brief statement."
    decision = classify_change(
        _article(body=longer), previous_headline=HEADLINE, previous_body=BODY
    )
    assert decision.changed_words == 11  # "Russia's" is two words
    assert decision.change is ChangeKind.UPDATE


def test_punctuation_and_reflowed_paragraphs_are_not_words() -> None:
    edited = BODY.replace("Russia,", "Russia").replace("\n\n", "\n  ").replace("--", "—")
    assert changed_word_count(BODY, edited) == 0
    decision = classify_change(
        _article(body=edited), previous_headline=HEADLINE, previous_body=BODY
    )
    assert decision.change is ChangeKind.CORRECTION


def test_inserted_and_deleted_words_count_as_the_longer_side() -> None:
    assert changed_word_count("a b c d", "a x y z w d") == 4
    assert changed_word_count("a b c d", "a d") == 2
    assert changed_word_count("", "one two three") == 3


def test_unreadable_previous_body_counts_as_substantial() -> None:
    decision = classify_change(_article(), previous_headline=HEADLINE, previous_body=None)
    assert decision.changed_words is None
    assert (decision.change, decision.audience) == (ChangeKind.UPDATE, Audience.FOLLOWERS)


@pytest.mark.parametrize("notify", [Audience.NONE, Audience.FOLLOWERS, Audience.ALL])
def test_editor_notify_override_wins_for_every_kind_of_change(notify: Audience) -> None:
    cases = [
        (None, None),  # new
        (HEADLINE, BODY.replace("Friday", "Saturday")),  # correction
        ("Something else entirely", BODY),  # update
    ]
    for previous_headline, previous_body in cases:
        decision = classify_change(
            _article(notify=notify),
            previous_headline=previous_headline,
            previous_body=previous_body,
        )
        assert decision.audience is notify


def test_urgency_comes_from_the_editor_else_normal() -> None:
    high = classify_change(
        _article(urgency=Urgency.HIGH), previous_headline=None, previous_body=None
    )
    assert high.urgency is Urgency.HIGH
    plain = classify_change(_article(), previous_headline=HEADLINE, previous_body=BODY)
    assert plain.urgency is Urgency.NORMAL


_texts = st.lists(
    st.sampled_from(["nato", "russia", "talks", "munich", "said", "the", "a"]), max_size=40
)


@given(before=_texts, after=_texts)
def test_changed_words_are_bounded_by_the_texts(before: list[str], after: list[str]) -> None:
    changed = changed_word_count(" ".join(before), " ".join(after))
    assert len(before) + len(after) >= changed >= abs(len(before) - len(after))
    assert (changed == 0) == (before == after)


@given(text=_texts, notify=st.sampled_from(list(Audience)) | st.none())
def test_any_change_to_an_existing_article_is_never_new(
    text: list[str], notify: Audience | None
) -> None:
    decision = classify_change(
        _article(notify=notify) if notify else _article(),
        previous_headline=HEADLINE,
        previous_body=" ".join(text),
    )
    assert decision.change in (ChangeKind.UPDATE, ChangeKind.CORRECTION)
    if notify is None:
        expected = Audience.FOLLOWERS if decision.change is ChangeKind.UPDATE else Audience.NONE
        assert decision.audience is expected
    else:
        assert decision.audience is notify


def test_words_of_chinese_and_japanese_count_per_character() -> None:
    story = "東京電力は、再稼働させる方針を明らかにしました。"
    added = story + "地元の自治体は慎重な姿勢を崩していません。"
    fixed = story.replace("方針", "方鍼")

    assert changed_word_count(story, added) >= SUBSTANTIAL_WORDS
    assert changed_word_count(story, fixed) < SUBSTANTIAL_WORDS
    assert words("CPI上涨0.3% in Beijing") == ["cpi", "上", "涨", "0", "3", "in", "beijing"]
