"""Which of two S3 events on an article happened first."""

from datetime import UTC, datetime, timedelta

import pytest

from stoppress.articles.model import SourceObject
from stoppress.ingest.service import is_older

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def _event(sequencer: str | None, *, key: str = "articles/a.txt", seconds: int = 0) -> SourceObject:
    return SourceObject(
        bucket="b", key=key, sequencer=sequencer, event_time=T0 + timedelta(seconds=seconds)
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("0055AED6DCD90281E5", "0055AED6DCD90281E6"),
        ("0055AED6DCD90281E5", "0055AED6DCD9C2A6F1"),
        # Different lengths: the shorter is left-padded with zeros before comparing.
        ("FF", "0100"),
        ("9", "0A"),
        ("0055aed6dcd90281e5", "0055AED6DCD90281E6"),  # case does not matter
    ],
)
def test_sequencers_order_events_on_one_key(first: str, second: str) -> None:
    # Event times deliberately disagree: the sequencer wins on one key.
    assert is_older(_event(first, seconds=10), _event(second))
    assert not is_older(_event(second), _event(first, seconds=10))


def test_the_same_event_is_not_older_than_itself() -> None:
    assert not is_older(_event("0055AED6DCD90281E5"), _event("0055AED6DCD90281E5"))
    assert not is_older(_event(None), _event(None))


def test_without_a_sequencer_event_time_decides() -> None:
    assert is_older(_event(None), _event("0055AED6DCD90281E5", seconds=1))
    assert not is_older(_event("0055AED6DCD90281E5", seconds=1), _event(None))


def test_sequencers_of_different_keys_are_not_compared() -> None:
    # story.txt and story.md make one article, but their sequencers are unrelated.
    txt = _event("FFFF", key="articles/story.txt", seconds=0)
    md = _event("0001", key="articles/story.md", seconds=5)
    assert is_older(txt, md)
    assert not is_older(md, txt)
