"""notify_version with an in-memory ledger and queue: each job enqueued once, refusals retried."""

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from stoppress.articles.model import Audience, ChangeKind, SourceObject, Version
from stoppress.contracts.jobs import EnqueueError, PushJob
from stoppress.core.errors import TransientError
from stoppress.core.settings import NotifySettings
from stoppress.notify.service import notify_version

CREATED = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
SETTINGS = NotifySettings(
    TABLE_NAME="t", PUSH_QUEUE_URL="q", SITE_BASE_URL="https://news.example", TOPIC_SHARDS=25
)


def make_version(audience: Audience = Audience.ALL) -> Version:
    return Version(
        article_id="storm-warning",
        number=2,
        headline="Storm warning",
        summary="Gusts tonight.",
        change=ChangeKind.UPDATE,
        audience=audience,
        content_hash="a" * 64,
        source=SourceObject(bucket="b", key="articles/storm-warning.md", event_time=CREATED),
        created_at=CREATED,
    )


class FakeLedger:
    def __init__(self) -> None:
        self.held: set[tuple[str, int, str, int]] = set()
        self.erased: list[int] = []
        self.fail_erase = False

    def record(self, article_id: str, version: int, topic: str, shard: int) -> bool:
        key = (article_id, version, topic, shard)
        if key in self.held:
            return False
        self.held.add(key)
        return True

    def erase(self, article_id: str, version: int, topic: str, shard: int) -> None:
        if self.fail_erase:
            raise TransientError("table throttled")
        self.held.discard((article_id, version, topic, shard))
        self.erased.append(shard)


class FakeQueue:
    def __init__(self, refuse_shards: Sequence[int] = ()) -> None:
        self.jobs: list[PushJob] = []
        self.refuse = set(refuse_shards)

    def enqueue(self, jobs: Sequence[PushJob], *, delay_seconds: int | None = None) -> int:
        refused = [j for j in jobs if j.shard in self.refuse]
        self.jobs.extend(j for j in jobs if j.shard not in self.refuse)
        if refused:
            raise EnqueueError("refused", refused)
        return len(jobs)


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
    ledger, queue = FakeLedger(), FakeQueue(refuse_shards=[3, 7])

    with pytest.raises(EnqueueError):
        notify_version(make_version(), ledger=ledger, queue=queue, settings=SETTINGS)

    # Work stops at the failing chunk: shards 10.. were never recorded.
    assert sorted(ledger.erased) == [3, 7]
    assert sorted(j.shard for j in queue.jobs) == [0, 1, 2, 4, 5, 6, 8, 9]

    queue.refuse.clear()
    assert notify_version(make_version(), ledger=ledger, queue=queue, settings=SETTINGS) == 17
    assert sorted(j.shard for j in queue.jobs) == list(range(25))


def test_a_failed_release_still_raises_the_enqueue_error() -> None:
    ledger, queue = FakeLedger(), FakeQueue(refuse_shards=[0])
    ledger.fail_erase = True

    with pytest.raises(EnqueueError):
        notify_version(make_version(), ledger=ledger, queue=queue, settings=SETTINGS)
