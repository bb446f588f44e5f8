"""The lookup's rules, over an in-memory store: who may list, and what is listed."""

import os

import pytest

from stoppress.contracts.keys import subscription_id
from stoppress.core import base64url
from stoppress.core.errors import ForbiddenError
from stoppress.subscribe.requests import LookupRequest
from stoppress.subscribe.service import Followed, StoryFollow, TagFollow, lookup
from tests.fakes.follows import FakeFollows

ENDPOINT = "https://fcm.googleapis.com/fcm/send/abc:APA91b-token"
SECRET = base64url.encode(os.urandom(16))
SUB_ID = subscription_id(ENDPOINT)


def reader_follows(topics: tuple[str, ...], live: set[str]) -> FakeFollows:
    return FakeFollows(
        subscriptions={SUB_ID: Followed(auth=SECRET, topics=topics, shard=3)},
        live={SUB_ID: live},
    )


def request(auth: str = SECRET, endpoint: str = ENDPOINT) -> LookupRequest:
    return LookupRequest(endpoint=endpoint, auth=auth)


def test_lists_live_follows_in_the_order_followed_with_headlines() -> None:
    topics = ("all", "article:b", "tag:city-hall", "article:a", "tag:gone")
    follows = reader_follows(topics, live={"all", "article:a", "article:b", "tag:city-hall"})
    follows.heads = {"a": "Headline A"}

    following = lookup(request(), follows)

    assert following.topics == ("all", "article:b", "tag:city-hall", "article:a")
    assert following.follows == (
        StoryFollow("article:b", "b", None),
        TagFollow("tag:city-hall", "city-hall"),
        StoryFollow("article:a", "a", "Headline A"),
    )
    assert follows.headline_reads == [["b", "a"]]


def test_no_headline_is_read_without_a_story_follow() -> None:
    follows = reader_follows(("all", "tag:transit", "article:x"), live={"all", "tag:transit"})
    assert lookup(request(), follows).follows == (TagFollow("tag:transit", "transit"),)
    assert follows.headline_reads == []


@pytest.mark.parametrize(
    "asked",
    [
        request(auth=base64url.encode(os.urandom(16))),
        request(endpoint="https://fcm.googleapis.com/fcm/send/someone-else"),
    ],
    ids=["wrong-secret", "unknown-endpoint"],
)
def test_a_wrong_secret_and_an_unknown_endpoint_are_refused_alike(asked: LookupRequest) -> None:
    follows = reader_follows(("all", "article:a"), live={"all", "article:a"})
    with pytest.raises(ForbiddenError) as caught:
        lookup(asked, follows)
    assert str(caught.value) == "no subscription matches this endpoint and auth secret"
    assert follows.headline_reads == []
