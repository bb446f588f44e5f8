"""SendFunction under faults in push services, SSM, DynamoDB and SQS, then the retry.

Three readers share a shard; one of them (or the whole job) meets the fault.
Two ways a send is tried again:

- "retry job": the push service's answer asked for it (429, 5xx, a timeout, a
  reset connection): those recipients alone go back on the queue as a delayed
  job, which is then run;
- "redelivered": the record failed (a dependency of the job itself), SQS
  delivers the message again after its visibility timeout, by when the job's
  lease has run out.

Either way, once the retry has run, each reader has the push exactly once
(or, for a gone or refused endpoint, never), the DELIVERY counters say
exactly what happened, nothing more is queued, and the original message
delivered once more sends nothing.
"""

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, Literal

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from moto.sqs import models as sqs_models

from functions.send import app
from stoppress.contracts.jobs import PushJob
from stoppress.contracts.keys import subscription_id
from stoppress.send.claims import SendClaims
from stoppress.send.delivery_stats import DeliveryStats
from stoppress.send.model import SendOptions
from stoppress.subscriptions.model import Subscription
from stoppress.subscriptions.table import SubscriptionStore
from stoppress_dev.pushservice import PushService, Subscriber
from stoppress_dev.vapid import store_vapid_keys
from tests.fakes.lambda_context import lambda_context
from tests.faults.inject import (
    INTERNAL_SERVER_ERROR,
    SQS_THROTTLED,
    SSM_NOT_FOUND,
    THROTTLING,
    THROUGHPUT_EXCEEDED,
    Action,
    Fault,
    answer_lost,
    inject,
    key_sk_starts,
    raising,
    read_timeout,
    unreachable,
)
from tests.integration.test_send import sample_job, sqs_event

PRIVATE_PARAMETER = "/stoppress/faults/vapid/private-key"
PUBLIC_PARAMETER = "/stoppress/faults/vapid/public-key"
REQUEST_TIMEOUT = 0.5
MAX_ATTEMPTS = 2
# template.yaml: PushJobsQueue's VisibilityTimeout (longer than a claim's lease).
VISIBILITY_TIMEOUT = 1800
# PushQueue tries a batch this many times before it gives up.
QUEUE_ATTEMPTS = 3
BIG_ANSWER = 5 * 1024 * 1024

Outcome = Literal["sent", "retry job", "final", "redelivered", "absorbed"]


@dataclass(frozen=True)
class Counts:
    sent: int
    expired: int = 0
    failed: int = 0
    retried: int = 0


@dataclass(frozen=True)
class PushRow:
    """One reader's push service misbehaves."""

    fault: str
    apply: Callable[[Subscriber], None]
    outcome: Outcome
    counts: Counts
    # How many times the faulty reader ends up with the push.
    deliveries: int = 1
    # A Retry-After the retry job's delay must honour (seconds).
    delay_at_least: int = 0


PUSH_MATRIX = [
    PushRow("500", lambda s: s.respond_with(500, times=1), "retry job", Counts(3, retried=1)),
    PushRow("503 + Retry-After", lambda s: s.respond_with(503, retry_after=120, times=1),
            "retry job", Counts(3, retried=1), delay_at_least=120),
    PushRow("429 + Retry-After", lambda s: s.respond_with(429, retry_after=120, times=1),
            "retry job", Counts(3, retried=1), delay_at_least=120),
    PushRow("hangs past the timeout", lambda s: s.hang(times=1), "retry job",
            Counts(3, retried=1)),
    PushRow("resets the connection", lambda s: s.reset_connection(times=1), "retry job",
            Counts(3, retried=1)),
    PushRow("answers slowly, within the timeout", lambda s: s.answer_slowly(150, times=1),
            "sent", Counts(3)),
    PushRow("oversize answer body, 201", lambda s: s.respond_with(201, answer_bytes=BIG_ANSWER,
            times=1), "sent", Counts(3)),
    PushRow("oversize answer body, 503", lambda s: s.respond_with(503, answer_bytes=BIG_ANSWER,
            times=1), "retry job", Counts(3, retried=1)),
    PushRow("413 once", lambda s: s.respond_with(413, times=1), "sent", Counts(3)),
    PushRow("410 gone", lambda s: s.respond_with(410), "final", Counts(2, expired=1),
            deliveries=0),
    PushRow("500 until attempts run out", lambda s: s.respond_with(500), "retry job",
            Counts(2, failed=1, retried=1), deliveries=0),
]  # fmt: skip


CLAIM = key_sk_starts("SEND#")
STATS = key_sk_starts("DELIVERY#")


def _claiming(params: Mapping[str, Any]) -> bool:
    return CLAIM(params) and "attribute_not_exists" in params.get("ConditionExpression", "")


def _completing(params: Mapping[str, Any]) -> bool:
    return CLAIM(params) and ":done" in params.get("UpdateExpression", "")


def _second_page(params: Mapping[str, Any]) -> bool:
    return "ExclusiveStartKey" in params


@dataclass(frozen=True)
class AwsRow:
    """A dependency of the job itself fails."""

    dependency: str
    fault: str
    operation: str
    action: Action
    outcome: Outcome
    times: int = 1
    when: Callable[[Mapping[str, Any]], bool] | None = None
    # The faulty reader's push service answers this first (a retry job or a deletion to write).
    reader_answers: int | None = None


AWS_MATRIX = [
    AwsRow("SSM", "VAPID key missing", "GetParameter", raising(SSM_NOT_FOUND), "redelivered"),
    AwsRow("SSM", "throttled", "GetParameter", raising(THROTTLING), "redelivered"),
    AwsRow("SSM", "unreachable", "GetParameter", raising(unreachable), "redelivered"),
    AwsRow("DynamoDB", "claim: throughput exceeded", "UpdateItem", raising(THROUGHPUT_EXCEEDED),
           "redelivered", when=_claiming),
    AwsRow("DynamoDB", "claim: unreachable", "UpdateItem", raising(unreachable), "redelivered",
           when=_claiming),
    AwsRow("DynamoDB", "claim: applied, answer lost", "UpdateItem", answer_lost(read_timeout),
           "redelivered", when=_claiming),
    AwsRow("DynamoDB", "members, first page: throttled", "Query", raising(THROTTLING),
           "redelivered"),
    AwsRow("DynamoDB", "members, first page: 500", "Query", raising(INTERNAL_SERVER_ERROR),
           "redelivered"),
    AwsRow("DynamoDB", "members, second page: throttled", "Query", raising(THROTTLING),
           "redelivered", when=_second_page),
    AwsRow("DynamoDB", "delivery stats: throughput exceeded", "UpdateItem",
           raising(THROUGHPUT_EXCEEDED), "absorbed", when=STATS),
    AwsRow("DynamoDB", "claim completion: throttled", "UpdateItem", raising(THROTTLING),
           "redelivered", when=_completing),
    AwsRow("DynamoDB", "gone subscription delete: throttled", "TransactWriteItems",
           raising(THROTTLING), "absorbed", reader_answers=410),
    AwsRow("SQS", "retry job: throttled", "SendMessageBatch", raising(SQS_THROTTLED),
           "absorbed", times=QUEUE_ATTEMPTS, reader_answers=500),
    AwsRow("SQS", "retry job: unreachable", "SendMessageBatch", raising(unreachable),
           "absorbed", times=QUEUE_ATTEMPTS, reader_answers=500),
]  # fmt: skip


# -- the stage under test ------------------------------------------------------------


@dataclass
class Stage:
    service: PushService
    table: str
    queue_url: str
    # Seconds added to the claims' clock: SQS redelivers only after the visibility timeout.
    later: list[float]

    def reader(self, name: str) -> Subscriber:
        subscriber = self.service.new_subscriber(name)
        info = subscriber.subscription_info()
        now = datetime.now(UTC)
        SubscriptionStore(self.table, topic_shards=1).put(
            Subscription(
                sub_id=subscription_id(info["endpoint"]),
                endpoint=info["endpoint"],
                p256dh=info["keys"]["p256dh"],
                auth=info["keys"]["auth"],
                topics=("all",),
                created_at=now,
                updated_at=now,
            )
        )
        return subscriber

    def invoke(self, body: str) -> dict[str, Any] | None:
        """The partial batch response; None when the only record failed (the batch raised)."""
        context = lambda_context("SendFunction", memory_mb=1024, timeout_seconds=300)
        try:
            result: dict[str, Any] = app.lambda_handler(sqs_event(body), context)
        except BatchProcessingError:
            return None
        return result

    def queued(self, after_seconds: float) -> list[PushJob]:
        """Jobs visible ``after_seconds`` from now (delayed ones become visible)."""
        real = sqs_models.unix_time_millis
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(sqs_models, "unix_time_millis", lambda: real() + after_seconds * 1000)
            messages = (
                boto3.client("sqs")
                .receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
                .get("Messages", [])
            )
        return [PushJob.from_message(m["Body"]) for m in messages]

    def counts(self, job: PushJob) -> Counts:
        stats = DeliveryStats(self.table).get(job.article_id, job.version)
        assert stats is not None
        return Counts(stats["sent"], stats["expired"], stats["failed"], stats["retried"])


@pytest.fixture
def stage(table: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stage]:
    url = boto3.client("sqs").create_queue(QueueName="push-jobs")["QueueUrl"]
    for name, value in {
        "PUSH_QUEUE_URL": url,
        "VAPID_PRIVATE_KEY_PARAMETER": PRIVATE_PARAMETER,
        "VAPID_SUBJECT": "mailto:newsroom@news.example",
        "ALLOW_LOOPBACK_PUSH_ENDPOINTS": "true",
        "PUSH_REQUEST_TIMEOUT": str(REQUEST_TIMEOUT),
        "PUSH_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
    }.items():
        monkeypatch.setenv(name, value)
    later = [0.0]
    monkeypatch.setattr(
        app, "SendClaims", partial(SendClaims, clock=lambda: time.time() + later[0])
    )
    public_key = store_vapid_keys(PRIVATE_PARAMETER, PUBLIC_PARAMETER)
    with PushService(vapid_public_key=public_key) as service:
        yield Stage(service, table, url, later)


def finish(stage: Stage, body: str, readers: list[Subscriber], expected: list[int]) -> None:
    """Nothing more is queued, a late copy of the message sends nothing, deliveries are exact."""
    assert stage.queued(after_seconds=901) == []
    stage.later[0] += VISIBILITY_TIMEOUT
    assert stage.invoke(body) == {"batchItemFailures": []}
    assert [len(r.deliveries) for r in readers] == expected


@pytest.mark.parametrize("row", PUSH_MATRIX, ids=lambda r: f"push service: {r.fault}")
def test_push_service_fault_then_retry(row: PushRow, stage: Stage) -> None:
    readers = [stage.reader(name) for name in ("ann", "bob", "cat")]
    row.apply(readers[2])
    job = sample_job()
    body = job.to_message()

    assert stage.invoke(body) == {"batchItemFailures": []}
    assert [len(r.deliveries) for r in readers[:2]] == [1, 1]

    if row.outcome == "retry job":
        assert readers[2].deliveries == []
        if row.delay_at_least:
            assert stage.queued(after_seconds=row.delay_at_least - 5) == []
        [retry] = stage.queued(after_seconds=901)
        assert (retry.attempt, [r.endpoint for r in retry.recipients or ()]) == (
            1,
            [readers[2].endpoint],
        )
        assert stage.invoke(retry.to_message()) == {"batchItemFailures": []}
    finish(stage, body, readers, [1, 1, row.deliveries])
    assert stage.counts(job) == row.counts
    if row.fault == "413 once":
        [delivery] = readers[2].deliveries
        assert delivery.payload is not None
        assert delivery.payload["article"] == job.payload["article"]


def aws_param(row: AwsRow) -> Any:
    return pytest.param(row, id=f"{row.dependency}: {row.fault}")


@pytest.mark.parametrize("row", [aws_param(r) for r in AWS_MATRIX])
def test_dependency_fault_then_redelivery(
    row: AwsRow, stage: Stage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pages of two readers, so a fault can fall between pages.
    monkeypatch.setattr(app, "SendOptions", partial(SendOptions, page_size=2))
    readers = [stage.reader(name) for name in ("ann", "bob", "cat")]
    if row.reader_answers is not None:
        readers[2].respond_with(row.reader_answers, times=1)
    job = sample_job()
    body = job.to_message()

    with inject(Fault(row.operation, row.action, times=row.times, when=row.when)) as (fault,):
        if row.outcome == "absorbed":  # written again within the invocation
            assert stage.invoke(body) == {"batchItemFailures": []}
        else:
            assert stage.invoke(body) is None  # the record failed: SQS delivers it again
    assert fault.hits == row.times

    stage.later[0] += VISIBILITY_TIMEOUT
    assert stage.invoke(body) == {"batchItemFailures": []}
    expected, counts = [1, 1, 1], Counts(3)
    if row.reader_answers == 410:
        expected, counts = [1, 1, 0], Counts(2, expired=1)
    # The reader who answered 500 may be waiting in a retry job of the redelivery's.
    for retry in stage.queued(after_seconds=901):
        assert stage.invoke(retry.to_message()) == {"batchItemFailures": []}
        counts = Counts(counts.sent, retried=counts.retried + len(retry.recipients or ()))
    finish(stage, body, readers, expected)
    assert stage.counts(job) == counts
