"""The push job queue: notify's JobQueue and send's RetryQueue, both ``enqueue``."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from stoppress.contracts.jobs import EnqueueError, PushJob


@dataclass
class FakeQueue:
    """Records every batch it takes with its delay; jobs for a shard in ``refuse`` are refused.

    Like an SQS batch, the rest of a batch is taken before the refused jobs are reported.
    """

    refuse: set[int] = field(default_factory=set)
    sent: list[tuple[list[PushJob], int | None]] = field(default_factory=list)

    def enqueue(self, jobs: Sequence[PushJob], *, delay_seconds: int | None = None) -> int:
        refused = [j for j in jobs if j.shard in self.refuse]
        self.sent.append(([j for j in jobs if j.shard not in self.refuse], delay_seconds))
        if refused:
            raise EnqueueError("refused", refused)
        return len(jobs)

    @property
    def jobs(self) -> list[PushJob]:
        """Every job taken, in order."""
        return [job for batch, _ in self.sent for job in batch]
