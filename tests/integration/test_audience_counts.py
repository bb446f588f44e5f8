"""Audience counts kept from the table's own stream (moto), through AudienceFunction's handler:
every way a membership is made or removed leaves each topic's count right, and a retried
batch counts once."""

import threading
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import boto3
import pytest

from functions.audience.app import lambda_handler
from stoppress.contracts.keys import shard_of, subscription_id, topic_member_sk, topic_pk
from stoppress.subscriptions.audience import TTL_PRINCIPAL
from stoppress.subscriptions.audience_table import AudienceTable
from stoppress.subscriptions.table import SubscriptionStore
from stoppress_dev import template as tpl
from stoppress_dev.eventfilter import matches_any
from stoppress_dev.localstack import moto_fixes
from tests.fakes.lambda_context import lambda_context
from tests.integration.test_notify import stream_records
from tests.integration.test_subscribe_api import SHARDS, Browser, api_environment, call_api

TOPICS = ("all", "tag:world", "article:a", "article:b")


class Audience:
    """Hands the stream's new membership records to the handler, as the event source does."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.patterns = tpl.stream_filter_patterns("AudienceFunction", "MembershipStream")
        self.seen: set[str] = set()
        self.batches: list[list[dict[str, Any]]] = []

    def new_records(self) -> list[dict[str, Any]]:
        fresh = [
            r
            for r in stream_records(self.table)
            if r["dynamodb"]["SequenceNumber"] not in self.seen
        ]
        self.seen.update(r["dynamodb"]["SequenceNumber"] for r in fresh)
        return [r for r in fresh if matches_any(self.patterns, r)]

    def deliver(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        self.batches.append(records)
        result: dict[str, Any] = lambda_handler(
            {"Records": records}, lambda_context("AudienceFunction")
        )
        return result

    def catch_up(self) -> None:
        records = self.new_records()
        if records:
            assert self.deliver(records) == {"batchItemFailures": []}

    def counts(self) -> dict[str, int]:
        return AudienceTable(self.table).counts(TOPICS)


@pytest.fixture
def audience(table: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Audience]:
    api_environment(monkeypatch)
    # Stock moto records an update that creates an item as two INSERTs; DynamoDB, one.
    with moto_fixes.applied():
        yield Audience(table)


def subscribe(browser: Browser, *topics: str) -> None:
    body = {"subscription": browser.subscription(), "topics": list(topics)}
    assert call_api("POST", "/subscriptions", body)["statusCode"] == 201


def expect(audience: Audience, **counts: int) -> None:
    wanted = {t: 0 for t in TOPICS}
    wanted.update({k.replace("_", ":"): v for k, v in counts.items()})
    assert audience.counts() == wanted


def test_subscribe_unsubscribe_and_changed_topics_leave_the_right_counts(
    audience: Audience,
) -> None:
    ann, bob, cat = Browser.new("ann"), Browser.new("bob"), Browser.new("cat")
    subscribe(ann, "all", "tag:world")
    subscribe(bob, "all", "article:a")
    subscribe(cat, "all", "tag:world", "article:a")
    audience.catch_up()
    expect(audience, all=3, tag_world=2, article_a=2)

    # Unsubscribe from some topics, then from everything.
    body = {"endpoint": cat.endpoint, "auth": cat.auth, "topics": ["article:a"]}
    assert call_api("DELETE", "/subscriptions", body)["statusCode"] in (200, 204)
    assert call_api("DELETE", "/subscriptions", {"endpoint": bob.endpoint, "auth": bob.auth})[
        "statusCode"
    ] in (200, 204)
    audience.catch_up()
    expect(audience, all=2, tag_world=2)

    # A re-subscribe with other topics: one membership gone, two made, "all" kept.
    subscribe(ann, "all", "article:a", "article:b")
    audience.catch_up()
    expect(audience, all=2, tag_world=1, article_a=1, article_b=1)


def test_the_senders_cleanup_and_expiry_leave_the_right_counts(
    audience: Audience, table: str
) -> None:
    ann, bob = Browser.new("ann"), Browser.new("bob")
    subscribe(ann, "all", "article:a")
    subscribe(bob, "all", "article:a")
    audience.catch_up()

    # A 404/410: the sender deletes the subscription and its memberships.
    assert SubscriptionStore(table).delete(subscription_id(ann.endpoint))
    records = audience.new_records()
    assert audience.deliver(records) == {"batchItemFailures": []}
    expect(audience, all=1, article_a=1)

    # DynamoDB's TTL ends bob's story follow: a REMOVE whose remover is DynamoDB itself.
    bob_id = subscription_id(bob.endpoint)
    boto3.client("dynamodb").delete_item(
        TableName=table,
        Key={
            "pk": {"S": topic_pk("article:a", shard_of(bob_id, SHARDS))},
            "sk": {"S": topic_member_sk(bob_id)},
        },
    )
    (removed,) = audience.new_records()
    expired = {**removed, "userIdentity": {"type": "Service", "principalId": TTL_PRINCIPAL}}
    assert audience.deliver([expired]) == {"batchItemFailures": []}
    expect(audience, all=1)


def at_once(*calls: Callable[[], None]) -> None:
    """Run every call in a thread of its own, all started before any is waited for."""
    errors: list[BaseException] = []

    def run(call: Callable[[], None]) -> None:
        try:
            call()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def deliver_in_batches(audience: Audience, size: int) -> None:
    """The stream's new records, in batches, as the event source delivers them."""
    records = audience.new_records()
    for start in range(0, len(records), size):
        assert audience.deliver(records[start : start + size]) == {"batchItemFailures": []}


def test_concurrent_subscribes_count_exactly(audience: Audience) -> None:
    def twice(browser: Browser) -> None:
        subscribe(browser, "all", "tag:world")
        # The same reader again at once: a replacement, not a second member.
        subscribe(browser, "all", "tag:world")

    at_once(*(partial(twice, Browser.new(f"reader{n}")) for n in range(16)))

    deliver_in_batches(audience, 7)
    expect(audience, all=16, tag_world=16)


def test_concurrent_subscribes_and_unsubscribes_count_exactly(audience: Audience) -> None:
    # Half the readers are there already; each of them leaves (entirely, or one topic)
    # while the other half arrive, all at once.
    staying = [Browser.new(f"new{n}") for n in range(8)]
    leaving = [Browser.new(f"old{n}") for n in range(8)]
    for browser in leaving:
        subscribe(browser, "all", "tag:world")
    audience.catch_up()
    expect(audience, all=8, tag_world=8)

    def leave(browser: Browser, n: int) -> None:
        body: dict[str, Any] = {"endpoint": browser.endpoint, "auth": browser.auth}
        if n % 2:
            body["topics"] = ["tag:world"]
        assert call_api("DELETE", "/subscriptions", body)["statusCode"] == 204

    at_once(
        *(partial(subscribe, b, "all", "tag:world") for b in staying),
        *(partial(leave, b, n) for n, b in enumerate(leaving)),
    )

    deliver_in_batches(audience, 5)
    # The four who only unfollowed the section are still subscribed to everything.
    expect(audience, all=12, tag_world=8)


def test_a_retried_batch_counts_once(audience: Audience) -> None:
    ann, bob = Browser.new("ann"), Browser.new("bob")
    subscribe(ann, "all")
    subscribe(bob, "all", "tag:world")
    records = audience.new_records()
    assert len(records) == 3

    assert audience.deliver(records[:2]) == {"batchItemFailures": []}
    # Lambda retries the batch (its answer was lost), then from the same record with more.
    assert audience.deliver(records[:2]) == {"batchItemFailures": []}
    assert audience.deliver(records) == {"batchItemFailures": []}
    assert audience.deliver(records) == {"batchItemFailures": []}
    expect(audience, all=2, tag_world=1)
