"""What the fan-out measures in the stack's process: send invocations and member Queries."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from benchmarks.process_memory import rss_mb
from stoppress.contracts.keys import SUB_PK_PREFIX, TOPIC_PK_PREFIX

if TYPE_CHECKING:
    from stoppress_dev.localstack import LocalStack

T = TypeVar("T")


@dataclass
class SendMeter:
    """RSS while send invocations run (sampled), their count and duration, the first's record."""

    interval: float = 0.01
    baseline_mb: float | None = None
    peak_mb: float = 0.0
    invocations: int = 0
    seconds: float = 0.0
    durations: list[float] = field(default_factory=list)
    first_record: dict[str, Any] | None = None
    _active: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        threading.Thread(target=self._sample, name="rss-sampler", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _sample(self) -> None:
        while not self._stop.is_set():
            if self._active.wait(0.2):
                self.peak_mb = max(self.peak_mb, rss_mb())
                self._stop.wait(self.interval)

    def around(self, call: Callable[[], T]) -> T:
        if self.baseline_mb is None:
            self.baseline_mb = rss_mb()
        self._active.set()
        started = time.monotonic()
        try:
            return call()
        finally:
            self._active.clear()
            elapsed = time.monotonic() - started
            self.invocations += 1
            self.seconds += elapsed
            self.durations.append(elapsed)
            self.peak_mb = max(self.peak_mb, rss_mb())

    @property
    def growth_mb(self) -> float:
        return self.peak_mb - (self.baseline_mb or self.peak_mb)


@dataclass
class QueryMeter:
    """Member Query calls made by the handlers' cached DynamoDB client: count, items, seconds."""

    calls: int = 0
    items: int = 0
    seconds: float = 0.0
    _local: threading.local = field(default_factory=threading.local)

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call.dynamodb.Query", self._before)
        client.meta.events.register("after-call.dynamodb.Query", self._after)

    def _before(self, params: Mapping[str, Any], **_: Any) -> None:
        body = params.get("body") or b""
        text = body.decode() if isinstance(body, bytes) else str(body)
        self._local.member = f'"{TOPIC_PK_PREFIX}' in text
        self._local.started = time.perf_counter()

    def _after(self, parsed: Mapping[str, Any], **_: Any) -> None:
        if getattr(self._local, "member", False):
            self.calls += 1
            self.items += len(parsed.get("Items", []))
            self.seconds += time.perf_counter() - self._local.started


@dataclass
class WriteMeter:
    """UpdateItem calls on subscription and member items (SUB#, TOPIC#) by the handlers' client.

    Every one costs a write unit, whether its condition held or not: what renewing
    expiries (and keeping failure records) costs the send path.
    """

    calls: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attach(self, client: Any) -> None:
        client.meta.events.register("provide-client-params.dynamodb.UpdateItem", self._count)

    def _count(self, params: Mapping[str, Any], **_: Any) -> None:
        pk = str(params.get("Key", {}).get("pk", {}).get("S", ""))
        if pk.startswith((SUB_PK_PREFIX, TOPIC_PK_PREFIX)):
            with self._lock:
                self.calls += 1


def measured_stack(meter: SendMeter, **kwargs: Any) -> LocalStack:
    """A ``LocalStack(**kwargs)`` whose send invocations run under ``meter``."""
    from stoppress_dev.localstack import LocalStack

    class MeasuredStack(LocalStack):
        def invoke(self, function: str, event: Mapping[str, Any]) -> Any:
            if function != "send":
                return super().invoke(function, event)
            if meter.first_record is None:
                meter.first_record = dict(event["Records"][0])
            return meter.around(lambda: super(MeasuredStack, self).invoke(function, event))

    return MeasuredStack(**kwargs)
