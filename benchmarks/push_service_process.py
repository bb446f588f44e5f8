"""The push-service simulator and its simulated browsers, in a process of their own.

Both benchmarks run ``stoppress_dev.pushservice`` apart from what they
measure: verifying every VAPID token and decrypting samples takes CPU that
would otherwise count against the sender (and, on the local stack, the GIL
the sender shares with moto). The parent talks to it over a pipe.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from multiprocessing.context import SpawnContext
from typing import Any

from benchmarks.process_memory import max_rss_mb


class PushServiceProcess:
    """A spawned ``PushService`` with ``subscribers`` browsers, started by ``start``.

    ``mix`` is the share of browsers answering 410, 429 (Retry-After 30) and
    500 each, spread evenly; ``record`` keeps every accepted push, which
    ``report`` needs.
    """

    def __init__(
        self,
        ctx: SpawnContext,
        public_key: str,
        subscribers: int,
        *,
        decrypt_every: int,
        latency_ms: float = 0.0,
        record: bool = False,
        mix: float = 0.0,
    ) -> None:
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(
            target=_serve,
            args=(child, public_key, subscribers, latency_ms, decrypt_every, record, mix),
            daemon=True,
        )
        self._stopped = False

    def start(self) -> list[dict[str, Any]]:
        """Start the process; returns each browser's ``subscription_info()``."""
        self._process.start()
        infos: list[dict[str, Any]] = self._conn.recv()
        return infos

    def _ask(self, command: str, arg: Any = None) -> Any:
        self._conn.send((command, arg))
        return self._conn.recv()

    def set_latency(self, latency_ms: float) -> None:
        """Delay every answer by ``latency_ms`` from now on, and zero the counters."""
        self._ask("latency", latency_ms)

    def status_counts(self) -> dict[int, int]:
        counts: dict[int, int] = self._ask("counts")
        return counts

    def delivered(self) -> int:
        """Pushes accepted so far."""
        delivered: int = self._ask("delivered")
        return delivered

    def report(self) -> dict[str, Any]:
        """Pushes per endpoint, first and last accept time, statuses, decrypted payloads."""
        report: dict[str, Any] = self._ask("report")
        return report

    def stop(self) -> None:
        self._ask("stop")
        self._stopped = True

    def close(self, timeout: float) -> None:
        """Wait for the process to end; one that was not stopped is terminated first."""
        if not self._stopped and self._process.is_alive():
            self._process.terminate()
        self._process.join(timeout)


def _serve(
    conn: Any,
    public_key: str,
    subscribers: int,
    latency_ms: float,
    decrypt_every: int,
    record: bool,
    mix: float,
) -> None:
    from stoppress_dev.pushservice import PushService

    with PushService(
        vapid_public_key=public_key,
        latency_ms=latency_ms,
        decrypt_every=decrypt_every,
        record=record,
    ) as service:
        subs = []
        for n in range(subscribers):
            sub = service.new_subscriber(f"b{n}")
            if mix and n % int(1 / mix) == 1:
                sub.respond_with(410)
            elif mix and n % int(1 / mix) == 2:
                sub.respond_with(429, retry_after=30)
            elif mix and n % int(1 / mix) == 3:
                sub.respond_with(500)
            subs.append(sub)
        conn.send([sub.subscription_info() for sub in subs])
        while True:
            command, arg = conn.recv()
            if command == "latency":
                service.latency_ms = arg
                service.reset_counters()
                conn.send(None)
            elif command == "counts":
                conn.send(service.status_counts())
            elif command == "delivered":
                conn.send(service.delivered)
            elif command == "report":
                conn.send(_report(service, subs))
            elif command == "stop":
                conn.send(None)
                return


def _report(service: Any, subs: Sequence[Any]) -> dict[str, Any]:
    per_endpoint: Counter[int] = Counter()
    times: list[float] = []
    decrypted = 0
    payloads: set[str] = set()
    for sub in subs:
        deliveries = sub.deliveries
        per_endpoint[len(deliveries)] += 1
        for d in deliveries:
            times.append(d.received_at)
            if d.payload is not None:
                decrypted += 1
                payloads.add(json.dumps(d.payload, sort_keys=True))
    return {
        "pushes_per_endpoint": {str(k): v for k, v in sorted(per_endpoint.items())},
        "first_at": min(times) if times else None,
        "last_at": max(times) if times else None,
        "statuses": {str(k): v for k, v in service.status_counts().items()},
        "decrypted": decrypted,
        "distinct_payloads": len(payloads),
        "simulator_peak_rss_mb": max_rss_mb(),
    }
