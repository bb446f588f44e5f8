"""The stored subscription: the domain view of the table's SUB item."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from stoppress.contracts.keys import SubscriptionId


class Subscription(BaseModel):
    """A stored subscription: the domain view of the table's SUB item."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    sub_id: SubscriptionId
    endpoint: str
    p256dh: str
    auth: str
    topics: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    last_success_at: datetime | None = None
    failure_count: int = Field(default=0, ge=0)


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
