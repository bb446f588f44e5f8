"""The stored subscription: the domain view of the table's SUB item."""

from datetime import datetime

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
