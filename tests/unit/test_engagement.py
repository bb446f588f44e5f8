"""Counting a notification's clicks and unfollows: which versions count, and what is refused."""

import pytest
from pydantic import ValidationError

from stoppress.core.errors import UnknownVersionError
from stoppress.subscribe.engagement import NO_SUCH_ARTICLE, count_engagement
from stoppress.subscribe.requests import MAX_VERSION, EngagementRequest
from tests.fakes.engagement import FakeEngagementCounters

STORY = "nato-resumes-contacts"


def event(version: int, action: str = "click", story: str = STORY) -> EngagementRequest:
    return EngagementRequest.model_validate(
        {"article_id": story, "version": version, "action": action}
    )


def test_every_version_up_to_the_latest_counts() -> None:
    counters = FakeEngagementCounters(heads={STORY: 3})
    for version in (1, 2, 3, 3):
        count_engagement(event(version), counters)
    count_engagement(event(2, "unfollow"), counters)
    assert counters.counts == {
        (STORY, 1, "click"): 1,
        (STORY, 2, "click"): 1,
        (STORY, 3, "click"): 2,
        (STORY, 2, "unfollow"): 1,
    }


def test_a_story_never_stored_is_refused_and_counts_nothing() -> None:
    counters = FakeEngagementCounters(heads={STORY: 3})
    with pytest.raises(UnknownVersionError) as refused:
        count_engagement(event(1, story="other-story"), counters)
    assert refused.value.reason == NO_SUCH_ARTICLE
    assert not counters.counts


def test_a_version_past_the_latest_is_refused_and_counts_nothing() -> None:
    counters = FakeEngagementCounters(heads={STORY: 3})
    with pytest.raises(UnknownVersionError) as refused:
        count_engagement(event(4), counters)
    assert refused.value.reason == "version: the article has no version 4; its latest is 3"
    assert not counters.counts


@pytest.mark.parametrize(
    "fields",
    [
        {"version": 0},
        {"version": MAX_VERSION + 1},
        {"version": "1"},
        {"version": 1.0},
        {"version": True},
        {"action": "share"},
        {"article_id": "NATO"},
        {"article_id": "nato\n"},
    ],
    ids=["zero", "past-sort-keys", "text", "float", "bool", "action", "capitals", "newline"],
)
def test_an_event_must_name_a_version_and_an_action_exactly(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        EngagementRequest.model_validate(
            {"article_id": STORY, "version": 1, "action": "click", **fields}
        )
