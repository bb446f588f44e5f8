"""The cooldown queue -> notify (``QueueSource``): stories' windows closing as their
delayed messages come due."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from stoppress_dev.localstack.progress import PipelineStep
from stoppress_dev.localstack.queue_source import QueueSource


class CooldownWindows(QueueSource):
    name = "cooldown"
    queue_role = "cooldown"
    function = "notify"
    function_id = "NotifyFunction"
    event_name = "CooldownWindows"
    what = "cooldown window(s)"

    def delivered(self, messages: Sequence[Mapping[str, Any]], failed: set[str]) -> None:
        closed = len(messages) - len(failed)
        if closed:
            self.progress.emit(PipelineStep("window", f"{closed} cooldown window(s) closed"))
