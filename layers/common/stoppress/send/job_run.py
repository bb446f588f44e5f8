"""One job's pass over its recipients: the workers, the page producer, checkpoints and writes.

``send_job`` (``stoppress.send.service``) claims the job and runs one ``JobRun``;
the module docstring there gives the rules this code follows.
"""

import asyncio
import contextlib
import random
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

from stoppress.contracts.jobs import PushJob, Recipient
from stoppress.contracts.payload import encode_payload, smaller_payload
from stoppress.core.errors import InvalidSubscriptionError, TransientError
from stoppress.core.observability import logger
from stoppress.send.model import (
    JobClaims,
    JobInProgressError,
    MemberStore,
    PushClient,
    RetryQueue,
    SendOptions,
    SendPart,
    StatsSink,
)
from stoppress.send.retries import parse_retry_after, retry_delay
from stoppress.subscriptions.model import is_story_follow
from stoppress.webpush.encryption import encrypt
from stoppress.webpush.endpoints import validate_endpoint
from stoppress.webpush.vapid import VapidAuthorizer, origin_of

# Recipients per retry job: keeps a message (endpoints + keys + payload) far below SQS's size cap.
RETRY_JOB_SIZE: Final = 200
# A payload a push service refused as too large (413) loses half its body, and is cut to
# at most this unless its title and fixed fields need more, for its one retry.
SHRUNK_PAYLOAD_BYTES: Final = 1_024
DELETE_WORKERS: Final = 8
# Tries of one checkpoint's writes when a dependency is throttled or unreachable.
WRITE_ATTEMPTS: Final = 3


@dataclass
class _Page:
    # The cursor that resumes after this page (its last sub id; with the shard, in a
    # job that reads several).
    last_sub_id: str
    remaining: int


@dataclass
class _Pending:
    """Outcomes not yet written (retry jobs, deletions, stats) since the last checkpoint."""

    sent: int = 0
    expired: int = 0
    failed: int = 0
    expired_ids: list[str] = field(default_factory=list)
    # Failed for reasons of their own (not our allowlist or payload): counted against them.
    failed_ids: list[str] = field(default_factory=list)
    # Marked failing, and reached this time.
    recovered_ids: list[str] = field(default_factory=list)
    # Reached, and their member's expiry is due to be pushed back (``Expiry``).
    renew_ids: list[str] = field(default_factory=list)
    retry: list[Recipient] = field(default_factory=list)
    retry_after: int = 0

    def clear(self) -> None:
        self.sent = self.expired = self.failed = self.retry_after = 0
        self.expired_ids, self.failed_ids, self.recovered_ids, self.retry = [], [], [], []
        self.renew_ids = []


def _recipient_pages(
    recipients: Iterable[Recipient], page_size: int, start_after: str | None
) -> Iterator[list[Recipient]]:
    """A retry job's recipients in sub id order (the order cursors assume), in pages."""
    ordered = sorted(recipients, key=lambda r: r.sub_id)
    if start_after is not None:
        ordered = [r for r in ordered if r.sub_id > start_after]
    for i in range(0, len(ordered), page_size):
        yield ordered[i : i + page_size]


def _with_cursors(
    pages: Iterator[Sequence[Recipient]],
) -> Iterator[tuple[str, Sequence[Recipient]]]:
    """Each page with the cursor that resumes after it: its last sub id."""
    for page in pages:
        yield page[-1].sub_id, page


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


class JobRun:
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
        # Topics this version also goes to, whose jobs reach their members first.
        audience = job.audience or ()
        self._earlier = (
            frozenset(audience[: audience.index(job.topic)])
            if job.topic in audience
            else frozenset()
        )
        self.covered = 0
        self._story = is_story_follow(job.topic)
        self._shrunk: bytes | None = None
        self._shrunk_known = False
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
        self._read_error: Exception | None = None
        self.pending = _Pending()
        self.totals = _Pending()
        self.retried = 0
        self.retry_jobs = 0
        self.retired = 0
        self.confirmed = 0
        self.extended = 0
        self.lapsed = 0
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
        except Exception:
            # A page that could not be read, or a checkpoint that failed: keep what
            # was done (outcomes written, cursor moved past the pages fully sent),
            # so the redelivery starts after them instead of sending them again.
            for task in (producer, *workers):
                task.cancel()
            await self._save_progress()
            raise
        finally:
            for task in (producer, *workers):
                task.cancel()
        if self._commit_task is not None:
            await self._commit_task
        await self._commit()
        if self._read_error is not None:
            # The pages read before it were sent and checkpointed; the job is not done.
            raise self._read_error

    async def _save_progress(self) -> None:
        if self._commit_task is not None:
            with contextlib.suppress(Exception):
                await self._commit_task
        try:
            await self._commit()
        except Exception:  # noqa: BLE001 - the original failure is the one to report
            logger.warning("progress could not be saved", extra={"job_id": self.job.job_id})

    async def _produce(
        self,
        queue: asyncio.Queue[tuple[_Page, Sequence[Recipient]] | None],
        cursor: str | None,
    ) -> None:
        job = self.job
        pages: Iterator[tuple[str, Sequence[Recipient]]]
        if job.recipients is not None:
            pages = _with_cursors(
                _until(
                    _recipient_pages(job.recipients, self.options.page_size, cursor),
                    self.part.stop_at,
                )
            )
        else:
            members = self.members.members(
                job.topic,
                job.shard,
                page_size=self.options.page_size,
                start_after=cursor,
                excluding=self._earlier,
            )
            pages = _with_cursors(_until(iter(members), self.part.stop_at))
        # Read the next page in a thread while this one is being sent.
        upcoming = asyncio.ensure_future(asyncio.to_thread(next, pages, None))
        while True:
            try:
                read = await upcoming
            except Exception as e:  # noqa: BLE001 - raised by run() once the pages read are sent
                self._read_error = e
                break
            if read is None:
                break
            after, page = read
            if self.time_left is not None and self.time_left() < self.options.handoff_seconds:
                # This page was not started: the next sender reads it again.
                self.handed_off = True
                break
            upcoming = asyncio.ensure_future(asyncio.to_thread(next, pages, None))
            if page:
                state = _Page(last_sub_id=after, remaining=len(page))
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
        if self._earlier and recipient.topics and not self._earlier.isdisjoint(recipient.topics):
            self.covered += 1  # hears this version from an earlier topic's job
            return
        now = time.time()
        if recipient.expires_at is not None and recipient.expires_at <= now:
            # Expired: the TTL deletes it later (up to two days late), but it has ended.
            self.lapsed += 1
            return
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
            self.pending.failed_ids.append(recipient.sub_id)
            return
        response = await self.client.post(endpoint, body, headers)
        if response.status == 413:
            shrunk = self._shrunk_plaintext()
            if shrunk is None:
                # No text left to cut: the same bytes would be refused again.
                self._count_other("413")
                self.pending.failed += 1
                return
            body = encrypt(shrunk, recipient.p256dh, recipient.auth)
            response = await self.client.post(endpoint, body, headers)
        # The pending batch may have been swapped by a checkpoint while we awaited.
        pending = self.pending
        status = response.status
        if status in _OK:
            pending.sent += 1
            if recipient.failing:
                pending.recovered_ids.append(recipient.sub_id)  # which confirms it too
            if (self._story or not recipient.failing) and self.options.expiry.renewal_due(
                self.job.topic, recipient.expires_at, now, recipient.sub_id
            ):
                pending.renew_ids.append(recipient.sub_id)
        elif status in _GONE:
            pending.expired += 1
            pending.expired_ids.append(recipient.sub_id)
        elif recipient.failing and status != 429 and (status is None or status >= 500):
            # Its last version already failed after every retry: one attempt per
            # version from now on, so dead endpoints cannot make each version costly.
            self._count_other(
                response.error or "transport error" if status is None else str(status)
            )
            pending.failed += 1
            pending.failed_ids.append(recipient.sub_id)
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
            pending.failed_ids.append(recipient.sub_id)

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

    def _shrunk_plaintext(self) -> bytes | None:
        """The payload for a 413's one retry, or None when nothing smaller exists."""
        if not self._shrunk_known:
            smaller = smaller_payload(self.job.payload, SHRUNK_PAYLOAD_BYTES)
            self._shrunk = None if smaller is None else encode_payload(smaller)
            self._shrunk_known = True
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
            self._commit_task = asyncio.ensure_future(self._commit())

    async def _commit(self) -> None:
        async with self._commit_lock:
            pending, self.pending = self.pending, _Pending()
            cursor = self._cursor
            self._last_commit = self.clock()
            await asyncio.to_thread(self._write, pending, cursor)

    def _write(self, pending: _Pending, cursor: str | None) -> None:
        """``_write_once``, tried again after a throttled or unreachable dependency.

        Every part of a write may be repeated: deletions are idempotent, a retry
        job enqueued twice has one job id (its claim sends it once), and the
        stats are added only once the writes before them went through. Renewals
        come last and apart (``_renew``).
        """
        renew_ids = pending.renew_ids
        pending.renew_ids = []
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                self._write_once(pending, cursor)
                break
            except JobInProgressError:
                raise  # the lease is lost: another sender has the job now
            except TransientError:
                if attempt == WRITE_ATTEMPTS:
                    raise
                time.sleep(random.uniform(0.1, 1.0) * attempt)  # noqa: S311 - jitter
        self._renew(renew_ids)

    def _write_once(self, pending: _Pending, cursor: str | None) -> None:
        """Write what ``pending`` says, then move the checkpoint (runs in a thread)."""
        job = self.job
        expired_ids = list(dict.fromkeys(pending.expired_ids))
        if len(expired_ids) > 1:
            # Each delete is a read and a transaction; after an outage thousands may be due.
            with ThreadPoolExecutor(max_workers=DELETE_WORKERS) as pool:
                list(pool.map(self.members.delete, expired_ids))
        elif expired_ids:
            self.members.delete(expired_ids[0])
        retried = retry_jobs = 0
        failed = pending.failed
        failed_ids = pending.failed_ids
        if pending.retry:
            if job.attempt + 1 < self.options.max_attempts:
                # Who gets a retry is settled: their topic lists stay behind (SQS size).
                retry = [r.model_copy(update={"topics": None}) for r in pending.retry]
                jobs = [
                    job.model_copy(update={"recipients": tuple(chunk), "attempt": job.attempt + 1})
                    for chunk in _chunks(retry, RETRY_JOB_SIZE)
                ]
                self.queue.enqueue(
                    jobs, delay_seconds=retry_delay(job.attempt, pending.retry_after)
                )
                retried, retry_jobs = len(pending.retry), len(jobs)
            else:
                failed += len(pending.retry)
                failed_ids = failed_ids + [r.sub_id for r in pending.retry]
        self._keep_record(failed_ids, pending.recovered_ids)
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
        self.retry_jobs += retry_jobs
        # Written and counted: a repeat of this write (its checkpoint failed) writes nothing.
        pending.clear()
        # The last checkpoint too, so that if completing the claim fails, the
        # redelivery finds every page sent and sends nothing again.
        if cursor is not None and cursor != self._checkpointed:
            self.claims.checkpoint(job, self.claim_key, cursor)
            self._checkpointed = cursor

    def _keep_record(self, failed_ids: Sequence[str], recovered_ids: Sequence[str]) -> None:
        """Count failed versions against their subscriptions, retiring those past both bounds.

        Writes only for subscriptions that failed or were failing: a healthy
        subscription's successful push costs nothing here.
        """
        if not failed_ids and not recovered_ids:
            return
        now = datetime.now(UTC)
        mark = f"{self.job.article_id}#{self.job.version}"
        options = self.options

        def fail(sub_id: str) -> bool:
            streak = self.members.record_failed_version(sub_id, mark, now=now)
            if streak is None or not streak.ends_subscription(
                versions=options.retire_after_versions, duration=options.retire_after, now=now
            ):
                return False
            return self.members.delete(sub_id)

        def recover(sub_id: str) -> bool:
            self.members.record_success(sub_id, now=now)
            return False

        calls = [(fail, i) for i in dict.fromkeys(failed_ids)]
        calls += [(recover, i) for i in dict.fromkeys(recovered_ids)]
        with ThreadPoolExecutor(max_workers=min(DELETE_WORKERS, len(calls))) as pool:
            self.retired += sum(pool.map(lambda call: call[0](call[1]), calls))

    def _renew(self, members: Sequence[str]) -> None:
        """Push back the expiry of members whose success made it due: confirm their
        subscriptions, or, on a story's job, extend their follows.

        At most one write per follower per half a follow's life, and 1 + topics
        per subscriber per confirm interval (``Expiry``). Each is tried like the
        other writes, but a renewal that still fails is logged and left: failing
        the job would send its pushes again, and the member is due again at its
        next success.
        """
        if not members:
            return
        now = datetime.now(UTC)
        job = self.job

        def renew(sub_id: str) -> bool | None:
            for attempt in range(1, WRITE_ATTEMPTS + 1):
                try:
                    if self._story:
                        return self.members.extend_follow(sub_id, job.topic, job.shard, now=now)
                    return self.members.confirm(sub_id, now=now)
                except TransientError:
                    if attempt == WRITE_ATTEMPTS:
                        return None
                    time.sleep(random.uniform(0.1, 1.0) * attempt)  # noqa: S311 - jitter
            return None

        unique = list(dict.fromkeys(members))
        try:
            with ThreadPoolExecutor(max_workers=min(DELETE_WORKERS, len(unique))) as pool:
                outcomes = list(pool.map(renew, unique))
        except Exception:  # noqa: BLE001 - the pushes are sent; failing the job would repeat them
            logger.exception(
                "expiries could not be renewed", extra={"job_id": job.job_id, "due": len(unique)}
            )
            return
        renewed = sum(1 for o in outcomes if o)
        if self._story:
            self.extended += renewed
        else:
            self.confirmed += renewed
        failed = sum(1 for o in outcomes if o is None)
        if failed:
            logger.warning(
                "expiries not renewed, due again at the next push",
                extra={"job_id": job.job_id, "failed": failed, "due": len(unique)},
            )


def _chunks(items: Sequence[Recipient], size: int) -> Iterator[Sequence[Recipient]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
