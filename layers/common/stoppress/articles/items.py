"""Explicit mapping between article domain models and their DynamoDB items.

Items here are plain Python values (what boto3's TypeSerializer takes and its
TypeDeserializer gives back: numbers may come back as ``Decimal``). Keys come
from ``stoppress.contracts.keys``; optional fields are left out rather than stored as
nulls, so a stream filter or a reader can test for presence.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from stoppress.articles.model import Audience, ChangeKind, Head, SourceObject, Version
from stoppress.contracts.keys import HEAD_SK, article_pk, version_sk
from stoppress.webpush.headers import Urgency

VERSION_TYPE = "version"
HEAD_TYPE = "head"


def _iso(value: datetime) -> str:
    return value.isoformat()


def _source_fields(source: SourceObject) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "source_bucket": source.bucket,
        "source_key": source.key,
        "source_event_time": _iso(source.event_time),
    }
    if source.version_id is not None:
        fields["source_version_id"] = source.version_id
    if source.sequencer is not None:
        fields["source_sequencer"] = source.sequencer
    if source.size is not None:
        fields["source_size"] = source.size
    return fields


def _source_from(item: Mapping[str, Any]) -> SourceObject:
    size = item.get("source_size")
    return SourceObject(
        bucket=item["source_bucket"],
        key=item["source_key"],
        version_id=item.get("source_version_id"),
        sequencer=item.get("source_sequencer"),
        event_time=datetime.fromisoformat(item["source_event_time"]),
        size=int(size) if size is not None else None,
    )


def version_to_item(version: Version) -> dict[str, Any]:
    """The VERSION#n item for ``version`` (without DynamoDB type descriptors)."""
    item: dict[str, Any] = {
        "pk": article_pk(version.article_id),
        "sk": version_sk(version.number),
        "type": VERSION_TYPE,
        "article_id": version.article_id,
        "number": version.number,
        "headline": version.headline,
        "summary": version.summary,
        "body_in_source": version.body_in_source,
        "change": version.change.value,
        "audience": version.audience.value,
        "urgency": version.urgency.value,
        "content_hash": version.content_hash,
        "tags": list(version.tags),
        "created_at": _iso(version.created_at),
        **_source_fields(version.source),
    }
    if version.dateline is not None:
        item["dateline"] = version.dateline
    if version.body is not None:
        item["body"] = version.body
    if version.article_updated_at is not None:
        item["article_updated_at"] = _iso(version.article_updated_at)
    if version.reader is not None:
        item["reader"] = version.reader
    for name in ("change_line", "changed_words", "compared_with", "lang", "image"):
        value = getattr(version, name)
        if value is not None:
            item[name] = value
    if version.embargo_until is not None:
        # Present only under an embargo: notify's stream filter lets silent versions
        # through by it.
        item["embargo_until"] = _iso(version.embargo_until)
    if version.cancels_push:
        item["cancels_push"] = True
    return item


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def version_from_item(item: Mapping[str, Any]) -> Version:
    """The domain ``Version`` from a stored VERSION item (plain or deserialised values)."""
    updated = item.get("article_updated_at")
    return Version(
        article_id=item["article_id"],
        number=int(item["number"]),
        headline=item["headline"],
        dateline=item.get("dateline"),
        summary=item["summary"],
        body=item.get("body"),
        body_in_source=bool(item.get("body_in_source", False)),
        change=ChangeKind(item["change"]),
        audience=Audience(item["audience"]),
        urgency=Urgency(item.get("urgency", Urgency.NORMAL.value)),
        content_hash=item["content_hash"],
        tags=tuple(item.get("tags") or ()),
        source=_source_from(item),
        article_updated_at=datetime.fromisoformat(updated) if updated else None,
        reader=item.get("reader"),
        created_at=datetime.fromisoformat(item["created_at"]),
        change_line=item.get("change_line"),
        changed_words=_int_or_none(item.get("changed_words")),
        compared_with=_int_or_none(item.get("compared_with")),
        lang=item.get("lang"),
        image=item.get("image"),
        embargo_until=_datetime_or_none(item.get("embargo_until")),
        cancels_push=bool(item.get("cancels_push", False)),
    )


def _datetime_or_none(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def head_to_item(head: Head) -> dict[str, Any]:
    """The HEAD item: latest version number and hash, and its source's place in event order."""
    item: dict[str, Any] = {
        "pk": article_pk(head.article_id),
        "sk": HEAD_SK,
        "type": HEAD_TYPE,
        "article_id": head.article_id,
        "version": head.version,
        "content_hash": head.content_hash,
        "headline": head.headline,
        "updated_at": _iso(head.updated_at),
        **_source_fields(head.source),
    }
    if head.pushed_version is not None:
        item["pushed_version"] = head.pushed_version
    if head.embargo_until is not None:
        item["embargo_until"] = _iso(head.embargo_until)
    return item


def head_from_item(item: Mapping[str, Any]) -> Head:
    return Head(
        article_id=item["article_id"],
        version=int(item["version"]),
        content_hash=item["content_hash"],
        headline=item["headline"],
        source=_source_from(item),
        updated_at=datetime.fromisoformat(item["updated_at"]),
        pushed_version=_int_or_none(item.get("pushed_version")),
        embargo_until=_datetime_or_none(item.get("embargo_until")),
    )
