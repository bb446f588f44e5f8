"""What the pipeline did and is doing: steps for logs and progress displays, jobs per
version, and waiting until every event source is idle."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from stoppress.aws.items import from_attrs
from stoppress_dev.localstack.items import COUNTS, TableItems, int_or_none

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

log = logging.getLogger("local-stack")

POLL_INTERVAL = 0.05


@dataclass(frozen=True)
class PipelineStep:
    """One thing the pipeline did, for logs and progress displays.

    kind: "upload" (a new version, or an upload that made none), "filtered" (a
    version nobody hears about), "jobs" (notify planned jobs), "delivery" (send
    ran one job), "delivered" (every planned job of a version ran), "window" (notify
    closed stories' cooldown windows), "error".
    """

    kind: str
    text: str
    key: str | None = None
    article_id: str | None = None
    version: int | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


def version_step(record: Mapping[str, Any], *, filtered: bool) -> PipelineStep:
    """A new version, from its stream record; ``filtered`` when notify will not hear of it."""
    image = from_attrs(record["dynamodb"].get("NewImage", {}))
    article_id, number = image.get("article_id"), int_or_none(image.get("number"))
    change, audience = image.get("change", "?"), image.get("audience", "?")
    key = image.get("source_key", "?")
    return PipelineStep(
        "filtered" if filtered else "upload",
        f"upload {key} → {article_id} version {number} ({change}, {audience})"
        + (" → no push" if filtered else ""),
        key=key,
        article_id=article_id,
        version=number,
        details={"change": change, "audience": audience, "headline": image.get("headline")},
    )


class Progress:
    """Steps, per-source activity and the jobs each version still waits for.

    Event sources report through it from their threads; ``wait_idle`` reads it
    from the caller's.
    """

    def __init__(
        self,
        *,
        steps: list[PipelineStep],
        on_step: Callable[[PipelineStep], None],
        items: TableItems,
        sqs: SQSClient,
        watched_queues: Mapping[str, str],
        stop: threading.Event,
    ) -> None:
        self.steps = steps
        self.items = items
        self._on_step = on_step
        self._sqs = sqs
        self._watched_queues = dict(watched_queues)
        self._stop = stop
        self._lock = threading.Lock()
        self._activity = 0
        self._busy: dict[str, bool] = {}
        self._idle_poll_at: dict[str, float] = {}
        self._planned: dict[tuple[str, int], int] = {}
        self._finished: dict[tuple[str, int], int] = {}

    # -- steps -----------------------------------------------------------------------------

    def emit(self, step: PipelineStep) -> None:
        self.steps.append(step)
        if step.kind == "error":
            log.error("%s", step.text)
        elif step.kind == "delivery":  # one per job; the version's "delivered" line sums them
            log.debug("%s", step.text)
        else:
            log.info("%s", step.text)
        self._on_step(step)

    # -- event source activity -------------------------------------------------------------

    def watch(self, source: str) -> None:
        """Count ``source`` in ``wait_idle`` (it has not polled yet)."""
        self._busy[source] = False
        self._idle_poll_at[source] = 0.0

    @contextlib.contextmanager
    def handling(self, source: str) -> Iterator[None]:
        """Around delivering what ``source`` polled: busy meanwhile, counted as activity."""
        self._busy[source] = True
        try:
            yield
        finally:
            with self._lock:
                self._activity += 1
            self._busy[source] = False

    def polled_empty(self, source: str, polled_at: float) -> None:
        self._idle_poll_at[source] = polled_at

    # -- jobs per version ------------------------------------------------------------------

    def jobs_planned(self, article_id: str, number: int, jobs: int) -> None:
        with self._lock:
            self._planned[(article_id, number)] = jobs
        self.job_finished(article_id, number, count=0)

    def job_finished(self, article_id: str, number: int, count: int = 1) -> None:
        """Reports the version "delivered" once its last planned job ran."""
        ident = (article_id, number)
        with self._lock:
            self._finished[ident] = self._finished.get(ident, 0) + count
            complete = self._planned.get(ident) == self._finished[ident]
            if complete:
                del self._planned[ident]
        if complete:
            counts = self.items.delivery_counts(article_id, number)
            self.emit(
                PipelineStep(
                    "delivered",
                    f"{article_id} v{number} → "
                    + ", ".join(f"{k} {counts[k]}" for k in COUNTS if k != "retried")
                    + (f" ({counts['retried']} retried)" if counts["retried"] else ""),
                    article_id=article_id,
                    version=number,
                    details=counts,
                )
            )

    # -- waiting for the pipeline ----------------------------------------------------------

    def queue_depths(self) -> dict[str, int]:
        """Messages visible + in flight + delayed, per watched queue."""
        depths = {}
        for role, url in self._watched_queues.items():
            attrs = self._sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                    "ApproximateNumberOfMessagesDelayed",
                ],
            )["Attributes"]
            depths[role] = sum(int(v) for v in attrs.values())
        return depths

    def wait_idle(self, timeout: float) -> None:
        """Block until uploads, stream records and push jobs are handled; TimeoutError if not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                activity = self._activity
            mark = time.monotonic()
            if any(self.queue_depths().values()) or any(self._busy.values()):
                self._stop.wait(POLL_INTERVAL)
                continue
            # Every source must have polled and found nothing since the mark.
            while time.monotonic() < deadline and any(
                t < mark for t in self._idle_poll_at.values()
            ):
                self._stop.wait(POLL_INTERVAL / 2)
            with self._lock:
                unchanged = activity == self._activity
            if unchanged and not any(self.queue_depths().values()):
                return
        raise TimeoutError(f"pipeline still busy after {timeout:.0f} s: {self.queue_depths()}")
