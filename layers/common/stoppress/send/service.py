"""Sending one push job: page through the recipients, encrypt, POST, account for every answer.

The shape, and why:

- **Concurrency.** One event loop, one shared HTTP client (``PushClient``;
  aiohttp in production) and ``max_in_flight`` workers taking recipients from
  the current page. A page producer reads the next page of members in a
  thread while the workers send the current one, so DynamoDB latency and push
  service latency overlap, and never more than three pages are held.
  ``SendPart`` splits a job between processes (``stoppress.send.parallel``).
- **Cheap per message.** The JSON payload is encoded once per job, the
  headers are one dict per push-service origin (TTL, Urgency, Topic,
  Content-Encoding and the cached VAPID Authorization), and each message costs
  one ECDH + AES-GCM encryption (``stoppress.webpush.encryption``) and one POST.
- **Answers (docs/design.md, "Fan-out and delivery").** 201/202 sent; 404/410
  the subscription is gone and is deleted (SUB item and every membership); 413
  the payload is shrunk and sent once more; 429/503 and other 5xx, timeouts
  and connection errors are retried later: only those recipients go into a
  delayed retry job (``attempt`` + 1, delay from ``Retry-After`` or
  exponential backoff, at most SQS's 900 s) until ``max_attempts``, after
  which they count as failed. Other 4xx answers are final and count as failed.
- **Subscriptions that keep failing.** A version that finally failed for a
  subscription (retries spent, a 4xx, broken keys) is counted on its SUB item
  and marks its memberships ``failing``; a failing recipient gets one attempt
  per version (a 429 is still retried), and once ``retire_after_versions``
  versions in a row over at least ``retire_after`` have failed, it is deleted.
  A success clears the record.
- **Expiry.** A member whose ``expires_at`` has passed is skipped (the TTL
  deletes it, up to two days late). A success writes only when the member's
  expiry is due to be pushed back (``Expiry``): on a story's job the follow is
  extended once less than half of it is left; on any other job the
  subscription is confirmed once its last confirmation is 30 days old. Both are
  written after the job's other writes, and one that fails is logged, never
  failing the job. So a healthy, recently confirmed subscriber costs no write.
- **Endpoint re-validation.** Every endpoint passes ``validate_endpoint``
  again before anything is sent to it. One that no longer does is counted as
  failed and skipped, but not deleted: if the allowlist was narrowed by
  mistake, deleting would erase real subscribers with no way back.
- **Duplicates.** SQS delivers at least once. The job is claimed first
  (``JobClaims``, keyed by ``PushJob.job_id``): a job already done is
  acknowledged without sending; a job another sender holds a live lease on is
  refused (``JobInProgressError``), so SQS tries again after the visibility
  timeout. While sending, progress is checkpointed every few seconds, after
  the retry jobs, deletions and stats for everything before the checkpoint
  are written: the cursor is the last sub id of the newest page whose
  recipients (and all earlier ones) were fully handled. If a sender dies
  mid-job, its lease runs out, SQS redelivers the message and the next sender
  resumes after the cursor: only the part after the last checkpoint can reach
  someone twice (at-least-once for that part), and nobody is skipped. Counts
  for that part may then be added twice to the delivery stats.
- **Time.** An invocation running out of time stops starting pages and puts
  the same job back on the queue for the next one (``send_job``'s
  ``time_left``), rather than being cut off by the Lambda timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from stoppress.contracts.jobs import PushJob
from stoppress.core.observability import logger
from stoppress.send.job_run import JobRun
from stoppress.send.model import (
    DeliveryReport,
    JobClaims,
    JobInProgressError,
    MemberStore,
    PushClient,
    RetryQueue,
    SendOptions,
    SendPart,
    StatsSink,
)
from stoppress.webpush.vapid import VapidAuthorizer


async def send_job(
    job: PushJob,
    *,
    client: PushClient,
    vapid: VapidAuthorizer,
    members: MemberStore,
    claims: JobClaims,
    queue: RetryQueue,
    stats: StatsSink,
    options: SendOptions,
    part: SendPart | None = None,
    time_left: Callable[[], float] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> DeliveryReport:
    """Send ``job`` to its recipients (see the module docstring for the rules).

    With ``part``, only the recipients in that slice of the sub id space, under
    a claim of their own: several senders can share one job this way.

    ``time_left`` (seconds, e.g. from the Lambda context): once less than
    ``options.handoff_seconds`` remain, no new page is started; the job is
    checkpointed, its lease released and the same job put back on the queue,
    so the next sender resumes right after the last page sent here instead of
    waiting out a timeout and the queue's visibility timeout.
    """
    started = clock()
    part = part or SendPart()
    key = part.claim_key(job)
    claim = await asyncio.to_thread(claims.claim, job, key)
    if claim.done:
        logger.info("push job already done", extra={"job_id": job.job_id, "claim": key})
        return DeliveryReport(**_job_fields(job), duplicate=True)
    run = JobRun(
        job, client, vapid, members, claims, queue, stats, options, clock, part, key, time_left
    )
    try:
        await run.run(_later(claim.cursor, part.start_after))
    except JobInProgressError:
        raise  # the lease is someone else's now
    except Exception:
        # Let the redelivery resume at once from the saved cursor, not after the lease.
        with contextlib.suppress(Exception):
            await asyncio.to_thread(claims.release, job, key)
        raise
    if run.handed_off:
        await asyncio.to_thread(run.hand_off)
        logger.info(
            "push job continues in a new invocation",
            extra={"job_id": job.job_id, "claim": key, "cursor": run.cursor},
        )
    else:
        await asyncio.to_thread(claims.complete, job, key)
    report = DeliveryReport(
        **_job_fields(job),
        sent=run.totals.sent,
        expired=run.totals.expired,
        failed=run.totals.failed,
        retried=run.retried,
        retry_jobs=run.retry_jobs,
        retired=run.retired,
        confirmed=run.confirmed,
        extended=run.extended,
        lapsed=run.lapsed,
        continued=run.handed_off,
        duration_seconds=clock() - started,
    )
    if run.other_statuses:
        logger.warning(
            "push services refused messages",
            extra={"job_id": job.job_id, "statuses": dict(run.other_statuses)},
        )
    return report


def _later(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def _job_fields(job: PushJob) -> dict[str, Any]:
    return {
        "job_id": job.job_id,
        "article_id": job.article_id,
        "version": job.version,
        "topic": job.topic,
        "shard": job.shard,
        "attempt": job.attempt,
    }
