"""Send's ports in memory: the push client, topic members, delivery stats and job claims."""

import asyncio
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from stoppress.contracts.jobs import PushJob, Recipient
from stoppress.send.model import Claim, JobInProgressError, PushResponse
from stoppress.subscriptions.model import FailureStreak


@dataclass
class FakePushClient:
    """Answers from a script per endpoint (then 201), recording every request.

    With ``too_large_above`` set, any longer body is refused with 413 first, as a
    push service with a smaller size limit would.
    """

    script: dict[str, list[PushResponse]] = field(default_factory=dict)
    too_large_above: int | None = None
    requests: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)
    delay: float = 0.0
    in_flight: int = 0
    max_in_flight: int = 0

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> PushResponse:
        self.requests.append((url, body, dict(headers)))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        if self.too_large_above is not None and len(body) > self.too_large_above:
            return PushResponse(413)
        answers = self.script.get(url)
        return answers.pop(0) if answers else PushResponse(201)

    def urls(self) -> list[str]:
        return [url for url, _, _ in self.requests]


@dataclass
class FakeMembers:
    """One topic partition's members, paged in sub id order as the table returns them."""

    shard: list[Recipient]
    deleted: list[str] = field(default_factory=list)
    pages_read: int = 0
    # The topics the last read left out (a version's earlier audience topics).
    excluded: set[str] = field(default_factory=set)
    failures: list[tuple[str, str]] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    streaks: dict[str, tuple[FailureStreak, str]] = field(default_factory=dict)
    confirmed: list[str] = field(default_factory=list)
    extended: list[tuple[str, str, int]] = field(default_factory=list)
    # Raised by confirm and extend_follow, as a throttled or refused table would.
    renew_error: Exception | None = None

    def members(
        self,
        topic: str,
        shard: int,
        *,
        page_size: int,
        start_after: str | None = None,
        excluding: Collection[str] = (),
    ) -> Iterator[Sequence[Recipient]]:
        # Like the table: what another topic of the audience reaches is not read at all.
        self.excluded = set(excluding)
        ordered = sorted(
            (r for r in self.shard if not (excluding and set(r.topics or ()) & set(excluding))),
            key=lambda r: r.sub_id,
        )
        if start_after is not None:
            ordered = [r for r in ordered if r.sub_id > start_after]
        for i in range(0, len(ordered), page_size):
            self.pages_read += 1
            yield ordered[i : i + page_size]

    def delete(self, sub_id: str) -> bool:
        self.deleted.append(sub_id)
        return True

    def record_failed_version(
        self, sub_id: str, version_mark: str, *, now: datetime
    ) -> FailureStreak | None:
        self.failures.append((sub_id, version_mark))
        streak = self.streaks.get(sub_id)
        if streak is not None and streak[1] == version_mark:
            return None
        versions = streak[0].versions + 1 if streak else 1
        since = streak[0].since if streak else now
        self.streaks[sub_id] = (FailureStreak(versions, since), version_mark)
        return self.streaks[sub_id][0]

    def record_success(self, sub_id: str, *, now: datetime) -> None:
        self.recovered.append(sub_id)
        self.streaks.pop(sub_id, None)

    def confirm(self, sub_id: str, *, now: datetime) -> bool:
        if self.renew_error is not None:
            raise self.renew_error
        self.confirmed.append(sub_id)
        return True

    def extend_follow(self, sub_id: str, topic: str, shard: int, *, now: datetime) -> bool:
        if self.renew_error is not None:
            raise self.renew_error
        self.extended.append((sub_id, topic, shard))
        return True


@dataclass
class FakeStats:
    totals: dict[str, int] = field(
        default_factory=lambda: {"sent": 0, "expired": 0, "failed": 0, "retried": 0}
    )
    updates: int = 0

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
    ) -> None:
        self.updates += 1
        counts = {"sent": sent, "expired": expired, "failed": failed, "retried": retried}
        for name, value in counts.items():
            self.totals[name] += value


@dataclass
class FakeClaims:
    """Claims by key: a released one resumes at its last checkpoint, a new one at resume_from."""

    state: dict[str, str] = field(default_factory=dict)
    cursors: list[str] = field(default_factory=list)
    resume_from: str | None = None

    def claim(self, job: PushJob, key: str) -> Claim:
        state = self.state.get(key)
        if state == "done":
            return Claim(done=True)
        if state == "sending":
            raise JobInProgressError(key)
        self.state[key] = "sending"
        if state == "released":
            return Claim(cursor=self.cursors[-1] if self.cursors else None)
        return Claim(cursor=self.resume_from)

    def checkpoint(self, job: PushJob, key: str, cursor: str) -> None:
        self.cursors.append(cursor)

    def complete(self, job: PushJob, key: str) -> None:
        self.state[key] = "done"

    def release(self, job: PushJob, key: str) -> None:
        self.state[key] = "released"
