"""The word diff ``stoppress diff`` shows: every character kept, changes told whole."""

import itertools

from hypothesis import given
from hypothesis import strategies as st

from stoppress_dev.editor import worddiff
from stoppress_dev.editor.worddiff import Op, new_text, old_text, word_diff


def test_a_typo_fix_is_one_word_replaced() -> None:
    before = "Officials welcomed the announcment on Tuesday.\n\nA second paragraph."
    after = "Officials welcomed the announcement on Tuesday.\n\nA second paragraph."
    assert word_diff(before, after) == [
        Op("equal", "Officials welcomed the "),
        Op("delete", "announcment"),
        Op("insert", "announcement"),
        Op("equal", " on Tuesday.\n\nA second paragraph."),
    ]


def test_a_new_paragraph_is_one_insertion_and_the_rest_stays_equal() -> None:
    before = "First.\n\nSecond.\n\nThird."
    after = "First.\n\nBreaking: a new paragraph.\n\nSecond.\n\nThird."
    assert word_diff(before, after) == [
        Op("equal", "First.\n\n"),
        Op("insert", "Breaking: a new paragraph.\n\n"),
        Op("equal", "Second.\n\nThird."),
    ]


def test_a_rewritten_phrase_is_not_cut_into_words_at_its_spaces() -> None:
    ops = word_diff("NATO Will Resume Top-Level Contacts", "NATO Sets Munich Date Top-Level Talks")
    assert ops == [
        Op("equal", "NATO "),
        Op("delete", "Will Resume"),
        Op("insert", "Sets Munich Date"),
        Op("equal", " Top-Level "),
        Op("delete", "Contacts"),
        Op("insert", "Talks"),
    ]


def test_punctuation_is_its_own_word() -> None:
    ops = word_diff("10 dead, police say", "12 dead, police say")
    assert ops[:2] == [Op("delete", "10"), Op("insert", "12")]


def test_a_stretch_past_the_budget_is_shown_deleted_and_inserted_whole(monkeypatch) -> None:
    monkeypatch.setattr(worddiff, "STRETCH_BUDGET", 10)
    ops = word_diff("one two three four five six", "one two three four five seven")
    assert [op.kind for op in ops] == ["delete", "insert"]


def test_empty_sides() -> None:
    assert word_diff("", "new text") == [Op("insert", "new text")]
    assert word_diff("old text", "") == [Op("delete", "old text")]
    assert word_diff("same", "same") == [Op("equal", "same")]


_texts = st.lists(
    st.sampled_from(["the", "mayor", "said", "12", ",", ".", " ", "  ", "\n\n", "Ünïcode", "\n"]),
    max_size=40,
).map("".join)


@given(_texts, _texts)
def test_joining_the_operations_gives_both_texts_back(before: str, after: str) -> None:
    ops = word_diff(before, after)
    assert old_text(ops) == before
    assert new_text(ops) == after
    assert all(op.text for op in ops)
    # Merged: never two equal operations in a row, never an insertion before a deletion.
    for a, b in itertools.pairwise(ops):
        assert a.kind != b.kind
        assert (a.kind, b.kind) != ("insert", "delete")
