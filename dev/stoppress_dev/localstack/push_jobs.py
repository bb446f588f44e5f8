"""The push-jobs queue -> send (``QueueSource``), and a "delivery" line per job done."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from stoppress_dev.localstack.items import COUNTS
from stoppress_dev.localstack.progress import PipelineStep
from stoppress_dev.localstack.queue_source import QueueSource


class PushJobs(QueueSource):
    name = "push"
    queue_role = "push"
    function = "send"
    function_id = "SendFunction"
    event_name = "PushJobs"
    what = "job(s)"

    def delivered(self, messages: Sequence[Mapping[str, Any]], failed: set[str]) -> None:
        self._report_deliveries(messages, failed)

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
