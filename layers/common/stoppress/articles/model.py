"""The newsroom's words as types: articles, versions, and how a change is judged.

The models build their validators on first use, not at import: a function that
never touches one (subscribe, send) does not pay for it at cold start.
"""

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from stoppress.contracts.keys import ArticleId
from stoppress.webpush.headers import Urgency


class Audience(StrEnum):
    """Who hears about a version."""

    NONE = "none"
    FOLLOWERS = "followers"  # subscribers of topic article:<id>
    ALL = "all"  # everyone subscribed to the site


class ChangeKind(StrEnum):
    NEW = "new"
    UPDATE = "update"
    CORRECTION = "correction"


SourceFormat = Literal["text", "markdown", "html"]

_FROZEN = ConfigDict(frozen=True, defer_build=True)


class EditorOverrides(BaseModel):
    """What an editor asked for in the file itself (front matter or a header line)."""

    model_config = _FROZEN

    notify: Audience | None = None
    urgency: Urgency | None = None
    # The line an update's push shows, in the editor's words (instead of the computed one).
    update_note: str | None = None
    # Not to be pushed before this time (UTC); the version is stored at once.
    embargo: AwareDatetime | None = None


class Article(BaseModel):
    """One parsed upload: what the file says, normalised."""

    model_config = _FROZEN

    id: ArticleId
    headline: str = Field(min_length=1, max_length=500)
    dateline: str | None = None
    updated_at: AwareDatetime | None = None
    published_at: AwareDatetime | None = None
    paragraphs: tuple[str, ...]
    summary: str
    tags: tuple[str, ...] = ()
    # model_construct: the same empty value, without building the validator at import.
    overrides: EditorOverrides = EditorOverrides.model_construct()
    source_format: SourceFormat
    # The article's language (BCP 47, e.g. "de-CH") and lead image (an absolute https
    # URL), when the file says; shown with its notification.
    lang: str | None = None
    image: str | None = None
    # sha256 over the normalised headline, dateline and paragraphs: whitespace-
    # and encoding-only differences hash the same.
    content_hash: str = Field(pattern=r"^[0-9a-f]{64}$")

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


class SourceObject(BaseModel):
    """The S3 object a version came from, and where it sits in S3's event order."""

    model_config = _FROZEN

    bucket: str
    key: str
    version_id: str | None = None
    sequencer: str | None = None
    event_time: AwareDatetime
    size: int | None = None


class Version(BaseModel):
    """An immutable stored version of an article."""

    model_config = _FROZEN

    article_id: ArticleId
    number: int = Field(ge=1)
    headline: str
    dateline: str | None = None
    summary: str
    # Either the body inline, or None with ``body_in_source`` set: the body is
    # then read back from the source object's S3 version.
    body: str | None = None
    body_in_source: bool = False
    change: ChangeKind
    audience: Audience
    urgency: Urgency = Urgency.NORMAL
    content_hash: str
    tags: tuple[str, ...] = ()
    source: SourceObject
    article_updated_at: AwareDatetime | None = None
    # The reader (``parse.READER_VERSION``) that made it; None: before readers were recorded.
    reader: str | None = None
    created_at: AwareDatetime
    # What changed since ``compared_with`` (the version followers were last pushed), in
    # a line for the push (``articles.change_line``), and how many words the diff changed.
    change_line: str | None = None
    changed_words: int | None = None
    compared_with: int | None = None
    lang: str | None = None
    image: str | None = None
    # Its push waits until then: the file's own embargo, or the story's still pending one
    # when that is later (an update must not break an embargo it did not repeat).
    embargo_until: AwareDatetime | None = None
    # An editor's ``notify: none`` uploaded under an embargo: the push waiting for it is
    # called off (a correction under an embargo is silent too, and calls nothing off).
    cancels_push: bool = False


class Head(BaseModel):
    """The article's current state: the latest version and the newest event seen."""

    model_config = _FROZEN

    article_id: ArticleId
    version: int = Field(ge=1)
    content_hash: str
    headline: str
    source: SourceObject
    updated_at: datetime
    # The latest version that was pushed (audience other than none); None: not known.
    pushed_version: int | None = None
    # The story's embargo, carried from version to version: uploads before it inherit it.
    embargo_until: datetime | None = None


def head_for(version: Version, *, updated_at: datetime, pushed_before: int | None = None) -> Head:
    """The head that points at ``version``; ``pushed_before`` is the previous head's pushed one."""
    return Head(
        article_id=version.article_id,
        version=version.number,
        content_hash=version.content_hash,
        headline=version.headline,
        source=version.source,
        updated_at=updated_at,
        pushed_version=version.number if version.audience is not Audience.NONE else pushed_before,
        embargo_until=version.embargo_until,
    )
