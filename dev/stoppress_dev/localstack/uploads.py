"""S3 uploads -> ingest: the bucket's ``ObjectCreated`` notifications (through an SQS queue,
as moto cannot invoke Lambdas) become S3 events for ``functions.ingest``.

A failed ingest is retried as Lambda retries an asynchronous invocation (the
template's ``MaximumRetryAttempts``), then goes to the ingest dead-letter queue.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
from collections.abc import Mapping
from typing import Any

from stoppress.contracts.keys import article_id_from_key
from stoppress_dev import template as tpl
from stoppress_dev.lambda_events import HandlerError
from stoppress_dev.localstack.progress import POLL_INTERVAL, PipelineStep
from stoppress_dev.localstack.sources import EventSource

log = logging.getLogger("local-stack")

# (article id, its latest version, how many uploads to the key were rejected)
Snapshot = tuple[str | None, int, int]


class UploadEvents(EventSource):
    name = "s3-events"

    def poll(self) -> None:
        sqs = self.clients.sqs
        url = self.resources.queue_urls["s3-events"]
        while not self.stop.is_set():
            polled_at = time.monotonic()
            messages = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=1,
                WaitTimeSeconds=0,
                AttributeNames=["ApproximateReceiveCount"],
            ).get("Messages", [])
            if not messages:
                self.progress.polled_empty(self.name, polled_at)
                self.stop.wait(POLL_INTERVAL)
                continue
            with self.progress.handling(self.name):
                for message in messages:
                    self.deliver(message)

    def deliver(self, message: Mapping[str, Any]) -> None:
        sqs = self.clients.sqs
        url = self.resources.queue_urls["s3-events"]
        event = json.loads(message["Body"])
        if event.get("Event") == "s3:TestEvent":
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            return
        keys = []
        for r in event.get("Records", []):
            key = urllib.parse.unquote_plus(r["s3"]["object"]["key"])
            # moto encodes "/" as %2F; S3 leaves it alone (and still writes spaces as "+").
            r["s3"]["object"]["key"] = urllib.parse.quote_plus(key, safe="/")
            keys.append(key)
        before = {k: self._snapshot(k) for k in keys}
        attempt = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        try:
            self.invoke("ingest", event)
        except HandlerError as e:
            log.debug("ingest failed", exc_info=e.__cause__)
            retries = tpl.properties("IngestFunction").get("EventInvokeConfig", {})
            final = attempt > self.resources.number(retries.get("MaximumRetryAttempts"), 2)
            self.progress.emit(
                PipelineStep(
                    "error",
                    f"upload {', '.join(keys)} → ingest failed (attempt {attempt}"
                    f"{', giving up' if final else ''}): {e.__cause__}",
                    key=keys[0] if keys else None,
                )
            )
            if final:
                self.dead_letter("ingest-dlq", "ingest", attempt, e, {"requestPayload": event})
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            return
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        for k in keys:
            step = self._describe(k, before[k])
            if step is not None:
                self.progress.emit(step)

    def _snapshot(self, key: str) -> Snapshot:
        try:
            article_id: str | None = article_id_from_key(key)
        except ValueError:
            article_id = None
        version = self.items.head_version(article_id) if article_id is not None else 0
        return article_id, version, self.items.rejection_count(key)

    def _describe(self, key: str, before: Snapshot) -> PipelineStep | None:
        """What an upload that made no new version did (the stream reports new versions)."""
        article_id, old_version, old_rejected = before
        _, new_version, new_rejected = self._snapshot(key)
        if article_id is not None and new_version > old_version:
            return None
        if new_rejected > old_rejected:
            reason = self.items.latest_rejection(key)
            return PipelineStep(
                "upload",
                f"upload {key} → rejected: {reason}",
                key=key,
                article_id=article_id,
                details={"rejected": reason},
            )
        return PipelineStep(
            "upload",
            f"upload {key} → unchanged (version {new_version}), nothing to send",
            key=key,
            article_id=article_id,
            version=new_version or None,
            details={"unchanged": True},
        )
