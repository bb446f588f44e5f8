"""POST /subscriptions/lookup through the handler on moto: what a reader follows, proven with
the subscription's auth secret, listing only follows whose membership is there and unexpired."""

import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from functions.subscribe.app import LOOKUP_PATH
from stoppress.articles.items import head_to_item
from stoppress.articles.model import Head, SourceObject
from stoppress.aws.items import to_attrs
from stoppress.contracts.keys import (
    SUB_SK,
    shard_of,
    subscription_id,
    subscription_pk,
    topic_member_sk,
    topic_pk,
)
from stoppress.core import base64url
from stoppress.core.errors import TransientError
from stoppress.subscribe.follows_table import FollowsTable
from tests.integration import test_subscribe_api
from tests.integration.test_subscribe_api import (
    SHARDS,
    Browser,
    api_environment,
    call_api,
    error_of,
    table_items,
)

Api = Callable[..., dict[str, Any]]
unreachable_aws = test_subscribe_api.unreachable_aws
STORY_A, STORY_B = "council-budget-vote", "harbor-dredging"


@pytest.fixture
def api(table: str, monkeypatch: pytest.MonkeyPatch) -> Api:
    api_environment(monkeypatch)
    return call_api


def subscribe(api: Api, browser: Browser, topics: list[str]) -> dict[str, str]:
    body = {"subscription": browser.subscription(), "topics": topics}
    response = api("POST", "/subscriptions", body)
    assert response["statusCode"] == 201, response
    return {"endpoint": browser.endpoint, "auth": browser.auth}


def store_head(table: str, article_id: str, headline: str) -> None:
    at = datetime(2026, 3, 4, 23, 40, tzinfo=UTC)
    head = Head(
        article_id=article_id,
        version=2,
        content_hash="0" * 64,
        headline=headline,
        source=SourceObject(bucket="b", key=f"articles/{article_id}.md", event_time=at),
        updated_at=at,
    )
    boto3.client("dynamodb").put_item(TableName=table, Item=to_attrs(head_to_item(head)))


def set_expiry(table: str, pk: str, sk: str, expires_at: float) -> None:
    """What the TTL writer leaves on an item; moto, like DynamoDB for a while, keeps it."""
    boto3.client("dynamodb").update_item(
        TableName=table,
        Key={"pk": {"S": pk}, "sk": {"S": sk}},
        UpdateExpression="SET expires_at = :x",
        ExpressionAttributeValues={":x": {"N": str(int(expires_at))}},
    )


def member_key(browser: Browser, topic: str) -> tuple[str, str]:
    sub_id = subscription_id(browser.endpoint)
    return topic_pk(topic, shard_of(sub_id, SHARDS)), topic_member_sk(sub_id)


def lookup(api: Api, body: object) -> dict[str, Any]:
    return api("POST", LOOKUP_PATH, body)


def test_lists_every_follow_with_the_current_headline(api: Api, table: str) -> None:
    reader = Browser.new("reader")
    topics = ["all", f"article:{STORY_A}", "tag:city-hall", f"article:{STORY_B}"]
    owner = subscribe(api, reader, topics)
    store_head(table, STORY_A, "City Council Passes $412 Million Budget")

    response = lookup(api, owner)

    assert response["statusCode"] == 200
    assert response["headers"]["Cache-Control"] == "no-store"
    assert json.loads(response["body"]) == {
        "topics": topics,
        "follows": [
            {
                "topic": f"article:{STORY_A}",
                "kind": "story",
                "article_id": STORY_A,
                "headline": "City Council Passes $412 Million Budget",
            },
            {"topic": "tag:city-hall", "kind": "tag", "tag": "city-hall"},
            # No head yet (or no longer): the follow is listed, its headline is null.
            {
                "topic": f"article:{STORY_B}",
                "kind": "story",
                "article_id": STORY_B,
                "headline": None,
            },
        ],
    }


def test_an_expired_or_missing_membership_is_not_listed(api: Api, table: str) -> None:
    reader = Browser.new()
    topics = ["all", f"article:{STORY_A}", f"article:{STORY_B}", "tag:transit", "tag:budget"]
    owner = subscribe(api, reader, topics)
    now = time.time()
    set_expiry(table, *member_key(reader, f"article:{STORY_A}"), now - 60)  # due, not yet deleted
    set_expiry(table, *member_key(reader, f"article:{STORY_B}"), now + 3600)  # still alive
    pk, sk = member_key(reader, "tag:transit")  # deleted by TTL, still on the SUB item's list
    boto3.client("dynamodb").delete_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}})

    answer = json.loads(lookup(api, owner)["body"])

    assert answer["topics"] == ["all", f"article:{STORY_B}", "tag:budget"]
    assert [f["topic"] for f in answer["follows"]] == [f"article:{STORY_B}", "tag:budget"]


def test_an_expired_subscription_is_refused_like_an_unknown_one(api: Api, table: str) -> None:
    reader = Browser.new()
    owner = subscribe(api, reader, ["all"])
    sub_pk = subscription_pk(subscription_id(reader.endpoint))
    set_expiry(table, sub_pk, SUB_SK, time.time() + 3600)
    assert lookup(api, owner)["statusCode"] == 200
    set_expiry(table, sub_pk, SUB_SK, time.time())

    expired = lookup(api, owner)
    stranger = Browser.new("stranger")
    unknown = lookup(api, {"endpoint": stranger.endpoint, "auth": stranger.auth})

    assert expired["statusCode"] == unknown["statusCode"] == 403
    assert expired["body"] == unknown["body"]


def test_a_wrong_secret_and_an_unknown_endpoint_get_the_same_answer(api: Api, table: str) -> None:
    reader = Browser.new("known")
    subscribe(api, reader, ["all", f"article:{STORY_A}"])
    before = table_items(table)

    wrong = lookup(api, {"endpoint": reader.endpoint, "auth": base64url.encode(os.urandom(16))})
    stranger = Browser.new("unknown")
    unknown = lookup(api, {"endpoint": stranger.endpoint, "auth": stranger.auth})
    refused_delete = api(
        "DELETE", "/subscriptions", {"endpoint": stranger.endpoint, "auth": stranger.auth}
    )

    assert wrong["statusCode"] == unknown["statusCode"] == 403
    assert wrong["body"] == unknown["body"] == refused_delete["body"]
    assert error_of(wrong)["code"] == "forbidden"
    assert reader.auth not in wrong["body"]
    assert STORY_A not in wrong["body"]
    assert table_items(table) == before


def test_another_reader_can_neither_list_nor_change_someone_elses_follows(
    api: Api, table: str
) -> None:
    reader, other = Browser.new("reader"), Browser.new("other")
    subscribe(api, reader, ["all", f"article:{STORY_A}"])
    theirs = subscribe(api, other, ["tag:city-hall"])
    before = table_items(table)
    # The other reader knows the endpoint (say, from a shared device) but not its secret.
    borrowed = {"endpoint": reader.endpoint, "auth": theirs["auth"]}

    listed = lookup(api, borrowed)
    unfollowed = api("DELETE", "/subscriptions", {**borrowed, "topics": [f"article:{STORY_A}"]})

    assert listed["statusCode"] == unfollowed["statusCode"] == 403
    assert table_items(table) == before
    own = json.loads(lookup(api, theirs)["body"])
    assert own["topics"] == ["tag:city-hall"]


def test_any_spelling_of_the_endpoint_finds_the_subscription(api: Api, table: str) -> None:
    reader = Browser.new()
    reader.endpoint = "https://fcm.googleapis.com/fcm/send/Tok3n:APA91b"
    owner = subscribe(api, reader, ["all"])
    spelled = {**owner, "endpoint": "https://FCM.googleapis.com:443/fcm/send/Tok3n:APA91b"}
    assert json.loads(lookup(api, spelled)["body"]) == {"topics": ["all"], "follows": []}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"endpoint": "https://fcm.googleapis.com/fcm/send/x"},
        {"auth": base64url.encode(bytes(16))},
        {"endpoint": "https://fcm.googleapis.com/fcm/send/x", "auth": "c2hvcnQ"},
        {"endpoint": "", "auth": base64url.encode(bytes(16))},
        {
            "endpoint": ["https://fcm.googleapis.com/fcm/send/x"],
            "auth": base64url.encode(bytes(16)),
        },
        [],
        "lookup",
    ],
    ids=[
        "empty",
        "no-auth",
        "no-endpoint",
        "short-secret",
        "empty-endpoint",
        "list",
        "array",
        "text",
    ],
)
def test_a_malformed_body_is_a_400_with_a_reason(api: Api, table: str, body: object) -> None:
    response = lookup(api, body)
    assert response["statusCode"] == 400
    error = error_of(response)
    assert error["code"] == "invalid_request"
    assert error["message"]


def test_a_body_that_is_not_json_or_too_large_is_refused(api: Api, table: str) -> None:
    assert lookup(api, None)["statusCode"] == 400
    assert api("POST", LOOKUP_PATH, raw="{not json")["statusCode"] == 400
    big = api("POST", LOOKUP_PATH, {"endpoint": "x" * 5000, "auth": "y"})
    assert big["statusCode"] == 413
    assert api("POST", LOOKUP_PATH, raw="{}", content_type="text/plain")["statusCode"] == 415


def test_a_lookup_of_a_recently_confirmed_subscription_never_writes(api: Api, table: str) -> None:
    owner = subscribe(api, Browser.new(), ["all", "tag:transit"])
    before = table_items(table)
    assert lookup(api, owner)["statusCode"] == 200
    assert table_items(table) == before


def test_a_lookup_confirms_a_subscription_nothing_confirmed_for_long(api: Api, table: str) -> None:
    reader = Browser.new()
    owner = subscribe(api, reader, ["all", "tag:transit", f"article:{STORY_A}"])
    sub_id = subscription_id(reader.endpoint)
    now = time.time()
    # Confirmed 100 days ago: 200 days left, and well past any subscriber's turn.
    aged = now + 200 * 86_400
    set_expiry(table, subscription_pk(sub_id), SUB_SK, aged)
    for topic in ("all", "tag:transit"):
        set_expiry(table, *member_key(reader, topic), aged)
    follow = next(
        i
        for i in table_items(table)
        if (i["pk"], i["sk"]) == member_key(reader, f"article:{STORY_A}")
    )

    assert lookup(api, owner)["statusCode"] == 200

    items = {(i["pk"], i["sk"]): i for i in table_items(table)}
    renewed = now + 300 * 86_400
    for key in [
        (subscription_pk(sub_id), SUB_SK),
        *(member_key(reader, t) for t in ("all", "tag:transit")),
    ]:
        assert int(items[key]["expires_at"]) >= renewed - 60, key
    # Visiting the site is no news of the story: its follow keeps its own expiry.
    assert items[member_key(reader, f"article:{STORY_A}")] == follow


def test_keys_a_busy_table_left_unread_are_read_again(
    table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stoppress.aws import clients
    from stoppress.subscribe import follows_table

    monkeypatch.setattr(follows_table, "BATCH_BACKOFF_S", 0)
    client = boto3.client("dynamodb")
    for article_id in ("a", "b", "c"):
        store_head(table, article_id, f"Headline {article_id}")
    real = client.batch_get_item
    calls: list[int] = []

    class Throttled:
        """DynamoDB under load: the first batch read serves one key and returns the rest."""

        def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
            calls.append(len(RequestItems[table]["Keys"]))
            if len(calls) > 1:
                return dict(real(RequestItems=RequestItems))
            request = RequestItems[table]
            first, *rest = request["Keys"]
            served = real(RequestItems={table: {**request, "Keys": [first]}})
            return {**served, "UnprocessedKeys": {table: {**request, "Keys": rest}}}

    monkeypatch.setattr(clients, "dynamodb", lambda: Throttled())
    assert FollowsTable(table).headlines(["a", "b", "c"]) == {
        "a": "Headline a",
        "b": "Headline b",
        "c": "Headline c",
    }
    assert calls == [3, 2]

    class AlwaysThrottled:
        def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
            return {"Responses": {}, "UnprocessedKeys": RequestItems}

    monkeypatch.setattr(clients, "dynamodb", lambda: AlwaysThrottled())
    with pytest.raises(TransientError):
        FollowsTable(table).headlines(["a"])


def test_an_unreachable_table_makes_a_lookup_a_503(unreachable_aws: None) -> None:
    reader = Browser.new()
    response = call_api("POST", LOOKUP_PATH, {"endpoint": reader.endpoint, "auth": reader.auth})
    assert response["statusCode"] == 503
    assert error_of(response) == {"code": "unavailable", "message": "try again shortly"}
