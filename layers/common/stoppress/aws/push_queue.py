"""The push-job queue (SQS): jobs go on in batches of up to ten messages.

SendMessageBatch can succeed for some entries and fail for others without
raising; the failed entries are retried a few times, and whatever is still
not on the queue is reported in ``EnqueueError.not_enqueued`` so the caller
knows exactly which jobs to account for.
"""

import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Final

from botocore.exceptions import BotoCoreError, ClientError

from stoppress.aws import clients
from stoppress.aws.errors import error_code, translated
from stoppress.contracts.jobs import EnqueueError, PushJob
from stoppress.core.errors import TransientError
from stoppress.core.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

MAX_BATCH_ENTRIES: Final = 10
# SendMessageBatch caps the sum of the bodies, not only each body.
MAX_BATCH_BYTES: Final = 256 * 1024
MAX_DELAY_SECONDS: Final = 900


class PushQueue:
    """Puts push jobs on the SQS queue that SendFunction consumes."""

    def __init__(
        self,
        queue_url: str,
        client: "SQSClient | None" = None,
        *,
        max_attempts: int = 3,
        backoff_seconds: float = 0.05,
    ) -> None:
        self._queue_url = queue_url
        self._client = client or clients.sqs()
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds

    def enqueue(self, jobs: Sequence[PushJob], *, delay_seconds: int | None = None) -> int:
        """Send every job; returns how many went on. Raises EnqueueError listing the rest."""
        if delay_seconds is not None and not 0 <= delay_seconds <= MAX_DELAY_SECONDS:
            raise ValueError(f"delay_seconds must be 0..{MAX_DELAY_SECONDS}, got {delay_seconds}")
        failed: list[PushJob] = []
        first_error: Exception | None = None
        for batch in _batches([(job, job.to_message()) for job in jobs]):
            not_sent, error = self._send_batch(batch, delay_seconds)
            failed.extend(not_sent)
            first_error = first_error or error
        if failed:
            raise EnqueueError(
                f"{len(failed)} of {len(jobs)} push jobs could not be enqueued", failed
            ) from first_error
        return len(jobs)

    def _send_batch(
        self, batch: list[tuple[PushJob, str]], delay_seconds: int | None
    ) -> tuple[list[PushJob], Exception | None]:
        """Send one batch, retrying failed entries; returns the jobs still not sent."""
        pending = dict(enumerate(batch))
        given_up: list[PushJob] = []
        error: Exception | None = None
        for attempt in range(self._max_attempts):
            if attempt:
                time.sleep(self._backoff * 2 ** (attempt - 1))
            entries: list[SendMessageBatchRequestEntryTypeDef] = []
            for index, (_, body) in pending.items():
                entry: SendMessageBatchRequestEntryTypeDef = {"Id": str(index), "MessageBody": body}
                if delay_seconds is not None:
                    entry["DelaySeconds"] = delay_seconds
                entries.append(entry)
            try:
                with translated("sending push jobs"):
                    response = self._client.send_message_batch(
                        QueueUrl=self._queue_url, Entries=entries
                    )
            except TransientError as e:
                # Throttling, a 5xx or connection trouble after botocore's own
                # retries. A read timeout leaves the outcome unknown; counting the
                # batch as not sent may duplicate a job, which the sender's job id
                # check absorbs, while counting it as sent could lose a whole shard.
                error = e
                logger.warning(
                    "push job batch not sent",
                    extra={"reason": str(e), "entries": len(entries), "attempt": attempt + 1},
                )
                continue
            except (ClientError, BotoCoreError) as e:
                # Refused in a way that fails the same again (a missing queue, no credentials).
                error = e
                logger.warning(
                    "push job batch refused",
                    extra={
                        "error_code": error_code(e) if isinstance(e, ClientError) else "",
                        "error": type(e).__name__,
                        "entries": len(entries),
                        "attempt": attempt + 1,
                    },
                )
                break
            for ok in response.get("Successful", []):
                pending.pop(int(ok["Id"]), None)
            for bad in response.get("Failed", []):
                logger.warning(
                    "push job not enqueued",
                    extra={
                        "error_code": bad.get("Code"),
                        "sender_fault": bad.get("SenderFault"),
                        "attempt": attempt + 1,
                    },
                )
                # A sender fault (malformed or oversized message) fails the same way again.
                if bad.get("SenderFault", False):
                    given_up.append(pending.pop(int(bad["Id"]))[0])
            if not pending:
                break
        return given_up + [job for job, _ in pending.values()], error


def _batches(messages: list[tuple[PushJob, str]]) -> Iterator[list[tuple[PushJob, str]]]:
    batch: list[tuple[PushJob, str]] = []
    size = 0
    for job, body in messages:
        body_size = len(body.encode())
        if batch and (len(batch) == MAX_BATCH_ENTRIES or size + body_size > MAX_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append((job, body))
        size += body_size
    if batch:
        yield batch
