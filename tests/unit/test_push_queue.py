"""Putting push jobs on SQS: batches of ten, partial failures retried, the rest reported."""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

import boto3
import pytest
from botocore.stub import ANY, Stubber

from stoppress.articles.model import Audience, ChangeKind, SourceObject, Version
from stoppress.aws.push_queue import PushQueue
from stoppress.contracts.jobs import EnqueueError, PushJob
from stoppress.notify.planning import plan_fanout

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

URL = "https://sqs.us-east-1.amazonaws.com/123456789012/push-jobs"
CREATED = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


def jobs(count: int) -> list[PushJob]:
    version = Version(
        article_id="storm-warning",
        number=1,
        headline="Storm warning",
        summary="Gusts tonight.",
        change=ChangeKind.NEW,
        audience=Audience.ALL,
        content_hash="a" * 64,
        source=SourceObject(bucket="b", key="articles/storm-warning.md", event_time=CREATED),
        created_at=CREATED,
    )
    return plan_fanout(version, shards=count, site_base_url="https://news.example")


@pytest.fixture
def sqs() -> Iterator[Stubber]:
    client = boto3.client("sqs", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def queue(stubber: Stubber) -> PushQueue:
    return PushQueue(URL, cast("SQSClient", stubber.client), backoff_seconds=0)


def entries(batch: list[PushJob], ids: list[int], delay: int | None = None) -> list[dict]:
    out = []
    for i in ids:
        entry: dict[str, Any] = {"Id": str(i), "MessageBody": batch[i].to_message()}
        if delay is not None:
            entry["DelaySeconds"] = delay
        out.append(entry)
    return out


def ok(ids: list[int]) -> list[dict]:
    return [{"Id": str(i), "MessageId": f"m{i}", "MD5OfMessageBody": "x"} for i in ids]


def test_jobs_go_in_batches_of_ten_with_the_delay(sqs: Stubber) -> None:
    planned = jobs(23)
    for start, size in ((0, 10), (10, 10), (20, 3)):
        batch = planned[start : start + size]
        sqs.add_response(
            "send_message_batch",
            {"Successful": ok(list(range(size))), "Failed": []},
            {"QueueUrl": URL, "Entries": entries(batch, list(range(size)), delay=30)},
        )

    assert queue(sqs).enqueue(planned, delay_seconds=30) == 23


def test_failed_entries_are_retried_alone(sqs: Stubber) -> None:
    planned = jobs(5)
    sqs.add_response(
        "send_message_batch",
        {
            "Successful": ok([0, 2, 4]),
            "Failed": [
                {"Id": "1", "SenderFault": False, "Code": "InternalError"},
                {"Id": "3", "SenderFault": False, "Code": "ServiceUnavailable"},
            ],
        },
        {"QueueUrl": URL, "Entries": entries(planned, [0, 1, 2, 3, 4])},
    )
    sqs.add_response(
        "send_message_batch",
        {"Successful": ok([1, 3]), "Failed": []},
        {"QueueUrl": URL, "Entries": entries(planned, [1, 3])},
    )

    assert queue(sqs).enqueue(planned) == 5


def test_entries_still_failing_are_reported(sqs: Stubber) -> None:
    planned = jobs(3)
    sqs.add_response(
        "send_message_batch",
        {
            "Successful": ok([0]),
            "Failed": [
                {"Id": "1", "SenderFault": True, "Code": "InvalidParameterValue"},
                {"Id": "2", "SenderFault": False, "Code": "InternalError"},
            ],
        },
        {"QueueUrl": URL, "Entries": ANY},
    )
    # The sender fault is not retried; the other entry is, until attempts run out.
    for _ in range(2):
        sqs.add_response(
            "send_message_batch",
            {
                "Successful": [],
                "Failed": [{"Id": "2", "SenderFault": False, "Code": "InternalError"}],
            },
            {"QueueUrl": URL, "Entries": entries(planned, [2])},
        )

    with pytest.raises(EnqueueError) as caught:
        queue(sqs).enqueue(planned)

    assert sorted(j.shard for j in caught.value.not_enqueued) == [1, 2]


def test_a_refused_call_reports_every_job_of_the_batch(sqs: Stubber) -> None:
    planned = jobs(12)
    sqs.add_client_error(
        "send_message_batch",
        service_error_code="AWS.SimpleQueueService.NonExistentQueue",
        http_status_code=400,
    )
    sqs.add_response("send_message_batch", {"Successful": ok([0, 1]), "Failed": []})

    with pytest.raises(EnqueueError) as caught:
        queue(sqs).enqueue(planned)

    assert [j.shard for j in caught.value.not_enqueued] == list(range(10))


def test_delay_is_bounded(sqs: Stubber) -> None:
    with pytest.raises(ValueError, match="delay_seconds"):
        queue(sqs).enqueue(jobs(1), delay_seconds=901)
