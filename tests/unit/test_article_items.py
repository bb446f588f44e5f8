"""The stored item and the domain version map both ways without loss."""

from datetime import UTC, datetime
from decimal import Decimal

import boto3.dynamodb.types as ddb_types

from stoppress.articles.items import (
    head_from_item,
    head_to_item,
    version_from_item,
    version_to_item,
)
from stoppress.articles.model import Audience, ChangeKind, SourceObject, Version, head_for
from stoppress.webpush.headers import Urgency

WHEN = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


def _version(**changes: object) -> Version:
    fields: dict[str, object] = {
        "article_id": "nato-resumes-contacts",
        "number": 3,
        "headline": "NATO resumes contacts",
        "dateline": "BRUSSELS",
        "summary": "NATO said on Friday ...",
        "body": "NATO said on Friday.\n\nMore.",
        "change": ChangeKind.UPDATE,
        "audience": Audience.FOLLOWERS,
        "urgency": Urgency.HIGH,
        "content_hash": "a" * 64,
        "tags": ("world", "nato"),
        "source": SourceObject(
            bucket="b",
            key="articles/nato resumes contacts.txt",
            version_id="v1",
            sequencer="0055AED6DCD90281E5",
            event_time=WHEN,
            size=1234,
        ),
        "article_updated_at": WHEN,
        "created_at": WHEN,
    }
    fields.update(changes)
    return Version.model_validate(fields)


def _through_dynamodb(item: dict) -> dict:
    """What a reader gets back: serialised then deserialised (numbers as Decimal)."""
    ser, de = ddb_types.TypeSerializer(), ddb_types.TypeDeserializer()
    return {k: de.deserialize(ser.serialize(v)) for k, v in item.items()}


def test_version_round_trips_through_dynamodb_types() -> None:
    version = _version()
    item = _through_dynamodb(version_to_item(version))
    assert item["pk"] == "ARTICLE#nato-resumes-contacts"
    assert item["sk"] == "VERSION#000003"
    assert item["number"] == Decimal(3)
    assert version_from_item(item) == version


def test_optional_fields_are_absent_not_null() -> None:
    source = SourceObject(bucket="b", key="articles/x.txt", event_time=WHEN)
    version = _version(
        dateline=None, body=None, body_in_source=True, article_updated_at=None, source=source
    )
    item = version_to_item(version)
    for name in ("dateline", "body", "article_updated_at", "source_version_id", "source_sequencer"):
        assert name not in item
    assert item["body_in_source"] is True
    assert version_from_item(_through_dynamodb(item)) == version


def test_head_round_trips() -> None:
    head = head_for(_version(), updated_at=WHEN)
    item = head_to_item(head)
    assert (item["sk"], item["type"], item["version"]) == ("HEAD", "head", 3)
    assert head_from_item(_through_dynamodb(item)) == head
