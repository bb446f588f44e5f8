"""Subscribe/unsubscribe requests and a notification's engagement events, as pydantic models.

The request models check everything that can be checked without the table:
the endpoint rules (docs/design.md, "Security"; with the settings passed as validation
context), keys that decode to a real P-256 point and a 16-byte auth secret, and
a bounded list of known topic forms: ``all``, ``article:<article id>`` (follow one
story) and ``tag:<slug>`` (follow a section or tag, in ``tag_slug``'s form). Keys
are normalised to unpadded base64url so every reader of the table sees one spelling.

Import cost: the models build their validators on first use (``defer_build``)
and cryptography is imported only when a key is checked, so a handler that
imports this module but serves a request needing neither does not pay for them.
"""

import re
from collections.abc import Sequence
from typing import Annotated, Final

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from stoppress.contracts.engagement import EngagementAction
from stoppress.contracts.keys import (
    ARTICLE_ID_PATTERN,
    ARTICLE_TOPIC_PREFIX,
    TAG_SLUG_PATTERN,
    TAG_TOPIC_PREFIX,
    TOPIC_ALL,
    ArticleId,
)
from stoppress.core import base64url
from stoppress.core.errors import InvalidSubscriptionError
from stoppress.core.settings import PushEndpointSettings
from stoppress.subscriptions.model import is_story_follow
from stoppress.webpush.endpoints import MAX_ENDPOINT_LENGTH, validate_endpoint

# A subscription keeps at most MAX_TOPICS topics; a request may name more (a reader
# following one more story), and the oldest story follows then give way
# (``kept_topics``); the topics that never give way ("all" and section follows) must
# fit in MAX_TOPICS themselves. The request bound keeps a body within MAX_BODY_BYTES.
MAX_TOPICS: Final = 20
MAX_REQUEST_TOPICS: Final = 40
P256_POINT_LENGTH: Final = 65
AUTH_SECRET_LENGTH: Final = 16
# Validation context key under which callers pass their PushEndpointSettings.
ENDPOINT_SETTINGS: Final = "endpoint_settings"
# Version numbers fit the six digits of their sort keys (``keys.version_sk``).
MAX_VERSION: Final = 999_999

_ARTICLE_ID = re.compile(ARTICLE_ID_PATTERN)
_TAG_SLUG = re.compile(TAG_SLUG_PATTERN)


def _p256_public_key(value: str) -> str:
    raw = base64url.decode(value)
    if len(raw) != P256_POINT_LENGTH or raw[0] != 0x04:
        raise ValueError("must be a 65-byte uncompressed P-256 point")
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError as e:
        raise ValueError("is not a point on the P-256 curve") from e
    return base64url.encode(raw)


def _auth_secret(value: str) -> str:
    raw = base64url.decode(value)
    if len(raw) != AUTH_SECRET_LENGTH:
        raise ValueError("must decode to a 16-byte auth secret")
    return base64url.encode(raw)


def _topic(value: str) -> str:
    if value == TOPIC_ALL:
        return value
    if value.startswith(ARTICLE_TOPIC_PREFIX) and _ARTICLE_ID.fullmatch(
        value[len(ARTICLE_TOPIC_PREFIX) :]
    ):
        return value
    if value.startswith(TAG_TOPIC_PREFIX) and _TAG_SLUG.fullmatch(value[len(TAG_TOPIC_PREFIX) :]):
        return value
    raise ValueError('must be "all", "article:<article id>" or "tag:<tag slug>"')


P256dhKey = Annotated[str, Field(max_length=200), AfterValidator(_p256_public_key)]
AuthSecret = Annotated[str, Field(max_length=100), AfterValidator(_auth_secret)]
Topic = Annotated[str, Field(max_length=200), AfterValidator(_topic)]
Endpoint = Annotated[str, Field(min_length=1, max_length=MAX_ENDPOINT_LENGTH)]


class _Request(BaseModel):
    # Browsers and future clients may send more than we read; ignore it rather than fail.
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)


class PushKeys(_Request):
    p256dh: P256dhKey
    auth: AuthSecret


class PushSubscriptionJSON(_Request):
    """What ``PushSubscription.toJSON()`` gives in the browser."""

    endpoint: Endpoint
    expirationTime: float | None = Field(default=None, ge=0)  # the browser's field name
    keys: PushKeys

    @field_validator("endpoint")
    @classmethod
    def _endpoint_rules(cls, value: str, info: ValidationInfo) -> str:
        # Without settings in the context the strict deployed defaults apply.
        context = info.context or {}
        settings = context.get(ENDPOINT_SETTINGS) or PushEndpointSettings()
        try:
            return validate_endpoint(value, settings)
        except InvalidSubscriptionError as e:
            raise ValueError(e.reason) from e


def _unique(topics: list[str]) -> list[str]:
    return list(dict.fromkeys(topics))


Topics = Annotated[
    list[Topic], Field(min_length=1, max_length=MAX_REQUEST_TOPICS), AfterValidator(_unique)
]


def _lasting_within_limit(topics: list[str]) -> list[str]:
    lasting = sum(1 for t in topics if not is_story_follow(t))
    if lasting > MAX_TOPICS:
        raise ValueError(
            f'at most {MAX_TOPICS} topics that are not story follows ("all" and '
            f'"tag:" follows); {lasting} were named'
        )
    return topics


def kept_topics(topics: Sequence[str]) -> tuple[str, ...]:
    """``topics`` within ``MAX_TOPICS``: every topic that is not a story follow, then the
    most recent story follows (the last named), in the order given.

    Following one more story must always work; the follow that gives way is the
    oldest, whose story has most likely gone quiet. Section and tag follows
    (``tag:<slug>``) count toward the limit but never give way: a reader chose a
    section to hear about stories not yet written, so it does not go quiet the way
    a story does, and dropping one silently would lose a choice that is still meant.
    ``SubscribeRequest`` refuses a request whose topics other than story follows
    exceed the limit (a 400 with that reason), so nothing but story follows is
    ever dropped here.
    """
    if len(topics) <= MAX_TOPICS:
        return tuple(topics)
    stories = [t for t in topics if is_story_follow(t)]
    room = MAX_TOPICS - (len(topics) - len(stories))
    dropped = set(stories[: len(stories) - max(room, 0)])
    return tuple(t for t in topics if t not in dropped)[:MAX_TOPICS]


class SubscribeRequest(_Request):
    subscription: PushSubscriptionJSON
    topics: Annotated[Topics, AfterValidator(_lasting_within_limit)] = Field(
        default_factory=lambda: [TOPIC_ALL]
    )


class UnsubscribeRequest(_Request):
    """Leave entirely, or, with ``topics``, stop only those (say, unfollow one story)."""

    endpoint: Endpoint
    auth: AuthSecret
    topics: Topics | None = None

    @field_validator("topics", mode="before")
    @classmethod
    def _present_means_a_list(cls, value: object) -> object:
        # An explicit null must not read as "unsubscribe from everything":
        # only leaving the field out means that.
        if value is None:
            raise ValueError("must be a list of topics, or left out to unsubscribe entirely")
        return value


class LookupRequest(_Request):
    """List what a subscription follows; its auth secret proves the asker owns it."""

    endpoint: Endpoint
    auth: AuthSecret


class EngagementRequest(_Request):
    """A reader clicked a notification (``click``: its body or "Read") or its "Unfollow
    story" (``unfollow``): which version it showed, and nothing about who."""

    article_id: ArticleId
    # Strict: a version is the number the payload carried, never "3", 3.0 or true.
    version: int = Field(strict=True, ge=1, le=MAX_VERSION)
    action: EngagementAction
