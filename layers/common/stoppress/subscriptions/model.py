"""The stored subscription: the domain view of the table's SUB item, and the rules of expiry."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

from stoppress.contracts.keys import ARTICLE_TOPIC_PREFIX, SubscriptionId
from stoppress.core.settings import ExpirySettings

# How often, at most, a subscription's expiry is pushed back: a push that succeeds
# less than this after the last confirmation writes nothing.
CONFIRM_INTERVAL: Final = timedelta(days=30)
# A subscription's expiry is at least this many confirm intervals long, so a local
# stack or test that scales the expiry down to seconds scales the interval with it.
_INTERVALS_PER_EXPIRY: Final = 10
# Subscriptions stored before they had an expiry are confirmed a slice at a time: one
# of this many slices of the confirm interval (a day, by default) is each one's turn.
LEGACY_SLICES: Final = 30


class Subscription(BaseModel):
    """A stored subscription: the domain view of the table's SUB item.

    ``confirmed_at`` is when the subscription last proved alive (a push that
    succeeded, or the browser sending it again), to within the confirm interval:
    a success is only written once the last confirmation is ``CONFIRM_INTERVAL``
    old. ``failure_count`` counts the versions in a row that could not reach it.
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    sub_id: SubscriptionId
    endpoint: str
    p256dh: str
    auth: str
    topics: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    confirmed_at: datetime | None = None
    failure_count: int = Field(default=0, ge=0)


def is_story_follow(topic: str) -> bool:
    """A follow of one story: it lasts while the story is being updated, not for good."""
    return topic.startswith(ARTICLE_TOPIC_PREFIX)


@dataclass(frozen=True)
class Expiry:
    """When story follows and subscriptions end, and when a success renews them.

    Both end by the table's TTL (``expires_at``, epoch seconds). A story follow
    ends ``follow`` after it was made or last renewed; a push to it that succeeds
    renews it once less than half of that is left, so an active story costs one
    write per follower per half ``follow``. A subscription and its other
    memberships end ``subscription`` after the last confirmation; a push that
    succeeds confirms it once the last one is ``confirm_interval`` old.
    """

    follow: timedelta = timedelta(days=14)
    subscription: timedelta = timedelta(days=300)

    @classmethod
    def from_settings(cls, settings: ExpirySettings) -> "Expiry":
        return cls(
            follow=timedelta(days=settings.follow_expiry_days),
            subscription=timedelta(days=settings.subscription_expiry_days),
        )

    @property
    def confirm_interval(self) -> timedelta:
        return min(CONFIRM_INTERVAL, self.subscription / _INTERVALS_PER_EXPIRY)

    def follow_until(self, now: datetime) -> int:
        return _epoch(now + self.follow)

    def subscription_until(self, now: datetime) -> int:
        return _epoch(now + self.subscription)

    def confirm_due_before(self, now: datetime) -> int:
        """A subscription whose ``expires_at`` is below this is due a confirmation."""
        return _epoch(now + self.subscription - self.confirm_interval)

    def follow_due(self, expires_at: int | None, now: float) -> bool:
        """A story follow is renewed once less than half its life is left (or it has none)."""
        return expires_at is None or expires_at - now < self.follow.total_seconds() / 2

    def confirm_due(self, expires_at: int | None, now: float, sub_id: str | None = None) -> bool:
        """A subscription is confirmed again once its last confirmation is an interval old,
        plus a share of another interval that ``sub_id`` picks.

        The share spreads the writes: subscribers confirmed together (all of them, on
        the day they subscribed through a campaign) come due over a whole interval,
        not on one fan-out. Those with no expiry yet (stored before expiries) are due
        on their own slice of the interval only, for the same reason.
        """
        interval = self.confirm_interval.total_seconds()
        if expires_at is None:
            if sub_id is None:
                return True
            turn = int(now // (interval / LEGACY_SLICES)) % LEGACY_SLICES
            return turn == _share(sub_id, LEGACY_SLICES)
        spread = interval * _share(sub_id, 1000) / 1000 if sub_id else 0.0
        left = self.subscription.total_seconds() - interval - spread
        return expires_at - now < left

    def renewal_due(
        self, topic: str, expires_at: int | None, now: float, sub_id: str | None = None
    ) -> bool:
        """Whether a success for a member of ``topic`` whose item says ``expires_at`` writes."""
        if is_story_follow(topic):
            return self.follow_due(expires_at, now)
        return self.confirm_due(expires_at, now, sub_id)


def _share(sub_id: str, parts: int) -> int:
    """A stable part of ``parts`` for a subscription (its id is a hash, so evenly spread)."""
    return int(sub_id[-8:], 16) % parts


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


@dataclass(frozen=True)
class FailureStreak:
    """Versions in a row that could not reach a subscription, and since when."""

    versions: int
    since: datetime

    def ends_subscription(self, *, versions: int, duration: timedelta, now: datetime) -> bool:
        """Both bounds passed: enough failed versions, over long enough.

        The duration keeps an outage of a push service (or of our own
        configuration) from retiring its subscribers before anyone can act on
        the failure-rate alarm; the count keeps a quiet week from doing it.
        """
        return self.versions >= versions and now - self.since >= duration
