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
import email.utils
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Protocol

from stoppress.contracts.jobs import PushJob, Recipient
from stoppress.contracts.payload import encode_payload, shrink_payload
from stoppress.core.errors import InvalidSubscriptionError, TransientError
from stoppress.core.observability import logger
from stoppress.core.settings import PushEndpointSettings
from stoppress.webpush.encryption import encrypt
from stoppress.webpush.endpoints import validate_endpoint
from stoppress.webpush.vapid import VapidAuthorizer, origin_of

MAX_DELAY_SECONDS: Final = 900  # SQS DelaySeconds limit
RETRY_BASE_SECONDS: Final = 30
# Recipients per retry job: keeps a message (endpoints + keys + payload) far below SQS's size cap.
RETRY_JOB_SIZE: Final = 200
# A payload a push service refused as too large (413) is cut to at most this, and to at
# most half its size, for its one retry.
SHRUNK_PAYLOAD_BYTES: Final = 1_024
CHECKPOINT_SECONDS: Final = 5.0
DELETE_WORKERS: Final = 8
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
        self, topic: str, shard: int, *, page_size: int, start_after: str | None = None
    ) -> Iterator[Sequence[Recipient]]: ...

    def delete(self, sub_id: str) -> bool: ...


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
    duplicate: bool = False
    # The invocation ran short of time: the rest went back on the queue as the same job.
    continued: bool = False
    duration_seconds: float = 0.0


# -- the job -------------------------------------------------------------------------


@dataclass
class _Page:
    last_sub_id: str
    remaining: int


@dataclass
class _Pending:
    """Outcomes not yet written (retry jobs, deletions, stats) since the last checkpoint."""

    sent: int = 0
    expired: int = 0
    failed: int = 0
    expired_ids: list[str] = field(default_factory=list)
    retry: list[Recipient] = field(default_factory=list)
    retry_after: int = 0


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
    run = _JobRun(
        job, client, vapid, members, claims, queue, stats, options, clock, part, key, time_left
    )
    await run.run(_later(claim.cursor, part.start_after))
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


def retry_delay(attempt: int, retry_after: int) -> int:
    """SQS delay for the retry of a job at ``attempt``: backoff, or longer if a service asked."""
    backoff = RETRY_BASE_SECONDS * 2**attempt
    return min(MAX_DELAY_SECONDS, max(backoff, retry_after))


def parse_retry_after(value: str | None, *, now: float | None = None) -> int:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); 0 if absent or bad."""
    if not value:
        return 0
    value = value.strip()
    if value.isdigit():
        return min(int(value), MAX_DELAY_SECONDS)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0
    if when.tzinfo is None:
        return 0
    seconds = when.timestamp() - (time.time() if now is None else now)
    return max(0, min(int(seconds + 0.999), MAX_DELAY_SECONDS))


def _recipient_pages(
    recipients: Iterable[Recipient], page_size: int, start_after: str | None
) -> Iterator[list[Recipient]]:
    """A retry job's recipients in sub id order (the order cursors assume), in pages."""
    ordered = sorted(recipients, key=lambda r: r.sub_id)
    if start_after is not None:
        ordered = [r for r in ordered if r.sub_id > start_after]
    for i in range(0, len(ordered), page_size):
        yield ordered[i : i + page_size]


def _until(
    pages: Iterator[Sequence[Recipient]], stop_at: str | None
) -> Iterator[Sequence[Recipient]]:
    """Pages up to (not including) the first recipient at or after ``stop_at``."""
    for page in pages:
        if stop_at is None or page[-1].sub_id < stop_at:
            yield page
            continue
        head = [r for r in page if r.sub_id < stop_at]
        if head:
            yield head
        return


_OK: Final = frozenset({200, 201, 202})
_GONE: Final = frozenset({404, 410})


class _JobRun:
    """The state of one job while it is being sent."""

    def __init__(
        self,
        job: PushJob,
        client: PushClient,
        vapid: VapidAuthorizer,
        members: MemberStore,
        claims: JobClaims,
        queue: RetryQueue,
        stats: StatsSink,
        options: SendOptions,
        clock: Callable[[], float],
        part: SendPart,
        claim_key: str,
        time_left: Callable[[], float] | None,
    ) -> None:
        self.job = job
        self.time_left = time_left
        self.handed_off = False
        self.part = part
        self.claim_key = claim_key
        self.client = client
        self.vapid = vapid
        self.members = members
        self.claims = claims
        self.queue = queue
        self.stats = stats
        self.options = options
        self.clock = clock
        self.plaintext = encode_payload(job.payload)
        self._shrunk: bytes | None = None
        self._base_headers = {
            "TTL": str(job.ttl),
            "Urgency": job.urgency.value,
            "Topic": job.topic_header,
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
        }
        self._headers: dict[str, tuple[str, dict[str, str]]] = {}
        self._pages: deque[_Page] = deque()
        self._batch: deque[Recipient] = deque()
        self._batch_page = _Page(last_sub_id="", remaining=0)
        self._refill = asyncio.Lock()
        self._exhausted = False
        self._cursor: str | None = None
        self._checkpointed: str | None = None
        self._last_commit = clock()
        self._commit_lock = asyncio.Lock()
        self._commit_task: asyncio.Task[None] | None = None
        self.pending = _Pending()
        self.totals = _Pending()
        self.retried = 0
        self.retry_jobs = 0
        self.other_statuses: dict[str, int] = {}

    # -- the pass ------------------------------------------------------------------

    async def run(self, cursor: str | None) -> None:
        self._cursor = self._checkpointed = cursor
        # Pages wait here for the workers; with the page being sent and the one
        # being read, at most three pages are in memory.
        pages: asyncio.Queue[tuple[_Page, Sequence[Recipient]] | None] = asyncio.Queue(maxsize=1)
        workers = [
            asyncio.create_task(self._worker(pages)) for _ in range(self.options.max_in_flight)
        ]
        producer = asyncio.create_task(self._produce(pages, cursor))
        try:
            await asyncio.gather(producer, *workers)
        finally:
            for task in (producer, *workers):
                task.cancel()
        if self._commit_task is not None:
            await self._commit_task
        await self._commit(final=True)

    async def _produce(
        self,
        queue: asyncio.Queue[tuple[_Page, Sequence[Recipient]] | None],
        cursor: str | None,
    ) -> None:
        job = self.job
        pages: Iterator[Sequence[Recipient]]
        if job.recipients is not None:
            pages = _recipient_pages(job.recipients, self.options.page_size, cursor)
        else:
            pages = iter(
                self.members.members(
                    job.topic, job.shard, page_size=self.options.page_size, start_after=cursor
                )
            )
        pages = _until(pages, self.part.stop_at)
        # Read the next page in a thread while this one is being sent.
        upcoming = asyncio.ensure_future(asyncio.to_thread(next, pages, None))
        while True:
            page = await upcoming
            if page is None:
                break
            if self.time_left is not None and self.time_left() < self.options.handoff_seconds:
                # This page was not started: the next sender reads it again.
                self.handed_off = True
                break
            upcoming = asyncio.ensure_future(asyncio.to_thread(next, pages, None))
            if page:
                state = _Page(last_sub_id=page[-1].sub_id, remaining=len(page))
                self._pages.append(state)
                await queue.put((state, page))
        await queue.put(None)

    async def _worker(self, queue: asyncio.Queue[tuple[_Page, Sequence[Recipient]] | None]) -> None:
        # Workers take recipients from one shared deque (no queue round trip per
        # message); whoever finds it empty waits for the next page for everyone.
        batch = self._batch
        while True:
            if not batch:
                async with self._refill:
                    if not batch:
                        item = None if self._exhausted else await queue.get()
                        if item is None:
                            self._exhausted = True
                            return
                        self._batch_page, recipients = item
                        batch.extend(recipients)
                continue
            page = self._batch_page
            recipient = batch.popleft()
            await self._send_one(recipient)
            page.remaining -= 1
            if page.remaining == 0:
                self._page_done()

    async def _send_one(self, recipient: Recipient) -> None:
        endpoint = recipient.endpoint
        try:
            validate_endpoint(endpoint, self.options.endpoint_settings)
            headers = self._headers_for(endpoint)
            body = encrypt(self.plaintext, recipient.p256dh, recipient.auth)
        except InvalidSubscriptionError as e:
            self._count_other(f"invalid endpoint: {e.reason}")
            self.pending.failed += 1
            return
        except ValueError:
            self._count_other("invalid keys")
            self.pending.failed += 1
            return
        response = await self.client.post(endpoint, body, headers)
        if response.status == 413:
            try:
                body = encrypt(self._shrunk_plaintext(), recipient.p256dh, recipient.auth)
            except ValueError:
                self._count_other("413")
                self.pending.failed += 1
                return
            response = await self.client.post(endpoint, body, headers)
        # The pending batch may have been swapped by a checkpoint while we awaited.
        pending = self.pending
        status = response.status
        if status in _OK:
            pending.sent += 1
        elif status in _GONE:
            pending.expired += 1
            pending.expired_ids.append(recipient.sub_id)
        elif status is None or status == 429 or status >= 500:
            pending.retry.append(recipient)
            if response.retry_after is not None:
                pending.retry_after = max(
                    pending.retry_after, parse_retry_after(response.retry_after)
                )
            if status is None:
                self._count_other(response.error or "transport error")
        else:
            self._count_other(str(status))
            pending.failed += 1

    def _count_other(self, what: str) -> None:
        self.other_statuses[what] = self.other_statuses.get(what, 0) + 1

    def _headers_for(self, endpoint: str) -> dict[str, str]:
        origin = origin_of(endpoint)
        authorization = self.vapid.header_for_origin(origin)
        cached = self._headers.get(origin)
        if cached is None or cached[0] is not authorization:
            cached = (authorization, {**self._base_headers, "Authorization": authorization})
            self._headers[origin] = cached
        return cached[1]

    def _shrunk_plaintext(self) -> bytes:
        if self._shrunk is None:
            limit = min(SHRUNK_PAYLOAD_BYTES, len(self.plaintext) // 2)
            self._shrunk = encode_payload(shrink_payload(self.job.payload, limit))
        return self._shrunk

    # -- checkpoints ---------------------------------------------------------------

    @property
    def cursor(self) -> str | None:
        return self._cursor

    def hand_off(self) -> None:
        """Checkpoint, release the lease and put the job back (runs in a thread)."""
        job = self.job
        if self._cursor is not None and self._cursor != self._checkpointed:
            self.claims.checkpoint(job, self.claim_key, self._cursor)
            self._checkpointed = self._cursor
        self.claims.release(job, self.claim_key)
        self.queue.enqueue([job], delay_seconds=0)

    def _page_done(self) -> None:
        pages = self._pages
        while pages and pages[0].remaining == 0:
            self._cursor = pages.popleft().last_sub_id
        previous = self._commit_task
        if previous is not None and previous.done():
            previous.result()  # a failed checkpoint (lease lost, queue refused) stops the job
        due = self.clock() - self._last_commit >= self.options.checkpoint_seconds
        if due and (previous is None or previous.done()):
            self._commit_task = asyncio.ensure_future(self._commit(final=False))

    async def _commit(self, *, final: bool) -> None:
        async with self._commit_lock:
            pending, self.pending = self.pending, _Pending()
            cursor = self._cursor
            self._last_commit = self.clock()
            await asyncio.to_thread(self._write, pending, cursor, final)

    def _write(self, pending: _Pending, cursor: str | None, final: bool) -> None:
        """Write what ``pending`` says, then move the checkpoint (runs in a thread)."""
        job = self.job
        expired = list(dict.fromkeys(pending.expired_ids))
        if len(expired) > 1:
            # Each delete is a read and a transaction; after an outage thousands may be due.
            with ThreadPoolExecutor(max_workers=DELETE_WORKERS) as pool:
                list(pool.map(self.members.delete, expired))
        elif expired:
            self.members.delete(expired[0])
        retried = 0
        failed = pending.failed
        if pending.retry:
            if job.attempt + 1 < self.options.max_attempts:
                jobs = [
                    job.model_copy(update={"recipients": tuple(chunk), "attempt": job.attempt + 1})
                    for chunk in _chunks(pending.retry, RETRY_JOB_SIZE)
                ]
                self.queue.enqueue(
                    jobs, delay_seconds=retry_delay(job.attempt, pending.retry_after)
                )
                retried = len(pending.retry)
                self.retry_jobs += len(jobs)
            else:
                failed += len(pending.retry)
        if pending.sent or pending.expired or failed or retried:
            self.stats.add(
                job.article_id,
                job.version,
                sent=pending.sent,
                expired=pending.expired,
                failed=failed,
                retried=retried,
                at=datetime.now(UTC),
            )
        self.totals.sent += pending.sent
        self.totals.expired += pending.expired
        self.totals.failed += failed
        self.retried += retried
        if not final and cursor is not None and cursor != self._checkpointed:
            self.claims.checkpoint(job, self.claim_key, cursor)
            self._checkpointed = cursor


def _chunks(items: Sequence[Recipient], size: int) -> Iterator[Sequence[Recipient]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
