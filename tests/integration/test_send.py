"""SendFunction against the local push service (real HTTP, real encryption) and moto."""

import copy
import hashlib
import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from functions.send import app
from stoppress.contracts.jobs import PushJob
from stoppress.contracts.keys import SUB_SK, subscription_id, subscription_pk, topic_pk
from stoppress.send.delivery_stats import DeliveryStats
from stoppress.subscriptions.table import SubscriptionStore
from stoppress_dev.lambda_events import LambdaContext
from stoppress_dev.pushservice import PushService, Subscriber
from stoppress_dev.vapid import store_vapid_keys
from tests.fakes.lambda_context import lambda_context

EVENTS = Path(__file__).resolve().parents[2] / "events"
PRIVATE_PARAMETER = "/stoppress/test/vapid/private-key"
PUBLIC_PARAMETER = "/stoppress/test/vapid/public-key"


@pytest.fixture
def queue_url(table: str, monkeypatch: pytest.MonkeyPatch) -> str:
    url = boto3.client("sqs").create_queue(QueueName="push-jobs")["QueueUrl"]
    monkeypatch.setenv("PUSH_QUEUE_URL", url)
    monkeypatch.setenv("VAPID_PRIVATE_KEY_PARAMETER", PRIVATE_PARAMETER)
    monkeypatch.setenv("VAPID_SUBJECT", "mailto:newsroom@news.example")
    monkeypatch.setenv("ALLOW_LOOPBACK_PUSH_ENDPOINTS", "true")
    monkeypatch.setenv("PUSH_REQUEST_TIMEOUT", "1")
    monkeypatch.setenv("PUSH_MAX_ATTEMPTS", "3")
    return url


@pytest.fixture
def vapid_public_key(queue_url: str) -> str:
    return store_vapid_keys(PRIVATE_PARAMETER, PUBLIC_PARAMETER)


@pytest.fixture
def service(vapid_public_key: str) -> Iterator[PushService]:
    with PushService(vapid_public_key=vapid_public_key) as running:
        yield running


def subscribe(table: str, subscriber: Subscriber, topics: tuple[str, ...] = ("all",)) -> str:
    from stoppress.subscriptions.model import Subscription

    info = subscriber.subscription_info()
    now = datetime.now(UTC)
    sub_id = subscription_id(info["endpoint"])
    SubscriptionStore(table, topic_shards=1).put(
        Subscription(
            sub_id=sub_id,
            endpoint=info["endpoint"],
            p256dh=info["keys"]["p256dh"],
            auth=info["keys"]["auth"],
            topics=topics,
            created_at=now,
            updated_at=now,
        )
    )
    return sub_id


def sample_job() -> PushJob:
    event = json.loads((EVENTS / "sqs-push-job.json").read_text())
    return PushJob.from_message(event["Records"][0]["body"])


def sqs_event(*bodies: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"msg-{i}-{hashlib.sha256(body.encode()).hexdigest()[:12]}",
                "receiptHandle": f"handle-{i}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:push-jobs",
                "awsRegion": "us-east-1",
            }
            for i, body in enumerate(bodies)
        ]
    }


def send_context(timeout_seconds: float = 300) -> LambdaContext:
    return lambda_context("SendFunction", memory_mb=1024, timeout_seconds=timeout_seconds)


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = app.lambda_handler(event, send_context())
    return result


def queued(url: str) -> list[PushJob]:
    """Every job on the queue, delayed ones too: moto's clock is moved past SQS's longest delay."""
    from moto.sqs import models as sqs_models

    real = sqs_models.unix_time_millis
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sqs_models, "unix_time_millis", lambda: real() + 901_000)
        messages = (
            boto3.client("sqs")
            .receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
            .get("Messages", [])
        )
    return [PushJob.from_message(m["Body"]) for m in messages]


def delayed_count(url: str) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessagesDelayed"])


def test_sample_job_reaches_every_subscriber_decrypted_with_conforming_headers(
    service: PushService, table: str, vapid_public_key: str
) -> None:
    subscribers = [service.new_subscriber(f"reader-{n}") for n in range(5)]
    for s in subscribers:
        subscribe(table, s)
    job = sample_job()

    assert invoke(sqs_event(job.to_message())) == {"batchItemFailures": []}

    for s in subscribers:
        [delivery] = s.deliveries
        assert delivery.payload == job.payload
        assert set(delivery.payload) == {"web_push", "notification", "article"}
        headers = delivery.headers
        assert headers["ttl"] == "86400"
        assert headers["urgency"] == "high"
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,32}", headers["topic"])
        assert headers["topic"] == job.topic_header
        assert headers["content-encoding"] == "aes128gcm"
        assert headers["authorization"].endswith(f"k={vapid_public_key}")
    stats = DeliveryStats(table).get(job.article_id, job.version)
    assert stats is not None
    assert (stats["sent"], stats["expired"], stats["failed"], stats["retried"]) == (5, 0, 0, 0)


def test_a_gone_subscription_is_removed_with_its_memberships(
    service: PushService, table: str
) -> None:
    gone, kept = service.new_subscriber("gone"), service.new_subscriber("kept")
    gone.respond_with(410)
    gone_id = subscribe(table, gone, topics=("all", "article:2026-harbour-storm-closes-ferries"))
    subscribe(table, kept)
    job = sample_job()

    assert invoke(sqs_event(job.to_message())) == {"batchItemFailures": []}

    ddb = boto3.client("dynamodb")
    key = {"pk": {"S": subscription_pk(gone_id)}, "sk": {"S": SUB_SK}}
    assert "Item" not in ddb.get_item(TableName=table, Key=key)
    for topic in ("all", "article:2026-harbour-storm-closes-ferries"):
        members = ddb.query(
            TableName=table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": topic_pk(topic, 0)}},
        )["Items"]
        assert gone_id not in {m["sub_id"]["S"] for m in members}
    assert len(kept.deliveries) == 1
    stats = DeliveryStats(table).get(job.article_id, job.version)
    assert stats is not None
    assert (stats["sent"], stats["expired"]) == (1, 1)


def test_throttled_and_failing_endpoints_are_retried_later_without_duplicates(
    service: PushService, table: str, queue_url: str
) -> None:
    throttled, broken, fine = (service.new_subscriber(n) for n in ("throttled", "broken", "fine"))
    throttled.respond_with(429, retry_after=40, times=1)
    broken.respond_with(500, times=1)
    for s in (throttled, broken, fine):
        subscribe(table, s)
    job = sample_job()

    assert invoke(sqs_event(job.to_message())) == {"batchItemFailures": []}
    assert len(fine.deliveries) == 1
    assert (throttled.deliveries, broken.deliveries) == ([], [])
    # The retry job waits on the queue (DelaySeconds), invisible for now.
    assert delayed_count(queue_url) == 1
    [retry] = queued(queue_url)
    assert retry.attempt == 1
    assert retry.recipients is not None
    assert {r.endpoint for r in retry.recipients} == {throttled.endpoint, broken.endpoint}

    assert invoke(sqs_event(retry.to_message())) == {"batchItemFailures": []}

    for s in (throttled, broken, fine):
        assert len(s.deliveries) == 1, s.name
    assert len(fine.attempts) == 1
    stats = DeliveryStats(table).get(job.article_id, job.version)
    assert stats is not None
    assert (stats["sent"], stats["retried"], stats["failed"]) == (3, 2, 0)


def test_a_hung_endpoint_times_out_without_holding_up_the_others(
    service: PushService, table: str, queue_url: str
) -> None:
    hung = service.new_subscriber("hung")
    hung.hang()
    others = [service.new_subscriber(f"reader-{n}") for n in range(20)]
    for s in (hung, *others):
        subscribe(table, s)

    started = time.time()
    assert invoke(sqs_event(sample_job().to_message())) == {"batchItemFailures": []}
    finished = time.time()

    assert all(len(s.deliveries) == 1 for s in others)
    # The job waited for the hung request's 1 s timeout; everyone else had their
    # push well before that, not after it.
    assert finished - max(s.deliveries[0].received_at for s in others) >= 0.5
    assert finished - started < 5
    [retry] = queued(queue_url)
    assert [r.endpoint for r in retry.recipients or ()] == [hung.endpoint]


def test_a_redelivered_job_sends_nothing_twice(service: PushService, table: str) -> None:
    readers = [service.new_subscriber(f"reader-{n}") for n in range(4)]
    for s in readers:
        subscribe(table, s)
    body = sample_job().to_message()

    assert invoke(sqs_event(body)) == {"batchItemFailures": []}
    assert invoke(copy.deepcopy(sqs_event(body))) == {"batchItemFailures": []}
    assert invoke(sqs_event(body, body)) == {"batchItemFailures": []}

    assert [len(s.deliveries) for s in readers] == [1, 1, 1, 1]


def test_the_service_refuses_a_token_signed_with_another_key(
    table: str, queue_url: str, vapid_public_key: str
) -> None:
    from stoppress_dev.vapid import generate_vapid_keys

    _, other_public = generate_vapid_keys()
    with PushService(vapid_public_key=other_public) as strict:
        reader = strict.new_subscriber("reader")
        subscribe(table, reader)
        job = sample_job()

        assert invoke(sqs_event(job.to_message())) == {"batchItemFailures": []}

        assert reader.deliveries == []
        assert [a.status for a in reader.attempts] == [403]
    stats = DeliveryStats(table).get(job.article_id, job.version)
    assert stats is not None
    assert (stats["sent"], stats["failed"]) == (0, 1)


def test_two_sender_processes_share_a_job_and_reach_everyone_once(
    service: PushService, table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Forked senders write to their own copy of in-process moto, so only what
    # the push service received is checked here.
    monkeypatch.setenv("PUSH_SENDER_PROCESSES", "2")
    readers = [service.new_subscriber(f"reader-{n}") for n in range(12)]
    for s in readers:
        subscribe(table, s)

    assert invoke(sqs_event(sample_job().to_message())) == {"batchItemFailures": []}

    service.wait_for_deliveries(12, timeout=5)
    assert [len(s.deliveries) for s in readers] == [1] * 12


def test_an_invocation_short_of_time_puts_the_job_back_for_the_next_one(
    service: PushService, table: str, queue_url: str
) -> None:
    readers = [service.new_subscriber(f"reader-{n}") for n in range(3)]
    for s in readers:
        subscribe(table, s)
    body = sample_job().to_message()

    # 10 s left is less than the reserve a page needs: nothing starts, the job goes back.
    assert app.lambda_handler(sqs_event(body), send_context(timeout_seconds=10)) == {
        "batchItemFailures": []
    }
    assert all(s.deliveries == [] for s in readers)
    [again] = queued(queue_url)
    assert again.to_message() == body

    assert app.lambda_handler(sqs_event(body), send_context(timeout_seconds=250)) == {
        "batchItemFailures": []
    }
    assert [len(s.deliveries) for s in readers] == [1, 1, 1]
