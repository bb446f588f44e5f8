"""``stoppress preview``: what an upload would become, and who would hear about it.

This is ``ingest_upload`` itself, not a second copy of its rules: the same parse,
the same change judgement against the story's head, latest and last pushed
versions, the same change line. Only its two ports are swapped. The file comes
from disk instead of S3, and the table is read but never written: the version
ingest would store, or the rejection it would record, comes back in the outcome
and goes no further. Who would hear is notify's answer for that version
(``audience_topics``, ``push_urgency``, and the cooldown rules for a story's
followers), with each topic's members counted partition by partition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from stoppress.articles.model import Audience, ChangeKind, Head, SourceObject, Version
from stoppress.contracts.keys import topic_partitions
from stoppress.core.settings import IngestSettings
from stoppress.ingest.objects import ObjectStore
from stoppress.ingest.service import Status, StoredObject, ingest_upload
from stoppress.notify.cooldown import Action, coalesces, on_version
from stoppress.notify.planning import audience_topics, push_urgency
from stoppress.webpush.headers import Urgency
from stoppress_dev.editor.reader import StackReader

# Stands in for the S3 version id of the file being previewed: no real one looks like it,
# so the reader below can tell the upload from the stored versions ingest reads back.
LOCAL_FILE_VERSION: Final = "(local file)"


@dataclass(frozen=True)
class TopicReach:
    topic: str
    subscribers: int


@dataclass(frozen=True)
class Preview:
    """Ingest's outcome for the file, and notify's audience for the version it would make."""

    key: str
    status: Status
    article_id: str | None = None
    # The version ingest would store (status "stored").
    version: Version | None = None
    # The story's latest version now; None for a story not yet published.
    latest: int | None = None
    reason: str | None = None
    urgency: Urgency | None = None
    reach: tuple[TopicReach, ...] = ()
    # When the version would wait (the story's cooldown window, or its embargo): until then.
    held_until: datetime | None = None
    # Shards per topic, each counted.
    shards: int = 0

    @property
    def subscribers(self) -> int:
        """The sum over topics: a reader in two of them is counted twice (and alerted once)."""
        return sum(r.subscribers for r in self.reach)


class _ReadOnlyArticles:
    """Ingest's ``ArticleRepository`` over the live table, with every write dropped."""

    def __init__(self, reader: StackReader) -> None:
        self._articles = reader.articles
        self.head: Head | None = None

    def get_head(self, article_id: str) -> Head | None:
        self.head = self._articles.get_head(article_id)
        return self.head

    def get_version(self, article_id: str, number: int) -> Version | None:
        return self._articles.get_version(article_id, number)

    def pushed_while_held(self, article_id: str) -> int | None:
        return self._articles.pushed_while_held(article_id)

    def put_version(self, version: Version, head: Head, *, expected_head: int | None) -> None:
        return None

    def advance_head_source(self, head: Head, source: SourceObject) -> None:
        return None

    def record_rejection(self, source: SourceObject, reason: str, *, now: datetime) -> None:
        return None


class _FileAsObject:
    """Answers S3's ``get_object`` for the local file, so ``ObjectStore`` refuses an
    oversized file with the very reason an upload of it gets."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def get_object(self, **_: Any) -> dict[str, Any]:
        return {
            "ContentLength": self._path.stat().st_size,
            "Body": _Body(self._path),
            "VersionId": None,
        }


class _Body:
    def __init__(self, path: Path) -> None:
        self._path = path

    def read(self) -> bytes:
        return self._path.read_bytes()

    def close(self) -> None:
        return None


class _UploadAndStoredObjects:
    """Ingest's ``ObjectReader``: the local file for the upload, S3 for stored versions'
    sources (read back when a version's body was left in S3, or came from an older reader)."""

    def __init__(self, path: Path, reader: StackReader) -> None:
        self._file = ObjectStore(client=_FileAsObject(path))
        self._stored = ObjectStore(client=reader.target.s3)

    def read(
        self, bucket: str, key: str, *, version_id: str | None = None, max_bytes: int
    ) -> StoredObject:
        objects = self._file if version_id == LOCAL_FILE_VERSION else self._stored
        return objects.read(bucket, key, version_id=version_id, max_bytes=max_bytes)


def preview_upload(
    path: Path,
    *,
    key: str,
    reader: StackReader,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    on_count: Callable[[int, int], None] | None = None,
) -> Preview:
    """The outcome of uploading ``path`` to ``key`` now; ``on_count(done, total)`` follows
    the member counting, one query per topic shard."""
    target = reader.target
    articles = _ReadOnlyArticles(reader)
    upload = SourceObject(
        bucket=target.bucket, key=key, version_id=LOCAL_FILE_VERSION, event_time=now()
    )
    settings = IngestSettings.model_validate({"TABLE_NAME": target.table})
    outcome = ingest_upload(
        upload,
        store=articles,
        objects=_UploadAndStoredObjects(path, reader),
        settings=settings,
        now=now,
    )
    latest = articles.head.version if articles.head is not None else None
    version = outcome.version
    if outcome.status != "stored" or version is None:
        return Preview(
            key=key,
            status=outcome.status,
            article_id=outcome.article_id,
            latest=latest,
            reason=outcome.reason,
        )
    topics = audience_topics(version)
    return Preview(
        key=key,
        status=outcome.status,
        article_id=version.article_id,
        version=version,
        latest=latest,
        urgency=push_urgency(version),
        reach=_count_members(topics, reader, on_count=on_count),
        held_until=_held_until(version, reader, now=now().timestamp()),
        shards=target.topic_shards,
    )


def _count_members(
    topics: tuple[str, ...],
    reader: StackReader,
    *,
    on_count: Callable[[int, int], None] | None,
) -> tuple[TopicReach, ...]:
    shards = reader.target.topic_shards
    total = sum(topic_partitions(topic, shards) for topic in topics)
    done = 0
    reach = []
    for topic in topics:
        members = 0
        for shard in range(topic_partitions(topic, shards)):
            members += reader.member_count(topic, shard)
            done += 1
            if on_count is not None:
                on_count(done, total)
        reach.append(TopicReach(topic, members))
    return tuple(reach)


def _held_until(version: Version, reader: StackReader, *, now: float) -> datetime | None:
    """When notify would push a version it holds: the end of the story's cooldown window,
    or the embargo, whichever is later; None when it goes at once.

    The cooldown's length only shapes the next window, not whether this version waits,
    so the rules are asked with none.
    """
    embargo = version.embargo_until.timestamp() if version.embargo_until else 0.0
    if version.audience is Audience.NONE or (version.change is ChangeKind.NEW and not embargo):
        return None
    gate = reader.gate(version.article_id)
    step = on_version(
        gate,
        version.number,
        immediate=not coalesces(version),
        now=now,
        cooldown=0.0,
        embargo_until=embargo,
        new_story=version.change is ChangeKind.NEW,
        to_all=version.audience is Audience.ALL,
    )
    if step.action is not Action.HOLD:
        return None
    release = step.gate.window_until if step.gate is not None else gate.window_until
    return datetime.fromtimestamp(max(release, embargo, now), tz=UTC)
