"""Expiry through the local stack: story follows end when the story goes quiet, and
subscriptions nothing confirms end too; the stack's TTL sweeper deletes them, as DynamoDB's
TTL would, by a clock the test moves ahead."""

import time
from pathlib import Path
from typing import Any

import boto3

from stoppress.contracts.keys import (
    SUB_SK,
    subscription_id,
    subscription_pk,
    topic_member_sk,
    topic_pk,
)
from stoppress.webpush.endpoints import canonical_endpoint
from stoppress_dev.http_front import SAMPLES
from stoppress_dev.localstack import LocalStack
from stoppress_dev.pushservice import PushService, Subscriber
from tests.e2e.apiclient import call_api
from tests.e2e.test_pipeline import KEY, STORY, subscribe

DAY = 86_400
FOLLOW = f"article:{STORY}"
NEW_PARAGRAPH = (
    b"\n\nLate on Tuesday, both sides said the Munich meeting would be followed by talks "
    b"in Brussels before the end of the month.\n"
)


def items_of(stack: LocalStack, subscriber: Subscriber) -> dict[str, Any]:
    """The subscriber's SUB item and memberships that are stored, by sort key or topic."""
    sub_id = subscription_id(canonical_endpoint(subscriber.subscription_info()["endpoint"]))
    ddb = boto3.client(
        "dynamodb", endpoint_url=stack.state.aws_endpoint_url, region_name=stack.state.region
    )
    found: dict[str, Any] = {}
    keys = {"SUB": (subscription_pk(sub_id), SUB_SK)}
    # Every shard of the stack's: the test need not know which one the subscription is in.
    keys.update(
        {
            f"{topic}#{shard}": (topic_pk(topic, shard), topic_member_sk(sub_id))
            for topic in ("all", FOLLOW)
            for shard in range(stack.topic_shards)
        }
    )
    for name, (pk, sk) in keys.items():
        item = ddb.get_item(
            TableName=stack.state.table, Key={"pk": {"S": pk}, "sk": {"S": sk}}
        ).get("Item")
        if item:
            found[name.split("#")[0]] = item
    return found


def test_a_follow_that_ended_hears_no_more_while_everyone_still_does(
    stack: LocalStack, push: PushService, upload, tmp_path: Path
) -> None:
    everyone = push.new_subscriber("everyone")
    follower = push.new_subscriber("follower")
    subscribe(stack, everyone, ["all"])
    subscribe(stack, follower, [FOLLOW])

    upload(f"{STORY}.txt", KEY)
    stack.wait_idle(timeout=30)
    upload(f"{STORY}-update.txt", KEY)
    stack.wait_idle(timeout=30)
    assert [len(s.deliveries) for s in (everyone, follower)] == [1, 1]

    # Fifteen days later by the TTL's clock, the story quiet all along: the follow has ended.
    assert stack.expire_items(at=time.time() + 15 * DAY) >= 1
    assert set(items_of(stack, follower)) == {"SUB"}
    assert set(items_of(stack, everyone)) == {"SUB", "all"}

    # The story's next update, for everyone: the follower is no longer among them.
    urgent = tmp_path / "update.txt"
    urgent.write_bytes(
        b"Notify: all\n" + (SAMPLES / f"{STORY}-update.txt").read_bytes().rstrip() + NEW_PARAGRAPH
    )
    upload(urgent, KEY)
    stack.wait_idle(timeout=30)

    v3 = stack.version_item(STORY, 3)
    assert v3 is not None
    assert (v3["change"], v3["audience"]) == ("update", "all")
    assert [len(s.deliveries) for s in (everyone, follower)] == [2, 1]
    assert not [s for s in stack.steps if s.kind == "error"]

    # The follower's browser sends its old list again: the follow is not brought back,
    # and with nothing else followed the subscription goes too.
    again = call_api(
        stack.state.api_url,
        "POST",
        "/subscriptions",
        {"subscription": follower.subscription_info(), "topics": [FOLLOW]},
    )
    assert (again.status, again.body["topics"]) == (201, [])
    assert items_of(stack, follower) == {}


def test_a_subscription_nothing_confirms_for_300_days_is_gone(
    stack: LocalStack, push: PushService
) -> None:
    # The template's defaults, as deployed.
    assert stack.function_env["FOLLOW_EXPIRY_DAYS"] == "14"
    assert stack.function_env["SUBSCRIPTION_EXPIRY_DAYS"] == "300"
    reader = push.new_subscriber("reader")
    subscribe(stack, reader, ["all", FOLLOW])
    assert set(items_of(stack, reader)) == {"SUB", "all", FOLLOW}

    # The story follow ends long before; the subscription holds until its 300 days are up.
    stack.expire_items(at=time.time() + 299 * DAY)
    assert set(items_of(stack, reader)) == {"SUB", "all"}
    stack.expire_items(at=time.time() + 301 * DAY)
    assert items_of(stack, reader) == {}

    # A browser that comes back subscribes afresh.
    subscribe(stack, reader, ["all"])
    assert set(items_of(stack, reader)) == {"SUB", "all"}
