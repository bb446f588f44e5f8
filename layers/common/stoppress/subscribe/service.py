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
"""

import hmac
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Protocol

from stoppress.contracts.keys import subscription_id
from stoppress.core.errors import ForbiddenError
from stoppress.core.observability import logger
from stoppress.core.settings import PushEndpointSettings
from stoppress.subscribe.requests import SubscribeRequest, UnsubscribeRequest, kept_topics
from stoppress.subscriptions.model import Subscription
from stoppress.webpush.endpoints import canonical_endpoint, validate_endpoint

NOT_YOURS = "no subscription matches this endpoint and auth secret"


class SubscriptionRepository(Protocol):
    def get(self, sub_id: str) -> Subscription | None: ...

    def put(self, subscription: Subscription) -> Subscription | None:
        """Store it, keeping the replaced one's ``created_at`` and ``last_success_at``;
        returns the replaced one."""
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
    previous = store.put(subscription)
    if previous is not None:
        subscription = subscription.model_copy(
            update={"created_at": previous.created_at, "last_success_at": previous.last_success_at}
        )
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
