"""The cooldown queue -> notify: stories' windows closing, as Lambda's SQS event source would
hand them over (the template's ``BatchSize``). Messages notify reports failed stay on the queue
and come back after the visibility timeout (then go to the dead-letter queue); the rest go."""

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

SQS_BATCH_LIMIT = 10


class CooldownWindows(EventSource):
    name = "cooldown"

    def poll(self) -> None:
        sqs = self.clients.sqs
        url = self.resources.queue_urls["cooldown"]
        source = tpl.event_properties("NotifyFunction", "CooldownWindows")
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
        url = self.resources.queue_urls["cooldown"]
        arn, region = self.resources.queue_arns["cooldown"], self.resources.region
        records = [lambda_events.sqs_record(m, arn, region) for m in messages]
        try:
            result = self.invoke("notify", {"Records": records})
        except HandlerError as e:
            log.debug("closing windows failed", exc_info=e.__cause__)
            self.progress.emit(
                PipelineStep(
                    "error",
                    f"notify could not close {len(records)} cooldown window(s), they come "
                    f"back after the visibility timeout: {e.__cause__}",
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
                    f"notify reported {len(failed_ids)} of {len(records)} cooldown window(s) "
                    "failed; they come back after the visibility timeout",
                )
            )
        else:
            self.progress.emit(PipelineStep("window", f"{len(records)} cooldown window(s) closed"))
