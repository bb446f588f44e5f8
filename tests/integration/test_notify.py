"""NotifyFunction on moto: stream records of new versions become push jobs on the queue, once."""

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from functions.notify.app import lambda_handler
from stoppress.articles.items import version_from_item, version_to_item
from stoppress.articles.model import Audience, ChangeKind
from stoppress.contracts.jobs import PushJob
from stoppress.contracts.keys import article_pk
from stoppress.core import warm
from stoppress.notify.payload import build_payload
from stoppress.webpush.headers import topic_header
from stoppress_dev.eventfilter import matches
from tests.fakes.lambda_context import lambda_context

EVENTS = Path(__file__).resolve().parents[2] / "events"
SITE = "https://news.example"
SHARDS = 4
# The sample new version goes to everyone and to the followers of its two tags.
# Its jobs: one per partition of each topic (fewer than eight shards: as many as shards).
NEW_STORY_JOBS = [(t, s) for t in ("all", "tag:world", "tag:nato") for s in range(SHARDS)]
# The NotifyFunction event source's filter (the contract every deployment uses).
NOTIFY_FILTER = {
    "eventName": ["INSERT"],
    "dynamodb": {
        "Keys": {"sk": {"S": [{"prefix": "VERSION#"}]}},
        "NewImage": {"audience": {"S": [{"anything-but": ["none"]}]}},
    },
}


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


def image_of(record: dict[str, Any]) -> dict[str, Any]:
    d = TypeDeserializer()
    return {k: d.deserialize(v) for k, v in record["dynamodb"]["NewImage"].items()}


@pytest.fixture
def queue_url(table: str, monkeypatch: pytest.MonkeyPatch) -> str:
    url = boto3.client("sqs").create_queue(QueueName="push-jobs")["QueueUrl"]
    monkeypatch.setenv("PUSH_QUEUE_URL", url)
    cooldown = boto3.client("sqs").create_queue(QueueName="cooldown")["QueueUrl"]
    monkeypatch.setenv("COOLDOWN_QUEUE_URL", cooldown)
    monkeypatch.setenv("SITE_BASE_URL", SITE)
    monkeypatch.setenv("TOPIC_SHARDS", str(SHARDS))
    return url


def drain(url: str) -> list[PushJob]:
    sqs = boto3.client("sqs")
    jobs: list[PushJob] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return jobs
        for m in messages:
            jobs.append(PushJob.from_message(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def ledger_items(table: str, article_id: str) -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :job)",
        ExpressionAttributeValues={":pk": {"S": article_pk(article_id)}, ":job": {"S": "JOB#"}},
    )["Items"]
    return items


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = lambda_handler(event, lambda_context("NotifyFunction"))
    return result


@pytest.mark.parametrize("name", ["stream-new-version.json", "stream-update-followers.json"])
def test_sample_events_pass_the_notify_filter(name: str) -> None:
    for record in load_event(name)["Records"]:
        assert matches(NOTIFY_FILTER, record)


def test_new_version_becomes_one_job_per_shard_of_topic_all_and_of_its_tags(
    queue_url: str, table: str
) -> None:
    event = load_event("stream-new-version.json")
    version = version_from_item(image_of(event["Records"][0]))
    assert version.tags == ("world", "nato")

    assert invoke(event) == {"batchItemFailures": []}

    jobs = sorted(drain(queue_url), key=lambda j: (j.topic, j.shard))
    assert [(j.topic, j.shard) for j in jobs] == sorted(NEW_STORY_JOBS)
    expected = build_payload(version, site_base_url=SITE)
    assert expected["notification"]["navigate"] == f"{SITE}/articles/nato-resumes-contacts"
    for job in jobs:
        assert job.article_id == "nato-resumes-contacts"
        assert job.version == 1
        assert job.payload == expected
        assert job.ttl == 43_200  # normal urgency (PushTtlNormalSeconds)
        assert job.topic_header == topic_header("nato-resumes-contacts")
        assert job.recipients is None
    entries = ledger_items(table, "nato-resumes-contacts")
    assert sorted(c["sk"]["S"] for c in entries) == sorted(
        f"JOB#000001#{t}#{s}" for t, s in NEW_STORY_JOBS
    )
    assert all(int(c["expires_at"]["N"]) > 0 for c in entries)


def test_update_goes_to_the_storys_followers(queue_url: str) -> None:
    assert invoke(load_event("stream-update-followers.json")) == {"batchItemFailures": []}

    jobs = drain(queue_url)
    assert sorted((j.topic, j.shard) for j in jobs) == [
        ("article:nato-resumes-contacts", s) for s in range(SHARDS)
    ]
    assert {j.payload["article"]["change"] for j in jobs} == {"update"}
    assert {j.payload["notification"]["title"] for j in jobs} == {
        "NATO and Russia Agree to Restore Full Ties"
    }


def test_a_record_delivered_twice_enqueues_its_jobs_once(queue_url: str) -> None:
    event = load_event("stream-new-version.json")

    assert invoke(event) == {"batchItemFailures": []}
    assert invoke(copy.deepcopy(event)) == {"batchItemFailures": []}
    twice_in_one_batch = {"Records": event["Records"] * 2}
    assert invoke(twice_in_one_batch) == {"batchItemFailures": []}

    jobs = drain(queue_url)
    assert len(jobs) == len(NEW_STORY_JOBS)
    assert len({j.job_id for j in jobs}) == len(jobs)


def test_a_bad_record_fails_alone(queue_url: str) -> None:
    good = load_event("stream-new-version.json")["Records"][0]
    other = load_event("stream-update-followers.json")["Records"][0]
    bad = copy.deepcopy(good)
    del bad["dynamodb"]["NewImage"]["headline"]
    bad["dynamodb"]["SequenceNumber"] = "4421584500000000017450439092"

    result = invoke({"Records": [good, bad, other]})

    assert result == {"batchItemFailures": [{"itemIdentifier": "4421584500000000017450439092"}]}
    assert sorted((j.topic, j.shard) for j in drain(queue_url)) == sorted(
        NEW_STORY_JOBS + [("article:nato-resumes-contacts", s) for s in range(SHARDS)]
    )


def test_audience_none_and_other_records_send_nothing(queue_url: str, table: str) -> None:
    good = load_event("stream-new-version.json")["Records"][0]
    silent = copy.deepcopy(good)
    silent["dynamodb"]["NewImage"]["audience"] = {"S": "none"}
    modify = copy.deepcopy(good)
    modify["eventName"] = "MODIFY"
    head = copy.deepcopy(good)
    head["dynamodb"]["Keys"]["sk"] = {"S": "HEAD"}
    head["dynamodb"]["NewImage"]["sk"] = {"S": "HEAD"}
    remove = copy.deepcopy(good)
    remove["eventName"] = "REMOVE"
    remove["dynamodb"]["OldImage"] = remove["dynamodb"].pop("NewImage")
    records = [silent, modify, head, remove]
    assert not any(matches(NOTIFY_FILTER, r) for r in records)

    assert invoke({"Records": records}) == {"batchItemFailures": []}

    assert drain(queue_url) == []
    assert ledger_items(table, "nato-resumes-contacts") == []


def test_refused_jobs_leave_the_ledger_so_a_retry_sends_them(
    queue_url: str, table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = load_event("stream-new-version.json")
    other = load_event("stream-update-followers.json")["Records"][0]
    monkeypatch.setenv("PUSH_QUEUE_URL", queue_url.replace("push-jobs", "no-such-queue"))

    # The whole batch failing raises, so Lambda retries it (and bisects) as a function error.
    with pytest.raises(BatchProcessingError):
        invoke({"Records": [*event["Records"], other]})
    assert ledger_items(table, "nato-resumes-contacts") == []

    monkeypatch.setenv("PUSH_QUEUE_URL", queue_url)
    warm.reset()
    assert invoke({"Records": [*event["Records"], other]}) == {"batchItemFailures": []}
    assert len(drain(queue_url)) == len(NEW_STORY_JOBS) + SHARDS


def stream_records(table: str) -> Iterator[dict[str, Any]]:
    """The table's stream as Lambda hands it over (epoch times, the source ARN added)."""
    ddb = boto3.client("dynamodb")
    arn = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    streams = boto3.client("dynamodbstreams")
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        for record in streams.get_records(ShardIterator=iterator)["Records"]:
            change = dict(record["dynamodb"])
            change["ApproximateCreationDateTime"] = int(
                change["ApproximateCreationDateTime"].timestamp()
            )
            yield {**record, "dynamodb": change, "eventSourceARN": arn}


def test_records_from_the_tables_own_stream(queue_url: str, table: str) -> None:
    version = version_from_item(image_of(load_event("stream-new-version.json")["Records"][0]))
    quiet = version.model_copy(
        update={"number": 2, "change": ChangeKind.CORRECTION, "audience": Audience.NONE}
    )
    serializer = TypeSerializer()
    ddb = boto3.client("dynamodb")
    for v in (version, quiet):
        item = {k: serializer.serialize(x) for k, x in version_to_item(v).items()}
        ddb.put_item(TableName=table, Item=item)

    records = list(stream_records(table))
    assert [matches(NOTIFY_FILTER, r) for r in records] == [True, False]
    assert invoke({"Records": records}) == {"batchItemFailures": []}

    jobs = drain(queue_url)
    assert sorted((j.topic, j.shard, j.version) for j in jobs) == sorted(
        (t, s, 1) for t, s in NEW_STORY_JOBS
    )
