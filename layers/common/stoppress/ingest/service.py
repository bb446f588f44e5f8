"""One S3 upload becomes (at most) one new version of an article.

``ingest_upload`` reads the exact object version the event names, parses it,
and decides against the article's head:

- the article id already belongs to a differently named file (``a b.txt``
  after ``a-b.txt``) -> ``rejected``: one story never overwrites another;
- the event is older than the one the head came from -> ``stale``: an upload
  that was overtaken never rolls the story back;
- the content hash equals the head's -> ``unchanged`` (this also makes S3's
  at-least-once redelivery harmless), unless the upload calls off or delays
  the push waiting for the story's embargo;
- otherwise the change is judged (``articles.changes``) and the version written
  with the head in one conditional transaction. If another upload moved the
  head meanwhile, the whole decision is made again from the new head.

An embargo further ahead than ``EmbargoHorizonDays`` is rejected. The head
carries the story's embargo, so an upload before it inherits it (its push
waits too, and notify hears of it even when it is silent), and an editor's
``notify: none`` then marks the version as calling the waiting push off. Such
an upload, or one that moves the embargo later, makes a version even when its
text is unchanged.

A file that cannot be an article is recorded as a rejection and reported as
``rejected``; it is never retried. ``TransientError`` escapes so the caller can
let Lambda retry.
"""

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Literal, Protocol

from stoppress.articles.change_line import change_line
from stoppress.articles.changes import ChangeDecision, changed_word_count, classify_change
from stoppress.articles.draft import cut_reason, shown
from stoppress.articles.items import version_to_item
from stoppress.articles.model import (
    Article,
    Audience,
    ChangeKind,
    Head,
    SourceObject,
    Version,
    head_for,
)
from stoppress.articles.parse import MAX_ARTICLE_BYTES, READER_VERSION, parse_article
from stoppress.contracts.keys import story_name
from stoppress.core.errors import (
    ArticleParseError,
    NotFoundError,
    TransientError,
    VersionConflictError,
)
from stoppress.core.observability import logger, tracer
from stoppress.core.settings import IngestSettings

# Enough for a burst of simultaneous uploads of one story: each round lets at
# least one writer through, and the jittered backoff spreads the rest.
MAX_WRITE_ATTEMPTS: Final = 12
_BACKOFF_BASE_S: Final = 0.01
_BACKOFF_CAP_S: Final = 0.25
# DynamoDB refuses items over 400 KB (names and values in UTF-8); a version is
# kept well under it, measured as JSON, which overstates the stored size a little.
MAX_VERSION_ITEM_BYTES: Final = 350_000

Status = Literal["stored", "unchanged", "stale", "rejected"]


class ArticleRepository(Protocol):
    def get_head(self, article_id: str) -> Head | None: ...
    def get_version(self, article_id: str, number: int) -> Version | None: ...
    def pushed_while_held(self, article_id: str) -> int | None: ...
    def put_version(self, version: Version, head: Head, *, expected_head: int | None) -> None: ...
    def advance_head_source(self, head: Head, source: SourceObject) -> None: ...
    def record_rejection(self, source: SourceObject, reason: str, *, now: datetime) -> None: ...


@dataclass(frozen=True)
class StoredObject:
    data: bytes
    version_id: str | None
    size: int


class ObjectReader(Protocol):
    def read(
        self, bucket: str, key: str, *, version_id: str | None = None, max_bytes: int
    ) -> StoredObject: ...


@dataclass(frozen=True)
class IngestOutcome:
    status: Status
    key: str
    article_id: str | None = None
    version: Version | None = None
    reason: str | None = None
    attempts: int = 0

    def summary(self) -> dict[str, object]:
        """A JSON-friendly line for logs and the handler's response."""
        out: dict[str, object] = {"status": self.status, "key": self.key}
        if self.article_id:
            out["article_id"] = self.article_id
        if self.version is not None:
            out |= {
                "version": self.version.number,
                "change": self.version.change.value,
                "audience": self.version.audience.value,
            }
            if self.version.embargo_until is not None:
                out["embargo_until"] = self.version.embargo_until.isoformat()
            if self.version.cancels_push:
                out["cancels_push"] = True
        if self.reason:
            out["reason"] = self.reason
        return out


def _utcnow() -> datetime:
    return datetime.now(UTC)


def is_older(event: SourceObject, seen: SourceObject) -> bool:
    """Whether ``event`` happened before ``seen`` (the event the head came from).

    S3 sequencers order events on one key: hex strings of varying length,
    compared after left-padding the shorter with zeros. They mean nothing
    across keys (``story.txt`` and ``story.md`` share an article), nor when
    either side lacks one (moto, hand-made events); event time decides then.
    Equal positions are not older: that is the same event, redelivered.
    """
    if event.sequencer and seen.sequencer and event.key == seen.key:
        width = max(len(event.sequencer), len(seen.sequencer))
        return event.sequencer.upper().zfill(width) < seen.sequencer.upper().zfill(width)
    return event.event_time < seen.event_time


@tracer.capture_method(capture_response=False)
def ingest_upload(
    upload: SourceObject,
    *,
    store: ArticleRepository,
    objects: ObjectReader,
    settings: IngestSettings,
    now: Callable[[], datetime] = _utcnow,
) -> IngestOutcome:
    """Turn one uploaded object into a new version, or say why not."""
    try:
        stored = objects.read(
            upload.bucket, upload.key, version_id=upload.version_id, max_bytes=MAX_ARTICLE_BYTES
        )
        article = parse_article(stored.data, key=upload.key)
    except ArticleParseError as e:
        return _reject(upload, e.reason, store=store, now=now)
    except NotFoundError:
        # Deleted (or replaced, in an unversioned bucket) before we got to it:
        # nothing to store, and retrying cannot bring it back.
        return _reject(upload, "the file was deleted before it could be read", store=store, now=now)

    too_far = _beyond_horizon(article, settings, now=now())
    if too_far:
        return _reject(upload, too_far, store=store, now=now)
    source = upload.model_copy(
        update={"version_id": upload.version_id or stored.version_id, "size": stored.size}
    )
    seen: dict[int, _Previous | None] = {}
    for attempt in range(1, MAX_WRITE_ATTEMPTS + 1):
        head = store.get_head(article.id)
        if head is not None and story_name(head.source.key) != story_name(upload.key):
            # Two file names that fold to one id: the second would silently
            # become a version of the first story and overwrite it.
            return _reject(upload, _taken_reason(article.id, head), store=store, now=now)
        if head is not None and is_older(source, head.source):
            return IngestOutcome("stale", upload.key, article.id, attempts=attempt)
        previous = pushed = None
        last_pushed: int | None = None
        # The same text can still change what waits for the story's embargo; a
        # redelivered event cannot (it is the upload that made the head).
        rewaits = head is not None and source != head.source and _changes_wait(article, head, now())
        if head is not None and (head.content_hash != article.content_hash or rewaits):
            last_pushed = _last_pushed(article.id, head, store)
            for number in {head.version, last_pushed}:
                if number not in seen:
                    seen[number] = _previous(article.id, number, store=store, objects=objects)
            previous = seen[head.version]
            pushed = seen[last_pushed]
        if (
            head is not None
            and not rewaits
            and article.content_hash
            in (head.content_hash, previous.content_hash if previous else None)
        ):
            # The same story (or the same story read by an older reader).
            if _advance(store, head, source):
                return IngestOutcome("unchanged", upload.key, article.id, attempts=attempt)
            _backoff(attempt)
            continue

        decision = _judge(article, previous)
        described = _describe(article, decision, head, previous, pushed, last_pushed)
        version = _version(
            article, source, decision, described, head=head, settings=settings, now=now()
        )
        if version is None:
            return _reject(
                upload,
                "the article's headline, summary and tags do not fit in one stored version "
                f"({MAX_VERSION_ITEM_BYTES:,} bytes); shorten them",
                store=store,
                now=now,
            )
        try:
            store.put_version(
                version,
                head_for(
                    version,
                    updated_at=version.created_at,
                    pushed_before=head.pushed_version if head else None,
                ),
                expected_head=head.version if head else None,
            )
        except VersionConflictError:
            logger.debug(
                "head moved, deciding again", extra={"article_id": article.id, "attempt": attempt}
            )
            _backoff(attempt)
            continue
        return IngestOutcome("stored", upload.key, article.id, version=version, attempts=attempt)
    raise TransientError(
        f"{article.id}: head kept moving; gave up after {MAX_WRITE_ATTEMPTS} attempts"
    )


def _reject(
    upload: SourceObject, reason: str, *, store: ArticleRepository, now: Callable[[], datetime]
) -> IngestOutcome:
    reason = cut_reason(reason)
    store.record_rejection(upload, reason, now=now())
    return IngestOutcome("rejected", upload.key, reason=reason)


def _beyond_horizon(article: Article, settings: IngestSettings, *, now: datetime) -> str | None:
    """Why the file's embargo is too far ahead to be meant, or None."""
    embargo = article.overrides.embargo
    horizon = timedelta(days=settings.embargo_horizon_days)
    if embargo is None or embargo <= now + horizon:
        return None
    return (
        f"the embargo {embargo.isoformat()} is more than {settings.embargo_horizon_days} days "
        "ahead (EmbargoHorizonDays); check the date, or upload the file closer to the time"
    )


def _embargo(article: Article, head: Head | None, now: datetime) -> datetime | None:
    """When the version's push may go out: the file's embargo or the story's pending one,
    whichever is later; None when neither is still ahead (a past embargo is already public).

    An update cannot bring a pending embargo forward: a re-export that lost the
    embargo line must not publish early.
    """
    pending = head.embargo_until if head is not None else None
    ahead = [t for t in (article.overrides.embargo, pending) if t is not None and t > now]
    return max(ahead, default=None)


def _cancels_push(article: Article, head: Head | None, now: datetime) -> bool:
    """An editor's ``notify: none`` while the story's embargo is pending calls its push off."""
    return (
        article.overrides.notify is Audience.NONE
        and head is not None
        and head.embargo_until is not None
        and head.embargo_until > now
    )


def _changes_wait(article: Article, head: Head, now: datetime) -> bool:
    """Whether an upload of the story's current text calls off or delays its pending push.

    Editors do both by uploading the file again with one line changed; the text
    being unchanged must not make the upload a no-op, or the push would go out
    as first planned.
    """
    pending = head.embargo_until
    if pending is None or pending <= now:
        return False
    own = article.overrides.embargo
    return _cancels_push(article, head, now) or (own is not None and own > pending)


def _taken_reason(article_id: str, head: Head) -> str:
    return (
        f"this file name gives article id {shown(article_id)}, which already belongs to "
        f"{shown(head.source.key)}; rename the file so that its name differs in letters "
        "or digits, or upload the update under that name"
    )


def _advance(store: ArticleRepository, head: Head, source: SourceObject) -> bool:
    """Move the head's event position forward for unchanged content; False if the head moved.

    Without this, an identical re-upload would leave the head at its older
    event, and a late event from between the two could still roll it back.
    """
    if source == head.source or not is_older(head.source, source):
        return True
    try:
        store.advance_head_source(head, source)
    except VersionConflictError:
        return False
    return True


@dataclass(frozen=True)
class _Previous:
    """The latest stored version as the current reader sees it."""

    headline: str
    # None when its body cannot be read back: the change then counts as substantial.
    body: str | None
    content_hash: str | None


def _previous(
    article_id: str, number: int, *, store: ArticleRepository, objects: ObjectReader
) -> _Previous | None:
    """Version ``number`` as this reader reads it.

    A version stored by an older reader, or with its body left in S3, is read
    again from its own source object version with the current reader: an
    upgrade of the reader must not look like news (a page read better is not
    a changed story). When the source is gone, the stored text is the best
    there is.
    """
    previous = store.get_version(article_id, number)
    if previous is None:
        return None
    if previous.reader == READER_VERSION and not previous.body_in_source:
        return _Previous(previous.headline, previous.body, previous.content_hash)
    src = previous.source
    try:
        stored = objects.read(
            src.bucket, src.key, version_id=src.version_id, max_bytes=MAX_ARTICLE_BYTES
        )
        again = parse_article(stored.data, key=src.key)
    except (NotFoundError, ArticleParseError) as e:
        logger.warning(
            "previous version's source unreadable; judging against what was stored",
            extra={"version": number, "source_key": src.key, "error": str(e)},
        )
        return _Previous(previous.headline, previous.body, None)
    return _Previous(again.headline, again.body, again.content_hash)


def _judge(article: Article, previous: _Previous | None) -> ChangeDecision:
    if previous is None:
        return classify_change(article, previous_headline=None, previous_body=None)
    return classify_change(
        article, previous_headline=previous.headline, previous_body=previous.body
    )


@dataclass(frozen=True)
class _Described:
    """What changed since the version followers were last pushed."""

    line: str | None = None
    changed_words: int | None = None
    compared_with: int | None = None


def _last_pushed(article_id: str, head: Head, store: ArticleRepository) -> int:
    """The version the story's followers last got a push for.

    The head's ``pushed_version`` is the last version stored for an audience;
    while an update waits for the end of the story's cooldown window (or its
    embargo), that one has not gone out yet, and the window's item knows the
    version that did: the waiting update's push, or one that overtakes it,
    then tells followers everything since what they saw.
    """
    return store.pushed_while_held(article_id) or head.pushed_version or head.version


def _describe(
    article: Article,
    decision: ChangeDecision,
    head: Head | None,
    previous: "_Previous | None",
    pushed: "_Previous | None",
    number: int | None,
) -> _Described:
    """The change line and word count against the last pushed version, ``number``
    (docs/design.md).

    After a silent correction, or while updates wait in the story's cooldown
    window, the last pushed version is older than the head: the line then
    covers everything since the push followers actually saw.
    """
    if head is None or number is None or decision.change is ChangeKind.NEW:
        return _Described()
    changed = decision.changed_words
    if pushed is not previous:
        changed = (
            None
            if pushed is None or pushed.body is None
            else changed_word_count(pushed.body, article.body)
        )
    note = article.overrides.update_note
    if note:
        return _Described(note, changed, number)
    if pushed is None or pushed.body is None:
        return _Described(None, changed, number)
    line = change_line(
        previous_headline=pushed.headline,
        previous_body=pushed.body,
        headline=article.headline,
        body=article.body,
    )
    return _Described(line.text if line else None, changed, number)


def _version(
    article: Article,
    source: SourceObject,
    decision: ChangeDecision,
    described: _Described,
    *,
    head: Head | None,
    settings: IngestSettings,
    now: datetime,
) -> Version | None:
    """The version to store, with its body left in S3 when it is long; None if it cannot fit."""
    body = article.body
    in_source = len(body.encode("utf-8")) > settings.inline_body_limit
    version = _build_version(
        article, source, decision, described, head=head, now=now, in_source=in_source
    )
    if not in_source and _item_bytes(version) > MAX_VERSION_ITEM_BYTES:
        version = _build_version(
            article, source, decision, described, head=head, now=now, in_source=True
        )
    return version if _item_bytes(version) <= MAX_VERSION_ITEM_BYTES else None


def _item_bytes(version: Version) -> int:
    return len(
        json.dumps(version_to_item(version), default=str, ensure_ascii=False).encode("utf-8")
    )


def _build_version(
    article: Article,
    source: SourceObject,
    decision: ChangeDecision,
    described: _Described,
    *,
    head: Head | None,
    now: datetime,
    in_source: bool,
) -> Version:
    body = article.body
    return Version(
        article_id=article.id,
        number=head.version + 1 if head else 1,
        headline=article.headline,
        dateline=article.dateline,
        summary=article.summary,
        body=None if in_source else body,
        body_in_source=in_source,
        change=decision.change,
        audience=decision.audience,
        urgency=decision.urgency,
        content_hash=article.content_hash,
        tags=article.tags,
        source=source,
        article_updated_at=article.updated_at,
        reader=READER_VERSION,
        created_at=now,
        lang=article.lang,
        image=article.image,
        change_line=described.line,
        changed_words=described.changed_words,
        compared_with=described.compared_with,
        embargo_until=_embargo(article, head, now),
        cancels_push=_cancels_push(article, head, now),
    )


def _backoff(attempt: int) -> None:
    # Full jitter: racing writers spread out instead of colliding again.
    time.sleep(random.uniform(0, min(_BACKOFF_CAP_S, _BACKOFF_BASE_S * 2**attempt)))  # noqa: S311
