"""notify_version with an in-memory ledger and queue: each job enqueued once, refusals retried."""

from datetime import UTC, datetime

import pytest

from stoppress.articles.model import Audience, ChangeKind, SourceObject, Version
from stoppress.contracts.jobs import EnqueueError
from stoppress.core.settings import NotifySettings
from stoppress.notify.service import notify_version
from tests.fakes.notify import FakeLedger
from tests.fakes.queue import FakeQueue

CREATED = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
SETTINGS = NotifySettings.model_validate(
    {
        "TABLE_NAME": "t",
        "PUSH_QUEUE_URL": "q",
        "COOLDOWN_QUEUE_URL": "c",
        "SITE_BASE_URL": "https://news.example",
        "TOPIC_SHARDS": 25,
    }
)


def make_version(audience: Audience = Audience.ALL) -> Version:
    # A new story to everyone; an update to its followers: one topic either way.
    new = audience is Audience.ALL
    return Version(
        article_id="storm-warning",
        number=1 if new else 2,
        headline="Storm warning",
        summary="Gusts tonight.",
        change=ChangeKind.NEW if new else ChangeKind.UPDATE,
        audience=audience,
        content_hash="a" * 64,
        source=SourceObject(bucket="b", key="articles/storm-warning.md", event_time=CREATED),
        created_at=CREATED,
    )


def test_every_shard_is_enqueued_once_even_when_replayed() -> None:
    ledger, queue = FakeLedger(), FakeQueue()

    assert notify_version(make_version(), ledger=ledger, queue=queue, settings=SETTINGS) == 25
    assert notify_version(make_version(), ledger=ledger, queue=queue, settings=SETTINGS) == 0

    assert sorted(j.shard for j in queue.jobs) == list(range(25))
    assert {j.topic for j in queue.jobs} == {"all"}


def test_audience_none_records_and_enqueues_nothing() -> None:
    ledger, queue = FakeLedger(), FakeQueue()
    version = make_version(Audience.NONE)
    assert notify_version(version, ledger=ledger, queue=queue, settings=SETTINGS) == 0
    assert ledger.held == set()
    assert queue.jobs == []


def test_refused_jobs_are_released_and_the_retry_sends_only_them() -> None:
    ledger, queue = FakeLedger(), FakeQueue(refuse={3, 7})

    with pytest.raises(EnqueueError):
        notify_version(make_version(), ledger=ledger, queue=queue, settings=SETTINGS)

    # Work stops at the failing chunk: shards 10.. were never recorded.
    assert sorted(ledger.erased) == [3, 7]
    assert sorted(j.shard for j in queue.jobs) == [0, 1, 2, 4, 5, 6, 8, 9]

    queue.refuse.clear()
    assert notify_version(make_version(), ledger=ledger, queue=queue, settings=SETTINGS) == 17
    assert sorted(j.shard for j in queue.jobs) == list(range(25))


def test_a_failed_release_still_raises_the_enqueue_error() -> None:
    ledger, queue = FakeLedger(), FakeQueue(refuse={0})
    ledger.fail_erase = True

    with pytest.raises(EnqueueError):
        notify_version(make_version(), ledger=ledger, queue=queue, settings=SETTINGS)
