"""What the three event sources (uploads, the table's stream, push jobs) share: how they are
wired to the stack, how they are kept running, and where exhausted retries go."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from stoppress_dev.lambda_events import HandlerError
from stoppress_dev.localstack.handlers import failure_record
from stoppress_dev.localstack.items import TableItems
from stoppress_dev.localstack.progress import PipelineStep, Progress
from stoppress_dev.localstack.resources import StackResources

log = logging.getLogger("local-stack")

Invoke = Callable[[str, Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Wiring:
    """What the stack hands each event source.

    ``invoke`` is the stack's own method, so a stack subclass that wraps it (to
    measure, say) sees every invocation the sources make.
    """

    resources: StackResources
    invoke: Invoke
    function_arns: Mapping[str, str]
    items: TableItems
    progress: Progress
    stop: threading.Event


class EventSource:
    """One of Lambda's event source mappings, as a polling loop in a background thread."""

    name = ""

    def __init__(self, wiring: Wiring) -> None:
        self.resources = wiring.resources
        self.clients = wiring.resources.clients
        self.invoke = wiring.invoke
        self.function_arns = wiring.function_arns
        self.items = wiring.items
        self.progress = wiring.progress
        self.stop = wiring.stop

    def poll(self) -> None:
        """Poll and deliver until the stack stops."""
        raise NotImplementedError

    def run(self) -> None:
        """``poll``, started again after AWS errors and bugs, until the stack stops."""
        while not self.stop.is_set():
            try:
                self.poll()
                return
            except (ClientError, BotoCoreError) as e:
                if self.stop.is_set():
                    return
                log.warning("%s event source: %s; polling again", self.name, e)
                self.stop.wait(0.5)
            except Exception as e:  # a bug here must not silently stop the pipeline
                log.exception("%s event source crashed; polling again", self.name)
                self.progress.steps.append(
                    PipelineStep("error", f"{self.name} event source crashed: {e!r}")
                )
                self.stop.wait(1.0)

    def dead_letter(
        self,
        queue_role: str,
        function: str,
        attempts: int,
        error: HandlerError | None,
        payload: Mapping[str, Any],
    ) -> None:
        """Send what Lambda's on-failure destination would receive to that queue."""
        record = failure_record(self.function_arns[function], attempts, error, payload)
        self.clients.sqs.send_message(
            QueueUrl=self.resources.queue_urls[queue_role],
            MessageBody=json.dumps(record, default=str),
        )
