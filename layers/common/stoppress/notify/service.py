"""Notify: turn one new version into push jobs on the queue, each exactly once.

A stream record can arrive more than once (a retried batch replays every
record in it), so every job is claimed before it is enqueued and only jobs
this call claimed go on the queue.
"""

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Final, Protocol

from stoppress.articles.model import Version
from stoppress.contracts.jobs import EnqueueError, PushJob
from stoppress.core.errors import StoppressError
from stoppress.core.observability import logger
from stoppress.core.settings import NotifySettings
from stoppress.notify.planning import plan_fanout

# One SendMessageBatch worth of jobs is claimed, then enqueued, before the next:
# the first shards start sending while later ones are still being claimed, and a
# failure leaves at most one chunk to account for.
CHUNK: Final = 10
CLAIM_WORKERS: Final = 8


class JobClaims(Protocol):
    def claim(self, article_id: str, version: int, topic: str, shard: int) -> bool: ...

    def release(self, article_id: str, version: int, topic: str, shard: int) -> None: ...


class JobQueue(Protocol):
    def enqueue(self, jobs: Sequence[PushJob], *, delay_seconds: int | None = None) -> int: ...


def notify_version(
    version: Version, *, claims: JobClaims, queue: JobQueue, settings: NotifySettings
) -> int:
    """Plan the version's fan-out and enqueue every job not enqueued before; returns how many.

    Order: claim, then enqueue, then (only on failure) release. If the queue
    refuses some jobs, their claims are released and the error propagates, so
    the stream retries the record and the retry claims and sends exactly those
    jobs again; jobs that did reach the queue keep their claims and are not
    repeated. Enqueueing before claiming would instead send duplicates on every
    retry. What this order cannot cover is the process dying between a claim
    and its enqueue (a Lambda timeout): that shard is then skipped, and the log
    line "push jobs claimed" with no matching "push jobs enqueued" shows which.
    """
    jobs = plan_fanout(version, shards=settings.topic_shards, site_base_url=settings.site_base_url)
    enqueued = 0
    with ThreadPoolExecutor(max_workers=CLAIM_WORKERS) as pool:
        for start in range(0, len(jobs), CHUNK):
            chunk = jobs[start : start + CHUNK]
            won = list(pool.map(lambda job: _claim(claims, job), chunk))
            claimed = [job for job, ok in zip(chunk, won, strict=True) if ok]
            if len(claimed) < len(chunk):
                logger.info(
                    "push jobs already claimed",
                    extra={"shards": [j.shard for j, ok in zip(chunk, won, strict=True) if not ok]},
                )
            if not claimed:
                continue
            logger.info(
                "push jobs claimed", extra={"topic": claimed[0].topic, "jobs": len(claimed)}
            )
            try:
                queue.enqueue(claimed)
            except EnqueueError as e:
                _release(claims, e.not_enqueued)
                enqueued += len(claimed) - len(e.not_enqueued)
                logger.warning(
                    "push jobs not enqueued, claims released for a retry",
                    extra={
                        "enqueued": enqueued,
                        "shards": [j.shard for j in e.not_enqueued],
                    },
                )
                raise
            enqueued += len(claimed)
    logger.info(
        "push jobs enqueued",
        extra={
            "article_id": version.article_id,
            "version": version.number,
            "audience": version.audience.value,
            "planned": len(jobs),
            "enqueued": enqueued,
        },
    )
    return enqueued


def _claim(claims: JobClaims, job: PushJob) -> bool:
    return claims.claim(job.article_id, job.version, job.topic, job.shard)


def _release(claims: JobClaims, jobs: Sequence[PushJob]) -> None:
    """Release every claim it can; the caller re-raises the enqueue error either way."""
    for job in jobs:
        try:
            claims.release(job.article_id, job.version, job.topic, job.shard)
        except StoppressError:
            # The claim stays, so a retry will skip this shard: say which, for a manual redrive.
            logger.exception(
                "push job claim not released",
                extra={"topic": job.topic, "shard": job.shard, "version": job.version},
            )
