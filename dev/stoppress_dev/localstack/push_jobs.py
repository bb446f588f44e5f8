"""The push-jobs queue -> send: Lambda-shaped SQS batches of the template's ``BatchSize``.

Messages send reports in ``batchItemFailures`` stay in the queue and reappear
after the visibility timeout (then the redrive policy's dead-letter queue takes
them); the rest are deleted.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from stoppress_dev import lambda_events
from stoppress_dev import template as tpl
from stoppress_dev.lambda_events import HandlerError
from stoppress_dev.localstack.items import COUNTS
from stoppress_dev.localstack.progress import POLL_INTERVAL, PipelineStep
from stoppress_dev.localstack.sources import EventSource

log = logging.getLogger("local-stack")

# SQS hands out (and deletes) at most ten messages a call.
SQS_BATCH_LIMIT = 10


class PushJobs(EventSource):
    name = "push"

    def poll(self) -> None:
        sqs = self.clients.sqs
        url = self.resources.queue_urls["push"]
        source = tpl.event_properties("SendFunction", "PushJobs")
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
        url = self.resources.queue_urls["push"]
        arn, region = self.resources.queue_arns["push"], self.resources.region
        records = [lambda_events.sqs_record(m, arn, region) for m in messages]
        try:
            result = self.invoke("send", {"Records": records})
        except HandlerError as e:
            log.debug("send failed", exc_info=e.__cause__)
            self.progress.emit(
                PipelineStep(
                    "error",
                    f"send failed for {len(records)} job(s), they reappear after the "
                    f"visibility timeout: {e.__cause__}",
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
                    f"send reported {len(failed_ids)} of {len(records)} job(s) failed; "
                    "they reappear after the visibility timeout",
                )
            )
        self._report_deliveries(messages, failed_ids)

    def _report_deliveries(self, messages: Sequence[Mapping[str, Any]], failed: set[str]) -> None:
        """A "delivery" line per job; a version's first-attempt jobs count towards "delivered"."""
        for m in messages:
            try:
                job = json.loads(m["Body"])
                article_id, number = str(job["article_id"]), int(job["version"])
                where = f"{job['topic']}#{job['shard']}"
                attempt = int(job.get("attempt", 0))
            except (ValueError, KeyError, TypeError):
                continue
            counts = self.items.delivery_counts(article_id, number)
            totals = ", ".join(f"{k} {counts[k]}" for k in COUNTS)
            retry = f" (retry {attempt})" if attempt else ""
            self.progress.emit(
                PipelineStep(
                    "delivery",
                    f"{article_id} v{number} job {where}{retry} done → so far {totals}",
                    article_id=article_id,
                    version=number,
                    details=counts,
                )
            )
            if attempt == 0 and m["MessageId"] not in failed:
                self.progress.job_finished(article_id, number)
