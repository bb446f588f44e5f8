"""Subscriptions that fail version after version are retired; healthy ones cost no write."""

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from stoppress.contracts.keys import SUB_SK, subscription_pk, topic_member_sk, topic_pk
from stoppress.subscriptions.model import Subscription
from stoppress.subscriptions.table import SubscriptionStore
from stoppress_dev.pushservice import PushService
from tests.integration.test_send import (  # noqa: F401 - fixtures
    invoke,
    queue_url,
    queued,
    sample_job,
    service,
    sqs_event,
    subscribe,
    vapid_public_key,
)

TOPICS = ("all", "article:2026-harbour-storm-closes-ferries")


@pytest.fixture
def retire_after_three(queue_url: str, monkeypatch: pytest.MonkeyPatch) -> str:  # noqa: F811
    monkeypatch.setenv("RETIRE_AFTER_FAILED_VERSIONS", "3")
    monkeypatch.setenv("RETIRE_AFTER_FAILING_HOURS", "0")
    return queue_url


def send_version(number: int, url: str) -> None:
    """Send version ``number`` of the sample story, retry jobs included, until none is left."""
    jobs = [sample_job().model_copy(update={"version": number})]
    while jobs:
        assert invoke(sqs_event(*(j.to_message() for j in jobs))) == {"batchItemFailures": []}
        jobs = queued(url)


def sub_item(table: str, sub_id: str) -> dict[str, Any] | None:
    key = {"pk": {"S": subscription_pk(sub_id)}, "sk": {"S": SUB_SK}}
    item: dict[str, Any] | None = (
        boto3.client("dynamodb").get_item(TableName=table, Key=key).get("Item")
    )
    return item


def member_items(table: str, sub_id: str) -> list[dict[str, Any]]:
    ddb = boto3.client("dynamodb")
    found = []
    for topic in TOPICS:
        key = {"pk": {"S": topic_pk(topic, 0)}, "sk": {"S": topic_member_sk(sub_id)}}
        item = ddb.get_item(TableName=table, Key=key).get("Item")
        if item:
            found.append(item)
    return found


def test_an_endpoint_failing_every_version_is_retired_after_the_bound(
    service: PushService,  # noqa: F811
    table: str,
    retire_after_three: str,
) -> None:
    dead, fine = service.new_subscriber("dead"), service.new_subscriber("fine")
    dead.respond_with(500)
    dead_id = subscribe(table, dead, topics=TOPICS)
    subscribe(table, fine)

    send_version(1, retire_after_three)
    # Every retry spent on the first failed version (PUSH_MAX_ATTEMPTS 3).
    assert len(dead.attempts) == 3
    item = sub_item(table, dead_id)
    assert item is not None
    assert item["failure_count"] == {"N": "1"}
    assert [m.get("failing") for m in member_items(table, dead_id)] == [{"BOOL": True}] * 2

    send_version(2, retire_after_three)
    # A failing subscription gets one attempt per version.
    assert len(dead.attempts) == 4
    assert sub_item(table, dead_id) is not None

    send_version(3, retire_after_three)
    assert len(dead.attempts) == 5
    assert sub_item(table, dead_id) is None
    assert member_items(table, dead_id) == []

    send_version(4, retire_after_three)
    assert len(dead.attempts) == 5
    assert len(fine.deliveries) == 4


def test_a_version_reported_twice_counts_once(table: str) -> None:
    store = SubscriptionStore(table, topic_shards=1)
    now = datetime.now(UTC)
    sub_id = "ab" * 16
    store.put(
        Subscription(
            sub_id=sub_id,
            endpoint="https://fcm.googleapis.com/fcm/send/twice",
            p256dh="p" * 87,
            auth="a" * 22,
            topics=TOPICS,
            created_at=now,
            updated_at=now,
        )
    )

    first = store.record_failed_version(sub_id, "storm#4", now=now)
    again = store.record_failed_version(sub_id, "storm#4", now=now + timedelta(hours=1))
    later = store.record_failed_version(sub_id, "storm#5", now=now + timedelta(hours=2))

    assert first is not None
    assert first.versions == 1
    assert again is None
    assert later is not None
    assert (later.versions, later.since) == (2, now)
    assert store.record_failed_version("0" * 32, "storm#5", now=now) is None


def test_a_success_ends_the_streak_and_healthy_pushes_write_nothing(
    service: PushService,  # noqa: F811
    table: str,
    retire_after_three: str,
    subscription_writes: list[dict[str, Any]],
) -> None:
    flaky = service.new_subscriber("flaky")
    flaky.respond_with(503, times=3)
    flaky_id = subscribe(table, flaky, topics=TOPICS)
    healthy = [service.new_subscriber(f"reader-{n}") for n in range(5)]
    for s in healthy:
        subscribe(table, s)

    send_version(1, retire_after_three)
    assert sub_item(table, flaky_id)["failure_count"] == {"N": "1"}  # type: ignore[index]
    send_version(2, retire_after_three)
    item = sub_item(table, flaky_id)
    assert item is not None
    assert item["failure_count"] == {"N": "0"}
    assert "confirmed_at" in item
    assert "failing_since" not in item
    assert all("failing" not in m for m in member_items(table, flaky_id))
    assert len(flaky.deliveries) == 1

    written = {p["Key"]["pk"]["S"].split("#")[1] for p in subscription_writes}
    assert written <= {flaky_id, "all", "article:2026-harbour-storm-closes-ferries"}
    before = len(subscription_writes)
    send_version(3, retire_after_three)
    assert len(subscription_writes) == before
    assert all(len(s.deliveries) == 3 for s in healthy)
