"""NotifyFunction under faults in DynamoDB (the job ledger) and SQS (the push queue).

The stream event source retries a failed record, and every record after it in
the shard, from the failed record's sequence number (``ReportBatchItemFailures``);
a batch that fails whole is retried whole. "absorbed" means the function rode
the fault out itself (its own retries of a partly refused batch). After the
fault clears, the records are handed over again, and every planned push job
must be on the queue exactly once: a job sent twice with the same id is
acknowledged unsent by the sender's claim, so only the "answer lost" rows may
leave such a copy.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from functions.notify.app import lambda_handler
from stoppress.contracts.jobs import PushJob
from stoppress.contracts.keys import article_pk
from tests.fakes.lambda_context import lambda_context
from tests.faults.inject import (
    ACCESS_DENIED,
    INTERNAL_SERVER_ERROR,
    SQS_INTERNAL,
    SQS_THROTTLED,
    THROTTLING,
    THROUGHPUT_EXCEEDED,
    Action,
    Fault,
    answer_lost,
    entries_failing,
    inject,
    key_sk_starts,
    raising,
    read_timeout,
    unreachable,
)

EVENTS = Path(__file__).resolve().parents[2] / "events"
SHARDS = 4
ARTICLE_ID = "nato-resumes-contacts"
# PushQueue tries a batch this many times before it reports the rest as not enqueued.
QUEUE_ATTEMPTS = 3

Outcome = Literal["record retried", "absorbed"]


@dataclass(frozen=True)
class Row:
    dependency: str
    fault: str
    operation: str
    action: Action
    # None: for as long as the first invocation runs.
    times: int | None
    outcome: Outcome
    when: Callable[[Mapping[str, Any]], bool] | None = None
    # The queue may hold a second copy of a job (same id); the sender acknowledges it unsent.
    copies_allowed: bool = False


# One shard's ledger entry of the new story; the other shards' writes go through.
ONE_SHARD = key_sk_starts("JOB#000001#all#2")

MATRIX = [
    Row("DynamoDB", "ledger write: throughput exceeded once", "PutItem",
        raising(THROUGHPUT_EXCEEDED), 1, "absorbed", ONE_SHARD),
    Row("DynamoDB", "ledger write: throughput exceeded", "PutItem",
        raising(THROUGHPUT_EXCEEDED), None, "record retried", ONE_SHARD),
    Row("DynamoDB", "ledger write: ThrottlingException", "PutItem", raising(THROTTLING), None,
        "record retried", ONE_SHARD),
    Row("DynamoDB", "ledger write: 500", "PutItem", raising(INTERNAL_SERVER_ERROR), None,
        "record retried", ONE_SHARD),
    Row("DynamoDB", "ledger write: unreachable", "PutItem", raising(unreachable), None,
        "record retried", ONE_SHARD),
    Row("DynamoDB", "ledger write: applied, answer lost", "PutItem", answer_lost(read_timeout),
        None, "absorbed", ONE_SHARD),
    Row("DynamoDB", "ledger write: access denied", "PutItem", raising(ACCESS_DENIED), 1,
        "record retried", ONE_SHARD),
    Row("SQS", "throttled once", "SendMessageBatch", raising(SQS_THROTTLED), 1, "absorbed"),
    Row("SQS", "throttled", "SendMessageBatch", raising(SQS_THROTTLED), QUEUE_ATTEMPTS,
        "record retried"),
    Row("SQS", "500", "SendMessageBatch", raising(SQS_INTERNAL), QUEUE_ATTEMPTS,
        "record retried"),
    Row("SQS", "unreachable", "SendMessageBatch", raising(unreachable), QUEUE_ATTEMPTS,
        "record retried"),
    Row("SQS", "some entries failed once", "SendMessageBatch", entries_failing(2), 1,
        "absorbed"),
    Row("SQS", "some entries failed", "SendMessageBatch", entries_failing(2), QUEUE_ATTEMPTS,
        "record retried"),
    Row("SQS", "sent, answer lost", "SendMessageBatch", answer_lost(read_timeout),
        QUEUE_ATTEMPTS, "record retried", copies_allowed=True),
]  # fmt: skip


@pytest.fixture
def queue_url(table: str, monkeypatch: pytest.MonkeyPatch) -> str:
    url = boto3.client("sqs").create_queue(QueueName="push-jobs")["QueueUrl"]
    monkeypatch.setenv("PUSH_QUEUE_URL", url)
    cooldown = boto3.client("sqs").create_queue(QueueName="cooldown")["QueueUrl"]
    monkeypatch.setenv("COOLDOWN_QUEUE_URL", cooldown)
    monkeypatch.setenv("SITE_BASE_URL", "https://news.example")
    monkeypatch.setenv("TOPIC_SHARDS", str(SHARDS))
    return url


def stream_event() -> dict[str, Any]:
    """A new story and an update to it: two records, eight planned jobs."""
    records = [
        json.loads((EVENTS / name).read_text())["Records"][0]
        for name in ("stream-new-version.json", "stream-update-followers.json")
    ]
    return {"Records": records}


def invoke(event: dict[str, Any]) -> dict[str, Any] | None:
    """The handler's partial batch response; None when the whole batch failed."""
    try:
        result: dict[str, Any] = lambda_handler(event, lambda_context("NotifyFunction"))
    except BatchProcessingError:
        return None
    return result


def redelivered(event: dict[str, Any], result: dict[str, Any] | None) -> dict[str, Any]:
    """What the stream hands over next: from the first failed record on (all if all failed)."""
    records = event["Records"]
    if result is None:
        return event
    failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
    first = next(i for i, r in enumerate(records) if r["dynamodb"]["SequenceNumber"] in failed)
    return {"Records": records[first:]}


def drain(url: str) -> list[PushJob]:
    sqs = boto3.client("sqs")
    jobs: list[PushJob] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for m in messages:
            jobs.append(PushJob.from_message(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return jobs


def ledger_size(table: str) -> int:
    return int(
        boto3.client("dynamodb").query(
            TableName=table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :job)",
            ExpressionAttributeValues={":pk": {"S": article_pk(ARTICLE_ID)}, ":job": {"S": "JOB#"}},
            Select="COUNT",
        )["Count"]
    )


PLANNED = sorted(
    # The new story reaches everyone and the followers of its two tags.
    [(t, 1, s) for t in ("all", "tag:world", "tag:nato") for s in range(SHARDS)]
    + [(f"article:{ARTICLE_ID}", 2, s) for s in range(SHARDS)]
)


@pytest.mark.parametrize("row", MATRIX, ids=lambda r: f"{r.dependency}: {r.fault}")
def test_fault_then_redelivery(row: Row, queue_url: str, table: str) -> None:
    event = stream_event()

    with inject(Fault(row.operation, row.action, times=row.times, when=row.when)) as (fault,):
        result = invoke(event)
    assert fault.hits == row.times or (row.times is None and fault.hits > 0)

    if row.outcome == "absorbed":
        assert result == {"batchItemFailures": []}
    else:
        assert result != {"batchItemFailures": []}
        # Lambda hands the failed record (and those after it) over again.
        assert invoke(redelivered(event, result)) == {"batchItemFailures": []}
    # A stream record may always come once more: it must add nothing.
    assert invoke(event) == {"batchItemFailures": []}

    jobs = drain(queue_url)
    assert sorted({(j.topic, j.version, j.shard) for j in jobs}) == PLANNED
    if row.copies_allowed:
        assert len({j.job_id for j in jobs}) == len(PLANNED)
    else:
        assert len(jobs) == len(PLANNED)
    assert ledger_size(table) == len(PLANNED)
