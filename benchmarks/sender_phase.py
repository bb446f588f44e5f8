"""One sender phase: what it measured, the message it sends, and a fresh process to run it in.

Each phase runs in a spawned process of its own, so its peak RSS and CPU time
are its own and no phase warms another's caches.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from multiprocessing.context import SpawnContext
from typing import Any

SUBJECT = "mailto:bench@news.example"
ARTICLE_ID = "2026-harbour-storm-closes-ferries"


def sample_payload() -> dict[str, Any]:
    return {
        "web_push": 8030,
        "notification": {
            "title": "Storm closes the harbour: ferries cancelled until Friday",
            "body": (
                "Gusts of up to 120 km/h forced the port authority to halt all crossings on "
                "Tuesday evening. Travellers are asked to check the operator's site before "
                "setting out; the coastal road remains open to local traffic only."
            ),
            "navigate": f"https://news.example/articles/{ARTICLE_ID}",
            "tag": f"article-{ARTICLE_ID}",
            "timestamp": 1_795_737_600_000,
            "lang": "en",
        },
        "article": {"id": ARTICLE_ID, "version": 1, "change": "new"},
    }


@dataclass
class PhaseResult:
    method: str
    latency_ms: float
    messages: int
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float | None:
        if not self.latencies_ms:
            return None
        if len(self.latencies_ms) == 1:
            return self.latencies_ms[0]
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[int(q) - 1]


def _phase_main(conn: Any, phase: Callable[..., PhaseResult], args: tuple[Any, ...]) -> None:
    conn.send(asdict(phase(*args)))


def run_phase(ctx: SpawnContext, phase: Callable[..., PhaseResult], *args: Any) -> PhaseResult:
    """``phase(*args)`` in a fresh process; ``phase`` must be a module-level function."""
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_phase_main, args=(child, phase, args))
    process.start()
    result = parent.recv()
    process.join()
    latencies = result.pop("latencies_ms")
    return PhaseResult(**result, latencies_ms=latencies)
