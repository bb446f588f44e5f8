"""An SQS queue -> a function, as Lambda's SQS event source mapping runs it: batches of the
template's ``BatchSize``; messages the function reports in ``batchItemFailures`` stay on the
queue and come back after the visibility timeout (then the redrive policy's dead-letter queue
takes them); the rest are deleted. A function that raises leaves the whole batch."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from stoppress_dev import lambda_events
from stoppress_dev import template as tpl
from stoppress_dev.lambda_events import HandlerError
from stoppress_dev.localstack.progress import POLL_INTERVAL, PipelineStep
from stoppress_dev.localstack.sources import EventSource

log = logging.getLogger("local-stack")

# SQS hands out (and deletes) at most ten messages a call.
SQS_BATCH_LIMIT = 10


class QueueSource(EventSource):
    """Subclasses name the queue (a role in ``resources.queue_urls``), the function, the
    template event that maps them, and what the messages are, for the progress lines."""

    queue_role = ""
    function = ""
    function_id = ""
    event_name = ""
    what = "message(s)"

    def poll(self) -> None:
        sqs = self.clients.sqs
        url = self.resources.queue_urls[self.queue_role]
        source = tpl.event_properties(self.function_id, self.event_name)
        batch_size = max(1, min(self.resources.number(source.get("BatchSize"), 10), 10))
        while not self.stop.is_set():
            polled_at = time.monotonic()
            messages = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=batch_size,
                WaitTimeSeconds=0,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                self.progress.polled_empty(self.name, polled_at)
                self.stop.wait(POLL_INTERVAL)
                continue
            with self.progress.handling(self.name):
                self.deliver(messages)

    def deliver(self, messages: Sequence[Mapping[str, Any]]) -> None:
        sqs = self.clients.sqs
        url = self.resources.queue_urls[self.queue_role]
        arn, region = self.resources.queue_arns[self.queue_role], self.resources.region
        records = [lambda_events.sqs_record(m, arn, region) for m in messages]
        try:
            result = self.invoke(self.function, {"Records": records})
        except HandlerError as e:
            log.debug("%s failed", self.function, exc_info=e.__cause__)
            self.progress.emit(
                PipelineStep(
                    "error",
                    f"{self.function} failed for {len(records)} {self.what}, they reappear "
                    f"after the visibility timeout: {e.__cause__}",
                )
            )
            return
        failed_ids = lambda_events.sqs_failures(result, records)
        done = [m for m in messages if m["MessageId"] not in failed_ids]
        for i in range(0, len(done), SQS_BATCH_LIMIT):
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                    for n, m in enumerate(done[i : i + SQS_BATCH_LIMIT])
                ],
            )
        if failed_ids:
            self.progress.emit(
                PipelineStep(
                    "error",
                    f"{self.function} reported {len(failed_ids)} of {len(records)} {self.what} "
                    "failed; they reappear after the visibility timeout",
                )
            )
        self.delivered(messages, failed_ids)

    def delivered(self, messages: Sequence[Mapping[str, Any]], failed: set[str]) -> None:
        """What to report once a batch was handled (``failed``: the message ids left)."""
