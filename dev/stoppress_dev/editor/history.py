"""``stoppress history`` and ``stoppress diff``: a story's versions, how each was delivered,
what is waiting in its cooldown window, and what changed between two versions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from stoppress.articles.changes import changed_word_count
from stoppress.articles.model import Version
from stoppress.contracts.keys import ARTICLE_ID_PATTERN, article_id_from_key
from stoppress_dev.editor.reader import StackReader
from stoppress_dev.editor.target import EditorError
from stoppress_dev.editor.worddiff import Op, word_diff


def story_id(name: str) -> str:
    """The article id an editor means: an id as it is, or a file name or S3 key made into one
    (``articles/NATO Talks.txt`` -> ``nato-talks``), as ingest makes it."""
    if re.fullmatch(ARTICLE_ID_PATTERN, name):
        return name
    try:
        return article_id_from_key(name)
    except ValueError:
        raise EditorError(f"{name!r} names no article: no letters or digits", usage=True) from None


@dataclass(frozen=True)
class HeldUpdate:
    """The latest version waiting for the story's cooldown window to close, or its embargo."""

    version: int
    covers: int
    goes_out_at: datetime
    # The embargo the push waits for (None: only the cooldown).
    embargo_until: datetime | None = None
    # It will announce the story as new (the story was never pushed).
    new_story: bool = False


@dataclass(frozen=True)
class VersionRecord:
    version: Version
    # The DELIVERY#n counters; None when nothing was sent for the version.
    delivery: dict[str, int] | None


@dataclass(frozen=True)
class History:
    article_id: str
    versions: tuple[VersionRecord, ...]
    held: HeldUpdate | None


def story_history(article_id: str, *, reader: StackReader) -> History:
    versions = _versions(article_id, reader)
    deliveries = reader.deliveries(article_id)
    gate = reader.gate(article_id)
    held = None
    if gate.held_version:
        held = HeldUpdate(
            version=gate.held_version,
            covers=gate.held_count,
            goes_out_at=datetime.fromtimestamp(gate.window_until, tz=UTC),
            embargo_until=(
                datetime.fromtimestamp(gate.embargo_until, tz=UTC) if gate.embargo_until else None
            ),
            new_story=gate.held_new,
        )
    return History(
        article_id=article_id,
        versions=tuple(VersionRecord(v, deliveries.get(v.number)) for v in versions),
        held=held,
    )


@dataclass(frozen=True)
class VersionDiff:
    article_id: str
    old: Version
    new: Version
    headline: list[Op]
    dateline: list[Op]
    body: list[Op]
    # As ingest counts them to judge the change (normalised, case-folded words).
    changed_words: int


def version_diff(
    article_id: str, *, reader: StackReader, first: int | None = None, second: int | None = None
) -> VersionDiff:
    """``first`` to ``second``; ``first`` to the latest without ``second``; the last two
    versions without either."""
    versions = {v.number: v for v in _versions(article_id, reader)}
    numbers = sorted(versions)
    if first is None:
        if len(numbers) < 2:
            raise EditorError(f"{article_id} has only version {numbers[0]}: nothing to compare")
        first, second = numbers[-2], numbers[-1]
    elif second is None:
        second = numbers[-1]
    for number in (first, second):
        if number not in versions:
            raise EditorError(
                f"{article_id} has no version {number} (it has {_span(numbers)})", usage=True
            )
    old, new = versions[first], versions[second]
    before, after = reader.body(old), reader.body(new)
    return VersionDiff(
        article_id=article_id,
        old=old,
        new=new,
        headline=word_diff(old.headline, new.headline),
        dateline=word_diff(old.dateline or "", new.dateline or ""),
        body=word_diff(before, after),
        changed_words=changed_word_count(before, after),
    )


def _versions(article_id: str, reader: StackReader) -> list[Version]:
    versions = reader.versions(article_id)
    if not versions:
        raise EditorError(f"no article {article_id!r} in {reader.target.where}")
    return versions


def _span(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return f"version {numbers[0]} only"
    return f"versions {numbers[0]} to {numbers[-1]}"
