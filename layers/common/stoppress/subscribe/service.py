"""Subscribing and unsubscribing: the rules, independent of HTTP and of the table.

The store is a port (``SubscriptionRepository``); the DynamoDB adapter
``stoppress.subscriptions.table.SubscriptionStore`` implements it, and
tests may pass a fake.

Unsubscribing needs the subscription's auth secret, which only the browser
that subscribed knows. An unknown endpoint is refused with the same error as a
wrong secret, so the API never tells a caller whether an endpoint is
subscribed. The same secret lets a reader stop some topics only (unfollow
one story from a notification's button) and stay subscribed to the rest.

Re-subscribing an endpoint replaces what was stored: new keys and topics,
memberships of dropped topics removed, ``created_at`` kept. The endpoint URL is
itself the push service's capability for that browser, so whoever presents it
with valid keys is treated as its owner.

Listing what a reader follows (``lookup``) takes the same proof as
unsubscribing and refuses in the same words. It lists what will still reach
the reader: a follow whose membership has expired (or gone) is left out,
whatever the SUB item's list still says, so the browser can adopt the answer
as its own list. Reading the table is the ``FollowsRepository`` port's
(``stoppress.subscribe.follows_table.FollowsTable``).
"""

import hmac
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Protocol

from stoppress.contracts.keys import ARTICLE_TOPIC_PREFIX, TAG_TOPIC_PREFIX, subscription_id
from stoppress.core.errors import ForbiddenError
from stoppress.core.observability import logger
from stoppress.core.settings import PushEndpointSettings
from stoppress.subscribe.requests import (
    LookupRequest,
    SubscribeRequest,
    UnsubscribeRequest,
    kept_topics,
)
from stoppress.subscriptions.model import Expiry, Subscription
from stoppress.webpush.endpoints import canonical_endpoint, validate_endpoint

NOT_YOURS = "no subscription matches this endpoint and auth secret"


@dataclass(frozen=True)
class Followed:
    """What a stored subscription says it follows: its secret, its topics (oldest first)
    and the shard its memberships live in."""

    auth: str
    topics: tuple[str, ...]
    shard: int
    # The subscription's expiry (epoch seconds); None for one stored before expiries.
    expires_at: int | None = None


@dataclass(frozen=True)
class StoryFollow:
    """One story followed; ``headline`` is the story's current one (None before it has one)."""

    topic: str
    kind: Literal["story"] = field(default="story", init=False)
    article_id: str
    headline: str | None


@dataclass(frozen=True)
class TagFollow:
    """A section or tag followed: new stories carrying it reach the reader."""

    topic: str
    kind: Literal["tag"] = field(default="tag", init=False)
    tag: str


@dataclass(frozen=True)
class Following:
    """What a reader follows now: every live topic (``all`` included), and the follows
    among them, in the order they were followed."""

    topics: tuple[str, ...]
    follows: tuple[StoryFollow | TagFollow, ...]


class FollowsRepository(Protocol):
    def followed(self, sub_id: str, *, now: datetime) -> Followed | None:
        """None when there is no such subscription, or it has expired."""
        ...

    def live_topics(
        self, sub_id: str, shard: int, topics: Collection[str], *, now: datetime
    ) -> frozenset[str]:
        """Those of ``topics`` whose membership item is there and has not expired."""
        ...

    def headlines(self, article_ids: Collection[str]) -> Mapping[str, str]:
        """The current headline of each story that has one."""
        ...


class SubscriptionRepository(Protocol):
    def get(self, sub_id: str) -> Subscription | None: ...

    def put(self, subscription: Subscription) -> tuple[Subscription, Subscription | None]:
        """Store it, keeping the replaced one's ``created_at``; returns what was stored
        (its topics less story follows that have ended) and the replaced one."""
        ...

    def delete(self, sub_id: str, *, if_auth: str | None = None) -> bool: ...

    def remove_topics(
        self,
        sub_id: str,
        topics: Collection[str],
        *,
        if_auth: str | None = None,
        now: datetime,
    ) -> tuple[str, ...] | None: ...


def subscribe(
    request: SubscribeRequest,
    store: SubscriptionRepository,
    settings: PushEndpointSettings,
    *,
    now: datetime | None = None,
) -> Subscription:
    """Store (or replace) the subscription in ``request``; returns what was stored."""
    # Checked again with the caller's settings: the request may have been
    # validated without them, and the rules here are the ones that count.
    # The canonical spelling it returns is what the id is made from.
    endpoint = validate_endpoint(request.subscription.endpoint, settings)
    sub_id = subscription_id(endpoint)
    at = now or datetime.now(UTC)
    subscription = Subscription(
        sub_id=sub_id,
        endpoint=endpoint,
        p256dh=request.subscription.keys.p256dh,
        auth=request.subscription.keys.auth,
        topics=kept_topics(request.topics),
        created_at=at,
        updated_at=at,
        failure_count=0,
    )
    # One read, inside the store's conditioned write, tells a new subscription
    # from a replaced one (whose history the store keeps).
    subscription, previous = store.put(subscription)
    logger.info(
        "subscription stored",
        extra={"sub_id": sub_id, "topics": list(subscription.topics), "replaced": bool(previous)},
    )
    return subscription


def unsubscribe(
    request: UnsubscribeRequest,
    store: SubscriptionRepository,
    *,
    now: datetime | None = None,
) -> tuple[str, ...]:
    """Remove the subscription for ``request.endpoint`` if ``request.auth`` proves ownership.

    With ``request.topics``, only those topics stop (a reader unfollowing one
    story stays subscribed to the rest); once none is left the subscription
    goes. Returns the topics it keeps: ``()`` when it is gone.

    Raises ``ForbiddenError`` for a wrong secret and for an unknown endpoint
    alike; nothing changes in either case.
    """
    # Any spelling of the endpoint finds the subscription its canonical spelling made.
    sub_id = subscription_id(canonical_endpoint(request.endpoint))
    current = store.get(sub_id)
    if current is None or not hmac.compare_digest(current.auth.encode(), request.auth.encode()):
        logger.info("unsubscribe refused", extra={"sub_id": sub_id})
        raise ForbiddenError(NOT_YOURS)
    # The store checks the secret again under the same condition it writes
    # with, so a re-subscribe racing with this cannot be changed by a stale secret.
    if request.topics is None:
        removed = store.delete(sub_id, if_auth=request.auth)
        logger.info("subscription removed", extra={"sub_id": sub_id, "was_present": removed})
        return ()
    kept = store.remove_topics(
        sub_id, request.topics, if_auth=request.auth, now=now or datetime.now(UTC)
    )
    logger.info(
        "topics removed",
        extra={
            "sub_id": sub_id,
            "topics": list(request.topics),
            "kept": list(kept or ()),
            "was_present": kept is not None,
        },
    )
    return kept or ()


class Confirmations(Protocol):
    expiry: Expiry

    def confirm(self, sub_id: str, *, now: datetime) -> bool: ...


def lookup(
    request: LookupRequest,
    follows: FollowsRepository,
    confirmations: Confirmations | None = None,
    *,
    now: datetime | None = None,
) -> Following:
    """What the subscription for ``request.endpoint`` follows, if ``request.auth`` proves
    ownership.

    Only follows that still reach the reader are listed: a membership that has
    expired or gone is left out, even while the SUB item still names it. The
    browser asking is alive: the lookup confirms the subscription when that is
    due (``Expiry.confirm_due``, from the expiry just read), so a reader whose
    pushes all go to quiet stories keeps the subscription by visiting the site.

    Raises ``ForbiddenError`` for a wrong secret, an unknown endpoint and an
    expired subscription alike.
    """
    sub_id = subscription_id(canonical_endpoint(request.endpoint))
    at = now or datetime.now(UTC)
    followed = follows.followed(sub_id, now=at)
    if followed is None or not hmac.compare_digest(followed.auth.encode(), request.auth.encode()):
        logger.info("lookup refused", extra={"sub_id": sub_id})
        raise ForbiddenError(NOT_YOURS)
    if confirmations is not None and confirmations.expiry.confirm_due(
        followed.expires_at, at.timestamp(), sub_id
    ):
        confirmations.confirm(sub_id, now=at)
    live = follows.live_topics(sub_id, followed.shard, followed.topics, now=at)
    topics = tuple(t for t in followed.topics if t in live)
    stories = [
        t.removeprefix(ARTICLE_TOPIC_PREFIX) for t in topics if t.startswith(ARTICLE_TOPIC_PREFIX)
    ]
    headlines = follows.headlines(stories) if stories else {}
    listed: list[StoryFollow | TagFollow] = []
    for topic in topics:
        if topic.startswith(ARTICLE_TOPIC_PREFIX):
            article_id = topic.removeprefix(ARTICLE_TOPIC_PREFIX)
            listed.append(StoryFollow(topic, article_id, headlines.get(article_id)))
        elif topic.startswith(TAG_TOPIC_PREFIX):
            listed.append(TagFollow(topic, topic.removeprefix(TAG_TOPIC_PREFIX)))
    logger.info(
        "follows listed",
        extra={"sub_id": sub_id, "live": len(topics), "gone": len(followed.topics) - len(topics)},
    )
    return Following(topics=topics, follows=tuple(listed))
