"""The send stage's vocabulary: the ports sending uses, and a job's part, options and report."""

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final, Protocol

from stoppress.contracts.jobs import PushJob, Recipient
from stoppress.core.errors import TransientError
from stoppress.core.settings import PushEndpointSettings
from stoppress.subscriptions.model import Expiry, FailureStreak

CHECKPOINT_SECONDS: Final = 5.0
HANDOFF_SECONDS: Final = 30.0


class JobInProgressError(TransientError):
    """Another sender holds a live lease on this job; SQS should try again later."""


# -- ports ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PushResponse:
    """A push service's answer: a status, or ``status`` None with the transport error's name."""

    status: int | None
    retry_after: str | None = None
    error: str | None = None


class PushClient(Protocol):
    """Sends one encrypted push; never raises for HTTP or transport failures."""

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> PushResponse: ...


class MemberStore(Protocol):
    def members(
        self,
        topic: str,
        shard: int,
        *,
        page_size: int,
        start_after: str | None = None,
        excluding: Collection[str] = (),
    ) -> Iterator[Sequence[Recipient]]: ...

    def delete(self, sub_id: str) -> bool: ...

    def record_failed_version(
        self, sub_id: str, version_mark: str, *, now: datetime
    ) -> FailureStreak | None: ...

    def record_success(self, sub_id: str, *, now: datetime) -> None: ...

    def confirm(self, sub_id: str, *, now: datetime) -> bool: ...

    def extend_follow(self, sub_id: str, topic: str, shard: int, *, now: datetime) -> bool: ...


class RetryQueue(Protocol):
    def enqueue(self, jobs: Sequence[PushJob], *, delay_seconds: int | None = None) -> int: ...


class StatsSink(Protocol):
    def add(
        self,
        article_id: str,
        version: int,
        *,
        sent: int,
        expired: int,
        failed: int,
        retried: int,
        at: datetime,
    ) -> None: ...


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a job: ``done`` (nothing to do) or a resume cursor."""

    done: bool = False
    cursor: str | None = None


class JobClaims(Protocol):
    """Leased claims keyed by ``key`` (the job id, or the job id and the part sent)."""

    def claim(self, job: PushJob, key: str) -> Claim:
        """Claim ``key``; raises JobInProgressError if someone else holds a live lease."""
        ...

    def checkpoint(self, job: PushJob, key: str, cursor: str) -> None: ...

    def complete(self, job: PushJob, key: str) -> None: ...

    def release(self, job: PushJob, key: str) -> None:
        """Give the lease up (keeping the cursor) so the next sender may resume at once."""
        ...


_SUB_ID_SPACE: Final = 16**32  # sub ids are 32 hex digits of a hash: uniformly spread


@dataclass(frozen=True)
class SendPart:
    """One of ``count`` equal slices of the sub id space, for senders working side by side.

    Sub ids are hashes, so equal slices hold about equal numbers of members;
    the table returns members in sub id order, so a slice is one key range.
    """

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.index < self.count:
            raise ValueError(f"part {self.index} of {self.count} does not exist")

    @property
    def whole(self) -> bool:
        return self.count == 1

    @property
    def start_after(self) -> str | None:
        """Members with a sub id above this belong to the part (None: from the start)."""
        low = self.index * _SUB_ID_SPACE // self.count
        return None if low == 0 else f"{low - 1:032x}"

    @property
    def stop_at(self) -> str | None:
        """Members from this sub id on belong to the next part (None: to the end)."""
        high = (self.index + 1) * _SUB_ID_SPACE // self.count
        return None if high >= _SUB_ID_SPACE else f"{high:032x}"

    def claim_key(self, job: PushJob) -> str:
        return job.job_id if self.whole else f"{job.job_id}-{self.index + 1}of{self.count}"


@dataclass(frozen=True)
class SendOptions:
    max_in_flight: int = 128
    max_attempts: int = 5
    page_size: int = 500
    endpoint_settings: PushEndpointSettings = field(default_factory=PushEndpointSettings)
    checkpoint_seconds: float = CHECKPOINT_SECONDS
    # Time kept in reserve before the invocation's end: requests in flight
    # (bounded by their timeout) and the final writes must fit in it.
    handoff_seconds: float = HANDOFF_SECONDS
    # A subscription is retired after this many versions in a row failed to reach
    # it, over at least this long (``FailureStreak.ends_subscription``).
    retire_after_versions: int = 5
    retire_after: timedelta = timedelta(hours=72)
    # When a success renews a member's expiry, and when a member counts as expired.
    expiry: Expiry = field(default_factory=Expiry)


@dataclass(frozen=True)
class DeliveryReport:
    """What one job did."""

    job_id: str
    article_id: str
    version: int
    topic: str
    shard: int
    attempt: int
    sent: int = 0
    expired: int = 0
    failed: int = 0
    retried: int = 0
    retry_jobs: int = 0
    # Subscriptions removed after failing version after version.
    retired: int = 0
    # Successes that renewed an expiry: subscriptions confirmed, story follows extended.
    confirmed: int = 0
    extended: int = 0
    # Members skipped because their expiry had passed (the TTL deletes them later).
    lapsed: int = 0
    duplicate: bool = False
    # The invocation ran short of time: the rest went back on the queue as the same job.
    continued: bool = False
    duration_seconds: float = 0.0
