"""The baseline: pywebpush as a naive sender would use it, and its encryption alone."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from benchmarks.process_memory import max_rss_mb
from benchmarks.sender_phase import SUBJECT, PhaseResult, sample_payload


def naive(infos: Sequence[Mapping[str, Any]], private_key: str, latency_ms: float) -> PhaseResult:
    """A loop of ``webpush()`` calls: one JWT signature and one new connection per message."""
    from pywebpush import WebPushException, webpush

    data = json.dumps(sample_payload())
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    cpu0, t0 = time.process_time(), time.perf_counter()
    for info in infos:
        start = time.perf_counter()
        try:
            response = webpush(
                dict(info),
                data,
                vapid_private_key=private_key,
                vapid_claims={"sub": SUBJECT},
                ttl=86400,
                headers={"Urgency": "high", "Topic": "bench"},
                timeout=10,
            )
            status = str(response.status_code)
        except WebPushException as e:
            status = str(e.response.status_code) if e.response is not None else "error"
        latencies.append((time.perf_counter() - start) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
    return PhaseResult(
        "naive webpush()",
        latency_ms,
        len(infos),
        time.perf_counter() - t0,
        time.process_time() - cpu0,
        max_rss_mb(),
        latencies,
        statuses,
    )


def encrypt_only(infos: Sequence[Mapping[str, Any]], latency_ms: float) -> PhaseResult:
    """pywebpush's ``WebPusher.encode`` per message: the CPU floor of any correct sender."""
    from pywebpush import WebPusher

    data = json.dumps(sample_payload()).encode()
    cpu0, t0 = time.process_time(), time.perf_counter()
    for info in infos:
        WebPusher(info).encode(data, "aes128gcm")
    return PhaseResult(
        "encrypt only (pywebpush encode)",
        latency_ms,
        len(infos),
        time.perf_counter() - t0,
        time.process_time() - cpu0,
        max_rss_mb(),
    )
