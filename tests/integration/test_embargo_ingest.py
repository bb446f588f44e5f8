"""Embargoes on moto: what ingest stores and rejects, what the stream lets through to notify,
the gate item that remembers a held release, and notify holding and calling one off."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeSerializer

from functions.notify.app import lambda_handler as notify_handler
from stoppress.articles.items import version_to_item
from stoppress.articles.model import Audience, ChangeKind, SourceObject, Version
from stoppress.aws import clients
from stoppress.core.settings import IngestSettings
from stoppress.ingest.articles_table import ArticleStore
from stoppress.ingest.objects import ObjectStore
from stoppress.ingest.service import IngestOutcome, ingest_upload
from stoppress.notify.cooldown import Gate
from stoppress.notify.cooldown_table import CooldownGateTable
from stoppress_dev import template as tpl
from stoppress_dev.eventfilter import matches_any
from tests.fakes.lambda_context import lambda_context
from tests.integration.s3_events import put

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
KEY = "articles/flood-warning.txt"
STORY = "flood-warning"
LEAD = (
    "VALLEYTOWN — The river is expected to crest on Thursday morning, forecasters said, "
    "and residents of the lower town were told to move cars to higher ground."
)
MORE = (
    "Officials opened two shelters at the high school and the fire station and said buses "
    "would run every half hour from the market square until midnight."
)
TYPO = LEAD.replace("forecasters said", "forecasters sayd")


def story(*paragraphs: str, header: str = "") -> bytes:
    return (header + "Flood warning for the valley\n\n" + "\n\n".join(paragraphs) + "\n").encode()


def embargo(at: datetime) -> str:
    return f"Embargo: {at.isoformat()}\n"


@pytest.fixture
def store(table: str, bucket: str) -> ArticleStore:
    return ArticleStore(table)


def ingest(
    bucket: str, store: ArticleStore, body: bytes, *, now: datetime = NOW, **settings: Any
) -> IngestOutcome:
    upload = put(clients.s3(), bucket, KEY, body)
    source = SourceObject(
        bucket=upload.bucket,
        key=upload.key,
        version_id=upload.version_id,
        sequencer=upload.sequencer,
        event_time=upload.event_time,
    )
    return ingest_upload(
        source,
        store=store,
        objects=ObjectStore(),
        settings=IngestSettings.model_validate({"TABLE_NAME": store.table_name, **settings}),
        now=lambda: now,
    )


def stored(outcome: IngestOutcome) -> Version:
    assert outcome.status == "stored", outcome.reason
    assert outcome.version is not None
    return outcome.version


def stream_record(version: Version) -> dict[str, Any]:
    serializer = TypeSerializer()
    image = {k: serializer.serialize(v) for k, v in version_to_item(version).items()}
    return {
        "eventID": f"e{version.number}",
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "Keys": {"pk": image["pk"], "sk": image["sk"]},
            "NewImage": image,
            "SequenceNumber": str(100 + version.number),
        },
    }


def reaches_notify(version: Version) -> bool:
    """Whether the template's stream filter lets the version's INSERT through to notify."""
    patterns = tpl.stream_filter_patterns("NotifyFunction", "VersionStream")
    return matches_any(patterns, stream_record(version))


# -- ingest ----------------------------------------------------------------------------------


def test_an_embargoed_upload_is_stored_at_once_with_its_embargo(
    bucket: str, store: ArticleStore
) -> None:
    at = NOW + timedelta(hours=3)
    outcome = ingest(bucket, store, story(LEAD, header=embargo(at)))

    version = stored(outcome)
    assert (version.change, version.audience, version.embargo_until) == (
        ChangeKind.NEW,
        Audience.ALL,
        at,
    )
    assert outcome.summary()["embargo_until"] == at.isoformat()
    assert store.get_version(STORY, 1) == version
    head = store.get_head(STORY)
    assert head is not None
    assert head.embargo_until == at
    assert reaches_notify(version)


def test_an_embargo_beyond_the_horizon_is_rejected(bucket: str, store: ArticleStore) -> None:
    too_far = NOW + timedelta(days=30, minutes=1)
    outcome = ingest(bucket, store, story(LEAD, header=embargo(too_far)))

    assert outcome.status == "rejected"
    assert outcome.reason is not None
    assert "more than 30 days ahead (EmbargoHorizonDays)" in outcome.reason
    assert [r["reason"] for r in store.rejections(KEY)] == [outcome.reason]
    assert store.get_head(STORY) is None

    # The horizon is the deployment's to set.
    assert stored(
        ingest(bucket, store, story(LEAD, header=embargo(too_far)), EMBARGO_HORIZON_DAYS=31)
    )


def test_an_embargo_already_past_does_not_wait(bucket: str, store: ArticleStore) -> None:
    version = stored(ingest(bucket, store, story(LEAD, header=embargo(NOW - timedelta(minutes=1)))))
    assert version.embargo_until is None
    head = store.get_head(STORY)
    assert head is not None
    assert head.embargo_until is None


def test_an_embargo_without_a_zone_is_rejected_with_the_form(
    bucket: str, store: ArticleStore
) -> None:
    outcome = ingest(bucket, store, story(LEAD, header="Embargo: 2026-12-01T09:00\n"))
    assert outcome.status == "rejected"
    assert outcome.reason is not None
    assert "has no time zone" in outcome.reason
    assert "2026-12-01T09:00:00+01:00" in outcome.reason


def test_uploads_before_the_embargo_inherit_it(bucket: str, store: ArticleStore) -> None:
    at = NOW + timedelta(hours=3)
    stored(ingest(bucket, store, story(LEAD, header=embargo(at))))

    # Without the line, and with an earlier one: the story's embargo still holds.
    plain = stored(ingest(bucket, store, story(LEAD, MORE), now=NOW + timedelta(hours=1)))
    assert (plain.change, plain.embargo_until) == (ChangeKind.UPDATE, at)
    earlier = NOW + timedelta(hours=2)
    again = stored(
        ingest(bucket, store, story(LEAD, header=embargo(earlier)), now=NOW + timedelta(hours=1))
    )
    assert again.embargo_until == at
    # A later one moves it.
    later = NOW + timedelta(hours=5)
    moved = stored(
        ingest(
            bucket, store, story(LEAD, MORE, header=embargo(later)), now=NOW + timedelta(hours=2)
        )
    )
    assert moved.embargo_until == later

    # Once it has passed, uploads are not embargoed any more.
    after = stored(ingest(bucket, store, story(LEAD), now=later + timedelta(seconds=1)))
    assert after.embargo_until is None


def test_notify_none_under_an_embargo_calls_the_push_off_and_reaches_notify(
    bucket: str, store: ArticleStore
) -> None:
    at = NOW + timedelta(hours=3)
    stored(ingest(bucket, store, story(LEAD, header=embargo(at))))

    silenced = stored(ingest(bucket, store, story(LEAD, MORE, header="Notify: none\n")))
    assert (silenced.audience, silenced.cancels_push, silenced.embargo_until) == (
        Audience.NONE,
        True,
        at,
    )
    assert reaches_notify(silenced)

    # A small correction under the embargo is silent and calls nothing off, but notify
    # hears of it: the story, if never pushed, goes out with its text.
    typo = stored(ingest(bucket, store, story(TYPO, MORE)))
    assert (typo.change, typo.audience, typo.cancels_push, typo.embargo_until) == (
        ChangeKind.CORRECTION,
        Audience.NONE,
        False,
        at,
    )
    assert reaches_notify(typo)

    # After the embargo, notify: none is silent as ever.
    late = stored(
        ingest(bucket, store, story(LEAD, header="Notify: none\n"), now=at + timedelta(minutes=1))
    )
    assert (late.audience, late.cancels_push) == (Audience.NONE, False)
    assert not reaches_notify(late)


def test_the_same_text_can_still_call_the_push_off_or_delay_it(
    bucket: str, store: ArticleStore
) -> None:
    at = NOW + timedelta(hours=3)
    stored(ingest(bucket, store, story(LEAD, header=embargo(at))))
    assert ingest(bucket, store, story(LEAD)).status == "unchanged"
    assert ingest(bucket, store, story(LEAD, header=embargo(at))).status == "unchanged"

    later = at + timedelta(hours=1)
    moved = stored(ingest(bucket, store, story(LEAD, header=embargo(later))))
    assert (moved.number, moved.change, moved.audience, moved.embargo_until) == (
        2,
        ChangeKind.CORRECTION,
        Audience.NONE,
        later,
    )
    assert reaches_notify(moved)

    upload = put(clients.s3(), bucket, KEY, story(LEAD, header="Notify: none\n"))
    source = SourceObject(
        bucket=upload.bucket,
        key=upload.key,
        version_id=upload.version_id,
        sequencer=upload.sequencer,
        event_time=upload.event_time,
    )
    settings = IngestSettings.model_validate({"TABLE_NAME": store.table_name})
    first, again = (
        ingest_upload(
            source, store=store, objects=ObjectStore(), settings=settings, now=lambda: NOW
        )
        for _ in range(2)
    )
    silenced = stored(first)
    assert (silenced.number, silenced.cancels_push) == (3, True)
    # S3 delivering the same event again makes nothing more.
    assert again.status == "unchanged"
    assert [v.number for v in store.versions(STORY)] == [1, 2, 3]


# -- the gate item and notify ----------------------------------------------------------------


def test_the_gate_item_keeps_a_held_release(table: str) -> None:
    gates = CooldownGateTable(table)
    gate = Gate(
        window_until=1_800_000_000.5,
        pushed_version=0,
        held_version=2,
        held_count=2,
        flush_due=1_800_000_000.5,
        embargo_until=1_800_000_000.5,
        held_new=True,
        held_all=True,
    )
    assert gates.write(STORY, gate, expected_revision=0)
    assert gates.read(STORY) == Gate(**{**gate.__dict__, "revision": 1})
    released = Gate(pushed_version=2, released=True, window_until=1_800_000_600.0)
    assert gates.write(STORY, released, expected_revision=1)
    assert gates.read(STORY) == Gate(**{**released.__dict__, "revision": 2})


def test_notify_holds_an_embargoed_story_and_a_call_off_clears_it(
    table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqs = boto3.client("sqs")
    push_url = sqs.create_queue(QueueName="push-jobs")["QueueUrl"]
    cooldown_url = sqs.create_queue(QueueName="cooldown")["QueueUrl"]
    for name, value in {
        "PUSH_QUEUE_URL": push_url,
        "COOLDOWN_QUEUE_URL": cooldown_url,
        "SITE_BASE_URL": "https://news.example",
        "TOPIC_SHARDS": "2",
        # The embargo holds with the cooldown off, too.
        "UPDATE_COOLDOWN_SECONDS": "0",
    }.items():
        monkeypatch.setenv(name, value)
    created = datetime.now(UTC)
    at = created + timedelta(hours=1)
    first = Version(
        article_id=STORY,
        number=1,
        headline="Flood warning for the valley",
        summary=LEAD,
        change=ChangeKind.NEW,
        audience=Audience.ALL,
        content_hash="a" * 64,
        source=SourceObject(bucket="b", key=KEY, event_time=created),
        created_at=created,
        embargo_until=at,
    )
    silenced = first.model_copy(
        update={
            "number": 2,
            "change": ChangeKind.UPDATE,
            "audience": Audience.NONE,
            "cancels_push": True,
        }
    )
    context = lambda_context("NotifyFunction")

    assert notify_handler({"Records": [stream_record(first)]}, context) == {"batchItemFailures": []}
    assert sqs.receive_message(QueueUrl=push_url).get("Messages", []) == []
    gate = CooldownGateTable(table).read(STORY)
    assert (gate.held_version, gate.held_new, gate.held_all) == (1, True, True)
    assert gate.window_until == pytest.approx(at.timestamp())
    # The window's message waits on the cooldown queue (SQS delays it 15 minutes at most).
    attributes = sqs.get_queue_attributes(
        QueueUrl=cooldown_url, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"

    assert notify_handler({"Records": [stream_record(silenced)]}, context) == {
        "batchItemFailures": []
    }
    gate = CooldownGateTable(table).read(STORY)
    assert (gate.held_version, gate.pushed_version) == (0, 2)

    # The window's message, when it comes, finds nothing to push.
    message = {"article_id": STORY, "due": at.timestamp()}
    window_event = {
        "Records": [
            {
                "messageId": "m1",
                "receiptHandle": "r",
                "body": json.dumps(message),
                "attributes": {},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:cooldown",
                "awsRegion": "us-east-1",
            }
        ]
    }
    assert notify_handler(window_event, context) == {"batchItemFailures": []}
    assert sqs.receive_message(QueueUrl=push_url).get("Messages", []) == []
