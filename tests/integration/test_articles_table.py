"""The table and object adapters on moto: the optimistic lock, and errors mapped to types."""

from datetime import UTC, datetime
from typing import Any

import pytest

from stoppress.articles.model import Audience, ChangeKind, SourceObject, Version, head_for
from stoppress.aws import clients
from stoppress.core.errors import NotFoundError, TransientError, VersionConflictError
from stoppress.ingest.articles_table import ArticleStore
from stoppress.ingest.objects import ObjectStore, ObjectTooLargeError
from tests.fakes.aws import error_answer

WHEN = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def _version(number: int, content: str = "a") -> Version:
    return Version(
        article_id="story",
        number=number,
        headline=f"Headline {number}",
        summary="Summary",
        body="Body",
        change=ChangeKind.NEW if number == 1 else ChangeKind.UPDATE,
        audience=Audience.ALL,
        content_hash=content * 64,
        source=SourceObject(bucket="b", key="articles/story.txt", event_time=WHEN),
        created_at=WHEN,
    )


def _write(store: ArticleStore, version: Version, expected: int | None) -> None:
    store.put_version(version, head_for(version, updated_at=WHEN), expected_head=expected)


def test_versions_advance_only_from_the_head_they_read(table: str) -> None:
    store = ArticleStore(table)
    _write(store, _version(1), None)
    with pytest.raises(VersionConflictError):
        _write(store, _version(1, "b"), None)  # a second "first" version
    _write(store, _version(2), 1)
    with pytest.raises(VersionConflictError):
        _write(store, _version(3), 1)  # read head 1, but it moved to 2
    assert [v.number for v in store.versions("story")] == [1, 2]
    head = store.get_head("story")
    assert head is not None
    assert (head.version, head.headline) == (2, "Headline 2")


def test_a_version_is_never_overwritten_even_if_the_head_agrees(table: str) -> None:
    store = ArticleStore(table)
    _write(store, _version(1), None)
    _write(store, _version(2), 1)
    # A head still at 1 would be a bug elsewhere; the VERSION item's own condition holds anyway.
    with pytest.raises(VersionConflictError):
        _write(store, _version(2, "c"), 2)
    stored = store.get_version("story", 2)
    assert stored is not None
    assert stored.content_hash == "a" * 64


def test_advancing_the_head_source_needs_the_same_head(table: str) -> None:
    store = ArticleStore(table)
    _write(store, _version(1), None)
    head = store.get_head("story")
    assert head is not None
    newer = head.source.model_copy(update={"sequencer": "0A"})
    store.advance_head_source(head, newer)
    moved = store.get_head("story")
    assert moved is not None
    assert (moved.version, moved.source.sequencer) == (1, "0A")
    _write(store, _version(2), 1)
    with pytest.raises(VersionConflictError):
        store.advance_head_source(head, newer)


def _answer(client: Any, operation: str, status: int, code: str, **extra: Any) -> None:
    def respond(**_: Any) -> Any:
        return error_answer(status, code, **extra)

    client.meta.events.register(
        f"before-call.{client.meta.service_model.service_name}.{operation}", respond
    )


def test_throttled_transaction_is_transient(table: str) -> None:
    store = ArticleStore(table)
    _answer(
        clients.dynamodb(),
        "TransactWriteItems",
        400,
        "TransactionCanceledException",
        CancellationReasons=[{"Code": "None"}, {"Code": "ThrottlingError"}],
    )
    with pytest.raises(TransientError):
        _write(store, _version(1), None)


def test_throughput_exceeded_read_is_transient(table: str) -> None:
    _answer(clients.dynamodb(), "GetItem", 400, "ProvisionedThroughputExceededException")
    with pytest.raises(TransientError):
        ArticleStore(table).get_head("story")


def test_objects_are_read_by_version_and_size_checked_before_download(bucket: str) -> None:
    s3 = clients.s3()
    first = s3.put_object(Bucket=bucket, Key="articles/a.txt", Body=b"first")["VersionId"]
    s3.put_object(Bucket=bucket, Key="articles/a.txt", Body=b"second, longer")
    objects = ObjectStore()

    old = objects.read(bucket, "articles/a.txt", version_id=first, max_bytes=100)
    assert (old.data, old.version_id, old.size) == (b"first", first, 5)
    assert objects.read(bucket, "articles/a.txt", max_bytes=100).data == b"second, longer"
    with pytest.raises(ObjectTooLargeError, match="14 bytes"):
        objects.read(bucket, "articles/a.txt", max_bytes=10)
    with pytest.raises(NotFoundError):
        objects.read(bucket, "articles/missing.txt", max_bytes=100)
    with pytest.raises(NotFoundError):
        objects.read(bucket, "articles/a.txt", version_id="nonexistent-version", max_bytes=100)


def test_s3_slow_down_is_transient(bucket: str) -> None:
    _answer(clients.s3(), "GetObject", 503, "SlowDown")
    with pytest.raises(TransientError):
        ObjectStore().read(bucket, "articles/a.txt", max_bytes=100)
