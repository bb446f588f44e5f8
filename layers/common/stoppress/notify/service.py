"""Notify: turn one new version into push jobs on the queue, each exactly once.

A stream record can arrive more than once (a retried batch replays every
record in it), so every job is recorded in a ledger before it is enqueued, and
only jobs this call recorded first go on the queue.
"""

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Final, Protocol

from stoppress.articles.model import Version
from stoppress.contracts.jobs import EnqueueError, PushJob
from stoppress.core.errors import StoppressError
from stoppress.core.observability import logger
from stoppress.core.settings import NotifySettings
from stoppress.notify.payload import SiteLook
from stoppress.notify.planning import PushTtls, plan_fanout

# One SendMessageBatch worth of jobs is recorded, then enqueued, before the next:
# the first shards start sending while later ones are still being recorded, and a
# failure leaves at most one chunk to account for.
CHUNK: Final = 10
LEDGER_WORKERS: Final = 8


class JobLedger(Protocol):
    """Which jobs went on the queue: ``record`` is True only for the first caller."""

    def record(self, article_id: str, version: int, topic: str, shard: int) -> bool: ...

    def erase(self, article_id: str, version: int, topic: str, shard: int) -> None: ...


class JobQueue(Protocol):
    def enqueue(self, jobs: Sequence[PushJob], *, delay_seconds: int | None = None) -> int: ...


def notify_version(
    version: Version,
    *,
    ledger: JobLedger,
    queue: JobQueue,
    settings: NotifySettings,
    covers: int | None = None,
) -> int:
    """Plan the version's fan-out and enqueue every job not enqueued before; returns how many.

    Order: record in the ledger, then enqueue, then (only on failure) erase. If
    the queue refuses some jobs, their entries are erased and the error
    propagates, so the stream retries the record and the retry records and
    sends exactly those jobs again; jobs that did reach the queue stay recorded
    and are not repeated. If recording fails for some jobs of a chunk, the ones
    recorded are enqueued before the error propagates. Enqueueing before
    recording would instead send duplicates on every retry. What this order
    cannot cover is the process dying between a record and its enqueue (a
    Lambda timeout): that shard is then skipped, and the log line "push jobs
    recorded" with no matching "push jobs enqueued" shows which.

    ``covers``: the push stands for that many updates held in a cooldown window.
    """
    jobs = plan_fanout(
        version,
        shards=settings.topic_shards,
        site_base_url=settings.site_base_url,
        ttls=PushTtls(
            high=settings.push_ttl_high, normal=settings.push_ttl_normal, low=settings.push_ttl_low
        ),
        look=SiteLook(icon=settings.site_icon_url or None, badge=settings.site_badge_url or None),
        covers=covers,
    )
    enqueued = 0
    with ThreadPoolExecutor(max_workers=LEDGER_WORKERS) as pool:
        for start in range(0, len(jobs), CHUNK):
            chunk = jobs[start : start + CHUNK]
            outcomes = [pool.submit(_record, ledger, job) for job in chunk]
            recorded: list[PushJob] = []
            already: list[PushJob] = []
            unrecorded: list[PushJob] = []
            failure: Exception | None = None
            for job, outcome in zip(chunk, outcomes, strict=True):
                try:
                    (recorded if outcome.result() else already).append(job)
                except Exception as e:  # noqa: BLE001 - raised below, after the recorded go on
                    unrecorded.append(job)
                    failure = failure or e
            if already:
                logger.info(
                    "push jobs already enqueued", extra={"shards": [j.shard for j in already]}
                )
            if recorded:
                logger.info(
                    "push jobs recorded", extra={"topic": recorded[0].topic, "jobs": len(recorded)}
                )
                try:
                    queue.enqueue(recorded)
                except EnqueueError as e:
                    _erase(ledger, e.not_enqueued)
                    enqueued += len(recorded) - len(e.not_enqueued)
                    logger.warning(
                        "push jobs not enqueued, erased from the ledger for a retry",
                        extra={
                            "enqueued": enqueued,
                            "shards": [j.shard for j in e.not_enqueued],
                        },
                    )
                    raise
                enqueued += len(recorded)
            if failure is not None:
                # Jobs this call recorded had to reach the queue first: a retry finds
                # them recorded and skips them. The retry records the rest.
                logger.warning(
                    "push jobs not recorded, the record will be retried",
                    extra={"enqueued": enqueued, "shards": [j.shard for j in unrecorded]},
                )
                raise failure
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


def _record(ledger: JobLedger, job: PushJob) -> bool:
    return ledger.record(job.article_id, job.version, job.topic, job.shard)


def _erase(ledger: JobLedger, jobs: Sequence[PushJob]) -> None:
    """Erase every entry it can; the caller re-raises the enqueue error either way."""
    for job in jobs:
        try:
            ledger.erase(job.article_id, job.version, job.topic, job.shard)
        except StoppressError:
            # The entry stays, so a retry will skip this shard: say which, for a manual redrive.
            logger.exception(
                "push job not erased from the ledger",
                extra={"topic": job.topic, "shard": job.shard, "version": job.version},
            )
