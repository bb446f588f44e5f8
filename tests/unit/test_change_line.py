"""The change line: what an update's push says is new, in whole sentences of the story."""

import random
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stoppress.articles.change_line import (
    ELLIPSIS,
    MAX_CHANGE_LINE_CHARS,
    change_line,
    cut_on_word,
    sentences,
)

STORY = (
    "BRUSSELS — NATO will resume top-level contacts with Russia, officials said on Monday.\n\n"
    "The U.S. envoy, Mr. Smith, welcomed the decision. Talks start at 10 a.m. on Friday.\n\n"
    "Ministers will meet in Vienna. Dozens of diplomats are expected to attend."
)
NEW_PARAGRAPH = (
    "Later on Monday, Russia's foreign ministry said it welcomed the decision and would "
    "send a delegation to Brussels next week. No date was given."
)


def line_for(after: str, *, before: str = STORY, headline: str = "NATO talks") -> str | None:
    result = change_line(
        previous_headline="NATO talks", previous_body=before, headline=headline, body=after
    )
    return result.text if result else None


def test_a_new_paragraph_gives_its_most_informative_sentence_first() -> None:
    line = line_for(STORY + "\n\n" + NEW_PARAGRAPH)
    assert line is not None
    assert line.startswith("Later on Monday, Russia's foreign ministry said it welcomed")
    assert line in NEW_PARAGRAPH or line.split(". ")[0] + "." in NEW_PARAGRAPH


def test_a_new_paragraph_beats_a_moved_comma() -> None:
    edited = STORY.replace("contacts with Russia, officials", "contacts with Russia officials")
    line = line_for(edited.replace("Dozens of", "Dozens of") + "\n\n" + NEW_PARAGRAPH)
    assert line is not None
    assert line.startswith("Later on Monday")


def test_punctuation_and_spacing_alone_give_no_line() -> None:
    edited = STORY.replace("Mr. Smith,", "Mr. Smith").replace("  ", " ")
    assert line_for(edited) is None


def test_a_changed_figure_is_reported_in_its_sentence() -> None:
    line = line_for(STORY.replace("10 a.m.", "11 a.m."))
    assert line == "Talks start at 11 a.m. on Friday."


def test_a_rewritten_sentence_in_the_middle_is_found() -> None:
    line = line_for(
        STORY.replace("Ministers will meet in Vienna.", "Ministers will meet in Geneva instead.")
    )
    assert line == "Ministers will meet in Geneva instead."


def test_a_headline_change_alone_names_the_new_headline() -> None:
    line = line_for(STORY, headline="NATO and Russia to talk again")
    assert line == "New headline: NATO and Russia to talk again"


def test_a_body_change_wins_over_a_headline_change() -> None:
    line = line_for(STORY + "\n\n" + NEW_PARAGRAPH, headline="NATO and Russia to talk again")
    assert line is not None
    assert line.startswith("Later on Monday")


def test_a_long_sentence_is_cut_on_a_word_boundary() -> None:
    long = "Officials said " + "the talks would cover arms control and trade " * 10 + "today."
    line = line_for(STORY + "\n\n" + long)
    assert line is not None
    assert len(line) <= MAX_CHANGE_LINE_CHARS
    assert line.endswith(ELLIPSIS)
    assert long.startswith(line.removesuffix(ELLIPSIS))


def test_more_sentences_join_only_while_they_fit() -> None:
    line = line_for(STORY + "\n\nA short one. " + "And another short one.")
    assert line is not None
    assert "A short one." in line
    assert "And another short one." in line
    assert len(line) <= MAX_CHANGE_LINE_CHARS


def test_chinese_text_is_split_on_full_stops() -> None:
    before = "北京今天下雨。明天会晴天。"
    after = "北京今天下雨。明天会晴天。官员说会谈将在周五举行。"
    result = change_line(
        previous_headline="会谈", previous_body=before, headline="会谈", body=after
    )
    assert result is not None
    assert result.text == "官员说会谈将在周五举行。"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The U.S. envoy met Mr. Smith. Then he left.",
            ["The U.S. envoy met Mr. Smith.", "Then he left."],
        ),
        ("“We are ready,” he said. “Good.”", ["“We are ready,” he said.", "“Good.”"]),
        ("John F. Kennedy spoke. 12 people came.", ["John F. Kennedy spoke.", "12 people came."]),
        ("Is it over? Yes! It is.", ["Is it over?", "Yes!", "It is."]),
        ("no capital after. the end", ["no capital after. the end"]),
    ],
)
def test_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


@given(st.text(max_size=400), st.integers(min_value=10, max_value=300))
def test_a_cut_line_is_a_prefix_within_the_limit(text: str, limit: int) -> None:
    cut = cut_on_word(text, limit)
    assert len(cut) <= limit
    assert text.startswith(cut.removesuffix(ELLIPSIS).rstrip(" ,;:–—-"))


@given(st.lists(st.text(min_size=1, max_size=80), max_size=12), st.data())
def test_any_line_is_whole_sentences_of_the_new_text_within_the_limit(
    paragraphs: list[str], data: st.DataObject
) -> None:
    before = "\n\n".join(paragraphs)
    extra = data.draw(st.lists(st.text(min_size=1, max_size=300), max_size=4))
    after = "\n\n".join(paragraphs + extra)
    result = change_line(previous_headline="h", previous_body=before, headline="h", body=after)
    if result is None:
        return
    assert len(result.text) <= MAX_CHANGE_LINE_CHARS
    whole = [s for p in after.split("\n\n") for s in sentences(p)]
    rest = result.text
    while rest:
        sentence = next((s for s in whole if rest == s or rest.startswith(s + " ")), None)
        if sentence is None:  # only the first sentence may be cut
            assert rest == result.text
            assert rest.endswith(ELLIPSIS)
            assert any(s.startswith(rest[:-1].rstrip(" ,;:–—-")) for s in whole)
            break
        rest = rest[len(sentence) + 1 :]


def test_a_rewrite_of_a_two_mebibyte_story_is_fast() -> None:
    rng = random.Random(7)
    vocabulary = [f"w{n}" for n in range(5_000)]

    def story() -> str:
        return "\n\n".join(
            " ".join(
                f"{rng.choice(vocabulary).capitalize()} "
                + " ".join(rng.choices(vocabulary, k=12))
                + "."
                for _ in range(4)
            )
            for _ in range(7_000)
        )

    before, after = story(), story()
    assert len(after) > 1_500_000
    started = time.perf_counter()
    result = change_line(previous_headline="h", previous_body=before, headline="h", body=after)
    assert time.perf_counter() - started < 10  # quadratic work would take minutes
    assert result is not None
