"""The push job: one SQS message asking SendFunction to notify one topic shard.

NotifyFunction enqueues one job per topic shard with ``recipients`` unset (send
to every member of the shard). SendFunction re-enqueues the recipients it could
not reach yet as a new job with ``recipients`` set and ``attempt`` + 1, so a
retry never reaches anyone who already got the message.
"""

import hashlib
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from stoppress.contracts.keys import ArticleId, SubscriptionId
from stoppress.core.errors import TransientError
from stoppress.webpush.headers import TopicHeader, Urgency


class Recipient(BaseModel):
    """What sending needs about one subscriber: where to push and the keys to encrypt for."""

    model_config = ConfigDict(frozen=True)

    sub_id: SubscriptionId
    endpoint: str = Field(min_length=1, max_length=2048)
    p256dh: str = Field(min_length=1, max_length=200)
    auth: str = Field(min_length=1, max_length=100)
    # Its last version did not reach it: a success clears the record, a failure
    # is not retried (docs/design.md, "Fan-out and delivery").
    failing: bool = False
    # The subscription's topics, on members of topics other than "all": a version
    # sent to several topics reaches it from the first of them it is in (``PushJob.audience``).
    topics: tuple[str, ...] | None = None
    # The member item's expiry (epoch seconds; the table's TTL): a success renews it
    # when it is due, and a member past it is as good as deleted. Absent from jobs
    # queued before members carried it, and from members that have none.
    expires_at: int | None = None


class PushJob(BaseModel):
    """Send one version's notification to one topic partition (or to named recipients only)."""

    model_config = ConfigDict(frozen=True)

    article_id: ArticleId
    version: int = Field(ge=1)
    topic: str = Field(min_length=1, max_length=200)
    shard: int = Field(ge=0)
    # The payload contract (docs/design.md, "Contracts"), built once by NotifyFunction.
    payload: dict[str, Any]
    urgency: Urgency = Urgency.NORMAL
    ttl: int = Field(default=86_400, ge=0, le=2_419_200)
    topic_header: TopicHeader
    # None: every member of the shard. A tuple: a retry, only these subscribers.
    recipients: tuple[Recipient, ...] | None = None
    # Every topic the version goes to, in order, when more than one: a member of this
    # job's topic who is also in an earlier one hears it from there, so nobody twice.
    audience: tuple[str, ...] | None = None
    attempt: int = Field(default=0, ge=0)

    def to_message(self) -> str:
        """The SQS message body (JSON)."""
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def from_message(cls, body: str) -> "PushJob":
        """Parse an SQS message body; raises pydantic's ValidationError on a malformed job."""
        return cls.model_validate_json(body)

    @property
    def job_id(self) -> str:
        """Stable id of this exact job: the same message delivered twice has the same id.

        Covers article, version, topic, shard, attempt and (for retries) the
        recipient set, so a retry job is a different job from its parent.
        """
        h = hashlib.sha256()
        h.update(f"{self.article_id}\n{self.version}\n{self.topic}\n{self.shard}\n".encode())
        h.update(f"{self.attempt}\n".encode())
        if self.recipients is not None:
            for sub_id in sorted(r.sub_id for r in self.recipients):
                h.update(sub_id.encode())
        return h.hexdigest()[:32]


class EnqueueError(TransientError):
    """Some jobs could not be put on the queue; ``not_enqueued`` lists them."""

    def __init__(self, message: str, not_enqueued: Sequence[PushJob]) -> None:
        super().__init__(message)
        self.not_enqueued: tuple[PushJob, ...] = tuple(not_enqueued)
